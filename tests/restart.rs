//! Restartable partitions: the supervisor restarts a server that faulted
//! mid-call, from its boot image; the client's call in flight ends in
//! `PeerGone`, it reconnects, and every reply after the restart is right.
//! The supervisor learns of the fault from the kernel's stop notification,
//! not by polling.

use system_tests::{assert_logged, boot_system, exit, Outcome, Source};

#[test]
fn the_supervisor_restarts_a_faulted_server_and_its_client_reconnects() {
    let report = boot_system("restart-echo");
    let transcript = report.transcript();
    // Nothing is left stopped: the run ends clean at its time limit.
    assert_eq!(report.outcome, Outcome::Exited(exit::CLEAN), "{transcript}");
    assert_logged(&report, "partition server stopped");
    let supervisor = report.messages_from(Source::Partition(1));
    let woken = "supervisor: woken by the kernel (stop bits 1)";
    let (Some(first_wake), Some(restarted)) = (
        supervisor.iter().position(|&line| line == woken),
        supervisor
            .iter()
            .position(|&line| line.starts_with("supervisor: restarted partition 0")),
    ) else {
        panic!("the kernel woke the supervisor, which restarted the server:\n{transcript}");
    };
    assert!(
        first_wake < restarted,
        "woken, then restarted:\n{transcript}"
    );
    assert_eq!(
        supervisor[0], "supervisor: watching, woken by the kernel's stop notification",
        "{transcript}"
    );
    assert!(
        supervisor.contains(&"supervisor: restarted partition 0 (restart 1)"),
        "{transcript}"
    );
    let ready = report
        .messages_from(Source::Partition(0))
        .iter()
        .filter(|&&line| line == "echo server ready")
        .count();
    assert_eq!(ready, 2, "booted, then restarted:\n{transcript}");
    let client = report.messages_from(Source::Partition(2));
    assert_eq!(
        client,
        ["restart client: 20 of 20 replies correct, PeerGone for the call in flight, reconnected"],
        "{transcript}"
    );
    assert_logged(&report, "partition client: finished");
    // Waiting, not polling: the supervisor used almost none of its windows.
    let (windows, running) = time_of(&report, "supervisor");
    assert!(
        windows >= 100 && running * 20 <= windows,
        "ran {running} ms of {windows}:\n{transcript}"
    );
}

/// The kernel's end-of-run account of `partition`: (ms of windows, ms
/// running), from "partition NAME: STATE, W ms of windows, R ms running".
fn time_of(report: &xtask::session::BootReport, partition: &str) -> (u32, u32) {
    let prefix = format!("partition {partition}: ");
    let line = report
        .messages_from(Source::Kernel)
        .into_iter()
        .find(|m| m.starts_with(&prefix) && m.ends_with(" ms running"))
        .unwrap_or_else(|| panic!("no time account for {partition}"));
    let numbers: Vec<u32> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    match numbers[..] {
        [windows, running] => (windows, running),
        _ => panic!("unexpected time account: {line}"),
    }
}
