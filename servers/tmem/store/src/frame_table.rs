//! Which frame is free, holds one whole page, or is cut into slots for
//! compressed pages.
//!
//! Compressed pages are packed by size class: a frame is cut into slots of
//! 512, 1024 or 2048 bytes (8, 4 or 2 per frame) and only holds slots of one
//! class. Frames of a class with a free slot are kept on a per-class list, so
//! every allocation and release is O(1). All tables are sized for the
//! provider's frame capacity at construction; a frame id the store does not
//! hold (yet, or any more) is *absent*, and the store grows and shrinks by
//! turning a free frame absent and back. This module must never hand out a
//! frame or slot that is in use or absent, and never lose one:
//! free + whole + packed == total, total + absent == capacity.

use crate::frames::FrameId;
use crate::slab::NIL;
use alloc::vec;
use alloc::vec::Vec;

/// Slot size in bytes of each compressed size class.
pub(crate) const SLOT_SIZES: [usize; 3] = [512, 1024, 2048];

/// Number of slots a frame of `class` is cut into.
pub(crate) fn slots_per_frame(class: u8) -> u32 {
    (crate::frames::PAGE_SIZE / SLOT_SIZES[usize::from(class)]) as u32
}

fn full_mask(class: u8) -> u8 {
    ((1u16 << slots_per_frame(class)) - 1) as u8
}

/// The smallest size class that holds `len` bytes, if any.
pub(crate) fn class_for_len(len: usize) -> Option<u8> {
    SLOT_SIZES
        .iter()
        .position(|&size| len <= size)
        .map(|class| class as u8)
}

/// What a frame is used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FrameUse {
    /// Not the store's: the provider does not hold it now.
    Absent,
    Free,
    /// One uncompressed page.
    Whole,
    /// Slots of one size class; bit `i` of `used` set when slot `i` holds data.
    Packed {
        class: u8,
        used: u8,
    },
}

/// What a new page needs from the frame table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FrameNeed {
    Whole,
    Slot(u8),
}

#[derive(Clone, Copy)]
struct FrameEntry {
    usage: FrameUse,
    prev: u32,
    next: u32,
}

/// Frame allocation state for all frames of a provider.
pub(crate) struct FrameTable {
    entries: Vec<FrameEntry>,
    free_stack: Vec<u32>,
    /// Absent frame ids: where the store can grow.
    absent_stack: Vec<u32>,
    partial_heads: [u32; SLOT_SIZES.len()],
    packed_frames: u32,
    whole_frames: u32,
}

impl FrameTable {
    /// A table of `capacity` frame ids, each free if `present(id)`, else
    /// absent. The lowest free ids are allocated first.
    pub(crate) fn new(capacity: u32, present: impl Fn(u32) -> bool) -> Self {
        let mut entries = Vec::with_capacity(capacity as usize);
        let (mut free_stack, mut absent_stack) = (Vec::new(), Vec::new());
        for id in (0..capacity).rev() {
            let usage = if present(id) {
                free_stack.push(id);
                FrameUse::Free
            } else {
                absent_stack.push(id);
                FrameUse::Absent
            };
            entries.push(FrameEntry {
                usage,
                prev: NIL,
                next: NIL,
            });
        }
        entries.reverse();
        Self {
            entries,
            free_stack,
            absent_stack,
            partial_heads: [NIL; SLOT_SIZES.len()],
            packed_frames: 0,
            whole_frames: 0,
        }
    }

    /// Frame ids, present or absent.
    pub(crate) fn capacity(&self) -> u32 {
        self.entries.len() as u32
    }

    /// Frames the store holds now.
    pub(crate) fn total(&self) -> u32 {
        self.capacity() - self.absent_stack.len() as u32
    }

    /// An absent id the store could grow by, if any.
    pub(crate) fn vacant(&self) -> Option<FrameId> {
        self.absent_stack.last().map(|&id| FrameId(id))
    }

    /// Adds the frame [`Self::vacant`] named: it is free from now on.
    pub(crate) fn add_vacant(&mut self) -> Option<FrameId> {
        let id = self.absent_stack.pop()?;
        self.entries[id as usize].usage = FrameUse::Free;
        self.free_stack.push(id);
        Some(FrameId(id))
    }

    /// The highest free frame id below `below`, if any. O(`below`).
    pub(crate) fn free_below(&self, below: u32) -> Option<FrameId> {
        let end = (below as usize).min(self.entries.len());
        self.entries[..end]
            .iter()
            .rposition(|entry| entry.usage == FrameUse::Free)
            .map(|id| FrameId(id as u32))
    }

    /// How many frames with an id below `below` are free. O(`below`).
    pub(crate) fn free_count_below(&self, below: u32) -> u32 {
        let end = (below as usize).min(self.entries.len());
        self.entries[..end]
            .iter()
            .filter(|entry| entry.usage == FrameUse::Free)
            .count() as u32
    }

