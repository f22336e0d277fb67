//! What every byte a workload writes should be — guest-programs' page
//! pattern, re-exported so the guest kernel and its programs check pages
//! the same way — and what every byte of a synthetic file is, a function
//! of file and offset. Pure functions; they never allocate.

use guest_mm::FileId;
pub use guest_programs::pattern::{fill, first_mismatch, Expected};

/// Byte `offset` of synthetic file `file`.
/// (the file set's formula, shared with xtask's FAT image).
pub fn file_byte(file: FileId, offset: u32) -> u8 {
    guest_os_config::file_set::file_byte(file.0, offset)
}
