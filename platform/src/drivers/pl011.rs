//! Arm PrimeCell PL011 UART, transmit side: enough for a polled console.
//!
//! Register offsets and bits from the PL011 Technical Reference Manual
//! (DDI 0183). The driver never waits forever on anything but a full
//! transmit FIFO, and never touches the receive path.

use safe_mmio::fields::{ReadPure, ReadPureWrite, WriteOnly};
use safe_mmio::{field, field_shared, UniqueMmioPointer};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// Flag register: transmit FIFO full.
const FR_TXFF: u32 = 1 << 5;
/// Flag register: UART busy transmitting.
const FR_BUSY: u32 = 1 << 3;
/// Line control: 8 data bits.
const LCR_H_WLEN_8: u32 = 0b11 << 5;
/// Line control: FIFOs enabled.
const LCR_H_FEN: u32 = 1 << 4;
/// Control: UART enable.
const CR_UARTEN: u32 = 1 << 0;
/// Control: transmit enable.
const CR_TXE: u32 = 1 << 8;
/// Control: receive enable.
const CR_RXE: u32 = 1 << 9;

/// The PL011 register block.
#[derive(Default, FromBytes, Immutable, IntoBytes, KnownLayout)]
#[repr(C, align(4))]
pub struct Registers {
    /// 0x000 data.
    pub dr: ReadPureWrite<u32>,
    /// 0x004 receive status / error clear.
    pub rsr: ReadPureWrite<u32>,
    _reserved0: [u32; 4],
    /// 0x018 flags.
    pub fr: ReadPure<u32>,
    _reserved1: [u32; 2],
    /// 0x024 integer baud divisor.
    pub ibrd: ReadPureWrite<u32>,
    /// 0x028 fractional baud divisor.
    pub fbrd: ReadPureWrite<u32>,
    /// 0x02C line control.
    pub lcr_h: ReadPureWrite<u32>,
    /// 0x030 control.
    pub cr: ReadPureWrite<u32>,
    _reserved2: u32,
    /// 0x038 interrupt mask.
    pub imsc: ReadPureWrite<u32>,
    _reserved3: [u32; 2],
    /// 0x044 interrupt clear.
    pub icr: WriteOnly<u32>,
}

/// Baud-rate divisors: integer part and 6-bit fraction of
/// `clock / (16 * baud)`, rounded to the nearest 1/64.
pub const fn divisors(clock_hz: u32, baud: u32) -> (u32, u32) {
    // In units of 1/64: 64 * clock / (16 * baud) = 4 * clock / baud.
    let scaled = (4 * clock_hz as u64 * 2 / baud as u64).div_ceil(2) as u32;
    (scaled >> 6, scaled & 0x3F)
}

/// A PL011 used as a polled, transmit-only console.
pub struct Pl011<'a> {
    regs: UniqueMmioPointer<'a, Registers>,
}

impl<'a> Pl011<'a> {
    /// Takes the UART over and configures it for `baud` 8N1 with FIFOs.
    pub fn new(mut regs: UniqueMmioPointer<'a, Registers>, clock_hz: u32, baud: u32) -> Self {
        let (ibrd, fbrd) = divisors(clock_hz, baud);
        field!(regs, cr).write(0);
        field!(regs, imsc).write(0);
        field!(regs, icr).write(0x7FF);
        field!(regs, ibrd).write(ibrd);
        field!(regs, fbrd).write(fbrd);
        field!(regs, lcr_h).write(LCR_H_WLEN_8 | LCR_H_FEN);
        field!(regs, cr).write(CR_UARTEN | CR_TXE | CR_RXE);
        Self { regs }
    }

    /// Sends one byte, waiting while the transmit FIFO is full.
    pub fn write_byte(&mut self, byte: u8) {
        while field_shared!(self.regs, fr).read() & FR_TXFF != 0 {}
        field!(self.regs, dr).write(u32::from(byte));
    }

    /// Waits until every queued byte has left the UART.
    pub fn flush(&mut self) {
        while field_shared!(self.regs, fr).read() & FR_BUSY != 0 {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    #[test]
    fn register_offsets_match_the_trm() {
        assert_eq!(offset_of!(Registers, fr), 0x18);
        assert_eq!(offset_of!(Registers, ibrd), 0x24);
        assert_eq!(offset_of!(Registers, lcr_h), 0x2C);
        assert_eq!(offset_of!(Registers, cr), 0x30);
        assert_eq!(offset_of!(Registers, imsc), 0x38);
        assert_eq!(offset_of!(Registers, icr), 0x44);
    }

    #[test]
    fn divisors_for_common_clocks() {
        // 24 MHz / (16 * 115200) = 13.0208 -> 13 + 1/64.
        assert_eq!(divisors(24_000_000, 115_200), (13, 1));
        // 48 MHz / (16 * 115200) = 26.0417 -> 26 + 3/64.
        assert_eq!(divisors(48_000_000, 115_200), (26, 3));
    }

    #[test]
    fn init_programs_8n1_and_enables_tx() {
        let mut regs = Registers::default();
        let mut uart = Pl011::new(UniqueMmioPointer::from(&mut regs), 24_000_000, 115_200);
        uart.write_byte(b'A');
        assert_eq!(regs.ibrd.0, 13);
        assert_eq!(regs.fbrd.0, 1);
        assert_eq!(regs.lcr_h.0, LCR_H_WLEN_8 | LCR_H_FEN);
        assert_eq!(regs.cr.0, CR_UARTEN | CR_TXE | CR_RXE);
        assert_eq!(regs.dr.0, u32::from(b'A'));
    }
}
