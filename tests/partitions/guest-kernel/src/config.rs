//! What the system description asks of the test guest kernel: its typed
//! configuration (`config = { ... }` under its `[[partition]]`), which
//! xtask checks the description against and the partition decodes with
//! `userlib::config`. This module only declares it.

use serde::{Deserialize, Serialize};

/// `config = { role = "guest-kernel" }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// What the partition does (see src/main.rs).
    pub role: Role,
}

/// The partition's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The guest kernel: processes in guest address spaces and every check.
    GuestKernel,
    /// The second guest partition that hands over one of its address spaces.
    HandOver,
    /// The benchmarks.
    Bench,
    /// Faults while a process of it is running.
    FaultWithProcess,
}
