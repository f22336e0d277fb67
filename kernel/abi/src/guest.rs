//! Guest address spaces and threads as a guest kernel sees them: the
//! register frame a guest thread's registers travel in, the exception
//! message the kernel sends a guest thread's exception endpoint, and the
//! reply that resumes or suspends it.
//!
//! A guest kernel (a partition with a `guest` budget in its system
//! description) holds capabilities to address spaces and threads of its
//! own. A guest thread runs in user mode in an address space the guest
//! kernel fills with `space_map`; it can make no kernel system call: its
//! `svc`, page faults and undefined instructions become a `call` on its
//! exception endpoint, with the guest thread waiting for the reply.
//!
//! The exception message:
//!
//! ```text
//! r1     header: kind (bits 7..0), access of a page fault (bits 9..8:
//!        0 read, 1 write, 2 execute), the guest thread's number in its
//!        partition (bits 31..16)
//! r2     page fault: the faulting address (DFAR or IFAR); otherwise 0
//! r3     page fault: the fault status register (DFSR or IFSR); otherwise 0
//! r4     the thread's pc (after the `svc`; at the faulting instruction)
//! r5     the badge of the exception endpoint capability
//! r6     MessageInfo: 4 words, and the IPC buffer flag when the
//!        receiving thread has an IPC buffer
//! buffer REGISTER_BYTES: the thread's registers, as REGISTER_WORDS words
//! ```
//!
//! The reply (words of a `reply_recv`):
//!
//! ```text
//! r1     ReplyAction: 0 resume, 1 leave suspended (no words: resume)
//! r2-r4  new values of the thread's r0, r1, r2, as many as the length
//!        says beyond the action word
//! buffer with the IPC buffer flag: REGISTER_BYTES of new registers,
//!        applied before the words
//! ```
//!
//! A reply that passes a capability, names another action, or carries a
//! buffer of another length is refused (`InvalidArgument`) with nothing
//! consumed. Plain data and `const fn`s only.

/// Words of a guest thread's register frame.
pub const REGISTER_WORDS: usize = 17;
/// Bytes of a guest thread's register frame.
pub const REGISTER_BYTES: u32 = REGISTER_WORDS as u32 * 4;
/// Index of `sp` in the register frame (`r0`-`r12` are 0-12).
pub const SP: usize = 13;
/// Index of `lr`.
pub const LR: usize = 14;
/// Index of `pc`.
pub const PC: usize = 15;
/// Index of the status word (CPSR).
pub const PSR: usize = 16;

/// The status bits a guest kernel may set in a thread's status word: the
/// condition flags N, Z, C, V, Q, the GE flags and the Thumb bit.
/// Everything else (the mode above all) is the kernel's: a guest thread
/// always runs in user mode with interrupts enabled.
pub const PSR_WRITABLE: u32 = 0xF80F_0020;

/// What a guest thread did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum ExceptionKind {
    /// It executed `svc`: a system call of its guest kernel's.
    Syscall = 1,
    /// A data or prefetch abort: a page fault.
    PageFault = 2,
    /// An undefined instruction.
    Undefined = 3,
}

impl ExceptionKind {
    /// The kind numbered `value`, if any.
    pub const fn from_u32(value: u32) -> Option<ExceptionKind> {
        match value {
            1 => Some(ExceptionKind::Syscall),
            2 => Some(ExceptionKind::PageFault),
            3 => Some(ExceptionKind::Undefined),
            _ => None,
        }
    }
}

/// The access that took a page fault, as the header encodes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum FaultAccess {
    /// A data read.
    Read = 0,
    /// A data write.
    Write = 1,
    /// An instruction fetch.
    Execute = 2,
}

impl FaultAccess {
    /// The access numbered `value`, if any.
    pub const fn from_u32(value: u32) -> Option<FaultAccess> {
        match value {
            0 => Some(FaultAccess::Read),
            1 => Some(FaultAccess::Write),
            2 => Some(FaultAccess::Execute),
            _ => None,
        }
    }
}

