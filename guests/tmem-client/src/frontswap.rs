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
//!
//! When the server dies (a call ends in `PeerGone`) and is restarted, the
//! pool and every store it acknowledged come back (the server keeps them,
//! `tmem_server::persist`); [`Frontswap::reconnect`] waits for it and
//! settles the store or invalidation that was in flight, whose outcome is
//! unknown, by invalidating it again: as after any failed store, the
//! offset then holds nothing.

use tmem_protocol::{Handle, ObjectId, PoolFlags, PoolId};

use crate::error::TmemClientError;
use crate::ops;
use crate::transport::TransportError;
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
    /// A change whose outcome is unknown: the server went away during it.
    unsettled: Option<Unsettled>,
}

/// A change the server may or may not have made before it went away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unsettled {
    /// A store to, or invalidation of, this offset.
    Page(u32),
    /// An invalidation of the whole area.
    Area,
}

/// Whether `error` says the server went away (stopped, or restarting).
pub fn peer_gone(error: &TmemClientError) -> bool {
    *error == TmemClientError::Transport(TransportError::PEER_GONE)
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
            unsettled: None,
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
        let result = self
            .settled()
            .and_then(|()| ops::put(transport, self.handle(offset)));
        match result {
            Ok(()) => self.stats.stores += 1,
            Err(_) => self.stats.failed_stores += 1,
        }
        self.note(&result, Unsettled::Page(offset));
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
        let result = self
            .settled()
            .and_then(|()| ops::flush_page(transport, self.handle(offset)));
        self.note(&result, Unsettled::Page(offset));
        let found = result?;
        self.stats.invalidates += 1;
        Ok(found)
    }

    /// Removes every page of this swap type (the device is swapped off);
    /// returns how many there were. The pool stays open.
    pub fn invalidate_area<T: Transport + ?Sized>(
        &mut self,
        transport: &mut T,
    ) -> Result<u32, TmemClientError> {
        let result = self
            .settled()
            .and_then(|()| ops::flush_object(transport, self.pool, self.object()));
        self.note(&result, Unsettled::Area);
        let pages = result?;
        self.stats.invalidates += 1;
        Ok(pages)
    }

    /// After an operation ended in `PeerGone`: calls until the (restarted)
    /// server answers, `wait()` between two tries and at most `tries`
    /// times, invalidating what was in flight if it changed anything (or
    /// flushing a page no one stores, just to hear the server). Afterwards
    /// every acknowledged store is there again, unless the server kept
    /// nothing (then the pool is gone: `Refused(NoSuchPool)`).
    pub fn reconnect<T: Transport + ?Sized>(
        &mut self,
        transport: &mut T,
        tries: u32,
        mut wait: impl FnMut(),
    ) -> Result<(), TmemClientError> {
        let mut last = TmemClientError::Transport(TransportError::PEER_GONE);
        for _ in 0..tries {
            let result = match self.unsettled {
                Some(Unsettled::Area) => {
                    ops::flush_object(transport, self.pool, self.object()).map(|_| ())
                }
                Some(Unsettled::Page(offset)) => {
                    ops::flush_page(transport, self.handle(offset)).map(|_| ())
                }
                None => ops::flush_page(transport, self.handle(u32::MAX)).map(|_| ()),
            };
            match result {
                Err(error) if peer_gone(&error) => {
                    last = error;
                    wait();
                }
                other => {
                    if other.is_ok() {
                        self.unsettled = None;
                    }
                    return other;
                }
            }
        }
        Err(last)
    }

    /// Refuses a change while an earlier one is unsettled: until
    /// [`Frontswap::reconnect`], the server is gone.
    fn settled(&self) -> Result<(), TmemClientError> {
        match self.unsettled {
            Some(_) => Err(TmemClientError::Transport(TransportError::PEER_GONE)),
            None => Ok(()),
        }
    }

    /// Remembers `change` as unsettled if `result` says the server went
    /// away during it.
    fn note<R>(&mut self, result: &Result<R, TmemClientError>, change: Unsettled) {
        // A change refused because one was unsettled changed nothing.
        if self.unsettled.is_none() && matches!(result, Err(error) if peer_gone(error)) {
            self.unsettled = Some(change);
        }
    }
}
