//! Serving a guest process: what the guest kernel answers to each thing a
//! process running on the CPU does that needs its kernel — a system call
//! (guest-process's table; the file calls in [`file_calls`]), a page fault
//! (memory management's), an undefined instruction — as the kernel's
//! exception IPC delivers them.
//!
//! The answer is a value: run on with results, sleep until a time, the
//! process exited, or the process is killed (a fault outside its areas or against their
//! protection, an undefined instruction, memory that cannot be made
//! resident). Nothing a process passes can make this panic or touch
//! memory that is not its own: buffers go through the fault path.

use guest_mm::{Access, AddressSpaceOps, ProcessId, VmError};
use guest_process::{Errno, ProcessTable, Syscall};

use crate::file_calls::{self, Caller};
use crate::machine::Machine;

/// What the process did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// `svc`: the number from `r7`, arguments from `r0`-`r3`.
    Syscall {
        /// The number.
        number: u32,
        /// The arguments.
        args: [u32; 4],
    },
    /// A page fault.
    PageFault {
        /// The address touched.
        address: u32,
        /// How.
        access: Access,
    },
    /// An undefined instruction at `pc`.
    Undefined {
        /// Where.
        pc: u32,
    },
}

/// Why a process was killed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kill {
    /// A page fault memory management would not (or could not) serve.
    Fault {
        /// The address touched.
        address: u32,
        /// Memory management's reason.
        error: VmError,
    },
    /// An undefined instruction.
    Undefined {
        /// Where.
        pc: u32,
    },
}

/// The guest kernel's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Run on; a system call's result in `r0` (`None`: registers
    /// unchanged, a fault served).
    Resume(Option<u32>),
    /// Run on with the clock, low word in `r0` and high in `r1`.
    ResumeClock(u64),
    /// Let others run, then run on with `r0` = 0.
    Yield,
    /// Do not run it before the clock reads `until` (microseconds since
    /// boot), then run on with `r0` = 0.
    Sleep {
        /// When it may run again.
        until: u64,
    },
    /// The process called `exit`.
    Exited(i32),
    /// The process is killed.
    Killed(Kill),
}

/// What the guest kernel offers besides memory management: the console,
/// the clock, and the processes' program images.
pub trait Host {
    /// Writes `text` from `process` to the console.
    fn write(&mut self, process: ProcessId, text: &[u8]);
    /// Microseconds since boot.
    fn now_us(&mut self) -> u64;
    /// Copies `out.len()` bytes of `process`'s read-only program image
    /// (text and constants, which the guest kernel maps itself, outside
    /// memory management) from `address`; false, with `out` undefined,
    /// unless every byte is in its image.
    fn copy_from_image(&mut self, process: ProcessId, address: u32, out: &mut [u8]) -> bool;
}

/// Copies a system call's input buffer of `process` at `address` into
/// `out`: from its memory (faulting pages in as the process would) or,
/// where it has no area, from its program image (a string constant). A
/// buffer that is in neither, or straddles the two, is `EFAULT`.
pub fn copy_in<S: AddressSpaceOps>(
    machine: &mut Machine<'_, S>,
    host: &mut dyn Host,
    process: ProcessId,
    address: u32,
    out: &mut [u8],
) -> Result<(), Errno> {
    match machine.copy_from_user(process, address, out) {
        Ok(()) => Ok(()),
        Err(VmError::Segfault { .. }) if host.copy_from_image(process, address, out) => Ok(()),
        Err(error) => Err(Errno::from(error)),
    }
}

/// The most bytes one `write` copies (the rest is not written; the
/// result says how many were).
pub const WRITE_MAX: usize = 128;

/// Serves `event` of `caller`, whose open files `table` holds.
pub fn serve<S: AddressSpaceOps>(
    machine: &mut Machine<'_, S>,
    table: &mut ProcessTable,
    caller: Caller,
    event: Event,
    host: &mut dyn Host,
) -> Answer {
    let process = caller.space;
    match event {
        Event::PageFault { address, access } => match machine.fault(process, address, access) {
            Ok(_) => Answer::Resume(None),
            Err(error) => Answer::Killed(Kill::Fault { address, error }),
        },
        Event::Undefined { pc } => Answer::Killed(Kill::Undefined { pc }),
        Event::Syscall { number, args } => match Syscall::decode(number, args) {
            Ok(call) => syscall(machine, table, caller, call, host),
            Err(error) => Answer::Resume(Some(Errno::from(error).encode())),
        },
    }
}

fn syscall<S: AddressSpaceOps>(
    machine: &mut Machine<'_, S>,
    table: &mut ProcessTable,
    caller: Caller,
    call: Syscall,
    host: &mut dyn Host,
) -> Answer {
    let process = caller.space;
    let result = match call {
        Syscall::Exit { code } => return Answer::Exited(code),
        Syscall::Clock => return Answer::ResumeClock(host.now_us()),
        Syscall::Yield => return Answer::Yield,
        Syscall::Write { fd, buffer, len } => write(machine, process, fd, buffer, len, host),
        Syscall::Mmap { len, protection } => machine
            .mmap_bytes(process, len, protection)
            .map_err(Errno::from),
        Syscall::Munmap { address, len } => machine
            .munmap_bytes(process, address, len)
            .map(|()| 0)
            .map_err(Errno::from),
        Syscall::Brk { address } => machine.brk(process, address).map_err(Errno::from),
        Syscall::Open { path, path_len } => {
            file_calls::open(machine, table, caller, path, path_len, host)
        }
        Syscall::Read { fd, buffer, len } => {
            file_calls::read(machine, table, caller, fd, buffer, len)
        }
        Syscall::Close { fd } => file_calls::close(table, caller, fd),
        Syscall::Sleep { micros } => {
            return Answer::Sleep {
                until: host.now_us().saturating_add(u64::from(micros)),
            }
        }
    };
    Answer::Resume(Some(match result {
        Ok(value) => value,
        Err(errno) => errno.encode(),
    }))
}

fn write<S: AddressSpaceOps>(
    machine: &mut Machine<'_, S>,
    process: ProcessId,
    fd: u32,
    buffer: u32,
    len: u32,
    host: &mut dyn Host,
) -> Result<u32, Errno> {
    if fd != 1 && fd != 2 {
        return Err(Errno::BadFd);
    }
    let count = (len as usize).min(WRITE_MAX);
    let mut text = [0u8; WRITE_MAX];
    copy_in(machine, host, process, buffer, &mut text[..count])?;
    host.write(process, &text[..count]);
    Ok(count as u32)
}
