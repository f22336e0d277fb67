//! Where a request's page and request block are, as the service sees them:
//! the client's shared window (copy mode) or the frame that came with the
//! call (grant-map and transfer). The partition code implements this over
//! its mappings; host tests implement it over plain memory.
//!
//! An implementation must never hand out memory the client cannot also
//! see (the service writes replies to gets there) and must return `None`,
//! not panic, for a slot beyond the window or a frame that did not come.

use tmem_protocol::{RequestBlock, Slot};
use tmem_store::Page;

/// A calling client's pages.
pub trait ClientPages {
    /// The request block of `slot` in the client's window, if the window
    /// has that slot.
    fn block(&self, slot: Slot) -> Option<RequestBlock>;
    /// Page `i` of what a put or run reads or a get fills: page slot
    /// `slot + i` of the window in copy mode, page `i` of the frame passed
    /// with the call otherwise (`None` if there is no such page, none
    /// came or, for a get, it is not writable). A single-page put or get
    /// asks for page 0.
    fn page(&mut self, slot: Slot, i: usize) -> Option<&mut Page>;
}
