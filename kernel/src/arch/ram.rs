//! The machine's RAM: where it ends, asked of the host once at boot and
//! kept for the run, and the kernel's one way into RAM that is not its
//! own — [`with_ram`], through the linear map or, beyond it, the RAM
//! window (`mmu::map_ram_window`).
//!
//! Nothing here allocates; nothing may touch RAM outside what [`detect`]
//! found.

use core::sync::atomic::{AtomicUsize, Ordering};

use platform::BOARD;

use crate::mm::layout;
use crate::mm::phys_access::{NotRam, Piece, RamReach};

use super::{debug, mmu};

/// One past the last byte of RAM (physical), once [`detect`] ran; 0
/// before, when no RAM is reachable.
static RAM_END: AtomicUsize = AtomicUsize::new(0);
/// One past the last byte of RAM in the linear map (physical), once
/// [`detect`] ran; 0 before. Kept beside [`RAM_END`] so that the common
/// case — a run inside the linear map — costs two compares.
static LINEAR_END: AtomicUsize = AtomicUsize::new(0);

/// What [`detect`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Detected {
    /// Where the host said RAM ends, if it said.
    pub host_said: Option<usize>,
    /// Where RAM ends, as the kernel uses it: the host's word when the
    /// board can have that much, else the board's own size.
    pub end: usize,
}

impl Detected {
    /// Whether the kernel believed the host.
    pub fn believed(&self) -> bool {
        self.host_said == Some(self.end)
    }
}

/// Asks the host where RAM ends and keeps the answer for the run. Must run
/// once, at boot, before anything reaches RAM through [`with_ram`] or
/// builds the kernel space; logs nothing (the console may not be up).
pub fn detect() -> Detected {
    let host_said = debug::reported_ram_end();
    let end = layout::ram_end(BOARD, host_said);
    RAM_END.store(end, Ordering::Relaxed);
    LINEAR_END.store(layout::linear_map_end(BOARD, end), Ordering::Relaxed);
    Detected { host_said, end }
}

/// The RAM [`detect`] found and how the kernel reaches it.
pub fn reach() -> RamReach {
    RamReach::new(BOARD, RAM_END.load(Ordering::Relaxed).max(BOARD.ram.base))
}

/// Calls `f` with a kernel pointer to each piece of the `len` bytes of RAM
/// at `pa`, in order, and the piece's offset into the run and length;
/// refuses, touching nothing, a run that is not all RAM. A piece beyond
/// the linear map is mapped in the RAM window first: the pointer is good
/// until the next call.
#[inline(always)]
pub fn with_ram(
    pa: usize,
    len: usize,
    mut f: impl FnMut(*mut u8, usize, usize),
) -> Result<(), NotRam> {
    // The common case: all of it in the linear map, one piece.
    if let Some(end) = pa.checked_add(len) {
        if pa >= BOARD.ram.base && end <= LINEAR_END.load(Ordering::Relaxed) {
            f(
                pa.wrapping_add(layout::virt_offset(BOARD)) as *mut u8,
                0,
                len,
            );
            return Ok(());
        }
    }
    with_ram_pieces(pa, len, f)
}

/// [`with_ram`] for a run that is not all in the linear map.
#[inline(never)]
fn with_ram_pieces(
    pa: usize,
    len: usize,
    mut f: impl FnMut(*mut u8, usize, usize),
) -> Result<(), NotRam> {
    let mut done = 0;
    for piece in reach().pieces(pa, len)? {
        let at = match piece {
            Piece::Linear { va, .. } => va as *mut u8,
            Piece::Window {
                section, offset, ..
            } => (mmu::map_ram_window(section) + offset) as *mut u8,
        };
        f(at, done, piece.len());
        done += piece.len();
    }
    Ok(())
}

/// A kernel pointer to the 4 KiB page of RAM at the page-aligned `pa`: in
/// the linear map, or mapped in the RAM window (good until the window
/// next moves, at the next call here or to [`with_ram`]). For code that
/// must hand a page's address on (the `tmem-baseline` store); anything
/// that can should use [`with_ram`].
pub fn page(pa: usize) -> Result<*mut u8, NotRam> {
    const PAGE: usize = crate::mm::PAGE_SIZE;
    let not_ram = NotRam { pa, len: PAGE };
    if !pa.is_multiple_of(PAGE) {
        return Err(not_ram);
    }
    // An aligned page never crosses a section, nor the linear map's end (a
    // whole megabyte): it is one piece.
    match reach().pieces(pa, PAGE)?.next().ok_or(not_ram)? {
        Piece::Linear { va, .. } => Ok(va as *mut u8),
        Piece::Window {
            section, offset, ..
        } => Ok((mmu::map_ram_window(section) + offset) as *mut u8),
    }
}
