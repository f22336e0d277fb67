//! The persistent-page journal: the on-frame format that lets private
//! persistent pools outlive the tmem server. It lives in memory the kernel
//! keeps across a restart of the server (a frame the description also gives
//! a keeper partition); the restarted server reads it back with
//! [`Journal::open`] and puts every page it names into a fresh store.
//!
//! # Format
//! The memory is `R` record pages followed by `D` data slots of one page
//! each, `R = ceil(D / 64)`. Record `i` (64 bytes, at byte `64 i`) describes
//! slot `i`:
//!
//! ```text
//! bytes  0..8   generation u64, little-endian (never 0 in a record)
//!        8      kind: 1 pool, 2 page      9..12  zero
//!        12..16 client u32                16..40 object id, 3 x u64
//!        40..44 page index u32            44..48 local pool id u32
//!        48..56 check: two HalfSipHash-2-4 of bytes 0..48, one per key
//!               of FORMAT_KEYS            56..64 zero
//! ```
//! An all-zero record is empty.
//!
//! A pool record (kind 1) says a private persistent pool is open; its slot's
//! data is unused. A page record (kind 2) says slot `i` holds the page
//! stored under (client, pool, object, index).
//!
//! # Why a kill at any instruction loses nothing acknowledged
//! - Data is written only into a slot whose record is all zero, and a record
//!   is written only after its slot's data: a record that checks names
//!   complete data.
//! - A record is valid only if its check matches and its generation is not
//!   0. A torn record write (the server stopped mid-way) mixes new bytes with
//!   zeros, which does not check (but with chance 2^-64), so it is dropped —
//!   and it was never acknowledged, because the server replies after
//!   [`Journal::commit_page`] returns.
//! - A replaced page's old record is cleared only after the new one is
//!   complete; if both survive, recovery keeps the higher generation.
//! - Clearing writes the whole record with zeros, generation first, so no
//!   old record can come back, and [`Journal::open`] zeroes every record it
//!   does not keep.
//!
//! This module must never write a slot that a valid record names, never
//! clear a record before its replacement is complete, and never trust a
//! record it reads without its check: memory left by a killed server is
//! input, not state.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::frames::{Page, PAGE_SIZE};
use crate::halfsiphash::HalfSipHasher;
use crate::handle::{ClientId, ObjectId, PoolId};

/// Bytes per record.
pub const RECORD_SIZE: usize = 64;
/// Records per record page.
pub const RECORDS_PER_PAGE: u32 = (PAGE_SIZE / RECORD_SIZE) as u32;
/// Keys of the record check; changing the format changes them, so an old
/// format's records never check.
const FORMAT_KEYS: [u64; 2] = [0x746d_656d_6a72_6e31, 0x6a6f_7572_6e61_6c31];
/// Bytes of a record the check covers.
const CHECKED: usize = 48;

/// The memory the journal lives in: `pages()` pages, read in place and
/// written only through [`JournalMemory::write`] (so a test can stop the
/// writes at any byte, as a kill would).
pub trait JournalMemory {
    /// How many pages.
    fn pages(&self) -> u32;
    /// Page `n` (below `pages()`).
    fn page(&self, n: u32) -> &Page;
    /// Writes `bytes` at `offset` in page `n`, in increasing address order.
    fn write(&mut self, n: u32, offset: usize, bytes: &[u8]);
}

/// What a record names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Entry {
    /// A private persistent pool is open.
    Pool,
    /// A page of that pool.
    Page {
        /// Object id within the pool.
        object: ObjectId,
        /// Page index within the object.
        index: u32,
    },
}

/// What a record is about: a client's pool, and a page in it or the pool
/// itself. Ordered so one pool's records, and one object's, are adjacent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    /// The client.
    pub client: ClientId,
    /// Its local pool id.
    pub pool: PoolId,
    /// The pool itself or one of its pages.
    pub entry: Entry,
}

/// Why the journal refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JournalError {
    /// Every slot is taken.
    Full,
    /// The memory is too small for one record page and one slot.
    TooSmall,
}

/// What [`Journal::open`] found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Valid records kept (pools and pages).
    pub kept: u32,
    /// Non-empty records that did not check (torn writes): dropped.
    pub torn: u32,
    /// Valid records superseded by a newer one for the same key: dropped.
    pub superseded: u32,
}

