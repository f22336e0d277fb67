//! The ledger against an independent model: any sequence of gives,
//! takes, failed deliveries, reports (honest or lying) and policy runs
//! conserves frames, keeps every guest within its bounds, and refuses
//! exactly what the model refuses.

use alloc::collections::BTreeSet;
use alloc::vec;
use alloc::vec::Vec;

use proptest::prelude::*;

use super::*;
use memory_policy::{Fixed, PoolMove, SelfBalloon};

const GUESTS: usize = 3;
/// Empty slots beyond the frames there are at boot, for frames from the
/// pool.
const EXTRA_SLOTS: u16 = 24;
/// Frames the tmem pool can give at the start.
const POOL_MOVABLE: u32 = 30;
/// Frames the reserve keeps beyond what is owed.
const KEEP: u32 = 2;

fn bounds(g: usize) -> GuestBounds {
    GuestBounds {
        floor: 4 + g as u32,
        ceiling: 24 + 4 * g as u32,
        reserve: 2,
    }
}

#[derive(Clone, Debug)]
enum Op {
    Give(usize),
    Take(usize),
    /// The last take's reply was not delivered.
    Undelivered,
    /// A report; `committed` may be a lie far past any ceiling.
    Report(usize, u32, bool),
    Plan,
    /// The policy's move with the tmem pool, carried out.
    PoolMove,
    /// A frame sent to the pool came back refused.
    PoolRefused,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..GUESTS + 1).prop_map(Op::Give),
        (0..GUESTS + 1).prop_map(Op::Take),
        Just(Op::Undelivered),
        (
            0..GUESTS,
            prop_oneof![0u32..40, Just(u32::MAX)],
            any::<bool>()
        )
            .prop_map(|(g, c, b)| Op::Report(g, c, b)),
        Just(Op::Plan),
        Just(Op::PoolMove),
        Just(Op::PoolRefused),
    ]
}

fn ledger(boot: &[u32], reserve: u16) -> Ledger {
    let reserve_slots: Vec<u16> = (16..16 + reserve).collect();
    let total: u32 = boot.iter().sum::<u32>() + u32::from(reserve);
    let empty: Vec<u16> = (16 + reserve..16 + total as u16 + EXTRA_SLOTS).collect();
    Ledger::new(
        boot.iter().enumerate().map(|(g, &held)| (bounds(g), held)),
        reserve_slots,
        empty,
    )
    .unwrap()
}

/// Guest `g` gives a frame, landing in the next receive slot.
fn give(ledger: &mut Ledger, g: usize) -> Result<(), Refusal> {
    let slot = ledger.receive_slot().ok_or(Refusal::NotOwed)?;
    ledger.give(g, slot)
}

