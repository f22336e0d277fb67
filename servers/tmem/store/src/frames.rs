//! The frame-provider interface: where the store keeps page contents.
//!
//! The store never allocates page memory itself. It is handed 4 KiB frames
//! (in the server: the physical frames it owns, mapped in a virtual
//! window; on the host: a `Vec`) under ids below a capacity fixed when it
//! is built, and does its own bookkeeping of which frame is free, in use or
//! absent: it grows by a frame the provider attaches under an absent id
//! and shrinks by one it gives up (`Store::grow`, `Store::shrink`). A
//! provider must only give access to frames; it must never decide which
//! frames are in use.

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
/// The store calls [`frame_count`](FrameProvider::frame_count) (its
/// capacity) and [`present_at_start`](FrameProvider::present_at_start) in
/// [`Store::new`](crate::Store::new), and afterwards only asks for frames it
/// holds: present at the start or added by [`Store::grow`](crate::Store::grow),
/// and not given up by [`Store::shrink`](crate::Store::shrink). Which frames
/// are free is the store's business: a provider only maps an id to memory,
/// so an implementation over a window of `N` physically contiguous frames
/// is a bounds check and an offset.
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
    /// Number of frame ids (the most frames the store can ever hold); fixed
    /// for the provider's lifetime.
    fn frame_count(&self) -> u32;
    /// Whether frame `id` is there when the store is built (asked once per
    /// id, in `Store::new`); the others are absent until the store grows.
    fn present_at_start(&self, id: FrameId) -> bool {
        let _ = id;
        true
    }
    /// Frames with an id below this may leave the store
    /// ([`Store::shrink`](crate::Store::shrink)); the others are the
    /// provider's for good. Fixed for the provider's lifetime.
    fn releasable_below(&self) -> u32 {
        self.frame_count()
    }
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
/// only frames that are written to take physical memory. It can hold fewer
/// frames than its capacity ([`VecFrames::with_room`]): an absent frame's
/// memory is scribbled over when it goes, and touching it panics, so a
/// store that used a frame it gave up is caught.
pub struct VecFrames {
    frames: Vec<Page>,
    present: Vec<bool>,
    releasable_below: u32,
}

/// What an absent frame's memory is filled with.
const GONE: u8 = 0xA5;

impl VecFrames {
    /// `count` zeroed frames, all present.
    pub fn new(count: u32) -> Self {
        Self::with_room(count, count)
    }

    /// `count` zeroed frames present, ids up to `capacity` to grow into.
    pub fn with_room(count: u32, capacity: u32) -> Self {
        Self {
            frames: vec![[0u8; PAGE_SIZE]; capacity as usize],
            present: (0..capacity).map(|id| id < count).collect(),
            releasable_below: capacity,
        }
    }

    /// Only frames with an id below `below` may leave.
    pub fn releasable_below(mut self, below: u32) -> Self {
        self.releasable_below = below;
        self
    }

    /// Frame `id` arrives (for `Store::grow`).
    pub fn attach(&mut self, id: FrameId) {
        self.present[id.0 as usize] = true;
    }

    /// Frame `id` leaves (for `Store::shrink`): its memory is scribbled on.
    pub fn detach(&mut self, id: FrameId) {
        self.frames[id.0 as usize].fill(GONE);
        self.present[id.0 as usize] = false;
    }

    /// Whether frame `id` is here.
    pub fn holds(&self, id: FrameId) -> bool {
        self.present.get(id.0 as usize).copied().unwrap_or(false)
    }

    fn check(&self, id: FrameId) {
        assert!(self.holds(id), "the store touched absent frame {}", id.0);
    }
}

impl FrameProvider for VecFrames {
    fn frame_count(&self) -> u32 {
        self.frames.len() as u32
    }

    fn present_at_start(&self, id: FrameId) -> bool {
        self.holds(id)
    }

    fn releasable_below(&self) -> u32 {
        self.releasable_below
    }

    fn frame(&self, id: FrameId) -> &Page {
        self.check(id);
        &self.frames[id.0 as usize]
    }

    fn frame_mut(&mut self, id: FrameId) -> &mut Page {
        self.check(id);
        &mut self.frames[id.0 as usize]
    }
}
