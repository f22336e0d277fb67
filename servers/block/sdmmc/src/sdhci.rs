//! The SD Host Controller Interface (SD Host Controller Simplified
//! Specification, version 2.00 register map) as a [`Host`], with the
//! quirks of Tegra 2's SDMMC controllers (`0xC800_0000`, `+0x200`,
//! `+0x400`, `+0x600`; the facts below are from the Tegra 2 TRM and
//! Linux's `sdhci-tegra.c`):
//!
//! - registers are accessed 32 bits at a time: the controller starts a
//!   command on a write to COMMAND, so TRANSFER_MODE (its lower half) must
//!   be written in the same 32-bit store;
//! - HOST_VERSION misreports the specification version, and the
//!   capabilities' base clock is not reliable: the base clock comes from
//!   the clock-and-reset controller, so the board gives it
//!   ([`Sdhci::new`]);
//! - the timeout and CRC interrupt *signals* are spurious on Tegra 2, so
//!   they are never enabled as interrupts (their *status* bits still are
//!   read and reported).
//!
//! Data moves by PIO through BUFFER_DATA_PORT, one 512-byte block per
//! BUFFER_READ_READY / BUFFER_WRITE_READY. Every wait is bounded; an error
//! resets the command and data lines. This driver must never touch a
//! register outside its controller's 512-byte block.

use crate::bus::{Interrupt, RegisterBus};
use crate::card::{Host, SECTOR_SIZE};
use crate::command::{Command, Direction, Response, ResponseKind};
use crate::error::SdError;

/// Register offsets (32-bit words).
pub mod reg {
    /// BLOCK_SIZE (bits 11..0, SDMA boundary 14..12) | BLOCK_COUNT << 16.
    pub const BLOCK: usize = 0x04;
    /// Command argument.
    pub const ARGUMENT: usize = 0x08;
    /// TRANSFER_MODE (bits 15..0) | COMMAND << 16.
    pub const TRANSFER_COMMAND: usize = 0x0C;
    /// Response bits 39..8 (the CRC byte is not stored).
    pub const RESPONSE0: usize = 0x10;
    /// The data port.
    pub const BUFFER: usize = 0x20;
    /// Present state.
    pub const PRESENT_STATE: usize = 0x24;
    /// HOST_CONTROL | POWER_CONTROL << 8 | BLOCK_GAP << 16 | WAKEUP << 24.
    pub const HOST_POWER: usize = 0x28;
    /// CLOCK_CONTROL | TIMEOUT_CONTROL << 16 | SOFTWARE_RESET << 24.
    pub const CLOCK_TIMEOUT_RESET: usize = 0x2C;
    /// NORMAL_INT_STATUS | ERROR_INT_STATUS << 16 (write ones to clear).
    pub const INT_STATUS: usize = 0x30;
    /// Which status bits are latched.
    pub const INT_STATUS_ENABLE: usize = 0x34;
    /// Which status bits raise the interrupt line.
    pub const INT_SIGNAL_ENABLE: usize = 0x38;
}

/// INT_STATUS bits.
pub mod int {
    /// Command complete.
    pub const COMMAND_COMPLETE: u32 = 1 << 0;
    /// Transfer complete.
    pub const TRANSFER_COMPLETE: u32 = 1 << 1;
    /// Buffer write ready.
    pub const BUFFER_WRITE_READY: u32 = 1 << 4;
    /// Buffer read ready.
    pub const BUFFER_READ_READY: u32 = 1 << 5;
    /// Any error (summary bit).
    pub const ERROR: u32 = 1 << 15;
    /// Command timeout.
    pub const COMMAND_TIMEOUT: u32 = 1 << 16;
    /// Command CRC error.
    pub const COMMAND_CRC: u32 = 1 << 17;
    /// Command end bit error.
    pub const COMMAND_END_BIT: u32 = 1 << 18;
    /// Command index error.
    pub const COMMAND_INDEX: u32 = 1 << 19;
    /// Data timeout.
    pub const DATA_TIMEOUT: u32 = 1 << 20;
    /// Data CRC error.
    pub const DATA_CRC: u32 = 1 << 21;
    /// Data end bit error.
    pub const DATA_END_BIT: u32 = 1 << 22;
    /// Every error bit.
    pub const ERRORS: u32 = 0xFFFF_0000 | ERROR;
    /// Command-phase errors.
    pub const COMMAND_ERRORS: u32 = COMMAND_TIMEOUT | COMMAND_CRC | COMMAND_END_BIT | COMMAND_INDEX;
    /// Signals Tegra 2 raises spuriously (never enabled as interrupts).
    pub const TEGRA_SPURIOUS: u32 = COMMAND_TIMEOUT | COMMAND_CRC | DATA_TIMEOUT | DATA_CRC;
}