fn run(
    ops: &[Op],
    boot: [u32; GUESTS],
    reserve: u16,
    selfballoon: bool,
) -> Result<(), TestCaseError> {
    let mut ledger = ledger(&boot, reserve);
    let mut policy: alloc::boxed::Box<dyn Policy> = if selfballoon {
        alloc::boxed::Box::new(SelfBalloon::default())
    } else {
        alloc::boxed::Box::new(Fixed)
    };
    // The model: frames per guest, the reserve, targets.
    let mut held = boot;
    let mut pool = u32::from(reserve);
    let mut target = boot;
    let mut last_take: Option<(usize, u16)> = None;
    let mut last_to_pool: Option<u16> = None;
    // The tmem pool's movable frames, and the frames taken from it net.
    let mut tmem = POOL_MOVABLE;
    let mut from_tmem = 0i64;
    let expected = held.iter().sum::<u32>() + pool;
    let all_slots: BTreeSet<u16> = (16..16 + expected as u16 + EXTRA_SLOTS).collect();
    for op in ops {
        match *op {
            Op::Give(g) => {
                // As the server receives: beside the frame its last reply
                // passed (a take's), if that reply passed one.
                let landed = ledger.receive_slot_besides(last_take.map(|(_, slot)| slot));
                let owed = g < GUESTS && held[g] > bounds(g).floor && landed.is_some();
                let result = landed.map_or(Err(Refusal::NotOwed), |slot| ledger.give(g, slot));
                prop_assert_eq!(result.is_ok(), owed, "give {} {:?}", g, held);
                if owed {
                    held[g] -= 1;
                    pool += 1;
                }
            }
            Op::Take(g) => {
                let owed = g < GUESTS && held[g] < target[g].min(bounds(g).ceiling) && pool > 0;
                let result = ledger.take(g);
                prop_assert_eq!(result.is_ok(), owed, "take {} {:?} {:?}", g, held, target);
                if let Ok(slot) = result {
                    held[g] += 1;
                    pool -= 1;
                    last_take = Some((g, slot));
                }
            }
            Op::Undelivered => {
                if let Some((g, slot)) = last_take.take() {
                    ledger.untake(g, slot);
                    held[g] -= 1;
                    pool += 1;
                }
            }
            Op::Report(g, committed, busy) => {
                let pressure = Pressure {
                    committed,
                    busy,
                    ..Pressure::default()
                };
                prop_assert!(ledger.report(g, pressure).is_ok());
            }
            Op::PoolMove => match ledger.pool_move(&*policy, KEEP, tmem) {
                PoolMove::None => {}
                PoolMove::Take(n) => {
                    prop_assert!(selfballoon, "static never moves a frame");
                    prop_assert!(n <= tmem);
                    for _ in 0..n {
                        let slot = ledger.receive_slot();
                        prop_assert!(slot.is_some_and(|s| ledger.from_pool_landed(s).is_ok()));
                    }
                    tmem -= n;
                    pool += n;
                    from_tmem += i64::from(n);
                }
                PoolMove::Give(n) => {
                    prop_assert!(selfballoon, "static never moves a frame");
                    prop_assert!(n <= pool);
                    for _ in 0..n {
                        last_to_pool = ledger.to_pool();
                        prop_assert!(last_to_pool.is_some());
                    }
                    tmem += n;
                    pool -= n;
                    from_tmem -= i64::from(n);
                }
            },
            Op::PoolRefused => {
                if let Some(slot) = last_to_pool.take() {
                    // It comes back to another empty slot.
                    let back = ledger.receive_slot_besides(Some(slot)).unwrap_or(slot);
                    ledger.to_pool_undone(slot, back);
                    tmem -= 1;
                    pool += 1;
                    from_tmem += 1;
                }
            }
            Op::Plan => {
                ledger.plan(&mut *policy, tmem);
                for (g, account) in ledger.guests().iter().enumerate() {
                    target[g] = account.target;
                    prop_assert!(
                        account.target >= bounds(g).floor && account.target <= bounds(g).ceiling
                    );
                    if !selfballoon {
                        prop_assert_eq!(
                            account.target,
                            held[g],
                            "static keeps every guest as it is"
                        );
                    }
                }
            }
        }
        if !matches!(op, Op::Take(_)) {
            last_take = None;
        }
        if !matches!(op, Op::PoolMove) {
            last_to_pool = None;
        }
        // The ledger agrees with the model, and frames are conserved.
        for (g, account) in ledger.guests().iter().enumerate() {
            prop_assert_eq!(account.held, held[g]);
            prop_assert!(account.held >= bounds(g).floor, "below its floor");
            prop_assert!(account.held <= bounds(g).ceiling, "past its ceiling");
        }
        prop_assert_eq!(ledger.reserve(), pool);
        prop_assert_eq!(ledger.from_pool(), from_tmem);
        prop_assert_eq!(i64::from(ledger.total()), i64::from(expected) + from_tmem);
        prop_assert_eq!(ledger.total(), ledger.expected());
        // Every slot is the reserve's or empty, never both.
        let reserve: BTreeSet<u16> = ledger.reserve.iter().copied().collect();
        let empty: BTreeSet<u16> = ledger.empty.iter().copied().collect();
        prop_assert_eq!(reserve.len() + empty.len(), all_slots.len());
        prop_assert_eq!(
            reserve.union(&empty).copied().collect::<BTreeSet<_>>(),
            all_slots.clone()
        );
    }
    Ok(())
}