    /// Turns the free frame `id` absent (the store gives it up). False,
    /// and nothing changes, if it is not free. O(free frames).
    pub(crate) fn remove_free(&mut self, id: FrameId) -> bool {
        if self.usage(id) != Some(FrameUse::Free) {
            return false;
        }
        let Some(at) = self.free_stack.iter().rposition(|&f| f == id.0) else {
            debug_assert!(false, "a free frame missing from the free stack");
            return false;
        };
        self.free_stack.remove(at);
        self.entries[id.0 as usize].usage = FrameUse::Absent;
        self.absent_stack.push(id.0);
        true
    }

    pub(crate) fn free_frames(&self) -> u32 {
        self.free_stack.len() as u32
    }

    pub(crate) fn whole_frames(&self) -> u32 {
        self.whole_frames
    }

    pub(crate) fn packed_frames(&self) -> u32 {
        self.packed_frames
    }

    pub(crate) fn usage(&self, frame: FrameId) -> Option<FrameUse> {
        self.entries.get(frame.0 as usize).map(|entry| entry.usage)
    }

    /// Whether an allocation for `need` would succeed now.
    pub(crate) fn can_satisfy(&self, need: FrameNeed) -> bool {
        match need {
            FrameNeed::Whole => !self.free_stack.is_empty(),
            FrameNeed::Slot(class) => {
                self.partial_heads[usize::from(class)] != NIL || !self.free_stack.is_empty()
            }
        }
    }

    pub(crate) fn alloc_whole(&mut self) -> Option<FrameId> {
        let frame = self.free_stack.pop()?;
        self.entries[frame as usize].usage = FrameUse::Whole;
        self.whole_frames += 1;
        Some(FrameId(frame))
    }

    pub(crate) fn release_whole(&mut self, frame: FrameId) {
        let Some(entry) = self.entries.get_mut(frame.0 as usize) else {
            debug_assert!(false, "release of unknown frame");
            return;
        };
        debug_assert_eq!(entry.usage, FrameUse::Whole);
        if entry.usage == FrameUse::Whole {
            entry.usage = FrameUse::Free;
            self.whole_frames -= 1;
            self.free_stack.push(frame.0);
        }
    }

    /// A free slot of `class`: (frame, slot number).
    pub(crate) fn alloc_slot(&mut self, class: u8) -> Option<(FrameId, u8)> {
        let head = self.partial_heads[usize::from(class)];
        let frame = if head != NIL {
            head
        } else {
            let frame = self.free_stack.pop()?;
            self.entries[frame as usize].usage = FrameUse::Packed { class, used: 0 };
            self.packed_frames += 1;
            self.link_partial(frame, class);
            frame
        };
        let FrameUse::Packed { used, .. } = self.entries[frame as usize].usage else {
            debug_assert!(false, "partial list holds a frame that is not packed");
            return None;
        };
        let slot = used.trailing_ones() as u8;
        let used = used | (1 << slot);
        self.entries[frame as usize].usage = FrameUse::Packed { class, used };
        if used == full_mask(class) {
            self.unlink_partial(frame, class);
        }
        Some((FrameId(frame), slot))
    }

    pub(crate) fn release_slot(&mut self, frame: FrameId, slot: u8) {
        let Some(FrameUse::Packed { class, used }) = self.usage(frame) else {
            debug_assert!(false, "slot release in a frame that is not packed");
            return;
        };
        let bit = 1u8 << slot;
        debug_assert!(used & bit != 0, "slot released twice");
        let was_full = used == full_mask(class);
        let used = used & !bit;
        self.entries[frame.0 as usize].usage = FrameUse::Packed { class, used };
        if used == 0 {
            if !was_full {
                self.unlink_partial(frame.0, class);
            }
            self.entries[frame.0 as usize].usage = FrameUse::Free;
            self.packed_frames -= 1;
            self.free_stack.push(frame.0);
        } else if was_full {
            self.link_partial(frame.0, class);
        }
    }

    fn link_partial(&mut self, frame: u32, class: u8) {
        let head = self.partial_heads[usize::from(class)];
        self.entries[frame as usize].prev = NIL;
        self.entries[frame as usize].next = head;
        if head != NIL {
            self.entries[head as usize].prev = frame;
        }
        self.partial_heads[usize::from(class)] = frame;
    }

    fn unlink_partial(&mut self, frame: u32, class: u8) {
        let FrameEntry { prev, next, .. } = self.entries[frame as usize];
        if prev != NIL {
            self.entries[prev as usize].next = next;
        } else {
            self.partial_heads[usize::from(class)] = next;
        }
        if next != NIL {
            self.entries[next as usize].prev = prev;
        }
        self.entries[frame as usize].prev = NIL;
        self.entries[frame as usize].next = NIL;
    }

