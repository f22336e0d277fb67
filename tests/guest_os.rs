//! The guest OS in QEMU: two guest kernels whose workloads need more memory
//! than their RAM verify every byte they read back, with their pages
//! swapped out to tmem through frontswap and back in from it, and their
//! dropped file pages caught by cleancache; the tmem server's accounting
//! holds afterwards and its per-client page counts are back to zero. A
//! guest that tmem refuses, with no swap device, runs out of memory
//! cleanly: it says so, loses nothing, frees its process and ends. Guests
//! with a swap region on the SD card swap there when tmem is off or
//! refuses (also when tmem fills up), and still lose nothing. A guest
//! runs its programs as processes in their own address spaces, demand-
//! paged through its memory management; one that writes outside its
//! areas is killed and the others finish. A guest reads its files from
//! the FAT image xtask writes on the SD card, and re-reads them through
//! cleancache without a wrong byte. The workload programs (Zipf random
//! access, a key-value store, a file scan through open/read/close that
//! sleeps between rounds) run as processes over tmem and find no wrong
//! page; a process's end (exit or kill) frees exactly the frames, swap
//! slots and tmem pages it held. A guest OS stopped mid-run leaves the
//! other guest and the tmem server running, and the server frees its pages
//! once the manager drops its client.

use system_tests::{
    assert_exited, assert_logged, assert_no_frame_leaked, assert_tmem_server_consistent,
    boot_system, boot_system_on_fresh_disk, count_in, exit, line, number_after, tmem_row, Source,
};
use xtask::session::BootReport;

/// `guest`'s line about `workload` (partition `partition`).
fn workload_line<'a>(report: &'a BootReport, partition: u8, guest: u32, workload: &str) -> &'a str {
    line(report, partition, &format!("guest {guest}: {workload} "))
}

/// `guest`'s `workload` (partition `partition`) completed and read back
/// no wrong page; returns its line.
fn assert_workload_completed<'a>(
    report: &'a BootReport,
    partition: u8,
    guest: u32,
    workload: &str,
) -> &'a str {
    let done = workload_line(report, partition, guest, workload);
    assert!(
        done.contains("completed"),
        "{done}\n{}",
        report.transcript()
    );
    assert_eq!(number_after(done, "mismatches"), Some(0), "{done}");
    done
}

/// `guest`'s hog processes 0 and 1 (partition `partition`) each checked
/// `pages` pages and found none wrong.
fn assert_hogs_checked(report: &BootReport, partition: u8, guest: u32, pages: u64) {
    for process in [0, 1] {
        let hog = line(
            report,
            partition,
            &format!("guest {guest}: process {process}: hog:"),
        );
        assert_eq!(number_after(hog, " checked"), Some(pages), "{hog}");
        assert_eq!(number_after(hog, "mismatches"), Some(0), "{hog}");
    }
}

/// `guest`'s processes (partition `partition`) all ended as `ended` says
/// ("2 exited cleanly, 0 failed, 1 killed"), and its memory management
/// was consistent after.
fn assert_processes_ended(report: &BootReport, partition: u8, guest: u32, ended: &str) {
    line(
        report,
        partition,
        &format!("guest {guest}: processes: {ended}"),
    );
    line(
        report,
        partition,
        &format!("guest {guest}: every process ended; memory management is consistent"),
    );
}

/// `guest`'s final line (partition `partition`, tmem mode `mode`).
fn final_line<'a>(report: &'a BootReport, partition: u8, guest: u32, mode: &str) -> &'a str {
    line(report, partition, &format!("guest {guest} ({mode}) final:"))
}

/// Process `process` of guest `guest` (partition `partition`) held as
/// many frames and swap slots as its end freed, and its slots were the
/// tmem pages freed (no swap device); returns the tmem pages.
fn assert_end_freed_what_it_held(
    report: &BootReport,
    partition: u8,
    guest: u32,
    process: u32,
) -> u64 {
    let end = line(
        report,
        partition,
        &format!("guest {guest}: process {process} held "),
    );
    let count = |marker| count_in(end, marker);
    assert_eq!(count(" held"), count("freed"), "frames: {end}");
    assert_eq!(count("frames and"), count("frames,"), "swap slots: {end}");
    assert_eq!(count("frames,"), count("slots,"), "tmem pages: {end}");
    count("slots,")
}

