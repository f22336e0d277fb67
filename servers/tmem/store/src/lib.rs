//! Transcendent memory (tmem) page store: the semantics of the tmem server,
//! as a `no_std` + `alloc` library that runs and is tested on the host.
//!
//! Clients (guests, named by an opaque [`ClientId`] the server derives from
//! IPC badges) open up to 16 pools each and put, get and flush 4 KiB pages
//! under handles (pool, [`ObjectId`] of 3×u64, page index). Pages live in
//! frames handed over by a [`FrameProvider`]; the store keeps all metadata
//! in tables reserved at construction. It grows and shrinks by a frame at a
//! time ([`Store::grow`], [`Store::shrink`]) within the capacity it was
//! built with.
//!
//! # Semantics (tmem ABI v1)
//! - **Ephemeral pools** hold clean cache pages: a put may be dropped at any
//!   time and a get may miss. A get in a *private* ephemeral pool is
//!   exclusive (it removes the page); in a *shared* one it is not.
//! - **Persistent pools** hold swap-like pages: a put may be refused
//!   ([`TmemError::QuotaExceeded`], [`TmemError::NoMemory`]), but an accepted
//!   page is returned exactly by every get until it is flushed.
//! - **Duplicate put**: a put to an occupied handle replaces the old copy,
//!   or fails and removes it. Stale data is never readable.
//! - **Shared pools** are joined by [`PoolUuid`], only by clients that the
//!   [`Config`] authorises for that UUID.
//! - **Eviction**: ephemeral pages are on an LRU across clients; weights give
//!   fair shares and a client over its share loses its own pages first.
//!   Persistent pages are never evicted; each client has a persistent cap.
//! - **Compression** (per client, LZ4): used when a page compresses into a
//!   2 KiB slot or less; packed 2, 4 or 8 to a frame by size class.
//!   All-zero pages take no frame.
//! - **Sharing** of identical pages (copy on write) only among clients of one
//!   [`SharingDomain`], after a full byte compare.
//!
//! # Invariants
//! These hold after every public call, whatever its arguments; they are
//! checked by [`Store::check_invariants`] in the model-based tests.
//! 1. No public function panics on any argument value.
//! 2. Frames balance: every frame is exactly one of free, whole (one page)
//!    or packed (slots of one size class); free + whole + packed == total;
//!    no frame or slot is claimed by two contents; none is leaked. Every
//!    other frame id is absent (never read or written); total + absent
//!    == capacity, and a frame leaves only free.
//! 3. Every content block's reference count equals the number of pages
//!    pointing at it; a block is freed with its last reference and never
//!    written after it is created (so no put or flush can change another
//!    page's data).
//! 4. A content block with two or more references is referenced only by
//!    pages of clients of its own sharing domain; clients without a domain
//!    never share, and a put only ever compares against its own domain.
//! 5. A client reaches a pool only through its own pool table: private pools
//!    of other clients are unnameable; shared pools need a configured grant.
//! 6. Persistent pages are never on an LRU list and are never evicted; every
//!    ephemeral page is on exactly one list, its charged client's.
//! 7. Metadata never exceeds what [`Store::new`] reserved: at most
//!    [`Config::max_pages`] pages (about 300 bytes of tables per page, 16 per
//!    frame); nothing on the put path grows a table. (The LZ4 encoder makes
//!    one temporary 8 KiB allocation per compressed put, freed before the
//!    put returns.)
//! 8. Cost per operation does not grow with the number of pages stored:
//!    handles and objects are found through keyed hash tables (O(1)
//!    expected, load at most 1/2, no tombstones); the sharing index is an
//!    AVL tree, O(log n) worst case; the eviction choice is O(clients).
//!    Operations on many pages (`flush_object`, `destroy_pool`,
//!    `flush_pages`) cost O(1) per page removed.
//!
//! # Example
//! ```
//! use tmem_store::*;
//!
//! let (a, b) = (ClientId(1), ClientId(2));
//! let shared = PoolUuid(0xfeed);
//! let domain = SharingDomain(1);
//! let config = Config::new(4096)
//!     .client(ClientConfig::new(a).weight(2).compress(true).sharing_domain(domain))
//!     .client(ClientConfig::new(b).sharing_domain(domain))
//!     .shared_pool(shared, &[a, b]);
//! let mut store = Store::new(config, VecFrames::new(256)).unwrap();
//!
//! // A private ephemeral (cleancache) pool: gets are exclusive.
//! let cache = store.new_pool(a, PoolFlags::EPHEMERAL, PoolUuid(0)).unwrap();
//! let page = [3u8; PAGE_SIZE];
//! store.put_page(a, cache, ObjectId([1, 2, 3]), 0, &page).unwrap();
//! let mut out = [0u8; PAGE_SIZE];
//! store.get_page(a, cache, ObjectId([1, 2, 3]), 0, &mut out).unwrap();
//! assert_eq!(out, page);
//! assert_eq!(store.get_page(a, cache, ObjectId([1, 2, 3]), 0, &mut out), Err(TmemError::NotFound));
//!
//! // Both clients join the shared pool by UUID; a third party could not.
//! let pa = store.new_pool(a, PoolFlags::SHARED, shared).unwrap();
//! let pb = store.new_pool(b, PoolFlags::SHARED, shared).unwrap();
//! store.put_page(a, pa, ObjectId([7, 0, 0]), 1, &page).unwrap();
//! store.get_page(b, pb, ObjectId([7, 0, 0]), 1, &mut out).unwrap();
//! assert_eq!(out, page);
//! assert_eq!(store.global_stats().found_gets, 2);
//! store.check_invariants().unwrap();
//! ```

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(test)]
extern crate std;

mod audit;
mod client;
mod compress;
mod config;
mod content;
mod control;
mod dedup;
mod error;
mod fairness;
mod frame_table;
mod frames;
pub mod halfsiphash;
mod handle;
mod hash_table;
mod index;
pub mod journal;
mod lru;
mod migrate;
mod object;
mod page_record;
mod pool;
mod resize;
mod slab;
mod stats;
mod store;
mod traffic;
mod zero_page;

pub use config::{derive_index_key, ClientConfig, Config, SharedPoolGrant};
pub use error::{ConfigError, TmemError};
pub use frames::{FrameId, FrameProvider, Page, VecFrames, PAGE_SIZE};
pub use handle::{
    ClientId, ObjectId, PoolFlags, PoolId, PoolUuid, SharingDomain, MAX_POOLS_PER_CLIENT,
};
pub use migrate::{PersistentPages, SavedPage};
pub use resize::{GrowError, ShrinkError};
pub use stats::{ClientInfo, OpStats, Usage};
pub use store::Store;
pub use traffic::Traffic;
