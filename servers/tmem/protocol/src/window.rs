//! The shared window between a client and the server: where each slot's
//! request block and page live.
//!
//! Every client has a window, whatever its exchange mode: one *block page*
//! of [`MAX_SLOTS`] request blocks, then `n >= 1` page slots of
//! [`PAGE_SIZE`] bytes. A client thread owns one slot for its calls (calls
//! are synchronous, so a slot is never used by two calls at once); the slot
//! names both its request block and its page slot. In copy mode the page
//! travels in the page slot; in every mode control messages do.
//!
//! ```text
//! offset                      contents
//! 0                           request block of slot 0 (32 bytes)
//! 32 * s                      request block of slot s
//! 4096 * (1 + s)              page slot s (4096 bytes)
//! ```
//!
//! This module only computes offsets; it must never trust a slot beyond
//! the window's real size (the functions return `None` instead of
//! panicking) and never hold on to window contents, which the client can
//! change at any moment.

use core::ops::Range;

use crate::request_block::REQUEST_BLOCK_SIZE;

/// Bytes in a page.
pub const PAGE_SIZE: usize = 4096;

/// Most slots a window can have: as many request blocks as fit in the
/// block page.
pub const MAX_SLOTS: usize = PAGE_SIZE / REQUEST_BLOCK_SIZE;

/// A slot of a client's window, `0..MAX_SLOTS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Slot(u8);

impl Slot {
    /// Slot 0.
    pub const FIRST: Slot = Slot(0);

    /// Slot `number`, if it is below [`MAX_SLOTS`].
    pub const fn new(number: u32) -> Option<Slot> {
        if (number as usize) < MAX_SLOTS {
            Some(Slot(number as u8))
        } else {
            None
        }
    }

    /// The slot's number.
    pub const fn number(self) -> u8 {
        self.0
    }

    /// Where the slot's request block lies in the window.
    pub const fn block_range(self) -> Range<usize> {
        let start = self.0 as usize * REQUEST_BLOCK_SIZE;
        start..start + REQUEST_BLOCK_SIZE
    }

    /// Where the slot's page lies in the window.
    pub const fn page_range(self) -> Range<usize> {
        let start = (1 + self.0 as usize) * PAGE_SIZE;
        start..start + PAGE_SIZE
    }

    /// The slot's request block in `window`, if the window is long enough.
    pub fn block(self, window: &[u8]) -> Option<&[u8; REQUEST_BLOCK_SIZE]> {
        window.get(self.block_range())?.try_into().ok()
    }

    /// The slot's request block in `window`, for writing.
    pub fn block_mut(self, window: &mut [u8]) -> Option<&mut [u8; REQUEST_BLOCK_SIZE]> {
        window.get_mut(self.block_range())?.try_into().ok()
    }

    /// The slot's page in `window`, if the window has that page slot.
    pub fn page(self, window: &[u8]) -> Option<&[u8; PAGE_SIZE]> {
        window.get(self.page_range())?.try_into().ok()
    }

    /// The slot's page in `window`, for writing.
    pub fn page_mut(self, window: &mut [u8]) -> Option<&mut [u8; PAGE_SIZE]> {
        window.get_mut(self.page_range())?.try_into().ok()
    }
}

/// Bytes of a window with `slots` page slots (`None` beyond [`MAX_SLOTS`]).
pub const fn window_size(slots: usize) -> Option<usize> {
    if slots > MAX_SLOTS {
        None
    } else {
        Some((1 + slots) * PAGE_SIZE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_bounded() {
        assert_eq!(MAX_SLOTS, 128);
        assert_eq!(Slot::new(0).map(Slot::number), Some(0));
        assert_eq!(Slot::new(127).map(Slot::number), Some(127));
        assert_eq!(Slot::new(128), None);
        assert_eq!(Slot::new(u32::MAX), None);
    }

    #[test]
    fn blocks_fill_the_first_page_and_pages_follow() {
        let last = Slot::new(127).unwrap();
        assert_eq!(last.block_range(), 4064..4096);
        assert_eq!(Slot::default().page_range(), 4096..8192);
        assert_eq!(last.page_range().end, window_size(128).unwrap());
        assert_eq!(window_size(129), None);
    }

    #[test]
    fn short_windows_give_none() {
        let mut window = [0u8; 2 * PAGE_SIZE];
        let first = Slot::new(0).unwrap();
        let second = Slot::new(1).unwrap();
        assert!(first.page(&window).is_some());
        assert!(second.page(&window).is_none());
        assert!(second.block(&window).is_some());
        assert!(second.page_mut(&mut window).is_none());
        assert!(first.block(&[0u8; 31]).is_none());
        first.block_mut(&mut window).unwrap()[0] = 7;
        assert_eq!(window[0], 7);
    }
}
