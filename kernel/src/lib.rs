//! A capability separation kernel for ARMv7-A (Cortex-A9).
//!
//! The crate is split in two: a functional core that is plain Rust and runs
//! under `cargo test` on the host (page-table encoding, the address-space
//! layout, fault and exception decoding), and a thin `arch` shell that is
//! compiled only for the target and is the only code that touches CP15,
//! assembly or device registers. Nothing in the core may depend on `arch`.
#![no_std]
#![forbid(unsafe_op_in_unsafe_fn)]

#[cfg(all(target_os = "none", feature = "tmem-baseline"))]
extern crate alloc;

pub mod cap;
pub mod elf;
pub mod exception;
pub mod fault;
pub mod ipc;
pub mod machine;
pub mod mm;
pub mod objects;
pub mod partition;
pub mod request;
pub mod schedule;
pub mod syscall;
pub mod system;
pub mod thread;

#[cfg(target_os = "none")]
pub mod arch;
#[cfg(target_os = "none")]
pub mod log;
#[cfg(target_os = "none")]
mod panic;
