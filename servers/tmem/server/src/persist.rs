//! Persistence across a server restart: the service keeps every page of a
//! private persistent pool in the journal (`tmem_store::journal`) as well
//! as in the store, in memory the kernel keeps while the server is down;
//! a restarted server rebuilds the store from it before it serves.
//!
//! How each request meets the journal (only pools with a journal pool
//! record, that is private persistent pools opened while a journal was
//! attached; ephemeral and shared pools are not kept):
//! - new pool: the pool record is written before the reply (no room: the
//!   pool is closed again and the reply is `NoMemory`);
//! - put: the page is copied once from the client into a free journal
//!   slot, the store takes it from there (so both hold the same bytes,
//!   whatever the client does to its window meanwhile), and the record is
//!   written before the reply; a put the store or the journal refuses
//!   removes the old copy from both, as the store's semantics say;
//! - flushes and destroys remove records after the store removed the pages.
//!
//! So every acknowledged persistent page has a complete record. This
//! module must never reply success to a persistent put before its record
//! is written, and never restore a page the store refuses without dropping
//! its record (the journal and the store must name the same pages).

use alloc::boxed::Box;

use tmem_store::journal::{Entry, Journal, JournalMemory, Key, Recovery};
use tmem_store::{ClientId, FrameProvider, ObjectId, Page, PoolFlags, PoolId, TmemError};

use crate::service::Service;

/// The memory a journal lives in, as the service holds it.
pub type KeptMemory = Box<dyn JournalMemory + Send>;

/// What [`Service::attach_journal`] found and rebuilt.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Restored {
    /// What reading the journal found (kept, torn, superseded records).
    pub recovery: Recovery,
    /// Pools opened again.
    pub pools: u32,
    /// Pages put back into the store.
    pub pages: u32,
    /// Records the store refused (client gone from the configuration, no
    /// memory): dropped from the journal.
    pub refused: u32,
}

/// Why no journal could be attached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttachError {
    /// The kept memory is too small for the journal's format.
    TooSmall,
    /// The store already holds pages: a journal is attached before serving.
    NotFresh,
}

impl<P: FrameProvider> Service<P> {
    /// Attaches the journal in `memory` and puts everything it holds back
    /// into the (empty) store: pools first, then their pages.
    pub fn attach_journal(&mut self, memory: KeptMemory) -> Result<Restored, AttachError> {
        if self.journal.is_some() || {
            let usage = self.store.usage();
            usage.ephemeral_pages + usage.persistent_pages != 0
        } {
            return Err(AttachError::NotFresh);
        }
        let (mut journal, recovery) = Journal::open(memory).map_err(|_| AttachError::TooSmall)?;
        let mut restored = Restored {
            recovery,
            ..Restored::default()
        };
        let keys: alloc::vec::Vec<Key> = journal.keys().collect();
        for key in keys {
            let result = match key.entry {
                Entry::Pool => self.store.restore_pool(key.client, key.pool),
                Entry::Page { object, index } => match journal.page(&key) {
                    Some(page) => self
                        .store
                        .restore_page(key.client, key.pool, object, index, page),
                    None => Err(TmemError::NotFound),
                },
            };
            match (result, key.entry) {
                (Ok(()), Entry::Pool) => restored.pools += 1,
                (Ok(()), Entry::Page { .. }) => restored.pages += 1,
                (Err(_), _) => {
                    restored.refused += 1;
                    journal.remove(&key);
                }
            }
        }
        self.journal = Some(journal);
        Ok(restored)
    }

    /// The journal's memory, as a killed server leaves it behind (for host
    /// tests and tools: a server partition is stopped, not dropped).
    pub fn into_kept_memory(self) -> Option<KeptMemory> {
        self.journal.map(Journal::into_memory)
    }

    /// Slots the journal has free, and how many it has (`None` without a
    /// journal).
    pub fn journal_slots(&self) -> Option<(u32, u32)> {
        self.journal
            .as_ref()
            .map(|journal| (journal.free_slots(), journal.slots()))
    }

    /// Records a pool the store just opened, if it is kept; closes it again
    /// if the journal has no room.
    pub(crate) fn kept_new_pool(
        &mut self,
        client: ClientId,
        flags: PoolFlags,
        pool: PoolId,
    ) -> Result<(), TmemError> {
        let Some(journal) = self.journal.as_mut() else {
            return Ok(());
        };
        if flags != PoolFlags::PERSISTENT {
            return Ok(());
        }
        journal.open_pool(client, pool).map_err(|_| {
            let _ = self.store.destroy_pool(client, pool);
            TmemError::NoMemory
        })
    }

    /// Destroys a pool in the store and forgets it in the journal.
    pub(crate) fn kept_destroy_pool(
        &mut self,
        client: ClientId,
        pool: PoolId,
    ) -> Result<(), TmemError> {
        self.store.destroy_pool(client, pool)?;
        if let Some(journal) = self.journal.as_mut() {
            journal.destroy_pool(client, pool);
        }
        Ok(())
    }

    /// Puts `page`, through the journal if its pool is kept.
    pub(crate) fn kept_put(
        &mut self,
        client: ClientId,
        pool: PoolId,
        object: ObjectId,
        index: u32,
        page: &Page,
    ) -> Result<(), TmemError> {
        // The common case first: no journal, or a pool it does not keep.
        let journal = match self.journal.as_mut() {
            Some(journal) if journal.contains(&pool_key(client, pool)) => journal,
            _ => return self.store.put_page(client, pool, object, index, page),
        };
        let key = Key {
            client,
            pool,
            entry: Entry::Page { object, index },
        };
        let staged = match journal.stage(page) {
            Ok(staged) => staged,
            Err(_) => {
                // A failed put leaves no old copy behind.
                journal.remove(&key);
                let _ = self.store.flush_page(client, pool, object, index);
                return Err(TmemError::NoMemory);
            }
        };
        let put = self
            .store
            .put_page(client, pool, object, index, journal.staged(&staged));
        match put {
            Ok(()) => journal.commit_page(staged, key),
            Err(_) => {
                journal.abandon(staged);
                journal.remove(&key);
            }
        }
        put
    }

    /// Flushes a page from the store and the journal.
    pub(crate) fn kept_flush_page(
        &mut self,
        client: ClientId,
        pool: PoolId,
        object: ObjectId,
        index: u32,
    ) -> Result<bool, TmemError> {
        let found = self.store.flush_page(client, pool, object, index)?;
        if let Some(journal) = self.journal.as_mut() {
            journal.remove(&Key {
                client,
                pool,
                entry: Entry::Page { object, index },
            });
        }
        Ok(found)
    }

    /// Flushes an object from the store and the journal.
    pub(crate) fn kept_flush_object(
        &mut self,
        client: ClientId,
        pool: PoolId,
        object: ObjectId,
    ) -> Result<u32, TmemError> {
        let pages = self.store.flush_object(client, pool, object)?;
        if let Some(journal) = self.journal.as_mut() {
            journal.flush_object(client, pool, object);
        }
        Ok(pages)
    }
}

fn pool_key(client: ClientId, pool: PoolId) -> Key {
    Key {
        client,
        pool,
        entry: Entry::Pool,
    }
}
