//! The workload programs' logic and checkers on the host: the Zipf
//! sampler draws pages with the frequencies an independent computation of
//! the Zipf law gives; the random-access and key-value workloads count
//! nothing wrong over faithful memory and count exactly the pages or
//! records a test damages (lost, stale or foreign); the file checker
//! catches a wrong byte and a short read.

use guest_os_config::file_set::file_byte;
use guest_programs::file_check::first_wrong_byte;
use guest_programs::kv::{self, RECORD_WORDS};
use guest_programs::pattern::{self, Expected, PAGE_BYTES};
use guest_programs::rng;
use guest_programs::tally::Tally;
use guest_programs::zipf::{self, ZipfPages};

/// The Zipf law's probabilities for ranks 1..=n, computed directly.
fn zipf_law(n: u32, s: f64) -> Vec<f64> {
    let weights: Vec<f64> = (1..=n).map(|k| (k as f64).powf(-s)).collect();
    let total: f64 = weights.iter().sum();
    weights.iter().map(|w| w / total).collect()
}

#[test]
fn the_sampler_follows_the_zipf_law() {
    const DRAWS: u32 = 200_000;
    for (pages, exponent) in [(16, 1.0f32), (50, 0.8), (8, 0.0), (30, 1.5)] {
        let sampler = ZipfPages::new(pages, exponent).unwrap();
        let mut rng = rng::seeded(42);
        let mut counts = vec![0u32; pages as usize];
        for _ in 0..DRAWS {
            counts[sampler.sample(&mut rng) as usize] += 1;
        }
        let law = zipf_law(pages, f64::from(exponent));
        // Pearson's chi-squared against the law: with `pages - 1` degrees
        // of freedom (at most 49) a fair sampler stays far below 100.
        let chi2: f64 = counts
            .iter()
            .zip(&law)
            .map(|(&seen, p)| {
                let expected = p * f64::from(DRAWS);
                (f64::from(seen) - expected).powi(2) / expected
            })
            .sum();
        assert!(
            chi2 < 100.0,
            "{pages} pages, s = {exponent}: chi2 {chi2}, {counts:?}"
        );
        // And the skew is real: page 0 is the most frequent for s > 0.
        if exponent > 0.0 {
            assert_eq!(counts.iter().max(), Some(&counts[0]), "{counts:?}");
        }
    }
}

#[test]
fn the_sampler_refuses_what_is_no_distribution() {
    assert!(ZipfPages::new(0, 1.0).is_none());
    assert!(ZipfPages::new(10, -0.5).is_none());
    assert!(ZipfPages::new(10, f32::NAN).is_none());
    let one = ZipfPages::new(1, 2.0).unwrap();
    assert_eq!(one.sample(&mut rng::seeded(1)), 0);
}

fn zipf_params(pages: u32, operations: u32) -> zipf::Params {
    zipf::Params {
        pages,
        operations,
        exponent: 0.9,
        seed: 7,
        write_percent: 30,
        tag: 3,
    }
}

const BASE: u32 = 0x1000_0000;

#[test]
fn random_access_over_faithful_memory_finds_nothing_wrong_and_repeats() {
    let params = zipf_params(20, 3000);
    let run = || {
        let mut memory = vec![0u8; 20 * PAGE_BYTES];
        let mut versions = vec![0u32; 20];
        let tally = zipf::run(&params, BASE, &mut memory, &mut versions).unwrap();
        (tally, versions)
    };
    let (tally, versions) = run();
    assert_eq!(tally.operations, 3000);
    assert_eq!(tally.mismatches, 0);
    // Every touch but each page's first reads it back.
    let touched = versions.iter().filter(|&&v| v != 0).count() as u32;
    assert_eq!(tally.checked, 3000 - touched);
    assert_eq!(run(), (tally, versions), "a seed gives the same run");
    assert_eq!(
        params,
        zipf::Params::from_words(&params.to_words()).unwrap(),
        "the words the guest kernel passes"
    );
}

