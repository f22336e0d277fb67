//! The memory manager in QEMU: with self-ballooning, a guest whose demand
//! grows receives memory that an idle guest gave back (more than the
//! manager's reserve alone could give it); with static partitioning no
//! frame moves; either way the frames are conserved at the end — the
//! manager's books, the description's total and the kernel's count of
//! the manager's frame capabilities agree — and every byte the growing
//! guest read back was right. The default system (`cargo xtask
//! run-qemu`, the memory demo) runs to its end: its summary shows the
//! growing guest swapping to tmem up to its cap and past it to the SD
//! card, its frames are conserved, and its plot is a well-formed SVG.

use system_tests::{
    assert_exited, boot_system, boot_system_with_disk, census, disk_path, exit, line, number_after,
    Disk, Source,
};
use xtask::demo::{plot, DemoSeries, DemoSummary};
use xtask::logstream::LogEvent;
use xtask::session::BootReport;

/// The manager's partition index in both test systems.
const MANAGER: u8 = 3;
/// Frames each guest boots with, and the reserve (tests/systems/memory-*.toml).
const BOOT_FRAMES: u64 = 24;
const RESERVE: u64 = 4;
/// Frames the tmem server's store boots with (its 128 KiB memory frame).
const POOL_AT_BOOT: i64 = 32;

/// `key=value` from a `demo` line, as a `T`.
fn parsed_field<T: std::str::FromStr>(line: &str, key: &str) -> T {
    line.split_whitespace()
        .find_map(|word| word.strip_prefix(key)?.strip_prefix('='))
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("no {key} in {line}"))
}

/// `key=value` from a `demo` line.
fn field(line: &str, key: &str) -> u64 {
    parsed_field(line, key)
}

/// `key=value` from a `demo` line, where the value may be negative.
fn signed_field(line: &str, key: &str) -> i64 {
    parsed_field(line, key)
}

/// The manager's `demo pool` lines, in period order.
fn pool_lines(report: &BootReport) -> Vec<&str> {
    report
        .messages_from(Source::Partition(MANAGER))
        .into_iter()
        .filter_map(|m| m.strip_prefix("demo pool "))
        .collect()
}

/// The kernel's counts at boot and at the end agree with the manager's
/// and the tmem pool's: every page is a partition's or no one's, the sum
/// is all of RAM, no page was made or lost, and each partition's change
/// is what the manager's books say moved.
fn kernel_counts_agree(report: &BootReport, guests: &[(&str, u64)], boot_frames: u64) {
    let transcript = report.transcript();
    let boot = census(report, "at boot");
    let end = census(report, "at the end");
    boot.assert_whole(&transcript);
    end.assert_whole(&transcript);
    assert_eq!(boot.ram, end.ram);
    assert_eq!(
        boot.by_partitions, end.by_partitions,
        "no page made or lost: {transcript}"
    );
    let change = |name: &str| end.owned[name] - boot.owned[name];
    let end_line = line(report, MANAGER_OF[guests.len()], "demo end ");
    let from_pool = signed_field(end_line, "from_pool");
    for (name, held) in guests {
        assert_eq!(
            change(name),
            *held as i64 - boot_frames as i64,
            "{name}'s RAM by the kernel and by the manager: {transcript}"
        );
    }
    let reserve = field(end_line, "frames_total") as i64
        - guests.iter().map(|(_, held)| *held as i64).sum::<i64>();
    assert_eq!(end.owned["manager"], reserve, "the manager's reserve");
    assert_eq!(change("manager"), reserve - boot.owned["manager"],);
    assert_eq!(
        change("tmem"),
        -from_pool,
        "what the pool gave, it no longer owns"
    );
}

