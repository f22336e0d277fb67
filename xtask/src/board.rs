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

/// Looks up `name` (full name or alias, such as `harmony`) among the
/// Tegra 2 boards, or says which exist.
pub fn find_tegra(name: &str) -> Result<&'static Board, Error> {
    let board = find(name)?;
    if boards::is_tegra20(board) {
        Ok(board)
    } else {
        Err(Error::NotTegra {
            name: name.to_string(),
            tegra: tegra_names(),
        })
    }
}

/// The Tegra 2 boards' names, for messages.
pub fn tegra_names() -> String {
    boards::tegra20::ALL
        .iter()
        .map(|b| format!("{} ({})", b.name, b.aliases.join(", ")))
        .collect::<Vec<_>>()
        .join(", ")
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
    fn tegra_boards_by_full_name_and_alias() {
        assert_eq!(
            find_tegra("tegra20-harmony").unwrap().name,
            "tegra20-harmony"
        );
        assert_eq!(find_tegra("harmony").unwrap().name, "tegra20-harmony");
        assert_eq!(find_tegra("ac100").unwrap().name, "tegra20-paz00");
        assert_eq!(
            cargo_feature(find("seaboard").unwrap()),
            "board-tegra20-seaboard"
        );
    }

    #[test]
    fn board_selection_errors_say_what_to_type() {
        let message = find_tegra("vexpress-a9").unwrap_err().to_string();
        assert!(
            message.contains("`vexpress-a9` is not a Tegra 2 board"),
            "{message}"
        );
        assert!(
            message.contains("tegra20-trimslice (trimslice)"),
            "{message}"
        );
        assert!(!message.contains('\n'));
        let message = find_tegra("tegra30-cardhu").unwrap_err().to_string();
        assert!(
            message.contains("unknown board `tegra30-cardhu`"),
            "{message}"
        );
        assert!(message.contains("tegra20-paz00"), "{message}");
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
