//! A process's virtual memory areas: which page ranges of its address space
//! exist and with what protection — the program image, the heap that
//! `brk` moves, and anonymous `mmap` mappings.
//!
//! This is bookkeeping only: it says which pages may be touched and which
//! range a call removed, and the [`Vm`](crate::Vm) frees what lived
//! there. Every range is page-aligned and non-empty; a bad range is an
//! [`AreaError`] and leaves the list unchanged. Areas never overlap, and
//! the list never grows past its limit.

use alloc::vec::Vec;

use crate::page::{is_page_aligned, page_round_up, pages_for, Vpn, PAGE_SIZE};
use crate::ports::Protection;

/// Where things go in a process's address space (byte addresses, all page
/// aligned): the image and heap in `[user_base, mmap_base)`, mappings
/// placed by the kernel in `[mmap_base, user_top)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The lowest user address.
    pub user_base: u32,
    /// Where mappings without a fixed address start; the heap ends below.
    pub mmap_base: u32,
    /// One past the highest user address.
    pub user_top: u32,
    /// The most areas (image segments and mappings) a process may have.
    pub max_areas: usize,
}

/// What an area is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AreaKind {
    /// A segment of the program image, placed at load.
    Image,
    /// The heap, from the heap start to the break.
    Heap,
    /// An anonymous `mmap` mapping.
    Mapping,
}

/// A range of pages `[start, end)` with one protection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Area {
    /// The first page.
    pub start: Vpn,
    /// One past the last page.
    pub end: Vpn,
    /// What the process may do with its pages.
    pub protection: Protection,
    /// What the area is for.
    pub kind: AreaKind,
}

impl Area {
    /// Whether the area holds `page`.
    pub const fn contains(&self, page: Vpn) -> bool {
        self.start.0 <= page.0 && page.0 < self.end.0
    }

    /// How many pages it spans.
    pub const fn pages(&self) -> u32 {
        self.end.0 - self.start.0
    }

    const fn overlaps(&self, start: Vpn, end: Vpn) -> bool {
        self.start.0 < end.0 && start.0 < self.end.0
    }
}

/// Why an area operation was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AreaError {
    /// A length of zero.
    ZeroLength,
    /// An address (or heap start) not on a page boundary.
    Unaligned,
    /// The range leaves the user part of the address space.
    OutOfRange,
    /// The range overlaps an existing area.
    Overlap,
    /// No gap large enough (mmap), or no room for the heap to grow (brk).
    NoSpace,
    /// The process has as many areas as it may have.
    TooManyAreas,
    /// `munmap` over the heap or the program image.
    NotAMapping,
    /// A break below the heap's start.
    BelowHeap,
}

/// The pages a call removed, `[start, end)`; the caller frees what lived
/// there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Removed {
    /// The first removed page.
    pub start: Vpn,
    /// One past the last.
    pub end: Vpn,
}

/// One process's areas.
#[derive(Debug)]
pub struct AreaList {
    layout: Layout,
    /// Image segments and mappings, sorted by start, never the heap.
    areas: Vec<Area>,
    heap_start: u32,
    brk: u32,
}

impl AreaList {
    /// An empty address space whose heap starts (empty) at `heap_start`.
    pub fn new(layout: Layout, heap_start: u32) -> Result<AreaList, AreaError> {
        let aligned = [
            layout.user_base,
            layout.mmap_base,
            layout.user_top,
            heap_start,
        ];
        if !aligned.iter().all(|&address| is_page_aligned(address)) {
            return Err(AreaError::Unaligned);
        }
        if !(layout.user_base <= heap_start
            && heap_start <= layout.mmap_base
            && layout.mmap_base <= layout.user_top)
        {
            return Err(AreaError::OutOfRange);
        }
        Ok(AreaList {
            layout,
            areas: Vec::with_capacity(layout.max_areas),
            heap_start,
            brk: heap_start,
        })
    }

    /// The area holding `page`, the heap included.
    pub fn find(&self, page: Vpn) -> Option<Area> {
        self.heap()
            .filter(|heap| heap.contains(page))
            .or_else(|| self.areas.iter().find(|area| area.contains(page)).copied())
    }

    /// The heap as an area, if it is not empty.
    pub fn heap(&self) -> Option<Area> {
        let start = Vpn::containing(self.heap_start);
        let end = Vpn(start.0 + pages_for(self.brk - self.heap_start));
        (end != start).then_some(Area {
            start,
            end,
            protection: Protection::ReadWrite,
            kind: AreaKind::Heap,
        })
    }

