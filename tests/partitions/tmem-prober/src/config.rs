//! What the system description asks of the tmem prober: its typed
//! configuration (`config = { ... }` under its `[[partition]]`), which
//! xtask checks the description against and the partition decodes with
//! `userlib::config`. This module only declares it.

use serde::{Deserialize, Serialize};

/// `config = { probe = "semantics" }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Which probe it runs (see src/main.rs).
    pub probe: Probe,
}

/// A probe of the tmem server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Probe {
    /// Two clients check tmem semantics and isolation.
    Semantics,
    /// Transfer-mode put/get/flush rounds.
    Churn,
    /// Puts and gets until the manager stops it.
    Hammer,
    /// The benchmark.
    Bench,
    /// Tries to put a frame it keeps a mapped copy of.
    HostileTransfer,
    /// The benchmark's tiny version.
    BenchTiny,
    /// The full sweeps.
    Sweeps,
}
