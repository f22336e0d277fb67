//! Per-client state: policy knobs, open pools, page counts, statistics.
//!
//! A client's pool table maps its local pool ids to store-wide pool slots;
//! it is the only way a client reaches a pool, so a client can never name a
//! pool it has not opened (or joined, for a shared pool it is authorised for).

use crate::config::ClientConfig;
use crate::handle::{PoolId, SharingDomain, MAX_POOLS_PER_CLIENT};
use crate::slab::NIL;
use crate::stats::OpStats;

pub(crate) struct ClientState {
    pub(crate) weight: u32,
    pub(crate) persistent_cap: u32,
    pub(crate) compress: bool,
    pub(crate) domain: Option<SharingDomain>,
    pub(crate) frozen: bool,
    /// Local pool id -> store-wide pool slot, or [`NIL`].
    pub(crate) pools: [u32; MAX_POOLS_PER_CLIENT],
    pub(crate) ephemeral_pages: u64,
    pub(crate) persistent_pages: u64,
    pub(crate) stats: OpStats,
}

impl ClientState {
    pub(crate) fn new(config: &ClientConfig) -> Self {
        Self {
            weight: config.weight,
            persistent_cap: config.persistent_cap,
            compress: config.compress,
            domain: config.sharing_domain,
            frozen: false,
            pools: [NIL; MAX_POOLS_PER_CLIENT],
            ephemeral_pages: 0,
            persistent_pages: 0,
            stats: OpStats::default(),
        }
    }

    /// The store-wide slot of local pool `pool`.
    pub(crate) fn pool_slot(&self, pool: PoolId) -> Option<u32> {
        let slot = *self.pools.get(usize::try_from(pool.0).ok()?)?;
        (slot != NIL).then_some(slot)
    }

    /// The lowest unused local pool id.
    pub(crate) fn free_pool_id(&self) -> Option<PoolId> {
        self.pools
            .iter()
            .position(|&slot| slot == NIL)
            .map(|id| PoolId(id as u32))
    }

    /// The local id under which store-wide pool `slot` is open.
    pub(crate) fn local_id_of(&self, slot: u32) -> Option<PoolId> {
        self.pools
            .iter()
            .position(|&open| open == slot)
            .map(|id| PoolId(id as u32))
    }

    pub(crate) fn open_pools(&self) -> u32 {
        self.pools.iter().filter(|&&slot| slot != NIL).count() as u32
    }
}
