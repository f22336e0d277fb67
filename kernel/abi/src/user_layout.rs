//! Where things are in every partition's address space, and what a thread
//! finds in its registers when it starts.
//!
//! ```text
//! 0x0000_0000 .. USER_BASE        never mapped (null pointers fault)
//! USER_BASE   .. +memory_size     the partition's memory: ELF segments,
//!                                 then thread stacks at the top
//! .. USER_TOP                     free for later mappings (shared windows)
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
/// Granule of every user mapping.
pub const PAGE_SIZE: u32 = 4096;