/// The frames the manager (partition `manager`) says `guest` ends with.
fn ends_with(report: &BootReport, manager: u8, guest: &str) -> u64 {
    let prefix = format!("memory manager: {guest} ends with ");
    let m = report
        .messages_from(Source::Partition(manager))
        .into_iter()
        .find(|m| m.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no {prefix:?}"));
    number_after(m, "ends with").unwrap_or_else(|| panic!("{m}"))
}

/// The manager's partition index by the number of guests: 3 in the test
/// systems (two guests), 4 in the default system (three).
const MANAGER_OF: [u8; 4] = [0, 0, MANAGER, 4];

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
    let transcript = assert_exited(&report, exit::CLEAN);
    let end = line(&report, MANAGER, "demo end ");
    assert!(end.contains("conserved=yes"), "{end}");
    // The manager's frames: those it booted with, and those it took from
    // the tmem pool less those it gave it.
    let whole = |from_pool: i64| (2 * BOOT_FRAMES + RESERVE) as i64 + from_pool;
    let from_pool = signed_field(end, "from_pool");
    assert_eq!(field(end, "frames_total") as i64, whole(from_pool), "{end}");
    assert_eq!(field(end, "frames_expected") as i64, whole(from_pool));
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
    // Each line's frames, with the reserve's, make the whole; and what
    // the manager took from the pool, the pool's store no longer has.
    let pools = pool_lines(&report);
    let pool_at_boot =
        field(pools[0], "tmem_capacity") as i64 + signed_field(pools[0], "from_pool");
    assert_eq!(pool_at_boot, POOL_AT_BOOT, "{}", pools[0]);
    for pool in &pools {
        let period = field(pool, "period") as usize;
        let held = idle[period - 1] + growing[period - 1];
        let from_pool = signed_field(pool, "from_pool");
        assert_eq!(
            (held + field(pool, "reserve")) as i64,
            whole(from_pool),
            "{pool}"
        );
        assert_eq!(
            field(pool, "tmem_capacity") as i64 + from_pool,
            pool_at_boot,
            "{pool}"
        );
    }
    let held = |guest| ends_with(&report, MANAGER, guest);
    kernel_counts_agree(
        &report,
        &[("guest1", held("guest1")), ("guest2", held("guest2"))],
        BOOT_FRAMES,
    );
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
    // The frames moved are the store's own: its capacity fell below what
    // it booted with as it gave free frames, and rose again as frames
    // the manager gave joined it (each period, capacity + from_pool is
    // the boot capacity: checked in `run`).
    let pools = pool_lines(&report);
    let capacity: Vec<i64> = pools
        .iter()
        .map(|p| field(p, "tmem_capacity") as i64)
        .collect();
    let least_capacity = *capacity.iter().min().unwrap();
    assert!(least_capacity < POOL_AT_BOOT, "{capacity:?}");
    assert!(
        capacity.last().copied().unwrap() > least_capacity,
        "frames the manager gave joined the store: {capacity:?}"
    );
    // The pool fed the growth (the manager took frames from it at some
    // period) and took frames back when the demand fell.
    let from_pool: Vec<i64> = pools.iter().map(|p| signed_field(p, "from_pool")).collect();
    let most = *from_pool.iter().max().unwrap();
    let end = line(&report, MANAGER, "demo end ");
    assert!(
        from_pool.windows(2).any(|w| w[1] > w[0]),
        "the pool gave frames: {from_pool:?}\n{transcript}"
    );
    assert!(
        signed_field(end, "from_pool") < most,
        "the pool grew back: {from_pool:?} then {end}\n{transcript}"
    );
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
    for pool in pool_lines(&report) {
        assert_eq!(signed_field(pool, "from_pool"), 0, "{pool}");
    }
}

/// The default system's partitions: guests 1..=3 are partitions 1..=3,
/// the manager partition 4 (systems/default.toml).
const DEMO_MANAGER: u8 = 4;