    /// Every area, the heap included, in address order.
    pub fn iter(&self) -> impl Iterator<Item = Area> + '_ {
        self.heap().into_iter().chain(self.areas.iter().copied())
    }

    /// Pages the process may touch (Linux's committed address space).
    pub fn committed_pages(&self) -> u32 {
        self.iter().map(|area| area.pages()).sum()
    }

    /// The current break (the heap's end, a byte address).
    pub const fn brk(&self) -> u32 {
        self.brk
    }

    /// Adds the area of `len` bytes (rounded up to pages) at `start`, which
    /// must not overlap another.
    pub fn map_fixed(
        &mut self,
        start: u32,
        len: u32,
        protection: Protection,
        kind: AreaKind,
    ) -> Result<Area, AreaError> {
        let (first, end) = self.checked_range(start, len)?;
        if kind == AreaKind::Heap {
            return Err(AreaError::NotAMapping);
        }
        if self.iter().any(|area| area.overlaps(first, end)) {
            return Err(AreaError::Overlap);
        }
        self.insert(Area {
            start: first,
            end,
            protection,
            kind,
        })
    }

    /// Adds a mapping of `len` bytes (rounded up to pages) in the lowest
    /// gap at or above the mmap base that holds it.
    pub fn map_anywhere(&mut self, len: u32, protection: Protection) -> Result<Area, AreaError> {
        if len == 0 {
            return Err(AreaError::ZeroLength);
        }
        let pages = pages_for(len);
        let mut candidate = Vpn::containing(self.layout.mmap_base).0;
        let top = Vpn::containing(self.layout.user_top).0;
        for area in &self.areas {
            if area.end.0 <= candidate {
                continue;
            }
            if area.start.0.saturating_sub(candidate) >= pages {
                break;
            }
            candidate = area.end.0;
        }
        if top.saturating_sub(candidate) < pages {
            return Err(AreaError::NoSpace);
        }
        self.insert(Area {
            start: Vpn(candidate),
            end: Vpn(candidate + pages),
            protection,
            kind: AreaKind::Mapping,
        })
    }

    /// Removes `len` bytes (rounded up to pages) of mappings at `start`,
    /// splitting mappings that straddle the range's ends. Pages of the
    /// range in no area are simply not there; a range touching the heap or
    /// the image is refused.
    pub fn unmap(&mut self, start: u32, len: u32) -> Result<Removed, AreaError> {
        let (first, end) = self.checked_range(start, len)?;
        if self
            .iter()
            .any(|area| area.overlaps(first, end) && area.kind != AreaKind::Mapping)
        {
            return Err(AreaError::NotAMapping);
        }
        let splits = self
            .areas
            .iter()
            .filter(|area| area.start.0 < first.0 && end.0 < area.end.0)
            .count();
        if self.areas.len() + splits > self.layout.max_areas {
            return Err(AreaError::TooManyAreas);
        }
        let mut kept = Vec::with_capacity(self.layout.max_areas);
        for area in self.areas.drain(..) {
            if !area.overlaps(first, end) {
                kept.push(area);
                continue;
            }
            if area.start.0 < first.0 {
                kept.push(Area { end: first, ..area });
            }
            if end.0 < area.end.0 {
                kept.push(Area { start: end, ..area });
            }
        }
        self.areas = kept;
        Ok(Removed { start: first, end })
    }

    /// Moves the break to `new_brk`. Growing needs room below the mmap
    /// base and no overlap; shrinking returns the pages that left the
    /// heap.
    pub fn set_brk(&mut self, new_brk: u32) -> Result<Removed, AreaError> {
        if new_brk < self.heap_start {
            return Err(AreaError::BelowHeap);
        }
        let new_end = page_round_up(new_brk).ok_or(AreaError::NoSpace)?;
        if new_end > self.layout.mmap_base {
            return Err(AreaError::NoSpace);
        }
        let old_end = page_round_up(self.brk).ok_or(AreaError::NoSpace)?;
        let (low, high) = (Vpn::containing(old_end), Vpn::containing(new_end));
        if high > low && self.areas.iter().any(|area| area.overlaps(low, high)) {
            return Err(AreaError::NoSpace);
        }
        self.brk = new_brk;
        Ok(Removed {
            start: high,
            end: low.max(high),
        })
    }

    fn checked_range(&self, start: u32, len: u32) -> Result<(Vpn, Vpn), AreaError> {
        if len == 0 {
            return Err(AreaError::ZeroLength);
        }
        if !is_page_aligned(start) {
            return Err(AreaError::Unaligned);
        }
        let bytes = u64::from(pages_for(len)) * PAGE_SIZE as u64;
        if start < self.layout.user_base
            || u64::from(start) + bytes > u64::from(self.layout.user_top)
        {
            return Err(AreaError::OutOfRange);
        }
        let first = Vpn::containing(start);
        Ok((first, Vpn(first.0 + pages_for(len))))
    }

    fn insert(&mut self, area: Area) -> Result<Area, AreaError> {
        if self.areas.len() >= self.layout.max_areas {
            return Err(AreaError::TooManyAreas);
        }
        let at = self.areas.partition_point(|other| other.start < area.start);
        self.areas.insert(at, area);
        Ok(area)
    }
}
