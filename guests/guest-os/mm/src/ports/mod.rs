//! The seams between guest memory management and what it runs on: one
//! small trait per thing the kernel, the tmem server or the block server
//! provides, and [`Backends`], the bundle of them one operation borrows.
//!
//! Host tests implement these with fakes; the guest kernel implements them
//! over kernel capabilities (address spaces, frames), the tmem client
//! library (frontswap, cleancache) and the block protocol (swap device,
//! files). Nothing in this module may hold state of its own.

pub mod address_space;
pub mod block;
pub mod cleancache;
pub mod files;
pub mod frontswap;
pub mod memory;

pub use address_space::{Access, AddressSpaceOps, MapError, ProcessId, Protection};
pub use block::{BlockDevice, BlockError};
pub use cleancache::Cleancache;
pub use files::{FileError, FileId, FileStore};
pub use frontswap::{Frontswap, FrontswapError};
pub use memory::FrameMemory;

/// Everything one memory-management operation may touch outside the
/// [`Vm`](crate::Vm)'s own tables, borrowed for that operation.
///
/// `frontswap` and `cleancache` are `None` when the guest runs with tmem
/// off: then every dirty page goes to the swap device and every dropped
/// clean page is simply dropped.
pub struct Backends<'a> {
    /// The contents of the guest's frames.
    pub memory: &'a mut dyn FrameMemory,
    /// The processes' address spaces (the kernel's page tables).
    pub spaces: &'a mut dyn AddressSpaceOps,
    /// The tmem persistent pool for swap, when tmem is on.
    pub frontswap: Option<&'a mut dyn Frontswap>,
    /// The guest's swap region; block `n` holds swap slot `n`.
    pub swap_device: &'a mut dyn BlockDevice,
    /// The tmem ephemeral pool for clean file pages, when tmem is on.
    pub cleancache: Option<&'a mut dyn Cleancache>,
    /// The read-only files the page cache caches.
    pub files: &'a mut dyn FileStore,
}
