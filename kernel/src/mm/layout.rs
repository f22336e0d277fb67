//! The kernel's virtual address-space layout.
//!
//! ```text
//! 0x0000_0000 .. 0x8000_0000   partitions (TTBR0, TTBCR.N = 1)
//! 0x8000_0000 .. 0xC000_0000   unused, faults
//! 0xC000_0000 .. +RAM size     RAM, linearly (kernel image inside), at most
//!                              the first 768 MiB of it
//! 0xF000_0000 .. +16 MiB       device window: board MMIO sections, 1 MiB each
//! 0xF100_0000 .. +1 MiB        RAM window: one section of RAM beyond the
//!                              linear map at a time (`arch::mmu`)
//! ```
//!
//! The linear map holds at most [`RAM_VIRT_MAX`] (768 MiB) of the RAM the
//! machine has ([`linear_map_end`]). RAM beyond it (the 1 GiB Tegra boards,
//! QEMU `-m 1G`) is still RAM the kernel hands out — to partitions, which
//! reach it through their own tables — and the kernel itself reaches it, to
//! zero or copy, only through the [`RAM_WINDOW_VIRT`] section (see
//! `mm::phys_access`). How much RAM there is is known only at boot
//! ([`ram_end`]): the board gives what it certainly has and the most it
//! can have.
//!
//! This file is also compiled into the kernel's build script to produce the
//! linker's addresses, so it may use only `core` and `platform`; it must
//! never refer to the rest of the kernel crate.

use platform::Board;

/// First address translated through TTBR1 (TTBCR.N = 1): the kernel half.
pub const KERNEL_HALF: usize = 0x8000_0000;
/// Virtual address of the first byte of RAM.
pub const RAM_VIRT_BASE: usize = 0xC000_0000;
/// The most RAM the linear map can hold.
pub const RAM_VIRT_MAX: usize = DEVICE_VIRT_BASE - RAM_VIRT_BASE;
/// Virtual address of the device window.
pub const DEVICE_VIRT_BASE: usize = 0xF000_0000;
/// The most 1 MiB device sections the window holds.
pub const DEVICE_SECTIONS_MAX: usize = 16;
/// Virtual address of the RAM window: the section after the device window.
pub const RAM_WINDOW_VIRT: usize = DEVICE_VIRT_BASE + DEVICE_SECTIONS_MAX * SECTION;
/// TTBCR.N: TTBR0 covers the low 2 GiB.
pub const TTBCR_N: u32 = 1;

const SECTION: usize = 1 << 20;
const PAGE: usize = 4096;

// The RAM window lies past the linear map and the device window.
const _: () = assert!(
    RAM_WINDOW_VIRT >= RAM_VIRT_BASE + RAM_VIRT_MAX
        && RAM_WINDOW_VIRT >= DEVICE_VIRT_BASE + DEVICE_SECTIONS_MAX * SECTION
);

/// What `virt - phys` is for anything in RAM on `board`.
pub const fn virt_offset(board: &Board) -> usize {
    RAM_VIRT_BASE.wrapping_sub(board.ram.base)
}

/// How many bytes of `board`'s RAM, from its first byte, the linear map
/// can cover: all the RAM the board can have, or [`RAM_VIRT_MAX`] if it
/// can have more. On a machine with less RAM, only the RAM it has is
/// mapped ([`linear_map_end`]).
pub const fn mapped_ram_size(board: &Board) -> usize {
    if board.ram_max_size < RAM_VIRT_MAX {
        board.ram_max_size
    } else {
        RAM_VIRT_MAX
    }
}

/// Where the machine's RAM ends (physical, one past the last byte), given
/// where the host says it ends (`reported`, if it says): the reported end,
/// rounded down to a page, when it lies above the board's first byte and
/// no further than the most RAM the board can have
/// (`platform::Board::ram_max_size`); else the end of the RAM the board
/// certainly has. A machine given less RAM than the board's default
/// (`qemu -m 128M`) or more (`-m 1G`) is believed; a nonsensical report is
/// not.
pub const fn ram_end(board: &Board, reported: Option<usize>) -> usize {
    match reported {
        Some(end) if end > board.ram.base && end <= board.ram_max_end() => {
            let end = end & !(PAGE - 1);
            if end > board.ram.base {
                end
            } else {
                board.ram.end()
            }
        }
        _ => board.ram.end(),
    }
}

