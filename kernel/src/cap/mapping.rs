//! Which mapping was made through which frame capability, so that
//! destroying or moving the capability tells the kernel what to unmap —
//! in its partition's grant window, or in one of its guest address spaces.
//!
//! A mapping is in the holder's grant window (pages), in its pool region
//! (1 MiB sections), or in one of its guest address spaces; either way revoking, deleting or moving the
//! capability finds it here, so one path takes every kind down.
//!
//! One entry per slot in the system (a frame capability is mapped at most
//! once at a time, as in seL4), in a boot-sized array. This is bookkeeping
//! only: it never edits page tables, and it never records a mapping for a
//! slot that does not exist.

use super::layout::{SlotRef, SpaceLayout};
use super::{CapError, SpaceId};

/// A mapping made through a frame capability: `pages` pages at `virt` in
/// `partition` (the partition that holds the capability): in its grant
/// window, or in its guest address space [`Mapping::space`].
///
/// Kept to 12 plain bytes: a record is copied on every unmap path, and a
/// field with a niche (an `Option<SpaceId>`) would make `Option<Mapping>`
/// borrow it and its copies odd-sized `memcpy` calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mapping {
    /// Where the pages are mapped.
    pub partition: u8,
    /// First virtual address (page aligned).
    pub virt: u32,
    /// How many pages (a frame is at most the 1 MiB of a grant window:
    /// 256 pages) — or, for a mapping in the pool region, how many 1 MiB
    /// sections.
    pub pages: u16,
    /// The guest address space's number, [`GRANT_WINDOW`] or [`POOL`].
    space: u16,
}

/// [`Mapping`]'s `space` for a mapping in the grant window.
const GRANT_WINDOW: u16 = u16::MAX;
/// [`Mapping`]'s `space` for a mapping in the pool region.
const POOL: u16 = u16::MAX - 1;

impl Mapping {
    /// A mapping of `pages` pages at `virt` by `partition`, in guest
    /// address space `space` (`None`: the grant window).
    pub const fn new(partition: u8, space: Option<SpaceId>, virt: u32, pages: u16) -> Mapping {
        Mapping {
            partition,
            virt,
            pages,
            space: match space {
                Some(space) => space.0,
                None => GRANT_WINDOW,
            },
        }
    }

    /// The guest address space the pages are mapped in (`None`: the
    /// partition's own grant window or pool region).
    pub const fn space(&self) -> Option<SpaceId> {
        match self.space {
            GRANT_WINDOW | POOL => None,
            space => Some(SpaceId(space)),
        }
    }

    /// How many 1 MiB sections, if the mapping is in the pool region.
    pub const fn sections(&self) -> Option<u16> {
        match self.space {
            POOL => Some(self.pages),
            _ => None,
        }
    }
}

/// Mappings by the slot of the capability they were made through.
#[derive(Debug)]
pub struct MappingTable<'a> {
    layout: SpaceLayout<'a>,
    entries: &'a mut [Option<Mapping>],
}