/// PRESENT_STATE bits.
pub mod present {
    /// A command is in progress (CMD line busy).
    pub const COMMAND_INHIBIT: u32 = 1 << 0;
    /// The DAT lines are busy.
    pub const DATA_INHIBIT: u32 = 1 << 1;
    /// A card is inserted.
    pub const CARD_INSERTED: u32 = 1 << 16;
}

/// CLOCK_CONTROL bits (in the low half of CLOCK_TIMEOUT_RESET).
pub mod clock {
    /// Internal clock enable.
    pub const INTERNAL_ENABLE: u32 = 1 << 0;
    /// Internal clock stable.
    pub const INTERNAL_STABLE: u32 = 1 << 1;
    /// SD clock to the card.
    pub const CARD_ENABLE: u32 = 1 << 2;
}

/// SOFTWARE_RESET bits (bits 31..24 of CLOCK_TIMEOUT_RESET).
pub mod reset {
    /// Everything.
    pub const ALL: u32 = 1 << 24;
    /// The command line.
    pub const COMMAND: u32 = 1 << 25;
    /// The data lines.
    pub const DATA: u32 = 1 << 26;
}

/// TRANSFER_MODE bits.
pub mod mode {
    /// BLOCK_COUNT counts.
    pub const BLOCK_COUNT_ENABLE: u32 = 1 << 1;
    /// Card to host.
    pub const READ: u32 = 1 << 4;
    /// More than one block.
    pub const MULTI_BLOCK: u32 = 1 << 5;
}

/// COMMAND register fields (bits 15..0 of the command half).
fn command_bits(command: &Command) -> u32 {
    let (response, checks) = match command.response {
        ResponseKind::None => (0b00, 0),
        ResponseKind::Long => (0b01, 1 << 3),
        ResponseKind::Short => (0b10, (1 << 3) | (1 << 4)),
        ResponseKind::ShortBusy => (0b11, (1 << 3) | (1 << 4)),
        ResponseKind::ShortNoCrc => (0b10, 0),
    };
    let data = if command.data.is_some() { 1 << 5 } else { 0 };
    u32::from(command.index) << 8 | data | checks | response
}

/// Status or register reads before a wait gives up polling and sleeps.
const POLL_READS: u32 = 64;
/// How long one interrupt wait lasts.
pub const WAIT_US: u32 = 250_000;
/// The identification clock's most.
const IDENTIFICATION_HZ: u32 = 400_000;
/// The data-transfer clock's most (default speed).
const TRANSFER_HZ: u32 = 25_000_000;
/// Blocks one data command moves (BLOCK_COUNT is 16 bits; keep runs
/// modest).
const MAX_BLOCKS: usize = 128;

/// An SDHCI controller.
pub struct Sdhci<B, I> {
    bus: B,
    interrupt: I,
    base_clock_hz: u32,
}

impl<B: RegisterBus, I: Interrupt> Sdhci<B, I> {
    /// Takes the controller over; `base_clock_hz` is what the clock and
    /// reset controller feeds it (Tegra 2's capabilities register cannot
    /// be trusted for it).
    pub fn new(bus: B, interrupt: I, base_clock_hz: u32) -> Sdhci<B, I> {
        Sdhci {
            bus,
            interrupt,
            base_clock_hz,
        }
    }

    /// The bus (for tests that inspect the fake controller).
    pub fn bus(&self) -> &B {
        &self.bus
    }

    /// What the driver waits on.
    pub fn interrupt_mut(&mut self) -> &mut I {
        &mut self.interrupt
    }

    /// Polls until `done(register)` or gives up after an interrupt wait.
    fn wait_register(&mut self, offset: usize, done: impl Fn(u32) -> bool) -> Option<u32> {
        for _ in 0..POLL_READS {
            let value = self.bus.read(offset);
            if done(value) {
                return Some(value);
            }
        }
        self.interrupt.wait(WAIT_US);
        let value = self.bus.read(offset);
        done(value).then_some(value)
    }

    /// Waits for a status bit of `wanted` or an error, through the
    /// interrupt (signals enabled for `wanted` and the non-spurious
    /// errors).
    fn wait_status(&mut self, wanted: u32) -> Option<u32> {
        self.bus.write(
            reg::INT_SIGNAL_ENABLE,
            (wanted | int::ERRORS) & !int::TEGRA_SPURIOUS,
        );
        let status = self.wait_register(reg::INT_STATUS, |s| s & (wanted | int::ERROR) != 0);
        self.bus.write(reg::INT_SIGNAL_ENABLE, 0);
        status
    }

