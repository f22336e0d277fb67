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

/// Marks a shared cleancache key as naming a page of this module's file
/// set (ASCII `FILESET1`): a later change to [`file_byte`] must change it.
pub const SHARED_KEY_TAG: u64 = u64::from_be_bytes(*b"FILESET1");

/// The key (a tmem object id's three words) under which file `file` of
/// `plan` keeps its clean pages in a shared cleancache pool. Two guests'
/// files get the same key exactly when they hold the same bytes: a byte is
/// a function of the file's number and offset alone ([`file_byte`]) and the
/// size is a function of `pages_per_file`, so the key is the number and the
/// size (how many files or rounds a guest has does not matter). Linux keys
/// a shared pool by the file system's UUID and the inode; this file set's
/// "UUID" is its formula, [`SHARED_KEY_TAG`].
pub fn shared_file_key(file: u32, plan: &FilePlan) -> [u64; 3] {
    [u64::from(file), u64::from(file_size(plan)), SHARED_KEY_TAG]
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

    fn plan(files: u32, pages_per_file: u32, rounds: u32) -> FilePlan {
        FilePlan {
            files,
            pages_per_file,
            rounds,
            on_card: false,
        }
    }

    /// Every byte of file `file` of `plan`, as a reader sees it.
    fn contents(file: u32, plan: &FilePlan) -> impl Iterator<Item = u8> {
        (0..file_size(plan)).map(move |offset| file_byte(file, offset))
    }

    #[test]
    fn equal_shared_keys_name_equal_files_and_different_files_get_different_keys() {
        let plans = [
            plan(4, 12, 3),
            plan(2, 12, 1),
            plan(6, 12, 9),
            plan(4, 11, 3),
            plan(4, 13, 3),
            plan(1, 1, 1),
        ];
        for a in &plans {
            for b in &plans {
                for file_a in 0..a.files {
                    for file_b in 0..b.files {
                        let same_key = shared_file_key(file_a, a) == shared_file_key(file_b, b);
                        let same_bytes = contents(file_a, a).eq(contents(file_b, b));
                        assert_eq!(
                            same_key, same_bytes,
                            "file {file_a} of {a:?} and file {file_b} of {b:?}"
                        );
                    }
                }
            }
        }
    }

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
