//! The tmem server in QEMU: guests exchange pages with it over IPC in each
//! of the three exchange modes and every page comes back exact; ephemeral
//! pages are evicted when the pool fills and gets from private pools are
//! exclusive; a client cannot reach another's private pool; only
//! authorised clients join a shared pool; malformed requests get error
//! replies; page flipping loses and duplicates no frame (the server's
//! count and the kernel's agree); and a client stopped mid-operation
//! leaves the server consistent. A frame may take the rest of RAM, which
//! the kernel sizes from the RAM QEMU was given (up to 1 GiB, past the
//! kernel's linear map) and the server maps whole as its pool, so clients
//! store far more pages than a grant window holds; a partition uses the
//! RAM past the linear map, and the kernel writes into it for it.

use system_tests::{
    assert_exited, assert_logged, assert_tmem_server_consistent, boot_system,
    boot_system_with_disk, exit, hex_after, line, number_after, tmem_row, Disk, Outcome, Source,
};
use xtask::session::BootReport;

#[test]
fn the_tmem_modes_system_round_trips_pages_in_all_three_modes_and_prints_a_summary() {
    let report = boot_system("tmem-modes");
    let transcript = assert_exited(&report, exit::CLEAN);
    for (partition, client, mode) in [(1, 1, "copy"), (2, 2, "grant-map"), (3, 3, "transfer")] {
        let summary = line(
            &report,
            partition,
            &format!("client {client} ({mode}): frontswap"),
        );
        assert!(summary.contains("mismatches 0 errors 0"), "{summary}");
        assert_eq!(
            number_after(summary, "frontswap stores"),
            Some(16),
            "{summary}"
        );
        assert!(
            summary.contains("failed 0 loads"),
            "every swap page stored: {summary}"
        );
        // The summary table: ops, puts, hits, misses, flushes, evictions, ...
        let numbers = tmem_row(&report, 4, client, Some(mode));
        assert_eq!(numbers.len(), 8, "{transcript}");
        assert!(numbers[0] > 0 && numbers[2] > 0, "{numbers:?}");
    }
    let flipped = report.find("pages flipped").expect("frame line");
    assert!(
        number_after(flipped, "kernel counts;").unwrap() > 0,
        "{flipped}"
    );
    assert_tmem_server_consistent(&report, 4);
}

/// With a pool smaller than what the guests cache (tmem-modes.toml
/// before its pool took the rest of RAM), ephemeral pages are evicted and
/// every swap page is still stored.
#[test]
fn a_small_pool_evicts_ephemeral_pages_and_keeps_every_persistent_one() {
    let report = boot_system("tmem-small-pool");
    let transcript = assert_exited(&report, exit::CLEAN);
    let evictions: u64 = [(1, "copy"), (2, "grant-map"), (3, "transfer")]
        .iter()
        .map(|&(client, mode)| tmem_row(&report, 4, client, Some(mode))[5])
        .sum();
    assert!(
        evictions > 0,
        "the guests cache more than the pool holds:\n{transcript}"
    );
    for (partition, client, mode) in [(1, 1, "copy"), (2, 2, "grant-map"), (3, 3, "transfer")] {
        let summary = line(&report, partition, &format!("client {client} ({mode}): "));
        assert!(summary.contains("stores 16 failed 0 loads"), "{summary}");
        assert!(summary.contains("mismatches 0 errors 0"), "{summary}");
    }
    assert_tmem_server_consistent(&report, 4);
}

