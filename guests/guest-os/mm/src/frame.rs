//! Guest RAM frames: the fixed set of physical pages the system description
//! gives the guest, named by index, and the allocator that hands them out.
//!
//! A [`Frame`] is an index into the guest's frames (0..total), not a
//! physical address: the platform adapters turn it into one. The allocator
//! must never hand out a frame twice, nor accept back a frame it did not
//! hand out.

use alloc::vec;
use alloc::vec::Vec;

/// One guest RAM frame, by its index in the guest's set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Frame(pub u32);

/// Why a frame could not be given back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// The frame is not one of the guest's.
    NotOurs(Frame),
    /// The frame is already free.
    AlreadyFree(Frame),
}

/// A free list over the guest's frames, with a flag per frame so that a
/// double free is caught rather than corrupting the list.
#[derive(Debug)]
pub struct FrameAllocator {
    free: Vec<Frame>,
    is_free: Vec<bool>,
}

impl FrameAllocator {
    /// An allocator over frames `0..total`, all free. Frames are handed out
    /// lowest first.
    pub fn new(total: u32) -> FrameAllocator {
        FrameAllocator {
            free: (0..total).rev().map(Frame).collect(),
            is_free: vec![true; total as usize],
        }
    }

    /// How many frames the guest has.
    pub fn total(&self) -> u32 {
        self.is_free.len() as u32
    }

    /// How many are free.
    pub fn free_count(&self) -> u32 {
        self.free.len() as u32
    }

    /// A free frame, or `None` when all are in use.
    pub fn allocate(&mut self) -> Option<Frame> {
        let frame = self.free.pop()?;
        self.is_free[frame.0 as usize] = false;
        Some(frame)
    }

    /// Gives `frame` back.
    pub fn release(&mut self, frame: Frame) -> Result<(), FrameError> {
        match self.is_free.get_mut(frame.0 as usize) {
            None => Err(FrameError::NotOurs(frame)),
            Some(true) => Err(FrameError::AlreadyFree(frame)),
            Some(flag) => {
                *flag = true;
                self.free.push(frame);
                Ok(())
            }
        }
    }

    /// Whether `frame` is one of the guest's and free.
    pub fn is_free(&self, frame: Frame) -> bool {
        self.is_free.get(frame.0 as usize) == Some(&true)
    }
}
