//! What block clients and the block server say to each other, in IPC
//! message registers only (no shared parsing state):
//!
//! ```text
//! request  word 0  bits 7..0   opcode: 1 read, 2 write, 3 flush
//!                  bits 23..8  blocks in the run (1..; 0 for flush)
//!                  bits 31..24 0
//!          word 1  first block, counted from the start of the client's region
//!          word 2  copy mode: first page of the client's window that holds
//!                  the run; grant-map mode: 0 (the run is in the lent frame)
//! reply    word 0  Status (0: done)
//!          word 1  blocks moved
//! ```
//!
//! A block is 4 KiB. A client is whoever its badge says, and reaches only
//! its region of the disk ([`config`]). Every `[u32; 4]` decodes to a
//! [`Request`] or a [`Status`] to reply with, never a panic. Nothing here
//! may touch a capability or a device.
#![cfg_attr(not(test), no_std)]

pub mod config;
pub mod model;
pub mod request;
pub mod status;

pub use config::{Config, ExchangeMode, Region};
pub use model::{DeviceModel, DeviceQueue};
pub use request::{Opcode, Request};
pub use status::Status;

/// Bytes in a block.
pub const BLOCK_SIZE: usize = 4096;
/// Message words a request uses.
pub const REQUEST_WORDS: usize = 3;
/// Message words a reply uses.
pub const REPLY_WORDS: usize = 2;
