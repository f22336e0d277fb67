//! A simulated SD memory card: the states and commands of the SD
//! Physical Layer specification that the driver uses, storage in memory,
//! and faults a test can inject. Its answers are computed from the
//! specification, not from the driver's code.

/// A fault a test injects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Command `n` gets no response.
    Timeout(u8),
    /// Command `n`'s response fails its CRC.
    Crc(u8),
    /// The data of the next read or write never moves.
    DataStall,
    /// Every ACMD41 says "still powering up".
    NeverReady,
}

/// What a command does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// No response (CMD0, or a fault).
    Silent,
    /// A response whose CRC check fails.
    BadCrc,
    /// A short response.
    Short(u32),
    /// A long response, bits 127..0 (CRC byte zero).
    Long([u32; 4]),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Idle,
    Ready,
    Identification,
    Standby,
    Transfer,
    Sending { byte: u64, end: Option<u64> },
    Receiving { byte: u64, end: Option<u64> },
}

impl State {
    fn number(self) -> u32 {
        match self {
            State::Idle => 0,
            State::Ready => 1,
            State::Identification => 2,
            State::Standby => 3,
            State::Transfer => 4,
            State::Sending { .. } => 5,
            State::Receiving { .. } => 6,
        }
    }
}

/// The card.
pub struct FakeCard {
    /// Whether a card is in the slot at all.
    pub present: bool,
    /// Its contents.
    pub data: Vec<u8>,
    /// High capacity (SDHC): sector addresses and a version 2 CSD.
    pub high_capacity: bool,
    /// ACMD41 rounds answered "busy" before "powered up".
    pub busy_rounds: u32,
    /// Injected faults.
    pub faults: Vec<Fault>,
    /// Every command index received, in order.
    pub log: Vec<u8>,
    /// Every data command's address argument, in order.
    pub addresses: Vec<u32>,
    /// ACMD6's bus width, once set.
    pub bus_width_4: bool,
    state: State,
    app: bool,
    rca: u16,
    host_high_capacity: bool,
}

impl FakeCard {
    /// A card of `bytes` bytes (a multiple of 512).
    pub fn new(bytes: usize, high_capacity: bool) -> FakeCard {
        FakeCard {
            present: true,
            data: vec![0; bytes],
            high_capacity,
            busy_rounds: 2,
            faults: Vec::new(),
            log: Vec::new(),
            addresses: Vec::new(),
            bus_width_4: false,
            state: State::Idle,
            app: false,
            rca: 0x4567,
            host_high_capacity: false,
        }
    }

    /// An empty slot.
    pub fn absent() -> FakeCard {
        FakeCard {
            present: false,
            ..FakeCard::new(512, false)
        }
    }

    fn status(&self) -> u32 {
        let ready = match self.state {
            State::Transfer => 1 << 8,
            _ => 0,
        };
        let app = if self.app { 1 << 5 } else { 0 };
        (self.state.number() << 9) | ready | app
    }

    fn csd(&self) -> [u32; 4] {
        let sectors = self.data.len() as u64 / 512;
        let mut words = [0u32; 4];
        let mut set = |high: u32, low: u32, value: u64| {
            for bit in low..=high {
                if (value >> (bit - low)) & 1 == 1 {
                    words[3 - (bit as usize / 32)] |= 1 << (bit % 32);
                }
            }
        };
        if self.high_capacity {
            set(127, 126, 1);
            set(69, 48, sectors / 1024 - 1);
        } else {
            // 512-byte blocks, C_SIZE_MULT 7 (x512): C_SIZE = blocks/512 - 1.
            set(83, 80, 9);
            set(49, 47, 7);
            set(73, 62, sectors / 512 - 1);
        }
        words
    }

    fn byte_address(&self, argument: u32) -> u64 {
        if self.high_capacity {
            u64::from(argument) * 512
        } else {
            u64::from(argument)
        }
    }

    fn stalled(&self) -> bool {
        self.faults.contains(&Fault::DataStall)
    }

