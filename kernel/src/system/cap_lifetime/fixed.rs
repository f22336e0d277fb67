//! Fixed sequences: a plain example the model must follow, and the
//! regression sequences that broke the pre-fix kernel (issue 17), written
//! with short step constructors.
//!
//! Test cases only: no model or kernel logic lives here.

extern crate std;

use std::vec;
use std::vec::Vec;

use kernel_abi::cap::Rights;

use super::harness::run_steps;
use super::rig::{page_va, R, RW};
use super::step::{Grant, Step};

fn expect_ok(steps: &[Step]) {
    if let Err(report) = run_steps(steps) {
        panic!("{report}");
    }
}

// Short names for fixed sequences. Partitions 0..=2 are peers (frames: P0
// slot 8 is 4 pages, slot 9 one page; P1 slot 8 is 4 pages, slot 9 one
// read-only page; P2 slot 8 is 2 pages, slot 9 one page), 3 the monitor.

fn recv(by: usize, slot: u16) -> Step {
    Step::Recv {
        by,
        slot: Some(slot),
    }
}

fn call(by: usize, server: usize, grant: Option<Grant>, reply_slot: Option<u16>) -> Step {
    Step::Call {
        by,
        server,
        grant,
        reply_slot,
    }
}

fn send(by: usize, to: usize, grant: Option<Grant>) -> Step {
    Step::Send { by, to, grant }
}

fn reply(by: usize, grant: Option<Grant>) -> Step {
    Step::ReplyRecv {
        by,
        grant,
        slot: None,
    }
}

fn copy(by: usize, from: u16, to: u16, rights: Rights) -> Step {
    Step::Copy {
        by,
        from,
        to,
        rights,
    }
}

/// Maps the capability in `slot` at page `page` of the grant window.
fn map(by: usize, slot: u16, page: u32, rights: Rights) -> Step {
    Step::Map {
        by,
        slot,
        va: page_va(page),
        rights,
    }
}

fn revoke(by: usize, slot: u16) -> Step {
    Step::Revoke { by, slot }
}

fn delete(by: usize, slot: u16) -> Step {
    Step::Delete { by, slot }
}

/// `count` copies of `by`'s capability in `from`, into slots from `first`
/// on, each mapped read-only at its own page from `first_page` on.
fn mapped_copies(by: usize, from: u16, first: u16, first_page: u32, count: u16) -> Vec<Step> {
    (0..count)
        .flat_map(|i| {
            [
                copy(by, from, first + i, RW),
                map(by, first + i, first_page + u32::from(i), R),
            ]
        })
        .collect()
}

/// The harness itself: a lent frame the server mapped goes at the reply, a
/// derived copy is revoked in the other partition, a stop ends IPC.
#[test]
fn the_model_follows_a_plain_loan_and_a_revoked_copy() {
    expect_ok(&[
        recv(1, 20),
        call(0, 1, Grant::lend(8, RW), None),
        map(1, 20, 0, RW),
        copy(1, 20, 21, R),
        map(1, 21, 8, R),
        reply(1, None),
        send(0, 1, Grant::copy(9, RW)),
        map(1, 20, 0, RW),
        revoke(0, 9),
        Step::Stop { target: 1 },
        call(0, 1, None, None),
    ]);
}

/// Bug 1 of issue 17, as the issue reproduces it in one partition: 70
/// mapped copies of one page, then a revoke of the original. The pre-fix
/// kernel removes all 70 capabilities but only 64 mappings: after the
/// revoke P0 still reaches the page through 6 of them.
///
/// The random properties find it as the single operation
/// `FanOut { copies: 65, .. }` (`fanning_out_...` and `random_operations_...`
/// with `CAP_LIFETIME_SEED=1`, generator as of this test's commit).
#[test]
fn regression_revoke_of_70_mapped_copies_unmaps_them_all() {
    let mut steps = mapped_copies(0, 9, 20, 8, 70);
    steps.push(revoke(0, 9));
    expect_ok(&steps);
}

/// Bug 1 across partitions: a server (P0) grants a derived copy, the
/// client (P1) fans it out into 70 mapped copies, the server revokes; the
/// client must not reach the page any more.
#[test]
fn regression_revoke_of_70_mapped_copies_in_another_partition_unmaps_them_all() {
    let mut steps = vec![recv(1, 20), send(0, 1, Grant::copy(9, RW))];
    steps.extend(mapped_copies(1, 20, 21, 0, 70));
    steps.push(revoke(0, 9));
    expect_ok(&steps);
}

/// Bug 1 through a loan: the server fans the lent frame out into 70
/// mapped copies; the reply must take every one down.
///
/// Found by `lent_frames_end_with_the_call` with `CAP_LIFETIME_SEED=11`
/// (`LendAndSpread { wide: true, .. }`).
#[test]
fn regression_a_loan_fanned_out_past_64_copies_ends_entirely() {
    let mut steps = vec![recv(1, 20), call(0, 1, Grant::lend(9, RW), None)];
    steps.extend(mapped_copies(1, 20, 21, 0, 70));
    steps.push(reply(1, None));
    expect_ok(&steps);
}

