//! The frame-provider interface: where the store keeps page contents.
//!
//! The store never allocates page memory itself. It is handed a fixed set of
//! 4 KiB frames (in the server: the physical frames it owns, mapped in a
//! virtual window; on the host: a `Vec`) and does its own bookkeeping of
//! which frame is free. A provider must only give access to frames; it must
//! never decide which frames are in use.

use alloc::vec;
use alloc::vec::Vec;

use crate::traffic::Traffic;

/// Size of a tmem page (and of a frame) in bytes.
pub const PAGE_SIZE: usize = 4096;

/// One page of data.
pub type Page = [u8; PAGE_SIZE];

/// Index of a frame within a [`FrameProvider`], `0..frame_count()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FrameId(pub u32);

/// Access to the frames the store may use.
///
/// The store calls [`frame_count`](FrameProvider::frame_count) once, in
/// [`Store::new`](crate::Store::new), and afterwards only asks for frames with
/// an id below that count. Which frames are free is the store's business: a
/// provider only maps an id to memory, so an implementation over a window of
/// `N` physically contiguous frames is a bounds check and an offset.
///
/// ```
/// use tmem_store::{FrameId, FrameProvider, Page, PAGE_SIZE};
///
/// /// Frames carved out of one static buffer.
/// struct Window<'a>(&'a mut [Page]);
///
/// impl FrameProvider for Window<'_> {
///     fn frame_count(&self) -> u32 {
///         self.0.len() as u32
///     }
///     fn frame(&self, id: FrameId) -> &Page {
///         &self.0[id.0 as usize]
///     }
///     fn frame_mut(&mut self, id: FrameId) -> &mut Page {
///         &mut self.0[id.0 as usize]
///     }
/// }
///
/// let mut memory = vec![[0u8; PAGE_SIZE]; 4];
/// let window = Window(&mut memory);
/// assert_eq!(window.frame_count(), 4);
/// ```
pub trait FrameProvider {
    /// Number of frames; fixed for the provider's lifetime.
    fn frame_count(&self) -> u32;
    /// Read access to frame `id` (`id.0 < frame_count()`).
    fn frame(&self, id: FrameId) -> &Page;
    /// Write access to frame `id` (`id.0 < frame_count()`).
    fn frame_mut(&mut self, id: FrameId) -> &mut Page;

    /// Fills the free frame `id` with `page`, which the store keeps whole
    /// (not compressed, not a zero page). A provider that can make the
    /// memory holding `page` itself become frame `id` (page flipping)
    /// overrides this; afterwards frame `id` must read as `page`. Returns
    /// the page-content bytes it read and wrote.
    fn write_page(&mut self, id: FrameId, page: &Page) -> Traffic {
        self.frame_mut(id).copy_from_slice(page);
        Traffic::copy(PAGE_SIZE)
    }

    /// Copies frame `id`, a whole page, into `out`. A provider with a
    /// faster copy than the slice's overrides this. Returns the bytes it
    /// read and wrote.
    fn read_page(&self, id: FrameId, out: &mut Page) -> Traffic {
        out.copy_from_slice(self.frame(id));
        Traffic::copy(PAGE_SIZE)
    }

    /// Copies frame `id` into `out` when the store frees the frame right
    /// after (an exclusive get of a page nobody shares). A provider that
    /// can hand the frame itself to the reader overrides this: the page
    /// then leaves in that frame, the memory behind `out` becomes frame
    /// `id` (free, its contents unspecified), and `out` need not hold the
    /// page. Returns the bytes it read and wrote.
    fn take_page(&mut self, id: FrameId, out: &mut Page) -> Traffic {
        self.read_page(id, out)
    }
}

/// A heap-backed [`FrameProvider`] for host tests and benchmarks.
///
/// Frames are allocated zeroed in one block, so on a host with lazy paging
/// only frames that are written to take physical memory.
pub struct VecFrames {
    frames: Vec<Page>,
}

impl VecFrames {
    /// `count` zeroed frames.
    pub fn new(count: u32) -> Self {
        Self {
            frames: vec![[0u8; PAGE_SIZE]; count as usize],
        }
    }
}

impl FrameProvider for VecFrames {
    fn frame_count(&self) -> u32 {
        self.frames.len() as u32
    }

    fn frame(&self, id: FrameId) -> &Page {
        &self.frames[id.0 as usize]
    }

    fn frame_mut(&mut self, id: FrameId) -> &mut Page {
        &mut self.frames[id.0 as usize]
    }
}