    fn reset_lines(&mut self, lines: u32) {
        let value = self.bus.read(reg::CLOCK_TIMEOUT_RESET);
        self.bus.write(reg::CLOCK_TIMEOUT_RESET, value | lines);
        let _ = self.wait_register(reg::CLOCK_TIMEOUT_RESET, |v| v & lines == 0);
    }

    fn fail(&mut self, status: u32, error: SdError) -> SdError {
        self.bus.write(reg::INT_STATUS, status);
        self.reset_lines(reset::COMMAND | reset::DATA);
        error
    }

    fn set_clock(&mut self, most_hz: u32) -> Result<(), SdError> {
        // SDHCI 2.00: an 8-bit power-of-two divisor (0 = undivided).
        let rate = |divisor: u32| match divisor {
            0 => self.base_clock_hz,
            d => self.base_clock_hz / (2 * d),
        };
        let mut divisor = 0u32;
        while divisor < 0x80 && rate(divisor) > most_hz {
            divisor = if divisor == 0 { 1 } else { divisor * 2 };
        }
        let keep = self.bus.read(reg::CLOCK_TIMEOUT_RESET) & 0xFFFF_0000 & !(0xFF << 24);
        let bits = divisor << 8 | clock::INTERNAL_ENABLE;
        self.bus.write(reg::CLOCK_TIMEOUT_RESET, keep | bits);
        self.wait_register(reg::CLOCK_TIMEOUT_RESET, |v| {
            v & clock::INTERNAL_STABLE != 0
        })
        .ok_or(SdError::Controller)?;
        self.bus
            .write(reg::CLOCK_TIMEOUT_RESET, keep | bits | clock::CARD_ENABLE);
        Ok(())
    }

    fn send(&mut self, command: Command, transfer_mode: u32) -> Result<Response, SdError> {
        let index = command.index;
        let mut inhibit = present::COMMAND_INHIBIT;
        if command.data.is_some() || command.response == ResponseKind::ShortBusy {
            inhibit |= present::DATA_INHIBIT;
        }
        self.wait_register(reg::PRESENT_STATE, |p| p & inhibit == 0)
            .ok_or(SdError::CommandTimeout { index })?;
        self.bus.write(reg::INT_STATUS, 0xFFFF_FFFF);
        self.bus.write(reg::ARGUMENT, command.argument);
        // One 32-bit store: TRANSFER_MODE and COMMAND together (Tegra).
        self.bus.write(
            reg::TRANSFER_COMMAND,
            command_bits(&command) << 16 | transfer_mode,
        );
        let status = self
            .wait_status(int::COMMAND_COMPLETE)
            .ok_or(SdError::CommandTimeout { index })
            .map_err(|e| self.fail(0xFFFF_FFFF, e))?;
        if status & int::COMMAND_TIMEOUT != 0 {
            return Err(self.fail(status, SdError::CommandTimeout { index }));
        }
        if status & int::COMMAND_ERRORS != 0 {
            return Err(self.fail(status, SdError::CommandCrc { index }));
        }
        self.bus.write(reg::INT_STATUS, int::COMMAND_COMPLETE);
        let mut r = [0u32; 4];
        for (i, word) in r.iter_mut().enumerate() {
            *word = self.bus.read(reg::RESPONSE0 + 4 * i);
        }
        let words = match command.response {
            ResponseKind::None => [0; 4],
            // The registers hold bits 127..8; shift the CRC byte back in.
            ResponseKind::Long => [
                r[3] << 8 | r[2] >> 24,
                r[2] << 8 | r[1] >> 24,
                r[1] << 8 | r[0] >> 24,
                r[0] << 8,
            ],
            _ => [r[0], 0, 0, 0],
        };
        Ok(Response { words })
    }

