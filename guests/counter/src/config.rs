//! What the system description asks of the counter: its typed
//! configuration (`config = { ... }` under its `[[partition]]`), which
//! xtask checks the description against and the partition decodes with
//! `userlib::config`. This module only declares it.

use serde::{Deserialize, Serialize};

/// `config = { run_ms = 400 }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// How long it counts, in milliseconds of wall-clock time.
    pub run_ms: u32,
}
