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
    use proptest::prelude::*;
    use std::collections::BTreeMap;

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

    /// A change to the capability tables.
    #[derive(Clone, Debug)]
    enum Op {
        /// Split page `page` of the frame in `(partition, slot)` into
        /// `(to_partition, to_slot)` (a lend when the partitions differ).
        Split {
            from: (u8, u16),
            page: u32,
            to: (u8, u16),
        },
        /// Delete the capability in `(partition, slot)`.
        Delete((u8, u16)),
    }

    fn at() -> impl Strategy<Value = (u8, u16)> {
        (0u8..2, 1u16..8)
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (at(), 0u32..4, at()).prop_map(|(from, page, to)| Op::Split { from, page, to }),
            at().prop_map(Op::Delete),
        ]
    }

    /// The model: every capability's pages and the capability it was
    /// derived from, kept by this test alone.
    type Model = BTreeMap<(u8, u16), (Range<usize>, Option<(u8, u16)>)>;

    /// Pages each partition owns by the model: per page, the first
    /// original (by partition, then slot) covering it.
    fn model_owned(model: &Model) -> [u32; 2] {
        let mut owner: BTreeMap<usize, u8> = BTreeMap::new();
        for (&(partition, _), (range, parent)) in model {
            if parent.is_none() {
                for page in range.clone().step_by(PAGE_SIZE as usize) {
                    owner.entry(page).or_insert(partition);
                }
            }
        }
        let mut owned = [0; 2];
        for partition in owner.values() {
            owned[usize::from(*partition)] += 1;
        }
        owned
    }

    proptest! {
        /// After any splits, lends and deletions, each partition's count is
        /// the model's, and no page is counted twice.
        #[test]
        fn the_count_follows_every_split_lend_and_delete(
            ops in proptest::collection::vec(op(), 0..40),
        ) {
            let mut rig = Rig::new(std::vec![thread(0, 1, 0xA000), thread(1, 1, 0xB000)]);
            // Frame 0 shared, frame 1 twice in partition 1, frame 2 (640
            // pages) partition 0's.
            let boot = [
                (0u8, 1u16, 0u16),
                (1, 1, 0),
                (1, 2, 1),
                (1, 3, 1),
                (0, 2, 2),
            ];
            let caps: std::vec::Vec<_> = boot
                .iter()
                .map(|&(p, slot, frame)| (p, slot, Frame(frame), RW, 0))
                .collect();
            let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &caps);
            let mut model = Model::new();
            for &(p, slot, frame) in &boot {
                let (base, size) = BOOT_FRAMES[usize::from(frame)];
                model.insert((p, slot), (base..base + size as usize, None));
            }
            let slot = |(p, s): (u8, u16)| SlotRef::new(p, s);
            for op in ops {
                let caps = &mut system.objects.caps;
                match op {
                    Op::Split { from, page, to } => {
                        if caps.derive_page(slot(from), slot(to), page).is_ok() {
                            let start = model[&from].0.start + page as usize * PAGE_SIZE as usize;
                            model.insert(to, (start..start + PAGE_SIZE as usize, Some(from)));
                        }
                    }
                    Op::Delete(gone) => {
                        if caps.delete(slot(gone)).is_ok() {
                            let (_, parent) = model.remove(&gone).unwrap();
                            for (_, up) in model.values_mut() {
                                if *up == Some(gone) {
                                    *up = parent;
                                }
                            }
                        }
                    }
                }
            }
            let ram = ram();
            let expected = model_owned(&model);
            for (partition, &pages) in expected.iter().enumerate() {
                let counted = system.owned_pages(partition, &ram);
                prop_assert_eq!(counted, pages, "partition {}", partition);
            }
            prop_assert_eq!(system.owned_pages_in_all(&ram), expected.iter().sum::<u32>());
        }
    }
}