#[test]
fn clients_see_tmem_semantics_and_cannot_reach_each_others_pools() {
    let report = boot_system("tmem-semantics");
    let transcript = assert_exited(&report, exit::CLEAN);
    let prober = report.messages_from(Source::Partition(1));
    assert!(
        prober.contains(&"exclusive get: the first get hit, the second missed"),
        "{transcript}"
    );
    let eviction = line(&report, 1, "eviction:");
    let evicted = number_after(eviction, "came back,").unwrap();
    assert!(evicted > 0, "{eviction}");
    assert!(eviction.contains(" 0 wrong, 0 puts refused"), "{eviction}");
    assert!(
        prober.contains(&"persistent page intact after eviction"),
        "{transcript}"
    );
    assert!(
        line(
            &report,
            1,
            "isolation: 16 pool-id guesses by client 2 read nothing"
        )
        .contains("flushed nothing"),
        "{transcript}"
    );
    assert!(
        prober.contains(
            &"shared pool: the member joined and read its page twice (true), the non-member was refused: Unauthorized"
        ),
        "{transcript}"
    );
    for expected in [
        "malformed request (a foreign version): refused with VersionMismatch",
        "malformed request (an unknown opcode): refused with BadRequest",
        "malformed request (a short put): refused with BadRequest",
        "after malformed requests the server still serves both clients",
    ] {
        assert!(prober.contains(&expected), "{expected}\n{transcript}");
    }
    assert!(
        report
            .messages_from(Source::Partition(1))
            .iter()
            .all(|m| !m.contains("broken")),
        "{transcript}"
    );
    assert_tmem_server_consistent(&report, 2);
}

#[test]
fn page_flipping_keeps_every_frame_accounted_for() {
    let report = boot_system("tmem-transfer");
    let transcript = assert_exited(&report, exit::CLEAN);
    let churn = line(&report, 1, "transfer churn:");
    assert!(
        churn.contains("100 rounds, 200 pages verified, 0 bad"),
        "{churn}"
    );
    assert_tmem_server_consistent(&report, 2);
    let flipped = report.find("pages flipped").unwrap();
    assert!(
        number_after(flipped, "kernel counts;").unwrap() >= 200,
        "{flipped}"
    );
    // The client holds what the description gave it: its window and one page.
    assert!(
        report
            .messages_from(Source::Partition(2))
            .contains(&"partition 1 holds 2 frame capabilities"),
        "{transcript}"
    );
    // The server: the memory frame's 16 pages (the frame itself is deleted
    // once split) and the client's window.
    assert_eq!(
        number_after(
            report.find("tmem frames: the server holds").unwrap(),
            "holds"
        ),
        Some(17)
    );
}

#[test]
fn a_client_stopped_mid_operation_leaves_the_server_consistent() {
    let report = boot_system("tmem-stop");
    // A stopped partition makes the run's status 3.
    let transcript = assert_exited(&report, exit::PARTITION_FAULT);
    assert_logged(&report, "partition prober stopped by monitor manager");
    let worker = line(&report, 2, "client 2 (copy): frontswap");
    assert!(
        worker.contains("mismatches 0 errors 0"),
        "the other client is served:\n{transcript}"
    );
    assert_tmem_server_consistent(&report, 3);
}

/// The manager's report of the pool: (frames, KiB, free frames, persistent
/// pages held) when the guests are done.
fn pool(report: &BootReport, manager: u8) -> (u64, u64, u64, u64) {
    let pool = line(report, manager, "tmem pool: ");
    let number = |marker: &str| {
        number_after(pool, marker).unwrap_or_else(|| panic!("no {marker:?} in {pool:?}"))
    };
    let frames = number("tmem pool: ");
    let free = number("KiB), ");
    let persistent = number("ephemeral and ");
    (frames, number("frames ("), free, persistent)
}

