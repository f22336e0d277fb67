//! For guest kernels: safe wrappers for the address-space and thread
//! calls, and the decoding of exception messages into [`Exception`].
//!
//! A guest kernel holds capabilities to [`AddressSpace`]s and
//! [`GuestThread`]s (from its `guest` budget in the system description,
//! in consecutive slots). It fills an address space with frames it holds
//! ([`AddressSpace::map`]), binds a thread to it and to an exception
//! endpoint, sets its registers and resumes it. Whatever the thread then
//! does that needs its kernel — a system call, a page fault, an undefined
//! instruction — arrives on the exception endpoint as a message that
//! [`ExceptionMessage::decode`] turns into an [`Exception`]; the answer
//! ([`Resume`]) is the reply. The layouts are `kernel_abi::guest`'s.
//! Nothing here keeps state: it only moves words to and from registers.

use kernel_abi::cap::Rights;
use kernel_abi::guest::{ExceptionHeader, ExceptionKind, PSR, REGISTER_BYTES, REPLY_REGISTERS};
pub use kernel_abi::guest::{FaultAccess, ReplyAction, REGISTER_WORDS};
#[cfg(target_os = "none")]
use kernel_abi::syscall::Syscall;
#[cfg(target_os = "none")]
use kernel_abi::syscall::SyscallError;

use crate::ipc::Message;

/// A guest thread's registers: `r0`-`r12`, `sp`, `lr`, `pc`, `cpsr`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Registers(pub [u32; REGISTER_WORDS]);

impl Registers {
    /// Registers that start a thread at `pc` with stack `sp` and `r0` =
    /// `argument`, in ARM state (the kernel keeps the mode user).
    pub fn start(pc: u32, sp: u32, argument: u32) -> Registers {
        let mut r = [0; REGISTER_WORDS];
        r[0] = argument;
        r[kernel_abi::guest::SP] = sp;
        r[kernel_abi::guest::PC] = pc;
        Registers(r)
    }

    /// The program counter.
    pub fn pc(&self) -> u32 {
        self.0[kernel_abi::guest::PC]
    }

    /// The stack pointer.
    pub fn sp(&self) -> u32 {
        self.0[kernel_abi::guest::SP]
    }

    /// The status word.
    pub fn psr(&self) -> u32 {
        self.0[PSR]
    }

    /// As little-endian bytes (the IPC buffer's layout).
    pub fn to_bytes(&self) -> [u8; REGISTER_BYTES as usize] {
        let mut bytes = [0; REGISTER_BYTES as usize];
        for (chunk, word) in bytes.chunks_exact_mut(4).zip(self.0) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        bytes
    }

    /// From little-endian bytes; `None` unless exactly
    /// [`REGISTER_BYTES`] of them.
    pub fn from_bytes(bytes: &[u8]) -> Option<Registers> {
        if bytes.len() != REGISTER_BYTES as usize {
            return None;
        }
        let mut r = [0; REGISTER_WORDS];
        for (word, chunk) in r.iter_mut().zip(bytes.chunks_exact(4)) {
            *word = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        }
        Some(Registers(r))
    }
}

/// What a guest thread did, as its guest kernel needs to know it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exception {
    /// It executed `svc`: a system call of the guest kernel's, its
    /// number in `r7` and arguments in `r0`-`r5` (zero when the message
    /// came without registers).
    Syscall { number: u32, args: [u32; 6] },
    /// It touched `address` in a way its address space does not allow.
    PageFault {
        address: u32,
        access: FaultAccess,
        /// The raw fault status register (DFSR or IFSR).
        status: u32,
    },
    /// It executed an undefined instruction at `pc`.
    Undefined { pc: u32 },
}

/// A decoded exception message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExceptionMessage {
    /// Which of the partition's guest threads took it (its number: the
    /// `thread`-th thread capability of the budget).
    pub thread: u16,
    /// What happened.
    pub exception: Exception,
    /// The thread's `pc`: after the `svc`, or at the faulting
    /// instruction.
    pub pc: u32,
    /// Its registers, when the message carried them (the receiving
    /// thread has an IPC buffer).
    pub registers: Option<Registers>,
}

