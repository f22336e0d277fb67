//! Per-pool state: kind, shared-pool name and membership, statistics.
//!
//! A private pool has exactly one member. A shared pool is reached only
//! through the pool tables of the clients that joined it, and is destroyed
//! (all its pages flushed) when its last member leaves.

use crate::handle::{PoolFlags, PoolUuid};
use crate::slab::NIL;
use crate::stats::OpStats;

pub(crate) struct PoolState {
    pub(crate) flags: PoolFlags,
    /// Set for shared pools only.
    pub(crate) uuid: Option<PoolUuid>,
    /// Clients that have this pool open.
    pub(crate) members: u32,
    /// Pages stored in the pool.
    pub(crate) pages: u64,
    /// First entry of the pool's list of objects, or [`NIL`].
    pub(crate) first_object: u32,
    pub(crate) stats: OpStats,
}

impl PoolState {
    pub(crate) fn new(flags: PoolFlags, uuid: Option<PoolUuid>) -> Self {
        Self {
            flags,
            uuid,
            members: 1,
            pages: 0,
            first_object: NIL,
            stats: OpStats::default(),
        }
    }

    pub(crate) fn is_persistent(&self) -> bool {
        self.flags.is_persistent()
    }

    /// Gets are exclusive (remove the page) only in private ephemeral pools.
    pub(crate) fn exclusive_gets(&self) -> bool {
        !self.flags.is_persistent() && !self.flags.is_shared()
    }
}
