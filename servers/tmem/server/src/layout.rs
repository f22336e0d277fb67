//! Where the server's capabilities and mappings are: the contract between
//! the system description (which fills the capability slots; xtask checks
//! `[tmem]` against these numbers) and the partition (which maps them in
//! its grant window). Numbers only; nothing here touches a capability.
//!
//! ```text
//! capability slots                  grant window (GRANT_WINDOW + offset)
//! 0        service endpoint         0x00000  pool frame 0, 1, ... (one page each)
//! 1        control endpoint         0x60000  run pages: where the frame of a
//! 2        tmem memory frame (deleted        run (up to 64 pages) is mapped
//!          once split into pool frames,
//!          or mapped whole in the pool region if it is large)
//! 3        flip frame (with a large
//!          memory frame: split into the
//!          pool frames, then deleted)
//! 4        kept frame (optional:        (after the pool frames: the kept
//!          the journal, see below)       frame, whole; then pages for
//!                                        frames the manager gives)
//! 8 + k-1  client k's window        0xA0000  spare pages: where a one-page
//! 16..32   spare slots (calls'               frame that comes with a call is mapped
//!          frames land here)        0xB0000  the clients' windows, one after
//! 32 + i   pool frame i (split               another in client order
//!          from the memory frame;   0x100000 end of the grant window
//!          then slots for frames
//!          the manager gives)
//! 128      probe (a frame that came
//!          with a call is split here
//!          to see it is one page)
//! ```
//!
//! A memory frame of whole, 1 MiB-aligned megabytes (a `"rest"` frame) is
//! mapped whole at [`POOL_REGION`] (the kernel maps it in sections) and
//! holds the store's pages and its tables (the heap, [`TABLE_SHARE`]); then
//! the pool frames, which transfer mode flips with clients, come from the
//! flip frame in slot [`FLIPS`], if any.
//!
//! A frame in slot [`KEPT`] holds the persistent-page journal
//! (`tmem_store::journal`): it is mapped whole right after the pool
//! frames, so pool frames and kept pages together are at most
//! [`MAX_POOL_FRAMES`]. The description gives the same frame to a keeper
//! partition too (any rights; it need not map it): the kernel clears a
//! restarted partition's boot frames only when no other partition holds
//! them, so this one keeps its contents across a restart of the server.
//!
//! The store's capacity is fixed at boot: its boot frames and, for frames
//! the manager gives (`pool_moves`), as many more as there are pool slots
//! the description's `cap_slots` has past the boot frames' and pool pages
//! past the boot frames' and the kept frame's.
//!
//! The description must give the server `cap_slots` of at least
//! 32 + the split frame's pages (129 or more for frames to come). Nothing here may overlap: the pool ends
//! where the run pages begin, so the memory frame has at most
//! [`MAX_POOL_FRAMES`] pages (more are left unused), and the windows
//! together have at most [`WINDOWS_PAGES`] pages.

use crate::MAX_CLIENTS;
use kernel_abi::user_layout::GRANT_WINDOW;
pub use kernel_abi::user_layout::POOL_REGION;

/// The endpoint clients call.
pub const SERVICE: u16 = 0;
/// The endpoint the manager calls.
pub const CONTROL: u16 = 1;
/// The frame of tmem memory the description gives the server.
pub const MEMORY: u16 = 2;
/// The frame split into pool frames when the memory frame is large.
pub const FLIPS: u16 = 3;
/// The frame the journal of persistent pages lives in, if any.
pub const KEPT: u16 = 4;
/// Client k's window is in slot `WINDOWS + k - 1`.
pub const WINDOWS: u16 = 8;
/// Slots where frames that come with calls land.
pub const SPARE_SLOTS: core::ops::Range<u16> = 16..32;
/// Pool frame i is in slot `POOL + i`.
pub const POOL: u16 = 32;

/// Of a large memory frame's pages, one in `TABLE_SHARE` holds the
/// store's tables (its heap) rather than pages: the tables take about 500
/// bytes per store page (measured with three clients and two metadata
/// records per page), and one page in seven leaves 680.
pub const TABLE_SHARE: u32 = 7;
/// Where pool frame 0 is mapped.
pub const POOL_BASE: u32 = GRANT_WINDOW;
/// Pool frames that fit below the run pages.
pub const MAX_POOL_FRAMES: u32 = 0x60;
/// Where the frame of a run is mapped.
pub const RUN_BASE: u32 = GRANT_WINDOW + 0x6_0000;
/// The first spare page.
pub const SPARE_BASE: u32 = GRANT_WINDOW + 0xA_0000;
/// Where client 1's window is mapped; the next client's follows it.
pub const WINDOW_BASE: u32 = GRANT_WINDOW + 0xB_0000;
/// Pages all windows together may have.
pub const WINDOWS_PAGES: u32 = (GRANT_WINDOW + 0x10_0000 - WINDOW_BASE) / 4096;

const _: () = assert!(POOL_BASE + MAX_POOL_FRAMES * 4096 <= RUN_BASE);
const _: () = assert!(RUN_BASE + tmem_protocol::MAX_RUN as u32 * 4096 <= SPARE_BASE);
const _: () =
    assert!(SPARE_BASE + (SPARE_SLOTS.end - SPARE_SLOTS.start) as u32 * 4096 <= WINDOW_BASE);
// A window of a block page and one page slot per client fits.
const _: () = assert!(2 * MAX_CLIENTS as u32 <= WINDOWS_PAGES);
