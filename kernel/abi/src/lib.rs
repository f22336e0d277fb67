//! The contract between the kernel, the partitions and the host tools.
//!
//! Everything here is plain data and `const`s with no dependencies, so the
//! kernel, user-level code and xtask all compile the same definitions. It
//! must never contain behaviour that only one side needs.
#![no_std]

pub mod boot_options;
pub mod cap;
pub mod exit;
pub mod guest;
pub mod log_stream;
pub mod syscall;
pub mod user_layout;
