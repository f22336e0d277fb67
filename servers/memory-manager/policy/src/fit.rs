//! Making a plan feasible: guests grow only by frames the pool can free
//! this period (its free and ephemeral frames, and what shrinking guests
//! give back). When growth asks for more, guests below their floor are
//! brought up to it first, then the rest is shared in proportion to what
//! each asked for. Every policy's plan goes through here, so no policy can
//! promise frames that do not exist.

use crate::plan::Plan;
use crate::report::{GuestReport, PoolReport};

/// Cuts the growth in `plan` (for `guests`, in order) to what `pool` and
/// the plan's own reclaims can fund. Shrinking guests are left alone.
pub fn fit_to_pool(plan: &mut Plan, guests: &[GuestReport], pool: &PoolReport) {
    let decisions = plan.decisions_mut();
    let pairs = || decisions.iter().zip(guests);
    let released: u64 = pairs()
        .map(|(d, g)| u64::from(g.held.saturating_sub(d.target)))
        .sum();
    let asked: u64 = pairs()
        .map(|(d, g)| u64::from(d.target.saturating_sub(g.held)))
        .sum();
    let mut available = u64::from(pool.reclaimable()) + released;
    if asked <= available {
        return;
    }
    // Round one: up to the floor, in guest order.
    let mut given = [0u32; crate::MAX_GUESTS];
    for ((d, g), given) in decisions.iter().zip(guests).zip(given.iter_mut()) {
        let to_floor = g.bounds.floor.min(d.target).saturating_sub(g.held);
        let grant = u64::from(to_floor).min(available);
        *given = grant as u32;
        available -= grant;
    }
    // Round two: the rest in proportion to what is still asked for.
    let still = |d: &crate::Decision, g: &GuestReport, given: u32| {
        u64::from(d.target.saturating_sub(g.held).saturating_sub(given))
    };
    let wanted: u64 = decisions
        .iter()
        .zip(guests)
        .zip(given)
        .map(|((d, g), given)| still(d, g, given))
        .sum();
    let pot = available;
    for ((d, g), given) in decisions.iter().zip(guests).zip(given.iter_mut()) {
        if wanted == 0 {
            break;
        }
        let share = still(d, g, *given) * pot / wanted;
        *given += share as u32;
        available -= share;
    }
    // What rounding left over, one frame at a time in guest order.
    for ((d, g), given) in decisions.iter().zip(guests).zip(given.iter_mut()) {
        let more = still(d, g, *given).min(available);
        *given += more as u32;
        available -= more;
    }
    for ((d, g), given) in decisions.iter_mut().zip(guests).zip(given) {
        if d.target > g.held {
            d.target = g.held + given;
        }
    }
}