/// Where the linear map ends (physical) on a machine whose RAM ends at
/// `ram_end`: at the end of its last whole megabyte, or where the linear
/// map can reach no further. RAM from here to `ram_end` is reached only
/// through the RAM window.
pub const fn linear_map_end(board: &Board, ram_end: usize) -> usize {
    let most = board.ram.base + mapped_ram_size(board);
    let whole = ram_end & !(SECTION - 1);
    if whole < most {
        whole
    } else {
        most
    }
}

/// Kernel virtual address of physical RAM address `pa`, if the linear map
/// can cover it on `board` (whether the machine has that RAM is the
/// caller's to know: see [`linear_map_end`]).
pub const fn ram_virt(board: &Board, pa: usize) -> Option<usize> {
    if pa >= board.ram.base && pa - board.ram.base < mapped_ram_size(board) {
        Some(pa.wrapping_add(virt_offset(board)))
    } else {
        None
    }
}

/// Physical address of kernel virtual address `va` in the linear map.
pub const fn ram_phys(board: &Board, va: usize) -> Option<usize> {
    if va >= RAM_VIRT_BASE && va - RAM_VIRT_BASE < mapped_ram_size(board) {
        Some(va.wrapping_sub(virt_offset(board)))
    } else {
        None
    }
}

/// Kernel virtual address of device register `pa`, if it lies in one of
/// the board's MMIO sections.
pub const fn device_virt(board: &Board, pa: usize) -> Option<usize> {
    let mut index = 0;
    while index < board.mmio_sections.len() && index < DEVICE_SECTIONS_MAX {
        let section = board.mmio_sections[index];
        if pa >= section && pa - section < SECTION {
            return Some(DEVICE_VIRT_BASE + index * SECTION + (pa - section));
        }
        index += 1;
    }
    None
}

/// Virtual address the kernel image is linked at.
pub const fn kernel_link_base(board: &Board) -> usize {
    kernel_link_base_at(board, board.kernel_load)
}

/// Virtual address the kernel image is linked at when it is loaded at
/// physical address `load` instead of the board's default.
pub const fn kernel_link_base_at(board: &Board, load: usize) -> usize {
    load.wrapping_add(virt_offset(board))
}

/// Whether an image loaded at `load` lies, with
/// [`platform::board::KERNEL_IMAGE_ROOM`] above it, inside the part of
/// the linear map that covers RAM the board certainly has.
pub const fn load_fits_linear_map(board: &Board, load: usize) -> bool {
    let certain = linear_map_end(board, board.ram.end()) - board.ram.base;
    load >= board.ram.base
        && load - board.ram.base <= certain
        && certain - (load - board.ram.base) >= platform::board::KERNEL_IMAGE_ROOM
}

#[cfg(test)]
mod tests {
    use super::*;
    use platform::boards::{tegra20, ALL, VEXPRESS_A9};

    #[test]
    fn vexpress_addresses() {
        let b = &VEXPRESS_A9;
        assert_eq!(ram_virt(b, 0x6000_0000), Some(0xC000_0000));
        assert_eq!(ram_virt(b, 0x6FFF_FFFF), Some(0xCFFF_FFFF));
        assert_eq!(ram_virt(b, 0x7000_0000), Some(0xD000_0000), "-m 512M");
        assert_eq!(ram_virt(b, 0x9000_0000), None);
        assert_eq!(ram_phys(b, 0xC001_0000), Some(0x6001_0000));
        assert_eq!(ram_phys(b, 0xF000_0000), None);
        assert_eq!(kernel_link_base(b), 0xC001_0000);
        assert_eq!(device_virt(b, 0x1000_9000), Some(0xF000_9000));
        assert_eq!(device_virt(b, 0x1E00_1000), Some(0xF010_1000));
        assert_eq!(device_virt(b, 0x2000_0000), None);
    }

    #[test]
    fn every_board_fits_the_layout() {
        for board in ALL {
            assert!(
                board.mmio_sections.len() <= DEVICE_SECTIONS_MAX,
                "{}",
                board.name
            );
            // The image and the room it may grow into are linearly mapped,
            // and the map never reaches the device window.
            assert!(
                load_fits_linear_map(board, board.kernel_load),
                "{}",
                board.name
            );
            assert!(mapped_ram_size(board) <= RAM_VIRT_MAX, "{}", board.name);
            let base = kernel_link_base(board);
            assert!(
                (RAM_VIRT_BASE..DEVICE_VIRT_BASE).contains(&base),
                "{}",
                board.name
            );
            let last = board.ram.base + mapped_ram_size(board) - 1;
            assert!(ram_virt(board, last).is_some_and(|va| va < DEVICE_VIRT_BASE));
            assert!(device_virt(board, board.console.base()).is_some());
            assert!(device_virt(board, board.gic_distributor()).is_some());
            for device in [board.legacy_ictlr, board.us_timer].into_iter().flatten() {
                assert!(device_virt(board, device).is_some(), "{}", board.name);
            }
        }
    }