    /// Checks the table against itself: every frame is counted exactly once
    /// (free, whole or packed), the free stack has no duplicates, and the
    /// partial lists hold exactly the packed frames with a free slot.
    pub(crate) fn audit(&self) -> Result<(), &'static str> {
        let mut on_free_stack = vec![false; self.entries.len()];
        for &frame in &self.free_stack {
            let seen = on_free_stack
                .get_mut(frame as usize)
                .ok_or("frames: free stack holds an unknown frame")?;
            if *seen {
                return Err("frames: a frame is on the free stack twice");
            }
            *seen = true;
        }
        let mut on_absent_stack = vec![false; self.entries.len()];
        for &frame in &self.absent_stack {
            let seen = on_absent_stack
                .get_mut(frame as usize)
                .ok_or("frames: absent stack holds an unknown frame")?;
            if *seen {
                return Err("frames: a frame is on the absent stack twice");
            }
            *seen = true;
        }
        let (mut free, mut whole, mut packed, mut partial) = (0u32, 0u32, 0u32, 0u32);
        let mut absent = 0u32;
        for (index, entry) in self.entries.iter().enumerate() {
            if on_free_stack[index] && entry.usage != FrameUse::Free {
                return Err("frames: a frame in use is on the free stack");
            }
            if on_absent_stack[index] != (entry.usage == FrameUse::Absent) {
                return Err("frames: absent frames and the absent stack disagree");
            }
            match entry.usage {
                FrameUse::Absent => absent += 1,
                FrameUse::Free => {
                    free += 1;
                    if !on_free_stack[index] {
                        return Err("frames: free frame missing from the free stack");
                    }
                }
                FrameUse::Whole => whole += 1,
                FrameUse::Packed { class, used } => {
                    packed += 1;
                    if used == 0
                        || usize::from(class) >= SLOT_SIZES.len()
                        || used & !full_mask(class) != 0
                    {
                        return Err("frames: packed frame with a bad slot mask");
                    }
                    if used != full_mask(class) {
                        partial += 1;
                    }
                }
            }
        }
        if free != self.free_frames() || whole != self.whole_frames || packed != self.packed_frames
        {
            return Err("frames: counters disagree with the table");
        }
        if free + whole + packed != self.total() || self.total() + absent != self.capacity() {
            return Err("frames: free + whole + packed != total");
        }
        let mut listed = 0u32;
        for (class, &head) in self.partial_heads.iter().enumerate() {
            let mut cursor = head;
            let mut prev = NIL;
            while cursor != NIL {
                let entry = self
                    .entries
                    .get(cursor as usize)
                    .ok_or("frames: bad partial link")?;
                match entry.usage {
                    FrameUse::Packed { class: c, used }
                        if usize::from(c) == class && used != full_mask(c) => {}
                    _ => return Err("frames: partial list holds a wrong frame"),
                }
                if entry.prev != prev {
                    return Err("frames: broken partial back link");
                }
                listed += 1;
                if listed > self.capacity() {
                    return Err("frames: partial list loops");
                }
                prev = cursor;
                cursor = entry.next;
            }
        }
        if listed != partial {
            return Err("frames: partial lists miss a frame");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_fill_and_return_frames() {
        let mut table = FrameTable::new(3, |_| true);
        let whole = table.alloc_whole().unwrap();
        let mut slots = Vec::new();
        for _ in 0..8 {
            slots.push(table.alloc_slot(0).unwrap());
        }
        assert_eq!(table.packed_frames(), 1);
        assert!(table.can_satisfy(FrameNeed::Slot(2)));
        let (second, slot) = table.alloc_slot(0).unwrap();
        assert_eq!(slot, 0);
        assert_eq!(table.free_frames(), 0);
        assert!(!table.can_satisfy(FrameNeed::Whole));
        assert!(table.can_satisfy(FrameNeed::Slot(0)));
        assert!(!table.can_satisfy(FrameNeed::Slot(1)));
        table.audit().unwrap();
        for (frame, slot) in slots {
            table.release_slot(frame, slot);
            table.audit().unwrap();
        }
        table.release_slot(second, 0);
        table.release_whole(whole);
        table.audit().unwrap();
        assert_eq!(table.free_frames(), 3);
    }

    #[test]
    fn absent_frames_are_added_and_given_up_only_when_free() {
        let mut table = FrameTable::new(4, |id| id != 2);
        assert_eq!((table.total(), table.capacity()), (3, 4));
        assert_eq!(table.vacant(), Some(FrameId(2)));
        table.audit().unwrap();
        let whole = table.alloc_whole().unwrap();
        assert_eq!(whole, FrameId(0), "the lowest free id first");
        assert!(!table.remove_free(whole), "a frame in use stays");
        assert!(
            !table.remove_free(FrameId(2)),
            "an absent frame stays absent"
        );
        assert_eq!(table.add_vacant(), Some(FrameId(2)));
        assert_eq!((table.vacant(), table.total()), (None, 4));
        assert_eq!(table.add_vacant(), None);
        assert_eq!(table.free_count_below(4), 3);
        assert_eq!(table.free_below(2), Some(FrameId(1)));
        assert!(table.remove_free(FrameId(1)));
        assert_eq!(table.free_below(2), None);
        table.audit().unwrap();
        assert_eq!((table.total(), table.free_frames()), (3, 2));
    }

    #[test]
    fn size_classes() {
        assert_eq!(class_for_len(1), Some(0));
        assert_eq!(class_for_len(512), Some(0));
        assert_eq!(class_for_len(513), Some(1));
        assert_eq!(class_for_len(2048), Some(2));
        assert_eq!(class_for_len(2049), None);
        assert_eq!(slots_per_frame(2), 2);
    }
}
