//! The SD card protocol above any controller: identification and
//! initialisation (CMD0, CMD8, the ACMD41 power-up loop, CMD2, CMD3, CMD9,
//! CMD7, and ACMD6 or CMD16 where they apply), then sector reads and
//! writes (CMD17/18, CMD24/25, CMD12, CMD13) with the card's addressing:
//! sectors on high-capacity cards, bytes on standard-capacity ones.
//!
//! A [`Host`] runs one command at a time; this module decides which. It
//! must never touch a register.

use crate::command::{self, Command, Response, R1_ERRORS, R1_READY_FOR_DATA, STATE_TRANSFER};
use crate::error::SdError;

/// Bytes in a sector, the unit the card reads and writes.
pub const SECTOR_SIZE: usize = 512;
/// The most ACMD41 rounds before the card counts as dead (1 ms apart: the
/// specification gives a card one second to power up).
pub const POWER_UP_ROUNDS: u32 = 1_000;
/// The most CMD13 rounds waiting for a card to finish programming.
pub const PROGRAMMING_ROUNDS: u32 = 10_000;

/// A host controller with a card slot.
pub trait Host {
    /// Resets the controller, powers the slot and starts the
    /// identification clock. `Err(NoCard)` if the controller can tell the
    /// slot is empty.
    fn start(&mut self) -> Result<(), SdError>;
    /// Runs a command without data and returns its response.
    fn command(&mut self, command: Command) -> Result<Response, SdError>;
    /// Runs a read command and moves `buffer.len()` bytes (whole sectors)
    /// from the card into `buffer`.
    fn read(&mut self, command: Command, buffer: &mut [u8]) -> Result<Response, SdError>;
    /// Runs a write command and moves `data` (whole sectors) to the card.
    fn write(&mut self, command: Command, data: &[u8]) -> Result<Response, SdError>;
    /// After identification: switches to the data-transfer clock and
    /// returns whether the controller has four data lines.
    fn fast_clock(&mut self) -> Result<bool, SdError>;
    /// Switches the controller to four data lines (after the card was
    /// told with ACMD6).
    fn wide_bus(&mut self) {}
    /// Sleeps `us` microseconds.
    fn delay_us(&mut self, us: u32);
    /// The most bytes one data command may move.
    fn max_transfer(&self) -> usize;
}

/// An initialised card in the transfer state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Card {
    /// Its relative card address.
    pub rca: u16,
    /// High capacity: addressed in sectors, not bytes.
    pub high_capacity: bool,
    /// Its size in sectors.
    pub sectors: u64,
}

fn checked(status: u32) -> Result<u32, SdError> {
    if status & R1_ERRORS != 0 {
        Err(SdError::CardStatus { status })
    } else {
        Ok(status)
    }
}

impl Card {
    /// Finds and initialises the card in `host`'s slot.
    pub fn identify(host: &mut impl Host) -> Result<Card, SdError> {
        host.start()?;
        host.command(command::GO_IDLE)?;
        // A version 2 card echoes CMD8's pattern; a version 1 card (or an
        // empty slot) does not answer it.
        let version_2 = match host.command(command::send_if_cond()) {
            Ok(response) if response.short() & 0xFFF == command::CMD8_PATTERN => true,
            Ok(_) => return Err(SdError::Unusable),
            Err(SdError::CommandTimeout { .. }) => false,
            Err(error) => return Err(error),
        };
        let ocr = Self::power_up(host, version_2)?;
        host.command(command::ALL_SEND_CID)?;
        let rca = (host.command(command::SEND_RELATIVE_ADDRESS)?.short() >> 16) as u16;
        let csd = host.command(command::send_csd(rca))?;
        let sectors = crate::csd::sectors(csd).ok_or(SdError::Unusable)?;
        checked(host.command(command::select_card(rca))?.short())?;
        let high_capacity = ocr & command::OCR_HIGH_CAPACITY != 0;
        if !high_capacity {
            checked(
                host.command(command::set_block_length(SECTOR_SIZE as u32))?
                    .short(),
            )?;
        }
        if host.fast_clock()? {
            checked(host.command(command::app_cmd(rca))?.short())?;
            checked(host.command(command::set_bus_width_4())?.short())?;
            host.wide_bus();
        }
        Ok(Card {
            rca,
            high_capacity,
            sectors,
        })
    }

