//! Guest RAM as memory management sees it: the guest's frames, one page
//! each, as a slice the guest kernel owns (on the target, the frame
//! capability mapped in the partition's grant window; in host tests, a
//! vector).
//!
//! Frame `n` is the slice's page `n`. It must never hand out a page that
//! is not the guest's: an index past the end is a bug in memory
//! management and stops the guest rather than reaching other memory.

use guest_mm::{Frame, FrameMemory, Page};

/// The guest's frames.
pub struct GuestRam<'a> {
    pages: &'a mut [Page],
}

impl<'a> GuestRam<'a> {
    /// RAM over `pages`.
    pub fn new(pages: &'a mut [Page]) -> GuestRam<'a> {
        GuestRam { pages }
    }

    /// How many frames there are.
    pub fn frames(&self) -> u32 {
        self.pages.len() as u32
    }
}

impl FrameMemory for GuestRam<'_> {
    fn page(&self, frame: Frame) -> &Page {
        &self.pages[frame.0 as usize]
    }

    fn page_mut(&mut self, frame: Frame) -> &mut Page {
        &mut self.pages[frame.0 as usize]
    }
}