/// A frame written `size_kib = "rest"` gets all RAM nothing else took, as
/// much as the machine has: the kernel asks QEMU for the RAM size, says
/// what it found, and the system runs the same on 128 and 256 MiB; the
/// tmem server's pool is that frame, less the store's tables.
#[test]
fn a_rest_of_ram_frame_grows_with_the_ram_qemu_is_given() {
    let mut rest_kib = Vec::new();
    let mut pool_kib = Vec::new();
    for mib in [128u64, 256] {
        let memory = format!("{mib}M");
        let (report, _) = boot_system_with_disk("tmem-rest", Disk::None, &["-m", &memory]);
        assert_eq!(
            report.outcome,
            Outcome::Exited(exit::CLEAN),
            "{}",
            report.transcript()
        );
        let kernel = report.messages_from(Source::Kernel);
        let said = |prefix: &str| {
            kernel
                .iter()
                .find(|m| m.starts_with(prefix))
                .unwrap_or_else(|| panic!("no {prefix:?}:\n{}", report.transcript()))
                .to_string()
        };
        let ram = said("RAM: ");
        assert_eq!(number_after(&ram, "RAM: "), Some(mib), "{ram}");
        assert!(ram.contains("as the host reports"), "{ram}");
        let frame = said("frame 0 takes the rest of RAM: ");
        let kib = number_after(&frame, "rest of RAM: ").expect("a size in KiB");
        // Everything but the kernel, the partitions and their tables.
        assert!(kib > (mib - 8) * 1024 && kib < mib * 1024, "{frame}");
        rest_kib.push(kib);
        let (_, pool, _, _) = pool(&report, 4);
        // Whole megabytes of the frame, less a seventh for the tables.
        assert!(
            pool <= kib * 6 / 7 + 4 && pool + 1024 >= (kib - 1024) * 6 / 7,
            "pool {pool} KiB of a {kib} KiB frame"
        );
        pool_kib.push(pool);
        assert_tmem_server_consistent(&report, 4);
    }
    let pool_grown = pool_kib[1] - pool_kib[0];
    assert!(
        (100 * 1024..=128 * 1024).contains(&pool_grown),
        "the server's pool grew with the RAM: {pool_kib:?} KiB"
    );
    // The kernel's per-page counters grow with RAM too, and the frame
    // starts on a 1 MiB boundary: at most 1 MiB of the extra goes elsewhere.
    let grown = rest_kib[1] - rest_kib[0];
    assert!(
        (127 * 1024..=128 * 1024).contains(&grown),
        "the extra 128 MiB went to the frame: {rest_kib:?}"
    );
}

/// Given more RAM than the board's 256 MiB (`-m 512M`, `-m 1G`, the most
/// vexpress-a9 takes), the kernel believes the host, keeps the first
/// 768 MiB in its linear map and hands out all of it: the rest-of-RAM
/// frame takes all but the kernel's and the partitions' few megabytes —
/// on 1 GiB reaching past the linear map — and the tmem server's pool
/// grows by about the added RAM (less a seventh for the store's tables).
#[test]
fn with_512_mib_and_1_gib_the_pool_grows_by_about_the_added_ram() {
    let mut rest_kib = Vec::new();
    let mut pool_kib = Vec::new();
    for (mib, linear_mib) in [(512u64, 512u64), (1024, 768)] {
        let memory = format!("{mib}M");
        let (report, _) = boot_system_with_disk("tmem-rest", Disk::None, &["-m", &memory]);
        let transcript = report.transcript();
        assert_eq!(report.outcome, Outcome::Exited(exit::CLEAN), "{transcript}");
        let kernel = report.messages_from(Source::Kernel);
        let said = |prefix: &str| {
            kernel
                .iter()
                .find(|m| m.starts_with(prefix))
                .unwrap_or_else(|| panic!("no {prefix:?} with -m {memory}:\n{transcript}"))
                .to_string()
        };
        let ram = said("RAM: ");
        assert_eq!(number_after(&ram, "RAM: "), Some(mib), "{ram}");
        assert!(ram.contains("as the host reports"), "{ram}");
        assert_eq!(
            number_after(&ram, "), "),
            Some(linear_mib),
            "the linear map: {ram}"
        );
        assert!(
            !kernel.iter().any(|m| m.starts_with("RAM: the host says")),
            "{transcript}"
        );
        let frame = said("frame 0 takes the rest of RAM: ");
        let kib = number_after(&frame, "rest of RAM: ").expect("a size in KiB");
        assert!(kib > (mib - 8) * 1024 && kib < mib * 1024, "{frame}");
        let base = hex_after(&frame, " at ").expect("the frame's address");
        assert_eq!(base + kib * 1024, 0x6000_0000 + (mib << 20), "{frame}");
        rest_kib.push(kib);
        let (_, pool, _, _) = pool(&report, 4);
        assert!(
            pool <= kib * 6 / 7 + 4 && pool + 1024 >= (kib - 1024) * 6 / 7,
            "-m {memory}: pool {pool} KiB of a {kib} KiB frame"
        );
        eprintln!("-m {memory}: a {kib} KiB frame, a pool of {pool} KiB");
        pool_kib.push(pool);
        assert_tmem_server_consistent(&report, 4);
    }
    // 512 MiB more RAM: the frame takes all of it but the kernel's page
    // counters for it (128 KiB), the pool six sevenths of that.
    let grown = rest_kib[1] - rest_kib[0];
    assert!(
        (511 * 1024..=512 * 1024).contains(&grown),
        "the extra 512 MiB went to the frame: {rest_kib:?}"
    );
    let pool_grown = pool_kib[1] - pool_kib[0];
    assert!(
        (436 * 1024..=440 * 1024).contains(&pool_grown),
        "the server's pool grew with the RAM: {pool_kib:?} KiB"
    );
}

