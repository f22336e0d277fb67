//! Memory traffic: the bytes of page contents an operation reads and
//! writes, counted where they are moved (a page copy reads and writes
//! 4 KiB, a flipped frame moves none, a zero check reads up to the first
//! non-zero byte).
//!
//! Instruction counts do not show what a copy costs in memory bandwidth
//! and caches; these counts do, beside them. This module only counts; it
//! must never change what the store does.

use core::ops::{Add, Sub};

/// Bytes of page contents read and written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Traffic {
    /// Bytes read.
    pub read: u64,
    /// Bytes written.
    pub written: u64,
}

impl Traffic {
    /// Nothing moved (a frame changed hands instead).
    pub const NONE: Traffic = Traffic {
        read: 0,
        written: 0,
    };

    /// A copy of `bytes` bytes: each read once and written once.
    pub const fn copy(bytes: usize) -> Traffic {
        Traffic {
            read: bytes as u64,
            written: bytes as u64,
        }
    }

    /// `bytes` bytes read, none written (a compare, a hash, a scan).
    pub const fn read(bytes: usize) -> Traffic {
        Traffic {
            read: bytes as u64,
            written: 0,
        }
    }

    /// `bytes` bytes written from nothing (a fill).
    pub const fn written(bytes: usize) -> Traffic {
        Traffic {
            read: 0,
            written: bytes as u64,
        }
    }
}

impl Add for Traffic {
    type Output = Traffic;
    fn add(self, other: Traffic) -> Traffic {
        Traffic {
            read: self.read.wrapping_add(other.read),
            written: self.written.wrapping_add(other.written),
        }
    }
}

impl Sub for Traffic {
    type Output = Traffic;
    /// The traffic between two readings of a counter.
    fn sub(self, earlier: Traffic) -> Traffic {
        Traffic {
            read: self.read.wrapping_sub(earlier.read),
            written: self.written.wrapping_sub(earlier.written),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_reads_and_writes_as_much_and_differences_undo_sums() {
        let page = Traffic::copy(4096);
        assert_eq!((page.read, page.written), (4096, 4096));
        let total = page + Traffic::read(10) + Traffic::written(3);
        assert_eq!((total.read, total.written), (4106, 4099));
        assert_eq!(total - page, Traffic::read(10) + Traffic::written(3));
        assert_eq!(Traffic::default(), Traffic::NONE);
    }
}
