//! Anonymous pages: where each touched page of each process's anonymous
//! memory is — in a frame (and whether it is mapped, dirty, and still has
//! a copy in a swap slot) or only in a swap slot.
//!
//! A page of an area that is in no entry here has never been touched, or
//! was all zeros when it was dropped: it reads as zeros (demand-zero). A
//! clean resident page without a slot is therefore all zeros, and a clean
//! one with a slot equals the slot's copy (Linux's swap cache); a page is
//! made dirty only through a write fault, which releases its slot. This
//! module only keeps the index; the [`Vm`](crate::Vm) keeps those rules.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::frame::Frame;
use crate::page::Vpn;
use crate::ports::ProcessId;
use crate::swap_slots::SwapSlot;

/// Where one anonymous page is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnonPage {
    /// In a frame.
    Resident {
        /// The frame holding it.
        frame: Frame,
        /// Whether the process has it mapped now (an unmapped resident
        /// page faults on its next use, which marks it referenced).
        mapped: bool,
        /// Whether it differs from every copy outside the frame; a dirty
        /// page is mapped writable, a clean one read-only.
        dirty: bool,
        /// The slot that still holds an equal copy, for a clean page
        /// swapped back in.
        slot: Option<SwapSlot>,
    },
    /// Only in a swap slot.
    Swapped {
        /// The slot holding it.
        slot: SwapSlot,
    },
}

/// Every process's anonymous pages, by (process, page).
#[derive(Debug, Default)]
pub struct AnonPages {
    pages: BTreeMap<(ProcessId, Vpn), AnonPage>,
}

impl AnonPages {
    /// No pages.
    pub const fn new() -> AnonPages {
        AnonPages {
            pages: BTreeMap::new(),
        }
    }

    /// Where page `page` of `process` is, if it was ever kept.
    pub fn get(&self, process: ProcessId, page: Vpn) -> Option<AnonPage> {
        self.pages.get(&(process, page)).copied()
    }

    /// Records where page `page` of `process` is.
    pub fn set(&mut self, process: ProcessId, page: Vpn, state: AnonPage) {
        self.pages.insert((process, page), state);
    }

    /// Forgets page `page` of `process`, returning where it was.
    pub fn remove(&mut self, process: ProcessId, page: Vpn) -> Option<AnonPage> {
        self.pages.remove(&(process, page))
    }

    /// The kept pages of `process` in `[start, end)`.
    pub fn pages_in(&self, process: ProcessId, start: Vpn, end: Vpn) -> Vec<Vpn> {
        if end <= start {
            return Vec::new();
        }
        self.pages
            .range((process, start)..(process, end))
            .map(|(&(_, page), _)| page)
            .collect()
    }

    /// Every kept page of `process`.
    pub fn pages_of(&self, process: ProcessId) -> Vec<Vpn> {
        self.pages_in(process, Vpn(0), Vpn(u32::MAX))
    }

    /// Every kept page.
    pub fn iter(&self) -> impl Iterator<Item = (ProcessId, Vpn, AnonPage)> + '_ {
        self.pages
            .iter()
            .map(|(&(process, page), &state)| (process, page, state))
    }
}
