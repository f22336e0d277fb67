//! Xen's self-ballooning, as the manager runs it for every guest at once.
//!
//! Each period a guest's goal is its committed memory plus a reserve, kept
//! between its floor and ceiling. A guest above its goal shrinks by an
//! eighth of the gap (the down hysteresis: slow to give memory away, and a
//! gap under eight frames is left alone); a guest below it grows to it at
//! once (the up hysteresis of one). Frontswap self-shrinking: once a
//! guest's frontswap use has not grown for three periods (the inertia), it
//! is asked to bring a twentieth of those pages back in (all of them when
//! twenty or fewer), and the count starts again. Facts from Linux's
//! `drivers/xen/xen-selfballoon.c` (defaults: down hysteresis 8, up 1,
//! frontswap inertia 3, frontswap hysteresis 20).

use crate::fit::fit_to_pool;
use crate::plan::{Plan, MAX_GUESTS};
use crate::pool::balance_reserve;
use crate::report::{GuestReport, PoolReport};
use crate::{Policy, PoolMove, ReserveReport};

/// The policy's constants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SelfBalloonTuning {
    /// A guest above its goal gives back 1/`down` of the gap per period.
    pub down: u32,
    /// A guest below its goal takes 1/`up` of the gap per period.
    pub up: u32,
    /// Quiet periods (frontswap use not growing) before a shrink.
    pub frontswap_inertia: u32,
    /// A frontswap shrink takes back 1/`frontswap_hysteresis` of the pages.
    pub frontswap_hysteresis: u32,
}

impl Default for SelfBalloonTuning {
    fn default() -> Self {
        SelfBalloonTuning {
            down: 8,
            up: 1,
            frontswap_inertia: 3,
            frontswap_hysteresis: 20,
        }
    }
}

/// What the policy remembers about one guest between periods.
#[derive(Clone, Copy, Debug, Default)]
struct Memory {
    /// Frontswap pages at the last period.
    last_frontswap: u32,
    /// Quiet periods still to wait before the next frontswap shrink.
    inertia: u32,
}

/// Xen's self-ballooning and frontswap self-shrinking.
#[derive(Clone, Debug)]
pub struct SelfBalloon {
    tuning: SelfBalloonTuning,
    memory: [Memory; MAX_GUESTS],
}

impl SelfBalloon {
    /// With `tuning` (divisors of zero are taken as one).
    pub fn new(tuning: SelfBalloonTuning) -> SelfBalloon {
        let tuning = SelfBalloonTuning {
            down: tuning.down.max(1),
            up: tuning.up.max(1),
            frontswap_hysteresis: tuning.frontswap_hysteresis.max(1),
            ..tuning
        };
        let memory = Memory {
            last_frontswap: 0,
            inertia: tuning.frontswap_inertia,
        };
        SelfBalloon {
            tuning,
            memory: [memory; MAX_GUESTS],
        }
    }

    /// The frames guest `g` should hold, before the pool is consulted.
    fn target(&self, g: &GuestReport) -> u32 {
        let bounds = g.bounds;
        let floor = bounds.floor.min(bounds.ceiling);
        let goal = g
            .committed
            .saturating_add(bounds.reserve)
            .clamp(floor, bounds.ceiling);
        let target = if g.held > goal {
            g.held - (g.held - goal) / self.tuning.down
        } else {
            g.held + (goal - g.held).div_ceil(self.tuning.up)
        };
        target.clamp(floor, bounds.ceiling)
    }

    /// Pages guest `g` should take back out of frontswap this period.
    fn frontswap_shrink(&self, memory: &mut Memory, frontswap: u32) -> u32 {
        let last = core::mem::replace(&mut memory.last_frontswap, frontswap);
        if frontswap == 0 || frontswap > last {
            memory.inertia = self.tuning.frontswap_inertia;
            return 0;
        }
        memory.inertia = memory.inertia.saturating_sub(1);
        if memory.inertia > 0 {
            return 0;
        }
        memory.inertia = self.tuning.frontswap_inertia;
        if frontswap <= self.tuning.frontswap_hysteresis {
            frontswap
        } else {
            frontswap / self.tuning.frontswap_hysteresis
        }
    }
}

impl Default for SelfBalloon {
    fn default() -> Self {
        SelfBalloon::new(SelfBalloonTuning::default())
    }
}

impl Policy for SelfBalloon {
    fn name(&self) -> &'static str {
        "selfballoon"
    }

    fn plan(&mut self, guests: &[GuestReport], pool: &PoolReport) -> Plan {
        let mut plan = Plan::unchanged(guests.iter().map(|g| g.held));
        let mut memory = self.memory;
        for ((decision, g), memory) in plan.decisions_mut().iter_mut().zip(guests).zip(&mut memory)
        {
            decision.target = self.target(g);
            decision.frontswap_shrink = self.frontswap_shrink(memory, g.frontswap);
        }
        self.memory = memory;
        fit_to_pool(&mut plan, guests, pool);
        plan
    }

    fn pool_move(&self, reserve: &ReserveReport) -> PoolMove {
        balance_reserve(reserve)
    }
}
