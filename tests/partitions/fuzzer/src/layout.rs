//! Where things are for the fuzzer partition: the parts of its address
//! space the kernel must never be asked to write into, the grant-window
//! zones (random mappings, crafted scenarios, the helper thread), the
//! capability slots its system description gives it, and the magic words
//! its threads exchange.
//!
//! `tests/systems/fuzz*.toml` must place the capabilities exactly as
//! [`slot`] says; the system test checks the fuzzer's report, which goes
//! wrong if they differ. Nothing here may depend on the running system.

use core::ops::Range;

use kernel_abi::syscall::IPC_BUFFERS;
use kernel_abi::user_layout::{GRANT_WINDOW, GRANT_WINDOW_SIZE, PAGE_SIZE, USER_BASE, USER_TOP};

/// The fuzzer's own memory (image, data, stacks) lies in here: its
/// `memory_kib` must be at most 1024.
pub const OWN_MEMORY: Range<u32> = USER_BASE..USER_BASE + 0x10_0000;
/// IPC buffers and the grant window: memory the fuzzer's threads read and
/// its frames are mapped in.
pub const UPPER_MEMORY: Range<u32> = IPC_BUFFERS..USER_TOP;
/// The end of the grant window.
pub const GRANT_WINDOW_END: u32 = GRANT_WINDOW + GRANT_WINDOW_SIZE;
/// The largest frame the fuzzer can hold, in pages (its own frame).
pub const MAX_FRAME_PAGES: u32 = 4;
/// Grant-window addresses random `frame_map` calls may use: a frame mapped
/// at the last of them still ends below [`SCENARIO_VA`].
pub const RANDOM_MAPS: Range<u32> =
    GRANT_WINDOW..GRANT_WINDOW + 0x8_0000 - MAX_FRAME_PAGES * PAGE_SIZE;
/// Where the crafted scenarios map frames (up to 0x7F0E_FFFF).
pub const SCENARIO_VA: u32 = GRANT_WINDOW + 0x8_0000;
/// Where the helper thread maps a frame it receives.
pub const HELPER_VA: u32 = GRANT_WINDOW + 0xF_0000;
/// Grant-window addresses random calls must never map at.
pub const RESERVED_MAPS: Range<u32> = RANDOM_MAPS.end..GRANT_WINDOW_END;

/// The fuzzer's capability slots, as its system description places them.
pub mod slot {
    /// Its own endpoint (read, write, grant): its helper thread serves
    /// calls on it, its feeder thread sends on it.
    pub const ENDPOINT: u16 = 0;
    /// Its own notification (read, write); interrupt [`super::IRQ`]
    /// signals it too.
    pub const NOTIFICATION: u16 = 1;
    /// Its own frame of [`super::MAX_FRAME_PAGES`] pages (read, write,
    /// grant), each page starting with [`super::page_pattern`].
    pub const FRAME: u16 = 2;
    /// A one-page frame it may only read (read, grant).
    pub const READ_ONLY_FRAME: u16 = 3;
    /// The victim echo server's endpoint (write, grant), badged
    /// `test_victim::FUZZER_BADGE`.
    pub const VICTIM: u16 = 4;
    /// An interrupt line no device raises.
    pub const IRQ: u16 = 5;
    /// PartitionControl with read only: stopping anything must fail.
    pub const CONTROL: u16 = 6;
    /// Its own endpoint again (write only), badged
    /// [`super::FEEDER_BADGE`]: the feeder thread's.
    pub const FEEDER: u16 = 7;
    /// The first slot the description leaves empty.
    pub const FIRST_FREE: u16 = 8;
    /// Where the scenarios put the capabilities they make.
    pub const SCENARIO: u16 = 46;
    /// Where the helper thread accepts a capability passed to it.
    pub const HELPER_RECEIVE: u16 = 47;
    /// How many slots the fuzzer has (`cap_slots`): fewer than 64, so no
    /// capability can have more than 64 copies (issue 17's first bug
    /// needs more; it is not what this test is about).
    pub const COUNT: u16 = 48;
}

/// The interrupt bound to the fuzzer's notification (UART3 on
/// vexpress-a9: no device of the fuzzer's raises it).
pub const IRQ: u32 = 40;
/// The badge on the feeder's capability.
pub const FEEDER_BADGE: u32 = 0xFEED;
/// First word of a feeder message.
pub const FEED: u32 = 0xFEED_F00D;
/// First word of the feeder's last message, sent once the fuzzer is done.
pub const BYE: u32 = 0xB1E5_B1E5;
/// First word of a call asking the helper to check the frame lent with it
/// and to leave its mapping for the kernel to take down at the reply.
pub const LEND_CHECK: u32 = 0x1E4D_C4EC;

