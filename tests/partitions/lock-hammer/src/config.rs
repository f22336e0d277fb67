//! What the system description asks of the lock hammer: its typed
//! configuration (`config = { ... }` under its `[[partition]]`), which
//! xtask checks the description against and the partition decodes with
//! `userlib::config`. This module only declares it.

use serde::{Deserialize, Serialize};

/// `config = { rounds = 60000 }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Rounds every thread runs.
    pub rounds: u32,
}
