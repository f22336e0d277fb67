//! A simulated SDHCI controller (SD Host Controller Simplified
//! Specification 2.00 register map) with a [`FakeCard`] behind it: a
//! command runs on the write of the COMMAND half of `0x0C`; data moves a
//! 512-byte block at a time through the buffer port, announced by
//! BUFFER_READ_READY / BUFFER_WRITE_READY; the interrupt line is
//! INT_STATUS & INT_SIGNAL_ENABLE. It also records what the Tegra quirks
//! forbid: 16-bit-style writes are impossible here (the bus is 32-bit), and
//! every signal-enable value written is kept for inspection.

use super::card::{Answer, FakeCard};
use crate::sdhci::{clock, int, mode, present, reg, reset};
use crate::RegisterBus;

/// The controller.
pub struct FakeSdhci {
    /// The card in its slot.
    pub card: FakeCard,
    /// Every value written to INT_SIGNAL_ENABLE.
    pub signal_enables: Vec<u32>,
    /// Every command register write: (argument, TRANSFER_MODE | COMMAND << 16).
    pub commands: Vec<(u32, u32)>,
    /// The clock divisor of every write that started the card clock.
    pub card_clock_divisors: Vec<u32>,
    /// The controller never finishes a reset (a dead controller).
    pub stuck_reset: bool,
    argument: u32,
    response: [u32; 4],
    status: u32,
    block: u32,
    clock_reset: u32,
    host_power: u32,
    /// Data of the block being moved, and blocks left.
    buffer: Vec<u8>,
    at: usize,
    blocks_left: u32,
    reading: bool,
}

impl FakeSdhci {
    /// The controller with `card` in its slot.
    pub fn new(card: FakeCard) -> FakeSdhci {
        FakeSdhci {
            card,
            signal_enables: Vec::new(),
            commands: Vec::new(),
            card_clock_divisors: Vec::new(),
            stuck_reset: false,
            argument: 0,
            response: [0; 4],
            status: 0,
            block: 0,
            clock_reset: 0,
            host_power: 0,
            buffer: Vec::new(),
            at: 0,
            blocks_left: 0,
            reading: false,
        }
    }

    /// HOST_CONTROL's four-data-line bit.
    pub fn wide(&self) -> bool {
        self.host_power & 2 != 0
    }

    fn run_command(&mut self, value: u32) {
        self.commands.push((self.argument, value));
        let transfer = value & 0xFFFF;
        let command = value >> 16;
        let index = (command >> 8) as u8 & 0x3F;
        let response_type = command & 0b11;
        let answer = self.card.command(index, self.argument);
        match (answer, response_type) {
            (Answer::Silent, 0) | (_, 0) => self.status |= int::COMMAND_COMPLETE,
            (Answer::Silent, _) => self.status |= int::ERROR | int::COMMAND_TIMEOUT,
            (Answer::BadCrc, _) => self.status |= int::ERROR | int::COMMAND_CRC,
            (Answer::Long(words), 0b01) => {
                // Bits 127..8 into the registers.
                self.response = [
                    words[3] >> 8 | words[2] << 24,
                    words[2] >> 8 | words[1] << 24,
                    words[1] >> 8 | words[0] << 24,
                    words[0] >> 8,
                ];
                self.status |= int::COMMAND_COMPLETE;
            }
            (Answer::Short(word), 0b10 | 0b11) => {
                self.response = [word, 0, 0, 0];
                self.status |= int::COMMAND_COMPLETE;
            }
            _ => self.status |= int::ERROR | int::COMMAND_TIMEOUT,
        }
        if command & (1 << 5) != 0 && self.status & int::ERROR == 0 {
            self.reading = transfer & mode::READ != 0;
            self.blocks_left = if transfer & mode::BLOCK_COUNT_ENABLE != 0 {
                self.block >> 16
            } else {
                1
            };
            self.next_block();
        }
    }

    fn next_block(&mut self) {
        self.at = 0;
        if self.blocks_left == 0 {
            self.status |= int::TRANSFER_COMPLETE;
            return;
        }
        if self.reading {
            let mut block = Vec::with_capacity(512);
            for _ in 0..512 {
                match self.card.read_byte() {
                    Some(byte) => block.push(byte),
                    None => return, // stalled: the buffer never becomes ready
                }
            }
            self.buffer = block;
            self.status |= int::BUFFER_READ_READY;
        } else {
            self.buffer = vec![0; 512];
            self.status |= int::BUFFER_WRITE_READY;
        }
    }

    fn block_done(&mut self) {
        self.blocks_left -= 1;
        self.next_block();
    }
}

impl RegisterBus for FakeSdhci {
    fn read(&mut self, offset: usize) -> u32 {
        match offset {
            reg::INT_STATUS => self.status,
            reg::PRESENT_STATE if self.card.present => present::CARD_INSERTED,
            reg::CLOCK_TIMEOUT_RESET => self.clock_reset,
            reg::HOST_POWER => self.host_power,
            o if (reg::RESPONSE0..reg::RESPONSE0 + 16).contains(&o) => {
                self.response[(o - reg::RESPONSE0) / 4]
            }
            reg::BUFFER if self.reading && self.at < self.buffer.len() => {
                let mut word = [0u8; 4];
                word.copy_from_slice(&self.buffer[self.at..self.at + 4]);
                self.at += 4;
                if self.at == self.buffer.len() {
                    self.block_done();
                }
                u32::from_le_bytes(word)
            }
            _ => 0,
        }
    }

    fn write(&mut self, offset: usize, value: u32) {
        match offset {
            reg::BLOCK => self.block = value,
            reg::ARGUMENT => self.argument = value,
            reg::TRANSFER_COMMAND => self.run_command(value),
            reg::HOST_POWER => self.host_power = value,
            reg::CLOCK_TIMEOUT_RESET => {
                let mut value = value;
                if !self.stuck_reset {
                    value &= !(reset::ALL | reset::COMMAND | reset::DATA);
                }
                if value & clock::INTERNAL_ENABLE != 0 {
                    value |= clock::INTERNAL_STABLE;
                }
                if value & clock::CARD_ENABLE != 0 && self.clock_reset & clock::CARD_ENABLE == 0 {
                    self.card_clock_divisors.push(value >> 8 & 0xFF);
                }
                self.clock_reset = value;
            }
            reg::INT_STATUS => {
                self.status &= !value;
                if self.status & 0xFFFF_0000 == 0 {
                    self.status &= !int::ERROR;
                }
            }
            reg::INT_SIGNAL_ENABLE => self.signal_enables.push(value),
            reg::BUFFER if !self.reading && self.at < self.buffer.len() => {
                for byte in value.to_le_bytes() {
                    if !self.card.write_byte(byte) {
                        self.status |= int::ERROR | int::DATA_TIMEOUT;
                        return;
                    }
                }
                self.at += 4;
                if self.at == self.buffer.len() {
                    self.block_done();
                }
            }
            _ => {}
        }
    }
}
