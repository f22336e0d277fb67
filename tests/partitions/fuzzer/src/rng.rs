//! A deterministic pseudo-random generator (xorshift32), seeded from the
//! fuzzer's argument so that a failing run can be replayed exactly. It must
//! never depend on anything but its seed (no clocks, no addresses), and
//! never divide: the Cortex-A9 has no divide instruction in ARM state.

/// Marsaglia's xorshift32.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng {
    state: u32,
}

impl Rng {
    /// A generator for `seed`; every seed (0 too) gives a non-zero state.
    pub const fn new(seed: u32) -> Rng {
        let mut x = seed ^ 0x9E37_79B9;
        x ^= x >> 16;
        x = x.wrapping_mul(0x85EB_CA6B);
        x ^= x >> 13;
        x = x.wrapping_mul(0xC2B2_AE35);
        x ^= x >> 16;
        Rng {
            state: if x == 0 { 0x2545_F491 } else { x },
        }
    }

    /// The next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.state = x;
        x
    }

    /// A number in `0..n` (0 when `n` is 0), by multiplication.
    pub fn below(&mut self, n: u32) -> u32 {
        ((u64::from(self.next_u32()) * u64::from(n)) >> 32) as u32
    }

    /// `true` with probability `percent`/100.
    pub fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent
    }

    /// One of `items` (which must not be empty).
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u32) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_gives_the_same_sequence_every_time() {
        let (mut a, mut b) = (Rng::new(0x1E18), Rng::new(0x1E18));
        for _ in 0..1000 {
            assert_eq!(a.next_u32(), b.next_u32());
        }
        let mut c = Rng::new(0x1E19);
        let same = (0..1000).filter(|_| a.next_u32() == c.next_u32()).count();
        assert!(same < 5, "neighbouring seeds give different sequences");
    }

    #[test]
    fn no_seed_gets_stuck_at_zero() {
        for seed in [0, 1, u32::MAX, 0x9E37_79B9] {
            let mut rng = Rng::new(seed);
            assert!((0..100).all(|_| rng.next_u32() != 0), "seed {seed:#x}");
        }
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut rng = Rng::new(5);
        let mut seen = [0u32; 10];
        for _ in 0..10_000 {
            let n = rng.below(10);
            seen[n as usize] += 1;
        }
        assert!(
            seen.iter().all(|&count| (800..1200).contains(&count)),
            "{seen:?}"
        );
        assert_eq!(rng.below(0), 0);
        assert_eq!(rng.below(1), 0);
    }
}