/// Why a message is not an exception message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotAnException {
    /// Fewer than four words.
    TooShort,
    /// The header word is not one the kernel sends.
    BadHeader,
}

impl ExceptionMessage {
    /// Decodes `message` (received on an exception endpoint), with the
    /// registers its IPC buffer carried if it carried them.
    pub fn decode(
        message: &Message,
        registers: Option<Registers>,
    ) -> Result<ExceptionMessage, NotAnException> {
        if message.len < 4 {
            return Err(NotAnException::TooShort);
        }
        let [header, address, status, pc] = message.words;
        let header = ExceptionHeader::decode(header).ok_or(NotAnException::BadHeader)?;
        let exception = match header.kind {
            ExceptionKind::Syscall => {
                let r = registers.map_or([0; REGISTER_WORDS], |r| r.0);
                Exception::Syscall {
                    number: r[7],
                    args: [r[0], r[1], r[2], r[3], r[4], r[5]],
                }
            }
            ExceptionKind::PageFault => Exception::PageFault {
                address,
                access: header.access,
                status,
            },
            ExceptionKind::Undefined => Exception::Undefined { pc },
        };
        Ok(ExceptionMessage {
            thread: header.thread,
            exception,
            pc,
            registers,
        })
    }
}

/// The answer to an exception: what the reply's words say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resume {
    /// Run on, with `r0`.. set to `results` (at most three: a system
    /// call's results), everything else unchanged.
    With {
        results: [u32; REPLY_REGISTERS],
        count: u8,
    },
    /// Stay suspended until `thread_resume`.
    Suspend,
}

impl Resume {
    /// Run on unchanged (a page fault fixed by mapping the page).
    pub const UNCHANGED: Resume = Resume::With {
        results: [0; REPLY_REGISTERS],
        count: 0,
    };

    /// Run on with `r0` = `value` (a system call's result).
    pub const fn returning(value: u32) -> Resume {
        Resume::With {
            results: [value, 0, 0],
            count: 1,
        }
    }

    /// The reply's words and how many of them count.
    pub fn words(self) -> ([u32; 4], usize) {
        match self {
            Resume::With { results, count } => {
                let count = usize::from(count).min(REPLY_REGISTERS);
                let mut words = [ReplyAction::Resume as u32, 0, 0, 0];
                words[1..1 + count].copy_from_slice(&results[..count]);
                (words, 1 + count)
            }
            Resume::Suspend => ([ReplyAction::Suspend as u32, 0, 0, 0], 1),
        }
    }
}

/// How a frame is mapped into a guest address space: never writable and
/// executable at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapRights {
    /// Read only.
    Read,
    /// Read and write.
    ReadWrite,
    /// Read and execute.
    ReadExecute,
}

impl MapRights {
    /// The rights word of `space_map`.
    pub fn bits(self) -> u32 {
        match self {
            MapRights::Read => Rights::READ,
            MapRights::ReadWrite => Rights::READ.union(Rights::WRITE),
            MapRights::ReadExecute => Rights::READ.union(Rights::EXECUTE),
        }
        .bits()
    }
}

/// An address-space capability in this partition's capability space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddressSpace(pub u16);

/// A guest-thread capability in this partition's capability space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuestThread(pub u16);

/// Makes a system call with up to four arguments; returns `r0`.
///
/// # Safety
///
/// Pointer arguments must be valid for what the call does with them.
#[cfg(target_os = "none")]
unsafe fn call4(number: Syscall, a: [u32; 4]) -> u32 {
    let r0: u32;
    // SAFETY: `svc #0` enters the kernel, which preserves every register
    // but r0 for these calls; the caller vouches for the arguments.
    unsafe {
        core::arch::asm!(
            "svc #0",
            inout("r0") a[0] => r0,
            in("r1") a[1],
            in("r2") a[2],
            in("r3") a[3],
            in("r7") number as u32,
            options(nostack),
        );
    }
    r0
}

#[cfg(target_os = "none")]
fn call(number: Syscall, a: [u32; 4]) -> Result<(), SyscallError> {
    // SAFETY: only for calls whose arguments are not pointers.
    crate::syscall::result(unsafe { call4(number, a) })
}

