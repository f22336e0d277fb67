//! The hardware shell: everything that touches CP15, assembly, the
//! exception vectors, semihosting or device registers.
//!
//! Each piece is small and calls into the plain-Rust core for anything that
//! can be computed; logic that could be tested on the host does not belong
//! here. Every `unsafe` block states why it is sound.

pub mod boot;
pub mod console;
pub mod cpu;
pub mod debug;
pub mod devices;
pub mod machine;
mod memcpy;
pub mod mmu;
pub mod ram;
pub mod running;
#[cfg(feature = "selftests")]
pub mod selftest;
pub mod user;
pub mod vectors;
