//! The page cache's index: which frame holds which page of which file.
//!
//! Files are read-only, so every cached page is clean and may be dropped at
//! any time (after offering it to cleancache: the [`Vm`](crate::Vm) does
//! that). This module must never map one file page to two frames.

use alloc::collections::BTreeMap;

use crate::frame::Frame;
use crate::ports::FileId;

/// (file, page index) → frame.
#[derive(Debug, Default)]
pub struct PageCache {
    index: BTreeMap<(FileId, u32), Frame>,
}

impl PageCache {
    /// An empty cache.
    pub const fn new() -> PageCache {
        PageCache {
            index: BTreeMap::new(),
        }
    }

    /// The frame holding page `index` of `file`, if cached.
    pub fn lookup(&self, file: FileId, index: u32) -> Option<Frame> {
        self.index.get(&(file, index)).copied()
    }

    /// Records that `frame` holds page `index` of `file`; returns the frame
    /// that held it before, if any (the caller must not let that happen).
    pub fn insert(&mut self, file: FileId, index: u32, frame: Frame) -> Option<Frame> {
        self.index.insert((file, index), frame)
    }

    /// Forgets page `index` of `file`, returning its frame.
    pub fn remove(&mut self, file: FileId, index: u32) -> Option<Frame> {
        self.index.remove(&(file, index))
    }

    /// How many pages are cached.
    pub fn len(&self) -> u32 {
        self.index.len() as u32
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Every cached page.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, u32, Frame)> + '_ {
        self.index
            .iter()
            .map(|(&(file, index), &frame)| (file, index, frame))
    }
}
