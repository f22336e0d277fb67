//! A key-value store with a get/put mix: an open-addressing hash table of
//! fixed-size records in the process's memory, keys `0..keys` drawn
//! uniformly, each operation a `get` (look the key up, check the record)
//! or, for a configured share, a `put` (write the key's next version).
//! A record's value is a function of its key and version, and the
//! program keeps each key's expected version apart from the table, so a
//! lost, stale or foreign record — or a key found that was never put, or
//! not found that was — is a mismatch in the [`Tally`].
//!
//! The table and the expected versions are plain word slices (the
//! program's mapped memory on the target, vectors in host tests); the
//! store never allocates and never loops without bound.

use crate::rng;
use crate::tally::Tally;

/// Words in a record: the key plus one (0: empty), the version, the value.
pub const RECORD_WORDS: usize = 32;

/// Word `index` of the value of version `version` of `key` (never 0).
pub fn value_word(tag: u32, key: u32, version: u32, index: u32) -> u32 {
    let seed = tag
        .wrapping_mul(0x2545_F491)
        .wrapping_add(key.wrapping_mul(0x9E37_79B9))
        .wrapping_add(version.wrapping_mul(0x85EB_CA6B));
    (seed ^ index.wrapping_mul(0xC2B2_AE35)).rotate_left(index % 29) | 1
}

/// The records a table for `keys` keys has: a power of two, at least
/// twice the keys, so probes stay short and a free slot always exists.
pub fn capacity(keys: u32) -> Option<u32> {
    keys.checked_mul(2)?.max(1).checked_next_power_of_two()
}

/// The key-value workload's parameters, in the order the guest kernel
/// passes them as words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// Distinct keys.
    pub keys: u32,
    /// Operations.
    pub operations: u32,
    /// Percent of operations that are puts.
    pub put_percent: u32,
    /// Seed of the random sequence.
    pub seed: u32,
    /// The values' key (the guest and process).
    pub tag: u32,
}

impl Params {
    /// From the words `[keys, operations, put_percent, seed, tag]`.
    pub fn from_words(words: &[u32]) -> Option<Params> {
        let &[keys, operations, put_percent, seed, tag] = words else {
            return None;
        };
        Some(Params {
            keys,
            operations,
            put_percent,
            seed,
            tag,
        })
    }

    /// As words, for the guest kernel to pass.
    pub fn to_words(&self) -> [u32; 5] {
        [
            self.keys,
            self.operations,
            self.put_percent,
            self.seed,
            self.tag,
        ]
    }

    /// Bytes of table the store needs.
    pub fn table_bytes(&self) -> Option<u32> {
        capacity(self.keys)?.checked_mul(RECORD_WORDS as u32 * 4)
    }
}

/// The store over `table` (`capacity(keys)` records, zeroed: empty).
struct Store<'t> {
    table: &'t mut [u32],
    slots: u32,
    tag: u32,
}

impl Store<'_> {
    fn record(&mut self, slot: u32) -> &mut [u32] {
        let start = slot as usize * RECORD_WORDS;
        &mut self.table[start..start + RECORD_WORDS]
    }

    /// The slot holding `key`, or the empty slot where it would go;
    /// `None` if a whole probe finds neither.
    fn probe(&mut self, key: u32) -> Option<(u32, bool)> {
        let home = key.wrapping_mul(0x9E37_79B1) & (self.slots - 1);
        for step in 0..self.slots {
            let slot = (home + step) & (self.slots - 1);
            match self.record(slot)[0] {
                0 => return Some((slot, false)),
                stored if stored == key.wrapping_add(1) => return Some((slot, true)),
                _ => {}
            }
        }
        None
    }

    /// Whether the record in `slot` is version `version` of `key`.
    fn holds(&mut self, slot: u32, key: u32, version: u32) -> bool {
        let tag = self.tag;
        let record = self.record(slot);
        record[1] == version
            && (2..RECORD_WORDS as u32)
                .all(|index| record[index as usize] == value_word(tag, key, version, index))
    }

    fn put(&mut self, slot: u32, key: u32, version: u32) {
        let tag = self.tag;
        let record = self.record(slot);
        record[0] = key.wrapping_add(1);
        record[1] = version;
        for index in 2..RECORD_WORDS as u32 {
            record[index as usize] = value_word(tag, key, version, index);
        }
    }
}

/// Runs `params.operations` gets and puts over `table` (at least
/// `params.table_bytes()` bytes of words, zeroed) with `versions` (one
/// word per key, zeroed: never put). `None` if the sizes do not fit.
pub fn run(params: &Params, table: &mut [u32], versions: &mut [u32]) -> Option<Tally> {
    let slots = capacity(params.keys)?;
    if params.keys == 0
        || table.len() < slots as usize * RECORD_WORDS
        || versions.len() < params.keys as usize
    {
        return None;
    }
    let mut store = Store {
        table,
        slots,
        tag: params.tag,
    };
    let mut rng = rng::seeded(params.seed);
    let mut tally = Tally::default();
    for _ in 0..params.operations {
        let key = rng::below(&mut rng, params.keys);
        let put = rng::percent(&mut rng) < params.put_percent;
        let expected = versions[key as usize];
        tally.operations += 1;
        let found = store.probe(key);
        if put {
            // A put reads nothing back: only where the key goes.
            match found {
                Some((slot, _)) => {
                    let next = expected.wrapping_add(1).max(1);
                    store.put(slot, key, next);
                    versions[key as usize] = next;
                }
                // Every slot taken by other keys: the table was overwritten.
                None => tally.check(true),
            }
            continue;
        }
        let wrong = match (found, expected) {
            (Some((slot, true)), version) if version != 0 => !store.holds(slot, key, version),
            // Never put and not found: right.
            (Some((_, false)), 0) => false,
            // Found but never put, put but not found, or no slot at all.
            _ => true,
        };
        tally.check(wrong);
    }
    Some(tally)
}