    fn data_command(
        &mut self,
        command: Command,
        len: usize,
        mut each_block: impl FnMut(&mut B, usize),
    ) -> Result<Response, SdError> {
        let blocks = len / SECTOR_SIZE;
        if len == 0 || !len.is_multiple_of(SECTOR_SIZE) || blocks > MAX_BLOCKS {
            return Err(SdError::BadLength);
        }
        let reading = command.data == Some(Direction::Read);
        self.bus.write(
            reg::BLOCK,
            (blocks as u32) << 16 | 7 << 12 | SECTOR_SIZE as u32,
        );
        let mut transfer = mode::BLOCK_COUNT_ENABLE;
        if blocks > 1 {
            transfer |= mode::MULTI_BLOCK;
        }
        if reading {
            transfer |= mode::READ;
        }
        let response = self.send(command, transfer)?;
        let ready = if reading {
            int::BUFFER_READ_READY
        } else {
            int::BUFFER_WRITE_READY
        };
        for block in 0..blocks {
            let status = self
                .wait_status(ready)
                .ok_or(SdError::DataTimeout)
                .map_err(|e| self.fail(0xFFFF_FFFF, e))?;
            if status & int::ERRORS != 0 {
                return Err(self.fail(status, data_error(status)));
            }
            self.bus.write(reg::INT_STATUS, ready);
            each_block(&mut self.bus, block);
        }
        let status = self
            .wait_status(int::TRANSFER_COMPLETE)
            .ok_or(SdError::DataTimeout)
            .map_err(|e| self.fail(0xFFFF_FFFF, e))?;
        if status & int::ERRORS != 0 {
            return Err(self.fail(status, data_error(status)));
        }
        self.bus.write(reg::INT_STATUS, int::TRANSFER_COMPLETE);
        Ok(response)
    }
}

fn data_error(status: u32) -> SdError {
    if status & int::DATA_TIMEOUT != 0 {
        SdError::DataTimeout
    } else {
        SdError::DataCrc
    }
}

impl<B: RegisterBus, I: Interrupt> Host for Sdhci<B, I> {
    fn start(&mut self) -> Result<(), SdError> {
        self.bus.write(reg::CLOCK_TIMEOUT_RESET, reset::ALL);
        self.wait_register(reg::CLOCK_TIMEOUT_RESET, |v| v & reset::ALL == 0)
            .ok_or(SdError::Controller)?;
        if self.bus.read(reg::PRESENT_STATE) & present::CARD_INSERTED == 0 {
            return Err(SdError::NoCard);
        }
        // 3.3 V (0b111 << 1) and bus power on; one data line for now.
        self.bus.write(reg::HOST_POWER, (0b1111) << 8);
        self.bus.write(reg::INT_STATUS_ENABLE, 0xFFFF_FFFF);
        self.bus.write(reg::INT_SIGNAL_ENABLE, 0);
        self.set_clock(IDENTIFICATION_HZ)?;
        // Data timeout counter: the largest (TMCLK * 2^27).
        let value = self.bus.read(reg::CLOCK_TIMEOUT_RESET);
        self.bus.write(
            reg::CLOCK_TIMEOUT_RESET,
            (value & !(0xFF << 16)) | 0xE << 16,
        );
        Ok(())
    }

    fn command(&mut self, command: Command) -> Result<Response, SdError> {
        self.send(command, 0)
    }

    fn read(&mut self, command: Command, buffer: &mut [u8]) -> Result<Response, SdError> {
        let len = buffer.len();
        self.data_command(command, len, |bus, block| {
            let out = &mut buffer[block * SECTOR_SIZE..(block + 1) * SECTOR_SIZE];
            for chunk in out.chunks_mut(4) {
                chunk.copy_from_slice(&bus.read(reg::BUFFER).to_le_bytes());
            }
        })
    }

    fn write(&mut self, command: Command, data: &[u8]) -> Result<Response, SdError> {
        self.data_command(command, data.len(), |bus, block| {
            let part = &data[block * SECTOR_SIZE..(block + 1) * SECTOR_SIZE];
            for chunk in part.chunks(4) {
                let mut word = [0u8; 4];
                word.copy_from_slice(chunk);
                bus.write(reg::BUFFER, u32::from_le_bytes(word));
            }
        })
    }

    fn fast_clock(&mut self) -> Result<bool, SdError> {
        self.set_clock(TRANSFER_HZ)?;
        Ok(true)
    }

    fn wide_bus(&mut self) {
        // Four data lines (HOST_CONTROL bit 1), keeping the power bits.
        let value = self.bus.read(reg::HOST_POWER);
        self.bus.write(reg::HOST_POWER, value | 1 << 1);
    }

    fn delay_us(&mut self, us: u32) {
        self.interrupt.delay_us(us);
    }

