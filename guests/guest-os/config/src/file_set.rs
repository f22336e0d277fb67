//! The file set a guest's file reader reads: the files' names, sizes and
//! every byte of their contents, as functions of the plan. xtask writes
//! exactly these files into the FAT image on the SD card; the guest checks
//! every byte it reads against the same functions, so a wrong, stale or
//! foreign page is detected. Pure functions; they never allocate.

use crate::FilePlan;

/// Bytes the last page of each file lacks, so every file ends in a
/// partial page and the end-of-file path is exercised.
pub const LAST_PAGE_SHORT_BY: u32 = 100;

/// Bytes in a page of a file.
pub const PAGE_BYTES: u32 = 4096;

/// Byte `offset` of file `file` (numbered from 0).
pub fn file_byte(file: u32, offset: u32) -> u8 {
    let mixed = (offset / 4)
        .wrapping_mul(0x9E37_79B9)
        .wrapping_add(file.wrapping_mul(0x85EB_CA6B));
    (mixed >> ((offset % 4) * 8)) as u8 ^ (mixed >> 27) as u8
}

/// The size in bytes of every file of `plan` (0 if it has no pages).
pub fn file_size(plan: &FilePlan) -> u32 {
    plan.pages_per_file
        .saturating_mul(PAGE_BYTES)
        .saturating_sub(LAST_PAGE_SHORT_BY)
}

/// The 8.3 name of file `file` in the root directory: `F0000.DAT`,
/// `F0001.DAT`, ... (upper case, as FAT stores short names).
pub fn file_name(file: u32) -> heapless::String<12> {
    let mut name = heapless::String::new();
    let digits = [1000, 100, 10, 1].map(|unit| b'0' + ((file / unit) % 10) as u8);
    for byte in [b'F'].into_iter().chain(digits).chain(*b".DAT") {
        // 9 bytes always fit in 12.
        let _ = name.push(char::from(byte));
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_distinct_short_names() {
        assert_eq!(file_name(0).as_str(), "F0000.DAT");
        assert_eq!(file_name(42).as_str(), "F0042.DAT");
        assert_ne!(file_name(1), file_name(2));
    }

    #[test]
    fn files_differ_and_end_short() {
        let plan = FilePlan {
            files: 2,
            pages_per_file: 3,
            rounds: 1,
            on_card: true,
        };
        assert_eq!(file_size(&plan), 3 * 4096 - 100);
        let differ = (0..4096).filter(|&o| file_byte(0, o) != file_byte(1, o));
        assert!(differ.count() > 4000, "two files' pages are told apart");
        let shifted = (0..4096).filter(|&o| file_byte(0, o) != file_byte(0, o + 4096));
        assert!(shifted.count() > 4000, "two pages of a file are told apart");
    }
}