/// RAM past the kernel's 768 MiB linear map (`-m 1G`) is handed out and
/// usable: the frame that takes the rest of RAM ends at 1 GiB, the
/// partition holding it writes its last megabyte and reads every word back
/// exact, finds it zeroed, and the kernel writes into its last page
/// (`clock_read`, through the kernel's RAM window) where asked and nowhere
/// else. (Before the window the kernel dropped such writes unsaid.)
#[test]
fn a_partition_uses_the_ram_past_the_kernels_linear_map() {
    let (report, _) = boot_system_with_disk("high-ram", Disk::None, &["-m", "1G"]);
    let transcript = assert_exited(&report, exit::CLEAN);
    let kernel = report.messages_from(Source::Kernel);
    let frame = kernel
        .iter()
        .find(|m| m.starts_with("frame 0 takes the rest of RAM: "))
        .unwrap_or_else(|| panic!("no rest frame:\n{transcript}"));
    let base = hex_after(frame, " at ").expect("the frame's address");
    let kib = number_after(frame, "rest of RAM: ").expect("a size in KiB");
    let linear_end = 0x6000_0000 + (768 << 20);
    assert_eq!(base + kib * 1024, 0xA000_0000, "{frame}");
    assert!(
        base + kib * 1024 - (1 << 20) >= linear_end,
        "the last megabyte lies past the linear map: {frame}"
    );
    let result = line(&report, 0, "high ram: ");
    assert_eq!(
        number_after(result, "high ram: "),
        Some(kib / 4),
        "every page mapped: {result}"
    );
    assert!(
        result.contains(
            "the last 256: 0 words not zeroed, 0 read back wrong; kernel clock write true, 0 words around it wrong"
        ),
        "{transcript}"
    );
}

/// A pool bigger than the grant window: each guest swaps out 255 pages
/// (765 in all, where the server once mapped at most 96 frames) and loads
/// every one back exact, in each exchange mode (a store of a swap page
/// cannot be evicted, so all 255 are held at once).
#[test]
fn clients_store_more_pages_than_a_grant_window_holds_and_get_every_one_back() {
    let report = boot_system("tmem-many-pages");
    assert_eq!(
        report.outcome,
        Outcome::Exited(exit::CLEAN),
        "{}",
        report.transcript()
    );
    for (partition, client, mode) in [(1, 1, "copy"), (2, 2, "grant-map"), (3, 3, "transfer")] {
        let tally = line(&report, partition, &format!("client {client} ({mode}): "));
        let count = |marker: &str| number_after(tally, marker).expect(marker);
        assert_eq!(count("frontswap stores "), 255, "{tally}");
        assert_eq!(
            count("stores 255 failed "),
            0,
            "every store accepted: {tally}"
        );
        assert!(count("loads ") >= 255, "{tally}");
        assert_eq!(
            count("mismatches "),
            0,
            "every page came back exact: {tally}"
        );
        assert_eq!(count("errors "), 0, "{tally}");
    }
    let (frames, _, _, _) = pool(&report, 4);
    assert!(
        frames >= 3 * 255,
        "room for them all at once: {frames} frames"
    );
    assert_tmem_server_consistent(&report, 4);
}