/// The first word of page `page` of the fuzzer's own frame.
pub const fn page_pattern(page: u32) -> u32 {
    0xF0CC_0000 | page
}

// The zones are ordered and disjoint, and the slots fit the space.
const _: () = {
    assert!(RANDOM_MAPS.start == GRANT_WINDOW);
    assert!(RANDOM_MAPS.end + MAX_FRAME_PAGES * PAGE_SIZE == SCENARIO_VA);
    assert!(SCENARIO_VA + 0x7_0000 <= HELPER_VA);
    assert!(HELPER_VA + MAX_FRAME_PAGES * PAGE_SIZE <= GRANT_WINDOW_END);
    assert!(RESERVED_MAPS.start <= SCENARIO_VA && HELPER_VA < RESERVED_MAPS.end);
    assert!(slot::SCENARIO < slot::HELPER_RECEIVE && slot::HELPER_RECEIVE < slot::COUNT);
    assert!(slot::FEEDER < slot::FIRST_FREE && slot::FIRST_FREE <= slot::SCENARIO);
};

/// Whether the `len` bytes from `start` (which may wrap past the top of
/// the address space) overlap `region`.
pub fn touches(start: u32, len: u32, region: &Range<u32>) -> bool {
    if len == 0 || region.is_empty() {
        return false;
    }
    let (s, e) = (u64::from(start), u64::from(start) + u64::from(len));
    let (a, b) = (u64::from(region.start), u64::from(region.end));
    let wrapped = 1u64 << 32;
    (s < b && a < e) || (e > wrapped && a < e - wrapped)
}

// The zones are ordered and disjoint, and the slots fit the space.
const _: () = {
    assert!(RANDOM_MAPS.start == GRANT_WINDOW);
    assert!(RANDOM_MAPS.end + MAX_FRAME_PAGES * PAGE_SIZE == SCENARIO_VA);
    assert!(SCENARIO_VA + 0x7_0000 <= HELPER_VA);
    assert!(HELPER_VA + MAX_FRAME_PAGES * PAGE_SIZE <= GRANT_WINDOW_END);
    assert!(RESERVED_MAPS.start <= SCENARIO_VA && HELPER_VA < RESERVED_MAPS.end);
    assert!(slot::SCENARIO < slot::HELPER_RECEIVE && slot::HELPER_RECEIVE < slot::COUNT);
    assert!(slot::FEEDER < slot::FIRST_FREE && slot::FIRST_FREE <= slot::SCENARIO);
};

/// Whether the `len` bytes from `start` lie wholly inside `region`.
pub fn inside(start: u32, len: u32, region: &Range<u32>) -> bool {
    let end = u64::from(start) + u64::from(len);
    start >= region.start && end <= u64::from(region.end)
}

/// Whether the kernel might read or write the fuzzer's own memory, IPC
/// buffers or mapped frames through the `len` bytes from `start`.
pub fn touches_own(start: u32, len: u32) -> bool {
    touches(start, len, &OWN_MEMORY) || touches(start, len, &UPPER_MEMORY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_overlap_including_across_the_top() {
        let r = 0x1000..0x2000;
        assert!(touches(0x1FFF, 1, &r));
        assert!(!touches(0x2000, 8, &r));
        assert!(!touches(0x0FF8, 8, &r));
        assert!(touches(0x0FF8, 9, &r));
        assert!(!touches(0x1800, 0, &r), "nothing is touched by no bytes");
        assert!(touches(0xFFFF_FF00, 0x1200, &r), "wraps to 0x1100");
        assert!(!touches(0xFFFF_FF00, 0x1100, &r), "wraps to 0x1000");
        assert!(touches(0xFFFF_FFFF, u32::MAX, &(0..1)));
        assert!(inside(0x1000, 0x1000, &r));
        assert!(!inside(0x1000, 0x1001, &r));
        assert!(!inside(0xFFFF_FFF8, 16, &(0xFFFF_0000..0xFFFF_FFFF)));
    }

    #[test]
    fn own_memory_covers_image_ipc_buffers_and_grant_window() {
        assert!(touches_own(USER_BASE, 1));
        assert!(touches_own(IPC_BUFFERS, 8));
        assert!(touches_own(HELPER_VA, 4));
        assert!(touches_own(USER_BASE - 4, 8), "straddles the start");
        assert!(!touches_own(0x4000_0000, 8));
        assert!(!touches_own(USER_TOP, 8), "the kernel's half is not ours");
    }
}
