//! The workloads' random numbers: `rand_xorshift`'s generator seeded from
//! a description's seed, so a run repeats exactly. Not for anything that
//! needs secrecy.

use rand_core::{Rng, SeedableRng};
use rand_xorshift::XorShiftRng;

/// The generator for `seed`.
pub fn seeded(seed: u32) -> XorShiftRng {
    XorShiftRng::seed_from_u64(u64::from(seed))
}

/// A number in `0..100`.
pub fn percent(rng: &mut XorShiftRng) -> u32 {
    below(rng, 100)
}

/// A number in `0..bound` (`bound` > 0; 0 gives 0), nearly uniform (the
/// bias of a 64-bit draw reduced modulo a 32-bit bound is below 2^-32).
pub fn below(rng: &mut XorShiftRng, bound: u32) -> u32 {
    if bound == 0 {
        return 0;
    }
    (rng.next_u64() % u64::from(bound)) as u32
}
