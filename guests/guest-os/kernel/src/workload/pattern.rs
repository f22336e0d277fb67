//! What every byte a workload writes should be — guest-programs' page
//! pattern, re-exported so the guest kernel and its programs check pages
//! the same way — and what every byte of a synthetic file is, a function
//! of file and offset. Pure functions; they never allocate.

use guest_mm::FileId;
pub use guest_programs::pattern::{fill, first_mismatch, Expected};

/// Byte `offset` of synthetic file `file`.
pub fn file_byte(file: FileId, offset: u32) -> u8 {
    let mixed = (offset / 4)
        .wrapping_mul(0x9E37_79B9)
        .wrapping_add(file.0.wrapping_mul(0x85EB_CA6B));
    (mixed >> ((offset % 4) * 8)) as u8 ^ (mixed >> 27) as u8
}
