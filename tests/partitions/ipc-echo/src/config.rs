//! What the system description asks of the IPC test server: its typed
//! configuration (`config = { ... }` under its `[[partition]]`), which
//! xtask checks the description against and the partition decodes with
//! `userlib::config`. This module only declares it.

use serde::{Deserialize, Serialize};

/// `config = { role = "echo" }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Which server it is (see src/main.rs).
    pub role: Role,
}

/// The server's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The echo server.
    Echo,
    /// The page server: takes a frame with each message.
    PageServer,
    /// A pager: answers faults with its frames.
    Pager,
    /// A server whose requests and replies travel in the IPC buffers.
    BufferServer,
    /// The benchmark's pager: answers every fault with a copy of its frame.
    BenchPager,
}
