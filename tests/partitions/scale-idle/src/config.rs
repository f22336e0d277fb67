//! What the system description asks of a scale-idle partition: its typed
//! configuration (`config = { ... }` under its `[[partition]]`), which
//! xtask checks the description against and the partition decodes with
//! `userlib::config`. This module only declares it.

use serde::{Deserialize, Serialize};

/// `config = { role = "idle" }`, or
/// `config = { role = "closer", threads = 12, watch = 2 }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// What it does.
    pub role: Role,
    /// The closer: how many idle threads it releases.
    #[serde(default)]
    pub threads: u32,
    /// The closer: the partition (by index) whose end it waits for.
    #[serde(default)]
    pub watch: u32,
}

/// A scale-idle partition's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Each thread waits on the endpoint in slot 0; a message ends it.
    Idle,
    /// Releases the idle threads once the watched partition has ended.
    Closer,
}
