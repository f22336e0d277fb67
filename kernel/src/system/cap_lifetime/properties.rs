//! The properties: each profile (a mix and its share of the cases) and the
//! runner that checks it, printing the shrunk sequence on failure.
//!
//! Test cases only: no model or kernel logic lives here.

extern crate std;

use core::cell::RefCell;
use std::format;
use std::string::String;

use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};

use super::harness::{run_ops, Stats};
use super::strategy::{op_strategy, seed, total_cases, Mix, Profile};

/// Runs `profile`'s share of the cases; panics with the shrunk sequence and
/// the report of its run if the kernel and the model ever disagree.
fn check(profile: &Profile) {
    let cases = (total_cases() * profile.share / 100).max(1);
    let seed = seed();
    let config = Config {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed),
        max_shrink_iters: 20_000,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let strategy = proptest::collection::vec(op_strategy(&profile.mix), profile.length.clone());
    let stats = RefCell::new(Stats::default());
    let want_stats = std::env::var_os("CAP_LIFETIME_STATS").is_some();
    let result = runner.run(&strategy, |ops| {
        run_ops(&ops, want_stats.then_some(&stats))
            .map_err(|(_, report)| TestCaseError::fail(report))
    });
    if want_stats {
        std::eprintln!(
            "{}: {cases} sequences; per step: [succeeded, refused, blocked]",
            profile.name
        );
        let stats = stats.borrow();
        for (name, counts) in &stats.steps {
            std::eprintln!("  {name:<28} {counts:?}");
        }
        for (event, count) in &stats.events {
            std::eprintln!("  {count:>8}  {event}");
        }
    }
    match result {
        Ok(()) => {}
        Err(TestError::Fail(report, ops)) => {
            // The shrunk sequence up to the operation that broke.
            let last = run_ops(&ops, None)
                .err()
                .map_or(ops.len(), |(at, _)| at + 1);
            let mut listed = String::new();
            for op in &ops[..last] {
                listed += &format!("  {op:?}\n");
            }
            panic!(
                "capability lifetime broken ({}, CAP_LIFETIME_SEED={seed}).\n\
                 shrunk operations:\n{listed}{report}",
                profile.name
            )
        }
        Err(TestError::Abort(why)) => panic!("{}: aborted: {why}", profile.name),
    }
}

const EVERYTHING: Profile = Profile {
    name: "everything",
    share: 40,
    length: 1..60,
    mix: Mix {
        copy: 6,
        split: 3,
        map: 6,
        unmap: 2,
        delete: 3,
        revoke: 3,
        call: 6,
        send: 2,
        recv: 4,
        reply: 6,
        malformed: 1,
        stop: 1,
        fault: 1,
        fan_out: 1,
        lend_then_revoke: 1,
        lend_and_spread: 1,
        transfer_then_stop: 1,
        grants: [2, 3, 2, 3, 1],
    },
};

const FAN_OUT: Profile = Profile {
    name: "fan-out",
    share: 5,
    length: 1..16,
    mix: Mix {
        copy: 3,
        split: 1,
        map: 2,
        delete: 1,
        revoke: 1,
        call: 3,
        send: 2,
        recv: 3,
        reply: 3,
        stop: 1,
        fan_out: 3,
        grants: [1, 0, 0, 3, 0],
        ..Mix::ZERO
    },
};

const LENDING: Profile = Profile {
    name: "lending",
    share: 25,
    length: 1..50,
    mix: Mix {
        copy: 6,
        split: 2,
        map: 5,
        unmap: 1,
        delete: 4,
        revoke: 2,
        call: 6,
        send: 1,
        recv: 4,
        reply: 6,
        stop: 1,
        fault: 1,
        lend_then_revoke: 2,
        lend_and_spread: 2,
        grants: [1, 6, 0, 2, 1],
        ..Mix::ZERO
    },
};

const REPLIES: Profile = Profile {
    name: "replies",
    share: 15,
    length: 1..50,
    mix: Mix {
        copy: 2,
        map: 2,
        call: 6,
        send: 2,
        recv: 4,
        reply: 6,
        malformed: 3,
        stop: 1,
        fault: 1,
        grants: [3, 1, 0, 1, 0],
        ..Mix::ZERO
    },
};

const TRANSFERS: Profile = Profile {
    name: "transfers",
    share: 15,
    length: 1..50,
    mix: Mix {
        copy: 4,
        split: 3,
        map: 4,
        unmap: 1,
        delete: 3,
        revoke: 2,
        call: 4,
        send: 3,
        recv: 4,
        reply: 5,
        stop: 1,
        transfer_then_stop: 2,
        grants: [1, 0, 6, 1, 0],
        ..Mix::ZERO
    },
};

#[test]
fn random_operations_keep_capability_lifetime() {
    check(&EVERYTHING);
}

#[test]
fn fanning_out_past_every_bound_then_revoking_leaves_nothing_reachable() {
    check(&FAN_OUT);
}

#[test]
fn lent_frames_end_with_the_call() {
    check(&LENDING);
}

#[test]
fn replies_are_validated_before_anything_is_consumed() {
    check(&REPLIES);
}

#[test]
fn transfers_leave_the_sender_nothing() {
    check(&TRANSFERS);
}
