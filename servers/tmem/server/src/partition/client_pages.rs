//! A calling client's pages as this partition sees them: its window, and
//! the frame that came with the call, mapped at a spare page.
//!
//! It must never give out memory beyond the window's mapped length or a
//! frame that was not mapped for this call.

use tmem_protocol::{ExchangeMode, RequestBlock, Slot};
use tmem_server::ClientPages;
use tmem_store::Page;

use super::Window;

/// One call's view of the caller's memory.
pub struct CallerPages {
    /// The caller's window, if it has one.
    pub window: Option<Window>,
    /// Where the frame passed with the call is mapped and its pages, if
    /// one came and was mapped writable when the call needs it.
    pub frame: Option<(u32, usize)>,
    /// The caller's configured mode.
    pub mode: ExchangeMode,
}

impl CallerPages {
    fn window(&self) -> Option<&[u8]> {
        let window = self.window?;
        // SAFETY: setup mapped the window read/write with this length, and
        // it stays mapped for the partition's life. The client may write it
        // concurrently; the service reads each block once and copies pages
        // out, so a torn page only hurts the client that tore it.
        Some(unsafe { core::slice::from_raw_parts(window.address as *const u8, window.len) })
    }

    fn window_mut(&mut self) -> Option<&mut [u8]> {
        let window = self.window?;
        // SAFETY: as in `window`; `&mut self` makes this the only borrow
        // this partition holds.
        Some(unsafe { core::slice::from_raw_parts_mut(window.address as *mut u8, window.len) })
    }
}

impl ClientPages for CallerPages {
    fn block(&self, slot: Slot) -> Option<RequestBlock> {
        slot.block(self.window()?).map(RequestBlock::from_bytes)
    }

    fn page(&mut self, slot: Slot, i: usize) -> Option<&mut Page> {
        match self.mode {
            ExchangeMode::Copy => {
                let slot = Slot::new(u32::from(slot.number()) + i as u32)?;
                slot.page_mut(self.window_mut()?)
            }
            ExchangeMode::GrantMap | ExchangeMode::Transfer => {
                let (address, pages) = self.frame?;
                let page = (i < pages).then_some(address as usize + i * 4096)?;
                // SAFETY: the call's frame is mapped here (`pages` pages,
                // and writable if the request writes them) until the reply.
                Some(unsafe { &mut *(page as *mut Page) })
            }
        }
    }
}
