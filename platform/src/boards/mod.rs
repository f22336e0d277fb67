//! The table of supported boards.
//!
//! Adding a board means adding one `Board` constant here and one cargo
//! feature; nothing here may depend on which board is being built.

mod vexpress_a9;

pub use vexpress_a9::VEXPRESS_A9;

use crate::Board;

/// Every supported board, in the order listings show them.
pub const ALL: &[&Board] = &[&VEXPRESS_A9];

/// Looks a board up by the name users type after `--board`.
pub fn by_name(name: &str) -> Option<&'static Board> {
    ALL.iter().copied().find(|board| board.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        for (i, board) in ALL.iter().enumerate() {
            assert_eq!(by_name(board.name), Some(*board));
            assert!(ALL[i + 1..].iter().all(|other| other.name != board.name));
        }
        assert_eq!(by_name("no-such-board"), None);
    }

    #[test]
    fn every_board_is_self_consistent() {
        for board in ALL {
            assert!(board.ram.contains(board.kernel_load), "{}", board.name);
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
            assert!(in_mmio(board.private_timer()), "{}", board.name);
        }
    }
}
