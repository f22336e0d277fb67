//! Access to the contents of the guest's frames, as the guest kernel sees
//! them (mapped in its own partition).
//!
//! An implementation must cover every frame `0..total` of the
//! [`FrameAllocator`](crate::FrameAllocator) it is used with; memory
//! management never asks for another.

use crate::frame::Frame;
use crate::page::Page;

/// The guest kernel's view of its RAM.
pub trait FrameMemory {
    /// The contents of `frame`.
    fn page(&self, frame: Frame) -> &Page;

    /// The contents of `frame`, to write.
    fn page_mut(&mut self, frame: Frame) -> &mut Page;
}
