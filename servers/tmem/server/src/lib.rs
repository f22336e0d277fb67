//! The tmem server: transcendent memory as a user-level partition.
//!
//! Guests put, get and flush pages through the server's service endpoint;
//! the page moves by the client's exchange mode (a shared window, a
//! transient frame grant, or page flipping). The system's manager reads
//! statistics and sets policy through a separate control endpoint. This
//! crate's library is the part that decides — who a caller is, what a
//! request means, what the store answers — and is tested on the host; the
//! binary (`src/partition/`) only moves messages, frames and mappings.
//!
//! The library must never trust a message for a client's identity (that is
//! the endpoint badge) or for its exchange mode (that is the system
//! description, through the server's [`ServerConfig`]), and must answer
//! every request, however malformed, with a reply.

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

mod config;
mod control;
mod drop_client;
pub mod layout;
mod pages;
mod persist;
pub mod pool_moves;
mod service;

pub use config::{ConfigError, ServerConfig, MAX_CLIENTS};
pub use control::FrameCounts;
pub use pages::ClientPages;
pub use persist::{AttachError, KeptMemory, Restored};
pub use service::{refusal, Caller, Service};
