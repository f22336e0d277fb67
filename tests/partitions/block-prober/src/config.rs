//! What the system description asks of the block prober: its typed
//! configuration (`config = { ... }` under its `[[partition]]`), which
//! xtask checks the description against and the partition decodes with
//! `userlib::config`. This module only declares it.

use block_protocol::DeviceModel;
use serde::{Deserialize, Serialize};

/// `config = { role = "persist" }`, or for the model benchmark
/// `config = { role = "model-bench", model = "sd-a1" }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// What it does (see src/main.rs).
    pub role: Role,
    /// The device model the server runs with (`model-bench` only).
    #[serde(default)]
    pub model: Option<DeviceModel>,
}

/// The prober's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Checks or writes a pattern, so two boots show persistence.
    Persist,
    /// Requests outside its region, malformed and with bad buffers.
    Hostile,
    /// Writes and reads back its region beside the hostile client.
    Neighbour,
    /// Every request must be refused with `NoCard`.
    NoCard,
    /// Times one write and a run of writes, in virtual time.
    Latency,
    /// Counts loop iterations per 100 ms of virtual time.
    Ticker,
    /// Times one-block reads and writes under `-icount`.
    Bench,
    /// Logs the operations per second the device model gives.
    ModelBench,
}
