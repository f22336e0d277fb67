//! Stored page contents: where the bytes are and how many pages refer to them.
//!
//! A content block is immutable once written. Pages that share it (see
//! `dedup`) hold one reference each; the frame or slot is released when the
//! last reference goes. Because a block is never written in place, an
//! overwrite or flush of one page can never change what another page reads.

use crate::frame_table::SLOT_SIZES;
use crate::frames::FrameId;
use crate::handle::SharingDomain;

/// Where a content block's bytes live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Location {
    /// An uncompressed page filling a frame.
    Whole(FrameId),
    /// `len` LZ4 bytes in slot `slot` of a frame cut for size class `class`.
    Packed {
        frame: FrameId,
        class: u8,
        slot: u8,
        len: u16,
    },
}

impl Location {
    /// Byte range of packed data within its frame.
    pub(crate) fn packed_range(class: u8, slot: u8, len: u16) -> core::ops::Range<usize> {
        let start = SLOT_SIZES[usize::from(class)] * usize::from(slot);
        start..start + usize::from(len)
    }
}

/// One stored content.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ContentBlock {
    pub(crate) location: Location,
    /// Number of page records referring to this block (at least 1).
    pub(crate) refs: u32,
    /// Content hash, meaningful when `domain` is set.
    pub(crate) hash: u64,
    /// Sharing domain whose dedup index lists this block, if any.
    pub(crate) domain: Option<SharingDomain>,
}

use crate::compress::decompress;
use crate::dedup::DedupKey;
use crate::error::TmemError;
use crate::frame_table::FrameNeed;
use crate::frames::{FrameProvider, Page, PAGE_SIZE};
use crate::store::Store;
use crate::traffic::Traffic;

impl<P: FrameProvider> Store<P> {
    /// Copies content block `content` into `out`, decompressing if needed.
    pub(crate) fn read_content(&self, content: u32, out: &mut Page) -> Result<(), TmemError> {
        let block = self.contents.get(content).ok_or(TmemError::Corrupted)?;
        match block.location {
            Location::Whole(frame) => {
                self.moved(self.provider.read_page(frame, out));
                Ok(())
            }
            Location::Packed {
                frame,
                class,
                slot,
                len,
            } => {
                let bytes = self
                    .provider
                    .frame(frame)
                    .get(Location::packed_range(class, slot, len))
                    .ok_or(TmemError::Corrupted)?;
                self.moved(Traffic::read(bytes.len()) + Traffic::written(PAGE_SIZE));
                decompress(bytes, out).map_err(|()| TmemError::Corrupted)
            }
        }
    }

    /// As [`read_content`](Self::read_content) for a block about to be
    /// released: a whole frame with no other reference is handed to the
    /// provider's [`take_page`](FrameProvider::take_page).
    pub(crate) fn take_content(&mut self, content: u32, out: &mut Page) -> Result<(), TmemError> {
        let block = self.contents.get(content).ok_or(TmemError::Corrupted)?;
        match block.location {
            Location::Whole(frame) if block.refs == 1 => {
                let moved = self.provider.take_page(frame, out);
                self.moved(moved);
                Ok(())
            }
            _ => self.read_content(content, out),
        }
    }

    /// Whether content block `content` holds exactly `page` (full compare;
    /// decompresses into the scratch page when packed).
    pub(crate) fn content_equals(&mut self, content: u32, page: &Page) -> bool {
        let Some(block) = self.contents.get(content) else {
            return false;
        };
        match block.location {
            Location::Whole(frame) => {
                self.moved(Traffic::read(2 * PAGE_SIZE));
                self.provider.frame(frame) == page
            }
            Location::Packed {
                frame,
                class,
                slot,
                len,
            } => {
                let Some(bytes) = self
                    .provider
                    .frame(frame)
                    .get(Location::packed_range(class, slot, len))
                else {
                    return false;
                };
                self.moved(
                    Traffic::read(len as usize + 2 * PAGE_SIZE) + Traffic::written(PAGE_SIZE),
                );
                decompress(bytes, &mut self.scratch).is_ok() && *self.scratch == *page
            }
        }
    }

    /// Writes a new content block for `page` (the room was checked before):
    /// whole, or the `compressed_len` bytes left in the compressor.
    pub(crate) fn write_content(
        &mut self,
        client: u16,
        page: &Page,
        need: FrameNeed,
        compressed_len: Option<usize>,
        hash: u64,
    ) -> Option<u32> {
        let location = match (need, compressed_len) {
            (FrameNeed::Slot(class), Some(len)) => {
                let (frame, slot) = self.frames.alloc_slot(class)?;
                let len16 = len as u16;
                let range = Location::packed_range(class, slot, len16);
                self.provider.frame_mut(frame)[range].copy_from_slice(self.compressor.output(len));
                self.moved(Traffic::copy(len));
                Location::Packed {
                    frame,
                    class,
                    slot,
                    len: len16,
                }
            }
            _ => {
                let frame = self.frames.alloc_whole()?;
                let moved = self.provider.write_page(frame, page);
                self.moved(moved);
                Location::Whole(frame)
            }
        };
        let domain = self.clients[usize::from(client)].domain;
        let block = ContentBlock {
            location,
            refs: 1,
            hash,
            domain,
        };
        let Ok(content) = self.contents.insert(block) else {
            self.release_location(location);
            return None;
        };
        if let Some(domain) = domain {
            if self
                .dedup
                .insert(DedupKey::new(domain, hash, content), content)
                .is_err()
            {
                // Not indexed: the block is simply never shared.
                self.contents[content].domain = None;
            }
        }
        Some(content)
    }

    /// Adds a page's reference to `content`.
    pub(crate) fn take_content_ref(&mut self, content: u32) {
        let block = &mut self.contents[content];
        block.refs += 1;
        self.shared_pages += if block.refs == 2 { 2 } else { 1 };
    }

    /// Drops a page's reference to `content`, freeing it with the last one.
    pub(crate) fn release_content(&mut self, content: u32) {
        let block = &mut self.contents[content];
        block.refs -= 1;
        match block.refs {
            0 => {}
            1 => {
                self.shared_pages -= 2;
                return;
            }
            _ => {
                self.shared_pages -= 1;
                return;
            }
        }
        let block = *block;
        if let Some(domain) = block.domain {
            self.dedup
                .remove(&DedupKey::new(domain, block.hash, content));
        }
        self.release_location(block.location);
        self.contents.remove(content);
    }

    fn release_location(&mut self, location: Location) {
        match location {
            Location::Whole(frame) => self.frames.release_whole(frame),
            Location::Packed { frame, slot, .. } => self.frames.release_slot(frame, slot),
        }
    }
}
