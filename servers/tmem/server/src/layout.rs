//! Where the server's capabilities and mappings are: the contract between
//! the system description (which fills the capability slots; xtask checks
//! `[tmem]` against these numbers) and the partition (which maps them in
//! its grant window). Numbers only; nothing here touches a capability.
//!
//! ```text
//! capability slots                  grant window (GRANT_WINDOW + offset)
//! 0        service endpoint         0x00000  pool frame 0, 1, ... (one page each)
//! 1        control endpoint         0xB0000  spare pages: where a frame that
//! 2        tmem memory frame (deleted        comes with a call is mapped
//!          once split into pool frames)
//! 8 + k-1  client k's window        0xC0000 + 0x8000 (k-1)  client k's window
//! 16..32   spare slots (calls' frames land here)
//! 32 + i   pool frame i (split from the memory frame)
//! ```
//!
//! The description must give the server `cap_slots` of at least
//! 32 + the memory frame's pages. Nothing here may overlap: the pool ends
//! where the spare pages begin, so the memory frame has at most
//! [`MAX_POOL_FRAMES`] pages (more are left unused).

use crate::MAX_CLIENTS;
use kernel_abi::user_layout::GRANT_WINDOW;

/// The endpoint clients call.
pub const SERVICE: u16 = 0;
/// The endpoint the manager calls.
pub const CONTROL: u16 = 1;
/// The frame of tmem memory the description gives the server.
pub const MEMORY: u16 = 2;
/// Client k's window is in slot `WINDOWS + k - 1`.
pub const WINDOWS: u16 = 8;
/// Slots where frames that come with calls land.
pub const SPARE_SLOTS: core::ops::Range<u16> = 16..32;
/// Pool frame i is in slot `POOL + i`.
pub const POOL: u16 = 32;

/// Where pool frame 0 is mapped.
pub const POOL_BASE: u32 = GRANT_WINDOW;
/// Pool frames that fit below the spare pages.
pub const MAX_POOL_FRAMES: u32 = 0xB0;
/// The first spare page.
pub const SPARE_BASE: u32 = GRANT_WINDOW + 0xB_0000;
/// Where client 1's window is mapped.
pub const WINDOW_BASE: u32 = GRANT_WINDOW + 0xC_0000;
/// Room for each window.
pub const WINDOW_STRIDE: u32 = 0x8000;

/// Where client `client`'s (1-based) window is mapped.
pub const fn window_address(client: usize) -> u32 {
    WINDOW_BASE + (client as u32 - 1) * WINDOW_STRIDE
}

const _: () = assert!(WINDOW_BASE + MAX_CLIENTS as u32 * WINDOW_STRIDE <= GRANT_WINDOW + 0x10_0000);
const _: () =
    assert!(SPARE_BASE + (SPARE_SLOTS.end - SPARE_SLOTS.start) as u32 * 4096 <= WINDOW_BASE);
