//! Open-addressing hash table of `u32` values whose keys live elsewhere.
//!
//! Used to find a page record by handle and an object by (pool, object id)
//! in O(1) expected time, so per-operation cost does not grow with the number
//! of pages stored. Slots are reserved at construction for twice the
//! capacity (load at most 1/2), so inserting never allocates. Callers hash
//! keys with keyed HalfSipHash-1-3 ([`crate::halfsiphash`]) under a key the
//! server makes at boot, so a client cannot choose handles that collide
//! without knowing it; the table keeps each entry's 32-bit hash, so it
//! never hashes a key itself. Linear probing with backward-shift deletion:
//! no tombstones, so probe chains never degrade with churn. The table must
//! never hold a value twice.

use crate::slab::NIL;
use alloc::vec;
use alloc::vec::Vec;

#[derive(Clone, Copy)]
struct Slot {
    /// The key's hash (home position = hash & mask).
    hash: u32,
    /// [`NIL`] when empty.
    value: u32,
}

const EMPTY: Slot = Slot {
    hash: 0,
    value: NIL,
};

/// The table. Callers compare keys through closures over their own arenas.
pub(crate) struct HashTable {
    slots: Vec<Slot>,
    mask: u32,
    len: u32,
}

impl HashTable {
    /// Room for `capacity` values at load 1/2 or less.
    pub(crate) fn with_capacity(capacity: u32) -> Self {
        let size = (u64::from(capacity.max(1)) * 2)
            .next_power_of_two()
            .min(1 << 31) as u32;
        Self {
            slots: vec![EMPTY; size as usize],
            mask: size - 1,
            len: 0,
        }
    }

    /// Position and value of the entry with `hash` for which `matches` holds.
    pub(crate) fn find(
        &self,
        hash: u32,
        mut matches: impl FnMut(u32) -> bool,
    ) -> Option<(u32, u32)> {
        let mut position = hash & self.mask;
        loop {
            let slot = self.slots[position as usize];
            if slot.value == NIL {
                return None;
            }
            if slot.hash == hash && matches(slot.value) {
                return Some((position, slot.value));
            }
            position = (position + 1) & self.mask;
        }
    }

    /// Position of `value`, stored under `hash`: a lookup by a hash the
    /// caller kept, with no key to compare.
    pub(crate) fn position_of(&self, hash: u32, value: u32) -> Option<u32> {
        self.find(hash, |candidate| candidate == value)
            .map(|(position, _)| position)
    }

    /// Adds `value` under `hash`; the caller guarantees its key is absent.
    /// Refuses (returns false) only when the table is half full.
    pub(crate) fn insert(&mut self, hash: u32, value: u32) -> bool {
        if self.len >= self.mask.div_ceil(2) {
            return false;
        }
        let mut position = hash & self.mask;
        while self.slots[position as usize].value != NIL {
            position = (position + 1) & self.mask;
        }
        self.slots[position as usize] = Slot { hash, value };
        self.len += 1;
        true
    }

    /// Removes the entry at `position` (from [`Self::find`]), shifting later
    /// entries of the probe chain back so lookups stay correct.
    pub(crate) fn remove_at(&mut self, position: u32) {
        let mut hole = position;
        let mut next = (hole + 1) & self.mask;
        loop {
            let slot = self.slots[next as usize];
            if slot.value == NIL {
                break;
            }
            let home = slot.hash & self.mask;
            // Move `slot` into the hole unless its home lies cyclically in (hole, next].
            let distance_to_next = next.wrapping_sub(home) & self.mask;
            let distance_to_hole = next.wrapping_sub(hole) & self.mask;
            if distance_to_next >= distance_to_hole {
                self.slots[hole as usize] = slot;
                hole = next;
            }
            next = (next + 1) & self.mask;
        }
        self.slots[hole as usize] = EMPTY;
        self.len -= 1;
    }

    /// Checks the probe invariant (every entry is reachable from its home
    /// position without crossing an empty slot) and the count; returns the
    /// values in slot order.
    pub(crate) fn audit(&self) -> Result<Vec<u32>, &'static str> {
        let mut values = Vec::with_capacity(self.len as usize);
        for (position, slot) in self.slots.iter().enumerate() {
            if slot.value == NIL {
                continue;
            }
            let mut cursor = slot.hash & self.mask;
            while cursor != position as u32 {
                if self.slots[cursor as usize].value == NIL {
                    return Err("hash table: entry unreachable from its home slot");
                }
                cursor = (cursor + 1) & self.mask;
            }
            values.push(slot.value);
        }
        if values.len() != self.len as usize {
            return Err("hash table: count is wrong");
        }
        Ok(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::halfsiphash::HalfSip13;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    proptest! {
        /// Keys are small integers; a tiny key space with a bad "hash"
        /// (key % 4) forces long chains and wrap-around.
        #[test]
        fn behaves_like_a_set(ops in proptest::collection::vec((any::<bool>(), 0u32..40), 0..300), bad_hash in any::<bool>()) {
            let hash_of = |key: u32| if bad_hash { key % 4 + 13 } else { hash_word(7, key) };
            let mut table = HashTable::with_capacity(20);
            let mut model = BTreeSet::new();
            for (insert, key) in ops {
                let found = table.find(hash_of(key), |value| value == key);
                prop_assert_eq!(found.is_some(), model.contains(&key));
                if insert && found.is_none() {
                    let accepted = table.insert(hash_of(key), key);
                    prop_assert_eq!(accepted, model.len() < 32);
                    if accepted { model.insert(key); }
                } else if !insert {
                    if let Some((position, _)) = found {
                        prop_assert_eq!(table.position_of(hash_of(key), key), Some(position));
                        table.remove_at(position);
                        model.remove(&key);
                    }
                }
                let mut values = table.audit().unwrap();
                values.sort_unstable();
                prop_assert_eq!(values, model.iter().copied().collect::<Vec<_>>());
            }
        }
    }

    fn hash_word(key: u64, word: u32) -> u32 {
        let mut hasher = HalfSip13::new(key);
        hasher.write_u32(word);
        hasher.finish()
    }

    #[test]
    fn the_key_changes_the_hash() {
        assert_ne!(hash_word(1, 3), hash_word(2, 3));
        assert_ne!(hash_word(1, 3), hash_word(1, 4));
    }
}