/// The persistent pages the tmem server (its manager: partition
/// `manager`) still holds of client `client`.
fn persistent_pages_left(report: &BootReport, manager: u8, client: u32) -> u64 {
    tmem_row(report, manager, client, None)[7]
}

/// Guest 1 (`guest-a`) was stopped by the manager, which makes the run's
/// status 3 (`PARTITION_FAULT`); returns the transcript.
fn assert_guest_a_stopped(report: &BootReport) -> String {
    let transcript = assert_exited(report, exit::PARTITION_FAULT);
    assert_logged(report, "partition guest-a stopped by monitor manager");
    transcript
}

#[test]
fn guests_whose_demand_exceeds_their_ram_swap_to_tmem_and_lose_no_byte() {
    let report = boot_system("os-guests");
    let transcript = assert_exited(&report, exit::CLEAN);
    for (partition, guest, mode) in [(1, 1, "copy"), (2, 2, "grant-map")] {
        // The guest kernel carries the programs, built for the target and
        // checked as ELF files at boot.
        for program in ["hog", "wild"] {
            let wanted = format!("guest {guest}: program {program}: entry 0x10000");
            assert!(transcript.contains(&wanted), "{wanted}\n{transcript}");
        }
        // Hog: 96 pages x (2 passes + the last sweep); phased: 16-page
        // steps over 1,2,3,4,3,2,1 plus the check before each unmap;
        // files: 4 files x 12 pages x 3 rounds.
        for (workload, pages) in [("memory hog", 192), ("phased", 320), ("file reader", 144)] {
            let done = assert_workload_completed(&report, partition, guest, workload);
            assert_eq!(number_after(done, "pages checked"), Some(pages), "{done}");
        }
        let last = final_line(&report, partition, guest, mode);
        let count = |marker| count_in(last, marker);
        assert_eq!(count("RAM"), 32, "{last}");
        assert!(
            count("swap-outs to tmem") >= 64,
            "pages went to tmem: {last}"
        );
        assert_eq!(count("to device"), 0, "there is no swap device: {last}");
        assert!(count("swap-ins from tmem") >= 64, "pages came back: {last}");
        assert_eq!(count("from device"), 0, "{last}");
        assert_eq!(count("in tmem now"), 0, "every process ended: {last}");
        assert!(count("cleancache puts") > 0, "{last}");
        assert!(count("hits") > 0, "re-read files hit cleancache: {last}");
        let periodic = report
            .messages_from(Source::Partition(partition))
            .into_iter()
            .filter(|m| m.starts_with(&format!("guest {guest} ({mode}) report:")))
            .count();
        assert!(periodic >= 2, "periodic reports:\n{transcript}");
        let verdict = line(
            &report,
            partition,
            &format!("guest {guest}: every workload"),
        );
        assert!(
            verdict.contains("memory management is consistent"),
            "{verdict}"
        );
        // The server holds no persistent page of the guest any more.
        let numbers = tmem_row(&report, 3, guest, None);
        assert_eq!(numbers.len(), 8, "{transcript}");
        assert!(numbers[1] > 0, "the guest put pages: {numbers:?}");
        assert_eq!(numbers[7], 0, "persistent pages left: {numbers:?}");
    }
    assert_tmem_server_consistent(&report, 3);
}

