//! The disk as the service sees it — blocks of 4 KiB — and its one real
//! implementation over an SD card: 4 KiB block `b` is sectors `8b..8b+8`,
//! moved in as few commands as the controller allows. Card errors become
//! reply statuses here; nothing here decides who may touch which block.

use block_protocol::{Status, BLOCK_SIZE};
use sdmmc::{Card, Host, SdError, SECTOR_SIZE};

/// Whole-disk block access.
pub trait Disk {
    /// Reads `buffer.len() / 4096` blocks from disk block `block`.
    fn read(&mut self, block: u32, buffer: &mut [u8]) -> Result<(), Status>;
    /// Writes `data` (whole blocks) at disk block `block`.
    fn write(&mut self, block: u32, data: &[u8]) -> Result<(), Status>;
    /// Returns once every earlier write is durable.
    fn flush(&mut self) -> Result<(), Status>;
}

/// What a card error tells a client.
pub const fn status_of(error: SdError) -> Status {
    match error {
        SdError::NoCard => Status::NoCard,
        SdError::CommandTimeout { .. } | SdError::DataTimeout => Status::Timeout,
        _ => Status::DeviceError,
    }
}

const SECTORS_PER_BLOCK: u64 = (BLOCK_SIZE / SECTOR_SIZE) as u64;

/// An SD card behind a controller, or the error that stopped finding one.
pub struct CardDisk<H> {
    host: H,
    card: Result<Card, SdError>,
}

impl<H: Host> CardDisk<H> {
    /// Identifies the card in `host`'s slot.
    pub fn new(mut host: H) -> CardDisk<H> {
        let card = Card::identify(&mut host);
        CardDisk { host, card }
    }

    /// The controller (the partition sleeps on its interrupt source).
    pub fn host_mut(&mut self) -> &mut H {
        &mut self.host
    }

    /// The card, or why there is none.
    pub fn card(&self) -> Result<Card, SdError> {
        self.card
    }

    fn chunk_bytes(&self) -> usize {
        (self.host.max_transfer() / BLOCK_SIZE).max(1) * BLOCK_SIZE
    }
}

impl<H: Host> Disk for CardDisk<H> {
    fn read(&mut self, block: u32, buffer: &mut [u8]) -> Result<(), Status> {
        let card = self.card.map_err(status_of)?;
        let chunk = self.chunk_bytes();
        let mut sector = u64::from(block) * SECTORS_PER_BLOCK;
        for part in buffer.chunks_mut(chunk) {
            card.read(&mut self.host, sector, part).map_err(status_of)?;
            sector += (part.len() / SECTOR_SIZE) as u64;
        }
        Ok(())
    }

    fn write(&mut self, block: u32, data: &[u8]) -> Result<(), Status> {
        let card = self.card.map_err(status_of)?;
        let chunk = self.chunk_bytes();
        let mut sector = u64::from(block) * SECTORS_PER_BLOCK;
        for part in data.chunks(chunk) {
            card.write(&mut self.host, sector, part)
                .map_err(status_of)?;
            sector += (part.len() / SECTOR_SIZE) as u64;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Status> {
        // Writes return only once programmed (CMD13); a flush checks the
        // card is still there and idle.
        let card = self.card.map_err(status_of)?;
        card.wait_ready(&mut self.host).map_err(status_of)
    }
}
