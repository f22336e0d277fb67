//! The guest OS's memory management, as a `no_std` + `alloc` library that
//! runs and is tested on the host: guest RAM frames, processes' areas and
//! demand-zero anonymous memory, clock page replacement, swap through
//! frontswap (tmem's persistent pool) before a swap device, and a page
//! cache over read-only files whose dropped pages go to cleancache (tmem's
//! ephemeral pool), and a balloon that gives frames back to a memory
//! manager and takes them in again. It mirrors Linux's design at Mini-OS's
//! size.
//!
//! # Seams
//! Everything outside the guest kernel is a trait in [`ports`], borrowed
//! per operation through [`Backends`]:
//! - [`AddressSpaceOps`]: map, unmap, protect a page of a process (the
//!   kernel's AddressSpace objects, issue 12);
//! - [`FrameMemory`]: the contents of the guest's frames;
//! - [`Frontswap`] and [`Cleancache`]: tmem pools (`tmem-client`);
//! - [`BlockDevice`] (the swap region) and [`FileStore`] (files): the
//!   block server, issue 13.
//!
//! # What it guarantees
//! Every byte a process (or the kernel on its behalf) wrote to a page
//! reads back the same, whatever was evicted, swapped to tmem or to the
//! device, or dropped from the page cache; a page evicted is unmapped
//! first; killing a process frees its frames, slots and frontswap pages.
//! [`Vm::check`] states the invariants the tests hold it to. Nothing here
//! panics on an argument; heap memory is taken for the per-page indexes
//! as pages are kept (bounded by frames + swap slots).

#![no_std]
#![warn(missing_docs)]

extern crate alloc;

pub mod anon;
pub mod area;
pub mod error;
pub mod frame;
pub mod frame_table;
pub mod page;
pub mod page_cache;
pub mod ports;
pub mod stats;
pub mod swap;
pub mod swap_slots;
pub mod vm;

pub use area::{Area, AreaError, AreaKind, AreaList, Layout};
pub use error::{SegfaultReason, VmError};
pub use frame::{Frame, FrameAllocator, FrameError};
pub use page::{Page, Vpn, PAGE_SIZE};
pub use ports::{
    Access, AddressSpaceOps, Backends, BlockDevice, BlockError, Cleancache, FileError, FileId,
    FileStore, FrameMemory, Frontswap, FrontswapError, MapError, ProcessId, Protection,
};
pub use stats::{PressureReport, VmStats};
pub use swap::{SwapArea, SwapError, SwapPlace, SwapStats};
pub use swap_slots::{SwapSlot, SwapSlots};
pub use vm::balloon::BalloonError;
pub use vm::fault::FaultKind;
pub use vm::{Vm, VmConfig};