#[test]
fn a_guest_refused_by_tmem_without_a_swap_device_runs_out_of_memory_cleanly() {
    let report = boot_system("os-guest-oom");
    let transcript = assert_exited(&report, exit::CLEAN);
    // Each hog is killed when a page of it cannot be made resident, and
    // its end frees exactly the frames, swap slots and tmem pages it held.
    let mut in_tmem = 0;
    for process in [0, 1] {
        let killed = line(&report, 1, &format!("guest 1: process {process} killed"));
        assert!(killed.contains("out of memory"), "{killed}");
        in_tmem += assert_end_freed_what_it_held(&report, 1, 1, process);
    }
    assert!(
        in_tmem > 0,
        "the killed hogs held tmem pages:\n{transcript}"
    );
    assert_processes_ended(&report, 1, 1, "0 exited cleanly, 0 failed, 3 killed");
    let last = final_line(&report, 1, 1, "copy");
    assert!(count_in(last, "tmem refusals") > 0, "{last}");
    assert_eq!(number_after(last, "in tmem now"), Some(0), "{last}");
    assert_eq!(
        number_after(last, "free"),
        Some(8),
        "the killed processes' frames are free: {last}"
    );
    assert_eq!(
        persistent_pages_left(&report, 2, 1),
        0,
        "the hogs' tmem pages were freed"
    );
    assert_tmem_server_consistent(&report, 2);
}

#[test]
fn guests_touching_three_times_their_ram_swap_to_the_sd_card_with_and_without_tmem() {
    let (report, _) = boot_system_on_fresh_disk("os-guests-sd");
    assert_exited(&report, 0);
    for (partition, guest, mode) in [(1, 1, "copy"), (2, 2, "off")] {
        let region = line(&report, partition, &format!("guest {guest}: swaps to"));
        assert_eq!(
            number_after(region, "region:"),
            Some(256),
            "1 MiB: {region}"
        );
        // Two hog processes of 36 pages each (together 3x the guest's
        // RAM), each writing and checking every page twice; the wild
        // process is killed.
        assert_hogs_checked(&report, partition, guest, 72);
        assert_processes_ended(
            &report,
            partition,
            guest,
            "2 exited cleanly, 0 failed, 1 killed",
        );
        let last = final_line(&report, partition, guest, mode);
        let count = |marker| count_in(last, marker);
        assert_eq!(count("RAM"), 24, "{last}");
        assert_eq!(count("write-out failures"), 0, "{last}");
        assert_eq!(count("in tmem now"), 0, "{last}");
        let (from_tmem, from_device) = (count("swap-ins from tmem"), count("from device"));
        if mode == "off" {
            assert_eq!(count("swap-outs to tmem"), 0, "{last}");
            assert!(count("to device") >= 64, "pages went to the card: {last}");
            assert_eq!(from_tmem, 0, "{last}");
            assert!(from_device >= 64, "pages came back from the card: {last}");
        } else {
            // The pool has room for the guest's pages: tmem takes them.
            assert!(from_tmem >= 64, "{last}");
            assert!(
                from_tmem >= 10 * from_device,
                "swap-ins come from tmem far more often than from the card: {last}"
            );
        }
    }
    assert_eq!(
        persistent_pages_left(&report, 3, 1),
        0,
        "persistent pages left"
    );
    assert_tmem_server_consistent(&report, 3);
}

#[test]
fn a_guest_whose_pages_overflow_tmem_swaps_the_rest_to_the_sd_card_and_loses_no_byte() {
    let (report, _) = boot_system_on_fresh_disk("os-guest-sd-full");
    assert_exited(&report, 0);
    // Two hog processes of 100 pages each, every page written and
    // checked twice; the wild process is killed.
    assert_hogs_checked(&report, 1, 1, 200);
    assert_processes_ended(&report, 1, 1, "2 exited cleanly, 0 failed, 1 killed");
    let last = final_line(&report, 1, 1, "copy");
    let count = |marker| count_in(last, marker);
    assert!(count("tmem refusals") > 0, "the pool filled: {last}");
    assert!(count("swap-outs to tmem") > 0, "{last}");
    assert!(
        count("to device") > 0,
        "refused pages went to the card: {last}"
    );
    assert!(count("swap-ins from tmem") > 0, "{last}");
    assert!(count("from device") > 0, "{last}");
    assert_eq!(count("write-out failures"), 0, "{last}");
    assert_eq!(count("in tmem now"), 0, "{last}");
    assert_eq!(
        persistent_pages_left(&report, 2, 1),
        0,
        "persistent pages left"
    );
    assert_tmem_server_consistent(&report, 2);
}

