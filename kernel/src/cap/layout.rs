//! Where each partition's capability slots lie in the kernel's one flat
//! slot table, so that a slot anywhere in the system has a single number.
//!
//! Partition `p`'s slots are numbers `start(p) .. start(p) + size(p)`.
//! The layout is fixed at boot and never changes; it only translates, and
//! it never yields a number for a slot that does not exist.

use super::{CapError, CapSlot};

/// A slot of some partition's space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SlotRef {
    /// Index of the partition.
    pub partition: u8,
    /// Slot in its space.
    pub slot: CapSlot,
}

impl SlotRef {
    /// Slot `slot` of partition `partition`.
    pub const fn new(partition: u8, slot: u16) -> SlotRef {
        SlotRef {
            partition,
            slot: CapSlot(slot),
        }
    }
}

/// The most slots in the whole system: global numbers fit a `u16` with
/// one value to spare for "none".
pub const MAX_TOTAL_SLOTS: usize = u16::MAX as usize;

/// The most partitions a layout numbers: a [`SlotRef`] names its
/// partition with a byte.
pub const MAX_LAYOUT_PARTITIONS: usize = u8::MAX as usize + 1;

/// The partitions' shares of the flat slot table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpaceLayout<'a> {
    /// `bounds[p]`: partition `p`'s first global number, and
    /// `bounds[p + 1]` one past its last (memory allocated at boot, one
    /// entry per partition and one more). A leading 0 rather than a table
    /// of ends alone: a look-up of a slot, which every system call on a
    /// capability makes several times, is then two loads with no branch
    /// for partition 0.
    bounds: &'a [u16],
}

impl<'a> SpaceLayout<'a> {
    /// The layout of spaces with `bounds[p + 1]` slots each (`bounds[0]`
    /// is ignored: `bounds` has one entry more than there are
    /// partitions), turning `bounds` into the layout's table of bounds in
    /// place; `None` (and `bounds` left partly changed) if `bounds` is
    /// empty, or there are more than [`MAX_LAYOUT_PARTITIONS`] partitions
    /// or more than [`MAX_TOTAL_SLOTS`] slots in all.
    pub fn new(bounds: &'a mut [u16]) -> Option<SpaceLayout<'a>> {
        let (first, sizes) = bounds.split_first_mut()?;
        if sizes.len() > MAX_LAYOUT_PARTITIONS {
            return None;
        }
        *first = 0;
        let mut end: usize = 0;
        for size in sizes.iter_mut() {
            end += usize::from(*size);
            if end > MAX_TOTAL_SLOTS {
                return None;
            }
            *size = end as u16;
        }
        Some(SpaceLayout { bounds })
    }

    /// A layout of spaces with `sizes[p]` slots each, its table leaked:
    /// for host tests.
    #[cfg(test)]
    pub fn of_sizes(sizes: &[u16]) -> Option<SpaceLayout<'static>> {
        extern crate std;
        let mut bounds = std::vec![0];
        bounds.extend_from_slice(sizes);
        SpaceLayout::new(bounds.leak())
    }

    /// How many partitions.
    pub fn partitions(&self) -> usize {
        self.bounds.len() - 1
    }

    /// How many slots in all.
    pub fn total(&self) -> usize {
        self.bounds.last().map_or(0, |&end| usize::from(end))
    }

    /// The global numbers of partition `partition`'s slots.
    pub fn range(&self, partition: u8) -> Result<core::ops::Range<usize>, CapError> {
        let p = usize::from(partition);
        // One bounds check: `p + 1` in bounds puts `p` in bounds too.
        let end = *self.bounds.get(p + 1).ok_or(CapError::OutOfRange)?;
        let start = self.bounds[p];
        Ok(usize::from(start)..usize::from(end))
    }

    /// The global number of `at`.
    pub fn global(&self, at: SlotRef) -> Result<usize, CapError> {
        let range = self.range(at.partition)?;
        let index = range.start + usize::from(at.slot.0);
        if index < range.end {
            Ok(index)
        } else {
            Err(CapError::OutOfRange)
        }
    }

    /// The slot with global number `index`.
    pub fn slot_ref(&self, index: usize) -> Result<SlotRef, CapError> {
        let partition = self.bounds[1..]
            .iter()
            .position(|&end| index < usize::from(end))
            .ok_or(CapError::OutOfRange)?;
        let start = self.range(partition as u8)?.start;
        Ok(SlotRef::new(partition as u8, (index - start) as u16))
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    fn layout(sizes: &[u16]) -> Option<SpaceLayout<'static>> {
        SpaceLayout::of_sizes(sizes)
    }

    #[test]
    fn numbers_translate_both_ways() {
        let layout = layout(&[3, 0, 2]).unwrap();
        assert_eq!(layout.total(), 5);
        assert_eq!(layout.range(1), Ok(3..3));
        assert_eq!(layout.global(SlotRef::new(2, 1)), Ok(4));
        assert_eq!(layout.global(SlotRef::new(0, 3)), Err(CapError::OutOfRange));
        assert_eq!(layout.global(SlotRef::new(1, 0)), Err(CapError::OutOfRange));
        assert_eq!(layout.global(SlotRef::new(3, 0)), Err(CapError::OutOfRange));
        for index in 0..5 {
            assert_eq!(layout.global(layout.slot_ref(index).unwrap()), Ok(index));
        }
        assert_eq!(layout.slot_ref(5), Err(CapError::OutOfRange));
    }

    #[test]
    fn oversized_layouts_are_refused() {
        assert!(layout(&[1; MAX_LAYOUT_PARTITIONS + 1]).is_none());
        assert!(layout(&[u16::MAX, 1]).is_none());
        assert_eq!(layout(&[u16::MAX]).unwrap().total(), MAX_TOTAL_SLOTS);
        assert_eq!(layout(&[]).unwrap().total(), 0);
        assert_eq!(layout(&[]).unwrap().partitions(), 0);
        assert!(
            SpaceLayout::new(&mut []).is_none(),
            "no room for the bounds"
        );
    }
}
