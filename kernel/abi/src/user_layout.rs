//! Where things are in every partition's address space, and what a thread
//! finds in its registers when it starts.
//!
//! ```text
//! 0x0000_0000 .. USER_BASE        never mapped (null pointers fault)
//! USER_BASE   .. +memory_size     the partition's memory: ELF segments,
//!                                 then thread stacks at the top
//! ..                              shared and device regions (description)
//! GRANT_WINDOW .. +1 MiB          where `frame_map` maps frame capabilities
//! .. USER_TOP
//! USER_TOP    ..                  the kernel: never accessible from PL0
//! ```
//!
//! A thread starts at the ELF entry point with `r0` = its index in the
//! partition, `r1` = the partition's argument from the system description
//! and `sp` at the top of its own stack.

/// First address of every partition's memory; partition ELFs are linked here.
pub const USER_BASE: u32 = 0x0010_0000;
/// First address that is not user space (TTBCR.N = 1 puts the kernel above).
pub const USER_TOP: u32 = 0x8000_0000;
/// Where frame capabilities are mapped at run time: one megabyte below
/// [`USER_TOP`], with its second-level table allocated at boot.
pub const GRANT_WINDOW: u32 = 0x7F00_0000;
/// Size of the grant window.
pub const GRANT_WINDOW_SIZE: u32 = 1 << 20;
/// Granule of every user mapping.
pub const PAGE_SIZE: u32 = 4096;
