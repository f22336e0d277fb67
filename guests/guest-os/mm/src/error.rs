//! Why a memory-management operation failed, as one error type for the
//! guest kernel to act on: a [`VmError::Segfault`] or a lost swap page
//! kills the process, a bad argument becomes a system call's error code.
//! Nothing in this crate panics on a bad argument instead.

use crate::area::AreaError;
use crate::ports::{FileError, MapError, ProcessId};
use crate::swap::SwapError;

/// Why a fault or an access went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SegfaultReason {
    /// The address is in no area of the process.
    NoArea,
    /// The area does not allow the access (a write to read-only memory,
    /// executing data).
    Protection,
}

/// Why a memory-management operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VmError {
    /// No process has that id.
    NoSuchProcess(ProcessId),
    /// A process with that id exists already.
    ProcessExists(ProcessId),
    /// The process table is full.
    TooManyProcesses,
    /// A bad mmap, munmap or brk.
    Area(AreaError),
    /// A bad access by the process (or by the kernel on its behalf).
    Segfault {
        /// The address accessed.
        address: u32,
        /// What was wrong with it.
        reason: SegfaultReason,
    },
    /// No frame could be freed: every page is in use and none can be
    /// swapped out.
    OutOfMemory,
    /// The kernel would not map the page.
    Map(MapError),
    /// The page could not be swapped in.
    Swap(SwapError),
    /// The file could not be read.
    File(FileError),
}

impl From<AreaError> for VmError {
    fn from(error: AreaError) -> VmError {
        VmError::Area(error)
    }
}
