//! A bounded arena with a free list, used for every kind of store metadata.
//!
//! The whole capacity is reserved when the arena is built; inserting never
//! reallocates and never grows past that capacity (it reports "full"
//! instead). An arena must never hand out an index that is already occupied.

use alloc::vec::Vec;

/// Index value meaning "no entry" in every intrusive link of the crate.
pub(crate) const NIL: u32 = u32::MAX;

enum Entry<T> {
    Occupied(T),
    Vacant { next_free: u32 },
}

/// Fixed-capacity arena addressed by `u32` indices.
pub(crate) struct Slab<T> {
    entries: Vec<Entry<T>>,
    free_head: u32,
    len: u32,
    capacity: u32,
}

impl<T> Slab<T> {
    /// Reserves room for `capacity` entries (capped below [`NIL`]).
    pub(crate) fn with_capacity(capacity: u32) -> Self {
        let capacity = capacity.min(NIL - 1);
        Self {
            entries: Vec::with_capacity(capacity as usize),
            free_head: NIL,
            len: 0,
            capacity,
        }
    }

    pub(crate) fn len(&self) -> u32 {
        self.len
    }

    pub(crate) fn capacity(&self) -> u32 {
        self.capacity
    }

    pub(crate) fn is_full(&self) -> bool {
        self.len >= self.capacity
    }

    /// Stores `value` and returns its index, or gives it back when full.
    pub(crate) fn insert(&mut self, value: T) -> Result<u32, T> {
        if self.free_head != NIL {
            let index = self.free_head;
            let slot = &mut self.entries[index as usize];
            if let Entry::Vacant { next_free } = *slot {
                self.free_head = next_free;
                *slot = Entry::Occupied(value);
                self.len += 1;
                return Ok(index);
            }
            // The free list only ever links vacant entries.
            debug_assert!(false, "slab free list points at an occupied entry");
            return Err(value);
        }
        if (self.entries.len() as u32) < self.capacity {
            let index = self.entries.len() as u32;
            self.entries.push(Entry::Occupied(value));
            self.len += 1;
            return Ok(index);
        }
        Err(value)
    }

    /// Removes and returns the entry at `index`, if occupied.
    pub(crate) fn remove(&mut self, index: u32) -> Option<T> {
        let slot = self.entries.get_mut(index as usize)?;
        if matches!(slot, Entry::Vacant { .. }) {
            return None;
        }
        let old = core::mem::replace(
            slot,
            Entry::Vacant {
                next_free: self.free_head,
            },
        );
        self.free_head = index;
        self.len -= 1;
        match old {
            Entry::Occupied(value) => Some(value),
            Entry::Vacant { .. } => None,
        }
    }

    pub(crate) fn get(&self, index: u32) -> Option<&T> {
        match self.entries.get(index as usize)? {
            Entry::Occupied(value) => Some(value),
            Entry::Vacant { .. } => None,
        }
    }

    pub(crate) fn get_mut(&mut self, index: u32) -> Option<&mut T> {
        match self.entries.get_mut(index as usize)? {
            Entry::Occupied(value) => Some(value),
            Entry::Vacant { .. } => None,
        }
    }

    /// Occupied entries with their indices, in index order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, &T)> {
        self.entries
            .iter()
            .enumerate()
            .filter_map(|(index, entry)| match entry {
                Entry::Occupied(value) => Some((index as u32, value)),
                Entry::Vacant { .. } => None,
            })
    }
}

impl<T> core::ops::Index<u32> for Slab<T> {
    type Output = T;

    /// Internal use only: callers hold indices they inserted themselves.
    fn index(&self, index: u32) -> &T {
        match self.get(index) {
            Some(value) => value,
            None => unreachable!("slab index {index} is vacant"),
        }
    }
}

impl<T> core::ops::IndexMut<u32> for Slab<T> {
    fn index_mut(&mut self, index: u32) -> &mut T {
        match self.get_mut(index) {
            Some(value) => value,
            None => unreachable!("slab index {index} is vacant"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reuses_freed_slots_and_stops_at_capacity() {
        let mut slab = Slab::with_capacity(2);
        let a = slab.insert(1).unwrap();
        let b = slab.insert(2).unwrap();
        assert_eq!(slab.insert(3), Err(3));
        assert_eq!(slab.remove(a), Some(1));
        assert_eq!(slab.remove(a), None);
        let c = slab.insert(4).unwrap();
        assert_eq!(c, a);
        assert_eq!(slab[b], 2);
        assert_eq!(slab.len(), 2);
        assert_eq!(slab.iter().count(), 2);
    }
}
