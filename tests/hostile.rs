//! Isolation under crafted attacks (issue 17's four reproductions, as
//! hostile partitions): a revoke reaches every copy however many there
//! are; a frame lent for one call is gone from the server, with every copy
//! it made, when the call is answered, and cannot be deleted or passed on
//! before; a malformed reply is refused whole while the caller still waits
//! and other callers queue; and a tmem client in transfer mode cannot keep
//! a way into a frame it hands the server. After each, the attacker
//! reaches nothing it should not and the victims see only their own data.
//! A guest cannot give the memory manager a frame it keeps.

use system_tests::{assert_exited, boot_system, exit, Source};
use xtask::session::BootReport;

/// `SyscallError::Busy` and `InvalidArgument` as the partitions log them.
const BUSY: u32 = 15;
const INVALID_ARGUMENT: u32 = 7;

fn lines(report: &BootReport, partition: u8) -> Vec<&str> {
    report.messages_from(Source::Partition(partition))
}

fn hostile() -> &'static BootReport {
    static REPORT: std::sync::OnceLock<BootReport> = std::sync::OnceLock::new();
    REPORT.get_or_init(|| boot_system("hostile"))
}

#[test]
fn a_revoke_takes_down_every_copy_and_mapping_past_any_fixed_bound() {
    let report = hostile();
    let transcript = assert_exited(report, exit::CLEAN);
    assert!(
        lines(report, 0).contains(
            &"revoke: 70 copies mapped; revoke returned 0; 0 mappings and 0 copies survive"
        ),
        "{transcript}"
    );
    assert!(
        lines(report, 0).contains(&"revoke: the revoker keeps its own frame: true"),
        "{transcript}"
    );
    assert!(
        lines(report, 2).contains(
            &"victim: the server mapped 70 copies and read 0x5ec00001; after the revoke (0) it reaches 0 mappings and holds 0 copies"
        ),
        "across partitions too:\n{transcript}"
    );
}

#[test]
fn a_lent_frame_and_every_copy_of_it_are_gone_after_the_reply() {
    let report = hostile();
    let transcript = report.transcript();
    let expected = format!(
        "victim: during the call the server read 0x5ec00001, its delete of the lent capability returned {BUSY}; after the reply it reaches 0 pages and holds 0 frames"
    );
    assert!(
        lines(report, 2).contains(&expected.as_str()),
        "{transcript}"
    );
    let expected = format!(
        "victim: the server's transfer onward of the lent frame returned {BUSY}; a frame came back: false"
    );
    assert!(
        lines(report, 2).contains(&expected.as_str()),
        "{transcript}"
    );
}

#[test]
fn a_malformed_reply_is_refused_whole_and_the_caller_still_gets_the_real_one() {
    let report = hostile();
    let transcript = report.transcript();
    let expected = format!(
        "victim: the server's malformed replies returned {INVALID_ARGUMENT} and {INVALID_ARGUMENT}; its real reply arrived"
    );
    assert!(
        lines(report, 2).contains(&expected.as_str()),
        "{transcript}"
    );
    assert!(
        lines(report, 2).contains(&"victim: its page still holds 0x5ec00001"),
        "{transcript}"
    );
    assert!(
        report.find("kernel invariants hold").is_some(),
        "the kernel's end-of-run check:\n{transcript}"
    );
    assert!(
        lines(report, 3).contains(&"bystander: 40 of 40 calls answered correctly"),
        "calls made while the reply was owed queue and are served:\n{transcript}"
    );
}

#[test]
fn a_transfer_mode_tmem_client_keeps_no_way_into_the_store() {
    let report = boot_system("tmem-hostile");
    let transcript = assert_exited(&report, exit::CLEAN);
    let attacker = lines(&report, 1);
    assert!(
        attacker.contains(
            &"hostile transfer: a put with a copy of the exchange frame kept was refused (Shared); the copy reaches 0 store pages"
        ),
        "{transcript}"
    );
    assert!(
        attacker.iter().any(
            |l| l.starts_with("hostile transfer: after deleting the copy") && l.ends_with("0 bad")
        ),
        "{transcript}"
    );
    assert!(
        lines(&report, 2)
            .iter()
            .any(|l| l.starts_with("transfer churn: 100 rounds") && l.ends_with(", 0 bad")),
        "the victim's pages all come back exact:\n{transcript}"
    );
    let manager = lines(&report, 3);
    assert!(
        manager.iter().any(
            |l| l.starts_with("tmem isolation:") && l.contains("reachable by the server alone")
        ),
        "no store frame is reachable by another partition:\n{transcript}"
    );
    assert!(
        manager.contains(&"tmem store invariants hold"),
        "{transcript}"
    );
}

/// A guest of the memory manager gives back a derived copy of a page it
/// keeps, and a page lent for the call: both are refused (`NotAFrame`),
/// it still holds its page, and the manager's books stay true — the
/// frame a later take hands over is a real one-page frame, not the
/// cheat's own page, and the kernel's census at the end is the one at
/// boot, partition by partition (the honest give and the take cancel).
/// Before the manager sorted what came with a give, it booked both: the
/// take then passed an empty slot, and the cheat ended with a page less
/// and the manager with one more.
#[test]
fn a_guest_cannot_give_the_memory_manager_a_frame_it_keeps() {
    let report = boot_system("balloon-cheat");
    let transcript = assert_exited(&report, exit::CLEAN);
    let cheat = lines(&report, 0);
    for expected in [
        "balloon cheat: a transferred page: done; a copy: not a one-page frame; a lent page: not a one-page frame",
        "balloon cheat: it still holds its page: true",
        "balloon cheat: a take: done; a one-page frame came: true; it is not its own page: true",
        "balloon cheat: a second take: not owed",
    ] {
        assert!(cheat.contains(&expected), "{expected:?} in:\n{transcript}");
    }
    assert!(
        !lines(&report, 1)
            .iter()
            .any(|l| l.contains("refused a reply") || l.contains("did not arrive")),
        "the manager never passes a frame it does not have:\n{transcript}"
    );
    system_tests::assert_no_frame_leaked(&report);
}
