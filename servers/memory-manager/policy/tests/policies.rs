//! Both policies against what users of the memory manager rely on: bounds
//! hold whatever guests claim, the pool never gives what it does not have,
//! frames are conserved when plans are carried out, memory follows demand
//! under self-ballooning and stays put under static partitioning, and
//! frontswap is shrunk only after quiet periods.

use memory_policy::{Fixed, GuestBounds, GuestReport, Move, Plan, Policy, PoolReport, SelfBalloon};
use proptest::prelude::*;

fn guest(held: u32, committed: u32, floor: u32, ceiling: u32) -> GuestReport {
    GuestReport {
        bounds: GuestBounds {
            floor,
            ceiling,
            reserve: 16,
        },
        held,
        committed,
        frontswap: 0,
    }
}

/// A small world the tests run policies in: guests' frames and the pool's,
/// changed only by carrying out plans' moves.
#[derive(Clone, Debug)]
struct World {
    guests: Vec<GuestReport>,
    pool: PoolReport,
}

impl World {
    fn frames(&self) -> u64 {
        let held: u64 = self.guests.iter().map(|g| u64::from(g.held)).sum();
        held + u64::from(self.pool.free)
            + u64::from(self.pool.ephemeral)
            + u64::from(self.pool.persistent)
    }

    /// Carries out `plan` as the manager would: reclaims fill the pool's
    /// free frames; grants take free frames first, then drop ephemeral
    /// pages. Panics if the plan asks for frames that are not there.
    fn apply(&mut self, plan: &Plan) {
        let held: Vec<u32> = self.guests.iter().map(|g| g.held).collect();
        for step in plan.moves(&held) {
            match step {
                Move::Reclaim { guest, frames } => {
                    self.guests[guest].held -= frames;
                    self.pool.free += frames;
                }
                Move::Grant { guest, frames } => {
                    let from_free = frames.min(self.pool.free);
                    let dropped = frames - from_free;
                    assert!(
                        dropped <= self.pool.ephemeral,
                        "a grant the pool cannot fund"
                    );
                    self.pool.free -= from_free;
                    self.pool.ephemeral -= dropped;
                    self.guests[guest].held += frames;
                }
            }
        }
    }
}

fn arbitrary_guest() -> impl Strategy<Value = GuestReport> {
    (
        0u32..4096,
        any::<u32>(),
        0u32..1024,
        0u32..8192,
        0u32..64,
        0u32..2048,
    )
        .prop_map(
            |(held, committed, floor, ceiling, reserve, frontswap)| GuestReport {
                bounds: GuestBounds {
                    floor,
                    ceiling: ceiling.max(floor),
                    reserve,
                },
                held,
                committed,
                frontswap,
            },
        )
}

fn arbitrary_world() -> impl Strategy<Value = World> {
    (
        proptest::collection::vec(arbitrary_guest(), 1..=16),
        0u32..8192,
        0u32..8192,
        0u32..8192,
    )
        .prop_map(|(guests, free, ephemeral, persistent)| World {
            guests,
            pool: PoolReport {
                free,
                ephemeral,
                persistent,
            },
        })
}

proptest! {
    /// Whatever guests claim: every target stays under the ceiling, a
    /// guest at or above its floor is not planned below it, and the grants
    /// are funded — carrying the plan out conserves every frame.
    #[test]
    fn selfballoon_keeps_bounds_and_conserves_frames(world in arbitrary_world(), periods in 1usize..6) {
        let mut world = world;
        let mut policy = SelfBalloon::default();
        let frames = world.frames();
        for _ in 0..periods {
            let plan = policy.plan(&world.guests, &world.pool);
            prop_assert_eq!(plan.decisions().len(), world.guests.len());
            for (d, g) in plan.decisions().iter().zip(&world.guests) {
                prop_assert!(d.target <= g.bounds.ceiling.max(g.bounds.floor), "{d:?} {g:?}");
                if g.held >= g.bounds.floor {
                    prop_assert!(d.target >= g.bounds.floor, "{d:?} {g:?}");
                }
                prop_assert!(d.frontswap_shrink <= g.frontswap);
            }
            world.apply(&plan);
            prop_assert_eq!(world.frames(), frames);
        }
    }

    /// A guest that claims any committed size at all changes nothing for
    /// the others' floors, and gets no more than its ceiling.
    #[test]
    fn a_lying_guest_cannot_take_memory_past_its_bounds(world in arbitrary_world(), liar in 0usize..16, claim in any::<u32>()) {
        let mut world = world;
        let liar = liar % world.guests.len();
        world.guests[liar].committed = claim;
        let plan = SelfBalloon::default().plan(&world.guests, &world.pool);
        let d = plan.decisions()[liar];
        prop_assert!(d.target <= world.guests[liar].bounds.ceiling.max(world.guests[liar].held.min(world.guests[liar].bounds.floor)));
        for (i, (d, g)) in plan.decisions().iter().zip(&world.guests).enumerate() {
            if i != liar {
                prop_assert!(d.target >= g.held.min(g.bounds.floor), "guest {i} pushed below its floor");
            }
        }
    }

    /// Static partitioning never moves a frame and never shrinks frontswap.
    #[test]
    fn static_partitioning_moves_nothing(world in arbitrary_world()) {
        let plan = Fixed.plan(&world.guests, &world.pool);
        let held: Vec<u32> = world.guests.iter().map(|g| g.held).collect();
        prop_assert_eq!(plan.moves(&held).count(), 0);
        prop_assert!(plan.decisions().iter().all(|d| d.frontswap_shrink == 0));
    }

    /// With steady demand and enough memory, a guest settles within eight
    /// frames of its goal (committed + reserve, within its bounds).
    #[test]
    fn selfballoon_settles_at_the_goal(held in 64u32..8192, committed in 0u32..4096) {
        let mut world = World {
            guests: vec![guest(held, committed, 64, 8192)],
            pool: PoolReport { free: 16384, ephemeral: 0, persistent: 0 },
        };
        let goal = (committed + 16).clamp(64, 8192);
        let mut policy = SelfBalloon::default();
        for _ in 0..80 {
            let plan = policy.plan(&world.guests, &world.pool);
            world.apply(&plan);
        }
        let held = world.guests[0].held;
        prop_assert!(held >= goal && held < goal + 8, "held {held}, goal {goal}");
    }
}

