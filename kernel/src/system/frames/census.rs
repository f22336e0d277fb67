//! The kernel's count of RAM frames: at any moment each page of RAM
//! belongs to exactly one partition or to no one, and this says which.
//!
//! A partition owns the pages its *original* frame capabilities cover —
//! those derived from nothing (the description's, and a page split off a
//! frame whose capability was then deleted, which is how a frame becomes
//! movable). A capability derived from another (a copy, a split page
//! still beside its frame, a transient grant's lent frame) owns nothing:
//! its pages are counted for the partition holding the original. A page
//! several originals cover (a frame the description gives two
//! partitions, such as a client's tmem window) is counted once, for the
//! lowest-numbered partition; a page covered twice within one partition
//! is counted once. Pages no capability covers (the kernel's own, the
//! partitions' images, RAM not handed out) are owned by no one.
//!
//! Read-only, computed from the capability tables alone, O(capabilities²)
//! at worst (a page-by-page look only where originals overlap): for the
//! end of a run and tests, never for a hot path. It must never change
//! anything.

use core::ops::Range;

use kernel_abi::user_layout::PAGE_SIZE;

use super::super::System;
use crate::cap::layout::SlotRef;
use crate::cap::table::CapTable;
use crate::cap::{CapObject, Capability};

/// The RAM an original frame capability covers, clipped to `ram`; `None`
/// for anything else.
fn original_ram(
    caps: &CapTable<'_>,
    at: SlotRef,
    cap: &Capability,
    ram: &Range<usize>,
) -> Option<Range<usize>> {
    let CapObject::Frame { base, pages } = cap.object else {
        return None;
    };
    let end = base.saturating_add(pages as usize * PAGE_SIZE as usize);
    let clipped = base.max(ram.start)..end.min(ram.end);
    // The cheap tests first: this runs O(capabilities²) times.
    (clipped.start < clipped.end && matches!(caps.parent(at), Ok(None))).then_some(clipped)
}

/// Whether an original at `other` counts before one at `at`: a lower
/// partition's, or the same partition's in an earlier slot.
fn counts_before(other: SlotRef, at: SlotRef) -> bool {
    (other.partition, other.slot.0) < (at.partition, at.slot.0)
}

impl System<'_> {
    /// Pages of `ram` partition `partition` owns (see the module's rule).
    pub fn owned_pages(&self, partition: usize, ram: &Range<usize>) -> u32 {
        let caps = &self.objects.caps;
        let page = PAGE_SIZE as usize;
        let mut owned = 0u32;
        caps.for_each(|at, cap| {
            if usize::from(at.partition) != partition {
                return;
            }
            let Some(mine) = original_ram(caps, at, cap, ram) else {
                return;
            };
            // The originals counted before this one that overlap it.
            // (Clipped to this one's pages: only an overlapping original
            // comes back.)
            let mut overlapped = false;
            caps.for_each(|other_at, other| {
                if counts_before(other_at, at) {
                    overlapped |= original_ram(caps, other_at, other, &mine).is_some();
                }
            });
            if !overlapped {
                owned += ((mine.end - mine.start) / page) as u32;
                return;
            }
            for address in mine.step_by(page) {
                let mut counted = false;
                let this_page = address..address + page;
                caps.for_each(|other_at, other| {
                    if counts_before(other_at, at) {
                        counted |= original_ram(caps, other_at, other, &this_page).is_some();
                    }
                });
                owned += u32::from(!counted);
            }
        });
        owned
    }

    /// Pages of `ram` every partition owns together; the rest of `ram` is
    /// owned by no one.
    pub fn owned_pages_in_all(&self, ram: &Range<usize>) -> u32 {
        (0..self.partitions.len())
            .map(|p| self.owned_pages(p, ram))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::super::super::tests::{thread, Rig, BOOT_FRAMES};
    use super::*;
    use boot_info::CapObjectInfo::Frame;
    use kernel_abi::cap::Rights;

    const RW: u32 = Rights::READ.union(Rights::WRITE).bits();

    /// All the rig's boot frames, and a little more.
    fn ram() -> Range<usize> {
        0x6000_0000..0x6400_0000
    }

    fn pages_of(frame: usize) -> u32 {
        BOOT_FRAMES[frame].1 / PAGE_SIZE
    }

    #[test]
    fn every_page_is_counted_once_for_the_partition_holding_its_original() {
        let mut rig = Rig::new(std::vec![thread(0, 1, 0xA000), thread(1, 1, 0xB000)]);
        // Frame 0 is given to both partitions (a shared window); frame 1
        // to partition 1 twice; frame 2 to partition 0.
        let caps = [
            (0, 1, Frame(0), RW, 0),
            (1, 1, Frame(0), RW, 0),
            (1, 2, Frame(1), RW, 0),
            (1, 3, Frame(1), RW, 0),
            (0, 2, Frame(2), RW, 0),
        ];
        let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &caps);
        let ram = ram();
        let total_pages = ((ram.end - ram.start) / PAGE_SIZE as usize) as u32;
        assert_eq!(system.owned_pages(0, &ram), pages_of(0) + pages_of(2));
        assert_eq!(system.owned_pages(1, &ram), pages_of(1));
        let owned = system.owned_pages_in_all(&ram);
        assert_eq!(owned, pages_of(0) + pages_of(1) + pages_of(2));
        assert!(owned <= total_pages);

        // A page split off partition 0's frame 2 and lent to partition 1
        // stays partition 0's.
        let caps = &mut system.objects.caps;
        let frame2 = SlotRef::new(0, 2);
        caps.derive_page(frame2, SlotRef::new(1, 4), 3).unwrap();
        assert_eq!(system.owned_pages(1, &ram), pages_of(1));
        assert_eq!(system.owned_pages(0, &ram), pages_of(0) + pages_of(2));

        // Moved to partition 1 for good (split, then the frame deleted):
        // the page is partition 1's, and nothing was counted twice or lost.
        let caps = &mut system.objects.caps;
        caps.derive_page(frame2, SlotRef::new(0, 3), 0).unwrap();
        caps.delete(frame2).unwrap();
        // The split pages are originals now: page 3 partition 1's, page 0
        // partition 0's, the frame's other pages no one's.
        assert_eq!(system.owned_pages(1, &ram), pages_of(1) + 1);
        assert_eq!(system.owned_pages(0, &ram), pages_of(0) + 1);

        // The shared frame: partition 0 lets go of its capability, and
        // partition 1 owns it now.
        system.objects.caps.delete(SlotRef::new(0, 1)).unwrap();
        assert_eq!(system.owned_pages(1, &ram), pages_of(0) + pages_of(1) + 1);
        assert_eq!(system.owned_pages(0, &ram), 1);
        // Pages outside the RAM asked about are nobody's.
        let above = 0x6400_0000..0x6500_0000;
        assert_eq!(system.owned_pages_in_all(&above), 0);
    }
}
