//! 16550-compatible UART with 32-bit registers at a 4-byte stride (the
//! Tegra20 UARTs), transmit side: enough for a polled console.
//!
//! Register offsets and bits are the 16550's (National Semiconductor
//! PC16550D data sheet), each register widened to a 32-bit word. Every
//! write the driver makes is spelled out as a list of [`Step`]s, so the
//! order (which matters: the divisor latch shares offsets with THR and IER
//! while LCR.DLAB is set) is plain data that host tests check.
//!
//! Taking the UART over never touches the divisor: the boot loader has set
//! the baud rate and the kernel keeps it. [`Ns16550::program_divisor`]
//! exists for boards where nobody did. The driver never waits forever on
//! anything but the transmitter, and never touches the receive path.

use safe_mmio::fields::{ReadPure, ReadPureWrite};
use safe_mmio::{field, field_shared, UniqueMmioPointer};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// Line control: 8 data bits, no parity, 1 stop bit.
pub const LCR_8N1: u32 = 0b11;
/// Line control: divisor latch access (DLL/DLM replace THR/IER).
pub const LCR_DLAB: u32 = 1 << 7;
/// Line status: transmit holding register (or FIFO) empty.
pub const LSR_THRE: u32 = 1 << 5;
/// Line status: transmitter empty (holding register and shift register).
pub const LSR_TEMT: u32 = 1 << 6;
/// The largest divisor the 16-bit latch holds.
pub const MAX_DIVISOR: u32 = 0xFFFF;

/// The register block.
#[derive(Default, FromBytes, Immutable, IntoBytes, KnownLayout)]
#[repr(C, align(4))]
pub struct Registers {
    /// 0x00 transmit holding / receive buffer; divisor latch low when
    /// LCR.DLAB is set.
    pub thr_dll: ReadPureWrite<u32>,
    /// 0x04 interrupt enable; divisor latch high when LCR.DLAB is set.
    pub ier_dlm: ReadPureWrite<u32>,
    /// 0x08 interrupt identification (read) / FIFO control (write).
    pub iir_fcr: ReadPureWrite<u32>,
    /// 0x0C line control.
    pub lcr: ReadPureWrite<u32>,
    /// 0x10 modem control.
    pub mcr: ReadPureWrite<u32>,
    /// 0x14 line status.
    pub lsr: ReadPure<u32>,
}

/// A register the driver writes, by its 16550 name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Register {
    /// Transmit holding register (offset 0x00, DLAB clear).
    Thr,
    /// Interrupt enable (offset 0x04, DLAB clear).
    Ier,
    /// Line control (offset 0x0C).
    Lcr,
    /// Divisor latch low (offset 0x00, DLAB set).
    Dll,
    /// Divisor latch high (offset 0x04, DLAB set).
    Dlm,
}

/// One step of a register sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Wait until every bit of `mask` is set in the line status register.
    WaitLineStatus(u32),
    /// Write `value` to a register.
    Write(Register, u32),
}

/// Why a divisor cannot be programmed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DivisorError {
    /// `clock / (16 * baud)` rounds to 0 or exceeds the 16-bit latch (or
    /// the baud rate is 0).
    OutOfRange,
}

/// The divisor for `baud` at `clock_hz`: `clock / (16 * baud)`, rounded
/// to the nearest integer.
pub const fn divisor(clock_hz: u32, baud: u32) -> Result<u32, DivisorError> {
    if baud == 0 {
        return Err(DivisorError::OutOfRange);
    }
    let sixteen_baud = 16 * baud as u64;
    let divisor = (clock_hz as u64 + sixteen_baud / 2) / sixteen_baud;
    if divisor == 0 || divisor > MAX_DIVISOR as u64 {
        Err(DivisorError::OutOfRange)
    } else {
        Ok(divisor as u32)
    }
}

/// What taking the UART over does: let the boot loader's last bytes
/// leave, mask the UART's interrupts, and set 8N1 with DLAB clear — which
/// leaves the divisor, and so the baud rate, as it was.
pub const TAKE_OVER: [Step; 3] = [
    Step::WaitLineStatus(LSR_TEMT),
    Step::Write(Register::Ier, 0),
    Step::Write(Register::Lcr, LCR_8N1),
];

