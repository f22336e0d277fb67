//! Error numbers a system call returns to a process, and the one mapping
//! from the guest kernel's errors to them.
//!
//! A failed call returns `-errno` in `r0` (Linux's numbers, so that small C
//! programs read them as they expect). Every memory-management error has
//! exactly one number; this module must never map an error to success.

use guest_mm::{AreaError, FileError, VmError};

use crate::syscall::DecodeError;
use crate::table::ProcessError;

/// A system call's error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Errno {
    /// No such file.
    NoEntry = 2,
    /// I/O error.
    Io = 5,
    /// Bad file descriptor.
    BadFd = 9,
    /// Out of memory.
    NoMemory = 12,
    /// Bad address.
    Fault = 14,
    /// Invalid argument.
    Invalid = 22,
    /// Too many open files.
    TooManyFiles = 24,
    /// A file name longer than any the guest's files have.
    NameTooLong = 36,
    /// No such system call.
    NoSys = 38,
}

impl Errno {
    /// `r0` for this error: the number, negated.
    pub const fn encode(self) -> u32 {
        (self as u32).wrapping_neg()
    }
}

impl From<VmError> for Errno {
    fn from(error: VmError) -> Errno {
        match error {
            VmError::Area(AreaError::NoSpace | AreaError::TooManyAreas) => Errno::NoMemory,
            VmError::Area(_) => Errno::Invalid,
            VmError::Segfault { .. } => Errno::Fault,
            VmError::OutOfMemory | VmError::Map(_) => Errno::NoMemory,
            VmError::Swap(_) | VmError::File(FileError::Io) => Errno::Io,
            VmError::File(FileError::NoSuchFile) => Errno::NoEntry,
            VmError::File(FileError::PastEnd) => Errno::Invalid,
            VmError::NoSuchProcess(_) | VmError::ProcessExists(_) | VmError::TooManyProcesses => {
                Errno::Invalid
            }
        }
    }
}

impl From<DecodeError> for Errno {
    fn from(error: DecodeError) -> Errno {
        match error {
            DecodeError::UnknownNumber(_) => Errno::NoSys,
            DecodeError::BadProtection(_) => Errno::Invalid,
        }
    }
}

impl From<ProcessError> for Errno {
    fn from(error: ProcessError) -> Errno {
        match error {
            ProcessError::BadFd(_) => Errno::BadFd,
            ProcessError::TooManyFiles => Errno::TooManyFiles,
            ProcessError::TableFull => Errno::NoMemory,
            ProcessError::NoSuchProcess(_) | ProcessError::NotLive(_) => Errno::Invalid,
        }
    }
}
