//! What the manager knows at the end of a period: per guest, its bounds
//! from the system description, the frames it holds (the manager's own
//! count, trusted), what it says it needs (untrusted) and its frontswap
//! use (the tmem server's count); and the tmem pool's state.

/// Limits the system description sets for one guest, in frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuestBounds {
    /// No policy takes a guest below this.
    pub floor: u32,
    /// No policy gives a guest more than this.
    pub ceiling: u32,
    /// Frames kept above the guest's committed memory (Xen's
    /// `selfballoon_reserved_mb`), so it can grow a little between periods.
    pub reserve: u32,
}

/// One guest at the end of a period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuestReport {
    pub bounds: GuestBounds,
    /// Frames the guest holds now, as the manager counts them.
    pub held: u32,
    /// Pages the guest says its processes may touch (Linux's committed
    /// address space). Untrusted: it only steers the guest's own target.
    pub committed: u32,
    /// Pages of this guest in the tmem server's persistent pools
    /// (frontswap), as the tmem server counts them.
    pub frontswap: u32,
}

/// The tmem pool at the end of a period, in frames.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolReport {
    /// Frames holding nothing.
    pub free: u32,
    /// Frames holding ephemeral (cleancache) pages: the server may drop
    /// them to free frames.
    pub ephemeral: u32,
    /// Frames holding persistent (frontswap) pages: never dropped.
    pub persistent: u32,
}

impl PoolReport {
    /// Frames the pool can hand to guests this period without losing a
    /// persistent page.
    pub fn reclaimable(&self) -> u32 {
        self.free.saturating_add(self.ephemeral)
    }
}