/// The sequence that programs `divisor` and returns to 8N1 with DLAB
/// clear.
pub const fn divisor_sequence(divisor: u32) -> [Step; 5] {
    [
        Step::WaitLineStatus(LSR_TEMT),
        Step::Write(Register::Lcr, LCR_DLAB | LCR_8N1),
        Step::Write(Register::Dll, divisor & 0xFF),
        Step::Write(Register::Dlm, (divisor >> 8) & 0xFF),
        Step::Write(Register::Lcr, LCR_8N1),
    ]
}

/// The sequence that sends one byte.
pub const fn byte_sequence(byte: u8) -> [Step; 2] {
    [
        Step::WaitLineStatus(LSR_THRE),
        Step::Write(Register::Thr, byte as u32),
    ]
}

/// A 16550 used as a polled, transmit-only console.
pub struct Ns16550<'a> {
    regs: UniqueMmioPointer<'a, Registers>,
}

impl<'a> Ns16550<'a> {
    /// Takes the UART over as the boot loader left it (see [`TAKE_OVER`]).
    pub fn new(regs: UniqueMmioPointer<'a, Registers>) -> Self {
        let mut uart = Self { regs };
        uart.run(&TAKE_OVER);
        uart
    }

    /// Programs the baud rate divisor for `baud` at `clock_hz`.
    pub fn program_divisor(&mut self, clock_hz: u32, baud: u32) -> Result<(), DivisorError> {
        let divisor = divisor(clock_hz, baud)?;
        self.run(&divisor_sequence(divisor));
        Ok(())
    }

    /// Sends one byte, waiting while the transmitter is full.
    pub fn write_byte(&mut self, byte: u8) {
        self.run(&byte_sequence(byte));
    }

    /// Waits until every queued byte has left the UART.
    pub fn flush(&mut self) {
        self.run(&[Step::WaitLineStatus(LSR_TEMT)]);
    }

