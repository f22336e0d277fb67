//! The guest's files for systems without an SD card (`files` without
//! `on_card`; those with one read the same file set from FAT,
//! [`crate::fat_files`]): read-only files whose bytes are a
//! formula of file and offset ([`file_byte`]), computed on each read as a
//! device would deliver them. It gives the page cache and cleancache real
//! traffic now; the file reader checks every byte against the same
//! formula, so a page cache that hands back a wrong, stale or foreign page
//! is caught. The last page of each file is partial, to exercise the
//! end-of-file path. It must never return bytes past a file's end.

use guest_mm::{FileError, FileId, FileStore, Page, PAGE_SIZE};

use crate::workload::pattern::file_byte;

pub use guest_os_config::file_set::LAST_PAGE_SHORT_BY;

/// Files `0..files`, each `pages` pages long less [`LAST_PAGE_SHORT_BY`]
/// bytes.
#[derive(Clone, Copy, Debug)]
pub struct SyntheticFiles {
    files: u32,
    pages: u32,
    reads: u64,
}

impl SyntheticFiles {
    /// `files` files of `pages` pages each.
    pub const fn new(files: u32, pages: u32) -> SyntheticFiles {
        SyntheticFiles {
            files,
            pages,
            reads: 0,
        }
    }

    /// Pages read from the "device" so far.
    pub const fn reads(&self) -> u64 {
        self.reads
    }
}

impl FileStore for SyntheticFiles {
    fn size(&self, file: FileId) -> Result<u32, FileError> {
        if file.0 >= self.files || self.pages == 0 {
            return Err(FileError::NoSuchFile);
        }
        Ok(self.pages * PAGE_SIZE as u32 - LAST_PAGE_SHORT_BY)
    }

    fn read_page(&mut self, file: FileId, index: u32, out: &mut Page) -> Result<(), FileError> {
        let size = self.size(file)?;
        let start = index
            .checked_mul(PAGE_SIZE as u32)
            .filter(|&start| start < size)
            .ok_or(FileError::PastEnd)?;
        for (offset, byte) in (start..).zip(out.iter_mut()) {
            *byte = if offset < size {
                file_byte(file, offset)
            } else {
                0
            };
        }
        self.reads += 1;
        Ok(())
    }
}