#[cfg(target_os = "none")]
impl AddressSpace {
    /// Maps the whole frame capability `frame` at page-aligned `address`
    /// with `rights`. The capability is then in use (one mapping at a
    /// time); deleting or revoking it unmaps.
    pub fn map(
        self,
        frame: crate::ipc::Frame,
        address: u32,
        rights: MapRights,
    ) -> Result<(), SyscallError> {
        let args = [
            u32::from(self.0),
            u32::from(frame.0),
            address,
            rights.bits(),
        ];
        call(Syscall::SpaceMap, args)
    }

    /// Unmaps every mapping in the `pages` pages from `address`.
    pub fn unmap(self, address: u32, pages: u32) -> Result<(), SyscallError> {
        call(Syscall::SpaceUnmap, [u32::from(self.0), address, pages, 0])
    }

    /// Removes every mapping and gives the page tables back.
    pub fn reset(self) -> Result<(), SyscallError> {
        call(Syscall::SpaceReset, [u32::from(self.0), 0, 0, 0])
    }
}

#[cfg(target_os = "none")]
impl GuestThread {
    /// Binds the (suspended) thread to `space`, its exceptions going to
    /// the endpoint capability in slot `exceptions`.
    pub fn bind(self, space: AddressSpace, exceptions: u16) -> Result<(), SyscallError> {
        let args = [
            u32::from(self.0),
            u32::from(space.0),
            u32::from(exceptions),
            0,
        ];
        call(Syscall::ThreadBind, args)
    }

    /// Sets its priority (at most the partition's own threads' highest).
    pub fn set_priority(self, priority: u8) -> Result<(), SyscallError> {
        let args = [u32::from(self.0), u32::from(priority), 0, 0];
        call(Syscall::ThreadSetPriority, args)
    }

    /// Its saved registers.
    pub fn registers(self) -> Result<Registers, SyscallError> {
        let mut registers = Registers::default();
        let out = registers.0.as_mut_ptr() as u32;
        // SAFETY: `registers` is REGISTER_BYTES of writable, aligned
        // memory this function owns.
        crate::syscall::result(unsafe {
            call4(Syscall::ThreadReadRegisters, [u32::from(self.0), out, 0, 0])
        })?;
        Ok(registers)
    }

    /// Replaces its registers (it must be suspended).
    pub fn set_registers(self, registers: &Registers) -> Result<(), SyscallError> {
        let from = registers.0.as_ptr() as u32;
        // SAFETY: the kernel only reads the REGISTER_BYTES at `from`.
        crate::syscall::result(unsafe {
            call4(
                Syscall::ThreadWriteRegisters,
                [u32::from(self.0), from, 0, 0],
            )
        })
    }

    /// Lets it run.
    pub fn resume(self) -> Result<(), SyscallError> {
        call(Syscall::ThreadResume, [u32::from(self.0), 0, 0, 0])
    }

    /// Stops it (an exception it waits on is abandoned).
    pub fn suspend(self) -> Result<(), SyscallError> {
        call(Syscall::ThreadSuspend, [u32::from(self.0), 0, 0, 0])
    }
}

#[cfg(target_os = "none")]
impl crate::ipc::IpcBuffer {
    /// The registers the last exception message left in this buffer.
    pub fn registers(&mut self) -> Option<Registers> {
        let page = self.page();
        let len = u32::from_le_bytes([page[0], page[1], page[2], page[3]]);
        if len != REGISTER_BYTES {
            return None;
        }
        Registers::from_bytes(&page[4..4 + REGISTER_BYTES as usize])
    }

    /// Puts `registers` in the buffer, for a reply that carries it.
    pub fn set_registers(&mut self, registers: &Registers) {
        let page = self.page();
        page[..4].copy_from_slice(&REGISTER_BYTES.to_le_bytes());
        page[4..4 + REGISTER_BYTES as usize].copy_from_slice(&registers.to_bytes());
    }
}

