//! Page compression with LZ4 (`lz4_flex`, no_std, safe decoder).
//!
//! A page is stored compressed only when the result fits in a 2 KiB slot, so
//! compression always saves at least half a frame; otherwise it is stored
//! whole. This module must never return compressed bytes that do not decode
//! to the original page. Each compression call makes one temporary 8 KiB
//! allocation inside `lz4_flex` (its match table), freed before returning.

use crate::frame_table::SLOT_SIZES;
use crate::frames::{Page, PAGE_SIZE};
use alloc::boxed::Box;
use alloc::vec;

/// Largest compressed size worth storing.
pub(crate) const MAX_COMPRESSED: usize = SLOT_SIZES[SLOT_SIZES.len() - 1];

/// Output buffer for compression, reserved once per store.
pub(crate) struct Compressor {
    output: Box<[u8]>,
}

impl Compressor {
    pub(crate) fn new() -> Self {
        Self {
            output: vec![0u8; lz4_flex::block::get_maximum_output_size(PAGE_SIZE)]
                .into_boxed_slice(),
        }
    }

    /// Compresses `page`; returns the compressed length when it fits
    /// [`MAX_COMPRESSED`]. The bytes stay readable through [`Self::output`]
    /// until the next call.
    pub(crate) fn compress(&mut self, page: &Page) -> Option<usize> {
        let len = lz4_flex::block::compress_into(page, &mut self.output).ok()?;
        (len <= MAX_COMPRESSED).then_some(len)
    }

    /// The first `len` bytes of the last compression output.
    pub(crate) fn output(&self, len: usize) -> &[u8] {
        &self.output[..len.min(self.output.len())]
    }
}

/// Decodes `compressed` into `out`; fails unless it yields exactly one page.
pub(crate) fn decompress(compressed: &[u8], out: &mut Page) -> Result<(), ()> {
    match lz4_flex::block::decompress_into(compressed, out) {
        Ok(PAGE_SIZE) => Ok(()),
        _ => Err(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_compressible_pages_and_declines_random_ones() {
        let mut compressor = Compressor::new();
        let mut page = [0u8; PAGE_SIZE];
        for (i, byte) in page.iter_mut().enumerate() {
            *byte = (i / 64) as u8;
        }
        let len = compressor.compress(&page).unwrap();
        let packed = compressor.output(len).to_vec();
        assert!(packed.len() <= 512);
        let mut out = [0u8; PAGE_SIZE];
        decompress(&packed, &mut out).unwrap();
        assert_eq!(out, page);

        let mut state = 0x1234_5678_9abc_def0u64;
        for byte in page.iter_mut() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *byte = state as u8;
        }
        assert!(compressor.compress(&page).is_none());
        assert!(decompress(&packed[..packed.len() - 1], &mut out).is_err());
    }
}
