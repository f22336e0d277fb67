//! What the system description asks of the monitor: its typed
//! configuration (`config = { ... }` under its `[[partition]]`), which
//! xtask checks the description against and the partition decodes with
//! `userlib::config`. This module only declares it.

use heapless::Vec;
use serde::{Deserialize, Serialize};

/// The most partitions it watches, and the most clients it reports.
pub const MAX_LISTED: usize = 16;

/// `config = { watch = [2, 3], clients = [1, 2], server = 1 }`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitorPlan {
    /// Partitions (by index in the description) it waits for before it
    /// reports.
    pub watch: Vec<u32, MAX_LISTED>,
    /// The tmem clients (by badge, from 1) whose rows it reports.
    pub clients: Vec<u32, MAX_LISTED>,
    /// The tmem server's partition index.
    pub server: u32,
    /// A partition to stop mid-run, if any.
    #[serde(default)]
    pub stop: Option<StopPlan>,
}

/// `stop = { partition = 3, after_ms = 40, client = 2 }`: stop a partition
/// this many milliseconds after boot (to show the server survives a client
/// dying), and, if it was a tmem client, have the server drop it (free its
/// pools and pages).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StopPlan {
    /// The partition's index in the description.
    pub partition: u32,
    /// Milliseconds after boot.
    pub after_ms: u32,
    /// The tmem client (by badge) the partition was, to drop once it is
    /// stopped.
    #[serde(default)]
    pub client: Option<u32>,
}
