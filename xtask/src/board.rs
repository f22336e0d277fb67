//! Board names as users type them.

use platform::{boards, Board};

use crate::Error;

/// The board used when `--board` is not given.
pub const DEFAULT_BOARD: &str = "vexpress-a9";

/// Looks up `name`, or says which boards exist.
pub fn find(name: &str) -> Result<&'static Board, Error> {
    boards::by_name(name).ok_or_else(|| Error::UnknownBoard {
        name: name.to_string(),
        known: boards::ALL
            .iter()
            .map(|b| b.name)
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// The cargo feature that selects `board` in a kernel build.
pub fn cargo_feature(board: &Board) -> String {
    format!("board-{}", board.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_board_error_lists_the_known_ones() {
        let message = find("pdp-11").unwrap_err().to_string();
        assert!(message.contains("unknown board `pdp-11`"), "{message}");
        assert!(message.contains("vexpress-a9"), "{message}");
        assert!(!message.contains('\n'));
    }

    #[test]
    fn default_board_exists() {
        assert_eq!(find(DEFAULT_BOARD).unwrap().name, DEFAULT_BOARD);
        assert_eq!(
            cargo_feature(find(DEFAULT_BOARD).unwrap()),
            "board-vexpress-a9"
        );
    }
}
