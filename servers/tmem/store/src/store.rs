//! The store: pools of pages with tmem v1 semantics over a set of frames.
//!
//! This module holds the [`Store`] type and the guest operations
//! (`new_pool`, `destroy_pool`, `put_page`, `get_page`, `flush_page`,
//! `flush_object`). It must never panic on any argument, never allocate on
//! the put path beyond what was reserved in [`Store::new`], and never let a
//! failed put leave an older copy of the page readable.

use crate::client::ClientState;
use crate::compress::Compressor;
use crate::config::Config;
use crate::content::ContentBlock;
use crate::dedup::DedupKey;
use crate::error::{ConfigError, TmemError};
use crate::fairness::{choose_victim, Share};
use crate::frame_table::{FrameNeed, FrameTable};
use crate::frames::{FrameId, FrameProvider, Page, PAGE_SIZE};
use crate::handle::{ClientId, ObjectId, PoolFlags, PoolId, PoolUuid, MAX_POOLS_PER_CLIENT};
use crate::hash_table::HashTable;
use crate::index::OrderedIndex;
use crate::lru::LruLists;
use crate::object::ObjectEntry;
use crate::page_record::{ContentRef, HandleKey, KeyHashes, PageRecord};
use crate::pool::PoolState;
use crate::slab::{Slab, NIL};
use crate::stats::{Counter, OpStats};
use crate::traffic::Traffic;
use alloc::boxed::Box;
use alloc::vec::Vec;
use core::cell::Cell;

/// A transcendent-memory page store.
///
/// All guest operations take the caller's [`ClientId`] (from the IPC badge)
/// and the client's local [`PoolId`]. See the [crate documentation](crate)
/// for the semantics and the invariants.
///
/// ```
/// use tmem_store::{ClientConfig, ClientId, Config, ObjectId, PoolFlags, PoolUuid, Store, TmemError, VecFrames};
///
/// let guest = ClientId(7);
/// let config = Config::new(1024).client(ClientConfig::new(guest).persistent_cap(100));
/// let mut store = Store::new(config, VecFrames::new(64)).unwrap();
///
/// // A swap-like pool: an accepted put is returned until flushed.
/// let swap = store.new_pool(guest, PoolFlags::PERSISTENT, PoolUuid(0)).unwrap();
/// let page = [0x5au8; 4096];
/// store.put_page(guest, swap, ObjectId([1, 0, 0]), 3, &page).unwrap();
///
/// let mut out = [0u8; 4096];
/// store.get_page(guest, swap, ObjectId([1, 0, 0]), 3, &mut out).unwrap();
/// assert_eq!(out, page);
///
/// store.flush_page(guest, swap, ObjectId([1, 0, 0]), 3).unwrap();
/// assert_eq!(store.get_page(guest, swap, ObjectId([1, 0, 0]), 3, &mut out), Err(TmemError::NotFound));
/// assert_eq!(store.get_page(ClientId(8), swap, ObjectId([1, 0, 0]), 3, &mut out), Err(TmemError::UnknownClient));
/// ```
pub struct Store<P: FrameProvider> {
    pub(crate) provider: P,
    pub(crate) frames: FrameTable,
    pub(crate) records: Slab<PageRecord>,
    /// Handle -> page record.
    pub(crate) handles: HashTable,
    pub(crate) objects: Slab<ObjectEntry>,
    /// (pool, object id) -> object entry.
    pub(crate) object_table: HashTable,
    /// The HalfSipHash key of both tables ([`Config::index_seed`]).
    pub(crate) index_seed: u64,
    pub(crate) contents: Slab<ContentBlock>,
    pub(crate) dedup: OrderedIndex<DedupKey>,
    pub(crate) lru: LruLists,
    pub(crate) clients: Vec<ClientState>,
    /// (client id, client slot), sorted by id.
    pub(crate) client_lookup: Vec<(ClientId, u16)>,
    pub(crate) pools: Slab<PoolState>,
    /// (uuid, client slot) pairs allowed to join shared pools, sorted.
    pub(crate) grants: Vec<(PoolUuid, u16)>,
    pub(crate) stats: OpStats,
    pub(crate) compressor: Compressor,
    pub(crate) scratch: Box<Page>,
    pub(crate) shares_scratch: Vec<Share>,
    pub(crate) zero_pages: u64,
    pub(crate) ephemeral_pages: u64,
    pub(crate) persistent_pages: u64,
    /// Pages whose content block has two or more references.
    pub(crate) shared_pages: u64,
    /// Page-content bytes moved so far.
    pub(crate) traffic: Cell<Traffic>,
}

