//! guest-mm's [`Frontswap`] port over `tmem_client::Frontswap`: swap slot
//! `offset` of the guest's swap type is page `offset` of the frontswap
//! object in a private persistent pool.
//!
//! A refusal the server states is [`FrontswapError::Refused`] (the page
//! then goes to the swap device); a lost request or reply is
//! [`FrontswapError::Failed`], after which guest-mm invalidates the offset.
//! A load that fails in transport is `Failed`, never a page. It must never
//! turn an error into success.

use core::cell::RefCell;

use guest_mm::{Frontswap, FrontswapError, Page};
use tmem_client::{FrontswapStats, TmemClientError, Transport};

/// Frontswap for one swap type over a shared transport.
pub struct TmemFrontswap<'t, T: Transport> {
    transport: &'t RefCell<T>,
    frontswap: tmem_client::Frontswap,
    failed_invalidates: u64,
    last_error: Option<TmemClientError>,
}

impl<'t, T: Transport> TmemFrontswap<'t, T> {
    /// Opens the persistent pool for `swap_type` through `transport`.
    pub fn open(
        transport: &'t RefCell<T>,
        swap_type: u32,
    ) -> Result<TmemFrontswap<'t, T>, TmemClientError> {
        let frontswap = tmem_client::Frontswap::init(&mut *transport.borrow_mut(), swap_type)?;
        Ok(TmemFrontswap {
            transport,
            frontswap,
            failed_invalidates: 0,
            last_error: None,
        })
    }

    /// tmem-client's counters.
    pub fn stats(&self) -> FrontswapStats {
        self.frontswap.stats()
    }

    /// Why the last store that failed failed, if one did.
    pub const fn last_error(&self) -> Option<TmemClientError> {
        self.last_error
    }

    /// Invalidations whose request or reply was lost.
    pub const fn failed_invalidates(&self) -> u64 {
        self.failed_invalidates
    }
}

impl<T: Transport> Frontswap for TmemFrontswap<'_, T> {
    fn store(&mut self, swap_type: u32, offset: u32, page: &Page) -> Result<(), FrontswapError> {
        if swap_type != self.frontswap.swap_type() {
            return Err(FrontswapError::Refused);
        }
        let mut transport = self.transport.borrow_mut();
        let stored = self.frontswap.store(&mut *transport, offset, page);
        if let Err(error) = stored {
            self.last_error = Some(error);
        }
        match stored {
            Ok(()) => Ok(()),
            Err(TmemClientError::Refused(_)) => Err(FrontswapError::Refused),
            Err(_) => Err(FrontswapError::Failed),
        }
    }

    fn load(
        &mut self,
        swap_type: u32,
        offset: u32,
        out: &mut Page,
    ) -> Result<bool, FrontswapError> {
        if swap_type != self.frontswap.swap_type() {
            return Ok(false);
        }
        let mut transport = self.transport.borrow_mut();
        self.frontswap
            .load(&mut *transport, offset, out)
            .map_err(|_| FrontswapError::Failed)
    }

    fn invalidate_page(&mut self, swap_type: u32, offset: u32) {
        if swap_type != self.frontswap.swap_type() {
            return;
        }
        let mut transport = self.transport.borrow_mut();
        if self
            .frontswap
            .invalidate_page(&mut *transport, offset)
            .is_err()
        {
            self.failed_invalidates += 1;
        }
    }
}
