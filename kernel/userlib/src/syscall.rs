//! System-call wrappers: the only way a partition talks to the kernel.
//!
//! Each wrapper checks nothing the kernel checks again; they exist to put
//! arguments in the right registers (see `kernel_abi::syscall`) and to
//! turn the result code into a `Result`. On the host they are absent.

#[cfg(target_os = "none")]
use kernel_abi::syscall::Syscall;
use kernel_abi::syscall::SyscallError;

/// Turns a result code into a `Result`.
pub fn result(code: u32) -> Result<(), SyscallError> {
    match SyscallError::from_code(code) {
        None if code == 0 => Ok(()),
        Some(error) => Err(error),
        None => Err(SyscallError::InvalidArgument),
    }
}

/// Makes system call `number` with up to two arguments; returns `r0`.
///
/// # Safety
///
/// Pointer arguments must be valid for what the call does with them; the
/// kernel checks them against the partition's mappings, but cannot know
/// Rust's aliasing rules.
#[cfg(target_os = "none")]
pub unsafe fn raw(number: Syscall, a0: u32, a1: u32) -> u32 {
    let r0: u32;
    // SAFETY: `svc #0` enters the kernel, which preserves every register
    // but r0; the caller vouches for the arguments.
    unsafe {
        core::arch::asm!(
            "svc #0",
            inout("r0") a0 => r0,
            in("r1") a1,
            in("r7") number as u32,
            options(nostack),
        );
    }
    r0
}

/// Makes a system call with a raw number (for probing the kernel's checks).
#[cfg(target_os = "none")]
pub fn raw_number(number: u32, a0: u32, a1: u32) -> u32 {
    let r0: u32;
    // SAFETY: as in `raw`; unknown numbers are refused by the kernel
    // without touching memory.
    unsafe {
        core::arch::asm!(
            "svc #0",
            inout("r0") a0 => r0,
            in("r1") a1,
            in("r7") number,
            options(nostack),
        );
    }
    r0
}

/// Emits one encoded defmt frame.
#[cfg(target_os = "none")]
pub fn log(frame: &[u8]) -> Result<(), SyscallError> {
    // SAFETY: `frame` is a valid slice for reading.
    result(unsafe { raw(Syscall::Log, frame.as_ptr() as u32, frame.len() as u32) })
}

/// Lets another thread of this partition run.
#[cfg(target_os = "none")]
pub fn yield_now() {
    // SAFETY: no pointers.
    let _ = unsafe { raw(Syscall::Yield, 0, 0) };
}

/// Ends the calling thread.
#[cfg(target_os = "none")]
pub fn thread_exit() -> ! {
    // SAFETY: no pointers; the kernel never returns to an exited thread.
    unsafe { raw(Syscall::ThreadExit, 0, 0) };
    unreachable!("the kernel resumed an exited thread")
}

/// Microseconds since boot.
#[cfg(target_os = "none")]
pub fn clock_us() -> u64 {
    let mut now = 0u64;
    // SAFETY: `now` is a valid, aligned u64 for writing.
    let code = unsafe { raw(Syscall::ClockRead, &mut now as *mut u64 as u32, 0) };
    if result(code).is_ok() {
        now
    } else {
        0
    }
}

/// `clock_read` into an arbitrary address (for probing the kernel's checks).
#[cfg(target_os = "none")]
pub fn clock_read_into(address: u32) -> Result<(), SyscallError> {
    // SAFETY: the kernel checks the address; if it accepts it, it is
    // writable partition memory the probe does not otherwise use.
    result(unsafe { raw(Syscall::ClockRead, address, 0) })
}

/// `log` from an arbitrary address (for probing the kernel's checks).
#[cfg(target_os = "none")]
pub fn log_from(address: u32, len: u32) -> Result<(), SyscallError> {
    // SAFETY: the kernel only reads, and checks the range first.
    result(unsafe { raw(Syscall::Log, address, len) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_codes_map_to_errors() {
        assert_eq!(result(0), Ok(()));
        assert_eq!(result(5), Err(SyscallError::Unmapped));
        assert_eq!(result(999), Err(SyscallError::InvalidArgument));
    }
}
