//! ARM PrimeCell PL181 MultiMedia Card Interface (the MMCI of QEMU's
//! `vexpress-a9`, at `0x1000_5000`, interrupts 41 and 42) as a [`Host`].
//!
//! Data moves by PIO through the 16-word FIFO: the status register's
//! FIFO bits say how many words may be moved at once (full = 16,
//! half = 8, available = 1). The end of every data phase is taken from
//! the controller's first interrupt line (MASK0), through [`Interrupt`].
//! Every loop is bounded: a controller that stops making progress is a
//! timeout. This driver must never touch a register outside the PL181's
//! block.

use crate::bus::{Interrupt, RegisterBus};
use crate::card::{Host, SECTOR_SIZE};
use crate::command::{Command, Direction, Response, ResponseKind};
use crate::error::SdError;

/// Register offsets.
pub mod reg {
    /// Power control.
    pub const POWER: usize = 0x00;
    /// Clock control.
    pub const CLOCK: usize = 0x04;
    /// Command argument.
    pub const ARGUMENT: usize = 0x08;
    /// Command (writing it with ENABLE runs the command).
    pub const COMMAND: usize = 0x0C;
    /// Response word 0 (bits 127..96 of a long response).
    pub const RESPONSE0: usize = 0x14;
    /// Data timeout, in card clocks.
    pub const DATA_TIMER: usize = 0x24;
    /// Bytes in the data phase.
    pub const DATA_LENGTH: usize = 0x28;
    /// Data path control.
    pub const DATA_CTRL: usize = 0x2C;
    /// Status.
    pub const STATUS: usize = 0x34;
    /// Status clear (write ones).
    pub const CLEAR: usize = 0x38;
    /// Interrupt mask of line 0.
    pub const MASK0: usize = 0x3C;
    /// Interrupt mask of line 1.
    pub const MASK1: usize = 0x40;
    /// The data FIFO (16 word addresses from here all reach it).
    pub const FIFO: usize = 0x80;
}

/// COMMAND bits.
pub mod cmd {
    /// A response is expected.
    pub const RESPONSE: u32 = 1 << 6;
    /// The response is long (136 bits).
    pub const LONG_RESPONSE: u32 = 1 << 7;
    /// Run the command.
    pub const ENABLE: u32 = 1 << 10;
}

/// DATA_CTRL bits.
pub mod data {
    /// Start the data path.
    pub const ENABLE: u32 = 1 << 0;
    /// Card to controller.
    pub const FROM_CARD: u32 = 1 << 1;
    /// Block size 512 (log2 in bits 7..4).
    pub const BLOCK_512: u32 = 9 << 4;
}

/// STATUS bits.
pub mod status {
    /// Response CRC failed.
    pub const CMD_CRC_FAIL: u32 = 1 << 0;
    /// Data CRC failed.
    pub const DATA_CRC_FAIL: u32 = 1 << 1;
    /// No response in time.
    pub const CMD_TIMEOUT: u32 = 1 << 2;
    /// Data did not come in time.
    pub const DATA_TIMEOUT: u32 = 1 << 3;
    /// Transmit FIFO ran dry.
    pub const TX_UNDERRUN: u32 = 1 << 4;
    /// Receive FIFO overflowed.
    pub const RX_OVERRUN: u32 = 1 << 5;
    /// Response received (CRC good).
    pub const CMD_RESP_END: u32 = 1 << 6;
    /// Command sent (no response expected).
    pub const CMD_SENT: u32 = 1 << 7;
    /// Data counter reached zero.
    pub const DATA_END: u32 = 1 << 8;
    /// At least 8 words free in the transmit FIFO.
    pub const TX_HALF_EMPTY: u32 = 1 << 14;
    /// At least 8 words in the receive FIFO.
    pub const RX_HALF_FULL: u32 = 1 << 15;
    /// Receive FIFO full (16 words).
    pub const RX_FULL: u32 = 1 << 17;
    /// Transmit FIFO empty (16 words free).
    pub const TX_EMPTY: u32 = 1 << 18;
    /// Receive FIFO holds at least one word.
    pub const RX_AVAILABLE: u32 = 1 << 21;
    /// Every clearable bit.
    pub const CLEARABLE: u32 = 0x7FF;
    /// Errors of the data phase.
    pub const DATA_ERRORS: u32 = DATA_CRC_FAIL | DATA_TIMEOUT | TX_UNDERRUN | RX_OVERRUN;
}

/// Status reads without progress before a command or FIFO wait gives up
/// polling and sleeps on the interrupt.
const POLL_READS: u32 = 64;
/// How long one interrupt wait lasts.
pub const WAIT_US: u32 = 250_000;
/// The data timeout programmed (card clocks: about a second at 25 MHz).
const DATA_TIMEOUT_CLOCKS: u32 = 25_000_000;
/// DATA_LENGTH is 16 bits: the largest whole-sector data phase.
const MAX_DATA: usize = 0xFFFF / SECTOR_SIZE * SECTOR_SIZE;

