//! A caller's memory as the server sees it during one call: its window
//! (copy mode) or the frame it lent for the call (grant-map), mapped at
//! the spare pages. Never more than what is mapped.

use block_protocol::config::ExchangeMode;
use block_protocol::BLOCK_SIZE;
use block_server::service::Buffers;

use super::Window;

/// One call's view.
pub struct Caller {
    /// The caller's window, if it has one.
    pub window: Option<Window>,
    /// The lent frame's address, pages, and whether it is writable.
    pub lent: Option<(u32, u32, bool)>,
}

impl Buffers for Caller {
    fn buffer(
        &mut self,
        mode: ExchangeMode,
        page: u32,
        count: u32,
        writable: bool,
    ) -> Option<&mut [u8]> {
        let (address, pages) = match mode {
            ExchangeMode::Copy => {
                let window = self.window?;
                let end = page.checked_add(count)?;
                if end > window.pages {
                    return None;
                }
                (window.address + page * BLOCK_SIZE as u32, count)
            }
            ExchangeMode::GrantMap => {
                let (address, pages, frame_writable) = self.lent?;
                if count > pages || (writable && !frame_writable) {
                    return None;
                }
                (address, count)
            }
        };
        // SAFETY: the range lies in a mapping made for this call (the lent
        // frame, until the reply) or for the partition's life (the
        // window), writable where `writable` asks. The client may change
        // it meanwhile; that only garbles its own data.
        Some(unsafe {
            core::slice::from_raw_parts_mut(address as *mut u8, pages as usize * BLOCK_SIZE)
        })
    }
}