/// A slot filled by [`Journal::stage`], not yet named by a record.
#[derive(Debug, PartialEq, Eq)]
#[must_use = "commit or abandon a staged slot"]
pub struct Staged(u32);

/// The journal over its memory, with an index from key to slot.
pub struct Journal<M: JournalMemory> {
    memory: M,
    record_pages: u32,
    slots: u32,
    /// Slots no record names (and not staged), popped from the end.
    free: Vec<u32>,
    index: BTreeMap<Key, u32>,
    next_generation: u64,
}

/// A decoded record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Record {
    generation: u64,
    key: Key,
}

const KIND_POOL: u8 = 1;
const KIND_PAGE: u8 = 2;

impl Record {
    fn encode(&self) -> [u8; RECORD_SIZE] {
        let mut bytes = [0u8; RECORD_SIZE];
        bytes[0..8].copy_from_slice(&self.generation.to_le_bytes());
        let (kind, object, index) = match self.key.entry {
            Entry::Pool => (KIND_POOL, ObjectId([0; 3]), 0),
            Entry::Page { object, index } => (KIND_PAGE, object, index),
        };
        bytes[8] = kind;
        bytes[12..16].copy_from_slice(&self.key.client.0.to_le_bytes());
        for (i, word) in object.0.iter().enumerate() {
            bytes[16 + 8 * i..24 + 8 * i].copy_from_slice(&word.to_le_bytes());
        }
        bytes[40..44].copy_from_slice(&index.to_le_bytes());
        bytes[44..48].copy_from_slice(&self.key.pool.0.to_le_bytes());
        let sum = check(&bytes[..CHECKED]);
        bytes[48..56].copy_from_slice(&sum.to_le_bytes());
        bytes
    }

    /// The record in `bytes`: `Ok(None)` if empty (all zero), `Err` if it
    /// does not check or names nothing.
    fn decode(bytes: &[u8]) -> Result<Option<Record>, ()> {
        if bytes.iter().all(|&b| b == 0) {
            return Ok(None);
        }
        let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
        let zeros = bytes[9..12].iter().chain(&bytes[56..]).all(|&b| b == 0);
        if !zeros || u64_at(48) != check(&bytes[..CHECKED]) || u64_at(0) == 0 {
            return Err(());
        }
        let object = ObjectId([u64_at(16), u64_at(24), u64_at(32)]);
        let index = u32_at(40);
        let entry = match bytes[8] {
            KIND_POOL if object == ObjectId([0; 3]) && index == 0 => Entry::Pool,
            KIND_PAGE => Entry::Page { object, index },
            _ => return Err(()),
        };
        Ok(Some(Record {
            generation: u64_at(0),
            key: Key {
                client: ClientId(u32_at(12)),
                pool: PoolId(u32_at(44)),
                entry,
            },
        }))
    }
}

/// The 64-bit check of a record's first [`CHECKED`] bytes.
fn check(bytes: &[u8]) -> u64 {
    let [low, high] =
        FORMAT_KEYS.map(|key| u64::from(HalfSipHasher::<2, 4>::hash_bytes(key, bytes)));
    high << 32 | low
}

/// Record pages for a memory of `pages` pages: the fewest that describe
/// the slots left.
fn record_pages_for(pages: u32) -> u32 {
    pages.div_ceil(RECORDS_PER_PAGE + 1)
}

