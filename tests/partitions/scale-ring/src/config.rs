//! What the system description asks of a scale-ring node: its typed
//! configuration (`config = { ... }` under its `[[partition]]`), which
//! xtask checks the description against and the partition decodes with
//! `userlib::config`. This module only declares it.

use serde::{Deserialize, Serialize};

/// `config = { index = 3, nodes = 64, callers = 16, rounds = 8 }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    /// This node's number in the ring and the tree.
    pub index: u32,
    /// How many nodes there are.
    pub nodes: u32,
    /// Ring callers (threads 2 and up) of every node.
    pub callers: u32,
    /// Calls each caller makes.
    pub rounds: u32,
}
