//! The guest OS's system calls, as a program makes them: the number in
//! `r7`, arguments in `r0`..`r2`, `svc 0`, the result in `r0` (negative
//! is an error number). The numbers are guest-process's table (a host
//! test checks they agree). On the host there is no guest kernel; the
//! calls exist only for the target.

/// The system-call numbers (guest-process's `SyscallNumber`).
pub mod number {
    /// `exit(code)`.
    pub const EXIT: u32 = 0;
    /// `write(fd, buffer, len)`.
    pub const WRITE: u32 = 1;
    /// `mmap(len, protection)`.
    pub const MMAP: u32 = 2;
    /// `munmap(address, len)`.
    pub const MUNMAP: u32 = 3;
    /// `brk(address)`.
    pub const BRK: u32 = 4;
    /// `open(path, path_len)`.
    pub const OPEN: u32 = 5;
    /// `read(fd, buffer, len)`.
    pub const READ: u32 = 6;
    /// `close(fd)`.
    pub const CLOSE: u32 = 7;
    /// `clock()`.
    pub const CLOCK: u32 = 8;
    /// `sleep(micros)`.
    pub const SLEEP: u32 = 9;
    /// `yield()`.
    pub const YIELD: u32 = 10;
}

/// `mmap` protection: read and write.
pub const PROT_READ_WRITE: u32 = 3;

/// The console's file descriptor.
pub const STDOUT: u32 = 1;

#[cfg(target_os = "none")]
fn call(number: u32, a: u32, b: u32, c: u32) -> i32 {
    let result: u32;
    // SAFETY: `svc 0` traps to the guest kernel (through the separation
    // kernel's exception IPC), which reads r0-r2 and r7 and writes only
    // r0 and r1 back; no memory of ours is touched except what the
    // arguments name, which the callers pass as valid buffers.
    unsafe {
        core::arch::asm!(
            "svc 0",
            in("r7") number,
            inout("r0") a => result,
            in("r1") b,
            in("r2") c,
            lateout("r1") _,
            options(nostack),
        );
    }
    result as i32
}

/// Ends the process with `code`.
#[cfg(target_os = "none")]
pub fn exit(code: i32) -> ! {
    loop {
        call(number::EXIT, code as u32, 0, 0);
    }
}

/// Writes `bytes` to the console; the count written or a negative error.
#[cfg(target_os = "none")]
pub fn write(bytes: &[u8]) -> i32 {
    call(
        number::WRITE,
        STDOUT,
        bytes.as_ptr() as u32,
        bytes.len() as u32,
    )
}

/// Maps `len` bytes of demand-zero read/write memory; its address, or
/// `None` if the guest kernel refused.
#[cfg(target_os = "none")]
pub fn mmap(len: u32) -> Option<u32> {
    let result = call(number::MMAP, len, PROT_READ_WRITE, 0);
    (result > 0).then_some(result as u32)
}

/// Unmaps `len` bytes at `address`; 0 or a negative error.
#[cfg(target_os = "none")]
pub fn munmap(address: u32, len: u32) -> i32 {
    call(number::MUNMAP, address, len, 0)
}

/// Gives up the rest of the time slice.
#[cfg(target_os = "none")]
pub fn yield_now() {
    call(number::YIELD, 0, 0, 0);
}

/// Opens the guest file called `name`; its descriptor, or a negative
/// error.
#[cfg(target_os = "none")]
pub fn open(name: &[u8]) -> i32 {
    call(number::OPEN, name.as_ptr() as u32, name.len() as u32, 0)
}

/// Reads from open file `fd` into `buffer`; how many bytes (0 at the
/// end), or a negative error.
#[cfg(target_os = "none")]
pub fn read(fd: u32, buffer: &mut [u8]) -> i32 {
    call(
        number::READ,
        fd,
        buffer.as_mut_ptr() as u32,
        buffer.len() as u32,
    )
}

/// Closes open file `fd`; 0 or a negative error.
#[cfg(target_os = "none")]
pub fn close(fd: u32) -> i32 {
    call(number::CLOSE, fd, 0, 0)
}

/// Sleeps at least `micros` microseconds (other processes run).
#[cfg(target_os = "none")]
pub fn sleep(micros: u32) {
    call(number::SLEEP, micros, 0, 0);
}