    /// Carries out `steps` in order.
    pub fn run(&mut self, steps: &[Step]) {
        for step in steps {
            match *step {
                Step::WaitLineStatus(mask) => {
                    while field_shared!(self.regs, lsr).read() & mask != mask {}
                }
                Step::Write(Register::Thr | Register::Dll, value) => {
                    field!(self.regs, thr_dll).write(value)
                }
                Step::Write(Register::Ier | Register::Dlm, value) => {
                    field!(self.regs, ier_dlm).write(value)
                }
                Step::Write(Register::Lcr, value) => field!(self.regs, lcr).write(value),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use core::mem::offset_of;
    use std::vec::Vec;

    /// A fake 16550 bus: it keeps the divisor latch and the registers it
    /// shares offsets with apart, as the hardware does by LCR.DLAB, and
    /// records every access in order.
    #[derive(Default)]
    struct FakeBus {
        line_status: u32,
        lcr: u32,
        thr: Vec<u8>,
        ier: u32,
        dll: u32,
        dlm: u32,
        log: Vec<Step>,
    }

    impl FakeBus {
        fn run(&mut self, steps: &[Step]) {
            for &step in steps {
                self.log.push(step);
                match step {
                    Step::WaitLineStatus(mask) => {
                        assert_eq!(self.line_status & mask, mask, "would wait forever")
                    }
                    // The driver names DLL/DLM only with DLAB set and
                    // THR/IER only with it clear; the bus checks that.
                    Step::Write(Register::Thr, v) => {
                        assert_eq!(self.lcr & LCR_DLAB, 0);
                        self.thr.push(v as u8);
                    }
                    Step::Write(Register::Ier, v) => {
                        assert_eq!(self.lcr & LCR_DLAB, 0);
                        self.ier = v;
                    }
                    Step::Write(Register::Dll, v) => {
                        assert_ne!(self.lcr & LCR_DLAB, 0);
                        self.dll = v;
                    }
                    Step::Write(Register::Dlm, v) => {
                        assert_ne!(self.lcr & LCR_DLAB, 0);
                        self.dlm = v;
                    }
                    Step::Write(Register::Lcr, v) => self.lcr = v,
                }
            }
        }
    }

    #[test]
    fn register_offsets_have_a_four_byte_stride() {
        assert_eq!(offset_of!(Registers, thr_dll), 0x00);
        assert_eq!(offset_of!(Registers, ier_dlm), 0x04);
        assert_eq!(offset_of!(Registers, iir_fcr), 0x08);
        assert_eq!(offset_of!(Registers, lcr), 0x0C);
        assert_eq!(offset_of!(Registers, mcr), 0x10);
        assert_eq!(offset_of!(Registers, lsr), 0x14);
    }

    #[test]
    fn divisors_for_tegra_and_pc_clocks() {
        // PLLP 216 MHz / (16 * 115200) = 117.19 -> 117 (115384 baud, +0.16%).
        assert_eq!(divisor(216_000_000, 115_200), Ok(117));
        // The PC's 1.8432 MHz crystal: exactly 1.
        assert_eq!(divisor(1_843_200, 115_200), Ok(1));
        assert_eq!(divisor(1_000, 115_200), Err(DivisorError::OutOfRange));
        assert_eq!(divisor(216_000_000, 50), Err(DivisorError::OutOfRange));
        assert_eq!(divisor(216_000_000, 0), Err(DivisorError::OutOfRange));
    }

    #[test]
    fn take_over_keeps_the_divisor_and_sets_8n1() {
        let mut bus = FakeBus {
            line_status: LSR_THRE | LSR_TEMT,
            dll: 117,
            ier: 0x0F,
            lcr: 0x1B, // whatever U-Boot left, DLAB clear
            ..FakeBus::default()
        };
        bus.run(&TAKE_OVER);
        assert_eq!(bus.log[0], Step::WaitLineStatus(LSR_TEMT));
        assert_eq!((bus.dll, bus.dlm), (117, 0), "divisor untouched");
        assert_eq!(bus.ier, 0);
        assert_eq!(bus.lcr, LCR_8N1);
    }

    #[test]
    fn divisor_is_written_only_inside_a_dlab_window() {
        let mut bus = FakeBus {
            line_status: LSR_THRE | LSR_TEMT,
            ..FakeBus::default()
        };
        bus.run(&divisor_sequence(0x1234));
        assert_eq!(
            bus.log,
            [
                Step::WaitLineStatus(LSR_TEMT),
                Step::Write(Register::Lcr, LCR_DLAB | LCR_8N1),
                Step::Write(Register::Dll, 0x34),
                Step::Write(Register::Dlm, 0x12),
                Step::Write(Register::Lcr, LCR_8N1),
            ]
        );
        assert_eq!(bus.lcr & LCR_DLAB, 0, "DLAB is clear again");
        bus.run(&byte_sequence(b'x'));
        assert_eq!(bus.thr, b"x");
    }

    #[test]
    fn bytes_wait_for_the_holding_register() {
        assert_eq!(
            byte_sequence(b'A'),
            [
                Step::WaitLineStatus(LSR_THRE),
                Step::Write(Register::Thr, 0x41)
            ]
        );
    }

    #[test]
    fn the_driver_writes_the_registers_the_steps_name() {
        let mut regs = Registers::default();
        regs.lsr.0 = LSR_THRE | LSR_TEMT;
        regs.ier_dlm.0 = 0x0F;
        let mut uart = Ns16550::new(UniqueMmioPointer::from(&mut regs));
        uart.write_byte(b'A');
        uart.flush();
        assert_eq!(regs.thr_dll.0, u32::from(b'A'));
        assert_eq!(regs.ier_dlm.0, 0, "interrupts masked");
        assert_eq!(regs.lcr.0, LCR_8N1);

        let mut uart = Ns16550::new(UniqueMmioPointer::from(&mut regs));
        uart.program_divisor(216_000_000, 115_200).unwrap();
        // A plain memory fake cannot bank registers: DLL and DLM land on
        // the THR/IER words, which is exactly the hardware's addressing.
        assert_eq!(regs.thr_dll.0, 117);
        assert_eq!(regs.ier_dlm.0, 0);
        assert_eq!(regs.lcr.0, LCR_8N1);
        let mut uart = Ns16550::new(UniqueMmioPointer::from(&mut regs));
        assert_eq!(
            uart.program_divisor(216_000_000, 1),
            Err(DivisorError::OutOfRange)
        );
    }
}