    /// The ACMD41 loop: the OCR once the card has powered up.
    fn power_up(host: &mut impl Host, version_2: bool) -> Result<u32, SdError> {
        for _ in 0..POWER_UP_ROUNDS {
            match host.command(command::app_cmd(0)) {
                Ok(response) => checked(response.short())?,
                // Nothing answers CMD55: there is no card.
                Err(SdError::CommandTimeout { .. }) => return Err(SdError::NoCard),
                Err(error) => return Err(error),
            };
            let ocr = match host.command(command::sd_send_op_cond(version_2)) {
                Ok(response) => response.short(),
                Err(SdError::CommandTimeout { .. }) => return Err(SdError::NoCard),
                Err(error) => return Err(error),
            };
            if ocr & command::OCR_POWERED_UP != 0 {
                return Ok(ocr);
            }
            host.delay_us(1_000);
        }
        Err(SdError::CommandTimeout { index: 41 })
    }

    /// The address of `sector` in the card's addressing.
    fn address(&self, sector: u64) -> Result<u32, SdError> {
        let address = if self.high_capacity {
            sector
        } else {
            sector * SECTOR_SIZE as u64
        };
        u32::try_from(address).map_err(|_| SdError::BadLength)
    }

    fn check_range(&self, host: &impl Host, sector: u64, len: usize) -> Result<(), SdError> {
        let count = (len / SECTOR_SIZE) as u64;
        if len == 0 || !len.is_multiple_of(SECTOR_SIZE) || len > host.max_transfer() {
            return Err(SdError::BadLength);
        }
        match sector.checked_add(count) {
            Some(end) if end <= self.sectors => Ok(()),
            _ => Err(SdError::CardStatus {
                status: 1 << 31, // OUT_OF_RANGE, as the card would say
            }),
        }
    }

    /// Reads `buffer.len() / 512` sectors from `sector`: CMD17 for one,
    /// CMD18 and CMD12 for more.
    pub fn read(
        &self,
        host: &mut impl Host,
        sector: u64,
        buffer: &mut [u8],
    ) -> Result<(), SdError> {
        self.check_range(host, sector, buffer.len())?;
        let multiple = buffer.len() > SECTOR_SIZE;
        let address = self.address(sector)?;
        let result = host
            .read(command::read_blocks(address, multiple), buffer)
            .and_then(|response| checked(response.short()));
        let stopped = if multiple {
            host.command(command::STOP_TRANSMISSION).map(|_| ())
        } else {
            Ok(())
        };
        result?;
        stopped
    }

    /// Writes `data` (whole sectors) from `sector`: CMD24 for one, CMD25
    /// and CMD12 for more; returns once the card has programmed it.
    pub fn write(&self, host: &mut impl Host, sector: u64, data: &[u8]) -> Result<(), SdError> {
        self.check_range(host, sector, data.len())?;
        let multiple = data.len() > SECTOR_SIZE;
        let address = self.address(sector)?;
        let result = host
            .write(command::write_blocks(address, multiple), data)
            .and_then(|response| checked(response.short()));
        let stopped = if multiple {
            host.command(command::STOP_TRANSMISSION).map(|_| ())
        } else {
            Ok(())
        };
        result?;
        stopped?;
        self.wait_ready(host)
    }

    /// Waits (CMD13) until the card is back in `tran` and ready for data.
    pub fn wait_ready(&self, host: &mut impl Host) -> Result<(), SdError> {
        for _ in 0..PROGRAMMING_ROUNDS {
            let status = checked(host.command(command::send_status(self.rca))?.short())?;
            if status & R1_READY_FOR_DATA != 0 && command::r1_state(status) == STATE_TRANSFER {
                return Ok(());
            }
            host.delay_us(100);
        }
        Err(SdError::DataTimeout)
    }
}