/// Content prepared for a put before room is made for it.
#[derive(Clone, Copy)]
enum Prepared {
    Zero,
    /// Identical content found; a reference is already held.
    Existing(u32),
    New {
        need: FrameNeed,
        compressed_len: Option<usize>,
        hash: u64,
    },
}

impl<P: FrameProvider> Store<P> {
    /// Builds a store over all frames of `provider`, reserving every
    /// metadata table for `config.max_pages` pages.
    pub fn new(config: Config, provider: P) -> Result<Self, ConfigError> {
        if config.clients.len() >= usize::from(u16::MAX) {
            return Err(ConfigError::TooManyClients);
        }
        if config.max_pages == 0 || config.max_pages >= NIL - 1 {
            return Err(ConfigError::BadMaxPages);
        }
        let frame_count = provider.frame_count();
        if frame_count >= NIL / 8 {
            return Err(ConfigError::TooManyFrames);
        }
        let mut client_lookup: Vec<(ClientId, u16)> = config
            .clients
            .iter()
            .enumerate()
            .map(|(slot, client)| (client.id, slot as u16))
            .collect();
        client_lookup.sort_unstable();
        if client_lookup.windows(2).any(|pair| pair[0].0 == pair[1].0) {
            return Err(ConfigError::DuplicateClient);
        }
        let mut grants = Vec::new();
        for grant in &config.shared_pools {
            for id in &grant.clients {
                let slot = client_lookup
                    .binary_search_by_key(id, |&(id, _)| id)
                    .map_err(|_| ConfigError::GrantForUnknownClient)?;
                grants.push((grant.uuid, client_lookup[slot].1));
            }
        }
        grants.sort_unstable();
        grants.dedup();
        let max_contents = config.max_pages.min(frame_count.saturating_mul(8));
        let clients: Vec<ClientState> = config.clients.iter().map(ClientState::new).collect();
        let pool_capacity = (clients.len() * MAX_POOLS_PER_CLIENT) as u32;
        let frames = FrameTable::new(frame_count, |id| provider.present_at_start(FrameId(id)));
        Ok(Self {
            provider,
            frames,
            records: Slab::with_capacity(config.max_pages),
            handles: HashTable::with_capacity(config.max_pages),
            objects: Slab::with_capacity(config.max_pages),
            object_table: HashTable::with_capacity(config.max_pages),
            index_seed: config.index_seed,
            contents: Slab::with_capacity(max_contents),
            dedup: OrderedIndex::with_capacity(max_contents),
            lru: LruLists::new(config.max_pages, clients.len()),
            shares_scratch: Vec::with_capacity(clients.len()),
            clients,
            client_lookup,
            pools: Slab::with_capacity(pool_capacity),
            grants,
            stats: OpStats::default(),
            compressor: Compressor::new(),
            scratch: Box::new([0u8; PAGE_SIZE]),
            zero_pages: 0,
            ephemeral_pages: 0,
            persistent_pages: 0,
            shared_pages: 0,
            traffic: Cell::new(Traffic::NONE),
        })
    }

    /// Bytes of page contents read and written so far: copies in and out
    /// of frames (as the provider reports them), zero checks, content
    /// hashes and compares, compression and decompression.
    pub fn traffic(&self) -> Traffic {
        self.traffic.get()
    }

    /// Counts page-content bytes moved.
    pub(crate) fn moved(&self, traffic: Traffic) {
        self.traffic.set(self.traffic.get() + traffic);
    }

    /// The frame provider (e.g. to inspect frames in tests).
    pub fn provider(&self) -> &P {
        &self.provider
    }

    /// Ends the store and gives the frames back.
    pub fn into_provider(self) -> P {
        self.provider
    }

    pub(crate) fn client_slot(&self, client: ClientId) -> Result<u16, TmemError> {
        self.client_lookup
            .binary_search_by_key(&client, |&(id, _)| id)
            .map(|position| self.client_lookup[position].1)
            .map_err(|_| TmemError::UnknownClient)
    }

