//! The system-call interface.
//!
//! A partition calls the kernel with `svc #0`: the call number in `r7`,
//! arguments in `r0`-`r3`. On return `r0` is 0 for success or a
//! [`SyscallError`] code, and `r1`-`r2` carry results. Pointer arguments
//! always come with a length and must lie wholly inside memory the caller
//! may access as the call needs.

/// System-call numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Syscall {
    /// `log(frame: *const u8, len)`: emit one defmt frame (rzCOBS-encoded,
    /// terminated by its single zero byte) tagged with the caller's
    /// partition.
    Log = 1,
    /// `yield()`: let another thread of the same partition run.
    Yield = 2,
    /// `thread_exit()`: end the calling thread; never returns.
    ThreadExit = 3,
    /// `clock_read(out: *mut u64)`: microseconds since boot into `*out`
    /// (8-byte aligned).
    ClockRead = 4,
}

impl Syscall {
    /// The call with number `number`, if there is one.
    pub const fn from_number(number: u32) -> Option<Syscall> {
        match number {
            1 => Some(Syscall::Log),
            2 => Some(Syscall::Yield),
            3 => Some(Syscall::ThreadExit),
            4 => Some(Syscall::ClockRead),
            _ => None,
        }
    }
}

/// Why a system call failed. The code is what `r0` holds on return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum SyscallError {
    /// No system call has this number.
    UnknownSyscall = 1,
    /// A pointer argument is null.
    NullPointer = 2,
    /// A pointer argument is not aligned as the call needs.
    Unaligned = 3,
    /// A buffer reaches into kernel space.
    KernelAddress = 4,
    /// A buffer is not wholly inside one of the caller's mappings.
    Unmapped = 5,
    /// The call would write to memory the caller may only read.
    ReadOnly = 6,
    /// An argument is out of range or malformed.
    InvalidArgument = 7,
}

impl SyscallError {
    /// The error a return code stands for (`None` for 0, success, or an
    /// unknown code).
    pub const fn from_code(code: u32) -> Option<SyscallError> {
        match code {
            1 => Some(SyscallError::UnknownSyscall),
            2 => Some(SyscallError::NullPointer),
            3 => Some(SyscallError::Unaligned),
            4 => Some(SyscallError::KernelAddress),
            5 => Some(SyscallError::Unmapped),
            6 => Some(SyscallError::ReadOnly),
            7 => Some(SyscallError::InvalidArgument),
            _ => None,
        }
    }

    /// A short name for logs.
    pub const fn name(self) -> &'static str {
        match self {
            SyscallError::UnknownSyscall => "UnknownSyscall",
            SyscallError::NullPointer => "NullPointer",
            SyscallError::Unaligned => "Unaligned",
            SyscallError::KernelAddress => "KernelAddress",
            SyscallError::Unmapped => "Unmapped",
            SyscallError::ReadOnly => "ReadOnly",
            SyscallError::InvalidArgument => "InvalidArgument",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_codes_round_trip() {
        for call in [
            Syscall::Log,
            Syscall::Yield,
            Syscall::ThreadExit,
            Syscall::ClockRead,
        ] {
            assert_eq!(Syscall::from_number(call as u32), Some(call));
        }
        assert_eq!(Syscall::from_number(0), None);
        assert_eq!(Syscall::from_number(0xFFFF_FFFF), None);
        for code in 1..=7 {
            assert_eq!(SyscallError::from_code(code).unwrap() as u32, code);
        }
        assert_eq!(SyscallError::from_code(0), None);
    }
}
