//! Checking what a read of a guest file returned: the file set's bytes
//! (`guest_os_config::file_set`, the same functions xtask writes the FAT
//! image with) are the truth, so a wrong, stale, foreign or short page is
//! caught. One checker for both readers: the file-scan program and the
//! guest kernel's own file reader. Pure; it never allocates.

use guest_os_config::file_set::file_byte;

/// The first byte of `read` (what a read of file `file` at `offset`
/// returned, `want` bytes asked within the file) that is wrong: a byte
/// that is not the file's, or the end of a short read.
pub fn first_wrong_byte(file: u32, offset: u32, want: usize, read: &[u8]) -> Option<usize> {
    (0..read.len())
        .find(|&at| read[at] != file_byte(file, offset.wrapping_add(at as u32)))
        .or((read.len() != want).then_some(read.len().min(want)))
}
