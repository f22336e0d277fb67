//! Where things are in every partition's address space, and what a thread
//! finds in its registers when it starts.
//!
//! ```text
//! 0x0000_0000 .. USER_BASE        never mapped (null pointers fault)
//! USER_BASE   .. +memory_size     the partition's memory: ELF segments,
//!                                 then thread stacks at the top
//! ..                              shared and device regions (description)
//! POOL_REGION .. +POOL_REGION_SIZE where `frame_map` maps large frames in
//!                                 1 MiB sections (a tmem pool)
//! IPC_BUFFERS ..                  the threads' IPC buffers
//! GRANT_WINDOW .. +1 MiB          where `frame_map` maps frame capabilities
//! .. USER_TOP
//! USER_TOP    ..                  the kernel: never accessible from PL0
//! ```
//!
//! A thread starts at the ELF entry point with `r0` = its index in the
//! partition, `r1` = 0 (reserved), `r2` and `r3` = the address and length of the partition's configuration
//! (the postcard encoding of the `config` the description gives it, which
//! xtask checked against the type its crate declares; length 0: none) and
//! `sp` at the top of its own stack. The configuration bytes are at the
//! top of thread 0's stack, 8-byte aligned, and thread 0's `sp` starts just
//! below them; they take at most half of that stack.
//!
//! While a thread runs, the user read-only thread ID register TPIDRURO
//! (CP15 c13, c0, 3; read with `mrc p15, 0, rX, c13, c0, 3`) holds
//! [`thread_id`] of its index: the kernel writes it on every switch to a
//! user thread, and user mode cannot write it. So code shared by a
//! partition's threads (a lock's owner, for instance) can tell which
//! thread it runs in without a system call. It is never
//! [`NO_THREAD_ID`], and it names a thread only within its partition.

/// First address of every partition's memory; partition ELFs are linked here.
pub const USER_BASE: u32 = 0x0010_0000;
/// First address that is not user space (TTBCR.N = 1 puts the kernel above).
pub const USER_TOP: u32 = 0x8000_0000;
/// Where frame capabilities are mapped at run time: one megabyte below
/// [`USER_TOP`], with its second-level table allocated at boot.
pub const GRANT_WINDOW: u32 = 0x7F00_0000;
/// Size of the grant window.
pub const GRANT_WINDOW_SIZE: u32 = 1 << 20;
/// Where `frame_map` maps a large frame whole, in 1 MiB sections: a
/// frame whose base is 1 MiB aligned, mapped at a 1 MiB-aligned address
/// here, gets one section per whole megabyte it holds (a tail smaller
/// than a megabyte is not mapped). Below the IPC buffers
/// (`syscall::IPC_BUFFERS`); descriptions place nothing here. It holds
/// the largest frame there can be — all of a 1 GiB machine's RAM but the
/// kernel — with room to spare (1,120 MiB).
pub const POOL_REGION: u32 = 0x3800_0000;
/// Size of the pool region (up to the IPC buffers).
pub const POOL_REGION_SIZE: u32 = 0x4600_0000;
/// Size of a section: the granule of mappings in the pool region.
pub const SECTION_SIZE: u32 = 1 << 20;
/// Granule of every user mapping.
pub const PAGE_SIZE: u32 = 4096;

/// What TPIDRURO holds while the thread with index `index` in its
/// partition runs: `index + 1`.
pub const fn thread_id(index: u32) -> u32 {
    index + 1
}

/// A TPIDRURO value no thread has (what it reads before the kernel
/// first sets it).
pub const NO_THREAD_ID: u32 = 0;

const _: () = assert!(
    POOL_REGION.is_multiple_of(SECTION_SIZE)
        && POOL_REGION + POOL_REGION_SIZE <= crate::syscall::IPC_BUFFERS
        && POOL_REGION > USER_BASE
        && POOL_REGION_SIZE >= 1 << 30
);
