//! What every byte a workload writes should be: a function of the guest,
//! the page's address and the page's version (the pass that wrote it), so
//! that a lost, stale, shifted or foreign page fails verification. Pure
//! functions; they never allocate.

/// Bytes in a page.
pub const PAGE_BYTES: usize = 4096;

/// What a page should hold when read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expected {
    /// Never written: demand-zero memory reads as zeros.
    Zero,
    /// Written by version `n` of the workload.
    Version(u32),
}

fn word(guest: u32, address: u32, version: u32, index: u32) -> u32 {
    let seed = guest
        .wrapping_mul(0x0100_0193)
        .wrapping_add(address.wrapping_mul(0x9E37_79B9))
        .wrapping_add(version.wrapping_mul(0x85EB_CA6B));
    (seed ^ index.wrapping_mul(0xC2B2_AE35)).rotate_left(index % 31) | 1
}

/// Fills `page` (at `address`) with version `version` of `guest`'s pattern.
/// No word of it is zero, so it never looks like a demand-zero page.
pub fn fill(page: &mut [u8; PAGE_BYTES], guest: u32, address: u32, version: u32) {
    for (index, bytes) in (0u32..).zip(page.chunks_exact_mut(4)) {
        bytes.copy_from_slice(&word(guest, address, version, index).to_le_bytes());
    }
}

/// The offset of the first byte of `page` (at `address`) that is not what
/// `expected` says, if any.
pub fn first_mismatch(
    page: &[u8; PAGE_BYTES],
    guest: u32,
    address: u32,
    expected: Expected,
) -> Option<usize> {
    match expected {
        Expected::Zero => page.iter().position(|&byte| byte != 0),
        Expected::Version(version) => {
            (0u32..)
                .zip(page.chunks_exact(4))
                .find_map(|(index, bytes)| {
                    let want = word(guest, address, version, index).to_le_bytes();
                    bytes
                        .iter()
                        .zip(want)
                        .position(|(got, want)| *got != want)
                        .map(|byte| index as usize * 4 + byte)
                })
        }
    }
}
