//! How many frame capabilities cover each page of the RAM that is handed
//! out as frames, so the kernel can tell in O(pages) whether a capability
//! is the only authority over its memory — the condition for a transfer
//! (page flipping) to leave the sender no access at all.
//!
//! Frames from the system description are allocated at boot in one span of
//! RAM; this table has a counter per page of that span. Every capability
//! that is created or destroyed in [`super::table::CapTable`] adds or
//! removes itself here, so the counts always equal the number of frame
//! capabilities covering each page. A frame capability outside the span is
//! never counted and is never the sole holder of anything. This module
//! only counts: it never looks at slots, mappings or partitions.

use core::ops::Range;

use kernel_abi::user_layout::PAGE_SIZE;

use super::{CapObject, Capability};

const PAGE: usize = PAGE_SIZE as usize;

/// Capability counts per page of the frame span.
#[derive(Debug)]
pub struct FrameRefs<'a> {
    /// Physical address of the span's first page.
    base: usize,
    /// One counter per page. A count never exceeds the number of slots in
    /// the system, which the derivation tree keeps below `u16::MAX`.
    counts: &'a mut [u16],
}

impl<'a> FrameRefs<'a> {
    /// Zeroed counts for the span of `counts.len()` pages from `base`
    /// (page aligned; `None` otherwise).
    pub fn new(base: usize, counts: &'a mut [u16]) -> Option<FrameRefs<'a>> {
        if !base.is_multiple_of(PAGE) {
            return None;
        }
        counts.fill(0);
        Some(FrameRefs { base, counts })
    }

    /// A table that covers no memory (for systems without frames).
    pub fn empty() -> FrameRefs<'a> {
        FrameRefs {
            base: 0,
            counts: &mut [],
        }
    }

    /// The counters `cap` covers, if it is a frame wholly inside the span.
    fn pages(&self, cap: &Capability) -> Option<Range<usize>> {
        let CapObject::Frame { base, pages } = cap.object else {
            return None;
        };
        let first = base.checked_sub(self.base)? / PAGE;
        let end = first.checked_add(pages as usize)?;
        (base.is_multiple_of(PAGE) && end <= self.counts.len()).then_some(first..end)
    }

    /// `cap` was created.
    pub fn add(&mut self, cap: &Capability) {
        if let Some(pages) = self.pages(cap) {
            for count in &mut self.counts[pages] {
                *count = count.saturating_add(1);
            }
        }
    }

    /// `cap` was destroyed.
    pub fn remove(&mut self, cap: &Capability) {
        if let Some(pages) = self.pages(cap) {
            for count in &mut self.counts[pages] {
                *count = count.saturating_sub(1);
            }
        }
    }

    /// Whether `cap` (which must exist) is the only capability covering
    /// every page it covers. False for anything but a frame in the span.
    pub fn is_sole(&self, cap: &Capability) -> bool {
        self.pages(cap)
            .is_some_and(|pages| self.counts[pages].iter().all(|&count| count == 1))
    }

    /// The physical address of each page the table counts.
    pub fn pages_counted(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.counts.len()).map(|page| self.base + page * PAGE)
    }

    /// How many capabilities cover the page at physical `address` (0
    /// outside the span).
    pub fn count_at(&self, address: usize) -> u16 {
        address
            .checked_sub(self.base)
            .and_then(|offset| self.counts.get(offset / PAGE))
            .copied()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cap::Rights;

    fn frame(base: usize, pages: u32) -> Capability {
        Capability::new(CapObject::Frame { base, pages }, Rights::READ)
    }

    #[test]
    fn counts_follow_creation_and_destruction() {
        let mut counts = [0u16; 4];
        let mut refs = FrameRefs::new(0x6000_0000, &mut counts).unwrap();
        let whole = frame(0x6000_0000, 4);
        let page = frame(0x6000_2000, 1);
        refs.add(&whole);
        assert!(refs.is_sole(&whole));
        refs.add(&page);
        assert!(!refs.is_sole(&page), "the whole frame covers it too");
        assert!(!refs.is_sole(&whole));
        refs.remove(&whole);
        assert!(refs.is_sole(&page));
        assert_eq!(refs.count_at(0x6000_2abc), 1);
        assert_eq!(refs.count_at(0x6000_0000), 0);
    }

    #[test]
    fn frames_outside_the_span_are_never_sole() {
        let mut counts = [0u16; 2];
        let mut refs = FrameRefs::new(0x6000_0000, &mut counts).unwrap();
        for cap in [
            frame(0x5FFF_F000, 1),
            frame(0x6000_1000, 2),
            frame(0x6000_0800, 1),
        ] {
            refs.add(&cap);
            assert!(!refs.is_sole(&cap));
        }
        assert_eq!(refs.count_at(0x6000_0000), 0, "nothing was counted");
        assert_eq!(refs.count_at(0x6000_1000), 0);
        assert!(FrameRefs::new(0x6000_0010, &mut [0u16; 1]).is_none());
        assert!(!FrameRefs::empty().is_sole(&frame(0, 1)));
    }
}
