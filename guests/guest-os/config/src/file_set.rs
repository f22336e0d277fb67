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

/// The number of the file named `name` (the inverse of [`file_name`]):
/// `None` for any name [`file_name`] never gives.
pub fn file_number(name: &[u8]) -> Option<u32> {
    let [b'F', digits @ .., b'.', b'D', b'A', b'T'] = name else {
        return None;
    };
    if digits.len() != 4 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        digits
            .iter()
            .fold(0, |number, digit| number * 10 + u32::from(digit - b'0')),
    )
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
    fn a_name_gives_back_its_number_and_nothing_else_does() {
        for file in [0, 7, 42, 999, 9999] {
            assert_eq!(file_number(file_name(file).as_bytes()), Some(file));
        }
        for wrong in [
            &b"f0001.dat"[..],
            b"F001.DAT",
            b"F00001.DAT",
            b"F0x01.DAT",
            b"F0001.DAX",
            b"F0001DAT",
            b"",
            b"/F0001.DAT",
        ] {
            assert_eq!(file_number(wrong), None, "{:?}", wrong);
        }
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
