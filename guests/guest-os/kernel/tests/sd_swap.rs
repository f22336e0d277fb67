//! The SD-card swap device over a model of the block server's region:
//! it finds the region's size by asking, refuses blocks past it without
//! asking, and every page written reads back as written.

use block_client::BlockError as ClientError;
use block_protocol::Status;
use guest_mm::{BlockDevice, BlockError, Page, PAGE_SIZE};
use guest_os_kernel::sd_swap::{BlockRuns, SdSwap, SdSwapError};
use proptest::prelude::*;
use std::cell::Cell;
use std::rc::Rc;

/// A region of `blocks` blocks as the server keeps it, with a one-page
/// buffer.
struct ModelRegion {
    blocks: Vec<Page>,
    buffer: Vec<u8>,
}

impl ModelRegion {
    fn new(blocks: u32) -> ModelRegion {
        ModelRegion {
            blocks: vec![[0; PAGE_SIZE]; blocks as usize],
            buffer: vec![0; PAGE_SIZE],
        }
    }

    fn check(&mut self, block: u32, count: u32) -> Result<usize, ClientError> {
        if count != 1 {
            return Err(ClientError::TooLong);
        }
        if block as usize >= self.blocks.len() {
            return Err(ClientError::Refused(Status::OutOfRange));
        }
        Ok(block as usize)
    }
}

impl BlockRuns for ModelRegion {
    fn read(&mut self, block: u32, count: u32) -> Result<(), ClientError> {
        let at = self.check(block, count)?;
        self.buffer.copy_from_slice(&self.blocks[at]);
        Ok(())
    }

    fn write(&mut self, block: u32, count: u32) -> Result<(), ClientError> {
        let at = self.check(block, count)?;
        self.blocks[at].copy_from_slice(&self.buffer);
        Ok(())
    }

    fn buffer(&mut self) -> &mut [u8] {
        &mut self.buffer
    }
}

fn page_of(seed: u32) -> Page {
    let mut page = [0; PAGE_SIZE];
    for (i, byte) in page.iter_mut().enumerate() {
        *byte = (seed.wrapping_mul(31).wrapping_add(i as u32 * 7) >> 2) as u8;
    }
    page
}

proptest! {
    #[test]
    fn the_device_is_the_region_up_to_the_limit(region in 1u32..3000, limit in 1u32..2048) {
        let device = SdSwap::open(ModelRegion::new(region), limit).unwrap();
        prop_assert_eq!(device.block_count(), region.min(limit));
    }

    #[test]
    fn pages_read_back_as_written(
        region in 1u32..64,
        writes in prop::collection::vec((0u32..80, any::<u32>()), 1..40),
    ) {
        let mut device = SdSwap::open(ModelRegion::new(region), 1024).unwrap();
        let mut model = std::collections::HashMap::new();
        for (block, seed) in writes {
            let result = device.write_block(block, &page_of(seed));
            if block < region {
                prop_assert_eq!(result, Ok(()));
                model.insert(block, seed);
            } else {
                prop_assert_eq!(result, Err(BlockError::OutOfRange));
            }
        }
        for (block, seed) in model {
            let mut out = [0xAA; PAGE_SIZE];
            prop_assert_eq!(device.read_block(block, &mut out), Ok(()));
            prop_assert!(out == page_of(seed));
        }
    }
}

#[test]
fn a_client_without_a_region_has_no_swap_device() {
    assert!(matches!(
        SdSwap::open(ModelRegion::new(0), 1024),
        Err(SdSwapError::NoRegion)
    ));
}

#[test]
fn a_failed_call_says_io_and_leaves_the_page_untouched() {
    /// Answers every read until told to fail; writes always fail.
    struct Failing(Vec<u8>, Rc<Cell<bool>>);
    impl BlockRuns for Failing {
        fn read(&mut self, _: u32, _: u32) -> Result<(), ClientError> {
            if self.1.get() {
                return Err(ClientError::BadReply);
            }
            Ok(())
        }
        fn write(&mut self, _: u32, _: u32) -> Result<(), ClientError> {
            Err(ClientError::BadReply)
        }
        fn buffer(&mut self) -> &mut [u8] {
            &mut self.0
        }
    }
    let broken = Rc::new(Cell::new(false));
    let runs = Failing(vec![7; PAGE_SIZE], broken.clone());
    let mut device = SdSwap::open(runs, 4).unwrap();
    assert_eq!(device.block_count(), 4);
    broken.set(true);
    let mut out = [0xAA; PAGE_SIZE];
    assert_eq!(device.read_block(1, &mut out), Err(BlockError::Io));
    assert!(out.iter().all(|&b| b == 0xAA));
    assert_eq!(device.write_block(1, &page_of(3)), Err(BlockError::Io));
    assert_eq!(device.read_block(4, &mut out), Err(BlockError::OutOfRange));
}

#[test]
fn a_buffer_smaller_than_a_page_is_refused() {
    let mut region = ModelRegion::new(8);
    region.buffer.truncate(100);
    assert!(matches!(
        SdSwap::open(region, 8),
        Err(SdSwapError::SmallBuffer)
    ));
}
