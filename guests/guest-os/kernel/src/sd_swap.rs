//! The guest's swap device: its region of the SD card, behind the block
//! server, as guest-mm's [`BlockDevice`]. Block `n` of the region holds
//! swap slot `n`; one page moves per call, through the connection's
//! buffer.
//!
//! The region's size is the block server's to know (the system
//! description gives it, the server enforces it), so [`SdSwap::open`]
//! finds it by asking: the last block it can read. It must never report
//! a page read that the server did not fill, and never turn a refusal
//! into success.

use block_client::BlockError as ClientError;
use block_protocol::{Status, BLOCK_SIZE};
use guest_mm::{BlockDevice, BlockError, Page, PAGE_SIZE};

/// Runs of blocks through a buffer: what the swap device needs of a block
/// connection (`block_client::BlockDevice` on the target, a model in host
/// tests).
pub trait BlockRuns {
    /// Reads `count` blocks from `block` into the buffer's first pages.
    fn read(&mut self, block: u32, count: u32) -> Result<(), ClientError>;
    /// Writes the buffer's first `count` pages to blocks from `block`.
    fn write(&mut self, block: u32, count: u32) -> Result<(), ClientError>;
    /// The buffer.
    fn buffer(&mut self) -> &mut [u8];
}

impl BlockRuns for block_client::BlockDevice {
    fn read(&mut self, block: u32, count: u32) -> Result<(), ClientError> {
        block_client::BlockDevice::read(self, block, count)
    }

    fn write(&mut self, block: u32, count: u32) -> Result<(), ClientError> {
        block_client::BlockDevice::write(self, block, count)
    }

    fn buffer(&mut self) -> &mut [u8] {
        block_client::BlockDevice::buffer(self)
    }
}

/// Why the swap device could not be opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SdSwapError {
    /// The buffer is smaller than one page.
    SmallBuffer,
    /// The server gives this client no block at all.
    NoRegion,
    /// Asking the server failed.
    Block(ClientError),
}

impl SdSwapError {
    /// A short name for logs.
    pub const fn name(self) -> &'static str {
        match self {
            SdSwapError::SmallBuffer => "the block buffer is smaller than a page",
            SdSwapError::NoRegion => "no swap region on the SD card",
            SdSwapError::Block(error) => error.name(),
        }
    }
}

/// A swap device over a block connection.
pub struct SdSwap<R: BlockRuns> {
    runs: R,
    blocks: u32,
}

impl<R: BlockRuns> SdSwap<R> {
    /// Opens the swap device over `runs`: its size is the region's, found
    /// by reading, but at most `max_blocks`.
    pub fn open(mut runs: R, max_blocks: u32) -> Result<SdSwap<R>, SdSwapError> {
        const _: () = assert!(BLOCK_SIZE == PAGE_SIZE);
        if runs.buffer().len() < PAGE_SIZE {
            return Err(SdSwapError::SmallBuffer);
        }
        // Whether the server lets this client read `block`.
        let mut readable = |block: u32| match runs.read(block, 1) {
            Ok(()) => Ok(true),
            Err(ClientError::Refused(Status::OutOfRange)) => Ok(false),
            Err(error) => Err(SdSwapError::Block(error)),
        };
        let (mut low, mut high) = (0u32, max_blocks);
        if max_blocks == 0 || !readable(0)? {
            return Err(SdSwapError::NoRegion);
        }
        if readable(max_blocks - 1)? {
            low = max_blocks;
        } else {
            low += 1;
            high -= 1;
            // Invariant: blocks below `low` are readable, `high` is not.
            while low < high {
                let middle = low + (high - low) / 2;
                if readable(middle)? {
                    low = middle + 1;
                } else {
                    high = middle;
                }
            }
        }
        Ok(SdSwap { runs, blocks: low })
    }
}

fn block_error(error: ClientError) -> BlockError {
    match error {
        ClientError::Refused(Status::OutOfRange) => BlockError::OutOfRange,
        _ => BlockError::Io,
    }
}

impl<R: BlockRuns> BlockDevice for SdSwap<R> {
    fn block_count(&self) -> u32 {
        self.blocks
    }

    fn read_block(&mut self, block: u32, out: &mut Page) -> Result<(), BlockError> {
        if block >= self.blocks {
            return Err(BlockError::OutOfRange);
        }
        self.runs.read(block, 1).map_err(block_error)?;
        out.copy_from_slice(&self.runs.buffer()[..PAGE_SIZE]);
        Ok(())
    }

    fn write_block(&mut self, block: u32, page: &Page) -> Result<(), BlockError> {
        if block >= self.blocks {
            return Err(BlockError::OutOfRange);
        }
        self.runs.buffer()[..PAGE_SIZE].copy_from_slice(page);
        self.runs.write(block, 1).map_err(block_error)
    }
}
