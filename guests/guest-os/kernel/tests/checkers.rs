//! The workloads' checkers and the guest's plan: a page passes its check
//! only when every byte is what its guest, address and version say, any
//! single wrong byte is found where it is, and the argument word decodes
//! to the fields the description packed into it.

use guest_mm::{FileId, PAGE_SIZE};
use guest_os_kernel::config::{GuestPlan, FILE_PLAN, PHASE_SCHEDULE};
use guest_os_kernel::workload::pattern::{file_byte, fill, first_mismatch, Expected};
use proptest::prelude::*;
use tmem_protocol::ExchangeMode;

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

    #[test]
    fn the_argument_decodes_to_the_fields_packed_into_it(
        mode in 0u32..4,
        guest in 0u32..64,
        hog in 0u32..256,
        passes in 0u32..16,
        step in 0u32..256,
        files in any::<bool>(),
        sd_swap in any::<bool>(),
        bench in any::<bool>(),
        processes in any::<bool>(),
    ) {
        let argument = mode | guest << 2 | hog << 8 | passes << 16 | step << 20 | u32::from(files) << 28 | u32::from(sd_swap) << 29 | u32::from(bench) << 30 | u32::from(processes) << 31;
        let plan = GuestPlan::decode(argument);
        prop_assert_eq!(plan.tmem, ExchangeMode::from_bits(mode));
        prop_assert_eq!(plan.guest, guest);
        prop_assert_eq!(plan.hog.map(|h| (h.pages, h.passes)), (hog != 0).then_some((hog, passes.max(1))));
        prop_assert_eq!(plan.phased.map(|p| p.step_pages), (step != 0).then_some(step));
        prop_assert_eq!(plan.files, files.then_some(FILE_PLAN));
        prop_assert_eq!(plan.sd_swap, sd_swap);
        prop_assert_eq!(plan.bench, bench);
        prop_assert_eq!(plan.processes, processes);
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

#[test]
fn the_phased_schedule_rises_then_falls() {
    let peak = PHASE_SCHEDULE
        .iter()
        .position(|&s| s == *PHASE_SCHEDULE.iter().max().unwrap())
        .unwrap();
    assert!(PHASE_SCHEDULE[..=peak].windows(2).all(|w| w[0] < w[1]));
    assert!(PHASE_SCHEDULE[peak..].windows(2).all(|w| w[0] > w[1]));
    assert_eq!(GuestPlan::decode(0).tmem_name(), "off");
}

#[test]
fn the_benchmark_series_names_where_pages_go() {
    let series = |argument| GuestPlan::decode(argument).swap_series();
    assert_eq!(series(1 << 29), "sd_only");
    assert_eq!(series(0), "none");
    assert_eq!(series(1 | 1 << 29), "copy");
    assert_eq!(series(2), "grant_map");
    assert_eq!(series(3 | 1 << 29), "transfer");
}