/// The PL181 and what it waits on.
pub struct Pl181<B, I> {
    bus: B,
    interrupt: I,
}

impl<B: RegisterBus, I: Interrupt> Pl181<B, I> {
    /// Takes the controller over.
    pub fn new(bus: B, interrupt: I) -> Pl181<B, I> {
        Pl181 { bus, interrupt }
    }

    /// What the driver waits on (the partition also sleeps on it).
    pub fn interrupt_mut(&mut self) -> &mut I {
        &mut self.interrupt
    }

    /// The bus (for tests that inspect the fake controller).
    pub fn bus(&self) -> &B {
        &self.bus
    }

    fn status(&mut self) -> u32 {
        self.bus.read(reg::STATUS)
    }

    /// Waits until a bit of `wanted` is set: polls, then sleeps on the
    /// interrupt with MASK0 = `wanted` until it fires or times out.
    fn wait_for(&mut self, wanted: u32) -> Option<u32> {
        for _ in 0..POLL_READS {
            let status = self.status();
            if status & wanted != 0 {
                return Some(status);
            }
        }
        self.bus.write(reg::MASK0, wanted);
        self.interrupt.wait(WAIT_US);
        self.bus.write(reg::MASK0, 0);
        let status = self.status();
        (status & wanted != 0).then_some(status)
    }

    fn send(&mut self, command: Command) -> Result<Response, SdError> {
        let index = command.index;
        self.bus.write(reg::CLEAR, status::CLEARABLE);
        self.bus.write(reg::ARGUMENT, command.argument);
        let mut bits = u32::from(index & 0x3F) | cmd::ENABLE;
        let done = match command.response {
            ResponseKind::None => status::CMD_SENT,
            ResponseKind::Long => {
                bits |= cmd::RESPONSE | cmd::LONG_RESPONSE;
                status::CMD_RESP_END
            }
            _ => {
                bits |= cmd::RESPONSE;
                status::CMD_RESP_END
            }
        };
        self.bus.write(reg::COMMAND, bits);
        let failed = status::CMD_TIMEOUT | status::CMD_CRC_FAIL;
        let status = self
            .wait_for(done | failed)
            .ok_or(SdError::CommandTimeout { index })?;
        if status & status::CMD_TIMEOUT != 0 {
            return Err(SdError::CommandTimeout { index });
        }
        // R3 carries no CRC: the controller's CRC check fails on it.
        if status & status::CMD_CRC_FAIL != 0 && command.response != ResponseKind::ShortNoCrc {
            return Err(SdError::CommandCrc { index });
        }
        let mut response = Response::default();
        if command.response != ResponseKind::None {
            for (i, word) in response.words.iter_mut().enumerate() {
                *word = self.bus.read(reg::RESPONSE0 + 4 * i);
            }
        }
        Ok(response)
    }

    fn start_data(&mut self, len: usize, direction: Direction) -> Result<(), SdError> {
        if len == 0 || len > MAX_DATA || !len.is_multiple_of(SECTOR_SIZE) {
            return Err(SdError::BadLength);
        }
        let from_card = match direction {
            Direction::Read => data::FROM_CARD,
            Direction::Write => 0,
        };
        self.bus.write(reg::DATA_TIMER, DATA_TIMEOUT_CLOCKS);
        self.bus.write(reg::DATA_LENGTH, len as u32);
        self.bus
            .write(reg::DATA_CTRL, data::ENABLE | data::BLOCK_512 | from_card);
        Ok(())
    }

    fn data_error(status: u32) -> SdError {
        if status & status::DATA_TIMEOUT != 0 {
            SdError::DataTimeout
        } else if status & status::DATA_CRC_FAIL != 0 {
            SdError::DataCrc
        } else {
            SdError::Fifo
        }
    }

    /// Waits for the end of the data phase, through the interrupt.
    fn finish_data(&mut self) -> Result<(), SdError> {
        self.bus
            .write(reg::MASK0, status::DATA_END | status::DATA_ERRORS);
        self.interrupt.wait(WAIT_US);
        self.bus.write(reg::MASK0, 0);
        let status = self.status();
        self.bus.write(reg::DATA_CTRL, 0);
        if status & status::DATA_ERRORS != 0 {
            Err(Self::data_error(status))
        } else if status & status::DATA_END != 0 {
            Ok(())
        } else {
            Err(SdError::DataTimeout)
        }
    }

    fn abort_data(&mut self, error: SdError) -> SdError {
        self.bus.write(reg::DATA_CTRL, 0);
        self.bus.write(reg::CLEAR, status::CLEARABLE);
        error
    }
}

