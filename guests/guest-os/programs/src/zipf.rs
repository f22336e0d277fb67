//! Random access with a Zipf skew: page `k` of a set (0-based; rank
//! `k + 1`) is touched with probability proportional to `1 / (k + 1)^s`,
//! so a few pages are hot and most are cold, as in a cache's life. Each
//! touch reads the page and checks it against the version last written
//! there ([`pattern`](crate::pattern), keyed by its address), and a
//! configured share of touches then write the next version; a page never
//! written is written first. Every lost, stale or foreign page is counted
//! in the [`Tally`].
//!
//! Sampling is `rand_distr`'s Zipf (rejection-inversion, no table) over a
//! seeded `XorShiftRng`, so a run is reproducible from its seed. The
//! driver works on plain slices — the program's mapped memory on the
//! target, vectors in host tests — and never allocates.

use rand_distr::{Distribution, Zipf};
use rand_xorshift::XorShiftRng;

use crate::pattern::{self, Expected, PAGE_BYTES};
use crate::rng;
use crate::tally::Tally;

/// Page indices `0..pages` drawn with a Zipf skew.
#[derive(Clone, Copy, Debug)]
pub struct ZipfPages {
    pages: u32,
    distribution: Zipf<f64>,
}

impl ZipfPages {
    /// Over `pages` pages with exponent `exponent` (0: uniform); `None`
    /// for no pages or an exponent that is negative or not a number.
    pub fn new(pages: u32, exponent: f32) -> Option<ZipfPages> {
        let distribution = Zipf::new(f64::from(pages), f64::from(exponent)).ok()?;
        Some(ZipfPages {
            pages,
            distribution,
        })
    }

    /// A page index, `0..pages`.
    pub fn sample(&self, rng: &mut XorShiftRng) -> u32 {
        let rank = self.distribution.sample(rng) as u32;
        rank.clamp(1, self.pages) - 1
    }
}

/// The random-access workload's parameters, in the order the guest
/// kernel passes them as words.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Params {
    /// Pages in the set.
    pub pages: u32,
    /// Touches.
    pub operations: u32,
    /// Zipf exponent.
    pub exponent: f32,
    /// Seed of the random sequence.
    pub seed: u32,
    /// Percent of touches that write a new version.
    pub write_percent: u32,
    /// The pattern's key (the guest and process).
    pub tag: u32,
}

impl Params {
    /// From the words `[pages, operations, exponent bits, seed,
    /// write_percent, tag]`; `None` if there are not six.
    pub fn from_words(words: &[u32]) -> Option<Params> {
        let &[pages, operations, exponent, seed, write_percent, tag] = words else {
            return None;
        };
        Some(Params {
            pages,
            operations,
            exponent: f32::from_bits(exponent),
            seed,
            write_percent,
            tag,
        })
    }

    /// As words, for the guest kernel to pass.
    pub fn to_words(&self) -> [u32; 6] {
        [
            self.pages,
            self.operations,
            self.exponent.to_bits(),
            self.seed,
            self.write_percent,
            self.tag,
        ]
    }
}

/// Runs `params.operations` touches over `memory` (`params.pages` pages
/// at address `base`), with `versions` (one word per page, zero: never
/// written) recording what each page should hold. `None` if the
/// parameters or the slices' sizes do not fit.
pub fn run(params: &Params, base: u32, memory: &mut [u8], versions: &mut [u32]) -> Option<Tally> {
    let sampler = ZipfPages::new(params.pages, params.exponent)?;
    let pages = params.pages as usize;
    if memory.len() < pages * PAGE_BYTES || versions.len() < pages {
        return None;
    }
    let mut rng = rng::seeded(params.seed);
    let mut tally = Tally::default();
    for _ in 0..params.operations {
        let index = sampler.sample(&mut rng);
        let address = base.wrapping_add(index.wrapping_mul(PAGE_BYTES as u32));
        let start = index as usize * PAGE_BYTES;
        let page: &mut [u8; PAGE_BYTES] =
            (&mut memory[start..start + PAGE_BYTES]).try_into().ok()?;
        let version = versions[index as usize];
        let write = version == 0 || rng::percent(&mut rng) < params.write_percent;
        if version != 0 {
            let wrong =
                pattern::first_mismatch(page, params.tag, address, Expected::Version(version));
            tally.check(wrong.is_some());
        }
        if write {
            let next = version.wrapping_add(1).max(1);
            pattern::fill(page, params.tag, address, next);
            versions[index as usize] = next;
        }
        tally.operations += 1;
    }
    Some(tally)
}