#[test]
fn programs_run_as_processes_and_a_misbehaving_one_is_killed_while_the_others_finish() {
    let report = boot_system("os-procs");
    let transcript = assert_exited(&report, exit::CLEAN);
    // The wild program says what it will do (its text is a constant of
    // its image, which the guest kernel reads for `write`), then writes
    // where nothing is mapped: killed there.
    line(
        &report,
        1,
        "guest 1: process 2: wild: writing where nothing is mapped",
    );
    let killed = line(&report, 1, "guest 1: process 2 killed");
    assert!(killed.contains("fault at 0x70000000"), "{killed}");
    assert!(
        !transcript.contains("the store went through"),
        "{transcript}"
    );
    // The two hogs, in their own address spaces, each touch 48 pages (2x
    // the guest's Vm RAM) twice and check every page themselves.
    assert_hogs_checked(&report, 1, 1, 96);
    for process in [0, 1] {
        line(
            &report,
            1,
            &format!("guest 1: process {process} exited with status 0"),
        );
    }
    assert_processes_ended(&report, 1, 1, "2 exited cleanly, 0 failed, 1 killed");
    // Their pages went to tmem and came back; every process's frames and
    // tmem pages are freed at its end.
    let last = final_line(&report, 1, 1, "copy");
    let count = |what| count_in(last, what);
    assert!(count("swap-ins from tmem") >= 96, "{last}");
    assert_eq!(count("free"), 24, "{last}");
    assert_eq!(count("in tmem now"), 0, "{last}");
    assert_eq!(
        persistent_pages_left(&report, 2, 1),
        0,
        "persistent pages left:\n{transcript}"
    );
    assert_tmem_server_consistent(&report, 2);
}

#[test]
fn a_guest_reads_its_files_from_the_fat_image_on_the_card_and_rereads_them_through_cleancache() {
    let (report, _) = boot_system_on_fresh_disk("guest-files");
    assert_exited(&report, exit::CLEAN);
    line(
        &report,
        1,
        "guest 1: reads its files from the SD card (FAT)",
    );
    // 4 files x 12 pages x 3 rounds, every byte checked against the file
    // set's formula (xtask wrote the same bytes into the FAT image).
    let done = assert_workload_completed(&report, 1, 1, "file reader");
    assert_eq!(number_after(done, "pages checked"), Some(144), "{done}");
    let last = final_line(&report, 1, 1, "copy");
    let count = |marker| count_in(last, marker);
    // 48 file pages in 32 frames: every round drops pages to cleancache
    // and the next round finds them there instead of on the card.
    assert!(count("cleancache puts") > 0, "{last}");
    assert!(count("hits") > 0, "re-reads hit cleancache: {last}");
    assert!(
        count("misses") >= 48,
        "the first round reads every page from the card: {last}"
    );
    line(&report, 1, "guest 1: every workload completed");
    assert_tmem_server_consistent(&report, 2);
}

#[test]
fn a_guest_finds_file_pages_another_guest_dropped_in_the_shared_cleancache_pool() {
    let (report, _) = boot_system_on_fresh_disk("os-shared-files");
    let transcript = assert_exited(&report, exit::CLEAN);
    // Both guests check every byte they read against the file set's
    // formula: a page the other guest put under a wrong key would show.
    for (partition, guest, checked) in [(1, 1, 144), (2, 2, 48)] {
        line(
            &report,
            partition,
            &format!("guest {guest}: reads its files from the SD card (FAT)"),
        );
        let done = assert_workload_completed(&report, partition, guest, "file reader");
        assert_eq!(number_after(done, "pages checked"), Some(checked), "{done}");
        line(
            &report,
            partition,
            &format!("guest {guest}: every workload completed"),
        );
    }
    let final_count =
        |partition, guest, marker| count_in(final_line(&report, partition, guest, "copy"), marker);
    assert!(final_count(1, 1, "cleancache puts") > 0, "{transcript}");
    // Guest B reads each of the 48 file pages once, after a hog, while A
    // re-reads them: every hit is a page B never read, found where A
    // dropped it, and B goes to the card for fewer than all 48.
    let hits = final_count(2, 2, "hits");
    let misses = final_count(2, 2, "misses");
    assert!(hits > 0, "B found none of A's pages: {transcript}");
    assert_eq!(hits + misses, 48, "{transcript}");
    assert!(misses < 48, "{transcript}");
    assert_tmem_server_consistent(&report, 3);
}

