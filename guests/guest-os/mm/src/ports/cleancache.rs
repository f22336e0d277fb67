//! Cleancache: the tmem ephemeral pool that clean file pages go to when the
//! page cache drops them (Linux's `cleancache_put_page`), and that a page
//! cache miss asks before the file's backing store
//! (`cleancache_get_page`).
//!
//! Ephemeral means a put may be dropped at once and a get may miss at any
//! time; so neither call can fail in a way the caller must handle, and
//! memory management must never rely on a page being there. The guest
//! kernel implements this over `tmem_client::Cleancache`, turning any
//! transport failure into a miss.

use crate::page::Page;
use crate::ports::files::FileId;

/// An ephemeral tmem pool for clean file pages.
pub trait Cleancache {
    /// Copies page `index` of `file` into `out` if the pool has it:
    /// `true` on a hit (`out` holds the page), `false` on a miss (`out`
    /// untouched).
    fn get_page(&mut self, file: FileId, index: u32, out: &mut Page) -> bool;

    /// Offers `page` as page `index` of `file`: `true` if the pool took
    /// it (it may still drop it later).
    fn put_page(&mut self, file: FileId, index: u32, page: &Page) -> bool;
}
