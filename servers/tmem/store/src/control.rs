//! Privileged control operations: freeze/thaw, flushing memory back,
//! policy knobs and statistics.
//!
//! Only the server's control interface (the system's manager, never a
//! guest) may call these. They must never touch persistent pages except
//! through the client's own flushes, and never change page contents.

use crate::error::TmemError;
use crate::frames::FrameProvider;
use crate::handle::{ClientId, PoolId};
use crate::stats::{ClientInfo, OpStats, Usage};
use crate::store::Store;

impl<P: FrameProvider> Store<P> {
    /// Refuses further puts by `client` (gets and flushes still work).
    pub fn freeze(&mut self, client: ClientId) -> Result<(), TmemError> {
        let slot = self.client_slot(client)?;
        self.clients[usize::from(slot)].frozen = true;
        Ok(())
    }

    /// Accepts puts by `client` again.
    pub fn thaw(&mut self, client: ClientId) -> Result<(), TmemError> {
        let slot = self.client_slot(client)?;
        self.clients[usize::from(slot)].frozen = false;
        Ok(())
    }

    /// Evicts up to `count` ephemeral pages, chosen by the fair-share policy;
    /// returns how many were evicted. Frames freed may be fewer than pages
    /// evicted (shared content, packed slots, zero pages).
    pub fn flush_pages(&mut self, count: u32) -> u32 {
        let mut evicted = 0;
        while evicted < count && self.evict_one(None) {
            evicted += 1;
        }
        evicted
    }

    /// Pages that could be freed by [`flush_pages`](Self::flush_pages): the
    /// number of ephemeral pages stored.
    pub fn freeable_pages(&self) -> u64 {
        self.ephemeral_pages
    }

    /// Sets `client`'s fair-share weight.
    pub fn set_weight(&mut self, client: ClientId, weight: u32) -> Result<(), TmemError> {
        let slot = self.client_slot(client)?;
        self.clients[usize::from(slot)].weight = weight;
        Ok(())
    }

    /// Sets `client`'s persistent-page cap. Pages already stored stay; new
    /// persistent puts are refused while the client is at or over the cap.
    pub fn set_persistent_cap(&mut self, client: ClientId, cap: u32) -> Result<(), TmemError> {
        let slot = self.client_slot(client)?;
        self.clients[usize::from(slot)].persistent_cap = cap;
        Ok(())
    }

    /// Turns compression of `client`'s future puts on or off.
    pub fn set_compression(&mut self, client: ClientId, on: bool) -> Result<(), TmemError> {
        let slot = self.client_slot(client)?;
        self.clients[usize::from(slot)].compress = on;
        Ok(())
    }

    /// Store-wide operation counters.
    pub fn global_stats(&self) -> OpStats {
        self.stats
    }

    /// Operation counters of `client`.
    pub fn client_stats(&self, client: ClientId) -> Result<OpStats, TmemError> {
        let slot = self.client_slot(client)?;
        Ok(self.clients[usize::from(slot)].stats)
    }

    /// Operation counters of a pool `client` has open (for a shared pool,
    /// all members' operations).
    pub fn pool_stats(&self, client: ClientId, pool: PoolId) -> Result<OpStats, TmemError> {
        let slot = self.client_slot(client)?;
        let pool_slot = self.clients[usize::from(slot)]
            .pool_slot(pool)
            .ok_or(TmemError::NoSuchPool)?;
        Ok(self.pools[pool_slot].stats)
    }

    /// Page counts and settings of `client`.
    pub fn client_info(&self, client: ClientId) -> Result<ClientInfo, TmemError> {
        let slot = self.client_slot(client)?;
        let state = &self.clients[usize::from(slot)];
        Ok(ClientInfo {
            ephemeral_pages: state.ephemeral_pages,
            persistent_pages: state.persistent_pages,
            weight: state.weight,
            persistent_cap: state.persistent_cap,
            compress: state.compress,
            frozen: state.frozen,
            open_pools: state.open_pools(),
        })
    }

    /// What the store holds now. `frames_free + frames_whole + frames_packed
    /// == frames_total` always.
    pub fn usage(&self) -> Usage {
        Usage {
            frames_total: self.frames.total(),
            frames_free: self.frames.free_frames(),
            frames_whole: self.frames.whole_frames(),
            frames_packed: self.frames.packed_frames(),
            ephemeral_pages: self.ephemeral_pages,
            persistent_pages: self.persistent_pages,
            zero_pages: self.zero_pages,
            contents: self.contents.len(),
            shared_pages: self.shared_pages,
            max_pages: self.records.capacity(),
        }
    }
}
