//! The guest's virtual memory: processes' areas and anonymous pages, the
//! page cache, the frames they share and the swap area behind them, tied
//! together as Linux ties them.
//!
//! Split by concern: [`fault`] (demand-zero, refault, dirtying,
//! swap-in), [`reclaim`] (frame allocation and the clock), [`balloon`]
//! (giving frames back and taking them in), [`file`] (the
//! page cache's read path), [`user`] (the kernel's copies to and from a
//! process), [`check`] (invariants, for tests). This module holds the
//! state, the process lifecycle and mmap/munmap/brk.
//!
//! A [`Vm`] must never leave a frame mapped in a process after it stops
//! holding that process's page, never hand out data other than what was
//! last written to a page, and never panic on an argument.

pub mod balloon;
pub mod check;
pub mod fault;
pub mod file;
pub mod reclaim;
pub mod user;

use alloc::collections::BTreeMap;

use crate::anon::{AnonPage, AnonPages};
use crate::area::{AreaList, Layout, Removed};
use crate::error::VmError;
use crate::frame::{Frame, FrameAllocator};
use crate::frame_table::{FrameTable, FrameUse};
use crate::page::Vpn;
use crate::page_cache::PageCache;
use crate::ports::{Backends, ProcessId, Protection};
use crate::stats::{PressureReport, VmStats};
use crate::swap::SwapArea;

/// The guest's memory as the system description sets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VmConfig {
    /// Guest RAM frames.
    pub frames: u32,
    /// Swap slots (the swap region's size in pages).
    pub swap_slots: u32,
    /// The swap type frontswap names the pages by.
    pub swap_type: u32,
    /// The address-space layout of every process.
    pub layout: Layout,
    /// The most processes at once.
    pub max_processes: usize,
}

/// The guest's memory management.
#[derive(Debug)]
pub struct Vm {
    config: VmConfig,
    frames: FrameAllocator,
    table: FrameTable,
    anon: AnonPages,
    processes: BTreeMap<ProcessId, AreaList>,
    cache: PageCache,
    swap: SwapArea,
    stats: VmStats,
    /// Frames given back through the balloon.
    ballooned: u32,
}

impl Vm {
    /// All frames free, no processes, nothing swapped or cached.
    pub fn new(config: VmConfig) -> Vm {
        Vm {
            config,
            frames: FrameAllocator::new(config.frames),
            table: FrameTable::new(config.frames),
            anon: AnonPages::new(),
            processes: BTreeMap::new(),
            cache: PageCache::new(),
            swap: SwapArea::new(config.swap_type, config.swap_slots),
            stats: VmStats::default(),
            ballooned: 0,
        }
    }

    /// The configuration it was built with.
    pub const fn config(&self) -> &VmConfig {
        &self.config
    }

    /// Starts an empty address space for `process`, its heap empty at
    /// `heap_start`.
    pub fn create_process(&mut self, process: ProcessId, heap_start: u32) -> Result<(), VmError> {
        if self.processes.contains_key(&process) {
            return Err(VmError::ProcessExists(process));
        }
        if self.processes.len() >= self.config.max_processes {
            return Err(VmError::TooManyProcesses);
        }
        let areas = AreaList::new(self.config.layout, heap_start)?;
        self.processes.insert(process, areas);
        Ok(())
    }

    /// Ends `process`'s memory: every frame, swap slot and frontswap page
    /// it held is freed.
    pub fn destroy_process(
        &mut self,
        process: ProcessId,
        backends: &mut Backends<'_>,
    ) -> Result<(), VmError> {
        self.processes
            .remove(&process)
            .ok_or(VmError::NoSuchProcess(process))?;
        for page in self.anon.pages_of(process) {
            self.release_page(process, page, backends);
        }
        Ok(())
    }

    /// The process's areas.
    pub fn areas(&self, process: ProcessId) -> Result<&AreaList, VmError> {
        self.processes
            .get(&process)
            .ok_or(VmError::NoSuchProcess(process))
    }

    /// Where page `page` of `process` is, if it was ever kept (`None`
    /// for a page that reads as zeros without a frame).
    pub fn page_state(&self, process: ProcessId, page: Vpn) -> Option<AnonPage> {
        self.anon.get(process, page)
    }

