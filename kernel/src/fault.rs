//! Decoding of the short-descriptor fault status registers (DFSR, IFSR).
//!
//! Encodings from the ARMv7-A/R Architecture Reference Manual, B3.13.3
//! "Fault Status Register encodings for the Short-descriptor format". This
//! module only interprets numbers; it never reads a register.

use bitflags::bitflags;

bitflags! {
    /// The fault status bits outside the FS field.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct FsrBits: u32 {
        /// FS[4].
        const FS4 = 1 << 10;
        /// Write not read (DFSR only).
        const WNR = 1 << 11;
        /// External abort type.
        const EXT = 1 << 12;
    }
}

/// Translation-table level a fault was found at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// First level (section or page-table pointer).
    First,
    /// Second level (page).
    Second,
}

/// What went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// Unaligned access with alignment checking on.
    Alignment,
    /// Debug event.
    Debug,
    /// Access flag fault.
    AccessFlag(Level),
    /// Cache maintenance instruction fault.
    CacheMaintenance,
    /// No valid translation.
    Translation(Level),
    /// Domain says no access.
    Domain(Level),
    /// Access permissions forbid it.
    Permission(Level),
    /// Synchronous external abort on a translation table walk.
    ExternalOnWalk(Level),
    /// Synchronous parity/ECC error on a translation table walk.
    ParityOnWalk(Level),
    /// Synchronous external abort.
    SyncExternal,
    /// Asynchronous external abort.
    AsyncExternal,
    /// Synchronous parity/ECC error on a memory access.
    SyncParity,
    /// Asynchronous parity/ECC error.
    AsyncParity,
    /// An encoding the architecture reserves.
    Reserved(u8),
}

impl FaultKind {
    /// A short human-readable name.
    pub const fn describe(self) -> &'static str {
        match self {
            FaultKind::Alignment => "alignment fault",
            FaultKind::Debug => "debug event",
            FaultKind::AccessFlag(Level::First) => "access flag fault (section)",
            FaultKind::AccessFlag(Level::Second) => "access flag fault (page)",
            FaultKind::CacheMaintenance => "cache maintenance fault",
            FaultKind::Translation(Level::First) => "translation fault (section)",
            FaultKind::Translation(Level::Second) => "translation fault (page)",
            FaultKind::Domain(Level::First) => "domain fault (section)",
            FaultKind::Domain(Level::Second) => "domain fault (page)",
            FaultKind::Permission(Level::First) => "permission fault (section)",
            FaultKind::Permission(Level::Second) => "permission fault (page)",
            FaultKind::ExternalOnWalk(_) => "external abort on table walk",
            FaultKind::ParityOnWalk(_) => "parity error on table walk",
            FaultKind::SyncExternal => "synchronous external abort",
            FaultKind::AsyncExternal => "asynchronous external abort",
            FaultKind::SyncParity => "synchronous parity error",
            FaultKind::AsyncParity => "asynchronous parity error",
            FaultKind::Reserved(_) => "reserved fault status",
        }
    }
}

/// The access that faulted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessKind {
    /// A data read.
    Read,
    /// A data write.
    Write,
    /// An instruction fetch.
    Execute,
}

impl AccessKind {
    /// A short human-readable name.
    pub const fn describe(self) -> &'static str {
        match self {
            AccessKind::Read => "read",
            AccessKind::Write => "write",
            AccessKind::Execute => "execute",
        }
    }
}

/// A decoded abort. Kept to 8 bytes (a fault travels in every thread's
/// control block and is copied on the fault paths): the kind is decoded
/// from the status when asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    /// The faulting virtual address (DFAR or IFAR).
    pub address: u32,
    /// The fault status register (DFSR or IFSR), bits 15..0 — every
    /// defined bit of the short-descriptor format — as a guest kernel is
    /// told it.
    pub status: u16,
    /// The access that caused it.
    pub access: AccessKind,
}

impl Fault {
    /// Decodes a data abort from DFSR and DFAR.
    pub const fn data_abort(dfsr: u32, dfar: u32) -> Fault {
        let write = dfsr & FsrBits::WNR.bits() != 0;
        Fault {
            access: if write {
                AccessKind::Write
            } else {
                AccessKind::Read
            },
            address: dfar,
            status: dfsr as u16,
        }
    }