    fn pool_slot(&self, client: u16, pool: PoolId) -> Result<u32, TmemError> {
        self.clients[usize::from(client)]
            .pool_slot(pool)
            .ok_or(TmemError::NoSuchPool)
    }

    pub(crate) fn handle_hash(&self, key: &HandleKey) -> u32 {
        key.hash(self.index_seed)
    }

    /// The record stored under `key`: (table position, record index).
    pub(crate) fn find_record(&self, key: &HandleKey) -> Option<(u32, u32)> {
        self.find_record_hashed(key, self.handle_hash(key))
    }

    /// [`Self::find_record`] with `key`'s hash already computed: each guest
    /// operation hashes its handle once and passes the hash along.
    pub(crate) fn find_record_hashed(&self, key: &HandleKey, hash: u32) -> Option<(u32, u32)> {
        let records = &self.records;
        self.handles
            .find(hash, |record| records[record].key == *key)
    }

    pub(crate) fn count(&mut self, client: u16, pool: u32, counter: Counter) {
        self.stats.bump(counter);
        self.clients[usize::from(client)].stats.bump(counter);
        if let Some(pool) = self.pools.get_mut(pool) {
            pool.stats.bump(counter);
        }
    }

    fn is_authorized(&self, uuid: PoolUuid, client: u16) -> bool {
        self.grants.binary_search(&(uuid, client)).is_ok()
    }

    /// Opens a pool for `client` and returns its local id.
    ///
    /// `flags` is [`PoolFlags::EPHEMERAL`] or any combination of
    /// [`PoolFlags::PERSISTENT`] and [`PoolFlags::SHARED`]. `uuid` names a
    /// shared pool and is ignored for private pools. Joining a shared pool
    /// that `client` already has open returns the id it is open under.
    ///
    /// Checks, in order: known client, defined flags ([`TmemError::BadFlags`]),
    /// authorisation for `uuid` ([`TmemError::Unauthorized`]), persistence
    /// equal to an existing shared pool of that name (`BadFlags`), a free
    /// local id ([`TmemError::TooManyPools`]).
    pub fn new_pool(
        &mut self,
        client: ClientId,
        flags: PoolFlags,
        uuid: PoolUuid,
    ) -> Result<PoolId, TmemError> {
        let slot = self.client_slot(client)?;
        if !flags.is_valid() {
            return Err(TmemError::BadFlags);
        }
        let state = &self.clients[usize::from(slot)];
        if !flags.is_shared() {
            let local = state.free_pool_id().ok_or(TmemError::TooManyPools)?;
            return self.open_pool_at(slot, local, flags, None);
        }
        if !self.is_authorized(uuid, slot) {
            return Err(TmemError::Unauthorized);
        }
        let existing = self
            .pools
            .iter()
            .find(|(_, pool)| pool.uuid == Some(uuid))
            .map(|(pool_slot, pool)| (pool_slot, pool.flags));
        let Some((pool_slot, existing_flags)) = existing else {
            let local = state.free_pool_id().ok_or(TmemError::TooManyPools)?;
            return self.open_pool_at(slot, local, flags, Some(uuid));
        };
        if existing_flags != flags {
            return Err(TmemError::BadFlags);
        }
        if let Some(local) = state.local_id_of(pool_slot) {
            return Ok(local);
        }
        let local = state.free_pool_id().ok_or(TmemError::TooManyPools)?;
        self.clients[usize::from(slot)].pools[local.0 as usize] = pool_slot;
        self.pools[pool_slot].members += 1;
        Ok(local)
    }

    /// Creates a new pool under local id `local` (which must be free).
    pub(crate) fn open_pool_at(
        &mut self,
        client: u16,
        local: PoolId,
        flags: PoolFlags,
        uuid: Option<PoolUuid>,
    ) -> Result<PoolId, TmemError> {
        let entry = self.clients[usize::from(client)]
            .pools
            .get_mut(local.0 as usize)
            .ok_or(TmemError::NoSuchPool)?;
        // Every pool has a member holding a local id, so the pool arena
        // (16 per client) cannot be full while a local id is free.
        let pool_slot = self
            .pools
            .insert(PoolState::new(flags, uuid))
            .map_err(|_| TmemError::TooManyPools)?;
        *entry = pool_slot;
        Ok(local)
    }

