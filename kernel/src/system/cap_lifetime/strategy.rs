//! The generators: each property's mix of operations and the proptest
//! strategies that draw operations from it, plus the case count and seed
//! (`CAP_LIFETIME_CASES`, `CAP_LIFETIME_SEED`).
//!
//! They only draw operations: never a model or kernel state.

extern crate std;

use std::vec;
use std::vec::Vec;

use proptest::prelude::*;
use proptest::strategy::Union;

use super::op::{GrantChoice, Op, SlotChoice};

/// Relative weights of each operation in a property's sequences.
#[derive(Clone, Copy)]
pub(super) struct Mix {
    pub(super) copy: u32,
    pub(super) split: u32,
    pub(super) map: u32,
    pub(super) unmap: u32,
    pub(super) delete: u32,
    pub(super) revoke: u32,
    pub(super) call: u32,
    pub(super) send: u32,
    pub(super) recv: u32,
    pub(super) reply: u32,
    pub(super) malformed: u32,
    pub(super) stop: u32,
    pub(super) fault: u32,
    pub(super) fan_out: u32,
    pub(super) lend_then_revoke: u32,
    pub(super) lend_and_spread: u32,
    pub(super) transfer_then_stop: u32,
    /// Of the grants on calls, sends and replies: none, lend, transfer,
    /// derived copy, transfer of a lent capability (or of what was derived
    /// from it).
    pub(super) grants: [u32; 5],
}

/// A property: a mix of operations, its share of the cases, and the
/// length of its sequences.
pub(super) struct Profile {
    pub(super) name: &'static str,
    /// Percent of `CAP_LIFETIME_CASES`.
    pub(super) share: u32,
    pub(super) length: core::ops::Range<usize>,
    pub(super) mix: Mix,
}

fn grant_strategy(weights: [u32; 5]) -> BoxedStrategy<GrantChoice> {
    let choices: Vec<(u32, BoxedStrategy<GrantChoice>)> = vec![
        (weights[0], Just(GrantChoice::Nothing).boxed()),
        (
            weights[1],
            (any::<u8>(), any::<u8>())
                .prop_map(|(cap, rights)| GrantChoice::Lend { cap, rights })
                .boxed(),
        ),
        (
            weights[2],
            any::<u8>()
                .prop_map(|cap| GrantChoice::Transfer { cap })
                .boxed(),
        ),
        (
            weights[3],
            (any::<u8>(), any::<u8>())
                .prop_map(|(cap, rights)| GrantChoice::Copy { cap, rights })
                .boxed(),
        ),
        (
            weights[4],
            any::<u8>()
                .prop_map(|cap| GrantChoice::TransferLent { cap })
                .boxed(),
        ),
    ];
    Union::new_weighted(choices.into_iter().filter(|(w, _)| *w > 0).collect()).boxed()
}

fn slot_strategy() -> BoxedStrategy<SlotChoice> {
    prop_oneof![
        1 => Just(SlotChoice::Nothing),
        6 => any::<u8>().prop_map(SlotChoice::Empty),
        1 => any::<u8>().prop_map(SlotChoice::Occupied),
    ]
    .boxed()
}