/// The first word of an exception message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExceptionHeader {
    /// What happened.
    pub kind: ExceptionKind,
    /// For a page fault, the access (`Read` otherwise).
    pub access: FaultAccess,
    /// The guest thread's number in its partition (its capability is the
    /// partition's `number`-th thread capability).
    pub thread: u16,
}

const KIND_MASK: u32 = 0xFF;
const ACCESS_SHIFT: u32 = 8;
const THREAD_SHIFT: u32 = 16;

impl ExceptionHeader {
    /// Encodes for `r1`.
    pub const fn encode(self) -> u32 {
        self.kind as u32
            | (self.access as u32) << ACCESS_SHIFT
            | (self.thread as u32) << THREAD_SHIFT
    }

    /// Decodes `r1`; `None` for an unknown kind or access, or stray bits.
    pub const fn decode(value: u32) -> Option<ExceptionHeader> {
        if value & !(KIND_MASK | 0b11 << ACCESS_SHIFT | 0xFFFF << THREAD_SHIFT) != 0 {
            return None;
        }
        let Some(kind) = ExceptionKind::from_u32(value & KIND_MASK) else {
            return None;
        };
        let Some(access) = FaultAccess::from_u32((value >> ACCESS_SHIFT) & 0b11) else {
            return None;
        };
        Some(ExceptionHeader {
            kind,
            access,
            thread: (value >> THREAD_SHIFT) as u16,
        })
    }
}

/// What the reply to an exception does with the guest thread (its first
/// word).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum ReplyAction {
    /// It runs again, with the registers the reply gives.
    Resume = 0,
    /// It stays suspended (with the registers the reply gives) until
    /// `thread_resume`.
    Suspend = 1,
}

impl ReplyAction {
    /// The action numbered `value`, if any.
    pub const fn from_u32(value: u32) -> Option<ReplyAction> {
        match value {
            0 => Some(ReplyAction::Resume),
            1 => Some(ReplyAction::Suspend),
            _ => None,
        }
    }
}

/// How many of the thread's registers (`r0` on) a reply sets from its
/// words after the action word.
pub const REPLY_REGISTERS: usize = 3;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip_and_junk_is_refused() {
        let header = ExceptionHeader {
            kind: ExceptionKind::PageFault,
            access: FaultAccess::Execute,
            thread: 0xBEEF,
        };
        assert_eq!(header.encode(), 2 | 2 << 8 | 0xBEEF << 16);
        assert_eq!(ExceptionHeader::decode(header.encode()), Some(header));
        assert_eq!(ExceptionHeader::decode(0), None, "no kind 0");
        assert_eq!(ExceptionHeader::decode(4), None, "no kind 4");
        assert_eq!(ExceptionHeader::decode(1 | 3 << 8), None, "no access 3");
        assert_eq!(ExceptionHeader::decode(1 | 1 << 12), None, "stray bit");
        for kind in [
            ExceptionKind::Syscall,
            ExceptionKind::PageFault,
            ExceptionKind::Undefined,
        ] {
            assert_eq!(ExceptionKind::from_u32(kind as u32), Some(kind));
        }
    }

    #[test]
    fn reply_actions_and_the_register_frame() {
        assert_eq!(ReplyAction::from_u32(0), Some(ReplyAction::Resume));
        assert_eq!(ReplyAction::from_u32(1), Some(ReplyAction::Suspend));
        assert_eq!(ReplyAction::from_u32(2), None);
        assert_eq!(REGISTER_BYTES, 68);
        assert_eq!(PSR, REGISTER_WORDS - 1);
        assert_eq!(PSR_WRITABLE & 0x1F, 0, "the mode is never the guest's");
        assert_eq!(PSR_WRITABLE & 0xC0, 0, "nor the interrupt masks");
    }
}
