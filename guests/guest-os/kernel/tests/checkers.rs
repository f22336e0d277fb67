//! The workloads' checkers: a page passes its check only when every byte
//! is what its guest, address and version say, and any single wrong byte
//! is found where it is.

use guest_mm::{FileId, PAGE_SIZE};
use guest_os_kernel::workload::pattern::{file_byte, fill, first_mismatch, Expected};
use proptest::prelude::*;

proptest! {
    #[test]
    fn a_filled_page_checks_and_any_wrong_byte_is_found_where_it_is(
        guest in 0u32..64,
        page in 0u32..0x8_0000,
        version in 1u32..1000,
        offset in 0usize..PAGE_SIZE,
        flip in 1u8..=255,
    ) {
        let address = page << 12;
        let mut contents = [0u8; PAGE_SIZE];
        fill(&mut contents, guest, address, version);
        prop_assert_eq!(first_mismatch(&contents, guest, address, Expected::Version(version)), None);
        prop_assert_eq!(first_mismatch(&contents, guest, address, Expected::Zero), Some(0));
        contents[offset] ^= flip;
        prop_assert_eq!(
            first_mismatch(&contents, guest, address, Expected::Version(version)),
            Some(offset)
        );
    }

    #[test]
    fn a_page_of_another_version_address_or_guest_fails(
        guest in 0u32..64,
        page in 1u32..0x8_0000,
        version in 1u32..1000,
        which in 0usize..3,
    ) {
        let address = page << 12;
        let mut contents = [0u8; PAGE_SIZE];
        fill(&mut contents, guest, address, version);
        let wrong = match which {
            0 => first_mismatch(&contents, guest, address, Expected::Version(version + 1)),
            1 => first_mismatch(&contents, guest, address - 4096, Expected::Version(version)),
            _ => first_mismatch(&contents, (guest + 1) % 64, address, Expected::Version(version)),
        };
        prop_assert!(wrong.is_some());
    }
}

#[test]
fn a_zero_page_checks_as_demand_zero_only() {
    let contents = [0u8; PAGE_SIZE];
    assert_eq!(first_mismatch(&contents, 1, 0x1000, Expected::Zero), None);
    assert!(first_mismatch(&contents, 1, 0x1000, Expected::Version(1)).is_some());
}

#[test]
fn files_differ_from_each_other() {
    let differing = (0..4096)
        .filter(|&offset| file_byte(FileId(0), offset) != file_byte(FileId(1), offset))
        .count();
    assert!(differing > 3000, "{differing}");
}