pub(super) fn op_strategy(mix: &Mix) -> BoxedStrategy<Op> {
    let grant = || grant_strategy(mix.grants);
    let byte = any::<u8>;
    let choices: Vec<(u32, BoxedStrategy<Op>)> = vec![
        (
            mix.copy,
            (byte(), byte(), byte(), byte())
                .prop_map(|(actor, cap, dest, rights)| Op::Copy {
                    actor,
                    cap,
                    dest,
                    rights,
                })
                .boxed(),
        ),
        (
            mix.split,
            (byte(), byte(), byte(), byte())
                .prop_map(|(actor, cap, page, dest)| Op::Split {
                    actor,
                    cap,
                    page,
                    dest,
                })
                .boxed(),
        ),
        (
            mix.map,
            (
                byte(),
                byte(),
                byte(),
                any::<bool>(),
                prop::bool::weighted(0.35),
            )
                .prop_map(|(actor, cap, place, write, guest)| Op::Map {
                    actor,
                    cap,
                    place,
                    write,
                    guest,
                })
                .boxed(),
        ),
        (
            mix.unmap,
            (byte(), byte())
                .prop_map(|(actor, cap)| Op::Unmap { actor, cap })
                .boxed(),
        ),
        (
            mix.delete,
            (byte(), byte())
                .prop_map(|(actor, cap)| Op::Delete { actor, cap })
                .boxed(),
        ),
        (
            mix.revoke,
            (byte(), byte())
                .prop_map(|(actor, cap)| Op::Revoke { actor, cap })
                .boxed(),
        ),
        (
            mix.call,
            (byte(), byte(), grant(), slot_strategy())
                .prop_map(|(actor, to, grant, reply_slot)| Op::Call {
                    actor,
                    to,
                    grant,
                    reply_slot,
                })
                .boxed(),
        ),
        (
            mix.send,
            (byte(), byte(), grant())
                .prop_map(|(actor, to, grant)| Op::Send { actor, to, grant })
                .boxed(),
        ),
        (
            mix.recv,
            (byte(), slot_strategy())
                .prop_map(|(actor, slot)| Op::Recv { actor, slot })
                .boxed(),
        ),
        (
            mix.reply,
            (byte(), grant(), slot_strategy())
                .prop_map(|(actor, grant, slot)| Op::ReplyRecv { actor, grant, slot })
                .boxed(),
        ),
        (
            mix.malformed,
            (byte(), byte())
                .prop_map(|(actor, variant)| Op::MalformedReply { actor, variant })
                .boxed(),
        ),
        (
            mix.stop,
            byte().prop_map(|target| Op::Stop { target }).boxed(),
        ),
        (
            mix.fault,
            byte().prop_map(|actor| Op::Fault { actor }).boxed(),
        ),
        (
            mix.fan_out,
            (byte(), byte(), 65u8..=90, proptest::option::of(byte()))
                .prop_map(|(actor, cap, copies, granter)| Op::FanOut {
                    actor,
                    cap,
                    copies,
                    granter,
                })
                .boxed(),
        ),
        (
            mix.lend_then_revoke,
            (
                [byte(), byte(), byte(), byte()],
                any::<bool>(),
                any::<bool>(),
            )
                .prop_map(|([lender, server, granter, cap], copy_lent, reuse_slot)| {
                    Op::LendThenRevoke {
                        lender,
                        server,
                        granter,
                        cap,
                        copy_lent,
                        reuse_slot,
                    }
                })
                .boxed(),
        ),
        (
            mix.lend_and_spread,
            (
                [byte(), byte(), byte()],
                proptest::bool::weighted(0.2),
                byte(),
            )
                .prop_map(|([lender, server, cap], wide, end)| Op::LendAndSpread {
                    lender,
                    server,
                    cap,
                    wide,
                    end,
                })
                .boxed(),
        ),
        (
            mix.transfer_then_stop,
            ([byte(), byte(), byte()], any::<bool>(), byte(), byte())
                .prop_map(
                    |([caller, server, cap], offer, meddle, end)| Op::TransferThenStop {
                        caller,
                        server,
                        cap,
                        offer,
                        meddle,
                        end,
                    },
                )
                .boxed(),
        ),
    ];
    Union::new_weighted(choices.into_iter().filter(|(w, _)| *w > 0).collect()).boxed()
}

/// Sequences run in all, over every property (`CAP_LIFETIME_CASES`).
pub(super) fn total_cases() -> u32 {
    std::env::var("CAP_LIFETIME_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

/// The seed: `CAP_LIFETIME_SEED`, else proptest's `PROPTEST_RNG_SEED` (which
/// `cargo xtask test` fixes), else a fresh one.
pub(super) fn seed() -> u64 {
    let from = |name| std::env::var(name).ok().and_then(|v| v.parse().ok());
    if let Some(seed) = from("CAP_LIFETIME_SEED").or_else(|| from("PROPTEST_RNG_SEED")) {
        return seed;
    }
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    hasher.write_u64(now.map_or(0, |d| d.as_nanos() as u64));
    hasher.finish()
}

impl Mix {
    pub(super) const ZERO: Mix = Mix {
        copy: 0,
        split: 0,
        map: 0,
        unmap: 0,
        delete: 0,
        revoke: 0,
        call: 0,
        send: 0,
        recv: 0,
        reply: 0,
        malformed: 0,
        stop: 0,
        fault: 0,
        fan_out: 0,
        lend_then_revoke: 0,
        lend_and_spread: 0,
        transfer_then_stop: 0,
        grants: [0; 5],
    };
}
