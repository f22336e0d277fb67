//! Where the server's capabilities, devices and mappings are: the contract
//! between the system description (xtask checks `[[disk]]` against these
//! numbers) and the partition. Numbers only.
//!
//! ```text
//! capability slots              address space
//! 0   service endpoint          0x3000_0000  the MMCI (PL181) registers
//! 1   interrupt notification    0x3000_1000  the SP804 timer (deadlines)
//! 2   MMCI interrupt (41)       GRANT_WINDOW + 0x2_0000 (k-1)  client k's window
//! 3   timer interrupt (34)      SPARE_BASE   a frame lent with a call
//! 8 + k-1  client k's window
//! 16  where a lent frame lands
//! ```

use block_protocol::config::MAX_CLIENTS;
use kernel_abi::user_layout::GRANT_WINDOW;

/// The endpoint clients call.
pub const SERVICE: u16 = 0;
/// The notification both interrupts signal.
pub const INTERRUPTS: u16 = 1;
/// The MMCI's interrupt line (its MASK0 output).
pub const MMCI_IRQ: u16 = 2;
/// The timer's interrupt line.
pub const TIMER_IRQ: u16 = 3;
/// Client k's window is in slot `WINDOWS + k - 1`.
pub const WINDOWS: u16 = 8;
/// Where a frame lent with a call lands.
pub const LENT: u16 = 16;

/// Notification bit of the MMCI interrupt.
pub const MMCI_BIT: u32 = 1 << 0;
/// Notification bit of the timer interrupt.
pub const TIMER_BIT: u32 = 1 << 1;

/// Where the MMCI is mapped.
pub const MMCI_ADDRESS: u32 = 0x3000_0000;
/// Where the SP804 is mapped.
pub const TIMER_ADDRESS: u32 = 0x3000_1000;

/// Room for each client's window.
pub const WINDOW_STRIDE: u32 = 0x2_0000;
/// The most pages of a window that are used (the run limit in copy mode).
pub const WINDOW_PAGES: u32 = WINDOW_STRIDE / 4096;
/// Where a lent frame is mapped.
pub const SPARE_BASE: u32 = GRANT_WINDOW + MAX_CLIENTS as u32 * WINDOW_STRIDE;
/// The most pages of a lent frame that are used (the run limit in
/// grant-map mode).
pub const SPARE_PAGES: u32 = 64;

/// Where client `client`'s (1-based) window is mapped.
pub const fn window_address(client: usize) -> u32 {
    GRANT_WINDOW + (client as u32 - 1) * WINDOW_STRIDE
}

const _: () = assert!(SPARE_BASE + SPARE_PAGES * 4096 <= GRANT_WINDOW + 0x10_0000);