#[test]
fn the_workload_programs_run_as_processes_over_tmem_and_lose_no_page() {
    let (report, _) = boot_system_on_fresh_disk("os-workloads");
    let transcript = assert_exited(&report, exit::CLEAN);
    // Each program's result line: everything it did, every page or record
    // it read back checked, none wrong.
    for (process, program, operations) in
        [(0, "zipf", 3000), (1, "kv", 3000), (2, "file-scan", 144)]
    {
        let done = line(
            &report,
            1,
            &format!("guest 1: process {process}: {program}:"),
        );
        assert_eq!(number_after(done, "operations"), Some(operations), "{done}");
        assert!(count_in(done, " checked") > 0, "{done}");
        assert_eq!(number_after(done, "mismatches"), Some(0), "{done}");
        line(
            &report,
            1,
            &format!("guest 1: process {process} exited with status 0"),
        );
    }
    // The file scan checks each of the 4 files' 12 pages in 3 rounds.
    let scan = line(&report, 1, "guest 1: process 2: file-scan:");
    assert_eq!(number_after(scan, " checked"), Some(144), "{scan}");
    assert_processes_ended(&report, 1, 1, "3 exited cleanly, 0 failed, 0 killed");
    let last = final_line(&report, 1, 1, "copy");
    let count = |what| count_in(last, what);
    // More than the guest's RAM: dirty pages went to frontswap and came
    // back; the file scan's re-reads found dropped pages in cleancache.
    assert!(count("swap-outs to tmem") > 0, "{last}");
    assert!(count("swap-ins from tmem") > 0, "{last}");
    assert!(count("cleancache puts") > 0, "{last}");
    assert!(count("hits") > 0, "re-reads hit cleancache: {last}");
    // Every process's end freed exactly the frames and swap slots (in
    // tmem here) it held, and its pages left tmem.
    for process in 0..3 {
        assert_end_freed_what_it_held(&report, 1, 1, process);
    }
    assert_eq!(count("in tmem now"), 0, "{last}");
    assert_eq!(
        persistent_pages_left(&report, 2, 1),
        0,
        "persistent pages left:\n{transcript}"
    );
    assert_tmem_server_consistent(&report, 2);
}

#[test]
fn a_guest_os_stopped_mid_run_leaves_the_other_guest_and_the_tmem_server_running() {
    let report = boot_system("os-guest-crash");
    let transcript = assert_guest_a_stopped(&report);
    // Guest 1 had put pages and never finished.
    assert!(
        !transcript.contains("guest 1: every workload completed"),
        "{transcript}"
    );
    // The manager had the server drop guest 1's client: its swapped-out
    // pages (persistent) and cached file pages went with its pools, and
    // the server holds nothing of it at the end.
    let dropped = line(&report, 3, "dropped tmem client 1: ");
    let freed = |marker| count_in(dropped, marker);
    assert!(freed("client 1:") >= 1, "its swap pool at least: {dropped}");
    assert!(
        freed("ephemeral and") > 0,
        "guest 1 had swapped pages to tmem: {dropped}"
    );
    let stopped = tmem_row(&report, 3, 1, None);
    assert!(stopped[1] > 0, "guest 1 had put pages: {stopped:?}");
    assert_eq!(
        (stopped[6], stopped[7]),
        (0, 0),
        "the server still holds guest 1's pages: {transcript}"
    );
    // Guest 2 runs every workload to the end without a wrong byte, and
    // takes its own pages back out of tmem.
    for workload in ["memory hog", "phased", "file reader"] {
        assert_workload_completed(&report, 2, 2, workload);
    }
    line(
        &report,
        2,
        "guest 2: every workload completed; memory management is consistent",
    );
    assert_eq!(persistent_pages_left(&report, 3, 2), 0, "{transcript}");
    // The server answered to the end and its accounting holds; no frame
    // moved between partitions, none leaked.
    assert_tmem_server_consistent(&report, 3);
    assert_no_frame_leaked(&report);
}