    /// Every kept anonymous page of every process.
    pub fn pages(&self) -> impl Iterator<Item = (ProcessId, Vpn, AnonPage)> + '_ {
        self.anon.iter()
    }

    /// The frame caching page `index` of `file`, if any.
    pub fn cached_frame(&self, file: crate::ports::FileId, index: u32) -> Option<Frame> {
        self.cache.lookup(file, index)
    }

    fn areas_mut(&mut self, process: ProcessId) -> Result<&mut AreaList, VmError> {
        self.processes
            .get_mut(&process)
            .ok_or(VmError::NoSuchProcess(process))
    }

    /// Anonymous `mmap` of `len` bytes wherever there is room; returns the
    /// address. Its pages are demand-zero.
    pub fn mmap(
        &mut self,
        process: ProcessId,
        len: u32,
        protection: Protection,
    ) -> Result<u32, VmError> {
        let area = self.areas_mut(process)?.map_anywhere(len, protection)?;
        Ok(area.start.base())
    }

    /// Anonymous mapping of `len` bytes at exactly `address`, which must
    /// not overlap another area (`MAP_FIXED_NOREPLACE`); `kind` says
    /// whether it is a mapping or part of the program image.
    pub fn mmap_fixed(
        &mut self,
        process: ProcessId,
        address: u32,
        len: u32,
        protection: Protection,
        kind: crate::area::AreaKind,
    ) -> Result<(), VmError> {
        self.areas_mut(process)?
            .map_fixed(address, len, protection, kind)?;
        Ok(())
    }

    /// `munmap`: removes mappings in `[address, address + len)` and frees
    /// what their pages held.
    pub fn munmap(
        &mut self,
        process: ProcessId,
        address: u32,
        len: u32,
        backends: &mut Backends<'_>,
    ) -> Result<(), VmError> {
        let removed = self.areas_mut(process)?.unmap(address, len)?;
        self.release_range(process, removed, backends);
        Ok(())
    }

    /// `brk`: moves the process's break to `new_brk` and returns it; a
    /// shrinking heap frees the pages it leaves.
    pub fn brk(
        &mut self,
        process: ProcessId,
        new_brk: u32,
        backends: &mut Backends<'_>,
    ) -> Result<u32, VmError> {
        let removed = self.areas_mut(process)?.set_brk(new_brk)?;
        self.release_range(process, removed, backends);
        Ok(new_brk)
    }

    /// The counters since boot.
    pub fn stats(&self) -> VmStats {
        VmStats {
            swap: self.swap.stats(),
            ..self.stats
        }
    }

    /// Guest memory now, for the pressure report.
    pub fn pressure(&self) -> PressureReport {
        let stats = self.stats();
        let (mut anon_resident, mut page_cache) = (0, 0);
        for (_, holds) in self.table.iter() {
            match holds {
                FrameUse::Anonymous { .. } => anon_resident += 1,
                FrameUse::File { .. } => page_cache += 1,
                FrameUse::Free | FrameUse::Ballooned => {}
            }
        }
        let swap_ins = stats.swap.ins_from_tmem + stats.swap.ins_from_device;
        PressureReport {
            total_frames: self.frames.total() - self.ballooned,
            ballooned: self.ballooned,
            free_frames: self.frames.free_count(),
            anon_resident,
            page_cache,
            committed: self.processes.values().map(AreaList::committed_pages).sum(),
            swap_slots: self.swap.slots().total(),
            swap_used: self.swap.slots().used(),
            swap_in_tmem: self.swap.pages_in_tmem(),
            refaults: swap_ins,
            swap_outs: stats.swap.outs_to_tmem + stats.swap.outs_to_device,
            swap_ins,
        }
    }

    fn release_range(&mut self, process: ProcessId, removed: Removed, backends: &mut Backends<'_>) {
        for page in self.anon.pages_in(process, removed.start, removed.end) {
            self.release_page(process, page, backends);
        }
    }

    /// Forgets an anonymous page: unmaps it, frees its frame and slot.
    fn release_page(&mut self, process: ProcessId, page: Vpn, backends: &mut Backends<'_>) {
        match self.anon.remove(process, page) {
            None => {}
            Some(AnonPage::Swapped { slot }) => {
                self.release_slot(slot, backends);
            }
            Some(AnonPage::Resident {
                frame,
                mapped,
                slot,
                ..
            }) => {
                if mapped {
                    backends.spaces.unmap(process, page);
                }
                if let Some(slot) = slot {
                    self.release_slot(slot, backends);
                }
                self.free_frame(frame);
            }
        }
    }

    fn release_slot(&mut self, slot: crate::swap_slots::SwapSlot, backends: &mut Backends<'_>) {
        let released = self.swap.release(slot, backends.frontswap.as_deref_mut());
        debug_assert!(released.is_ok(), "an anonymous page named a free slot");
    }

    fn free_frame(&mut self, frame: Frame) {
        self.table.set(frame, FrameUse::Free);
        let released = self.frames.release(frame);
        debug_assert!(released.is_ok(), "a used frame was free");
    }
}
