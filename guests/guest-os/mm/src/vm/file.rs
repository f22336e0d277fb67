//! The page cache's read path: a file read is served from cached frames; a
//! miss asks cleancache before the file's backing store (Linux's
//! `cleancache_get_page` ahead of the disk read), and the page stays
//! cached until the clock drops it.
//!
//! A read must never return bytes other than the file's: a backing-store
//! error fails the read and caches nothing.

use crate::error::VmError;
use crate::frame::Frame;
use crate::frame_table::FrameUse;
use crate::page::PAGE_SIZE;
use crate::ports::{Backends, FileId};

use super::Vm;

impl Vm {
    /// Reads up to `out.len()` bytes of `file` from `offset`; returns how
    /// many (fewer at the end of the file, 0 at or past it).
    pub fn read_file(
        &mut self,
        file: FileId,
        offset: u32,
        out: &mut [u8],
        backends: &mut Backends<'_>,
    ) -> Result<usize, VmError> {
        let size = backends.files.size(file).map_err(VmError::File)?;
        if offset >= size {
            return Ok(0);
        }
        let len = out.len().min((size - offset) as usize);
        let mut done = 0;
        while done < len {
            let position = offset as usize + done;
            let within = position % PAGE_SIZE;
            let count = (PAGE_SIZE - within).min(len - done);
            let frame = self.cached_page(file, (position / PAGE_SIZE) as u32, backends)?;
            out[done..done + count]
                .copy_from_slice(&backends.memory.page(frame)[within..within + count]);
            done += count;
        }
        Ok(len)
    }

    /// The frame holding page `index` of `file`, reading it in on a miss.
    fn cached_page(
        &mut self,
        file: FileId,
        index: u32,
        backends: &mut Backends<'_>,
    ) -> Result<Frame, VmError> {
        if let Some(frame) = self.cache.lookup(file, index) {
            self.table.touch(frame);
            self.stats.page_cache_hits += 1;
            return Ok(frame);
        }
        let frame = self.allocate_frame(backends)?;
        let page = backends.memory.page_mut(frame);
        let hit = match backends.cleancache.as_deref_mut() {
            Some(cleancache) => cleancache.get_page(file, index, page),
            None => false,
        };
        if hit {
            self.stats.cleancache_hits += 1;
        } else {
            self.stats.cleancache_misses += 1;
            if let Err(error) = backends.files.read_page(file, index, page) {
                let released = self.frames.release(frame);
                debug_assert!(released.is_ok(), "a fresh frame was free");
                return Err(VmError::File(error));
            }
            self.stats.file_reads += 1;
        }
        self.cache.insert(file, index, frame);
        self.table.set(frame, FrameUse::File { file, index });
        Ok(frame)
    }
}
