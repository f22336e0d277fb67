//! Objects: the pages of one (pool, object id), for flush-object,
//! destroy-pool and migration.
//!
//! Each object with at least one page has an entry, found through a hash
//! table on (pool, object id), holding a doubly linked list of its page
//! records; each pool has a doubly linked list of its objects. So
//! `flush_object` and `destroy_pool` cost O(1) per page removed, and adding
//! or removing one page is O(1) expected. An entry must never outlive its
//! last page, and never sit on the list of a pool it does not belong to.

use crate::frames::FrameProvider;
use crate::halfsiphash::HalfSip13;
use crate::handle::ObjectId;
use crate::slab::NIL;
use crate::store::Store;

/// One object with stored pages.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ObjectEntry {
    pub(crate) pool: u32,
    pub(crate) object: ObjectId,
    /// The hash of (pool, object) the object table holds it under.
    pub(crate) hash: u32,
    pub(crate) first_page: u32,
    pub(crate) pages: u32,
    pub(crate) prev_in_pool: u32,
    pub(crate) next_in_pool: u32,
}

/// The hasher that has absorbed (`pool`, `object`) under the index `key`:
/// finished, the object's hash; continued with a page index, the handle's.
pub(crate) fn object_hasher(key: u64, pool: u32, object: ObjectId) -> HalfSip13 {
    let mut hasher = HalfSip13::new(key);
    hasher.write_u32(pool);
    for word in object.0 {
        hasher.write_u64(word);
    }
    hasher
}

impl<P: FrameProvider> Store<P> {
    pub(crate) fn object_hash(&self, pool: u32, object: ObjectId) -> u32 {
        object_hasher(self.index_seed, pool, object).finish()
    }

    /// The entry of (`pool`, `object`): (table position, entry index).
    pub(crate) fn find_object(&self, pool: u32, object: ObjectId) -> Option<(u32, u32)> {
        self.find_object_hashed(pool, object, self.object_hash(pool, object))
    }

    /// [`Self::find_object`] with the hash already computed.
    pub(crate) fn find_object_hashed(
        &self,
        pool: u32,
        object: ObjectId,
        hash: u32,
    ) -> Option<(u32, u32)> {
        let objects = &self.objects;
        self.object_table.find(hash, |entry| {
            let entry = &objects[entry];
            entry.pool == pool && entry.object == object
        })
    }

    /// Links page record `record` into its object, creating the object entry
    /// if needed; `object_hash` is the hash of the record's (pool, object).
    /// Room was checked by the caller (objects <= records).
    pub(crate) fn link_page(&mut self, record: u32, object_hash: u32) -> bool {
        let key = self.records[record].key;
        let entry = match self.find_object_hashed(key.pool, key.object, object_hash) {
            Some((_, entry)) => entry,
            None => {
                let Some(pool) = self.pools.get(key.pool) else {
                    return false;
                };
                let first_object = pool.first_object;
                let Ok(entry) = self.objects.insert(ObjectEntry {
                    pool: key.pool,
                    object: key.object,
                    hash: object_hash,
                    first_page: NIL,
                    pages: 0,
                    prev_in_pool: NIL,
                    next_in_pool: first_object,
                }) else {
                    return false;
                };
                if !self.object_table.insert(object_hash, entry) {
                    self.objects.remove(entry);
                    return false;
                }
                if first_object != NIL {
                    self.objects[first_object].prev_in_pool = entry;
                }
                self.pools[key.pool].first_object = entry;
                entry
            }
        };
        let first_page = self.objects[entry].first_page;
        let page = &mut self.records[record];
        page.object_entry = entry;
        page.prev_in_object = NIL;
        page.next_in_object = first_page;
        if first_page != NIL {
            self.records[first_page].prev_in_object = record;
        }
        let object = &mut self.objects[entry];
        object.first_page = record;
        object.pages += 1;
        true
    }

    /// Unlinks page record `record` from its object, dropping the object
    /// entry with its last page.
    pub(crate) fn unlink_page(&mut self, record: u32) {
        let page = self.records[record];
        let entry = page.object_entry;
        if page.prev_in_object != NIL {
            self.records[page.prev_in_object].next_in_object = page.next_in_object;
        } else {
            self.objects[entry].first_page = page.next_in_object;
        }
        if page.next_in_object != NIL {
            self.records[page.next_in_object].prev_in_object = page.prev_in_object;
        }
        let object = &mut self.objects[entry];
        object.pages -= 1;
        if object.pages > 0 {
            return;
        }
        let object = *object;
        if object.prev_in_pool != NIL {
            self.objects[object.prev_in_pool].next_in_pool = object.next_in_pool;
        } else if let Some(pool) = self.pools.get_mut(object.pool) {
            pool.first_object = object.next_in_pool;
        }
        if object.next_in_pool != NIL {
            self.objects[object.next_in_pool].prev_in_pool = object.prev_in_pool;
        }
        if let Some(position) = self.object_table.position_of(object.hash, entry) {
            self.object_table.remove_at(position);
        }
        self.objects.remove(entry);
    }
}
