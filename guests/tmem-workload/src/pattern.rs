//! Page contents that say where they came from: every 32-bit word depends
//! on the page's seed and its position, so a page put under one handle
//! and returned under another (or shifted, or stale) fails verification,
//! and no page is all zeroes. Pure functions; they must never allocate.

use tmem_client::Page;

/// What a page is for, mixed into its seed.
#[derive(Clone, Copy)]
pub enum Use {
    /// A frontswap page.
    Swap = 1,
    /// A private cleancache page.
    Cache = 2,
    /// A shared cleancache page (client-independent content).
    Shared = 3,
}

/// The seed of page `number` of `client` for `usage`.
pub fn seed(usage: Use, client: u32, number: u32) -> u32 {
    (usage as u32) << 28 | (client & 0x3F) << 20 | (number & 0xF_FFFF)
}

fn word(seed: u32, index: u32) -> u32 {
    seed.wrapping_mul(0x9E37_79B9)
        .wrapping_add(index.wrapping_mul(0x0100_0193))
        ^ 0xA5A5_5A5A
}

/// Fills `page` with the pattern of `seed`.
pub fn fill(page: &mut Page, seed: u32) {
    for (index, bytes) in (0u32..).zip(page.chunks_exact_mut(4)) {
        bytes.copy_from_slice(&word(seed, index).to_le_bytes());
    }
}

/// The offset of the first byte of `page` that differs from the pattern
/// of `seed`, if any.
pub fn first_mismatch(page: &Page, seed: u32) -> Option<u32> {
    (0u32..)
        .zip(page.chunks_exact(4))
        .find_map(|(index, bytes)| {
            let want = word(seed, index).to_le_bytes();
            (0u32..)
                .zip(bytes.iter().zip(want))
                .find(|(_, (got, want))| *got != want)
                .map(|(byte, _)| index * 4 + byte)
        })
}