/// Guest `guest`'s last periodic report (partition `partition`, tmem
/// mode `mode`).
fn last_report(report: &BootReport, partition: u8, guest: u32, mode: &str) -> String {
    report
        .messages_from(Source::Partition(partition))
        .into_iter()
        .rfind(|m| m.starts_with(&format!("guest {guest} ({mode}) report:")))
        .unwrap_or_else(|| panic!("no report from guest {guest}:\n{}", report.transcript()))
        .to_string()
}

#[test]
fn a_guest_os_killed_mid_swap_loses_the_other_no_page_and_leaks_nothing() {
    let (report, host_time) = boot_system_on_fresh_disk("os-guest-kill-swap");
    assert!(host_time.as_secs() < 60, "{host_time:?}");
    let transcript = assert_guest_a_stopped(&report);
    // Guest 1 was swapping to tmem and to the card when it was stopped,
    // and never finished.
    let before = last_report(&report, 1, 1, "copy");
    let count = |marker| count_in(&before, marker);
    assert!(count("swap-outs to tmem") > 0, "{before}");
    assert!(count("to device") > 0, "{before}");
    assert!(count("in tmem now") > 0, "{before}");
    assert!(
        !transcript.contains("guest 1: every process ended"),
        "{transcript}"
    );
    // The server freed its pages.
    let dropped = line(&report, 3, "dropped tmem client 1: ");
    assert!(count_in(dropped, "ephemeral and") > 0, "{dropped}");
    let stopped = tmem_row(&report, 3, 1, None);
    assert_eq!((stopped[6], stopped[7]), (0, 0), "{transcript}");
    // Guest 2 swapped to both too, and lost no page.
    assert_hogs_checked(&report, 2, 2, 128);
    assert_processes_ended(&report, 2, 2, "2 exited cleanly, 0 failed, 0 killed");
    let last = final_line(&report, 2, 2, "grant-map");
    let count = |marker| count_in(last, marker);
    assert!(count("swap-outs to tmem") > 0, "{last}");
    assert!(count("to device") > 0, "{last}");
    assert_eq!(count("write-out failures"), 0, "{last}");
    assert_eq!(count("in tmem now"), 0, "{last}");
    assert_eq!(persistent_pages_left(&report, 3, 2), 0, "{transcript}");
    assert_tmem_server_consistent(&report, 3);
    assert_no_frame_leaked(&report);
}

#[test]
fn a_restarted_guest_os_starts_with_nothing_of_its_old_run_in_tmem() {
    let report = boot_system("os-guest-restart");
    let transcript = assert_exited(&report, exit::CLEAN);
    // The manager stopped guest 1 with pages of it in tmem; the supervisor
    // had the server drop its client, then restarted it.
    let position = |text: &str| {
        transcript
            .find(text)
            .unwrap_or_else(|| panic!("no {text:?}:\n{transcript}"))
    };
    let stopped = position("partition guest-a stopped by monitor manager");
    let dropped = position("supervisor: tmem client 1 dropped: ");
    let restarted = position("partition guest-a restarted by supervisor (restart 1)");
    assert!(stopped < dropped && dropped < restarted, "{transcript}");
    let dropped = line(&report, 4, "supervisor: tmem client 1 dropped: ");
    assert!(
        count_in(dropped, "ephemeral and") > 0,
        "the old run had swapped pages to tmem: {dropped}"
    );
    // Both guests run every workload to the end without a wrong byte (the
    // restarted one from the start), and take their pages back out.
    for (partition, guest) in [(1, 1), (2, 2)] {
        for workload in ["memory hog", "phased", "file reader"] {
            assert_workload_completed(&report, partition, guest, workload);
        }
        line(
            &report,
            partition,
            &format!("guest {guest}: every workload completed; memory management is consistent"),
        );
        // Nothing persistent left: not the new run's, not the old run's.
        assert_eq!(persistent_pages_left(&report, 3, guest), 0, "{transcript}");
    }
    assert_tmem_server_consistent(&report, 3);
    assert_no_frame_leaked(&report);
}