    fn max_transfer(&self) -> usize {
        MAX_BLOCKS * SECTOR_SIZE
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::sdhci::FakeSdhci;
    use crate::testing::{CountingInterrupt, FakeCard, Fault};
    use crate::Card;

    const MIB: usize = 1 << 20;
    /// Tegra 2's SDMMC clock as U-Boot leaves it (PLLP / 8).
    const BASE_HZ: u32 = 48_000_000;

    fn host(card: FakeCard) -> Sdhci<FakeSdhci, CountingInterrupt> {
        Sdhci::new(FakeSdhci::new(card), CountingInterrupt::default(), BASE_HZ)
    }

    #[test]
    fn identifies_a_card_and_switches_to_four_lines() {
        let mut host = host(FakeCard::new(4 * MIB, true));
        let card = Card::identify(&mut host).unwrap();
        assert!(card.high_capacity);
        assert_eq!(card.sectors, (4 * MIB / 512) as u64);
        let card_log = &host.bus().card.log;
        assert_eq!(card_log, &[0, 8, 55, 41, 55, 41, 55, 41, 2, 3, 9, 7, 55, 6]);
        assert!(
            host.bus().card.bus_width_4 && host.bus().wide(),
            "card and host both on 4 lines"
        );
        // Clock: 48 MHz / (2 * 64) = 375 kHz to identify, / (2 * 1) =
        // 24 MHz after (SDHCI 2.00 divisors are powers of two).
        assert_eq!(host.bus().card_clock_divisors, [64, 1]);
    }

    #[test]
    fn commands_are_written_with_their_transfer_mode_in_one_store() {
        let mut host = host(FakeCard::new(4 * MIB, true));
        let card = Card::identify(&mut host).unwrap();
        let mut buffer = vec![0u8; 4096];
        card.read(&mut host, 16, &mut buffer).unwrap();
        let &(argument, value) = host
            .bus()
            .commands
            .iter()
            .find(|(_, v)| (v >> 24) & 0x3F == 18)
            .unwrap();
        assert_eq!(argument, 16, "sector address on SDHC");
        let transfer = value & 0xFFFF;
        assert_eq!(
            transfer,
            mode::BLOCK_COUNT_ENABLE | mode::MULTI_BLOCK | mode::READ
        );
        assert_ne!(value >> 16 & (1 << 5), 0, "data present");
    }

    #[test]
    fn spurious_tegra_signals_are_never_enabled() {
        let mut host = host(FakeCard::new(4 * MIB, true));
        let card = Card::identify(&mut host).unwrap();
        card.write(&mut host, 0, &[1u8; 1024]).unwrap();
        assert!(!host.bus().signal_enables.is_empty());
        for value in &host.bus().signal_enables {
            assert_eq!(value & int::TEGRA_SPURIOUS, 0, "{value:#x}");
        }
    }

    #[test]
    fn sectors_written_read_back() {
        let mut host = host(FakeCard::new(8 * MIB, false));
        let card = Card::identify(&mut host).unwrap();
        assert!(!card.high_capacity);
        let data: Vec<u8> = (0..4096).map(|i| (i * 31 + 7) as u8).collect();
        card.write(&mut host, 40, &data).unwrap();
        card.write(&mut host, 2, &data[..512]).unwrap();
        let mut back = vec![0u8; 4096];
        card.read(&mut host, 40, &mut back).unwrap();
        assert_eq!(back, data);
        let mut one = vec![0u8; 512];
        card.read(&mut host, 2, &mut one).unwrap();
        assert_eq!(one, &data[..512]);
        assert_eq!(
            host.bus().card.addresses,
            [40 * 512, 2 * 512, 40 * 512, 2 * 512],
            "byte addresses on SDSC"
        );
    }

    #[test]
    fn no_card_errors_and_timeouts_are_reported() {
        assert_eq!(
            Card::identify(&mut host(FakeCard::absent())),
            Err(SdError::NoCard)
        );
        let mut card = FakeCard::new(4 * MIB, true);
        card.faults.push(Fault::Crc(3));
        assert_eq!(
            Card::identify(&mut host(card)),
            Err(SdError::CommandCrc { index: 3 })
        );
        let mut card = FakeCard::new(4 * MIB, true);
        card.faults.push(Fault::Timeout(55));
        assert_eq!(Card::identify(&mut host(card)), Err(SdError::NoCard));
        let mut dead = host(FakeCard::new(4 * MIB, true));
        dead.bus.stuck_reset = true;
        assert_eq!(Card::identify(&mut dead), Err(SdError::Controller));
    }

    #[test]
    fn a_stalled_transfer_times_out_and_the_next_one_works() {
        let mut host = host(FakeCard::new(4 * MIB, true));
        let card = Card::identify(&mut host).unwrap();
        host.bus.card.faults.push(Fault::DataStall);
        let mut buffer = vec![0u8; 1024];
        assert_eq!(
            card.read(&mut host, 0, &mut buffer),
            Err(SdError::DataTimeout)
        );
        assert!(card.write(&mut host, 0, &buffer).is_err());
        host.bus.card.faults.clear();
        let data = vec![0x5Au8; 1024];
        card.write(&mut host, 4, &data).unwrap();
        card.read(&mut host, 4, &mut buffer).unwrap();
        assert_eq!(buffer, data);
    }
}
