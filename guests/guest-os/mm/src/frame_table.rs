//! What each guest frame holds, its referenced bit, and the clock hand that
//! sweeps them for page replacement.
//!
//! The clock (second chance): the hand visits frames in order; a frame
//! whose referenced bit is set gets it cleared and is passed over, one
//! whose bit is clear is the victim. The A9 sets no referenced bit, so the
//! bit is set by memory management itself when a page is faulted in or
//! used by the kernel, and clearing it goes with unmapping the page so
//! that the next use faults and sets it again (the [`Vm`](crate::Vm) does
//! that part). This table must never say a frame is free that the
//! allocator handed out, or the other way round.

use alloc::vec;
use alloc::vec::Vec;

use crate::frame::Frame;
use crate::page::Vpn;
use crate::ports::{FileId, ProcessId};

/// What a frame holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameUse {
    /// Nothing: it is on the free list.
    Free,
    /// Page `page` of process `process`'s anonymous memory.
    Anonymous {
        /// The owning process.
        process: ProcessId,
        /// The virtual page.
        page: Vpn,
    },
    /// Page `index` of file `file`, in the page cache.
    File {
        /// The file.
        file: FileId,
        /// The page's index in the file.
        index: u32,
    },
    /// Given back to the memory manager by the balloon: not the guest's
    /// to use until the balloon takes it in again.
    Ballooned,
}

impl FrameUse {
    /// Whether the frame holds a page (anonymous or file).
    pub const fn is_page(self) -> bool {
        matches!(self, FrameUse::Anonymous { .. } | FrameUse::File { .. })
    }
}

#[derive(Clone, Copy, Debug)]
struct FrameEntry {
    holds: FrameUse,
    referenced: bool,
}

/// Every frame's use and referenced bit, and the clock hand.
#[derive(Debug)]
pub struct FrameTable {
    entries: Vec<FrameEntry>,
    hand: u32,
}

impl FrameTable {
    /// `total` free frames, the hand at frame 0.
    pub fn new(total: u32) -> FrameTable {
        FrameTable {
            entries: vec![
                FrameEntry {
                    holds: FrameUse::Free,
                    referenced: false,
                };
                total as usize
            ],
            hand: 0,
        }
    }

    /// What `frame` holds.
    pub fn holds(&self, frame: Frame) -> FrameUse {
        self.entries[frame.0 as usize].holds
    }

    /// Records that `frame` now holds `holds`, referenced (it was just
    /// used) if it holds a page.
    pub fn set(&mut self, frame: Frame, holds: FrameUse) {
        self.entries[frame.0 as usize] = FrameEntry {
            holds,
            referenced: holds.is_page(),
        };
    }

    /// Sets `frame`'s referenced bit.
    pub fn touch(&mut self, frame: Frame) {
        self.entries[frame.0 as usize].referenced = true;
    }

    /// Whether `frame`'s referenced bit is set.
    pub fn referenced(&self, frame: Frame) -> bool {
        self.entries[frame.0 as usize].referenced
    }

    /// Clears `frame`'s referenced bit (its second chance is used).
    pub fn clear_referenced(&mut self, frame: Frame) {
        self.entries[frame.0 as usize].referenced = false;
    }

    /// The frame under the hand, moving the hand on by one.
    pub fn advance_hand(&mut self) -> Frame {
        let frame = Frame(self.hand);
        self.hand = (self.hand + 1) % self.entries.len().max(1) as u32;
        frame
    }

    /// How many frames there are.
    pub fn len(&self) -> u32 {
        self.entries.len() as u32
    }

    /// Whether the guest has no frames at all.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every frame and what it holds.
    pub fn iter(&self) -> impl Iterator<Item = (Frame, FrameUse)> + '_ {
        self.entries
            .iter()
            .enumerate()
            .map(|(index, entry)| (Frame(index as u32), entry.holds))
    }
}