#[test]
fn random_access_counts_each_damaged_page() {
    // Write every page first (one pass of the run with many operations),
    // then damage three pages three ways and run on: each damaged page is
    // counted once per read until it is rewritten, so at least three and
    // every mismatch is one of the damaged pages.
    let params = zipf_params(12, 2000);
    let mut memory = vec![0u8; 12 * PAGE_BYTES];
    let mut versions = vec![0u32; 12];
    zipf::run(&params, BASE, &mut memory, &mut versions).unwrap();
    assert!(versions.iter().all(|&v| v != 0), "every page written");
    let page = |index: usize| index * PAGE_BYTES..(index + 1) * PAGE_BYTES;
    // Lost: zeros. Stale: the version before. Foreign: another page's.
    memory[page(0)].fill(0);
    let stale: &mut [u8; PAGE_BYTES] = (&mut memory[page(1)]).try_into().unwrap();
    pattern::fill(stale, 3, BASE + PAGE_BYTES as u32, versions[1] + 7);
    let foreign = memory[page(3)].to_vec();
    memory[page(2)].copy_from_slice(&foreign);
    // Pages 0-2 are the hottest: the next reads of each are wrong until a
    // write repairs it. Count the expected number with an independent
    // replay of the run's choices over an undamaged model.
    let damaged = [0usize, 1, 2];
    let mut model = versions.clone();
    let mut broken = damaged.to_vec();
    let mut expected_mismatches = 0;
    {
        use rand_distr_check::replay;
        replay(&params, &mut model, |index, read, write| {
            if read && broken.contains(&index) {
                expected_mismatches += 1;
            }
            if write {
                broken.retain(|&b| b != index);
            }
        });
    }
    let tally = zipf::run(&params, BASE, &mut memory, &mut versions).unwrap();
    assert!(expected_mismatches >= 3, "the hot pages were read");
    assert_eq!(tally.mismatches, expected_mismatches);
    assert_eq!(model, versions, "the replay made the same choices");
}

/// An independent replay of the random-access workload's choices (same
/// generator, same draw order), calling `visit(page, read, write)`.
mod rand_distr_check {
    use super::*;

    pub fn replay(
        params: &zipf::Params,
        versions: &mut [u32],
        mut visit: impl FnMut(usize, bool, bool),
    ) {
        let sampler = ZipfPages::new(params.pages, params.exponent).unwrap();
        let mut rng = rng::seeded(params.seed);
        for _ in 0..params.operations {
            let index = sampler.sample(&mut rng) as usize;
            let version = versions[index];
            let write = version == 0 || rng::percent(&mut rng) < params.write_percent;
            visit(index, version != 0, write);
            if write {
                versions[index] = version + 1;
            }
        }
    }
}

fn kv_params(keys: u32, operations: u32) -> kv::Params {
    kv::Params {
        keys,
        operations,
        put_percent: 40,
        seed: 11,
        tag: 5,
    }
}

fn kv_table(params: &kv::Params) -> Vec<u32> {
    vec![0; params.table_bytes().unwrap() as usize / 4]
}

#[test]
fn the_store_over_faithful_memory_finds_nothing_wrong() {
    let params = kv_params(100, 5000);
    let mut table = kv_table(&params);
    let mut versions = vec![0u32; 100];
    let tally = kv::run(&params, &mut table, &mut versions).unwrap();
    assert_eq!(tally.operations, 5000);
    assert_eq!(tally.mismatches, 0);
    let puts = versions.iter().sum::<u32>();
    assert_eq!(tally.checked, 5000 - puts, "every get is checked");
    assert!(versions.iter().all(|&v| v != 0), "every key was put");
    assert_eq!(params, kv::Params::from_words(&params.to_words()).unwrap());
    assert!(kv::run(&kv_params(0, 10), &mut table, &mut versions).is_none());
    assert!(kv::run(&params, &mut table[..10], &mut versions).is_none());
}

/// The slot holding `key` in `table`.
fn slot_of(table: &[u32], key: u32) -> usize {
    table
        .chunks_exact(RECORD_WORDS)
        .position(|record| record[0] == key + 1)
        .unwrap()
}

