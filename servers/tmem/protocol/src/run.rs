//! A run of pages: consecutive page indices of one object, put or got in
//! one call (`PutRun`, `GetRun`).
//!
//! A run moves up to [`MAX_RUN`] pages for the price of one IPC round trip
//! and, in the frame modes, one frame passed with the call: the client
//! lends (grant-map) or moves (transfer) a frame of at least that many
//! pages, page `i` of the frame holding page `first + i` of the run; in
//! copy mode page `i` is in page slot `slot + i` of the window. A run's
//! object id is always narrow (word 0 only), so a run never reads the
//! request block. This module only describes runs; it must never accept a
//! run of 0 pages, of more than [`MAX_RUN`], or one whose last index
//! overflows a `u32`.

use crate::handle::PoolId;

/// Most pages a run may have.
pub const MAX_RUN: usize = 64;

/// How many pages a run has: `1..=MAX_RUN`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RunLength(u8);

impl RunLength {
    /// A run of `pages` pages, if `1 <= pages <= MAX_RUN`.
    pub const fn new(pages: usize) -> Option<RunLength> {
        if pages >= 1 && pages <= MAX_RUN {
            Some(RunLength(pages as u8))
        } else {
            None
        }
    }

    /// The number of pages.
    pub const fn pages(self) -> usize {
        self.0 as usize
    }
}

/// Pages `first..first + len` of a narrow object of a pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PageRun {
    /// The pool.
    pub pool: PoolId,
    /// The object id (words 1 and 2 are zero).
    pub object: u64,
    /// The index of the run's first page.
    pub first: u32,
    /// How many pages.
    pub len: RunLength,
}

impl PageRun {
    /// The run, if its last index fits a `u32`.
    pub const fn new(pool: PoolId, object: u64, first: u32, len: RunLength) -> Option<PageRun> {
        if first.checked_add(len.0 as u32 - 1).is_some() {
            Some(PageRun {
                pool,
                object,
                first,
                len,
            })
        } else {
            None
        }
    }

    /// The index of page `i` of the run (`i < len`).
    pub const fn index(&self, i: usize) -> u32 {
        self.first.wrapping_add(i as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_one_to_max() {
        assert_eq!(RunLength::new(0), None);
        assert_eq!(RunLength::new(1).map(RunLength::pages), Some(1));
        assert_eq!(RunLength::new(MAX_RUN).map(RunLength::pages), Some(64));
        assert_eq!(RunLength::new(MAX_RUN + 1), None);
    }

    #[test]
    fn a_run_never_wraps_its_index() {
        let pool = PoolId::new(0).unwrap();
        let four = RunLength::new(4).unwrap();
        assert!(PageRun::new(pool, 1, u32::MAX - 3, four).is_some());
        assert_eq!(PageRun::new(pool, 1, u32::MAX - 2, four), None);
        let run = PageRun::new(pool, 1, 10, four).unwrap();
        assert_eq!((run.index(0), run.index(3)), (10, 13));
    }
}
