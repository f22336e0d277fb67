//! Finding whether a page is all zero, a word at a time: every put asks
//! it first (a zero page is stored as a reference, never copied).
//!
//! Pure and read-only: it never writes the page, and it never reads past
//! the first non-zero word (the store counts the bytes it read).

use zerocopy::FromBytes;

/// How many bytes of `bytes` must be read to find a non-zero one — up to
/// the end of the aligned 8-byte word holding the first non-zero byte —
/// or `None` if every byte is zero.
///
/// 8-byte words when `bytes` is 8-byte aligned and a whole number of
/// words, which a page frame always is: the target demands aligned loads,
/// so a byte array read as `u64::from_ne_bytes` chunks compiles to eight
/// byte loads a word (~14,000 instructions for a zero page). Anything else
/// (only a host test's buffer can be) is read the same way byte by byte,
/// with the same answer.
pub(crate) fn non_zero_end(bytes: &[u8]) -> Option<usize> {
    const WORD: usize = 8;
    match <[u64]>::ref_from_bytes(bytes) {
        Ok(words) => words
            .iter()
            .position(|&word| word != 0)
            .map(|at| WORD * (at + 1)),
        Err(_) => bytes
            .chunks(WORD)
            .position(|chunk| chunk.iter().any(|&byte| byte != 0))
            .map(|at| (WORD * (at + 1)).min(bytes.len())),
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use proptest::prelude::*;

    /// A page-sized buffer at an 8-byte boundary, and one a byte past it.
    #[repr(C, align(8))]
    struct Aligned([u8; 4096 + 8]);

    /// The model: the first non-zero byte, rounded up to its word's end.
    fn model(bytes: &[u8]) -> Option<usize> {
        let first = bytes.iter().position(|&byte| byte != 0)?;
        Some(((first / 8 + 1) * 8).min(bytes.len()))
    }

    #[test]
    fn a_zero_page_is_read_whole_and_found_zero() {
        let buffer = Aligned([0; 4096 + 8]);
        assert_eq!(non_zero_end(&buffer.0[..4096]), None);
        assert_eq!(non_zero_end(&buffer.0[1..4097]), None);
    }

    proptest! {
        #[test]
        fn aligned_and_unaligned_pages_agree_with_a_byte_scan(
            at in 0usize..4096,
            value in 1u8..=255,
            offset in 0usize..8,
        ) {
            let mut buffer = Aligned([0; 4096 + 8]);
            buffer.0[offset + at] = value;
            let page = &buffer.0[offset..offset + 4096];
            prop_assert_eq!(non_zero_end(page), model(page));
            prop_assert_eq!(non_zero_end(page), Some((at / 8 + 1) * 8));
        }
    }
}
