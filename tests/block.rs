//! The block server in QEMU on the emulated SD card (PL181): data written
//! survives a restart of QEMU with the same image; two clients reach only
//! their own regions and a malformed or out-of-range request is refused
//! while the other client is served; without a card the server says so
//! once and refuses requests while the system runs on; and a modelled
//! microSD write blocks its client for the model's time in virtual time,
//! without costing that much host time.

use system_tests::{
    assert_exited, boot_system_on_fresh_disk, boot_system_with_disk, disk_path, line, number_after,
    Disk, Source,
};
use xtask::logstream::LogEvent;

/// Partition indices in the block systems: the server first.
const SERVER: u8 = 0;
const ALPHA: u8 = 1;
const BETA: u8 = 2;
/// The latency system's ticker.
const TICKER: u8 = 2;

/// The microSD model's write time (10^6 / 3.1 ops/s, rounded).
const MICROSD_WRITE_US: u64 = 322_581;

#[test]
fn blocks_written_before_a_restart_read_back_identical_after_it() {
    let (first, _) = boot_system_on_fresh_disk("block-persist");
    let transcript = assert_exited(&first, 0);
    assert!(
        line(&first, SERVER, "block server: card of").contains("1 clients"),
        "{transcript}"
    );
    line(&first, ALPHA, "persist: 0 of 1000 blocks hold the pattern");
    line(&first, ALPHA, "persist: wrote 1000 blocks");

    let image = disk_path("block-persist");
    let (second, _) = boot_system_with_disk("block-persist", Disk::Kept(&image), &[]);
    let transcript = assert_exited(&second, 0);
    line(&second, ALPHA, "persist: read 1000 blocks back identical");
    assert!(
        second.find("writing it").is_none(),
        "the second boot found the pattern missing:\n{transcript}"
    );

    // The image holds the data where the region says: block 999 of client
    // 1's region (which starts at the disk's first block) is not zeros,
    // and nothing was written past the region's 1,000 blocks.
    let bytes = std::fs::read(&image).unwrap();
    assert!(bytes[999 * 4096..1000 * 4096].iter().any(|&b| b != 0));
    assert!(bytes[1000 * 4096..].iter().all(|&b| b == 0));
}

#[test]
fn clients_are_confined_and_bad_requests_do_not_stop_the_server() {
    let (report, _) = boot_system_on_fresh_disk("block-confine");
    assert_exited(&report, 0);
    for refusal in [
        "hostile: read past the region refused (out of range)",
        "hostile: write across the end refused (out of range)",
        "hostile: write at block 2^32-1 refused (out of range)",
        "hostile: unknown opcode refused (malformed request)",
        "hostile: reserved bits refused (malformed request)",
        "hostile: run beyond the window refused (bad buffer)",
        "hostile: flush with a block refused (malformed request)",
        "hostile: two-word request refused (malformed request)",
    ] {
        line(&report, ALPHA, refusal);
    }
    line(
        &report,
        ALPHA,
        "hostile: 8 of 8 refused; own region served: true",
    );
    line(
        &report,
        BETA,
        "neighbour: 20 rounds served, 0 mismatches; past its end: out of range",
    );
    // On the disk: alpha wrote only its last block (255); beta's region
    // starts at block 256 and holds beta's data, not alpha's.
    let bytes = std::fs::read(disk_path("block-confine")).unwrap();
    let block = |n: usize| &bytes[n * 4096..(n + 1) * 4096];
    assert!(
        block(255).iter().any(|&b| b != 0),
        "alpha's own write landed"
    );
    assert!(block(254).iter().all(|&b| b == 0));
    assert_ne!(block(256), block(255), "beta's first block is beta's");
    assert!(
        bytes[512 * 4096..].iter().all(|&b| b == 0),
        "nothing past the regions"
    );
}

#[test]
fn without_a_card_the_server_says_so_once_and_refuses_requests() {
    let (report, _) = boot_system_with_disk("block-nocard", Disk::None, &[]);
    let transcript = assert_exited(&report, 0);
    let no_card: Vec<_> = report
        .messages_from(Source::Partition(SERVER))
        .into_iter()
        .filter(|m| m.contains("no card"))
        .collect();
    assert_eq!(no_card.len(), 1, "{transcript}");
    line(
        &report,
        ALPHA,
        "no card: read true, write true, flush true refused with no card",
    );
    line(&report, ALPHA, "no card:");
    assert!(
        report
            .find("run ended: the time limit was reached")
            .is_some(),
        "the system ran to its end:\n{transcript}"
    );
}

#[test]
fn a_modelled_microsd_write_blocks_its_client_in_virtual_time_not_host_time() {
    let image = disk_path("block-latency");
    let (report, host) = boot_system_with_disk(
        "block-latency",
        Disk::Fresh(&image),
        // Skip idle virtual time (see docs/block.md for why this is not
        // yet the default).
        &["-icount", "shift=0,sleep=off"],
    );
    let transcript = assert_exited(&report, 0);
    let one = number_after(line(&report, ALPHA, "latency: one write"), "blocked").unwrap();
    // At least the model's time; at most that plus a few major frames (the
    // server answers in its own window).
    assert!(
        (MICROSD_WRITE_US..MICROSD_WRITE_US + 12_000).contains(&one),
        "one write blocked {one} us:\n{transcript}"
    );
    let hundred = number_after(line(&report, ALPHA, "latency: 100 writes"), "took").unwrap();
    assert!(
        (100 * MICROSD_WRITE_US..100 * (MICROSD_WRITE_US + 12_000)).contains(&hundred),
        "100 writes took {hundred} us:\n{transcript}"
    );
    assert!(
        host.as_secs() < 20,
        "32 s of modelled time took {host:?} of host time"
    );

    // The ticker's progress per 100 ms of virtual time is the same before
    // the writes (the writer spins) and while they block it (writer and
    // server idle): blocking costs the other partition nothing.
    let counts: Vec<u64> = report
        .messages_from(Source::Partition(TICKER))
        .into_iter()
        .filter(|m| m.starts_with("ticker: interval"))
        .filter_map(|m| {
            m.rsplit_once(": ")?
                .1
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .collect();
    assert_eq!(counts.len(), 12, "{transcript}");
    let (least, most) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
    assert!(
        most * 100 <= least * 105,
        "the ticker's progress per interval varied from {least} to {most}:\n{transcript}"
    );
    // Idle virtual time is skipped without stretching the kernel's tick:
    // the run ends after its 34,000 ticks at 34 s, not later.
    let ended = report
        .events
        .iter()
        .find_map(|event| match event {
            LogEvent::Line(line) if line.message.contains("run ended") => line.timestamp.clone(),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no end:\n{transcript}"));
    let ended: f64 = ended.trim().parse().unwrap();
    assert!(
        (34.0..34.5).contains(&ended),
        "ended at {ended} s:\n{transcript}"
    );
}