#[cfg(target_os = "none")]
impl crate::ipc::Endpoint {
    /// Answers the exception being served as `resume` says, then waits for
    /// the next message on this (exception) endpoint.
    pub fn reply_exception(self, resume: Resume) -> Result<Message, SyscallError> {
        let (words, len) = resume.words();
        self.reply_recv(&words[..len])
    }

    /// Answers the exception being served by resuming the thread with
    /// `registers` (put in this thread's IPC buffer, which the reply
    /// carries), then waits for the next message.
    pub fn reply_exception_with(
        self,
        buffer: &mut crate::ipc::IpcBuffer,
        registers: &Registers,
    ) -> Result<Message, SyscallError> {
        buffer.set_registers(registers);
        self.reply_recv_with(&[ReplyAction::Resume as u32], crate::ipc::Carry::BUFFER)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(words: [u32; 4], len: u8) -> Message {
        Message {
            words,
            len,
            ..Message::default()
        }
    }

    fn header(kind: ExceptionKind, access: FaultAccess, thread: u16) -> u32 {
        ExceptionHeader {
            kind,
            access,
            thread,
        }
        .encode()
    }

    #[test]
    fn a_system_call_decodes_its_number_and_arguments_from_the_registers() {
        let mut r = [0; REGISTER_WORDS];
        for (i, word) in r.iter_mut().enumerate() {
            *word = 100 + i as u32;
        }
        let words = [
            header(ExceptionKind::Syscall, FaultAccess::Read, 3),
            0,
            0,
            0x10_0104,
        ];
        let decoded = ExceptionMessage::decode(&message(words, 4), Some(Registers(r))).unwrap();
        assert_eq!(decoded.thread, 3);
        assert_eq!(decoded.pc, 0x10_0104);
        assert_eq!(
            decoded.exception,
            Exception::Syscall {
                number: 107,
                args: [100, 101, 102, 103, 104, 105]
            }
        );
        let bare = ExceptionMessage::decode(&message(words, 4), None).unwrap();
        assert_eq!(
            bare.exception,
            Exception::Syscall {
                number: 0,
                args: [0; 6]
            }
        );
    }

    #[test]
    fn faults_and_undefined_instructions_decode_and_junk_is_refused() {
        let fault = [
            header(ExceptionKind::PageFault, FaultAccess::Write, 1),
            0x2000_0010,
            0x80F,
            0x10_0040,
        ];
        assert_eq!(
            ExceptionMessage::decode(&message(fault, 4), None)
                .unwrap()
                .exception,
            Exception::PageFault {
                address: 0x2000_0010,
                access: FaultAccess::Write,
                status: 0x80F
            }
        );
        let undefined = [
            header(ExceptionKind::Undefined, FaultAccess::Read, 0),
            0,
            0,
            0x10_0200,
        ];
        assert_eq!(
            ExceptionMessage::decode(&message(undefined, 4), None)
                .unwrap()
                .exception,
            Exception::Undefined { pc: 0x10_0200 }
        );
        assert_eq!(
            ExceptionMessage::decode(&message(undefined, 3), None),
            Err(NotAnException::TooShort)
        );
        assert_eq!(
            ExceptionMessage::decode(&message([0, 0, 0, 0], 4), None),
            Err(NotAnException::BadHeader)
        );
    }

    #[test]
    fn replies_and_register_frames_have_the_abi_layout() {
        assert_eq!(Resume::UNCHANGED.words(), ([0, 0, 0, 0], 1));
        assert_eq!(Resume::returning(42).words(), ([0, 42, 0, 0], 2));
        assert_eq!(Resume::Suspend.words(), ([1, 0, 0, 0], 1));
        let start = Registers::start(0x10_0000, 0x20_0000, 5);
        assert_eq!(
            (start.pc(), start.sp(), start.0[0]),
            (0x10_0000, 0x20_0000, 5)
        );
        let bytes = start.to_bytes();
        assert_eq!(Registers::from_bytes(&bytes), Some(start));
        assert_eq!(Registers::from_bytes(&bytes[..64]), None);
        assert_eq!(MapRights::ReadExecute.bits(), 0b1001);
        assert_ne!(
            MapRights::ReadWrite.bits() & Rights::EXECUTE.bits(),
            Rights::EXECUTE.bits()
        );
    }
}
