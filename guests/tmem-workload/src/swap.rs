//! The frontswap phase: store pages, load them all back, invalidate half,
//! load again (the invalidated half must miss, the rest must still be
//! exact), then invalidate the area. A persistent pool must return every
//! accepted page exactly, so a miss there is a mismatch; a refused store
//! is not (the guest would write that page to its swap device). This phase
//! must never stop on an error.

use tmem_client::{Frontswap, FrontswapStats, Transport};

use crate::pattern::{self, Use};
use crate::tally::Tally;
use guest_tmem_workload::plan::Plan;

/// The swap type (one swap device).
const SWAP_TYPE: u32 = 0;

/// Runs the phase; returns frontswap's counters.
pub fn run(transport: &mut impl Transport, plan: &Plan, tally: &mut Tally) -> FrontswapStats {
    let mut swap = match Frontswap::init(transport, SWAP_TYPE) {
        Ok(swap) => swap,
        Err(error) => {
            tally.error("frontswap init", SWAP_TYPE, error);
            return FrontswapStats::default();
        }
    };
    let pages = plan.swap_pages.min(256);
    let seed = |offset| pattern::seed(Use::Swap, plan.client, offset);
    let mut stored = [false; 256];

    for offset in 0..pages {
        pattern::fill(transport.page_mut(), seed(offset));
        match swap.store_in_place(transport, offset) {
            Ok(()) => stored[offset as usize] = true,
            Err(error) => tally.error("frontswap store", offset, error),
        }
    }
    // Speed is measured by `cargo xtask bench`, not here.
    check_all(&mut swap, transport, plan, tally, &stored, |_| true);

    for offset in (0..pages).step_by(2) {
        match swap.invalidate_page(transport, offset) {
            Ok(found) if found != stored[offset as usize] => {
                tally.mismatch("frontswap invalidate", offset, "found wrong", 0)
            }
            Ok(_) => {}
            Err(error) => tally.error("frontswap invalidate", offset, error),
        }
    }
    check_all(&mut swap, transport, plan, tally, &stored, |offset| {
        offset % 2 == 1
    });
    if let Err(error) = swap.invalidate_area(transport) {
        tally.error("frontswap invalidate area", SWAP_TYPE, error);
    }
    swap.stats()
}

/// Loads every offset: those `stored` and `kept` must come back exact,
/// the others must miss.
fn check_all(
    swap: &mut Frontswap,
    transport: &mut impl Transport,
    plan: &Plan,
    tally: &mut Tally,
    stored: &[bool; 256],
    kept: impl Fn(u32) -> bool,
) {
    let pages = plan.swap_pages.min(256);
    for offset in 0..pages {
        let expected = stored[offset as usize] && kept(offset);
        match swap.load_in_place(transport, offset) {
            Ok(true) if !expected => {
                tally.mismatch("frontswap load", offset, "hit after invalidate", 0)
            }
            Ok(true) => {
                let seed = pattern::seed(Use::Swap, plan.client, offset);
                if let Some(byte) = pattern::first_mismatch(transport.page(), seed) {
                    tally.mismatch("frontswap load", offset, "wrong contents", byte);
                }
            }
            Ok(false) if expected => tally.mismatch("frontswap load", offset, "page lost", 0),
            Ok(false) => {}
            Err(error) => tally.error("frontswap load", offset, error),
        }
    }
}
