//! The ledger against an independent model: any sequence of gives,
//! takes, failed deliveries, reports (honest or lying) and policy runs
//! conserves frames, keeps every guest within its bounds, and refuses
//! exactly what the model refuses.

use alloc::collections::BTreeSet;
use alloc::vec;
use alloc::vec::Vec;

use proptest::prelude::*;

use super::*;
use memory_policy::{Fixed, SelfBalloon};

const GUESTS: usize = 3;

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
    ]
}

fn ledger(boot: &[u32], reserve: u16) -> Ledger {
    let reserve_slots: Vec<u16> = (16..16 + reserve).collect();
    let total: u32 = boot.iter().sum::<u32>() + u32::from(reserve);
    let empty: Vec<u16> = (16 + reserve..16 + total as u16).collect();
    Ledger::new(
        boot.iter().enumerate().map(|(g, &held)| (bounds(g), held)),
        reserve_slots,
        empty,
    )
    .unwrap()
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
    let expected = held.iter().sum::<u32>() + pool;
    let all_slots: BTreeSet<u16> = (16..16 + expected as u16).collect();
    for op in ops {
        match *op {
            Op::Give(g) => {
                let owed = g < GUESTS && held[g] > bounds(g).floor;
                let result = ledger.give(g);
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
            Op::Plan => {
                ledger.plan(&mut *policy);
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
        // The ledger agrees with the model, and frames are conserved.
        for (g, account) in ledger.guests().iter().enumerate() {
            prop_assert_eq!(account.held, held[g]);
            prop_assert!(account.held >= bounds(g).floor, "below its floor");
            prop_assert!(account.held <= bounds(g).ceiling, "past its ceiling");
        }
        prop_assert_eq!(ledger.reserve(), pool);
        prop_assert_eq!(ledger.total(), expected);
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
        ledger.plan(&mut SelfBalloon::default());
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
        ledger.plan(&mut SelfBalloon::default());
        let target = ledger.guests()[0].target;
        while ledger.guests()[0].held > target {
            ledger.give(0).unwrap();
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
    while ledger.give(0).is_ok() {}
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
