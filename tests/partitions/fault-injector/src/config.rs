//! What the system description asks of the fault injector: its typed
//! configuration (`config = { ... }` under its `[[partition]]`), which
//! xtask checks the description against and the partition decodes with
//! `userlib::config`. This module only declares it.

use serde::{Deserialize, Serialize};

/// `config = { fault = "kernel-read" }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The fault it commits.
    pub fault: Fault,
}

/// A fault (or a panic) the partition commits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fault {
    /// Read a kernel address.
    KernelRead,
    /// Read an unmapped address.
    UnmappedRead,
    /// Write its own text.
    TextWrite,
    /// Execute an undefined instruction.
    UndefinedInstruction,
    /// Panic (not a fault: the thread reports it and exits).
    Panic,
}