    /// Closes `pool` for `client`. A private pool, or a shared pool whose
    /// last member leaves, is destroyed with all its pages.
    pub fn destroy_pool(&mut self, client: ClientId, pool: PoolId) -> Result<(), TmemError> {
        let slot = self.client_slot(client)?;
        let pool_slot = self.pool_slot(slot, pool)?;
        self.clients[usize::from(slot)].pools[pool.0 as usize] = NIL;
        let state = &mut self.pools[pool_slot];
        state.members -= 1;
        if state.members == 0 {
            self.remove_range(pool_slot, None);
            self.pools.remove(pool_slot);
        }
        Ok(())
    }

    /// Stores a copy of `page` under (`pool`, `object`, `index`).
    ///
    /// A put to an occupied handle replaces the old copy, or, if the new
    /// put fails for any reason, removes it: after an `Err` the handle
    /// reads as a miss. To make room, ephemeral pages are evicted by the
    /// fair-share policy (see the `fairness` module); persistent pages never are.
    ///
    /// Errors: [`TmemError::UnknownClient`], [`TmemError::NoSuchPool`],
    /// [`TmemError::Frozen`], [`TmemError::QuotaExceeded`] (persistent cap),
    /// [`TmemError::NoMemory`] (no frame or metadata even after eviction).
    pub fn put_page(
        &mut self,
        client: ClientId,
        pool: PoolId,
        object: ObjectId,
        index: u32,
        page: &Page,
    ) -> Result<(), TmemError> {
        let slot = self.client_slot(client)?;
        let pool_slot = self.pool_slot(slot, pool)?;
        self.put_into(slot, pool_slot, object, index, page)
    }

    pub(crate) fn put_into(
        &mut self,
        client: u16,
        pool: u32,
        object: ObjectId,
        index: u32,
        page: &Page,
    ) -> Result<(), TmemError> {
        self.count(client, pool, Counter::Puts);
        let key = HandleKey {
            pool,
            object,
            index,
        };
        let hashes = key.hashes(self.index_seed);
        let duplicate = match self.find_record_hashed(&key, hashes.handle) {
            Some((_, record)) => {
                self.remove_record(record);
                true
            }
            None => false,
        };
        match self.store_new_page(client, key, hashes, page) {
            Ok(()) => {
                self.count(client, pool, Counter::GoodPuts);
                if duplicate {
                    self.count(client, pool, Counter::DuplicateReplaced);
                }
                Ok(())
            }
            Err(error) => {
                if duplicate {
                    self.count(client, pool, Counter::DuplicateFlushed);
                }
                Err(error)
            }
        }
    }

    fn store_new_page(
        &mut self,
        client: u16,
        key: HandleKey,
        hashes: KeyHashes,
        page: &Page,
    ) -> Result<(), TmemError> {
        let state = &self.clients[usize::from(client)];
        if state.frozen {
            return Err(TmemError::Frozen);
        }
        let persistent = self.pools[key.pool].is_persistent();
        if persistent && state.persistent_pages >= u64::from(state.persistent_cap) {
            return Err(TmemError::QuotaExceeded);
        }
        let prepared = self.prepare_content(client, page);
        while !self.has_room_for(&prepared) {
            if !self.evict_one(Some(client)) {
                if let Prepared::Existing(content) = prepared {
                    self.release_content(content);
                }
                return Err(TmemError::NoMemory);
            }
        }
        let content = match prepared {
            Prepared::Zero => ContentRef::Zero,
            Prepared::Existing(content) => ContentRef::Block(content),
            Prepared::New {
                need,
                compressed_len,
                hash,
            } => match self.write_content(client, page, need, compressed_len, hash) {
                Some(content) => ContentRef::Block(content),
                None => return Err(TmemError::NoMemory),
            },
        };
        let record = PageRecord {
            key,
            hash: hashes.handle,
            client,
            content,
            persistent,
            object_entry: NIL,
            prev_in_object: NIL,
            next_in_object: NIL,
        };
        let Ok(record_index) = self.records.insert(record) else {
            self.drop_content_ref(content);
            return Err(TmemError::NoMemory);
        };
        if !self.handles.insert(hashes.handle, record_index) {
            self.records.remove(record_index);
            self.drop_content_ref(content);
            return Err(TmemError::NoMemory);
        }
        if !self.link_page(record_index, hashes.object) {
            if let Some(position) = self.handles.position_of(hashes.handle, record_index) {
                self.handles.remove_at(position);
            }
            self.records.remove(record_index);
            self.drop_content_ref(content);
            return Err(TmemError::NoMemory);
        }
        let state = &mut self.clients[usize::from(client)];
        if persistent {
            state.persistent_pages += 1;
            self.persistent_pages += 1;
        } else {
            state.ephemeral_pages += 1;
            self.ephemeral_pages += 1;
            self.lru.push_newest(client, record_index);
        }
        self.pools[key.pool].pages += 1;
        match prepared {
            Prepared::Zero => {
                self.zero_pages += 1;
                self.count(client, key.pool, Counter::ZeroPuts);
            }
            Prepared::Existing(_) => self.count(client, key.pool, Counter::SharedPuts),
            Prepared::New { compressed_len, .. } => {
                if let Some(len) = compressed_len {
                    self.stats.add_compressed(len);
                    self.clients[usize::from(client)].stats.add_compressed(len);
                    self.pools[key.pool].stats.add_compressed(len);
                }
            }
        }
        Ok(())
    }

