//! Frontswap: a swap device's pages kept in a persistent tmem pool, as
//! Linux's frontswap frontend does it.
//!
//! One [`Frontswap`] serves one swap type (one swap device). Its pages are
//! named (pool, object = the swap type, a narrow id; index = the page's
//! swap offset). A store may be refused (the client's cap, no memory) and
//! the kernel then writes the page to the real swap device; a store once
//! accepted is returned exactly by every load until it is invalidated.
//!
//! The frontend borrows its transport for each call rather than owning it,
//! so one connection serves frontswap and cleancache together. It must
//! never report a refused store as stored, nor a miss as a page.

use tmem_protocol::{Handle, ObjectId, PoolFlags, PoolId};

use crate::error::TmemClientError;
use crate::ops;
use crate::transport::{Page, Transport};

/// Counters, as Linux's frontswap keeps them in debugfs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FrontswapStats {
    /// Stores the server accepted (Linux: `succ_stores`).
    pub stores: u64,
    /// Stores refused or lost (Linux: `failed_stores`).
    pub failed_stores: u64,
    /// Loads that found their page (Linux: `loads`).
    pub loads: u64,
    /// Loads that missed or failed.
    pub failed_loads: u64,
    /// Invalidations the server carried out, of a page or of the whole
    /// area (Linux: `invalidates`).
    pub invalidates: u64,
}

/// A swap type's pages in a persistent private pool.
#[derive(Debug)]
pub struct Frontswap {
    pool: PoolId,
    swap_type: u32,
    stats: FrontswapStats,
}

impl Frontswap {
    /// Opens a persistent private pool for swap type `swap_type`.
    pub fn init<T: Transport + ?Sized>(
        transport: &mut T,
        swap_type: u32,
    ) -> Result<Frontswap, TmemClientError> {
        let flags = PoolFlags {
            persistent: true,
            shared: false,
        };
        let pool = ops::new_pool(transport, flags, 0)?;
        Ok(Frontswap {
            pool,
            swap_type,
            stats: FrontswapStats::default(),
        })
    }

    /// The pool the pages are in.
    pub const fn pool(&self) -> PoolId {
        self.pool
    }

    /// The swap type this frontend serves.
    pub const fn swap_type(&self) -> u32 {
        self.swap_type
    }

    /// The counters so far.
    pub const fn stats(&self) -> FrontswapStats {
        self.stats
    }

    fn object(&self) -> ObjectId {
        ObjectId([u64::from(self.swap_type), 0, 0])
    }

    fn handle(&self, offset: u32) -> Handle {
        Handle {
            pool: self.pool,
            object: self.object(),
            index: offset,
        }
    }

    /// Stores `page` at swap offset `offset` (copied into the transport's
    /// page buffer first, unless it is that buffer). After an error the
    /// offset holds nothing: the server removes an old copy when a put to
    /// its handle fails.
    pub fn store<T: Transport + ?Sized>(
        &mut self,
        transport: &mut T,
        offset: u32,
        page: &Page,
    ) -> Result<(), TmemClientError> {
        if !core::ptr::eq(page, transport.page()) {
            userlib::page::copy(transport.page_mut(), page);
        }
        self.store_in_place(transport, offset)
    }

    /// Stores the page already in the transport's page buffer at swap
    /// offset `offset` (the zero-copy path).
    pub fn store_in_place<T: Transport + ?Sized>(
        &mut self,
        transport: &mut T,
        offset: u32,
    ) -> Result<(), TmemClientError> {
        let result = ops::put(transport, self.handle(offset));
        match result {
            Ok(()) => self.stats.stores += 1,
            Err(_) => self.stats.failed_stores += 1,
        }
        result
    }

    /// Loads the page at swap offset `offset` into `out`: `Ok(true)` if
    /// it was there (then `out` holds it), `Ok(false)` if not (`out` is
    /// untouched).
    pub fn load<T: Transport + ?Sized>(
        &mut self,
        transport: &mut T,
        offset: u32,
        out: &mut Page,
    ) -> Result<bool, TmemClientError> {
        let found = self.load_in_place(transport, offset)?;
        if found {
            userlib::page::copy(out, transport.page());
        }
        Ok(found)
    }

    /// Loads the page at swap offset `offset` into the transport's page
    /// buffer (the zero-copy path): `Ok(true)` if it was there.
    pub fn load_in_place<T: Transport + ?Sized>(
        &mut self,
        transport: &mut T,
        offset: u32,
    ) -> Result<bool, TmemClientError> {
        let result = ops::get(transport, self.handle(offset));
        match result {
            Ok(true) => self.stats.loads += 1,
            Ok(false) | Err(_) => self.stats.failed_loads += 1,
        }
        result
    }

    /// Removes the page at swap offset `offset`; returns whether there was
    /// one.
    pub fn invalidate_page<T: Transport + ?Sized>(
        &mut self,
        transport: &mut T,
        offset: u32,
    ) -> Result<bool, TmemClientError> {
        let found = ops::flush_page(transport, self.handle(offset))?;
        self.stats.invalidates += 1;
        Ok(found)
    }

    /// Removes every page of this swap type (the device is swapped off);
    /// returns how many there were. The pool stays open.
    pub fn invalidate_area<T: Transport + ?Sized>(
        &mut self,
        transport: &mut T,
    ) -> Result<u32, TmemClientError> {
        let pages = ops::flush_object(transport, self.pool, self.object())?;
        self.stats.invalidates += 1;
        Ok(pages)
    }
}
