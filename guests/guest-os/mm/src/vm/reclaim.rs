//! Frame allocation and page replacement: when no frame is free, the clock
//! picks a victim and frees its frame.
//!
//! The clock gives every used frame a second chance: a referenced frame
//! has its bit cleared and, if it is an anonymous page mapped in a
//! process, is unmapped, so that its next use faults and sets the bit
//! again (the A9 has no access flag to do that for us). An unreferenced
//! frame is evicted:
//! - a clean anonymous page is dropped: its copy is in its swap slot, or
//!   it was all zeros and becomes demand-zero again;
//! - a dirty anonymous page is written out — frontswap first, the swap
//!   device if tmem refuses — and then dropped; if it cannot be written
//!   (no slot, device error) it stays and the hand moves on;
//! - a file page is offered to cleancache and dropped.
//!
//! A victim is always unmapped before its frame is reused. After two full
//! turns of the hand without a victim, memory is exhausted.

use crate::anon::AnonPage;
use crate::error::VmError;
use crate::frame::Frame;
use crate::frame_table::FrameUse;
use crate::page::Vpn;
use crate::ports::{Backends, FileId, ProcessId};

use super::Vm;

impl Vm {
    /// A free frame, evicting a page if there is none.
    pub(super) fn allocate_frame(&mut self, backends: &mut Backends<'_>) -> Result<Frame, VmError> {
        if let Some(frame) = self.frames.allocate() {
            return Ok(frame);
        }
        self.evict_one(backends)?;
        self.frames.allocate().ok_or(VmError::OutOfMemory)
    }

    /// Frees frames until `count` are free (a balloon's request, or a
    /// low-memory watermark). Stops at the first frame it cannot free.
    pub fn reclaim(&mut self, count: u32, backends: &mut Backends<'_>) -> Result<(), VmError> {
        while self.frames.free_count() < count.min(self.frames.total()) {
            self.evict_one(backends)?;
        }
        Ok(())
    }

    /// Runs the clock until one frame is freed.
    pub(super) fn evict_one(&mut self, backends: &mut Backends<'_>) -> Result<(), VmError> {
        let steps = 2 * self.table.len() + 1;
        if self.table.is_empty() {
            return Err(VmError::OutOfMemory);
        }
        for _ in 0..steps {
            let frame = self.table.advance_hand();
            let holds = self.table.holds(frame);
            if !holds.is_page() {
                continue;
            }
            if self.table.referenced(frame) {
                self.table.clear_referenced(frame);
                if let FrameUse::Anonymous { process, page } = holds {
                    self.unmap_anon(process, page, backends);
                }
                continue;
            }
            let freed = match holds {
                FrameUse::Free | FrameUse::Ballooned => false,
                FrameUse::Anonymous { process, page } => self.evict_anon(process, page, backends),
                FrameUse::File { file, index } => {
                    self.evict_file(file, index, frame, backends);
                    true
                }
            };
            if freed {
                return Ok(());
            }
        }
        Err(VmError::OutOfMemory)
    }

    /// Unmaps the resident `page` if it is mapped (clearing its
    /// referenced bit's shadow in the hardware).
    fn unmap_anon(&mut self, process: ProcessId, page: Vpn, backends: &mut Backends<'_>) {
        if let Some(AnonPage::Resident {
            frame,
            mapped: true,
            dirty,
            slot,
        }) = self.anon.get(process, page)
        {
            backends.spaces.unmap(process, page);
            self.anon.set(
                process,
                page,
                AnonPage::Resident {
                    frame,
                    mapped: false,
                    dirty,
                    slot,
                },
            );
        }
    }

    /// Evicts the resident anonymous `page`; false if it had to stay.
    pub(super) fn evict_anon(
        &mut self,
        process: ProcessId,
        page: Vpn,
        backends: &mut Backends<'_>,
    ) -> bool {
        self.unmap_anon(process, page, backends);
        let Some(AnonPage::Resident {
            frame, dirty, slot, ..
        }) = self.anon.get(process, page)
        else {
            return false;
        };
        if !dirty {
            match slot {
                Some(slot) => self.anon.set(process, page, AnonPage::Swapped { slot }),
                None => {
                    self.anon.remove(process, page);
                }
            }
            self.stats.clean_anon_drops += 1;
            self.free_frame(frame);
            return true;
        }
        let written = self.swap.write_out(
            backends.memory.page(frame),
            backends.frontswap.as_deref_mut(),
            backends.swap_device,
        );
        match written {
            Ok(slot) => {
                self.anon.set(process, page, AnonPage::Swapped { slot });
                self.stats.anon_evictions += 1;
                self.free_frame(frame);
                true
            }
            Err(_) => false,
        }
    }

    /// Drops a file page, offering it to cleancache first.
    pub(super) fn evict_file(
        &mut self,
        file: FileId,
        index: u32,
        frame: Frame,
        backends: &mut Backends<'_>,
    ) {
        if let Some(cleancache) = backends.cleancache.as_deref_mut() {
            if cleancache.put_page(file, index, backends.memory.page(frame)) {
                self.stats.cleancache_puts += 1;
            } else {
                self.stats.cleancache_refused += 1;
            }
        }
        self.cache.remove(file, index);
        self.stats.file_evictions += 1;
        self.free_frame(frame);
    }
}
