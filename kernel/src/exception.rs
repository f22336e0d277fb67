//! Exceptions as the kernel sees them: which vector was taken, what mode
//! the CPU was in, and the register frame the entry code saved.
//!
//! The entry code in `arch` builds a [`TrapFrame`] on the kernel stack in
//! exactly this layout; this module only describes and decodes it (and
//! translates it to and from the register frame a guest kernel sees).

use kernel_abi::guest;

/// The vector an exception came through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum ExceptionKind {
    /// Undefined instruction.
    Undefined = 1,
    /// Supervisor call.
    SupervisorCall = 2,
    /// Prefetch abort (instruction fetch).
    PrefetchAbort = 3,
    /// Data abort.
    DataAbort = 4,
    /// Interrupt.
    Irq = 6,
    /// Fast interrupt.
    Fiq = 7,
}

impl ExceptionKind {
    /// The kind for the number the entry code passes, if valid.
    pub const fn from_vector(vector: u32) -> Option<ExceptionKind> {
        match vector {
            1 => Some(ExceptionKind::Undefined),
            2 => Some(ExceptionKind::SupervisorCall),
            3 => Some(ExceptionKind::PrefetchAbort),
            4 => Some(ExceptionKind::DataAbort),
            6 => Some(ExceptionKind::Irq),
            7 => Some(ExceptionKind::Fiq),
            _ => None,
        }
    }

    /// A short human-readable name.
    pub const fn describe(self) -> &'static str {
        match self {
            ExceptionKind::Undefined => "undefined instruction",
            ExceptionKind::SupervisorCall => "supervisor call",
            ExceptionKind::PrefetchAbort => "prefetch abort",
            ExceptionKind::DataAbort => "data abort",
            ExceptionKind::Irq => "IRQ",
            ExceptionKind::Fiq => "FIQ",
        }
    }
}

/// A processor mode, from CPSR.M.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// User (PL0).
    User,
    /// FIQ.
    Fiq,
    /// IRQ.
    Irq,
    /// Supervisor: where the kernel runs.
    Supervisor,
    /// Monitor (Security Extensions).
    Monitor,
    /// Abort.
    Abort,
    /// Hypervisor.
    Hyp,
    /// Undefined.
    Undefined,
    /// System.
    System,
    /// A reserved encoding.
    Reserved(u8),
}

impl Mode {
    /// Decodes CPSR/SPSR bits [4:0].
    pub const fn from_psr(psr: u32) -> Mode {
        match (psr & 0x1F) as u8 {
            0x10 => Mode::User,
            0x11 => Mode::Fiq,
            0x12 => Mode::Irq,
            0x13 => Mode::Supervisor,
            0x16 => Mode::Monitor,
            0x17 => Mode::Abort,
            0x1A => Mode::Hyp,
            0x1B => Mode::Undefined,
            0x1F => Mode::System,
            other => Mode::Reserved(other),
        }
    }

    /// A short human-readable name.
    pub const fn describe(self) -> &'static str {
        match self {
            Mode::User => "usr",
            Mode::Fiq => "fiq",
            Mode::Irq => "irq",
            Mode::Supervisor => "svc",
            Mode::Monitor => "mon",
            Mode::Abort => "abt",
            Mode::Hyp => "hyp",
            Mode::Undefined => "und",
            Mode::System => "sys",
            Mode::Reserved(_) => "reserved",
        }
    }
}

/// Registers saved on exception entry, lowest address first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct TrapFrame {
    /// User-mode stack pointer.
    pub sp_usr: u32,
    /// User-mode link register.
    pub lr_usr: u32,
    /// r0-r12 of the interrupted context.
    pub r: [u32; 13],
    /// Supervisor-mode link register (live if the kernel was interrupted).
    pub lr_svc: u32,
    /// Address to return to (the faulting instruction for aborts and
    /// undefined instructions).
    pub pc: u32,
    /// Saved program status register of the interrupted context.
    pub spsr: u32,
}

impl TrapFrame {
    /// The mode the exception interrupted.
    pub const fn interrupted_mode(&self) -> Mode {
        Mode::from_psr(self.spsr)
    }

    /// Whether the interrupted code ran in Thumb state.
    pub const fn thumb(&self) -> bool {
        self.spsr & (1 << 5) != 0
    }

