//! A policy's output: per guest, the frames it should hold next period and
//! the frontswap pages it should take back in; and the frame moves that get
//! every guest there, reclaims before grants so the pool never lends what
//! it does not have yet.

/// The most guests one plan covers.
pub const MAX_GUESTS: usize = 16;

/// One guest's next period.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Decision {
    /// Frames the guest should hold (its balloon target).
    pub target: u32,
    /// Frontswap pages the guest should bring back in from tmem (Xen's
    /// frontswap self-shrinking); 0 for none.
    pub frontswap_shrink: u32,
}

/// One frame move between a guest and the tmem pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Move {
    /// The guest gives `frames` back to the pool (its balloon inflates).
    Reclaim { guest: usize, frames: u32 },
    /// The pool gives `frames` to the guest (its balloon deflates).
    Grant { guest: usize, frames: u32 },
}

/// Decisions for up to [`MAX_GUESTS`] guests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    decisions: [Decision; MAX_GUESTS],
    len: usize,
}

impl Plan {
    /// A plan that leaves every one of `guests` as it is.
    pub fn unchanged(held: impl Iterator<Item = u32>) -> Plan {
        let mut plan = Plan {
            decisions: [Decision::default(); MAX_GUESTS],
            len: 0,
        };
        for (slot, held) in plan.decisions.iter_mut().zip(held) {
            slot.target = held;
            plan.len += 1;
        }
        plan
    }

    /// The decisions, one per guest.
    pub fn decisions(&self) -> &[Decision] {
        &self.decisions[..self.len]
    }

    /// The decisions, to adjust.
    pub fn decisions_mut(&mut self) -> &mut [Decision] {
        &mut self.decisions[..self.len]
    }

    /// The moves that take guests holding `held` to their targets:
    /// every reclaim first, then every grant, each guest in order.
    pub fn moves<'a>(&'a self, held: &'a [u32]) -> impl Iterator<Item = Move> + 'a {
        let pairs = || self.decisions().iter().zip(held).enumerate();
        let reclaims = pairs()
            .filter(|(_, (d, &h))| d.target < h)
            .map(|(guest, (d, &h))| Move::Reclaim {
                guest,
                frames: h - d.target,
            });
        let grants = pairs()
            .filter(|(_, (d, &h))| d.target > h)
            .map(|(guest, (d, &h))| Move::Grant {
                guest,
                frames: d.target - h,
            });
        reclaims.chain(grants)
    }
}
