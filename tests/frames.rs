//! Frames between partitions through capabilities: a transient grant that
//! the server may use only until it replies, a transfer after which the
//! sender has no access, and a derived copy that the giver revokes — each
//! checked by the hardware: the access that should be gone faults.

use system_tests::{assert_exited, assert_logged, boot_system, exit, Outcome, Source};

const WINDOW_FAULT: &str = "translation fault (page) on read of address 0x7f000000";

#[test]
fn a_transient_grant_is_usable_during_the_call_and_gone_after_the_reply() {
    let report = boot_system("grant");
    let transcript = assert_exited(&report, exit::PARTITION_FAULT);
    let client = report.messages_from(Source::Partition(1));
    assert!(
        client.contains(&"grant: server read 0x1234 and wrote 0x1235"),
        "{transcript}"
    );
    assert!(
        client.contains(&"after the grant ended the server's access faulted: PeerGone"),
        "{transcript}"
    );
    assert!(
        report
            .find(&format!("partition server: {WINDOW_FAULT}"))
            .is_some(),
        "{transcript}"
    );
}

#[test]
fn a_transfer_leaves_the_sender_without_access() {
    let report = boot_system("transfer");
    let transcript = assert_exited(&report, exit::PARTITION_FAULT);
    let client = report.messages_from(Source::Partition(1));
    assert!(
        client.contains(&"the server reads 0x42 from the transferred frame"),
        "{transcript}"
    );
    assert_logged(&report, "partition client stopped");
    assert!(
        report
            .find(&format!("partition client: {WINDOW_FAULT}"))
            .is_some(),
        "{transcript}"
    );
    assert!(report.find("still read").is_none(), "{transcript}");
}

#[test]
fn revoking_a_derived_copy_removes_the_mapping_in_the_other_partition() {
    let report = boot_system("revoke");
    let transcript = assert_exited(&report, exit::PARTITION_FAULT);
    let client = report.messages_from(Source::Partition(1));
    assert!(
        client.contains(&"the server reads 0x77 through its copy"),
        "{transcript}"
    );
    assert!(
        client.contains(&"after the revoke the server's access faulted: PeerGone"),
        "{transcript}"
    );
    assert!(
        report
            .find(&format!("partition server: {WINDOW_FAULT}"))
            .is_some(),
        "{transcript}"
    );
}

#[test]
fn a_pager_maps_a_page_on_fault_and_the_faulting_thread_continues() {
    let report = boot_system("pager");
    let transcript = report.transcript();
    // The third fault finds the pager out of frames: that one stops the client.
    assert_eq!(
        report.outcome,
        Outcome::Exited(exit::PARTITION_FAULT),
        "{transcript}"
    );
    let pager = report.messages_from(Source::Partition(0));
    assert!(pager.contains(&"out of frames"), "{transcript}");
    let faults: Vec<_> = pager
        .iter()
        .filter(|m| m.starts_with("page fault at 0x7f00"))
        .collect();
    assert_eq!(faults.len(), 3, "{transcript}");
    assert!(
        faults.iter().all(|m| m.ends_with("from badge 5")),
        "{faults:?}"
    );
    let client = report.messages_from(Source::Partition(1));
    assert_eq!(
        client,
        [
            "demand paging: page 0 read 0x0, wrote and read back 0x99",
            "demand paging: page 1 read 0x0, wrote and read back 0x9a",
        ],
        "{transcript}"
    );
    assert_logged(
        &report,
        "partition client: translation fault (page) on read of address 0x7f002000",
    );
}
