//! The [`Vm`]'s invariants, checked whole: for tests after every operation.
//!
//! 1. The frame table and the allocator agree on which frames are free.
//! 2. Every anonymous page in a frame is the page that frame's entry names,
//!    and every anonymous frame entry has that page; the same for the page
//!    cache.
//! 3. Every slot a page names is in use, no slot is named twice, and every
//!    slot in use is named.
//! 4. Every kept page of a process lies in one of its areas.
//! 5. A clean resident page without a slot is all zeros.
//! 6. The balloon holds exactly the frames the table says it holds.
//!
//! This module must never change state.

use alloc::collections::BTreeSet;

use crate::anon::AnonPage;
use crate::frame::Frame;
use crate::frame_table::FrameUse;
use crate::ports::FrameMemory;

use super::Vm;

impl Vm {
    /// Checks the invariants above; returns the first one broken. Costs
    /// time proportional to everything kept: meant for tests.
    pub fn check(&self, memory: &dyn FrameMemory) -> Result<(), &'static str> {
        let mut used = 0;
        let mut ballooned = 0;
        for (frame, holds) in self.table.iter() {
            if (holds == FrameUse::Free) != self.frames.is_free(frame) {
                return Err("frame table and allocator disagree");
            }
            match holds {
                FrameUse::Free => {}
                FrameUse::Anonymous { process, page } => {
                    used += 1;
                    match self.anon.get(process, page) {
                        Some(AnonPage::Resident { frame: held, .. }) if held == frame => {}
                        _ => return Err("an anonymous frame's page is not in it"),
                    }
                }
                FrameUse::Ballooned => {
                    used += 1;
                    ballooned += 1;
                }
                FrameUse::File { file, index } => {
                    used += 1;
                    if self.cache.lookup(file, index) != Some(frame) {
                        return Err("a file frame's page is not in it");
                    }
                }
            }
        }
        if used + self.frames.free_count() != self.frames.total() {
            return Err("frames leaked or counted twice");
        }
        if ballooned != self.ballooned {
            return Err("the balloon's count and the frame table disagree");
        }
        let mut slots = BTreeSet::new();
        for (process, page, state) in self.anon.iter() {
            let Some(areas) = self.processes.get(&process) else {
                return Err("a page of a process that does not exist");
            };
            if areas.find(page).is_none() {
                return Err("a page outside every area");
            }
            let slot = match state {
                AnonPage::Swapped { slot } => Some(slot),
                AnonPage::Resident {
                    frame, dirty, slot, ..
                } => {
                    if self.table.holds(frame) != (FrameUse::Anonymous { process, page }) {
                        return Err("an anonymous page's frame holds something else");
                    }
                    if !dirty && slot.is_none() && !all_zero(memory, frame) {
                        return Err("a clean page without a swap copy is not zeros");
                    }
                    slot
                }
            };
            if let Some(slot) = slot {
                if !self.swap.slots().in_use(slot) || !slots.insert(slot) {
                    return Err("a slot free or named twice");
                }
            }
        }
        if slots.len() as u32 != self.swap.slots().used() {
            return Err("a slot in use that no page names");
        }
        for (file, index, frame) in self.cache.iter() {
            if self.table.holds(frame) != (FrameUse::File { file, index }) {
                return Err("a cached page's frame holds something else");
            }
        }
        Ok(())
    }
}

fn all_zero(memory: &dyn FrameMemory, frame: Frame) -> bool {
    memory.page(frame).iter().all(|&byte| byte == 0)
}
