//! The guest's files on the SD card: the FAT file system xtask writes
//! into the guest's `use = "files"` region, read with `embedded-sdmmc`,
//! as guest-mm's [`FileStore`] under the page cache. File `n` is the root
//! directory's `guest_os_config::file_set::file_name(n)`; its number is
//! its `FileId` (and its cleancache key).
//!
//! `embedded-sdmmc` reads 512-byte sectors; the region is a device of
//! 4 KiB blocks ([`guest_mm::BlockDevice`], the block server's unit), so
//! [`Sectors`] serves sectors out of the last block it read. This module
//! only reads: it must never write the card, and never return bytes it
//! did not read from the file (bytes past the end read as zero).

use alloc::boxed::Box;
use core::cell::RefCell;
use core::fmt;

use embedded_sdmmc::{
    Block, BlockCount, BlockIdx, Mode, RawDirectory, RawVolume, TimeSource, Timestamp, VolumeIdx,
    VolumeManager,
};
use guest_mm::{BlockDevice, BlockError, FileError, FileId, FileStore, Page, PAGE_SIZE};
use guest_os_config::file_set::file_name;

/// Sectors in a 4 KiB block.
const SECTORS_PER_BLOCK: u32 = (PAGE_SIZE / Block::LEN) as u32;

/// A block device failure, as `embedded-sdmmc` wants its errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SectorError(pub BlockError);

impl fmt::Display for SectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            BlockError::OutOfRange => f.write_str("sector past the region's end"),
            BlockError::Io => f.write_str("the block device failed"),
        }
    }
}

impl core::error::Error for SectorError {}

/// A 4 KiB-block device as 512-byte sectors, read only, keeping the last
/// block read.
pub struct Sectors<B: BlockDevice> {
    inner: RefCell<SectorsInner<B>>,
}

struct SectorsInner<B> {
    device: B,
    /// The block in `page`, if any.
    cached: Option<u32>,
    /// On the heap: the guest kernel's stack is small.
    page: Box<Page>,
    /// Blocks read from the device.
    reads: u64,
}

impl<B: BlockDevice> Sectors<B> {
    /// Sectors over `device`.
    pub fn new(device: B) -> Sectors<B> {
        Sectors {
            inner: RefCell::new(SectorsInner {
                device,
                cached: None,
                page: Box::new([0; PAGE_SIZE]),
                reads: 0,
            }),
        }
    }

    /// Blocks read from the device so far.
    pub fn reads(&self) -> u64 {
        self.inner.borrow().reads
    }
}

impl<B: BlockDevice> embedded_sdmmc::BlockDevice for Sectors<B> {
    type Error = SectorError;

    fn read(&self, blocks: &mut [Block], start: BlockIdx) -> Result<(), SectorError> {
        let mut inner = self.inner.borrow_mut();
        for (sector, out) in (start.0..).zip(blocks.iter_mut()) {
            let block = sector / SECTORS_PER_BLOCK;
            if inner.cached != Some(block) {
                inner.cached = None;
                let SectorsInner { device, page, .. } = &mut *inner;
                device.read_block(block, page).map_err(SectorError)?;
                inner.cached = Some(block);
                inner.reads += 1;
            }
            let at = (sector % SECTORS_PER_BLOCK) as usize * Block::LEN;
            out.contents
                .copy_from_slice(&inner.page[at..at + Block::LEN]);
        }
        Ok(())
    }

    fn write(&self, _blocks: &[Block], _start: BlockIdx) -> Result<(), SectorError> {
        // The guest's files are read-only: xtask writes them.
        Err(SectorError(BlockError::Io))
    }

    fn num_blocks(&self) -> Result<BlockCount, SectorError> {
        let blocks = self.inner.borrow().device.block_count();
        Ok(BlockCount(blocks.saturating_mul(SECTORS_PER_BLOCK)))
    }
}

/// No clock: the guest never writes, so no timestamp is ever stored.
pub struct NoClock;