    /// The registers a guest kernel sees of a user thread, in the order of
    /// `kernel_abi::guest`: r0-r12, sp, lr, pc, status.
    pub fn guest_registers(&self) -> [u32; REGISTER_WORDS] {
        let mut words = [0; REGISTER_WORDS];
        self.copy_guest_registers(&mut words);
        words
    }

    /// As [`TrapFrame::guest_registers`], into `words`.
    pub fn copy_guest_registers(&self, words: &mut [u32; REGISTER_WORDS]) {
        words[..13].copy_from_slice(&self.r);
        words[guest::SP] = self.sp_usr;
        words[guest::LR] = self.lr_usr;
        words[guest::PC] = self.pc;
        words[guest::PSR] = self.spsr;
    }

    /// Sets a user thread's registers from a guest kernel's `words`. Of
    /// the status word only the flags and the Thumb bit are taken
    /// ([`guest::PSR_WRITABLE`]): the thread stays in user mode with
    /// interrupts enabled, whatever the words say.
    pub fn set_guest_registers(&mut self, words: &[u32; REGISTER_WORDS]) {
        self.r.copy_from_slice(&words[..13]);
        self.sp_usr = words[guest::SP];
        self.lr_usr = words[guest::LR];
        self.pc = words[guest::PC];
        self.spsr = (words[guest::PSR] & guest::PSR_WRITABLE) | crate::thread::USER_PSR;
    }
}

/// Words of a guest thread's register frame.
pub const REGISTER_WORDS: usize = guest::REGISTER_WORDS;

/// Size the entry code reserves for a frame; the assembly relies on it.
pub const TRAP_FRAME_SIZE: usize = core::mem::size_of::<TrapFrame>();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_layout_matches_the_entry_code() {
        assert_eq!(TRAP_FRAME_SIZE, 18 * 4);
        assert_eq!(core::mem::offset_of!(TrapFrame, r), 8);
        assert_eq!(core::mem::offset_of!(TrapFrame, lr_svc), 60);
        assert_eq!(core::mem::offset_of!(TrapFrame, pc), 64);
        assert_eq!(core::mem::offset_of!(TrapFrame, spsr), 68);
    }

    #[test]
    fn a_guest_kernel_sets_registers_but_never_the_mode() {
        let mut frame = TrapFrame::default();
        let mut words: [u32; REGISTER_WORDS] = core::array::from_fn(|i| i as u32 + 100);
        words[guest::PSR] = 0xFFFF_FFFF;
        frame.set_guest_registers(&words);
        assert_eq!(
            (frame.r[12], frame.sp_usr, frame.lr_usr, frame.pc),
            (112, 113, 114, 115)
        );
        assert_eq!(frame.interrupted_mode(), Mode::User);
        assert_eq!(frame.spsr & 0xC0, 0x40, "IRQs on, FIQs masked");
        assert_eq!(
            frame.spsr & 0xF800_0020,
            0xF800_0020,
            "flags and Thumb kept"
        );
        assert_eq!(frame.spsr & (1 << 9), 0, "no big-endian data");
        let back = frame.guest_registers();
        assert_eq!(back[..16], words[..16]);
        words[guest::PSR] = 0x1F;
        frame.set_guest_registers(&words);
        assert_eq!(frame.interrupted_mode(), Mode::User, "not System mode");
    }

    #[test]
    fn modes_decode() {
        assert_eq!(Mode::from_psr(0x6000_01D3), Mode::Supervisor);
        assert_eq!(Mode::from_psr(0x10), Mode::User);
        assert_eq!(Mode::from_psr(0x1B), Mode::Undefined);
        assert_eq!(Mode::from_psr(0x05), Mode::Reserved(5));
        let frame = TrapFrame {
            spsr: 0x30,
            ..TrapFrame::default()
        };
        assert!(frame.thumb());
        assert_eq!(frame.interrupted_mode(), Mode::User);
    }

    #[test]
    fn vector_numbers_round_trip() {
        for kind in [
            ExceptionKind::Undefined,
            ExceptionKind::SupervisorCall,
            ExceptionKind::PrefetchAbort,
            ExceptionKind::DataAbort,
            ExceptionKind::Irq,
            ExceptionKind::Fiq,
        ] {
            assert_eq!(ExceptionKind::from_vector(kind as u32), Some(kind));
        }
        assert_eq!(ExceptionKind::from_vector(0), None);
        assert_eq!(ExceptionKind::from_vector(5), None);
    }
}