impl<B: RegisterBus, I: Interrupt> Host for Pl181<B, I> {
    fn start(&mut self) -> Result<(), SdError> {
        self.bus.write(reg::MASK0, 0);
        self.bus.write(reg::MASK1, 0);
        self.bus.write(reg::CLEAR, status::CLEARABLE);
        // Power on (bits 1..0 = 0b11) and enable the card clock (bit 8).
        self.bus.write(reg::POWER, 0x3);
        self.bus.write(reg::CLOCK, 1 << 8);
        Ok(())
    }

    fn command(&mut self, command: Command) -> Result<Response, SdError> {
        self.send(command)
    }

    fn read(&mut self, command: Command, buffer: &mut [u8]) -> Result<Response, SdError> {
        self.start_data(buffer.len(), Direction::Read)?;
        let response = self.send(command).map_err(|e| self.abort_data(e))?;
        let mut at = 0;
        let mut idle = 0;
        while at < buffer.len() {
            let status = self.status();
            if status & status::DATA_ERRORS != 0 {
                return Err(self.abort_data(Self::data_error(status)));
            }
            let words = if status & status::RX_FULL != 0 {
                16
            } else if status & status::RX_HALF_FULL != 0 {
                8
            } else if status & status::RX_AVAILABLE != 0 {
                1
            } else {
                idle += 1;
                if idle > POLL_READS {
                    let Some(_) = self.wait_for(status::RX_AVAILABLE | status::DATA_ERRORS) else {
                        return Err(self.abort_data(SdError::DataTimeout));
                    };
                    idle = 0;
                }
                continue;
            };
            idle = 0;
            let words = words.min((buffer.len() - at) / 4);
            for _ in 0..words {
                let word = self.bus.read(reg::FIFO);
                buffer[at..at + 4].copy_from_slice(&word.to_le_bytes());
                at += 4;
            }
        }
        self.finish_data().map_err(|e| self.abort_data(e))?;
        Ok(response)
    }

    fn write(&mut self, command: Command, data: &[u8]) -> Result<Response, SdError> {
        self.start_data(data.len(), Direction::Write)?;
        let response = self.send(command).map_err(|e| self.abort_data(e))?;
        let mut at = 0;
        let mut idle = 0;
        while at < data.len() {
            let status = self.status();
            if status & status::DATA_ERRORS != 0 {
                return Err(self.abort_data(Self::data_error(status)));
            }
            let words = if status & status::TX_EMPTY != 0 {
                16
            } else if status & status::TX_HALF_EMPTY != 0 {
                8
            } else {
                idle += 1;
                if idle > POLL_READS {
                    let Some(_) = self.wait_for(status::TX_HALF_EMPTY | status::DATA_ERRORS) else {
                        return Err(self.abort_data(SdError::DataTimeout));
                    };
                    idle = 0;
                }
                continue;
            };
            idle = 0;
            let words = words.min((data.len() - at) / 4);
            for _ in 0..words {
                let mut word = [0u8; 4];
                word.copy_from_slice(&data[at..at + 4]);
                self.bus.write(reg::FIFO, u32::from_le_bytes(word));
                at += 4;
            }
        }
        self.finish_data().map_err(|e| self.abort_data(e))?;
        Ok(response)
    }

    fn fast_clock(&mut self) -> Result<bool, SdError> {
        // The PL181 has a single data line here (no wide-bus bit used);
        // the clock divider keeps its value.
        Ok(false)
    }

    fn delay_us(&mut self, us: u32) {
        self.interrupt.delay_us(us);
    }

