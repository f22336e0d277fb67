//! The memory manager's logic, host-tested: what the description asks of
//! it ([`config`]) and its books ([`ledger`]): which guest holds how many
//! frames, which of its own capability slots hold the reserve, what each
//! guest may still give or take — and which capability a call brought may
//! be booked at all ([`carried`]). The partition (`main.rs`, target only)
//! turns calls into ledger operations and capability transfers; nothing
//! here talks to the kernel.

#![no_std]

extern crate alloc;

pub mod carried;
pub mod config;
pub mod ledger;

pub use carried::Carried;
pub use config::ManagerConfig;
pub use ledger::{Ledger, LedgerError};