impl<M: JournalMemory> Journal<M> {
    /// Reads the journal in `memory` (all zero: an empty journal): keeps
    /// every valid record, the newest of each key; drops and zeroes torn and
    /// superseded ones. Nothing else is written.
    pub fn open(memory: M) -> Result<(Journal<M>, Recovery), JournalError> {
        let record_pages = record_pages_for(memory.pages());
        let slots = memory.pages().saturating_sub(record_pages);
        if record_pages == 0 || slots == 0 {
            return Err(JournalError::TooSmall);
        }
        let mut recovery = Recovery::default();
        let mut index: BTreeMap<Key, u32> = BTreeMap::new();
        let mut generations: Vec<u64> = alloc::vec![0; slots as usize];
        let mut drop = Vec::new();
        for slot in 0..slots {
            match Record::decode(record_bytes(&memory, slot)) {
                Ok(None) => {}
                Err(()) => {
                    recovery.torn += 1;
                    drop.push(slot);
                }
                Ok(Some(record)) => {
                    generations[slot as usize] = record.generation;
                    match index.get(&record.key) {
                        Some(&other) if generations[other as usize] > record.generation => {
                            drop.push(slot);
                        }
                        Some(&other) => {
                            drop.push(other);
                            index.insert(record.key, slot);
                        }
                        None => {
                            index.insert(record.key, slot);
                        }
                    }
                }
            }
        }
        recovery.superseded = drop.len() as u32 - recovery.torn;
        recovery.kept = index.len() as u32;
        let next_generation = generations.iter().max().map_or(1, |g| g + 1);
        let mut journal = Journal {
            memory,
            record_pages,
            slots,
            free: Vec::new(),
            index,
            next_generation,
        };
        for slot in drop {
            journal.clear(slot);
        }
        let mut named = alloc::vec![false; slots as usize];
        for &slot in journal.index.values() {
            named[slot as usize] = true;
        }
        // Low slots are used first.
        journal.free = (0..slots).rev().filter(|&s| !named[s as usize]).collect();
        Ok((journal, recovery))
    }

    /// The memory, for its owner.
    pub fn memory(&self) -> &M {
        &self.memory
    }

    /// The memory, given back (what a killed server leaves).
    pub fn into_memory(self) -> M {
        self.memory
    }

    /// How many data slots the memory holds.
    pub fn slots(&self) -> u32 {
        self.slots
    }

    /// How many slots are free.
    pub fn free_slots(&self) -> u32 {
        self.free.len() as u32
    }

    /// Every kept record's key, pools before their pages.
    pub fn keys(&self) -> impl Iterator<Item = Key> + '_ {
        self.index.keys().copied()
    }

    /// The page stored under `key`, if a page record names one.
    pub fn page(&self, key: &Key) -> Option<&Page> {
        let slot = *self.index.get(key)?;
        matches!(key.entry, Entry::Page { .. }).then(|| self.slot_page(slot))
    }

    /// Whether `key` has a record.
    pub fn contains(&self, key: &Key) -> bool {
        self.index.contains_key(key)
    }

    /// Copies `page` into a free slot; nothing names it until
    /// [`Journal::commit_page`].
    pub fn stage(&mut self, page: &Page) -> Result<Staged, JournalError> {
        let slot = self.free.pop().ok_or(JournalError::Full)?;
        self.memory.write(self.record_pages + slot, 0, page);
        Ok(Staged(slot))
    }

    /// The page a staged slot holds.
    pub fn staged(&self, staged: &Staged) -> &Page {
        self.slot_page(staged.0)
    }

    /// Gives a staged slot back unused.
    pub fn abandon(&mut self, staged: Staged) {
        self.free.push(staged.0);
    }

    /// Names the staged page `key`'s (a page key; a pool key is a bug and
    /// is treated as [`Journal::abandon`]): writes its record, then clears
    /// the record of the page it replaces. Once this returns the page
    /// survives a kill.
    pub fn commit_page(&mut self, staged: Staged, key: Key) {
        if key.entry == Entry::Pool {
            return self.abandon(staged);
        }
        self.commit(staged.0, key);
    }

    /// Records that `client`'s private persistent pool `pool` is open
    /// (it takes a slot). Already recorded: nothing to do.
    pub fn open_pool(&mut self, client: ClientId, pool: PoolId) -> Result<(), JournalError> {
        let key = Key {
            client,
            pool,
            entry: Entry::Pool,
        };
        if self.index.contains_key(&key) {
            return Ok(());
        }
        let slot = self.free.pop().ok_or(JournalError::Full)?;
        self.commit(slot, key);
        Ok(())
    }

    /// Forgets the page or pool under `key` (a pool's pages stay: see
    /// [`Journal::destroy_pool`]); returns whether there was one.
    pub fn remove(&mut self, key: &Key) -> bool {
        match self.index.remove(key) {
            Some(slot) => {
                self.clear(slot);
                self.free.push(slot);
                true
            }
            None => false,
        }
    }

    /// Forgets every page of `object` in `client`'s `pool`.
    pub fn flush_object(&mut self, client: ClientId, pool: PoolId, object: ObjectId) -> u32 {
        let at = |index| Key {
            client,
            pool,
            entry: Entry::Page { object, index },
        };
        self.remove_range(at(0), at(u32::MAX))
    }

    /// Forgets `client`'s `pool`: its pages first, then the pool record.
    pub fn destroy_pool(&mut self, client: ClientId, pool: PoolId) -> u32 {
        let first = Key {
            client,
            pool,
            entry: Entry::Page {
                object: ObjectId([0; 3]),
                index: 0,
            },
        };
        let last = Key {
            client,
            pool,
            entry: Entry::Page {
                object: ObjectId([u64::MAX; 3]),
                index: u32::MAX,
            },
        };
        let pages = self.remove_range(first, last);
        self.remove(&Key {
            client,
            pool,
            entry: Entry::Pool,
        });
        pages
    }

    fn remove_range(&mut self, first: Key, last: Key) -> u32 {
        let keys: Vec<Key> = self.index.range(first..=last).map(|(k, _)| *k).collect();
        for key in &keys {
            self.remove(key);
        }
        keys.len() as u32
    }

    fn commit(&mut self, slot: u32, key: Key) {
        let record = Record {
            generation: self.next_generation,
            key,
        };
        self.next_generation += 1;
        let (page, offset) = self.record_at(slot);
        self.memory.write(page, offset, &record.encode());
        if let Some(old) = self.index.insert(key, slot) {
            self.clear(old);
            self.free.push(old);
        }
    }

    /// Zeroes record `slot`, generation first.
    fn clear(&mut self, slot: u32) {
        let (page, offset) = self.record_at(slot);
        self.memory.write(page, offset, &[0; RECORD_SIZE]);
    }

    fn record_at(&self, slot: u32) -> (u32, usize) {
        (
            slot / RECORDS_PER_PAGE,
            (slot % RECORDS_PER_PAGE) as usize * RECORD_SIZE,
        )
    }

    fn slot_page(&self, slot: u32) -> &Page {
        self.memory.page(self.record_pages + slot)
    }
}

