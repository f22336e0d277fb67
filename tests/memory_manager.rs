//! The memory manager in QEMU: with self-ballooning, a guest whose demand
//! grows receives memory that an idle guest gave back (more than the
//! manager's reserve alone could give it); with static partitioning no
//! frame moves; either way the frames are conserved at the end — the
//! manager's books, the description's total and the kernel's count of
//! the manager's frame capabilities agree — and every byte the growing
//! guest read back was right.

use system_tests::{boot_system, exit, line, number_after, Outcome, Source};
use xtask::session::BootReport;

/// The manager's partition index in both test systems.
const MANAGER: u8 = 3;
/// Frames each guest boots with, and the reserve (tests/systems/memory-*.toml).
const BOOT_FRAMES: u64 = 24;
const RESERVE: u64 = 4;

/// `key=value` from a `demo` line.
fn field(line: &str, key: &str) -> u64 {
    line.split_whitespace()
        .find_map(|word| word.strip_prefix(key)?.strip_prefix('='))
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("no {key} in {line}"))
}

/// The `ram=` of every per-period line of `guest`.
fn ram_over_time(report: &BootReport, guest: &str) -> Vec<u64> {
    report
        .messages_from(Source::Partition(MANAGER))
        .into_iter()
        .filter(|m| m.starts_with(&format!("demo guest={guest} ")))
        .map(|m| field(m, "ram"))
        .collect()
}

/// Checks what both policies must show, returns the two guests' RAM over
/// time.
fn run(system: &str) -> (Vec<u64>, Vec<u64>, BootReport) {
    let report = boot_system(system);
    let transcript = report.transcript();
    assert_eq!(report.outcome, Outcome::Exited(exit::CLEAN), "{transcript}");
    let end = line(&report, MANAGER, "demo end ");
    assert!(end.contains("conserved=yes"), "{end}");
    assert_eq!(
        field(end, "frames_total"),
        2 * BOOT_FRAMES + RESERVE,
        "{end}"
    );
    assert_eq!(field(end, "frames_expected"), 2 * BOOT_FRAMES + RESERVE);
    assert!(field(end, "periods") >= 3, "{end}");
    line(&report, MANAGER, "memory manager: the kernel counts");
    // The growing guest's workload read back every byte right.
    let phased = line(&report, 2, "guest 2: phased ");
    assert!(phased.contains("completed"), "{phased}");
    assert_eq!(number_after(phased, "mismatches"), Some(0), "{phased}");
    let idle = ram_over_time(&report, "guest1");
    let growing = ram_over_time(&report, "guest2");
    assert!(
        !idle.is_empty() && idle.len() == growing.len(),
        "{transcript}"
    );
    // Each line's frames, with the reserve's, make the whole.
    for m in report.messages_from(Source::Partition(MANAGER)) {
        if let Some(pool) = m.strip_prefix("demo pool ") {
            let period = field(pool, "period") as usize;
            let held = idle[period - 1] + growing[period - 1];
            assert_eq!(
                held + field(pool, "reserve"),
                2 * BOOT_FRAMES + RESERVE,
                "{m}"
            );
        }
    }
    (idle, growing, report)
}

#[test]
fn with_self_ballooning_a_growing_guest_receives_memory_an_idle_guest_gave_back() {
    let (idle, growing, report) = run("memory-balloon");
    let transcript = report.transcript();
    let least_idle = *idle.iter().min().unwrap();
    let most_growing = *growing.iter().max().unwrap();
    assert!(
        least_idle < BOOT_FRAMES,
        "the idle guest gave frames back: {idle:?}"
    );
    assert!(
        most_growing > BOOT_FRAMES + RESERVE,
        "the growing guest held more than its boot frames and the whole reserve: {growing:?}\n{transcript}"
    );
    assert!(least_idle >= 8, "never below the floor: {idle:?}");
    assert!(most_growing <= 64, "never past the ceiling: {growing:?}");
    let pool = line(&report, MANAGER, "demo pool period=1 ");
    assert!(pool.contains("policy=selfballoon"), "{pool}");
    // The guests' own counts: the idle one gave frames, the growing one
    // took them in.
    let (idle_given, _) = balloon_counts(&report, 1);
    let (_, growing_taken) = balloon_counts(&report, 2);
    assert!(idle_given > 0, "{transcript}");
    assert!(growing_taken > RESERVE, "{transcript}");
}

/// Frames guest `guest` (partition `guest` too) gave and took, from its
/// last balloon line.
fn balloon_counts(report: &BootReport, guest: u8) -> (u64, u64) {
    let prefix = format!("guest {guest}: balloon: ");
    let last = report
        .messages_from(Source::Partition(guest))
        .into_iter()
        .find(|m| m.starts_with(&prefix) && m.contains(" periods, "))
        .unwrap_or_else(|| panic!("no balloon counts from guest {guest}"));
    let given = number_after(last, "periods,").unwrap_or_else(|| panic!("{last}"));
    let taken = number_after(last, "frames given,").unwrap_or_else(|| panic!("{last}"));
    (given, taken)
}

#[test]
fn with_static_partitioning_no_frame_moves() {
    let (idle, growing, report) = run("memory-static");
    assert_eq!(balloon_counts(&report, 1), (0, 0));
    assert_eq!(balloon_counts(&report, 2), (0, 0));
    assert!(idle.iter().all(|&ram| ram == BOOT_FRAMES), "{idle:?}");
    assert!(growing.iter().all(|&ram| ram == BOOT_FRAMES), "{growing:?}");
    let pool = line(&report, MANAGER, "demo pool period=1 ");
    assert!(pool.contains("policy=static"), "{pool}");
    assert_eq!(field(pool, "reserve"), RESERVE, "{pool}");
}