impl TimeSource for NoClock {
    fn get_timestamp(&self) -> Timestamp {
        Timestamp::from_fat(0, 0)
    }
}

/// Why the file system could not be opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FatFilesError {
    /// The region has no MBR with a FAT16/FAT32 partition.
    NoVolume,
    /// The root directory could not be read.
    NoRootDirectory,
}

impl FatFilesError {
    /// A short name for logs.
    pub const fn name(self) -> &'static str {
        match self {
            FatFilesError::NoVolume => "no FAT volume in the files region",
            FatFilesError::NoRootDirectory => "the FAT root directory is unreadable",
        }
    }
}

/// The files of a FAT volume's root directory as a [`FileStore`].
pub struct FatFiles<B: BlockDevice> {
    volumes: VolumeManager<Sectors<B>, NoClock, 1, 1, 1>,
    root: RawDirectory,
    /// Pages read from the card.
    reads: u64,
}

impl<B: BlockDevice> FatFiles<B> {
    /// Opens the first partition of `device` and its root directory.
    pub fn open(device: B) -> Result<FatFiles<B>, FatFilesError> {
        let volumes = VolumeManager::new_with_limits(Sectors::new(device), NoClock, 5000);
        let volume: RawVolume = volumes
            .open_raw_volume(VolumeIdx(0))
            .map_err(|_| FatFilesError::NoVolume)?;
        let root = volumes
            .open_root_dir(volume)
            .map_err(|_| FatFilesError::NoRootDirectory)?;
        Ok(FatFiles {
            volumes,
            root,
            reads: 0,
        })
    }

    /// Pages read from the card so far.
    pub const fn reads(&self) -> u64 {
        self.reads
    }

    /// Blocks read from the device (file pages and FAT metadata) so far.
    pub fn blocks_read(&self) -> u64 {
        self.volumes.device(|sectors| sectors.reads())
    }

    /// Opens `file`, runs `with` on it, closes it.
    fn with_file<R>(
        &self,
        file: FileId,
        with: impl FnOnce(&Self, embedded_sdmmc::RawFile) -> Result<R, FileError>,
    ) -> Result<R, FileError> {
        let name = file_name(file.0);
        let handle = self
            .volumes
            .open_file_in_dir(self.root, name.as_str(), Mode::ReadOnly)
            .map_err(|error| match error {
                embedded_sdmmc::Error::NotFound => FileError::NoSuchFile,
                _ => FileError::Io,
            })?;
        let result = with(self, handle);
        let closed = self.volumes.close_file(handle).map_err(|_| FileError::Io);
        let value = result?;
        closed?;
        Ok(value)
    }
}

impl<B: BlockDevice> FileStore for FatFiles<B> {
    fn size(&self, file: FileId) -> Result<u32, FileError> {
        self.with_file(file, |fs, handle| {
            fs.volumes.file_length(handle).map_err(|_| FileError::Io)
        })
    }

    fn read_page(&mut self, file: FileId, index: u32, out: &mut Page) -> Result<(), FileError> {
        self.with_file(file, |fs, handle| {
            let size = fs.volumes.file_length(handle).map_err(|_| FileError::Io)?;
            let start = index
                .checked_mul(PAGE_SIZE as u32)
                .filter(|&start| start < size)
                .ok_or(FileError::PastEnd)?;
            fs.volumes
                .file_seek_from_start(handle, start)
                .map_err(|_| FileError::Io)?;
            let want = (size - start).min(PAGE_SIZE as u32) as usize;
            let mut filled = 0;
            while filled < want {
                let got = fs
                    .volumes
                    .read(handle, &mut out[filled..want])
                    .map_err(|_| FileError::Io)?;
                if got == 0 {
                    // The directory said the file is longer than its chain.
                    return Err(FileError::Io);
                }
                filled += got;
            }
            out[want..].fill(0);
            Ok(())
        })?;
        self.reads += 1;
        Ok(())
    }
}
