//! Frames between partitions through capabilities: a transient grant that
//! the server may use only until it replies, a transfer after which the
//! sender has no access, and a derived copy that the giver revokes — each
//! checked by the hardware: the access that should be gone faults.

use system_tests::{boot_system, exit, Outcome, Source};

const WINDOW_FAULT: &str = "translation fault (page) on read of address 0x7f000000";

#[test]
fn a_transient_grant_is_usable_during_the_call_and_gone_after_the_reply() {
    let report = boot_system("grant");
    let transcript = report.transcript();
    assert_eq!(
        report.outcome,
        Outcome::Exited(exit::PARTITION_FAULT),
        "{transcript}"
    );
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
    let transcript = report.transcript();
    assert_eq!(
        report.outcome,
        Outcome::Exited(exit::PARTITION_FAULT),
        "{transcript}"
    );
    let client = report.messages_from(Source::Partition(1));
    assert!(
        client.contains(&"the server reads 0x42 from the transferred frame"),
        "{transcript}"
    );
    assert!(
        report.find("partition client stopped").is_some(),
        "{transcript}"
    );
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
    let transcript = report.transcript();
    assert_eq!(
        report.outcome,
        Outcome::Exited(exit::PARTITION_FAULT),
        "{transcript}"
    );
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
