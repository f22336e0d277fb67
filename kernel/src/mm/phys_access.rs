//! How the kernel reaches a run of physical RAM: through the linear map
//! where it covers the run, and a section at a time through the RAM
//! window (`layout::RAM_WINDOW_VIRT`) beyond it.
//!
//! This is the one way the kernel touches RAM that is not its own: `arch`
//! maps the window and copies; the arithmetic of which piece goes where is
//! here, so that it is tested on the host. It must never hand out a piece
//! outside the machine's RAM, nor a window piece that crosses a section.

use core::ops::Range;

use platform::Board;

use super::{layout, SECTION_SIZE};

/// A part of a run of RAM and where the kernel reaches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece {
    /// `len` bytes at kernel virtual address `va`, in the linear map.
    Linear { va: usize, len: usize },
    /// `len` bytes at `offset` into the 1 MiB section of RAM at physical
    /// `section`, to be mapped in the RAM window.
    Window {
        section: usize,
        offset: usize,
        len: usize,
    },
}

impl Piece {
    /// Bytes in the piece.
    pub fn len(&self) -> usize {
        match *self {
            Piece::Linear { len, .. } | Piece::Window { len, .. } => len,
        }
    }

    /// Whether the piece is empty (never, for pieces [`pieces`] yields).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A run of physical addresses that is not all RAM the machine has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotRam {
    /// First byte of the run.
    pub pa: usize,
    /// Its length.
    pub len: usize,
}

/// The machine's RAM as the kernel reaches it: `ram` (physical) is all of
/// it, of which `ram.start..linear_end` is in the linear map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RamReach {
    ram: Range<usize>,
    linear_end: usize,
    virt_offset: usize,
}

impl RamReach {
    /// The reach of `board`'s RAM on a machine whose RAM ends at
    /// `ram_end` (see [`layout::ram_end`]).
    pub const fn new(board: &Board, ram_end: usize) -> RamReach {
        RamReach {
            ram: board.ram.base..ram_end,
            linear_end: layout::linear_map_end(board, ram_end),
            virt_offset: layout::virt_offset(board),
        }
    }

    /// All of the machine's RAM (physical).
    pub fn ram(&self) -> Range<usize> {
        self.ram.clone()
    }

    /// One past the last byte of RAM the linear map covers (physical).
    pub fn linear_end(&self) -> usize {
        self.linear_end
    }

    /// The pieces of `len` bytes at `pa`, in order, if all of them are
    /// RAM. An empty run has no pieces.
    pub fn pieces(&self, pa: usize, len: usize) -> Result<Pieces, NotRam> {
        let end = pa.checked_add(len).ok_or(NotRam { pa, len })?;
        if len > 0 && (pa < self.ram.start || end > self.ram.end) {
            return Err(NotRam { pa, len });
        }
        Ok(Pieces {
            next: pa,
            end,
            linear_end: self.linear_end,
            virt_offset: self.virt_offset,
        })
    }
}

/// The pieces of a run of RAM, from [`RamReach::pieces`].
#[derive(Clone, Debug)]
pub struct Pieces {
    next: usize,
    end: usize,
    linear_end: usize,
    virt_offset: usize,
}

impl Iterator for Pieces {
    type Item = Piece;

