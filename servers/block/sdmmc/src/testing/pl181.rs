//! A simulated PL181 with a [`FakeCard`] behind it, following ARM's PL181
//! technical reference manual: a command runs when COMMAND is written with
//! ENABLE; data moves between the card and a 16-word FIFO as room and
//! data allow; STATUS reports FIFO levels, ends and errors; MASK0 drives
//! interrupt line 0.

use std::collections::VecDeque;

use super::card::{Answer, FakeCard};
use crate::pl181::{cmd, data, reg, status};
use crate::RegisterBus;

/// The controller.
pub struct FakePl181 {
    /// The card in its slot.
    pub card: FakeCard,
    /// Every register write, in order (offset, value).
    pub writes: Vec<(usize, u32)>,
    argument: u32,
    response: [u32; 4],
    status: u32,
    mask0: u32,
    data_length: u32,
    data_ctrl: u32,
    remaining: u32,
    fifo: VecDeque<u32>,
    /// Interrupt line 0 was seen high (status & MASK0) at some write.
    pub interrupts: u32,
}

impl FakePl181 {
    /// The controller with `card` inserted.
    pub fn new(card: FakeCard) -> FakePl181 {
        FakePl181 {
            card,
            writes: Vec::new(),
            argument: 0,
            response: [0; 4],
            status: 0,
            mask0: 0,
            data_length: 0,
            data_ctrl: 0,
            remaining: 0,
            fifo: VecDeque::new(),
            interrupts: 0,
        }
    }

    fn reading(&self) -> bool {
        self.data_ctrl & data::FROM_CARD != 0
    }

    /// Moves data between card and FIFO, then recomputes the FIFO bits.
    fn run_fifo(&mut self) {
        if self.data_ctrl & data::ENABLE != 0 {
            if self.reading() {
                while self.remaining > 0 && self.fifo.len() < 16 {
                    let mut word = [0u8; 4];
                    let mut got = 0;
                    for byte in word.iter_mut() {
                        match self.card.read_byte() {
                            Some(value) => {
                                *byte = value;
                                got += 1;
                            }
                            None => break,
                        }
                    }
                    if got == 0 {
                        break;
                    }
                    self.remaining -= got;
                    self.fifo.push_back(u32::from_le_bytes(word));
                }
            } else {
                while self.remaining > 0 {
                    let Some(word) = self.fifo.pop_front() else {
                        break;
                    };
                    for byte in word.to_le_bytes() {
                        if !self.card.write_byte(byte) {
                            self.fifo.push_front(word);
                            return self.update_fifo_bits();
                        }
                        self.remaining -= 1;
                    }
                }
            }
        }
        self.update_fifo_bits();
    }

    fn update_fifo_bits(&mut self) {
        let fifo_bits = status::RX_FULL
            | status::RX_HALF_FULL
            | status::RX_AVAILABLE
            | status::TX_EMPTY
            | status::TX_HALF_EMPTY;
        self.status &= !fifo_bits;
        if self.data_ctrl & data::ENABLE == 0 {
            return;
        }
        let len = self.fifo.len();
        if self.reading() {
            if len == 16 {
                self.status |= status::RX_FULL;
            }
            if len >= 8 {
                self.status |= status::RX_HALF_FULL;
            }
            if len > 0 {
                self.status |= status::RX_AVAILABLE;
            }
        } else {
            if len == 0 {
                self.status |= status::TX_EMPTY;
            }
            if len <= 8 {
                self.status |= status::TX_HALF_EMPTY;
            }
        }
        if self.remaining == 0 && len == 0 {
            self.status |= status::DATA_END;
            self.data_ctrl &= !data::ENABLE;
            self.status &= !fifo_bits;
        }
    }

    fn run_command(&mut self, value: u32) {
        let index = (value & 0x3F) as u8;
        let answer = self.card.command(index, self.argument);
        let wants = value & cmd::RESPONSE != 0;
        let long = value & cmd::LONG_RESPONSE != 0;
        match answer {
            Answer::Silent if wants => self.status |= status::CMD_TIMEOUT,
            Answer::Silent => self.status |= status::CMD_SENT,
            _ if !wants => self.status |= status::CMD_SENT,
            Answer::BadCrc => self.status |= status::CMD_CRC_FAIL,
            Answer::Short(word) if !long => {
                self.response = [word, 0, 0, 0];
                self.status |= status::CMD_RESP_END;
            }
            Answer::Long(words) if long => {
                self.response = words;
                self.status |= status::CMD_RESP_END;
            }
            _ => self.status |= status::CMD_TIMEOUT,
        }
    }
}

impl RegisterBus for FakePl181 {
    fn read(&mut self, offset: usize) -> u32 {
        match offset {
            reg::STATUS => {
                let value = self.status;
                self.run_fifo();
                value
            }
            reg::MASK0 => self.mask0,
            o if (reg::RESPONSE0..reg::RESPONSE0 + 16).contains(&o) => {
                self.response[(o - reg::RESPONSE0) / 4]
            }
            o if (reg::FIFO..reg::FIFO + 64).contains(&o) => {
                let value = self.fifo.pop_front().unwrap_or(0);
                self.update_fifo_bits();
                value
            }
            _ => 0,
        }
    }

    fn write(&mut self, offset: usize, value: u32) {
        self.writes.push((offset, value));
        match offset {
            reg::ARGUMENT => self.argument = value,
            reg::COMMAND if value & cmd::ENABLE != 0 => {
                self.run_command(value);
                self.run_fifo();
            }
            reg::DATA_LENGTH => self.data_length = value & 0xFFFF,
            reg::DATA_CTRL => {
                self.data_ctrl = value & 0xFF;
                if value & data::ENABLE != 0 {
                    self.remaining = self.data_length;
                    self.fifo.clear();
                    self.run_fifo();
                }
            }
            reg::CLEAR => self.status &= !(value & status::CLEARABLE),
            reg::MASK0 => self.mask0 = value,
            o if (reg::FIFO..reg::FIFO + 64).contains(&o) => {
                if self.fifo.len() < 16 {
                    self.fifo.push_back(value);
                }
                self.run_fifo();
            }
            _ => {}
        }
        if self.status & self.mask0 != 0 {
            self.interrupts += 1;
        }
    }
}
