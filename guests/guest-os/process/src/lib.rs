//! The guest OS's process model, as a `no_std` + `alloc` library tested on
//! the host: the system calls a guest process makes, decoded from its
//! registers into a typed [`Syscall`] (and errors back into registers as
//! [`Errno`]), and the [`ProcessTable`]: each process's lifecycle (ready,
//! sleeping, exited, killed) and its open files.
//!
//! The kernel side (issue 12) delivers a process's `svc` as an exception
//! message carrying its registers; the guest kernel decodes it here, acts
//! with [`guest_mm::Vm`] and its devices, and replies with the registers
//! [`Errno::encode`] gives. Nothing here touches a register or a device,
//! and nothing panics on what a process passes.

#![no_std]
#![warn(missing_docs)]

extern crate alloc;

pub mod errno;
pub mod syscall;
pub mod table;

pub use errno::Errno;
pub use syscall::{DecodeError, Syscall, SyscallNumber};
pub use table::{KillReason, OpenFile, ProcessError, ProcessState, ProcessTable, MAX_OPEN_FILES};
