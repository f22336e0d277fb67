//! IPC between partitions: calls and replies carry words and the caller's
//! badge to a passive server, notifications wake waiters, capability
//! errors are reported, and a server that faults mid-call releases its
//! caller with an error instead of leaving it blocked.

use system_tests::{assert_exited, assert_logged, boot_system, exit, Source};

#[test]
fn calls_carry_badges_notifications_wake_and_bad_capabilities_are_refused() {
    let report = boot_system("ipc");
    let transcript = assert_exited(&report, exit::CLEAN);
    assert!(report
        .messages_from(Source::Partition(0))
        .contains(&"echo server ready"));
    for (partition, badge) in [(1u8, 1), (2, 2)] {
        let lines = report.messages_from(Source::Partition(partition));
        let expected = format!("ping-pong: 100 calls answered, server saw badge {badge}");
        assert!(lines.contains(&expected.as_str()), "{transcript}");
        assert!(lines.contains(&"doorbell rang: bits 0x5"), "{transcript}");
        for check in [
            "error check empty slot: EmptySlot",
            "error check wrong type: WrongType",
            "error check missing rights: MissingRights",
            "error check slot out of range: InvalidArgument",
        ] {
            assert!(
                lines.contains(&check),
                "partition {partition} lacks {check:?}:\n{transcript}"
            );
        }
    }
    assert!(
        report.find("bad reply").is_none() && report.find("failed").is_none(),
        "{transcript}"
    );
}

#[test]
fn a_server_that_faults_mid_call_releases_its_caller_with_an_error() {
    let report = boot_system("ipc-server-fault");
    let transcript = assert_exited(&report, exit::PARTITION_FAULT);
    assert_logged(&report, "partition server stopped");
    let client = report.messages_from(Source::Partition(1));
    assert_eq!(
        client,
        ["call 1: PeerGone", "call 2: PeerGone"],
        "{transcript}"
    );
    assert_logged(&report, "partition client: finished");
}

#[test]
fn a_device_interrupt_signals_the_driver_partitions_notification() {
    let report = boot_system("irq");
    let transcript = assert_exited(&report, exit::CLEAN);
    let driver = report.messages_from(Source::Partition(0));
    assert_eq!(
        driver,
        [
            "uart1 interrupt 1 delivered (bits 0x4)",
            "uart1 interrupt 2 delivered (bits 0x4)",
            "uart1 interrupt 3 delivered (bits 0x4)",
        ],
        "{transcript}"
    );
}

#[test]
fn ipc_buffers_carry_structured_payloads_both_ways() {
    let report = boot_system("buffer");
    let transcript = assert_exited(&report, exit::CLEAN);
    // (21, "a longer message") went in; (21 * 2, its length) came back.
    assert_eq!(
        report.messages_from(Source::Partition(1)),
        ["buffered reply: 42 and 16"],
        "{transcript}"
    );
}
