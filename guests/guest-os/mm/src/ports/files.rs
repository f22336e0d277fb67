//! The backing store of the page cache: read-only files on the guest's file
//! system (on the SD card behind the block server, issue 13).
//!
//! Files are named by a [`FileId`] the file system gives (an inode number;
//! it is also the file's key in cleancache). An implementation must never
//! return stale or partial data as a success: bytes past the end of the
//! file in the last page read as zero.

use crate::page::Page;

/// A file, by its file system's number for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// Why a file could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileError {
    /// No file has that id.
    NoSuchFile,
    /// The page is past the end of the file.
    PastEnd,
    /// The device or the block server failed.
    Io,
}

/// Read-only files, a page at a time.
pub trait FileStore {
    /// The file's size in bytes.
    fn size(&self, file: FileId) -> Result<u32, FileError>;

    /// Reads page `index` of `file` into `out` (zero past the end of the
    /// file).
    fn read_page(&mut self, file: FileId, index: u32, out: &mut Page) -> Result<(), FileError>;
}
