//! The swap device: a region of the SD card, in 4 KiB blocks, behind the
//! block server (issue 13).
//!
//! Block `n` of the device holds swap slot `n`. An implementation must
//! never return from a read without either filling the page or failing.

use crate::page::Page;

/// Why a block operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockError {
    /// The block is past the end of the device (or the client's region).
    OutOfRange,
    /// The device or the block server failed.
    Io,
}

/// A device of 4 KiB blocks.
pub trait BlockDevice {
    /// How many blocks the device has.
    fn block_count(&self) -> u32;

    /// Reads block `block` into `out`.
    fn read_block(&mut self, block: u32, out: &mut Page) -> Result<(), BlockError>;

    /// Writes `page` to block `block`.
    fn write_block(&mut self, block: u32, page: &Page) -> Result<(), BlockError>;
}
