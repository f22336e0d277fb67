//! The guest OS kernel: the partition that owns a guest's RAM, runs its
//! memory management (`guest-mm`'s [`Vm`](guest_mm::Vm)) and its
//! workloads, and swaps to transcendent memory — the paravirtualized
//! guest of the source report, rebuilt on the separation kernel.
//!
//! # The interim "software MMU" mode
//! The kernel cannot yet run *hardware-isolated* guest processes: that
//! needs AddressSpace objects, thread control and exception IPC (issue
//! 12). Until then a guest's processes are workloads the guest kernel runs
//! itself: every access they make goes through [`SoftMmu`] — the
//! processes' page tables kept in software — and a miss there is a page
//! fault handled by the `Vm` exactly as a hardware fault delivered by
//! exception IPC will be. The seam is guest-mm's `AddressSpaceOps`:
//! `SoftMmu` implements it now, the kernel AddressSpace adapter of issue
//! 12 will implement it then, and memory management does not change.
//!
//! # Pieces
//! - [`config`]: the plan, from the partition's argument.
//! - [`ram`]: guest RAM (the frame capability the description gives,
//!   mapped) as guest-mm's `FrameMemory`.
//! - [`tmem`]: guest-mm's `Frontswap` and `Cleancache` over `tmem-client`.
//! - [`sd_swap`]: the swap device, the guest's region of the SD card
//!   behind the block server; [`no_swap`]: none, for a guest the
//!   description gives no region (a page tmem refuses stays in RAM).
//! - [`synthetic_files`]: read-only files computed from a formula, a
//!   stand-in for the SD card's file system (issue 13).
//! - [`elf`]: checking a guest program's ELF file and listing its
//!   segments.
//! - [`process_server`]: the answers to a process's system calls, page
//!   faults and undefined instructions.
//! - [`programs`]: the embedded guest programs (ELF files).
//! - [`kernel_spaces`]: the same seam over the kernel's address spaces
//!   (`space_map`/`space_unmap`), for processes run on the CPU.
//! - [`machine`], [`soft_mmu`]: the Vm, the software page tables and how
//!   a process touches memory.
//! - [`workload`]: the memory hog, the phased program, the file reader;
//!   each checks every byte it reads.
//! - [`guest`]: the run; [`report`]: the counters a user watches.
//!
//! The partition itself (entry, capabilities, logging) is `main.rs`,
//! target only. Nothing here panics on anything a workload, the tmem
//! server or the description does: failures are values that end a
//! workload or the guest cleanly.

#![no_std]
#![warn(missing_docs)]

extern crate alloc;

pub mod config;
pub mod elf;
pub mod guest;
pub mod kernel_spaces;
pub mod machine;
pub mod no_swap;
pub mod process_server;
pub mod programs;
pub mod ram;
pub mod report;
pub mod sd_swap;
pub mod soft_mmu;
pub mod synthetic_files;
pub mod tmem;
pub mod workload;

pub use config::GuestPlan;
pub use machine::{Machine, Ports};
pub use report::{GuestReport, Reporter};
pub use soft_mmu::SoftMmu;
