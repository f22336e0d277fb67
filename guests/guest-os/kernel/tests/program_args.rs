//! The words the guest kernel starts a program with are the ones the
//! program decodes into its parameters: each program's named fields from
//! the plan come back field for field, and every process's pattern key is
//! its own.

use guest_os_config::{FilePlan, FileScanPlan, GuestPlan, HogPlan, KvPlan, ProgramPlan, ZipfPlan};
use guest_os_kernel::program_args::{arguments, tag};
use guest_programs::{kv, zipf};

fn plan() -> GuestPlan {
    GuestPlan {
        processes: true,
        files: Some(FilePlan {
            files: 4,
            pages_per_file: 12,
            rounds: 1,
            on_card: true,
        }),
        ..GuestPlan::idle(3)
    }
}

#[test]
fn each_program_gets_its_named_parameters_back() {
    let plan = plan();
    let z = ZipfPlan {
        pages: 40,
        operations: 3000,
        exponent: 0.9,
        seed: 7,
        write_percent: 25,
    };
    let (name, words) = arguments(&plan, &ProgramPlan::Zipf(z), 0);
    assert_eq!(name, "zipf");
    assert_eq!(
        zipf::Params::from_words(&words),
        Some(zipf::Params {
            pages: 40,
            operations: 3000,
            exponent: 0.9,
            seed: 7,
            write_percent: 25,
            tag: tag(3, 0),
        })
    );
    let k = KvPlan {
        keys: 128,
        operations: 10,
        put_percent: 30,
        seed: 2,
    };
    let (name, words) = arguments(&plan, &ProgramPlan::Kv(k), 1);
    assert_eq!(name, "kv");
    assert_eq!(
        kv::Params::from_words(&words),
        Some(kv::Params {
            keys: 128,
            operations: 10,
            put_percent: 30,
            seed: 2,
            tag: tag(3, 1),
        })
    );
    let scan = FileScanPlan {
        rounds: 3,
        pause_us: 2000,
    };
    assert_eq!(
        arguments(&plan, &ProgramPlan::FileScan(scan), 2),
        ("file-scan", vec![4, 12, 3, 2000])
    );
    let hog = HogPlan {
        pages: 48,
        passes: 2,
    };
    assert_eq!(
        arguments(&plan, &ProgramPlan::Hog(hog), 1),
        ("hog", vec![48, 2, tag(3, 1)])
    );
    assert_eq!(arguments(&plan, &ProgramPlan::Wild, 2), ("wild", vec![]));
}

#[test]
fn every_process_of_every_guest_has_its_own_pattern_key() {
    let mut seen = std::collections::BTreeSet::new();
    for guest in 1..=50 {
        for k in 0..3 {
            assert!(seen.insert(tag(guest, k)), "guest {guest} process {k}");
        }
    }
}
