//! The regions mapped in a partition's grant window, indexed by page, so
//! that adding, removing and finding one costs O(its pages) however many
//! frames the partition has mapped (a tmem server maps its whole pool one
//! page at a time, to flip pages).
//!
//! Bookkeeping only: it never writes a page table. It must never accept a
//! region outside the grant window or one that overlaps another.

use kernel_abi::user_layout::{GRANT_WINDOW, GRANT_WINDOW_SIZE, PAGE_SIZE};

use super::user_space::Region;

/// Pages in the grant window.
pub const GRANT_PAGES: usize = (GRANT_WINDOW_SIZE / PAGE_SIZE) as usize;

/// Regions in the grant window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantRegions {
    /// For each page, the page where its region starts, plus one (0: none).
    starts: [u16; GRANT_PAGES],
    /// Each region, at its first page.
    regions: [Option<Region>; GRANT_PAGES],
}

impl Default for GrantRegions {
    fn default() -> GrantRegions {
        GrantRegions {
            starts: [0; GRANT_PAGES],
            regions: [None; GRANT_PAGES],
        }
    }
}

/// The grant-window pages `[virt, virt + size)` covers, if it lies inside.
pub fn pages_of(virt: u32, size: u32) -> Option<core::ops::Range<usize>> {
    let offset = virt.checked_sub(GRANT_WINDOW)?;
    let end = offset.checked_add(size)?;
    (end <= GRANT_WINDOW_SIZE)
        .then(|| (offset / PAGE_SIZE) as usize..end.div_ceil(PAGE_SIZE) as usize)
}

impl GrantRegions {
    /// Whether any page of `pages` is taken.
    pub fn any_taken(&self, pages: core::ops::Range<usize>) -> bool {
        self.starts[pages].iter().any(|&s| s != 0)
    }

    /// Adds `region`, which lies in the grant window on free pages
    /// (checked by the caller with [`pages_of`] and [`any_taken`](Self::any_taken)).
    pub fn insert(&mut self, region: Region, pages: core::ops::Range<usize>) {
        let first = pages.start;
        self.starts[pages].fill(first as u16 + 1);
        self.regions[first] = Some(region);
    }

    /// Removes the region that starts at `virt`, if there is one.
    pub fn remove(&mut self, virt: u32) -> Option<Region> {
        let first = pages_of(virt, PAGE_SIZE)?.start;
        let region = self.regions[first].filter(|r| r.virt == virt)?;
        let pages = pages_of(region.virt, region.size)?;
        self.starts[pages].fill(0);
        self.regions[first] = None;
        Some(region)
    }

    /// The region holding the page at `va`, if any.
    pub fn containing(&self, va: u32) -> Option<&Region> {
        let page = pages_of(va & !(PAGE_SIZE - 1), PAGE_SIZE)?.start;
        match self.starts[page] {
            0 => None,
            start => self.regions[usize::from(start) - 1].as_ref(),
        }
    }

    /// Every region, in address order.
    pub fn iter(&self) -> impl Iterator<Item = &Region> {
        self.regions.iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mm::user_space::Rights;

    fn region(page: u32, pages: u32) -> Region {
        Region::ram(
            GRANT_WINDOW + page * PAGE_SIZE,
            pages * PAGE_SIZE,
            0x6000_0000,
            Rights::ReadWrite,
        )
    }

    #[test]
    fn regions_are_found_by_any_of_their_pages_and_removed_whole() {
        let mut grants = GrantRegions::default();
        let two = region(3, 2);
        let pages = pages_of(two.virt, two.size).unwrap();
        assert_eq!(pages, 3..5);
        assert!(!grants.any_taken(pages.clone()));
        grants.insert(two, pages);
        assert!(grants.any_taken(4..6));
        assert!(!grants.any_taken(5..6));
        assert_eq!(grants.containing(GRANT_WINDOW + 0x4FFF), Some(&two));
        assert_eq!(grants.containing(GRANT_WINDOW + 0x5000), None);
        assert_eq!(grants.remove(GRANT_WINDOW + 0x4000), None, "not its start");
        assert_eq!(grants.remove(two.virt), Some(two));
        assert_eq!(grants.containing(GRANT_WINDOW + 0x3000), None);
        assert_eq!(grants.iter().count(), 0);
    }

    #[test]
    fn only_the_grant_window_is_covered() {
        assert_eq!(pages_of(GRANT_WINDOW - PAGE_SIZE, PAGE_SIZE), None);
        assert_eq!(
            pages_of(GRANT_WINDOW + GRANT_WINDOW_SIZE - PAGE_SIZE, PAGE_SIZE),
            Some(255..256)
        );
        assert_eq!(
            pages_of(GRANT_WINDOW + GRANT_WINDOW_SIZE - PAGE_SIZE, 2 * PAGE_SIZE),
            None
        );
        assert_eq!(pages_of(u32::MAX - 10, PAGE_SIZE), None);
        assert_eq!(GrantRegions::default().remove(0x1000), None);
    }
}