    /// Runs a command.
    pub fn command(&mut self, index: u8, argument: u32) -> Answer {
        if !self.present {
            return Answer::Silent;
        }
        self.log.push(index);
        if self.faults.contains(&Fault::Timeout(index)) {
            self.app = false;
            return Answer::Silent;
        }
        if self.faults.contains(&Fault::Crc(index)) {
            self.app = false;
            return Answer::BadCrc;
        }
        let app = std::mem::take(&mut self.app);
        match (app, index) {
            (_, 0) => {
                self.state = State::Idle;
                Answer::Silent
            }
            (false, 8) => Answer::Short(argument & 0xFFF),
            (_, 55) => {
                self.app = true;
                Answer::Short(self.status() | 1 << 5)
            }
            (true, 41) => {
                if argument & 0x00FF_8000 == 0 {
                    return Answer::Short(0x00FF_8000);
                }
                self.host_high_capacity = argument & (1 << 30) != 0;
                let busy = self.busy_rounds > 0 || self.faults.contains(&Fault::NeverReady);
                if busy {
                    self.busy_rounds = self.busy_rounds.saturating_sub(1);
                    return Answer::Short(0x00FF_8000);
                }
                self.state = State::Ready;
                let ccs = if self.high_capacity && self.host_high_capacity {
                    1 << 30
                } else {
                    0
                };
                Answer::Short(0x80FF_8000 | ccs)
            }
            (true, 6) => {
                self.bus_width_4 = argument == 2;
                Answer::Short(self.status())
            }
            (false, 2) if self.state == State::Ready => {
                self.state = State::Identification;
                Answer::Long([0x0353_4453, 0x4643_3136, 0x0100_0000, 0x0001_0000])
            }
            (false, 3) if self.state == State::Identification => {
                self.state = State::Standby;
                Answer::Short(u32::from(self.rca) << 16)
            }
            (false, 9) if argument >> 16 == u32::from(self.rca) => Answer::Long(self.csd()),
            (false, 7) if argument >> 16 == u32::from(self.rca) => {
                let status = self.status();
                self.state = State::Transfer;
                Answer::Short(status)
            }
            (false, 13) => Answer::Short(self.status()),
            (false, 16) => {
                if argument == 512 {
                    Answer::Short(self.status())
                } else {
                    Answer::Short(self.status() | 1 << 29)
                }
            }
            (false, 17 | 18 | 24 | 25) if self.state == State::Transfer => {
                self.addresses.push(argument);
                let byte = self.byte_address(argument);
                let status = self.status();
                if byte >= self.data.len() as u64 {
                    return Answer::Short(status | 1 << 31);
                }
                let end = matches!(index, 17 | 24).then_some(byte + 512);
                self.state = if index < 20 {
                    State::Sending { byte, end }
                } else {
                    State::Receiving { byte, end }
                };
                Answer::Short(status)
            }
            (false, 12) => {
                let status = self.status();
                if matches!(self.state, State::Sending { .. } | State::Receiving { .. }) {
                    self.state = State::Transfer;
                }
                Answer::Short(status)
            }
            _ => Answer::Short(self.status() | 1 << 22), // ILLEGAL_COMMAND
        }
    }

    /// The next byte the card sends, if it is sending.
    pub fn read_byte(&mut self) -> Option<u8> {
        if self.stalled() {
            return None;
        }
        let State::Sending { byte, end } = self.state else {
            return None;
        };
        let value = *self.data.get(byte as usize)?;
        let next = byte + 1;
        self.state = if Some(next) == end {
            State::Transfer
        } else {
            State::Sending { byte: next, end }
        };
        Some(value)
    }

    /// Takes a byte the host sends; `false` if the card is not receiving.
    pub fn write_byte(&mut self, value: u8) -> bool {
        if self.stalled() {
            return false;
        }
        let State::Receiving { byte, end } = self.state else {
            return false;
        };
        let Some(slot) = self.data.get_mut(byte as usize) else {
            return false;
        };
        *slot = value;
        let next = byte + 1;
        self.state = if Some(next) == end {
            State::Transfer
        } else {
            State::Receiving { byte: next, end }
        };
        true
    }
}
