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
}

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
}
