//! The block server's logic, independent of the kernel: which client may
//! touch which blocks ([`service`]), how a request reaches the card
//! ([`disk`]), and where the partition keeps its capabilities and
//! mappings ([`layout`]). The partition (`src/partition`, target only)
//! wires these to system calls and the device.
//!
//! A malformed or out-of-range request gets an error status and changes
//! nothing; the server keeps serving. Nothing here may make a system call.
#![cfg_attr(not(test), no_std)]

pub mod disk;
pub mod layout;
pub mod service;

pub use disk::{CardDisk, Disk};
pub use service::{serve, Outcome};
