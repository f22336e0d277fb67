//! Frontswap: the tmem persistent pool that swap pages go to before the
//! swap device (Linux's `frontswap_store` ahead of `swap_writepage`).
//!
//! Pages are named by (swap type, offset): the swap type is the swap
//! device, the offset its swap slot. A store may be refused; a store once
//! accepted must be returned exactly by every load until it is
//! invalidated. The guest kernel implements this over
//! `tmem_client::Frontswap`.

use crate::page::Page;

/// Why frontswap did not do what was asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrontswapError {
    /// tmem said no (the client's cap, no memory in the pool).
    Refused,
    /// The request or its reply was lost.
    Failed,
}

/// A persistent tmem pool for swap pages.
pub trait Frontswap {
    /// Stores `page` at (`swap_type`, `offset`), replacing what was there.
    /// After an error the offset holds nothing.
    fn store(&mut self, swap_type: u32, offset: u32, page: &Page) -> Result<(), FrontswapError>;

    /// Copies the page at (`swap_type`, `offset`) into `out`: `Ok(true)`
    /// if it was there, `Ok(false)` if not (`out` untouched).
    fn load(&mut self, swap_type: u32, offset: u32, out: &mut Page)
        -> Result<bool, FrontswapError>;

    /// Removes the page at (`swap_type`, `offset`), if any.
    fn invalidate_page(&mut self, swap_type: u32, offset: u32);
}
