//! The table of supported boards.
//!
//! Adding a board means adding one `Board` constant here and one cargo
//! feature; nothing here may depend on which board is being built.

pub mod tegra20;
mod vexpress_a9;

pub use vexpress_a9::VEXPRESS_A9;

use crate::Board;

/// Every supported board, in the order listings show them.
pub const ALL: &[&Board] = &[
    &VEXPRESS_A9,
    &tegra20::HARMONY,
    &tegra20::SEABOARD,
    &tegra20::VENTANA,
    &tegra20::TRIMSLICE,
    &tegra20::PAZ00,
];

/// Looks a board up by the name (or alias) users type after `--board`.
pub fn by_name(name: &str) -> Option<&'static Board> {
    ALL.iter().copied().find(|board| board.is_called(name))
}

/// Whether `board` is one of the Tegra20 boards.
pub fn is_tegra20(board: &Board) -> bool {
    tegra20::ALL.iter().any(|tegra| tegra.name == board.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        for (i, board) in ALL.iter().enumerate() {
            assert_eq!(by_name(board.name), Some(*board));
            for alias in board.aliases {
                assert_eq!(by_name(alias), Some(*board), "{alias}");
            }
            assert!(ALL[i + 1..].iter().all(|other| {
                !other.is_called(board.name) && board.aliases.iter().all(|a| !other.is_called(a))
            }));
        }
        assert_eq!(by_name("no-such-board"), None);
        assert_eq!(by_name("harmony"), Some(&tegra20::HARMONY));
        assert_eq!(by_name("ac100"), Some(&tegra20::PAZ00));
    }

    #[test]
    fn tegra_boards_are_told_apart() {
        assert!(!is_tegra20(&VEXPRESS_A9));
        assert!(tegra20::ALL.iter().all(|b| is_tegra20(b)));
        assert!(tegra20::ALL.iter().all(|b| ALL.contains(b)));
    }

    #[test]
    fn every_board_is_self_consistent() {
        for board in ALL {
            assert!(board.ram.contains(board.kernel_load), "{}", board.name);
            assert!(board.ram_max_size >= board.ram.size, "{}", board.name);
            assert_eq!(board.ram_max_size % 0x10_0000, 0, "{}", board.name);
            assert_eq!(board.kernel_load % 0x1000, 0, "{}", board.name);
            assert_eq!(board.ram.base % 0x10_0000, 0, "{}", board.name);
            for section in board.mmio_sections {
                assert_eq!(section % 0x10_0000, 0, "{}", board.name);
            }
            let in_mmio = |pa: usize| {
                board
                    .mmio_sections
                    .iter()
                    .any(|&s| pa >= s && pa < s + 0x10_0000)
            };
            assert!(in_mmio(board.console.base()), "{}", board.name);
            assert!(in_mmio(board.gic_distributor()), "{}", board.name);
            assert!(in_mmio(board.gic_cpu_interface()), "{}", board.name);
            assert!(in_mmio(board.private_timer()), "{}", board.name);
            assert!(in_mmio(board.global_timer()), "{}", board.name);
            if let Some(ictlr) = board.legacy_ictlr {
                assert!(in_mmio(ictlr), "{}", board.name);
            }
            if let Some(timer) = board.us_timer {
                assert!(in_mmio(timer), "{}", board.name);
            }
            assert_eq!(board.check_kernel_load(board.kernel_load), Ok(()));
            if let Some(qemu) = board.qemu {
                // The options block lies in RAM, below the kernel image,
                // in a page of its own.
                assert!(board.ram.contains(qemu.boot_options), "{}", board.name);
                assert_eq!(qemu.boot_options % 0x1000, 0, "{}", board.name);
                assert!(
                    qemu.boot_options + 0x1000 <= board.kernel_load,
                    "{}",
                    board.name
                );
            }
        }
    }

    #[test]
    fn kernel_load_addresses_are_checked() {
        use crate::board::KernelLoadError;
        let board = &tegra20::PAZ00;
        assert_eq!(board.check_kernel_load(0x0200_0000), Ok(()));
        assert_eq!(
            board.check_kernel_load(0x0100_0800),
            Err(KernelLoadError::Unaligned)
        );
        assert_eq!(
            board.check_kernel_load(0x2000_0000),
            Err(KernelLoadError::OutsideRam)
        );
        assert_eq!(
            board.check_kernel_load(0x1FF0_0000),
            Err(KernelLoadError::TooCloseToEnd)
        );
        assert_eq!(
            VEXPRESS_A9.check_kernel_load(0x0100_0000),
            Err(KernelLoadError::OutsideRam)
        );
    }
}