    fn next(&mut self) -> Option<Piece> {
        let pa = self.next;
        if pa >= self.end {
            return None;
        }
        let piece = if pa < self.linear_end {
            Piece::Linear {
                va: pa.wrapping_add(self.virt_offset),
                len: self.end.min(self.linear_end) - pa,
            }
        } else {
            let section = pa & !(SECTION_SIZE - 1);
            Piece::Window {
                section,
                offset: pa - section,
                len: self.end.min(section + SECTION_SIZE) - pa,
            }
        };
        self.next = pa + piece.len();
        Some(piece)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use platform::boards::{tegra20, VEXPRESS_A9};
    use proptest::prelude::*;
    use std::vec::Vec;

    const MIB: usize = 1 << 20;

    /// `-m 1G` on vexpress-a9: RAM 0x6000_0000..0xA000_0000, the linear
    /// map to 0x9000_0000.
    fn one_gib() -> RamReach {
        RamReach::new(&VEXPRESS_A9, 0xA000_0000)
    }

    #[test]
    fn ram_in_the_linear_map_is_one_piece() {
        let reach = one_gib();
        let pieces: Vec<_> = reach.pieces(0x6040_0000, 200 * MIB).unwrap().collect();
        assert_eq!(
            pieces,
            [Piece::Linear {
                va: 0xC040_0000,
                len: 200 * MIB
            }]
        );
    }

    #[test]
    fn ram_beyond_it_goes_a_section_at_a_time() {
        let reach = one_gib();
        let pieces: Vec<_> = reach.pieces(0x8FFF_F000, 0x20_2000).unwrap().collect();
        assert_eq!(
            pieces,
            [
                Piece::Linear {
                    va: 0xEFFF_F000,
                    len: 0x1000
                },
                Piece::Window {
                    section: 0x9000_0000,
                    offset: 0,
                    len: MIB
                },
                Piece::Window {
                    section: 0x9010_0000,
                    offset: 0,
                    len: MIB
                },
                Piece::Window {
                    section: 0x9020_0000,
                    offset: 0,
                    len: 0x1000
                },
            ]
        );
        let last_page: Vec<_> = reach.pieces(0x9FFF_F000, 4096).unwrap().collect();
        assert_eq!(
            last_page,
            [Piece::Window {
                section: 0x9FF0_0000,
                offset: 0xF_F000,
                len: 4096
            }]
        );
    }

    #[test]
    fn anything_not_ram_is_refused_whole() {
        let reach = one_gib();
        for (pa, len) in [
            (0x9FFF_F000, 0x1001),
            (0xA000_0000, 1),
            (0x5FFF_FFFF, 2),
            (0x1000, 4),
            (usize::MAX, 2),
        ] {
            assert_eq!(reach.pieces(pa, len).err(), Some(NotRam { pa, len }));
        }
        assert_eq!(reach.pieces(0x1000, 0).unwrap().count(), 0, "nothing");
        // With -m 256M, RAM the linear map could cover is not there.
        let small = RamReach::new(&VEXPRESS_A9, 0x7000_0000);
        assert!(small.pieces(0x7000_0000, 4096).is_err());
        assert_eq!(small.linear_end(), 0x7000_0000);
    }

    #[test]
    fn a_1_gib_tegra_board_reaches_its_last_256_mib_through_the_window() {
        let board = &tegra20::HARMONY;
        let reach = RamReach::new(board, layout::ram_end(board, None));
        assert_eq!(reach.ram(), 0..0x4000_0000);
        assert_eq!(reach.linear_end(), 0x3000_0000);
        let first: Vec<_> = reach.pieces(0x2FFF_FFFC, 8).unwrap().collect();
        assert_eq!(
            first,
            [
                Piece::Linear {
                    va: 0xEFFF_FFFC,
                    len: 4
                },
                Piece::Window {
                    section: 0x3000_0000,
                    offset: 0,
                    len: 4
                }
            ]
        );
        let paz00 = &tegra20::PAZ00;
        let all = RamReach::new(paz00, layout::ram_end(paz00, None));
        assert_eq!(all.linear_end(), 0x2000_0000, "512 MiB: all linear");
    }

    proptest! {
        /// Against a model that walks the run byte by byte: the pieces
        /// cover it exactly, in order; a linear piece's address is the
        /// linear map's; a window piece stays inside one section of RAM
        /// beyond the linear map.
        #[test]
        fn pieces_cover_the_run_exactly(
            ram_mib in 1usize..=1024,
            start in 0usize..(1 << 30),
            len in 0usize..(3 * MIB),
        ) {
            let board = &VEXPRESS_A9;
            let ram_end = board.ram.base + ram_mib * MIB;
            let reach = RamReach::new(board, ram_end);
            let pa = board.ram.base + start;
            let in_ram = len == 0 || pa + len <= ram_end;
            let Ok(pieces) = reach.pieces(pa, len) else {
                prop_assert!(!in_ram);
                return Ok(());
            };
            prop_assert!(in_ram);
            let mut at = pa;
            for piece in pieces {
                prop_assert!(!piece.is_empty());
                match piece {
                    Piece::Linear { va, len } => {
                        prop_assert_eq!(Some(va), layout::ram_virt(board, at));
                        prop_assert!(at + len <= reach.linear_end());
                    }
                    Piece::Window { section, offset, len } => {
                        prop_assert_eq!(section % SECTION_SIZE, 0);
                        prop_assert_eq!(section + offset, at);
                        prop_assert!(offset + len <= SECTION_SIZE);
                        prop_assert!(section >= reach.linear_end());
                        prop_assert!(layout::ram_virt(board, at).is_none() || at >= reach.linear_end());
                    }
                }
                at += piece.len();
            }
            prop_assert_eq!(at, pa + len);
        }
    }
}