/// The source report's demo in miniature: one guest's demand rises while
/// the other's falls. Under self-ballooning the growing guest receives the
/// frames the idle one gave back, through the pool; under static
/// partitioning nobody's memory moves.
#[test]
fn memory_follows_demand_only_under_selfballoon() {
    let start = World {
        guests: vec![guest(2048, 2000, 256, 6144), guest(2048, 2000, 256, 6144)],
        pool: PoolReport {
            free: 512,
            ephemeral: 1024,
            persistent: 0,
        },
    };
    let run = |policy: &mut dyn Policy| {
        let mut world = start.clone();
        let mut pool_low = world.pool.free;
        for period in 0..40u32 {
            // Guest 0 grows towards 5,000 pages; guest 1 goes idle.
            world.guests[0].committed = (2000 + period * 150).min(5000);
            world.guests[1].committed = 300;
            let plan = policy.plan(&world.guests, &world.pool);
            world.apply(&plan);
            pool_low = pool_low.min(world.pool.free);
        }
        (world, pool_low)
    };
    let (balloon, _) = run(&mut SelfBalloon::default());
    assert!(
        balloon.guests[0].held >= 4900,
        "the growing guest got memory: {balloon:?}"
    );
    assert!(
        balloon.guests[1].held < 700,
        "the idle guest gave memory back: {balloon:?}"
    );
    assert_eq!(balloon.frames(), start.frames());
    let (fixed, _) = run(&mut Fixed);
    assert_eq!(
        fixed.guests.iter().map(|g| g.held).collect::<Vec<_>>(),
        vec![2048, 2048]
    );
    assert_eq!(fixed.pool, start.pool);
}

/// When growth asks for more than the pool can free, guests below their
/// floor come first and the rest is shared in proportion to what was asked.
#[test]
fn scarce_memory_goes_to_floors_first_then_in_proportion() {
    let guests = [
        guest(100, 1000, 200, 4096), // below its floor, asks 100 + 800
        guest(1000, 2984, 64, 4096), // asks 2000
        guest(1000, 1984, 64, 4096), // asks 1000
    ];
    let pool = PoolReport {
        free: 400,
        ephemeral: 0,
        persistent: 9000,
    };
    let plan = SelfBalloon::default().plan(&guests, &pool);
    let targets: Vec<u32> = plan.decisions().iter().map(|d| d.target).collect();
    // 100 to reach guest 0's floor; 300 left for 800 + 2000 + 1000 asked.
    assert_eq!(targets.iter().sum::<u32>(), 100 + 1000 + 1000 + 400);
    assert!(targets[0] >= 200, "floor first: {targets:?}");
    let grown = |i: usize| targets[i] - guests[i].held;
    assert!(grown(1) > grown(2), "more asked, more given: {targets:?}");
}

/// Frontswap self-shrinking: after three periods in which a guest's
/// frontswap use did not grow, a twentieth of it is asked back; growth
/// restarts the count; twenty pages or fewer are asked back whole.
#[test]
fn frontswap_shrinks_after_three_quiet_periods() {
    let mut policy = SelfBalloon::default();
    let pool = PoolReport::default();
    let mut shrinks = vec![];
    for frontswap in [
        100, 400, 400, 400, 400, 380, 380, 500, 500, 500, 500, 10, 10, 10,
    ] {
        let mut g = guest(1024, 1000, 64, 4096);
        g.frontswap = frontswap;
        shrinks.push(policy.plan(&[g], &pool).decisions()[0].frontswap_shrink);
    }
    assert_eq!(shrinks, [0, 0, 0, 0, 20, 0, 0, 0, 0, 0, 25, 0, 0, 10]);
}