    /// Decodes a prefetch abort from IFSR and IFAR.
    pub const fn prefetch_abort(ifsr: u32, ifar: u32) -> Fault {
        Fault {
            access: AccessKind::Execute,
            address: ifar,
            status: ifsr as u16,
        }
    }

    /// What went wrong.
    pub const fn kind(&self) -> FaultKind {
        decode_status(self.status as u32)
    }
}

/// The FS field: FSR[10] and FSR[3:0].
const fn status_field(fsr: u32) -> u8 {
    (((fsr >> 6) & 0x10) | (fsr & 0xF)) as u8
}

/// Decodes the FS field of a DFSR or IFSR value.
pub const fn decode_status(fsr: u32) -> FaultKind {
    use FaultKind::*;
    use Level::*;
    match status_field(fsr) {
        0b00001 => Alignment,
        0b00010 => Debug,
        0b00011 => AccessFlag(First),
        0b00110 => AccessFlag(Second),
        0b00100 => CacheMaintenance,
        0b00101 => Translation(First),
        0b00111 => Translation(Second),
        0b01001 => Domain(First),
        0b01011 => Domain(Second),
        0b01101 => Permission(First),
        0b01111 => Permission(Second),
        0b01100 => ExternalOnWalk(First),
        0b01110 => ExternalOnWalk(Second),
        0b11100 => ParityOnWalk(First),
        0b11110 => ParityOnWalk(Second),
        0b01000 => SyncExternal,
        0b10110 => AsyncExternal,
        0b11001 => SyncParity,
        0b11000 => AsyncParity,
        other => Reserved(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_every_defined_status() {
        let cases = [
            (0b0_0001, FaultKind::Alignment),
            (0b0_0010, FaultKind::Debug),
            (0b0_0011, FaultKind::AccessFlag(Level::First)),
            (0b0_0110, FaultKind::AccessFlag(Level::Second)),
            (0b0_0100, FaultKind::CacheMaintenance),
            (0b0_0101, FaultKind::Translation(Level::First)),
            (0b0_0111, FaultKind::Translation(Level::Second)),
            (0b0_1001, FaultKind::Domain(Level::First)),
            (0b0_1011, FaultKind::Domain(Level::Second)),
            (0b0_1101, FaultKind::Permission(Level::First)),
            (0b0_1111, FaultKind::Permission(Level::Second)),
            (0b0_1100, FaultKind::ExternalOnWalk(Level::First)),
            (0b0_1110, FaultKind::ExternalOnWalk(Level::Second)),
            (0b1_1100, FaultKind::ParityOnWalk(Level::First)),
            (0b1_1110, FaultKind::ParityOnWalk(Level::Second)),
            (0b0_1000, FaultKind::SyncExternal),
            (0b1_0110, FaultKind::AsyncExternal),
            (0b1_1001, FaultKind::SyncParity),
            (0b1_1000, FaultKind::AsyncParity),
        ];
        for (fs, kind) in cases {
            let fsr = ((fs & 0x10) << 6) | (fs & 0xF);
            assert_eq!(decode_status(fsr), kind, "FS={fs:#07b}");
        }
        assert_eq!(decode_status(0), FaultKind::Reserved(0));
        assert_eq!(decode_status(1 << 10), FaultKind::Reserved(0x10));
    }

    #[test]
    fn data_abort_reads_write_bit_and_ignores_other_high_bits() {
        let fault = Fault::data_abort(0x805 | (1 << 12) | (0xF << 4), 0xDEAD_BEEF);
        assert_eq!(fault.kind(), FaultKind::Translation(Level::First));
        assert_eq!(fault.access, AccessKind::Write);
        assert_eq!(fault.address, 0xDEAD_BEEF);
        assert_eq!(Fault::data_abort(0x00F, 0).access, AccessKind::Read);
    }

    #[test]
    fn prefetch_abort_is_an_execute_access() {
        let fault = Fault::prefetch_abort(0x007, 0x1000);
        assert_eq!(fault.access, AccessKind::Execute);
        assert_eq!(fault.kind().describe(), "translation fault (page)");
    }
}
