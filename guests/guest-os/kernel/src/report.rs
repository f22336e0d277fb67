//! The guest's report: the numbers a user watches to see tmem at work —
//! RAM frames and what holds them, swap-outs to tmem against the swap
//! device, swap-ins from each, tmem refusals, cleancache hits and misses,
//! faults — taken from the [`Vm`]'s counters and pressure report in one
//! snapshot. Reading it must never change memory-management state.

use guest_mm::Vm;

/// One snapshot of the guest's memory counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GuestReport {
    /// Guest RAM frames.
    pub frames: u32,
    /// Frames free now.
    pub free: u32,
    /// Frames holding anonymous pages now.
    pub anon_resident: u32,
    /// Frames holding file pages now.
    pub page_cache: u32,
    /// Pages swapped out to tmem (frontswap took them).
    pub outs_to_tmem: u64,
    /// Pages swapped out to the swap device.
    pub outs_to_device: u64,
    /// Pages swapped back in from tmem.
    pub ins_from_tmem: u64,
    /// Pages swapped back in from the swap device.
    pub ins_from_device: u64,
    /// Stores tmem refused (or lost).
    pub tmem_refusals: u64,
    /// Write-outs that failed everywhere (the page stayed in RAM).
    pub out_failures: u64,
    /// Swap slots whose page is in tmem now.
    pub in_tmem_now: u32,
    /// Dropped file pages cleancache took.
    pub cleancache_puts: u64,
    /// Page-cache misses cleancache answered.
    pub cleancache_hits: u64,
    /// Page-cache misses cleancache did not answer.
    pub cleancache_misses: u64,
    /// Page faults handled.
    pub faults: u64,
}

impl GuestReport {
    /// The snapshot of `vm` now.
    pub fn of(vm: &Vm) -> GuestReport {
        let stats = vm.stats();
        let pressure = vm.pressure();
        GuestReport {
            frames: pressure.total_frames,
            free: pressure.free_frames,
            anon_resident: pressure.anon_resident,
            page_cache: pressure.page_cache,
            outs_to_tmem: stats.swap.outs_to_tmem,
            outs_to_device: stats.swap.outs_to_device,
            ins_from_tmem: stats.swap.ins_from_tmem,
            ins_from_device: stats.swap.ins_from_device,
            tmem_refusals: stats.swap.tmem_refusals,
            out_failures: stats.swap.out_failures,
            in_tmem_now: pressure.swap_in_tmem,
            cleancache_puts: stats.cleancache_puts,
            cleancache_hits: stats.cleancache_hits,
            cleancache_misses: stats.cleancache_misses,
            faults: stats.faults,
        }
    }
}

/// Where reports go (the log on the target, a list in tests).
pub trait Reporter {
    /// A periodic snapshot, taken every so many faults.
    fn periodic(&mut self, report: &GuestReport);
}
