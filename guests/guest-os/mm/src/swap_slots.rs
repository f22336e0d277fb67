//! Swap slots: the page-sized places of the guest's swap space, handed to
//! dirty anonymous pages as they are swapped out (Linux's
//! `get_swap_page`/`swap_free`).
//!
//! A slot's offset names the page both in frontswap (swap type, offset)
//! and on the swap device (block = offset). The allocator must never give
//! a slot to two pages, nor take back a slot that is free.

use alloc::vec;
use alloc::vec::Vec;

/// One slot of swap space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SwapSlot(pub u32);

/// Why a slot could not be freed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotError {
    /// No such slot.
    NotOurs(SwapSlot),
    /// The slot is already free.
    AlreadyFree(SwapSlot),
}

/// The free slots of one swap area, lowest first, so that pages swapped
/// together lie together on the device.
#[derive(Debug)]
pub struct SwapSlots {
    free: Vec<SwapSlot>,
    is_free: Vec<bool>,
}

impl SwapSlots {
    /// Slots `0..count`, all free.
    pub fn new(count: u32) -> SwapSlots {
        SwapSlots {
            free: (0..count).rev().map(SwapSlot).collect(),
            is_free: vec![true; count as usize],
        }
    }

    /// How many slots there are.
    pub fn total(&self) -> u32 {
        self.is_free.len() as u32
    }

    /// How many are in use.
    pub fn used(&self) -> u32 {
        self.total() - self.free.len() as u32
    }

    /// A free slot, or `None` when swap is full.
    pub fn allocate(&mut self) -> Option<SwapSlot> {
        let slot = self.free.pop()?;
        self.is_free[slot.0 as usize] = false;
        Some(slot)
    }

    /// Frees `slot`.
    pub fn release(&mut self, slot: SwapSlot) -> Result<(), SlotError> {
        match self.is_free.get_mut(slot.0 as usize) {
            None => Err(SlotError::NotOurs(slot)),
            Some(true) => Err(SlotError::AlreadyFree(slot)),
            Some(flag) => {
                *flag = true;
                self.free.push(slot);
                Ok(())
            }
        }
    }

    /// Whether `slot` is in use.
    pub fn in_use(&self, slot: SwapSlot) -> bool {
        self.is_free.get(slot.0 as usize) == Some(&false)
    }
}