proptest! {
    #[test]
    fn frames_are_conserved_and_bounds_hold_under_self_ballooning(
        ops in proptest::collection::vec(op(), 0..200),
        boot in (4u32..24, 5u32..28, 6u32..32),
        reserve in 0u16..40,
    ) {
        run(&ops, [boot.0, boot.1, boot.2], reserve, true)?;
    }

    #[test]
    fn frames_are_conserved_and_nothing_moves_toward_growth_under_static(
        ops in proptest::collection::vec(op(), 0..200),
        boot in (4u32..24, 5u32..28, 6u32..32),
        reserve in 0u16..40,
    ) {
        run(&ops, [boot.0, boot.1, boot.2], reserve, false)?;
    }
}

#[test]
fn a_lying_guest_cannot_take_past_its_ceiling() {
    let mut ledger = ledger(&[10, 10, 10], 100);
    let liar = Pressure {
        committed: u32::MAX,
        busy: true,
        ..Pressure::default()
    };
    ledger.report(1, liar).unwrap();
    let mut taken = 0;
    for _ in 0..20 {
        ledger.plan(&mut SelfBalloon::default(), 0);
        while ledger.take(1).is_ok() {
            taken += 1;
        }
    }
    assert_eq!(ledger.guests()[1].held, bounds(1).ceiling);
    assert_eq!(taken, bounds(1).ceiling - 10);
    assert_eq!(ledger.take(1), Err(Refusal::NotOwed));
    assert_eq!(ledger.total(), ledger.expected());
}

#[test]
fn an_idle_guest_shrinks_and_a_busy_one_grows_from_what_it_gave() {
    // No reserve at all: the busy guest can only grow by what the idle
    // one gives back.
    let mut ledger = ledger(&[20, 20, 20], 0);
    ledger
        .report(
            0,
            Pressure {
                committed: 0,
                busy: false,
                ..Pressure::default()
            },
        )
        .unwrap();
    ledger
        .report(
            1,
            Pressure {
                committed: 26,
                busy: true,
                ..Pressure::default()
            },
        )
        .unwrap();
    ledger
        .report(
            2,
            Pressure {
                committed: 18,
                busy: true,
                ..Pressure::default()
            },
        )
        .unwrap();
    for _ in 0..30 {
        ledger.plan(&mut SelfBalloon::default(), 0);
        let target = ledger.guests()[0].target;
        while ledger.guests()[0].held > target {
            give(&mut ledger, 0).unwrap();
        }
        while ledger.take(1).is_ok() {}
    }
    // Self-ballooning leaves a gap under eight frames alone.
    let idle = ledger.guests()[0].held;
    assert!(
        idle < bounds(0).floor + 8,
        "the idle guest shrank to near its floor: {idle}"
    );
    assert_eq!(
        ledger.guests()[1].held,
        28,
        "the busy guest got committed + reserve"
    );
    assert_eq!(ledger.total(), 60);
    while give(&mut ledger, 0).is_ok() {}
    assert_eq!(
        ledger.guests()[0].held,
        bounds(0).floor,
        "nothing below the floor"
    );
}

#[test]
fn boots_outside_bounds_or_without_slots_are_refused() {
    let slots = vec![1, 2, 3];
    assert_eq!(
        Ledger::new([(bounds(0), 2)], vec![], slots.clone()).err(),
        Some(LedgerError::BootOutsideBounds)
    );
    assert_eq!(
        Ledger::new([(bounds(0), 5)], vec![], slots).err(),
        Some(LedgerError::TooFewSlots)
    );
}

/// Carries out `ledger`'s pool move against a pool of `tmem` frames.
fn move_with_pool(ledger: &mut Ledger, policy: &dyn Policy, tmem: &mut u32) {
    match ledger.pool_move(policy, KEEP, *tmem) {
        PoolMove::None => {}
        PoolMove::Take(n) => {
            for _ in 0..n {
                let slot = ledger.receive_slot().unwrap();
                ledger.from_pool_landed(slot).unwrap();
            }
            *tmem -= n;
        }
        PoolMove::Give(n) => {
            for _ in 0..n {
                ledger.to_pool().unwrap();
            }
            *tmem += n;
        }
    }
}

