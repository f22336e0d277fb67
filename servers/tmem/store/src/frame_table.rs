//! Which frame is free, holds one whole page, or is cut into slots for
//! compressed pages.
//!
//! Compressed pages are packed by size class: a frame is cut into slots of
//! 512, 1024 or 2048 bytes (8, 4 or 2 per frame) and only holds slots of one
//! class. Frames of a class with a free slot are kept on a per-class list, so
//! every allocation and release is O(1). All tables are sized from the frame
//! count at construction. This module must never hand out a frame or slot
//! that is in use, and never lose one: free + whole + packed == total.

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
    partial_heads: [u32; SLOT_SIZES.len()],
    packed_frames: u32,
    whole_frames: u32,
}

impl FrameTable {
    pub(crate) fn new(count: u32) -> Self {
        Self {
            entries: vec![
                FrameEntry {
                    usage: FrameUse::Free,
                    prev: NIL,
                    next: NIL,
                };
                count as usize
            ],
            free_stack: (0..count).rev().collect(),
            partial_heads: [NIL; SLOT_SIZES.len()],
            packed_frames: 0,
            whole_frames: 0,
        }
    }

    pub(crate) fn total(&self) -> u32 {
        self.entries.len() as u32
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
        let (mut free, mut whole, mut packed, mut partial) = (0u32, 0u32, 0u32, 0u32);
        for (index, entry) in self.entries.iter().enumerate() {
            match entry.usage {
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
        if free + whole + packed != self.total() {
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
                if listed > self.total() {
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
        let mut table = FrameTable::new(3);
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
    fn size_classes() {
        assert_eq!(class_for_len(1), Some(0));
        assert_eq!(class_for_len(512), Some(0));
        assert_eq!(class_for_len(513), Some(1));
        assert_eq!(class_for_len(2048), Some(2));
        assert_eq!(class_for_len(2049), None);
        assert_eq!(slots_per_frame(2), 2);
    }
}
