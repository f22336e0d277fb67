//! The guest's system-call table: numbers, arguments, and the decoding of a
//! process's registers into a typed [`Syscall`].
//!
//! Convention (ARM EABI's): the number in `r7`, arguments in `r0`..`r3`,
//! the result back in `r0` (a negative [`Errno`](crate::Errno) on
//! failure). Decoding checks what can be checked without the process's
//! memory (known number, valid protection bits, non-negative file
//! descriptor); addresses are checked when used. Decoding must never
//! accept a number or flag it does not know.

use guest_mm::Protection;

/// The system-call numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum SyscallNumber {
    /// End the process with a status.
    Exit = 0,
    /// Write bytes to a file descriptor (1 and 2: the console).
    Write = 1,
    /// Map anonymous memory.
    Mmap = 2,
    /// Unmap memory.
    Munmap = 3,
    /// Move (or, with 0, read) the break.
    Brk = 4,
    /// Open a file by name.
    Open = 5,
    /// Read from an open file.
    Read = 6,
    /// Close an open file.
    Close = 7,
    /// The time since boot, in microseconds (low word in r0, high in r1).
    Clock = 8,
    /// Sleep for a number of microseconds.
    Sleep = 9,
    /// Give up the rest of the time slice.
    Yield = 10,
}

impl SyscallNumber {
    /// Every system call, in number order.
    pub const ALL: [SyscallNumber; 11] = [
        SyscallNumber::Exit,
        SyscallNumber::Write,
        SyscallNumber::Mmap,
        SyscallNumber::Munmap,
        SyscallNumber::Brk,
        SyscallNumber::Open,
        SyscallNumber::Read,
        SyscallNumber::Close,
        SyscallNumber::Clock,
        SyscallNumber::Sleep,
        SyscallNumber::Yield,
    ];

    /// The call with number `number`, if there is one.
    pub fn from_u32(number: u32) -> Option<SyscallNumber> {
        SyscallNumber::ALL.get(number as usize).copied()
    }
}

/// `mmap` protection bits, as a process passes them.
pub mod prot {
    /// Readable.
    pub const READ: u32 = 1;
    /// Writable.
    pub const WRITE: u32 = 2;
    /// Executable.
    pub const EXEC: u32 = 4;
}

/// A decoded system call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syscall {
    /// `exit(code)`.
    Exit {
        /// The exit status.
        code: i32,
    },
    /// `write(fd, buffer, len)`.
    Write {
        /// The file descriptor.
        fd: u32,
        /// The buffer's address in the process.
        buffer: u32,
        /// Its length.
        len: u32,
    },
    /// `mmap(len, protection)`: anonymous, placed by the kernel.
    Mmap {
        /// Bytes, rounded up to pages.
        len: u32,
        /// What the process may do with the pages.
        protection: Protection,
    },
    /// `munmap(address, len)`.
    Munmap {
        /// The first address, page aligned.
        address: u32,
        /// Bytes, rounded up to pages.
        len: u32,
    },
    /// `brk(address)`; `None` asks for the current break.
    Brk {
        /// The new break.
        address: Option<u32>,
    },
    /// `open(path, path_len)`.
    Open {
        /// The name's address in the process.
        path: u32,
        /// Its length in bytes.
        path_len: u32,
    },
    /// `read(fd, buffer, len)`.
    Read {
        /// The file descriptor.
        fd: u32,
        /// The buffer's address in the process.
        buffer: u32,
        /// Its length.
        len: u32,
    },
    /// `close(fd)`.
    Close {
        /// The file descriptor.
        fd: u32,
    },
    /// `clock()`.
    Clock,
    /// `sleep(micros)`.
    Sleep {
        /// How long.
        micros: u32,
    },
    /// `yield()`.
    Yield,
}

/// Why a process's registers are not a system call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// No system call has that number.
    UnknownNumber(u32),
    /// `mmap` protection bits that are unknown, empty, or writable and
    /// executable at once.
    BadProtection(u32),
}

impl Syscall {
    /// Decodes the call numbered `number` with arguments `args` (`r0`..`r3`).
    pub fn decode(number: u32, args: [u32; 4]) -> Result<Syscall, DecodeError> {
        let [a, b, c, _] = args;
        let call = SyscallNumber::from_u32(number).ok_or(DecodeError::UnknownNumber(number))?;
        Ok(match call {
            SyscallNumber::Exit => Syscall::Exit { code: a as i32 },
            SyscallNumber::Write => Syscall::Write {
                fd: a,
                buffer: b,
                len: c,
            },
            SyscallNumber::Mmap => Syscall::Mmap {
                len: a,
                protection: protection(b)?,
            },
            SyscallNumber::Munmap => Syscall::Munmap { address: a, len: b },
            SyscallNumber::Brk => Syscall::Brk {
                address: (a != 0).then_some(a),
            },
            SyscallNumber::Open => Syscall::Open {
                path: a,
                path_len: b,
            },
            SyscallNumber::Read => Syscall::Read {
                fd: a,
                buffer: b,
                len: c,
            },
            SyscallNumber::Close => Syscall::Close { fd: a },
            SyscallNumber::Clock => Syscall::Clock,
            SyscallNumber::Sleep => Syscall::Sleep { micros: a },
            SyscallNumber::Yield => Syscall::Yield,
        })
    }

    /// The call's number.
    pub const fn number(&self) -> SyscallNumber {
        match self {
            Syscall::Exit { .. } => SyscallNumber::Exit,
            Syscall::Write { .. } => SyscallNumber::Write,
            Syscall::Mmap { .. } => SyscallNumber::Mmap,
            Syscall::Munmap { .. } => SyscallNumber::Munmap,
            Syscall::Brk { .. } => SyscallNumber::Brk,
            Syscall::Open { .. } => SyscallNumber::Open,
            Syscall::Read { .. } => SyscallNumber::Read,
            Syscall::Close { .. } => SyscallNumber::Close,
            Syscall::Clock => SyscallNumber::Clock,
            Syscall::Sleep { .. } => SyscallNumber::Sleep,
            Syscall::Yield => SyscallNumber::Yield,
        }
    }
}

fn protection(bits: u32) -> Result<Protection, DecodeError> {
    const RW: u32 = prot::READ | prot::WRITE;
    const RX: u32 = prot::READ | prot::EXEC;
    match bits {
        prot::READ => Ok(Protection::Read),
        RW => Ok(Protection::ReadWrite),
        RX => Ok(Protection::ReadExecute),
        _ => Err(DecodeError::BadProtection(bits)),
    }
}
