//! The swap device a guest has until the block server (issue 13) gives it
//! a region of the SD card: none. It has no blocks, so every write-out
//! that tmem refuses fails, the page stays in RAM, and when nothing can be
//! evicted the [`Vm`](guest_mm::Vm) says out of memory — no page is ever
//! lost. It must never pretend to have stored a page.

use guest_mm::{BlockDevice, BlockError, Page};

/// A swap device of zero blocks.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoSwapDevice;

impl BlockDevice for NoSwapDevice {
    fn block_count(&self) -> u32 {
        0
    }

    fn read_block(&mut self, _block: u32, _out: &mut Page) -> Result<(), BlockError> {
        Err(BlockError::OutOfRange)
    }

    fn write_block(&mut self, _block: u32, _page: &Page) -> Result<(), BlockError> {
        Err(BlockError::OutOfRange)
    }
}
