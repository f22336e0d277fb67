//! The kernel's virtual address-space layout.
//!
//! ```text
//! 0x0000_0000 .. 0x8000_0000   partitions (TTBR0, TTBCR.N = 1)
//! 0x8000_0000 .. 0xC000_0000   unused, faults
//! 0xC000_0000 .. +RAM size     all of RAM, linearly (kernel image inside)
//! 0xF000_0000 .. +16 MiB       device window: board MMIO sections, 1 MiB each
//! ```
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
/// TTBCR.N: TTBR0 covers the low 2 GiB.
pub const TTBCR_N: u32 = 1;

const SECTION: usize = 1 << 20;

/// What `virt - phys` is for anything in RAM on `board`.
pub const fn virt_offset(board: &Board) -> usize {
    RAM_VIRT_BASE.wrapping_sub(board.ram.base)
}

/// Kernel virtual address of physical RAM address `pa`, if it is RAM that
/// the linear map covers.
pub const fn ram_virt(board: &Board, pa: usize) -> Option<usize> {
    if board.ram.contains(pa) && pa - board.ram.base < RAM_VIRT_MAX {
        Some(pa.wrapping_add(virt_offset(board)))
    } else {
        None
    }
}

/// Physical address of kernel virtual address `va` in the linear map.
pub const fn ram_phys(board: &Board, va: usize) -> Option<usize> {
    let mapped = if board.ram.size < RAM_VIRT_MAX {
        board.ram.size
    } else {
        RAM_VIRT_MAX
    };
    if va >= RAM_VIRT_BASE && va - RAM_VIRT_BASE < mapped {
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
    board.kernel_load.wrapping_add(virt_offset(board))
}

#[cfg(test)]
mod tests {
    use super::*;
    use platform::boards::{ALL, VEXPRESS_A9};

    #[test]
    fn vexpress_addresses() {
        let b = &VEXPRESS_A9;
        assert_eq!(ram_virt(b, 0x6000_0000), Some(0xC000_0000));
        assert_eq!(ram_virt(b, 0x6FFF_FFFF), Some(0xCFFF_FFFF));
        assert_eq!(ram_virt(b, 0x7000_0000), None);
        assert_eq!(ram_phys(b, 0xC001_0000), Some(0x6001_0000));
        assert_eq!(ram_phys(b, 0xD000_0000), None);
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
            assert!(board.ram.size <= RAM_VIRT_MAX, "{}", board.name);
            let base = kernel_link_base(board);
            assert!(
                (RAM_VIRT_BASE..DEVICE_VIRT_BASE).contains(&base),
                "{}",
                board.name
            );
            assert!(device_virt(board, board.console.base()).is_some());
        }
    }
}
