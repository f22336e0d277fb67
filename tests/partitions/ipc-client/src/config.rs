//! What the system description asks of the IPC test client: its typed
//! configuration (`config = { ... }` under its `[[partition]]`), which
//! xtask checks the description against and the partition decodes with
//! `userlib::config`. This module only declares it.

use serde::{Deserialize, Serialize};

/// `config = { role = "ping-pong" }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// What it does (see src/main.rs).
    pub role: Role,
}

/// The client's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// 100 calls, a notification, the error cases.
    PingPong,
    /// Asks the server to fault mid-call.
    ServerFault,
    /// The IPC benchmarks.
    Bench,
    /// A frame lent for one call.
    TransientGrant,
    /// A frame transferred.
    Transfer,
    /// A derived copy revoked by the giver.
    Revoke,
    /// Touches three pages its pager has frames for two of.
    DemandPaging,
    /// The grant benchmark.
    BenchGrant,
    /// Reads, stops and reads partition 1 through PartitionControl.
    Monitor,
    /// A call whose request and reply travel in the IPC buffers.
    Buffered,
}
