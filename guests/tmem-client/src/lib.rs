//! A guest's side of transcendent memory: the frontswap- and
//! cleancache-style APIs a paravirtualized guest calls, the tmem operations
//! they are made of, and the transport that carries those operations to
//! the tmem server over the kernel's IPC in one of the three exchange modes
//! (copy, grant-map, transfer; see `tmem_protocol::exchange`).
//!
//! # Layers
//! - [`Transport`] ([`transport`]): sends one [`Request`] and returns its
//!   [`Reply`]; owns the page buffer a put reads from and a get lands in,
//!   and the calling thread's request block. Frontends never know how a
//!   mode moves the page.
//! - [`ops`]: one function per tmem operation (new pool, put, get, flush,
//!   destroy) that builds the request, fills the request block when the
//!   object id is wide or the pool shared, and turns the reply into a
//!   `Result` — a refusal is an error, a miss on get is `Ok(false)`.
//! - [`Frontswap`] ([`frontswap`]) and [`Cleancache`] ([`cleancache`]):
//!   Linux's two tmem frontends, with their counters. They *borrow* the
//!   transport on every call, so one guest drives both over one
//!   connection.
//! - `Connection` and `ControlClient` (`connection`, `control`, target
//!   only): the kernel transport and the manager's control client.
//!
//! Nothing here panics on a reply: every malformed or unexpected answer is
//! a [`TmemClientError`]. Nothing here decides a client's identity or mode
//! either: the kernel delivers the badge, and the system description fixes
//! the mode the server will accept.
//!
//! # Example
//! Any [`Transport`] will do; a guest drives frontswap and cleancache over
//! the same one.
//! ```
//! use tmem_client::*;
//!
//! fn swap_and_cache(transport: &mut impl Transport, page: &Page) -> Result<bool, TmemClientError> {
//!     let mut swap = Frontswap::init(transport, 0)?;
//!     swap.store(transport, 17, page)?;
//!     let mut out = [0u8; PAGE_SIZE];
//!     let found = swap.load(transport, 17, &mut out)?;
//!
//!     let mut cache = Cleancache::new();
//!     let pool = cache.init_fs(transport)?;
//!     cache.put_page(transport, pool, ObjectId([42, 0, 0]), 0, page)?;
//!     // A miss is Ok(false): ephemeral pages may go at any time.
//!     let _hit = cache.get_page(transport, pool, ObjectId([42, 0, 0]), 0, &mut out)?;
//!     Ok(found)
//! }
//! ```

#![no_std]
#![warn(missing_docs)]

pub mod cleancache;
#[cfg(target_os = "none")]
pub mod connection;
#[cfg(target_os = "none")]
pub mod control;
pub mod error;
pub mod frontswap;
pub mod ops;
pub mod transport;

pub use cleancache::{Cleancache, CleancacheStats};
#[cfg(target_os = "none")]
pub use connection::{ClientCaps, Connection};
#[cfg(target_os = "none")]
pub use control::{ControlAnswer, ControlClient, FrameSlots};
pub use error::TmemClientError;
pub use frontswap::{peer_gone, Frontswap, FrontswapStats};
pub use transport::{Page, Transport, TransportError};

pub use tmem_protocol::{
    ExchangeMode, ObjectId, PoolFlags, PoolId, Reply, Request, Slot, Status, PAGE_SIZE,
};
