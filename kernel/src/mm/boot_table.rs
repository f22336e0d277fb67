//! The first-level table the MMU is switched on with.
//!
//! It maps RAM twice with sections — at its physical address, so the
//! instructions right after the MMU switch keep running, and at
//! [`layout::RAM_VIRT_BASE`], where the kernel is linked (only the part the
//! linear map holds, [`layout::mapped_ram_size`]) — plus the board's
//! device sections in the device window. It is computed at compile time and
//! replaced by the kernel space table as soon as the kernel runs at its
//! linked address; it must never be used to run partitions.

use super::descriptor::{Attributes, L1Entry};
use super::layout;
use super::{L1Table, L1_ENTRIES, SECTION_SIZE};
use platform::Board;

/// Builds the boot table for `board`.
pub const fn boot_table(board: &Board) -> L1Table {
    let mut entries = [L1Entry::FAULT; L1_ENTRIES];
    let sections = board.ram.size.div_ceil(SECTION_SIZE);
    let mut i = 0;
    while i < sections {
        let pa = board.ram.base + i * SECTION_SIZE;
        entries[pa / SECTION_SIZE] = L1Entry::section(pa, Attributes::KERNEL_BOOT);
        if let Some(va) = layout::ram_virt(board, pa) {
            entries[va / SECTION_SIZE] = L1Entry::section(pa, Attributes::KERNEL_BOOT);
        }
        i += 1;
    }
    let mut d = 0;
    while d < board.mmio_sections.len() {
        let pa = board.mmio_sections[d];
        if let Some(va) = layout::device_virt(board, pa) {
            entries[va / SECTION_SIZE] = L1Entry::section(pa, Attributes::KERNEL_DEVICE);
        }
        d += 1;
    }
    L1Table(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mm::descriptor::L1Kind;
    use platform::boards::VEXPRESS_A9;

    #[test]
    fn maps_ram_twice_and_devices_once() {
        let table = boot_table(&VEXPRESS_A9);
        let at = |va: usize| table.0[va / SECTION_SIZE].kind();
        assert_eq!(at(0x6000_0000), L1Kind::Section { base: 0x6000_0000 });
        assert_eq!(at(0xC000_0000), L1Kind::Section { base: 0x6000_0000 });
        assert_eq!(at(0xCFF0_0000), L1Kind::Section { base: 0x6FF0_0000 });
        assert_eq!(at(0xD000_0000), L1Kind::Fault);
        assert_eq!(at(0xF000_0000), L1Kind::Section { base: 0x1000_0000 });
        assert_eq!(at(0xF010_0000), L1Kind::Section { base: 0x1E00_0000 });
        // Devices are not identity-mapped.
        assert_eq!(at(0x1000_0000), L1Kind::Fault);
        let mapped = table.0.iter().filter(|e| e.kind() != L1Kind::Fault).count();
        assert_eq!(mapped, 256 + 256 + 2);
    }

    #[test]
    fn a_1_gib_board_is_identity_mapped_whole_and_linearly_up_to_768_mib() {
        let table = boot_table(&platform::boards::tegra20::HARMONY);
        let at = |va: usize| table.0[va / SECTION_SIZE].kind();
        assert_eq!(at(0x0000_0000), L1Kind::Section { base: 0 });
        assert_eq!(at(0x3FF0_0000), L1Kind::Section { base: 0x3FF0_0000 });
        assert_eq!(at(0xC100_0000), L1Kind::Section { base: 0x0100_0000 });
        assert_eq!(at(0xEFF0_0000), L1Kind::Section { base: 0x2FF0_0000 });
        assert_eq!(at(0xF000_0000), L1Kind::Section { base: 0x7000_0000 });
        assert_eq!(at(0xF010_0000), L1Kind::Section { base: 0x5000_0000 });
        assert_eq!(at(0xF020_0000), L1Kind::Section { base: 0x6000_0000 });
        assert_eq!(at(0xF030_0000), L1Kind::Fault);
        let mapped = table.0.iter().filter(|e| e.kind() != L1Kind::Fault).count();
        assert_eq!(mapped, 1024 + 768 + 3);
    }
}