fn record_bytes<M: JournalMemory>(memory: &M, slot: u32) -> &[u8] {
    let page = memory.page(slot / RECORDS_PER_PAGE);
    let at = (slot % RECORDS_PER_PAGE) as usize * RECORD_SIZE;
    &page[at..at + RECORD_SIZE]
}

impl<M: JournalMemory + ?Sized> JournalMemory for alloc::boxed::Box<M> {
    fn pages(&self) -> u32 {
        (**self).pages()
    }
    fn page(&self, n: u32) -> &Page {
        (**self).page(n)
    }
    fn write(&mut self, n: u32, offset: usize, bytes: &[u8]) {
        (**self).write(n, offset, bytes)
    }
}

/// Journal memory on the heap, for tests and host tools.
pub struct VecMemory(pub Vec<Page>);

impl JournalMemory for VecMemory {
    fn pages(&self) -> u32 {
        self.0.len() as u32
    }
    fn page(&self, n: u32) -> &Page {
        &self.0[n as usize]
    }
    fn write(&mut self, n: u32, offset: usize, bytes: &[u8]) {
        self.0[n as usize][offset..offset + bytes.len()].copy_from_slice(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(client: u32, pool: u32, object: u64, index: u32) -> Key {
        Key {
            client: ClientId(client),
            pool: PoolId(pool),
            entry: Entry::Page {
                object: ObjectId([object, 0, 0]),
                index,
            },
        }
    }

    #[test]
    fn records_round_trip_and_any_changed_byte_fails_the_check() {
        let record = Record {
            generation: 7,
            key: key(3, 2, 0x1234, 9),
        };
        let bytes = record.encode();
        assert_eq!(Record::decode(&bytes), Ok(Some(record)));
        for at in 0..RECORD_SIZE {
            let mut torn = bytes;
            torn[at] ^= 1;
            assert_eq!(Record::decode(&torn), Err(()), "byte {at}");
        }
        assert_eq!(Record::decode(&[0; RECORD_SIZE]), Ok(None));
    }

    #[test]
    fn layout_leaves_a_record_for_every_slot() {
        for pages in 2..400 {
            let records = record_pages_for(pages);
            assert!(records * RECORDS_PER_PAGE >= pages - records, "{pages}");
            assert!((records - 1) * RECORDS_PER_PAGE < pages - records + 1);
        }
        let memory = VecMemory(alloc::vec![[0; PAGE_SIZE]; 1]);
        assert!(matches!(Journal::open(memory), Err(JournalError::TooSmall)));
    }
}