    #[test]
    fn the_reported_ram_end_is_believed_up_to_the_most_the_board_can_have() {
        let b = &VEXPRESS_A9;
        assert_eq!(ram_end(b, None), 0x7000_0000, "the board's 256 MiB");
        assert_eq!(ram_end(b, Some(0x6800_0000)), 0x6800_0000, "-m 128M");
        assert_eq!(ram_end(b, Some(0x8000_0000)), 0x8000_0000, "-m 512M");
        assert_eq!(ram_end(b, Some(0xA000_0000)), 0xA000_0000, "-m 1G");
        assert_eq!(ram_end(b, Some(0xA010_0000)), 0x7000_0000, "past 1 GiB");
        assert_eq!(ram_end(b, Some(b.ram.base)), 0x7000_0000, "no RAM");
        assert_eq!(ram_end(b, Some(b.ram.base + 5)), 0x7000_0000, "no page");
        assert_eq!(ram_end(b, Some(0x1000)), 0x7000_0000, "below RAM");
        assert_eq!(ram_end(b, Some(0x6800_0123)), 0x6800_0000, "whole pages");
        // A board without a host believes nothing past its RAM.
        let paz00 = &tegra20::PAZ00;
        assert_eq!(ram_end(paz00, Some(0x4000_0000)), 0x2000_0000);
    }

    #[test]
    fn the_linear_map_covers_the_ram_there_is_up_to_768_mib() {
        let b = &VEXPRESS_A9;
        assert_eq!(mapped_ram_size(b), 768 << 20);
        assert_eq!(linear_map_end(b, 0x6800_0000), 0x6800_0000, "-m 128M");
        assert_eq!(linear_map_end(b, 0x8000_0000), 0x8000_0000, "-m 512M");
        assert_eq!(linear_map_end(b, 0xA000_0000), 0x9000_0000, "-m 1G");
        assert_eq!(linear_map_end(b, 0x6810_0800), 0x6810_0000, "whole MiB");
        assert_eq!(ram_virt(b, 0x8FFF_FFFF), Some(0xEFFF_FFFF));
        assert_eq!(ram_virt(b, 0x9000_0000), None, "beyond the linear map");
        assert_eq!(RAM_WINDOW_VIRT, 0xF100_0000);
    }

    #[test]
    fn a_1_gib_board_maps_its_first_768_mib() {
        let b = &tegra20::HARMONY;
        assert_eq!(mapped_ram_size(b), 768 << 20);
        assert_eq!(ram_virt(b, 0), Some(0xC000_0000));
        assert_eq!(ram_virt(b, 0x2FFF_FFFF), Some(0xEFFF_FFFF));
        assert_eq!(ram_virt(b, 0x3000_0000), None, "beyond the linear map");
        assert_eq!(ram_virt(b, 0x4000_0000), None, "beyond RAM");
        assert_eq!(ram_phys(b, 0xEFF0_0000), Some(0x2FF0_0000));
        assert_eq!(ram_phys(b, 0xF000_0000), None);
        assert_eq!(kernel_link_base(b), 0xC100_0000);
        assert_eq!(device_virt(b, 0x7000_6300), Some(0xF000_6300));
        assert_eq!(device_virt(b, 0x5004_1000), Some(0xF014_1000));
        assert_eq!(device_virt(b, 0x6000_5010), Some(0xF020_5010));
        assert!(load_fits_linear_map(b, 0x2EF0_0000));
        assert!(!load_fits_linear_map(b, 0x2F10_0000));
        // All of its RAM is RAM; the last 256 MiB only through the window.
        assert_eq!(ram_end(b, None), 0x4000_0000);
        assert_eq!(linear_map_end(b, ram_end(b, None)), 0x3000_0000);
        for board in tegra20::ALL {
            let end = ram_end(board, None);
            assert_eq!(end, board.ram.end(), "{}", board.name);
            let linear = linear_map_end(board, end);
            assert_eq!(linear, end.min(768 << 20), "{}", board.name);
        }
        let paz00 = &tegra20::PAZ00;
        assert_eq!(mapped_ram_size(paz00), 512 << 20);
        assert_eq!(ram_virt(paz00, 0x1FFF_FFFF), Some(0xDFFF_FFFF));
        assert_eq!(ram_virt(paz00, 0x2000_0000), None);
    }
}
