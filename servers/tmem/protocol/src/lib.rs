//! The messages between tmem clients (guests) and the tmem server: typed
//! requests and replies, their encoding in IPC message words, the shared
//! window they point into, and the postcard-encoded control messages.
//!
//! # Why this layout
//! An IPC message is four 32-bit words (`r1`-`r4`) plus a badge the kernel
//! adds; a tmem handle is eight (pool, 192-bit object id, index). Put, get
//! and flush must not need postcard or any parsing beyond shifts and masks,
//! and in grant-map and transfer modes the common put or get should not
//! have to touch shared memory at all, so that the exchange modes differ
//! only in how the page moves. So:
//!
//! - the first word packs the opcode, the version, a 4-bit pool (pools are
//!   0..16), the exchange mode, a WIDE bit and the caller's slot;
//! - word 1 is the page index, words 2-3 object-id word 0;
//! - object-id words 1 and 2 are zero for a *narrow* id (frontswap's swap
//!   type, cleancache's inode number: the common case, all in registers),
//!   or, with WIDE set, in the caller's 32-byte request block in its shared
//!   window ([`RequestBlock`], [`window`]).
//!
//! The alternative, always writing the whole object id to the request
//! block, costs every operation a store and a load of shared memory and
//! forces the server to snapshot client-writable memory on every call; this
//! way that happens only for wide ids. Words are decoded by shifts and
//! masks, and every `[u32; 4]` decodes to a [`Request`] or a
//! [`DecodeError`] without panicking; the server answers every error with
//! [`Reply::rejecting`], never by stopping.
//!
//! # Request words
//! ```text
//! word 0   bits  7..0   opcode (Opcode, 1..=7)
//!          bits 11..8   protocol version (PROTOCOL_VERSION; never moves)
//!          bits 15..12  pool (0..16)
//!          bits 17..16  exchange mode: 1 copy, 2 grant-map, 3 transfer
//!          bit  18      WIDE: object-id words 1-2 are in the slot's request block
//!          bits 23..19  0
//!          bits 31..24  slot (0..MAX_SLOTS = 128)
//! ```
//!
//! | opcode | words | pool | mode | WIDE | slot | word 1 | words 2-3 |
//! | --- | --- | --- | --- | --- | --- | --- | --- |
//! | 1 NewPool | 2 | 0 | 0 | 0 | yes (UUID in its block if shared) | pool flags (persistent 1, shared 2) | — |
//! | 2 DestroyPool | 1 | yes | 0 | 0 | 0 | — | — |
//! | 3 PutPage | 4 | yes | yes | yes | yes | index | object-id word 0 (low, high) |
//! | 4 GetPage | 4 | yes | yes | yes | yes | index | object-id word 0 |
//! | 5 FlushPage | 4 | yes | 0 | yes | yes | index | object-id word 0 |
//! | 6 FlushObject | 4 | yes | 0 | yes | yes | 0 | object-id word 0 |
//! | 7 Control | 2 | 0 | 0 | 0 | yes (message in its IPC buffer) | message bytes (≤ 4096) | — |
//! | 8 PutRun | 4 | yes | yes | run length − 1 in bits 23..18 | yes (first page slot) | first index | object-id word 0 |
//! | 9 GetRun | 4 | yes | yes | run length − 1 in bits 23..18 | yes (first page slot) | first index | object-id word 0 |
//!
//! A field a request does not have must be 0, and a request has exactly
//! the words its opcode needs, so every request has one encoding.
//!
//! # Reply words
//! Two words: word 0 is the opcode answered (0 if the request did not
//! decode that far) in bits 7..0, the version in bits 11..8 and a
//! [`Status`] in bits 23..16 (0: success); word 1 is the value: the pool
//! id for NewPool, 1/0 for whether FlushPage found a page, the pages
//! removed by FlushObject, the response length for Control, the pages
//! moved by a run (`PutRun`, `GetRun`: the run stops at its first page the
//! store refuses or misses, so fewer than asked means page `value` of the
//! run failed and the pages after it were not tried).
//!
//! # Pages
//! How the page moves is the client's exchange mode ([`exchange`]): in the
//! slot's page of the window (copy), or as a frame capability passed with
//! the IPC (grant-map, transfer).
//!
//! # Example
//! A client puts a page through its copy window; the server decodes it.
//! ```
//! use tmem_protocol::*;
//!
//! // Client: a handle with a wide object id, slot 2 of a 4-slot window.
//! let mut window = vec![0u8; window_size(4).unwrap()];
//! let slot = Slot::new(2).unwrap();
//! let handle = Handle {
//!     pool: PoolId::new(1).unwrap(),
//!     object: ObjectId([0x1234, 0, 7]),
//!     index: 42,
//! };
//! slot.page_mut(&mut window).unwrap().fill(0xAB);
//! if !handle.object.is_narrow() {
//!     *slot.block_mut(&mut window).unwrap() = RequestBlock::for_object(handle.object).to_bytes();
//! }
//! let request = Request::PutPage { handle: handle.head(), exchange: ExchangeMode::Copy, slot };
//! let words = request.encode();
//! let len = request.word_count();
//!
//! // Server: decode the registers, then read the block only if needed.
//! let Ok(Request::PutPage { handle: head, exchange, slot }) = Request::decode(words, len) else {
//!     panic!("a put");
//! };
//! assert_eq!(exchange, ExchangeMode::Copy);
//! let full = head.complete(|| RequestBlock::from_bytes(slot.block(&window).unwrap()));
//! assert_eq!(full, handle);
//! assert_eq!(slot.page(&window).unwrap()[0], 0xAB);
//! let reply = Reply::PagePut.encode();
//!
//! // Client: the answer.
//! assert_eq!(Reply::decode(reply, Reply::WORDS), Ok(Reply::PagePut));
//!
//! // Junk gets an error reply, never a crash.
//! let junk = [0xFFFF_FFFF; 4];
//! let error = Request::decode(junk, 4).unwrap_err();
//! assert_eq!(error, DecodeError::BadVersion { found: 15 });
//! assert_eq!(
//!     Reply::rejecting(junk, error),
//!     Reply::Failed { op: None, status: Status::VersionMismatch },
//! );
//! ```

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(test)]
extern crate std;

pub mod control;
mod error;
pub mod exchange;
mod handle;
mod header;
mod opcode;
mod reply;
mod request;
mod request_block;
mod run;
mod status;
#[cfg(any(test, feature = "store"))]
mod store;
pub mod version;
pub mod window;

pub use control::{
    decode_control, encode_control, ClientId, ClientInfo, ControlMessage, ControlRequest,
    ControlResponse, OpStats, PageTraffic, StatsScope, Usage,
};
pub use error::{DecodeError, EncodeError, Field};
pub use exchange::{ExchangeMode, FramePassing, FrameRights, PageDirection};
pub use handle::{
    Handle, HandleHead, ObjectHead, ObjectId, ObjectTail, PoolFlags, PoolId, MAX_POOLS,
};
pub use opcode::Opcode;
pub use reply::Reply;
pub use request::{Request, CONTROL_MAX_BYTES, MESSAGE_WORDS};
pub use request_block::{RequestBlock, REQUEST_BLOCK_SIZE};
pub use run::{PageRun, RunLength, MAX_RUN};
pub use status::Status;
pub use version::PROTOCOL_VERSION;
pub use window::{window_size, Slot, MAX_SLOTS, PAGE_SIZE};
