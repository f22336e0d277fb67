//! The guest OS kernel: the partition that owns a guest's RAM, runs its
//! memory management (`guest-mm`'s [`Vm`](guest_mm::Vm)) and its
//! workloads, and swaps to transcendent memory — the paravirtualized
//! guest of the source report, rebuilt on the separation kernel.
//!
//! # Processes, and the interim "software MMU" mode
//! With `processes = true` in its config the guest runs its programs (`guest-programs`,
//! embedded ELF files) as processes on the CPU, each in a kernel address
//! space: page faults and system calls arrive as exception IPC, are
//! answered by [`process_server`] through the `Vm`, whose page tables are
//! the kernel's ([`kernel_spaces`]). Without it, the phased program and
//! the file reader (not programs yet) and the hog run inside the guest
//! kernel through [`SoftMmu`], page tables kept in software. Both are
//! guest-mm's `AddressSpaceOps`; memory management is the same.
//!
//! # Pieces
//! - [`balloon_service`]: the balloon service, reporting pressure to the
//!   memory manager and moving frames toward the target it sets; on with
//!   `balloon = true` in the guest's config, which needs the manager's
//!   endpoint in capability slot 7 (the guest calls it with its badge).
//! - [`config`]: the plan, from the partition's typed configuration.
//! - [`ram`]: guest RAM (the frame capability the description gives,
//!   mapped) as guest-mm's `FrameMemory`.
//! - [`tmem`]: guest-mm's `Frontswap` and `Cleancache` over `tmem-client`.
//! - [`sd_swap`]: the swap device, the guest's region of the SD card
//!   behind the block server; [`no_swap`]: none, for a guest the
//!   description gives no region (a page tmem refuses stays in RAM).
//! - [`fat_files`]: the guest's files on the SD card (FAT, embedded-sdmmc).
//! - [`synthetic_files`]: the same file set computed in memory, for
//!   systems with no SD card.
//! - [`elf`]: checking a guest program's ELF file and listing its
//!   segments.
//! - [`process_server`]: the answers to a process's system calls, page
//!   faults and undefined instructions; [`file_calls`]: its `open`,
//!   `read` and `close`.
//! - [`programs`]: the embedded guest programs (ELF files);
//!   [`program_args`]: the words each is started with, from the plan.
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

pub mod balloon_service;
pub mod config;
pub mod elf;
pub mod fat_files;
pub mod file_calls;
pub mod guest;
pub mod kernel_spaces;
pub mod machine;
pub mod no_swap;
pub mod process_server;
pub mod program_args;
pub mod programs;
pub mod ram;
pub mod report;
pub mod sd_swap;
pub mod service_time;
pub mod soft_mmu;
pub mod synthetic_files;
pub mod tmem;
pub mod workload;

pub use config::GuestPlan;
pub use machine::{Machine, Ports};
pub use report::{GuestReport, Reporter};
pub use soft_mmu::SoftMmu;