    fn prepare_content(&mut self, client: u16, page: &Page) -> Prepared {
        let non_zero_end = crate::zero_page::non_zero_end(page);
        self.moved(Traffic::read(non_zero_end.unwrap_or(PAGE_SIZE)));
        if non_zero_end.is_none() {
            return Prepared::Zero;
        }
        let state = &self.clients[usize::from(client)];
        let (domain, compress) = (state.domain, state.compress);
        let hash = match domain {
            Some(domain) => {
                let hash = crate::dedup::content_hash(page);
                self.moved(Traffic::read(PAGE_SIZE));
                if let Some(content) = self.find_identical(domain, hash, page) {
                    self.take_content_ref(content);
                    return Prepared::Existing(content);
                }
                hash
            }
            None => 0,
        };
        let compressed_len = if compress {
            let len = self.compressor.compress(page);
            self.moved(Traffic::read(PAGE_SIZE) + Traffic::written(len.unwrap_or(0)));
            len
        } else {
            None
        };
        let need = match compressed_len.and_then(crate::frame_table::class_for_len) {
            Some(class) => FrameNeed::Slot(class),
            None => FrameNeed::Whole,
        };
        Prepared::New {
            need,
            compressed_len: compressed_len.filter(|_| need != FrameNeed::Whole),
            hash,
        }
    }

    fn has_room_for(&self, prepared: &Prepared) -> bool {
        // Handle and object tables are sized for `records`' capacity, and
        // objects never outnumber pages: a free record means room in all.
        if self.records.is_full() {
            return false;
        }
        match *prepared {
            Prepared::Zero | Prepared::Existing(_) => true,
            Prepared::New { need, .. } => {
                !self.contents.is_full() && !self.dedup.is_full() && self.frames.can_satisfy(need)
            }
        }
    }

    fn drop_content_ref(&mut self, content: ContentRef) {
        if let ContentRef::Block(content) = content {
            self.release_content(content);
        }
    }

    /// Evicts one ephemeral page chosen by the fair-share policy; false when
    /// no ephemeral page is left.
    pub(crate) fn evict_one(&mut self, requester: Option<u16>) -> bool {
        self.shares_scratch.clear();
        self.shares_scratch
            .extend(self.clients.iter().map(|client| Share {
                ephemeral_pages: client.ephemeral_pages,
                weight: client.weight,
            }));
        let Some(victim_client) = choose_victim(&self.shares_scratch, &self.lru, requester) else {
            return false;
        };
        let Some((record, _)) = self.lru.oldest(victim_client) else {
            return false;
        };
        let pool = self.records[record].key.pool;
        self.count(victim_client, pool, Counter::Evictions);
        self.remove_record(record);
        true
    }