impl<'a> MappingTable<'a> {
    /// An empty table over `entries`, one per slot of `layout` (`None` if
    /// the count is wrong).
    pub fn new(
        layout: SpaceLayout<'a>,
        entries: &'a mut [Option<Mapping>],
    ) -> Option<MappingTable<'a>> {
        if entries.len() != layout.total() {
            return None;
        }
        entries.fill(None);
        Some(MappingTable { layout, entries })
    }

    /// Records that the capability at `at` was mapped at `virt` for `pages`
    /// pages in its own partition (in guest address space `space`, if
    /// any). Refused if it is already mapped. (That the range is free is
    /// the address space's to check: it knows every region, not only those
    /// mapped through capabilities.)
    pub fn record(
        &mut self,
        at: SlotRef,
        space: Option<SpaceId>,
        virt: u32,
        pages: u32,
    ) -> Result<(), CapError> {
        self.record_global(self.layout.global(at)?, at.partition, space, virt, pages)
    }

    /// [`MappingTable::record`] for the slot with global number `global`,
    /// which belongs to `partition`.
    pub fn record_global(
        &mut self,
        global: usize,
        partition: u8,
        space: Option<SpaceId>,
        virt: u32,
        pages: u32,
    ) -> Result<(), CapError> {
        let entry = self.entries.get_mut(global).ok_or(CapError::OutOfRange)?;
        if entry.is_some() {
            return Err(CapError::SlotOccupied);
        }
        let pages = u16::try_from(pages).map_err(|_| CapError::OutOfRange)?;
        if space.is_some_and(|space| space.0 >= POOL) {
            return Err(CapError::OutOfRange);
        }
        *entry = Some(Mapping::new(partition, space, virt, pages));
        Ok(())
    }

    /// Records that the capability at `at` was mapped at `virt` in its
    /// partition's pool region as `sections` 1 MiB sections. Refused if it
    /// is already mapped.
    pub fn record_pool(&mut self, at: SlotRef, virt: u32, sections: u32) -> Result<(), CapError> {
        let index = self.layout.global(at)?;
        if self.entries[index].is_some() {
            return Err(CapError::SlotOccupied);
        }
        let sections = u16::try_from(sections).map_err(|_| CapError::OutOfRange)?;
        self.entries[index] = Some(Mapping {
            partition: at.partition,
            virt,
            pages: sections,
            space: POOL,
        });
        Ok(())
    }

    /// The mapping made through `at`, if any.
    pub fn get(&self, at: SlotRef) -> Option<Mapping> {
        let index = self.layout.global(at).ok()?;
        self.entries[index]
    }

    /// Forgets the mapping made through `at` and returns it: the caller
    /// must unmap it.
    pub fn take(&mut self, at: SlotRef) -> Option<Mapping> {
        let index = self.layout.global(at).ok()?;
        self.entries[index].take()
    }

    /// The mapping made through the slot with global number `global`, if
    /// any.
    pub fn get_global(&self, global: usize) -> Option<Mapping> {
        self.entries.get(global).copied().flatten()
    }

    /// Forgets the mapping made through the slot with global number
    /// `global` and returns it: the caller must unmap it.
    pub fn take_global(&mut self, global: usize) -> Option<Mapping> {
        self.entries.get_mut(global)?.take()
    }

    /// The global number of `at`, if it exists.
    pub fn global(&self, at: SlotRef) -> Option<usize> {
        self.layout.global(at).ok()
    }

    /// Moves the record of `from` to `to` (a capability moved within the
    /// same partition keeps its mapping). Refused across partitions: a
    /// transfer to another partition unmaps instead ([`MappingTable::take`]).
    pub fn relocate(&mut self, from: SlotRef, to: SlotRef) -> Result<(), CapError> {
        if from.partition != to.partition {
            return Err(CapError::WrongType);
        }
        let source = self.layout.global(from)?;
        let dest = self.layout.global(to)?;
        if self.entries[dest].is_some() {
            return Err(CapError::SlotOccupied);
        }
        self.entries[dest] = self.entries[source].take();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> SpaceLayout<'static> {
        SpaceLayout::of_sizes(&[2, 2]).unwrap()
    }

    #[test]
    fn records_one_mapping_per_capability() {
        let mut entries = [None; 4];
        let mut maps = MappingTable::new(layout(), &mut entries).unwrap();
        let a = SlotRef::new(0, 0);
        maps.record(a, None, 0x40_0000, 2).unwrap();
        assert_eq!(
            maps.record(a, None, 0x50_0000, 1),
            Err(CapError::SlotOccupied)
        );
        maps.record(SlotRef::new(1, 0), None, 0x40_1000, 1).unwrap();
        maps.record(SlotRef::new(0, 1), Some(SpaceId(3)), 0x40_2000, 1)
            .unwrap();
        assert_eq!(
            maps.record(SlotRef::new(2, 0), None, 0, 1),
            Err(CapError::OutOfRange)
        );
        assert_eq!(maps.take(a).map(|m| m.virt), Some(0x40_0000));
        assert_eq!(maps.take(a), None);
        assert_eq!(maps.get(SlotRef::new(9, 9)), None);
        let global = maps.global(SlotRef::new(0, 1)).unwrap();
        assert_eq!(
            maps.take_global(global).map(|m| m.space()),
            Some(Some(SpaceId(3)))
        );
        assert_eq!(maps.take_global(99), None);
        maps.record_pool(a, 0x4000_0000, 3).unwrap();
        assert_eq!(
            maps.record_pool(a, 0x5000_0000, 1),
            Err(CapError::SlotOccupied)
        );
        let pool = maps.get(a).unwrap();
        assert_eq!((pool.sections(), pool.space()), (Some(3), None));
        assert_eq!(maps.get(SlotRef::new(1, 0)).unwrap().sections(), None);
        assert_eq!(
            maps.record(SlotRef::new(1, 1), Some(SpaceId(u16::MAX - 1)), 0, 1),
            Err(CapError::OutOfRange)
        );
    }

    #[test]
    fn moves_within_a_partition_keep_the_record() {
        let mut entries = [None; 4];
        let mut maps = MappingTable::new(layout(), &mut entries).unwrap();
        maps.record(SlotRef::new(0, 0), None, 0x40_0000, 1).unwrap();
        maps.relocate(SlotRef::new(0, 0), SlotRef::new(0, 1))
            .unwrap();
        assert!(maps.get(SlotRef::new(0, 1)).is_some());
        assert!(maps.get(SlotRef::new(0, 0)).is_none());
        assert_eq!(
            maps.relocate(SlotRef::new(0, 1), SlotRef::new(1, 1)),
            Err(CapError::WrongType)
        );
        assert!(MappingTable::new(layout(), &mut [None; 3]).is_none());
    }
}