#[test]
fn the_store_counts_lost_stale_and_foreign_records() {
    let params = kv_params(64, 3000);
    let mut table = kv_table(&params);
    let mut versions = vec![0u32; 64];
    kv::run(&params, &mut table, &mut versions).unwrap();
    // Damage three records: one lost (emptied: a later get does not find
    // a key that was put, or the probe chain breaks), one stale (an older
    // version, consistently written), one foreign (a word of its value
    // flipped).
    let lost = slot_of(&table, 5) * RECORD_WORDS;
    let stale = slot_of(&table, 6) * RECORD_WORDS;
    let foreign = slot_of(&table, 7) * RECORD_WORDS;
    table[lost..lost + RECORD_WORDS].fill(0);
    let old = versions[6] - 1;
    table[stale + 1] = old;
    for index in 2..RECORD_WORDS as u32 {
        table[stale + index as usize] = kv::value_word(5, 6, old, index);
    }
    table[foreign + 9] ^= 0x10;
    // Gets only: a get of a damaged key is wrong, any other right —
    // except that emptying a slot may cut the probe chain of a key that
    // was displaced past it, which is then lost too.
    let get_only = kv::Params {
        put_percent: 0,
        ..params
    };
    let tally = kv::run(&get_only, &mut table, &mut versions.clone()).unwrap();
    let mut damaged_gets = 0;
    let mut rng = rng::seeded(get_only.seed);
    for _ in 0..get_only.operations {
        let key = rng::below(&mut rng, 64);
        rng::percent(&mut rng);
        damaged_gets += u32::from([5, 6, 7].contains(&key));
    }
    assert!(damaged_gets > 0);
    assert!(tally.mismatches >= damaged_gets, "{tally:?} {damaged_gets}");
    // Without the emptied slot, exactly the damaged gets are wrong.
    let mut clean = kv_table(&params);
    let mut clean_versions = vec![0u32; 64];
    kv::run(&params, &mut clean, &mut clean_versions).unwrap();
    let stale = slot_of(&clean, 6) * RECORD_WORDS;
    clean[stale + 1] = old;
    for index in 2..RECORD_WORDS as u32 {
        clean[stale + index as usize] = kv::value_word(5, 6, old, index);
    }
    let foreign = slot_of(&clean, 7) * RECORD_WORDS;
    clean[foreign + 9] ^= 0x10;
    let tally = kv::run(&get_only, &mut clean, &mut clean_versions).unwrap();
    let mut exact = Tally::default();
    let mut rng = rng::seeded(get_only.seed);
    for _ in 0..get_only.operations {
        let key = rng::below(&mut rng, 64);
        rng::percent(&mut rng);
        exact.check([6, 7].contains(&key));
    }
    assert_eq!(tally.mismatches, exact.mismatches);
    assert_eq!(tally.checked, get_only.operations);
}

#[test]
fn the_file_checker_catches_wrong_bytes_and_short_reads() {
    let good: Vec<u8> = (0..4096).map(|at| file_byte(2, 4096 + at)).collect();
    assert_eq!(first_wrong_byte(2, 4096, 4096, &good), None);
    assert_eq!(
        first_wrong_byte(2, 4096, 4096, &good[..4000]),
        Some(4000),
        "short"
    );
    assert!(
        first_wrong_byte(3, 4096, 4096, &good).is_some(),
        "another file's"
    );
    assert!(
        first_wrong_byte(2, 0, 4096, &good).is_some(),
        "another page's"
    );
    let mut bad = good.clone();
    bad[777] ^= 1;
    assert_eq!(first_wrong_byte(2, 4096, 4096, &bad), Some(777));
    assert_eq!(
        first_wrong_byte(2, 4096, 0, &[]),
        None,
        "nothing asked past the end"
    );
    // And the page pattern the memory workloads use tells versions apart.
    let mut page = [0u8; PAGE_BYTES];
    pattern::fill(&mut page, 1, BASE, 2);
    assert_eq!(
        pattern::first_mismatch(&page, 1, BASE, Expected::Version(2)),
        None
    );
    assert!(pattern::first_mismatch(&page, 1, BASE, Expected::Version(1)).is_some());
}