    /// Removes a page record and drops its content reference.
    pub(crate) fn remove_record(&mut self, record_index: u32) {
        let Some(&record) = self.records.get(record_index) else {
            debug_assert!(false, "removing a free record");
            return;
        };
        if let Some(position) = self.handles.position_of(record.hash, record_index) {
            self.handles.remove_at(position);
        }
        self.unlink_page(record_index);
        self.records.remove(record_index);
        let client = &mut self.clients[usize::from(record.client)];
        if record.persistent {
            client.persistent_pages -= 1;
            self.persistent_pages -= 1;
        } else {
            self.lru.unlink(record.client, record_index);
            client.ephemeral_pages -= 1;
            self.ephemeral_pages -= 1;
        }
        if let Some(pool) = self.pools.get_mut(record.key.pool) {
            pool.pages -= 1;
        }
        match record.content {
            ContentRef::Zero => self.zero_pages -= 1,
            ContentRef::Block(content) => self.release_content(content),
        }
    }

    /// Removes every page of `pool` (or of one object in it); returns how
    /// many. O(1) per page.
    pub(crate) fn remove_range(&mut self, pool: u32, object: Option<ObjectId>) -> u32 {
        let mut removed = 0;
        let object_hash = object.map(|object| self.object_hash(pool, object));
        loop {
            let entry = match object.zip(object_hash) {
                Some((object, hash)) => match self.find_object_hashed(pool, object, hash) {
                    Some((_, entry)) => entry,
                    None => break,
                },
                None => match self.pools.get(pool).map(|pool| pool.first_object) {
                    Some(entry) if entry != NIL => entry,
                    _ => break,
                },
            };
            let record = self.objects[entry].first_page;
            self.remove_record(record);
            removed += 1;
        }
        removed
    }

    /// Copies the page under (`pool`, `object`, `index`) into `out`.
    ///
    /// In a private ephemeral pool the get is exclusive: the page is removed.
    /// In shared ephemeral and persistent pools it stays. A miss is
    /// [`TmemError::NotFound`]; ephemeral pages may miss at any time.
    pub fn get_page(
        &mut self,
        client: ClientId,
        pool: PoolId,
        object: ObjectId,
        index: u32,
        out: &mut Page,
    ) -> Result<(), TmemError> {
        let slot = self.client_slot(client)?;
        let pool_slot = self.pool_slot(slot, pool)?;
        self.count(slot, pool_slot, Counter::Gets);
        let key = HandleKey {
            pool: pool_slot,
            object,
            index,
        };
        let hash = self.handle_hash(&key);
        let (_, record_index) = self
            .find_record_hashed(&key, hash)
            .ok_or(TmemError::NotFound)?;
        let record = self.records[record_index];
        let removed = !record.persistent && self.pools[pool_slot].exclusive_gets();
        match record.content {
            ContentRef::Zero => {
                out.fill(0);
                self.moved(Traffic::written(PAGE_SIZE));
            }
            ContentRef::Block(content) if removed => self.take_content(content, out)?,
            ContentRef::Block(content) => self.read_content(content, out)?,
        }
        self.count(slot, pool_slot, Counter::FoundGets);
        if !record.persistent {
            if removed {
                self.remove_record(record_index);
            } else {
                self.lru.touch(record.client, record_index);
            }
        }
        Ok(())
    }

    /// Removes the page under (`pool`, `object`, `index`); returns whether
    /// there was one.
    pub fn flush_page(
        &mut self,
        client: ClientId,
        pool: PoolId,
        object: ObjectId,
        index: u32,
    ) -> Result<bool, TmemError> {
        let slot = self.client_slot(client)?;
        let pool_slot = self.pool_slot(slot, pool)?;
        self.count(slot, pool_slot, Counter::Flushes);
        let key = HandleKey {
            pool: pool_slot,
            object,
            index,
        };
        let hash = self.handle_hash(&key);
        match self.find_record_hashed(&key, hash) {
            Some((_, record)) => {
                self.remove_record(record);
                self.count(slot, pool_slot, Counter::FoundFlushes);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Removes every page of `object` in `pool`; returns how many.
    pub fn flush_object(
        &mut self,
        client: ClientId,
        pool: PoolId,
        object: ObjectId,
    ) -> Result<u32, TmemError> {
        let slot = self.client_slot(client)?;
        let pool_slot = self.pool_slot(slot, pool)?;
        self.count(slot, pool_slot, Counter::ObjectFlushes);
        Ok(self.remove_range(pool_slot, Some(object)))
    }
}
