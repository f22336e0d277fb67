//! Save and restore of a client's persistent pages, for migration.
//!
//! Saving walks the client's private persistent pools object by object and
//! yields each page's handle and data; restoring puts pages back under the
//! same pool ids on another store. Shared pools are not migrated (their
//! pages belong to every member). Saving must never change the store: the
//! iterator borrows it immutably.

use crate::error::TmemError;
use crate::frames::{FrameProvider, Page, PAGE_SIZE};
use crate::handle::{ClientId, ObjectId, PoolFlags, PoolId, MAX_POOLS_PER_CLIENT};
use crate::page_record::ContentRef;
use crate::slab::NIL;
use crate::store::Store;

/// One saved persistent page.
#[derive(Clone, PartialEq, Eq)]
pub struct SavedPage {
    /// The client's local pool id.
    pub pool: PoolId,
    /// Object id within the pool.
    pub object: ObjectId,
    /// Page index within the object.
    pub index: u32,
    /// The page's data.
    pub data: Page,
}

impl core::fmt::Debug for SavedPage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SavedPage")
            .field("pool", &self.pool)
            .field("object", &self.object)
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

/// Iterator over a client's persistent pages; see
/// [`Store::persistent_pages`].
pub struct PersistentPages<'a, P: FrameProvider> {
    store: &'a Store<P>,
    client: u16,
    local_pool: usize,
    /// Next record to yield in the current pool; `None` before its first.
    next_record: Option<u32>,
}

impl<P: FrameProvider> PersistentPages<'_, P> {
    /// The record after `record`: next page of its object, else first page
    /// of the pool's next object.
    fn successor(&self, record: u32) -> u32 {
        let page = &self.store.records[record];
        if page.next_in_object != NIL {
            return page.next_in_object;
        }
        let next_object = self.store.objects[page.object_entry].next_in_pool;
        if next_object == NIL {
            NIL
        } else {
            self.store.objects[next_object].first_page
        }
    }
}

impl<P: FrameProvider> Iterator for PersistentPages<'_, P> {
    type Item = Result<SavedPage, TmemError>;

    fn next(&mut self) -> Option<Self::Item> {
        let client = &self.store.clients[usize::from(self.client)];
        while self.local_pool < MAX_POOLS_PER_CLIENT {
            let pool = self
                .store
                .pools
                .get(client.pools[self.local_pool])
                .filter(|pool| pool.flags == PoolFlags::PERSISTENT);
            let record = match (pool, self.next_record) {
                (None, _) => NIL,
                (Some(_), Some(record)) => record,
                (Some(pool), None) if pool.first_object == NIL => NIL,
                (Some(pool), None) => self.store.objects[pool.first_object].first_page,
            };
            if record == NIL {
                self.local_pool += 1;
                self.next_record = None;
                continue;
            }
            self.next_record = Some(self.successor(record));
            let page = self.store.records[record];
            let mut data = [0u8; PAGE_SIZE];
            if let ContentRef::Block(content) = page.content {
                if let Err(error) = self.store.read_content(content, &mut data) {
                    return Some(Err(error));
                }
            }
            return Some(Ok(SavedPage {
                pool: PoolId(self.local_pool as u32),
                object: page.key.object,
                index: page.key.index,
                data,
            }));
        }
        None
    }
}

impl<P: FrameProvider> Store<P> {
    /// Every page in `client`'s private persistent pools, pool by pool,
    /// object by object (in no particular order within a pool).
    ///
    /// ```
    /// use tmem_store::{ClientConfig, ClientId, Config, ObjectId, PoolFlags, PoolUuid, Store, VecFrames};
    ///
    /// let guest = ClientId(1);
    /// let config = || Config::new(64).client(ClientConfig::new(guest));
    /// let mut source = Store::new(config(), VecFrames::new(8)).unwrap();
    /// let swap = source.new_pool(guest, PoolFlags::PERSISTENT, PoolUuid(0)).unwrap();
    /// source.put_page(guest, swap, ObjectId([9, 0, 0]), 0, &[1u8; 4096]).unwrap();
    ///
    /// let mut target = Store::new(config(), VecFrames::new(8)).unwrap();
    /// for saved in source.persistent_pages(guest).unwrap() {
    ///     let saved = saved.unwrap();
    ///     target.restore_page(guest, saved.pool, saved.object, saved.index, &saved.data).unwrap();
    /// }
    /// let mut out = [0u8; 4096];
    /// target.get_page(guest, swap, ObjectId([9, 0, 0]), 0, &mut out).unwrap();
    /// assert_eq!(out, [1u8; 4096]);
    /// ```
    pub fn persistent_pages(&self, client: ClientId) -> Result<PersistentPages<'_, P>, TmemError> {
        let client = self.client_slot(client)?;
        Ok(PersistentPages {
            store: self,
            client,
            local_pool: 0,
            next_record: None,
        })
    }

    /// Opens a private persistent pool for `client` under local id `pool`,
    /// as it was before a migration or a server restart; an id already open
    /// that way is left as it is. Fails with [`TmemError::PoolMismatch`] if
    /// the id is open with other flags, [`TmemError::NoSuchPool`] if it is
    /// out of range.
    pub fn restore_pool(&mut self, client: ClientId, pool: PoolId) -> Result<(), TmemError> {
        let slot = self.client_slot(client)?;
        if usize::try_from(pool.0).map_or(true, |local| local >= MAX_POOLS_PER_CLIENT) {
            return Err(TmemError::NoSuchPool);
        }
        match self.clients[usize::from(slot)].pool_slot(pool) {
            Some(pool_slot) if self.pools[pool_slot].flags != PoolFlags::PERSISTENT => {
                Err(TmemError::PoolMismatch)
            }
            Some(_) => Ok(()),
            None => self
                .open_pool_at(slot, pool, PoolFlags::PERSISTENT, None)
                .map(|_| ()),
        }
    }

    /// Puts a saved page back under the same local pool id, opening a
    /// private persistent pool there if none is open. Fails with
    /// [`TmemError::PoolMismatch`] if the id is open with other flags;
    /// otherwise follows the rules of [`put_page`](Self::put_page).
    pub fn restore_page(
        &mut self,
        client: ClientId,
        pool: PoolId,
        object: ObjectId,
        index: u32,
        page: &Page,
    ) -> Result<(), TmemError> {
        let slot = self.client_slot(client)?;
        let local = usize::try_from(pool.0)
            .ok()
            .filter(|&local| local < MAX_POOLS_PER_CLIENT)
            .ok_or(TmemError::NoSuchPool)?;
        let pool_slot = match self.clients[usize::from(slot)].pool_slot(pool) {
            Some(pool_slot) => {
                if self.pools[pool_slot].flags != PoolFlags::PERSISTENT {
                    return Err(TmemError::PoolMismatch);
                }
                pool_slot
            }
            None => {
                self.open_pool_at(slot, PoolId(local as u32), PoolFlags::PERSISTENT, None)?;
                self.clients[usize::from(slot)].pools[local]
            }
        };
        self.put_into(slot, pool_slot, object, index, page)
    }
}