/// Bug 2a of issue 17: the server copies the lent frame and deletes the
/// lent capability (the pre-fix kernel allows it, and the reply then
/// destroys only the empty slot), maps the copy and replies: it must
/// not reach the client's page after the reply.
///
/// Found by `lent_frames_end_with_the_call` with `CAP_LIFETIME_SEED=20`: a
/// call lending slot 8, the server copies the lent capability and deletes
/// it, which the pre-fix kernel allows.
#[test]
fn regression_a_lent_frame_copied_then_deleted_does_not_outlive_the_reply() {
    expect_ok(&[
        recv(1, 20),
        call(0, 1, Grant::lend(9, RW), None),
        copy(1, 20, 21, RW),
        delete(1, 20),
        map(1, 21, 0, RW),
        reply(1, None),
    ]);
}

/// Bug 2b of issue 17: the server replies transferring the lent frame
/// back to the caller's receive slot (the pre-fix kernel moves it, and it
/// is never destroyed). A transfer of the lent frame must be refused;
/// the plain reply that follows ends the loan.
///
/// Found by `lent_frames_end_with_the_call` with `CAP_LIFETIME_SEED=19`: the
/// server's reply transfers the lent capability, which the pre-fix kernel
/// accepts.
#[test]
fn regression_a_lent_frame_cannot_be_transferred_onward() {
    expect_ok(&[
        recv(1, 20),
        call(0, 1, Grant::lend(9, RW), Some(30)),
        map(1, 20, 0, RW),
        reply(1, Grant::transfer(20)),
        reply(1, None),
    ]);
}

/// Bug 2, the slot kept for the loan: the lent frame is revoked by the
/// capability it came from (P2 granted it to P0 as a derived copy), the
/// server puts a capability of its own in the lent one's slot and maps
/// it; the reply must leave that new capability alone (the pre-fix
/// kernel destroys whatever is in the slot the loan landed in).
///
/// Found by `lent_frames_end_with_the_call` with `CAP_LIFETIME_SEED=1`
/// (`LendThenRevoke { reuse_slot: true, .. }`): after the reply the
/// server's new capability is gone.
#[test]
fn regression_a_capability_reusing_a_revoked_loans_slot_survives_the_reply() {
    expect_ok(&[
        recv(0, 20),
        send(2, 0, Grant::copy(9, RW)),
        recv(1, 30),
        call(0, 1, Grant::lend(20, RW), None),
        revoke(2, 9),
        copy(1, 9, 30, R),
        map(1, 30, 0, R),
        reply(1, None),
    ]);
}

/// Bug 3 of issue 17: `reply_recv` with five message words (then with a
/// reserved grant-descriptor bit) must be refused with nothing consumed:
/// the caller still waits, the server is not receiving (a second caller
/// queues instead of landing in its registers), and the server's proper
/// reply then reaches the caller.
///
/// Found by `replies_are_validated_before_anything_is_consumed` with
/// `CAP_LIFETIME_SEED=1` (the caller is left blocked with no reply coming)
/// and `=2` (the server runs on while queued as a receiver).
#[test]
fn regression_a_malformed_reply_changes_nothing() {
    expect_ok(&[
        recv(1, 20),
        call(0, 1, None, None),
        Step::MalformedReplyRecv {
            by: 1,
            r5: 0,
            r6: 5,
        },
        call(2, 1, None, None),
        Step::MalformedReplyRecv {
            by: 1,
            r5: 0x8000_0000,
            r6: 0,
        },
        reply(1, None),
        reply(1, None),
    ]);
}

/// Bug 4 of issue 17, as the tmem client did it: copy the exchange frame,
/// map the copy, transfer the original. The transfer must be refused
/// while the copy exists (the pre-fix kernel moves the frame and the
/// sender keeps reaching it through the copy); once the copy is deleted
/// the transfer goes through and the sender reaches nothing.
///
/// Found by `transfers_leave_the_sender_nothing` with
/// `CAP_LIFETIME_SEED=119`: P0 copies slot 9, then calls transferring it.
#[test]
fn regression_a_transfer_leaves_no_derived_copy_behind() {
    expect_ok(&[
        copy(0, 9, 20, RW),
        map(0, 20, 0, RW),
        map(0, 9, 1, RW),
        recv(1, 30),
        send(0, 1, Grant::transfer(9)),
        delete(0, 20),
        send(0, 1, Grant::transfer(9)),
        map(1, 30, 0, RW),
    ]);
}

/// Bug 4, the frame described twice: a capability is not the only one to
/// its pages when the description gave the frame to another partition too
/// (frame 6: P0 and P1 slot 10), so transferring it must be refused.
///
/// Found by `transfers_leave_the_sender_nothing` with `CAP_LIFETIME_SEED=1`
/// (frame 7, which P2 and the monitor both hold).
#[test]
fn regression_a_frame_given_to_two_partitions_cannot_be_transferred() {
    expect_ok(&[
        map(0, 10, 0, RW),
        recv(2, 30),
        send(0, 2, Grant::transfer(10)),
        delete(1, 10),
        send(0, 2, Grant::transfer(10)),
    ]);
}
