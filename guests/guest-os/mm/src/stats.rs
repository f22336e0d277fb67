//! What a user (and a memory manager) wants to see of guest memory: event
//! counters since boot and a pressure report of the present state, the
//! inputs Xen's self-ballooning used.
//!
//! Counters only ever grow; rates are the difference of two snapshots.
//! Nothing here may change memory-management state.

use crate::swap::SwapStats;

/// Event counters since boot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VmStats {
    /// Page faults handled (from processes and from kernel copies).
    pub faults: u64,
    /// Faults that gave a never-touched page a zeroed frame.
    pub demand_zero: u64,
    /// Faults on pages still resident but unmapped by the clock (the
    /// page's referenced bit is set again).
    pub minor_refaults: u64,
    /// Write faults on clean pages, which made them dirty.
    pub dirtied: u64,
    /// Faults outside any area or against its protection.
    pub segfaults: u64,
    /// Swap traffic: outs to tmem or device, ins from each, refusals.
    pub swap: SwapStats,
    /// Dirty anonymous pages evicted (swapped out).
    pub anon_evictions: u64,
    /// Clean anonymous pages dropped (their copy is in swap, or they
    /// were zeros).
    pub clean_anon_drops: u64,
    /// File pages dropped from the page cache.
    pub file_evictions: u64,
    /// Dropped file pages cleancache took.
    pub cleancache_puts: u64,
    /// Dropped file pages cleancache refused.
    pub cleancache_refused: u64,
    /// Page-cache misses cleancache answered.
    pub cleancache_hits: u64,
    /// Page-cache misses cleancache did not answer (or tmem is off).
    pub cleancache_misses: u64,
    /// Pages read from the files' backing store.
    pub file_reads: u64,
    /// File page reads the page cache answered.
    pub page_cache_hits: u64,
}

/// The state of guest memory now, in pages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PressureReport {
    /// Frames the guest has (less those in the balloon).
    pub total_frames: u32,
    /// Frames given back through the balloon.
    pub ballooned: u32,
    /// Frames free now.
    pub free_frames: u32,
    /// Frames holding anonymous pages.
    pub anon_resident: u32,
    /// Frames holding file pages.
    pub page_cache: u32,
    /// Pages every process may touch, summed (Linux's
    /// `vm_committed_as`).
    pub committed: u32,
    /// Swap slots there are.
    pub swap_slots: u32,
    /// Swap slots in use.
    pub swap_used: u32,
    /// Slots in use whose page is in tmem (frontswap pages).
    pub swap_in_tmem: u32,
    /// Pages faulted back after eviction, since boot: swap-ins.
    pub refaults: u64,
    /// Pages swapped out since boot (to tmem and device).
    pub swap_outs: u64,
    /// Pages swapped in since boot (from tmem and device).
    pub swap_ins: u64,
}