    fn max_transfer(&self) -> usize {
        MAX_DATA
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::pl181::FakePl181;
    use crate::testing::{CountingInterrupt, FakeCard, Fault};
    use crate::Card;

    const MIB: usize = 1 << 20;

    fn host(card: FakeCard) -> Pl181<FakePl181, CountingInterrupt> {
        Pl181::new(FakePl181::new(card), CountingInterrupt::default())
    }

    #[test]
    fn identifies_a_high_capacity_card_in_the_specified_order() {
        let mut host = host(FakeCard::new(4 * MIB, true));
        let card = Card::identify(&mut host).unwrap();
        assert!(card.high_capacity);
        assert_eq!(card.sectors, (4 * MIB / 512) as u64);
        assert_eq!(card.rca, 0x4567);
        // Two busy ACMD41 rounds, each preceded by CMD55, then ready.
        assert_eq!(
            host.bus().card.log,
            [0, 8, 55, 41, 55, 41, 55, 41, 2, 3, 9, 7],
            "no CMD16 for a high-capacity card, no ACMD6 on the PL181"
        );
        assert_eq!(host.interrupt.delayed_us, 2_000, "1 ms between busy rounds");
    }

    #[test]
    fn a_standard_capacity_card_gets_byte_addresses_and_cmd16() {
        let mut host = host(FakeCard::new(8 * MIB, false));
        let card = Card::identify(&mut host).unwrap();
        assert!(!card.high_capacity);
        assert_eq!(card.sectors, (8 * MIB / 512) as u64);
        assert_eq!(host.bus().card.log.last(), Some(&16));
        let mut buffer = [0u8; 1024];
        card.read(&mut host, 3, &mut buffer).unwrap();
        assert_eq!(host.bus().card.addresses, [3 * 512]);
    }

    #[test]
    fn sectors_written_read_back_single_and_multiple() {
        let mut host = host(FakeCard::new(4 * MIB, true));
        let card = Card::identify(&mut host).unwrap();
        let one: Vec<u8> = (0..512).map(|i| (i * 7 + 1) as u8).collect();
        let eight: Vec<u8> = (0..4096).map(|i| (i * 13 + 5) as u8).collect();
        card.write(&mut host, 10, &one).unwrap();
        card.write(&mut host, 100, &eight).unwrap();
        assert_eq!(&host.bus().card.data[10 * 512..11 * 512], &one[..]);
        assert_eq!(&host.bus().card.data[100 * 512..108 * 512], &eight[..]);
        let mut back = vec![0u8; 4096];
        card.read(&mut host, 100, &mut back).unwrap();
        assert_eq!(back, eight);
        let mut single = vec![0u8; 512];
        card.read(&mut host, 10, &mut single).unwrap();
        assert_eq!(single, one);
        let log = &host.bus().card.log;
        let data_commands: Vec<u8> = log
            .iter()
            .copied()
            .filter(|c| matches!(c, 12 | 17 | 18 | 24 | 25))
            .collect();
        assert_eq!(data_commands, [24, 25, 12, 18, 12, 17]);
        assert_eq!(
            host.bus().card.addresses,
            [10, 100, 100, 10],
            "sector addresses"
        );
        assert!(
            host.bus().interrupts >= 4,
            "each data end came through MASK0"
        );
    }

    #[test]
    fn an_empty_slot_is_no_card() {
        let mut host = host(FakeCard::absent());
        assert_eq!(Card::identify(&mut host), Err(SdError::NoCard));
    }

    #[test]
    fn a_version_1_card_is_asked_without_high_capacity() {
        let mut card = FakeCard::new(4 * MIB, true);
        card.faults.push(Fault::Timeout(8));
        let mut host = host(card);
        let card = Card::identify(&mut host).unwrap();
        assert!(!card.high_capacity, "HCS was not offered, so CCS is clear");
    }

    #[test]
    fn command_errors_are_reported() {
        let mut card = FakeCard::new(4 * MIB, true);
        card.faults.push(Fault::Crc(2));
        assert_eq!(
            Card::identify(&mut host(card)),
            Err(SdError::CommandCrc { index: 2 })
        );
        let mut card = FakeCard::new(4 * MIB, true);
        card.faults.push(Fault::Timeout(9));
        assert_eq!(
            Card::identify(&mut host(card)),
            Err(SdError::CommandTimeout { index: 9 })
        );
        let mut card = FakeCard::new(4 * MIB, true);
        card.faults.push(Fault::NeverReady);
        let mut host = host(card);
        assert_eq!(
            Card::identify(&mut host),
            Err(SdError::CommandTimeout { index: 41 })
        );
        assert_eq!(
            host.interrupt.delayed_us, 1_000_000,
            "gave the card a second"
        );
    }

    #[test]
    fn a_stalled_data_phase_times_out_and_the_card_still_serves() {
        let mut host = host(FakeCard::new(4 * MIB, true));
        let card = Card::identify(&mut host).unwrap();
        host.bus.card.faults.push(Fault::DataStall);
        let mut buffer = vec![0u8; 4096];
        assert_eq!(
            card.read(&mut host, 0, &mut buffer),
            Err(SdError::DataTimeout)
        );
        assert_eq!(card.write(&mut host, 0, &buffer), Err(SdError::DataTimeout));
        host.bus.card.faults.clear();
        buffer.fill(0xA5);
        card.write(&mut host, 8, &buffer).unwrap();
        let mut back = vec![0u8; 4096];
        card.read(&mut host, 8, &mut back).unwrap();
        assert_eq!(back, buffer);
    }

    #[test]
    fn out_of_range_and_odd_lengths_never_reach_the_card() {
        let mut host = host(FakeCard::new(4 * MIB, true));
        let card = Card::identify(&mut host).unwrap();
        let before = host.bus().card.log.len();
        let mut buffer = vec![0u8; 1000];
        assert_eq!(
            card.read(&mut host, 0, &mut buffer),
            Err(SdError::BadLength)
        );
        let mut buffer = vec![0u8; 1024];
        assert!(card.read(&mut host, card.sectors - 1, &mut buffer).is_err());
        assert_eq!(host.bus().card.log.len(), before);
    }
}
