//! The balloon: the guest gives frames back to a memory manager and takes
//! them in again, as Xen's balloon driver does. A frame in the balloon is
//! a hole in guest RAM — the guest keeps its number but must not touch
//! it until it comes back — so the frames taken in are always frames the
//! balloon gave; the guest's RAM never grows past the frames it booted
//! with.
//!
//! Giving back frees frames the cheap way first: clean pages are dropped
//! (file pages offered to cleancache, clean anonymous pages whose copy is
//! in swap or that are zeros), and only then does the clock swap dirty
//! pages out. It gives what it can: fewer frames than asked when nothing
//! more can be freed, never a frame that still holds a page.

use alloc::collections::BTreeSet;
use alloc::vec::Vec;

use crate::anon::AnonPage;
use crate::frame::Frame;
use crate::frame_table::FrameUse;
use crate::ports::Backends;

use super::Vm;

/// Why frames could not be taken in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BalloonError {
    /// The frame is not in the balloon (not the guest's, or in use, or
    /// named twice). Nothing was taken in.
    NotBallooned(Frame),
}

impl Vm {
    /// Gives up to `count` frames back: frees them (clean pages first,
    /// then swapping) and takes them out of use. Returns the frames given,
    /// fewer than `count` when memory could not be freed.
    pub fn balloon_out(&mut self, count: u32, backends: &mut Backends<'_>) -> Vec<Frame> {
        let mut given = Vec::new();
        while (given.len() as u32) < count {
            match self.frames.allocate() {
                Some(frame) => {
                    self.table.set(frame, FrameUse::Ballooned);
                    self.ballooned += 1;
                    given.push(frame);
                }
                None => {
                    if !self.drop_one_clean(backends) && self.evict_one(backends).is_err() {
                        break;
                    }
                }
            }
        }
        given
    }

    /// Takes back `frames`, which the balloon gave, for the guest to use.
    /// Either all of them come in or (on an error) none.
    pub fn balloon_in(&mut self, frames: &[Frame]) -> Result<(), BalloonError> {
        let mut seen = BTreeSet::new();
        for &frame in frames {
            let ours = frame.0 < self.table.len() && self.table.holds(frame) == FrameUse::Ballooned;
            if !ours || !seen.insert(frame) {
                return Err(BalloonError::NotBallooned(frame));
            }
        }
        for &frame in frames {
            self.ballooned -= 1;
            self.free_frame(frame);
        }
        Ok(())
    }

    /// The frames in the balloon (the holes a frame taken in fills), in
    /// frame order.
    pub fn ballooned_frames(&self) -> impl Iterator<Item = Frame> + '_ {
        self.table
            .iter()
            .filter(|&(_, holds)| holds == FrameUse::Ballooned)
            .map(|(frame, _)| frame)
    }

    /// How many frames are in the balloon.
    pub const fn ballooned(&self) -> u32 {
        self.ballooned
    }

    /// Drops one clean page — a file page, or a clean anonymous page —
    /// without writing anything to swap; false when there is none.
    fn drop_one_clean(&mut self, backends: &mut Backends<'_>) -> bool {
        let clean = self.table.iter().find(|&(_, holds)| match holds {
            FrameUse::File { .. } => true,
            FrameUse::Anonymous { process, page } => matches!(
                self.anon.get(process, page),
                Some(AnonPage::Resident { dirty: false, .. })
            ),
            FrameUse::Free | FrameUse::Ballooned => false,
        });
        match clean {
            Some((frame, FrameUse::File { file, index })) => {
                self.evict_file(file, index, frame, backends);
                true
            }
            Some((_, FrameUse::Anonymous { process, page })) => {
                self.evict_anon(process, page, backends)
            }
            _ => false,
        }
    }
}
