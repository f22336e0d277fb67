//! Cleancache: clean page-cache pages kept in ephemeral tmem pools, as
//! Linux's cleancache frontend does it.
//!
//! Each file system gets a pool ([`Cleancache::init_fs`], or
//! [`Cleancache::init_shared_fs`] for a cluster file system whose pages
//! several guests may share, by UUID). A page is named by the file's key
//! (an [`ObjectId`]: an inode number is narrow, a 192-bit file handle is
//! wide and travels partly in the request block) and its index in the
//! file. The server may drop any page at any time, so a get may miss even
//! right after a put; a get in a private pool is exclusive (the page
//! leaves the cache), in a shared pool it is not.
//!
//! One [`Cleancache`] holds the counters for every pool a guest opens and
//! borrows the transport for each call. It must never report a miss as a
//! hit, nor count a refused put as a put.

use tmem_protocol::{Handle, ObjectId, PoolFlags, PoolId};

use crate::error::TmemClientError;
use crate::ops;
use crate::transport::{Page, Transport};

/// Counters, as Linux's cleancache keeps them in debugfs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CleancacheStats {
    /// Gets that found their page (Linux: `succ_gets`).
    pub succ_gets: u64,
    /// Gets that missed or failed (Linux: `failed_gets`).
    pub failed_gets: u64,
    /// Puts the server accepted (Linux: `puts`).
    pub puts: u64,
    /// Puts refused or lost (Linux cannot see these; a refused put is
    /// simply not cached).
    pub failed_puts: u64,
    /// Invalidations the server carried out, of a page, an inode or a
    /// whole file system (Linux: `invalidates`).
    pub invalidates: u64,
}

/// The guest's cleancache frontend: counters over the pools it opens.
#[derive(Debug, Default)]
pub struct Cleancache {
    stats: CleancacheStats,
}

impl Cleancache {
    /// A frontend with zeroed counters and no pools.
    pub const fn new() -> Cleancache {
        Cleancache {
            stats: CleancacheStats {
                succ_gets: 0,
                failed_gets: 0,
                puts: 0,
                failed_puts: 0,
                invalidates: 0,
            },
        }
    }

    /// The counters so far.
    pub const fn stats(&self) -> CleancacheStats {
        self.stats
    }

    /// Opens a private ephemeral pool for a file system.
    pub fn init_fs<T: Transport + ?Sized>(
        &mut self,
        transport: &mut T,
    ) -> Result<PoolId, TmemClientError> {
        ops::new_pool(transport, PoolFlags::default(), 0)
    }

    /// Joins (or opens) the shared ephemeral pool named `uuid`; the server
    /// refuses clients the system description does not authorise for it.
    pub fn init_shared_fs<T: Transport + ?Sized>(
        &mut self,
        transport: &mut T,
        uuid: u128,
    ) -> Result<PoolId, TmemClientError> {
        let flags = PoolFlags {
            persistent: false,
            shared: true,
        };
        ops::new_pool(transport, flags, uuid)
    }

    /// Fetches page `index` of file `key` into `out`: `Ok(true)` on a hit
    /// (then `out` holds it), `Ok(false)` on a miss (`out` is untouched).
    pub fn get_page<T: Transport + ?Sized>(
        &mut self,
        transport: &mut T,
        pool: PoolId,
        key: ObjectId,
        index: u32,
        out: &mut Page,
    ) -> Result<bool, TmemClientError> {
        let found = self.get_page_in_place(transport, pool, key, index)?;
        if found {
            userlib::page::copy(out, transport.page());
        }
        Ok(found)
    }

    /// Fetches page `index` of file `key` into the transport's page buffer
    /// (the zero-copy path): `Ok(true)` on a hit.
    pub fn get_page_in_place<T: Transport + ?Sized>(
        &mut self,
        transport: &mut T,
        pool: PoolId,
        key: ObjectId,
        index: u32,
    ) -> Result<bool, TmemClientError> {
        let result = ops::get(transport, handle(pool, key, index));
        match result {
            Ok(true) => self.stats.succ_gets += 1,
            Ok(false) | Err(_) => self.stats.failed_gets += 1,
        }
        result
    }

    /// Puts `page` as page `index` of file `key` (copied into the
    /// transport's page buffer first, unless it is that buffer).
    pub fn put_page<T: Transport + ?Sized>(
        &mut self,
        transport: &mut T,
        pool: PoolId,
        key: ObjectId,
        index: u32,
        page: &Page,
    ) -> Result<(), TmemClientError> {
        if !core::ptr::eq(page, transport.page()) {
            userlib::page::copy(transport.page_mut(), page);
        }
        self.put_page_in_place(transport, pool, key, index)
    }

    /// Puts the page already in the transport's page buffer as page
    /// `index` of file `key` (the zero-copy path).
    pub fn put_page_in_place<T: Transport + ?Sized>(
        &mut self,
        transport: &mut T,
        pool: PoolId,
        key: ObjectId,
        index: u32,
    ) -> Result<(), TmemClientError> {
        let result = ops::put(transport, handle(pool, key, index));
        match result {
            Ok(()) => self.stats.puts += 1,
            Err(_) => self.stats.failed_puts += 1,
        }
        result
    }

    /// Drops page `index` of file `key`; returns whether it was cached.
    pub fn invalidate_page<T: Transport + ?Sized>(
        &mut self,
        transport: &mut T,
        pool: PoolId,
        key: ObjectId,
        index: u32,
    ) -> Result<bool, TmemClientError> {
        let found = ops::flush_page(transport, handle(pool, key, index))?;
        self.stats.invalidates += 1;
        Ok(found)
    }

    /// Drops every cached page of file `key`; returns how many there were.
    pub fn invalidate_inode<T: Transport + ?Sized>(
        &mut self,
        transport: &mut T,
        pool: PoolId,
        key: ObjectId,
    ) -> Result<u32, TmemClientError> {
        let pages = ops::flush_object(transport, pool, key)?;
        self.stats.invalidates += 1;
        Ok(pages)
    }

    /// Closes the file system's pool (its pages go with it; a shared pool
    /// lives on while other clients have it open).
    pub fn invalidate_fs<T: Transport + ?Sized>(
        &mut self,
        transport: &mut T,
        pool: PoolId,
    ) -> Result<(), TmemClientError> {
        ops::destroy_pool(transport, pool)?;
        self.stats.invalidates += 1;
        Ok(())
    }
}

fn handle(pool: PoolId, key: ObjectId, index: u32) -> Handle {
    Handle {
        pool,
        object: key,
        index,
    }
}
