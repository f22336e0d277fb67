//! The boot-time allocator: hands out physical memory from the RAM the
//! kernel image does not use, in increasing addresses, once.
//!
//! Partition memory and every table sized from the system image come from
//! here while the kernel boots; after boot nothing is allocated, and
//! nothing is ever freed.

use core::ops::Range;

/// Not enough RAM left for a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfMemory {
    /// Bytes asked for.
    pub requested: usize,
    /// Bytes that were left (before alignment).
    pub available: usize,
}

/// A bump allocator over one physical range.
#[derive(Clone, Debug)]
pub struct BootAllocator {
    next: usize,
    end: usize,
}

impl BootAllocator {
    /// Allocates from `free` (physical addresses).
    pub fn new(free: Range<usize>) -> BootAllocator {
        BootAllocator {
            next: free.start,
            end: free.end.max(free.start),
        }
    }

    /// `size` bytes aligned to `align` (a power of two).
    pub fn allocate(&mut self, size: usize, align: usize) -> Result<usize, OutOfMemory> {
        let failure = OutOfMemory {
            requested: size,
            available: self.end - self.next,
        };
        let start = self
            .next
            .checked_next_multiple_of(align.max(1))
            .ok_or(failure)?;
        let end = start.checked_add(size).ok_or(failure)?;
        if end > self.end {
            return Err(failure);
        }
        self.next = end;
        Ok(start)
    }

    /// Bytes not yet handed out.
    pub fn remaining(&self) -> usize {
        self.end - self.next
    }

    /// Where the next allocation would start, before alignment.
    pub fn next_free(&self) -> usize {
        self.next
    }

    /// One past the last page an allocation can reach.
    pub fn end_page(&self) -> usize {
        self.end & !(PAGE - 1)
    }

    /// Everything left, from the next multiple of `align` (a power of two,
    /// at least a page) to [`end_page`](Self::end_page): the start and the
    /// size (a whole number of pages, never zero). Nothing is left after.
    pub fn take_rest(&mut self, align: usize) -> Result<(usize, usize), OutOfMemory> {
        let failure = OutOfMemory {
            requested: PAGE,
            available: self.end - self.next,
        };
        let start = self
            .next
            .checked_next_multiple_of(align.max(PAGE))
            .ok_or(failure)?;
        let end = self.end_page();
        if start >= end {
            return Err(failure);
        }
        self.next = self.end;
        Ok((start, end - start))
    }
}

/// The smallest unit [`BootAllocator::take_rest`] hands out.
const PAGE: usize = 4096;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocations_are_aligned_disjoint_and_bounded() {
        let mut a = BootAllocator::new(0x1000..0x10000);
        let x = a.allocate(0x100, 0x1000).unwrap();
        let y = a.allocate(0x2000, 0x2000).unwrap();
        assert_eq!(x, 0x1000);
        assert_eq!(y, 0x2000);
        assert_eq!(a.remaining(), 0xC000);
        let err = a.allocate(0xD000, 4).unwrap_err();
        assert_eq!(err.requested, 0xD000);
        assert!(a.allocate(usize::MAX, 1).is_err());
        assert_eq!(a.remaining(), 0xC000, "failed requests take nothing");
    }

    #[test]
    fn the_rest_is_every_whole_aligned_page_left() {
        let mut a = BootAllocator::new(0x1000..0x4000_0800);
        a.allocate(0x1234, 4).unwrap();
        assert_eq!(a.end_page(), 0x4000_0000);
        let (start, size) = a.take_rest(0x10_0000).unwrap();
        assert_eq!((start, size), (0x10_0000, 0x3FF0_0000));
        assert_eq!(a.remaining(), 0);
        assert!(a.allocate(1, 1).is_err(), "nothing is left after the rest");
        assert!(a.take_rest(0x1000).is_err(), "the rest is taken once");
        let mut small = BootAllocator::new(0x1000..0x8000);
        assert!(small.take_rest(0x10_0000).is_err(), "no aligned page left");
        assert_eq!(small.remaining(), 0x7000, "a refused rest takes nothing");
    }
}