fn busy(committed: u32) -> Pressure {
    Pressure {
        committed,
        busy: true,
        ..Pressure::default()
    }
}

/// One period: plan, move with the pool, guests give and take what the
/// targets say.
fn period(ledger: &mut Ledger, policy: &mut dyn Policy, tmem: &mut u32) {
    ledger.plan(policy, *tmem);
    move_with_pool(ledger, policy, tmem);
    for g in 0..ledger.guests().len() {
        while ledger.guests()[g].held > ledger.guests()[g].target {
            give(ledger, g).unwrap();
        }
        while ledger.take(g).is_ok() {}
    }
}

#[test]
fn growth_past_the_reserve_comes_from_the_pool_and_goes_back_to_it() {
    let mut ledger = ledger(&[10, 10, 10], 2);
    let mut policy = SelfBalloon::default();
    let mut tmem = POOL_MOVABLE;
    for g in 0..GUESTS {
        ledger.report(g, busy(8)).unwrap();
    }
    // Guest 2 needs 20 frames more than it holds: the reserve has 2.
    ledger.report(2, busy(28)).unwrap();
    period(&mut ledger, &mut policy, &mut tmem);
    assert_eq!(ledger.guests()[2].held, 30, "committed 28 + reserve 2");
    assert!(tmem < POOL_MOVABLE, "the pool fed the growth: {tmem}");
    let lowest = tmem;
    // Its demand falls: it shrinks by an eighth of the gap per period, and
    // what it gives goes to the pool.
    ledger.report(2, busy(4)).unwrap();
    for _ in 0..40 {
        period(&mut ledger, &mut policy, &mut tmem);
    }
    assert!(ledger.guests()[2].held < 20, "{:?}", ledger.guests()[2]);
    assert!(
        tmem > lowest + 8,
        "the pool grew back: {tmem} from {lowest}"
    );
    assert!(ledger.reserve() <= KEEP, "the surplus went to the pool");
    assert_eq!(ledger.total(), ledger.expected());
    assert_eq!(
        i64::from(tmem) + ledger.from_pool(),
        i64::from(POOL_MOVABLE),
        "every frame is the pool's or the manager's books'"
    );
}

#[test]
fn static_partitioning_never_moves_a_frame_to_or_from_the_pool() {
    let mut ledger = ledger(&[10, 10, 10], 2);
    let mut tmem = POOL_MOVABLE;
    ledger.report(2, busy(28)).unwrap();
    for _ in 0..10 {
        period(&mut ledger, &mut Fixed, &mut tmem);
    }
    assert_eq!(tmem, POOL_MOVABLE);
    assert_eq!(ledger.guests()[2].held, 10);
    assert_eq!(ledger.from_pool(), 0);
}

/// The regression behind a livelocked manager: a take's reply passes the
/// frame in slot `s`, which the books now call empty; a give received by
/// the same `reply_recv` must land elsewhere, or the server would see a
/// frame in `s`, think the taken one never left, book it back into the
/// reserve — and later pass an empty slot, which the kernel refuses.
#[test]
fn a_frame_given_while_another_is_taken_lands_beside_it() {
    let mut ledger = ledger(&[10, 10], 2);
    ledger.guests[1].target = 12;
    let taken = ledger.take(1).unwrap();
    assert_eq!(
        ledger.receive_slot(),
        Some(taken),
        "the books call it empty"
    );
    let landed = ledger.receive_slot_besides(Some(taken)).unwrap();
    assert_ne!(landed, taken);
    ledger.give(0, landed).unwrap();
    assert_eq!(ledger.reserve.last(), Some(&landed));
    assert!(!ledger.reserve.contains(&taken), "the taken frame is gone");
    // A frame claimed to have landed in a slot that is not empty is not
    // one the manager received.
    assert_eq!(ledger.give(0, landed), Err(Refusal::NotAFrame));
    assert_eq!(ledger.guests[0].held, 9);
}
