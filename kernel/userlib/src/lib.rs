//! The user-level runtime every partition links.
//!
//! A partition is a `#![no_std]` binary that names its entry with
//! [`entry!`]; userlib supplies `_start`, the system-call wrappers, a defmt
//! logger that sends frames through the kernel (tagged by the kernel with
//! the partition's identity), a panic handler that reports and ends the
//! thread, and, with the `heap` feature, a global allocator.
//!
//! Nothing here may assume it is the only thread in its partition, and
//! nothing may touch hardware: the kernel is the only way out.
#![no_std]
#![forbid(unsafe_op_in_unsafe_fn)]

pub mod config;
pub mod guest;
pub mod ipc;
pub mod message;
pub mod page;
pub mod syscall;

#[cfg(target_os = "none")]
mod entry;
#[cfg(all(target_os = "none", feature = "heap"))]
pub mod heap;
#[cfg(target_os = "none")]
mod lock;
#[cfg(target_os = "none")]
mod logger;
#[cfg(target_os = "none")]
mod memcpy;
pub mod owner_lock;
#[cfg(target_os = "none")]
mod panic;
#[cfg(target_os = "none")]
pub mod thread;

pub use config::{config, ConfigError};
pub use kernel_abi::syscall::SyscallError;
#[cfg(target_os = "none")]
pub use lock::waits as lock_waits;

/// How a thread was started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Start {
    /// The thread's index in its partition (0 is the first). The
    /// partition's settings are its typed configuration: [`config()`].
    pub thread: u32,
}

/// Names the partition's entry function, `fn(Start)`. Every thread starts
/// there; when it returns, the thread exits.
///
/// With the `heap` feature, `entry!(main, heap_kib = N)` gives the
/// partition an N KiB heap (default 16 KiB); the arena is part of the
/// partition's own memory, so `memory_kib` must have room for it.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        $crate::entry!($main, heap_kib = 16);
    };
    ($main:path, heap_kib = $kib:expr) => {
        #[no_mangle]
        extern "C" fn __partition_main(thread: u32) {
            let main: fn($crate::Start) = $main;
            main($crate::Start { thread });
        }
        $crate::__heap_arena!($kib * 1024);
    };
}

/// Without the `heap` feature there is no arena to define.
#[cfg(not(all(target_os = "none", feature = "heap")))]
#[doc(hidden)]
#[macro_export]
macro_rules! __heap_arena {
    ($bytes:expr) => {};
}