#[test]
fn the_default_demo_runs_to_its_end_and_its_summary_and_plot_show_tmem_then_the_card_absorbing_the_growth(
) {
    // Its guests swap to the SD card: boot it with a fresh card, as
    // `run-qemu` does.
    let disk = disk_path("memory-demo");
    let (report, _) = boot_system_with_disk("default", Disk::Fresh(&disk), &[]);
    let transcript = assert_exited(&report, exit::CLEAN);
    let mut series = DemoSeries::new();
    for event in &report.events {
        if let LogEvent::Line(line) = event {
            series.feed(&line.origin, &line.message);
        }
    }
    assert!(series.problems.is_empty(), "{:?}", series.problems);
    let summary = DemoSummary::of(&series);
    let text = summary.text();
    assert_eq!(summary.policy.as_deref(), Some("selfballoon"), "{text}");
    let (periods, total, expected, conserved) = summary
        .end
        .unwrap_or_else(|| panic!("no end line: {transcript}"));
    assert!(conserved && total == expected && periods >= 3, "{text}");
    let end = line(&report, DEMO_MANAGER, "demo end ");
    assert_eq!(
        field(end, "frames_expected") as i64,
        3 * 32 + 16 + signed_field(end, "from_pool"),
        "{end}"
    );
    // guest3's demand (96 pages at its peak) is three times its boot RAM
    // and past its ceiling (84 frames): it grows, and what does not fit
    // goes to tmem first — at most its cap of 8 pages at once — and the
    // rest to the SD card.
    let growing = summary
        .guests
        .iter()
        .find(|g| g.name == "guest3")
        .unwrap_or_else(|| panic!("no guest3 in {text}"));
    assert!(growing.peak_ram > 32 && growing.peak_ram <= 84, "{text}");
    assert!(growing.outs_tmem > 0 && growing.ins_tmem > 0, "{text}");
    assert!(
        growing.outs_sd > 0 && growing.ins_sd > 0,
        "past its tmem cap guest3 swaps to the card: {text}"
    );
    let in_tmem = report
        .messages_from(Source::Partition(DEMO_MANAGER))
        .into_iter()
        .filter(|m| m.starts_with("demo guest=guest3 "))
        .map(|m| field(m, "tmem"))
        .max();
    assert!(
        in_tmem.is_some_and(|pages| pages <= 8),
        "the cap holds: {in_tmem:?}"
    );
    // What a page cost the guests: the card (the microsd-2010 model, 3.1
    // operations a second) is far slower than tmem, whatever the host.
    let ((tmem_pages, tmem_us), (sd_pages, sd_us)) = summary
        .swap_time
        .unwrap_or_else(|| panic!("no swap line: {text}"));
    assert!(tmem_pages > 0 && sd_pages > 0, "{text}");
    let sd_mean = sd_us / sd_pages;
    assert!(sd_mean > 100_000, "a card page takes over 100 ms: {text}");
    assert!(sd_mean > 10 * (tmem_us / tmem_pages), "{text}");
    let phased = line(&report, 3, "guest 3: phased ");
    assert_eq!(number_after(phased, "mismatches"), Some(0), "{phased}");
    // The kernel's count agrees with the manager's and the pool's.
    let held: Vec<(&str, u64)> = ["guest1", "guest2", "guest3"]
        .into_iter()
        .map(|g| (g, ends_with(&report, DEMO_MANAGER, g)))
        .collect();
    kernel_counts_agree(&report, &held, 32);
    // The plot: written, well-formed, one RAM line per guest.
    let path = xtask::workspace::target_dir()
        .join("tmp")
        .join(format!("memory-demo-{}.svg", std::process::id()));
    assert!(plot::write_svg(&series, &path).unwrap());
    let svg = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    let document = roxmltree::Document::parse(&svg).expect("a well-formed SVG");
    assert_eq!(document.root_element().tag_name().name(), "svg");
    let texts: Vec<&str> = document.descendants().filter_map(|n| n.text()).collect();
    for guest in ["guest1", "guest2", "guest3"] {
        let label = plot::ram_label(guest);
        assert!(
            texts.iter().any(|t| t.contains(&label)),
            "{label} in {texts:?}"
        );
    }
}
