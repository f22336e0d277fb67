//! The supervisor's typed configuration, in a library so that xtask can
//! check system descriptions against it (the partition itself is the
//! binary). Nothing else belongs here.
#![no_std]

use heapless::Vec;
use serde::{Deserialize, Serialize};

/// The most tmem clients it knows.
pub const MAX_TMEM_CLIENTS: usize = 16;

/// `config = { tmem_clients = [{ partition = 1, client = 1 }],
/// stop_notification = 2 }`: the partitions that are tmem clients, so that
/// the supervisor has the tmem server drop a client (free its pools and
/// pages) before it restarts its partition, which then starts with nothing
/// of its old run in tmem (with any, slot 1 holds the tmem server's
/// control endpoint); and the slot holding, with `read`, the notification
/// the description names as `[system] stop_notification`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Partitions that are tmem clients.
    pub tmem_clients: Vec<TmemClient, MAX_TMEM_CLIENTS>,
    /// The capability slot of the kernel's stop notification: the
    /// supervisor waits on it between rounds. None: it polls (reads every
    /// status, yields, reads them again).
    #[serde(default)]
    pub stop_notification: Option<u16>,
}

/// A partition that is a tmem client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TmemClient {
    /// The partition's index in the description.
    pub partition: u32,
    /// The client number the tmem server knows it by (its badge).
    pub client: u32,
}
