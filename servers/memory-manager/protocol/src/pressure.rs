//! A guest's pressure report: the inputs Xen's self-ballooning reads
//! (committed memory, page cache, refaults, swap traffic, frontswap use)
//! and what the demo plots. Everything in it is the guest's word, not
//! trusted by the manager beyond steering that guest's own target.

use serde::{Deserialize, Serialize};

/// One guest's memory pressure now; counts since boot are cumulative.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pressure {
    /// RAM frames the guest holds (not in its balloon).
    pub ram: u32,
    /// Anonymous pages its processes may touch (committed).
    pub committed: u32,
    /// Frames holding file pages.
    pub cache: u32,
    /// Pages of this guest in tmem (frontswap) now.
    pub tmem: u32,
    /// Pages of this guest on its SD-card swap region now.
    pub sd: u32,
    /// Pages faulted back after eviction, since boot.
    pub refaults: u64,
    /// Swap-ins from tmem, since boot.
    pub ins_tmem: u64,
    /// Swap-ins from the SD card, since boot.
    pub ins_sd: u64,
    /// Swap-outs to tmem, since boot.
    pub outs_tmem: u64,
    /// Swap-outs to the SD card, since boot.
    pub outs_sd: u64,
    /// Page faults, since boot.
    pub faults: u64,
    /// The guest still has work to do (false: it idles and waits for
    /// the end of the run).
    pub busy: bool,
}
