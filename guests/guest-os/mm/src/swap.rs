//! The swap area: where a swapped-out page's data is — in frontswap (tmem's
//! persistent pool) or on the swap device — and the write-out, read-in and
//! release of a slot's data.
//!
//! The order is Linux's: a page goes to frontswap first and to the device
//! only when tmem refuses it (`frontswap_store` before `swap_writepage`);
//! a read-in asks wherever the page went. Every slot in use remembers
//! which; a slot's tmem copy is invalidated when the slot is released, so
//! tmem never holds a page for a slot that is free. A write-out that fails
//! everywhere leaves the slot free and holding nothing.

use alloc::vec;
use alloc::vec::Vec;

use crate::page::Page;
use crate::ports::{BlockDevice, BlockError, Frontswap, FrontswapError};
use crate::swap_slots::{SwapSlot, SwapSlots};

/// Where a slot's data lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SwapPlace {
    /// In the tmem persistent pool.
    Tmem,
    /// On the swap device.
    Device,
}

/// Why a page could not be swapped out or in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SwapError {
    /// Every slot is in use.
    NoSlot,
    /// The swap device failed (or the slot is past its end).
    Device(BlockError),
    /// frontswap accepted the page but no longer has it, or could not be
    /// asked: the page's data is lost.
    TmemLost,
    /// The slot is not in use.
    NotInUse(SwapSlot),
}

/// Counters of the swap area.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SwapStats {
    /// Pages frontswap took.
    pub outs_to_tmem: u64,
    /// Pages written to the device.
    pub outs_to_device: u64,
    /// Stores frontswap refused (each then went to the device, or failed).
    pub tmem_refusals: u64,
    /// Pages read back from frontswap.
    pub ins_from_tmem: u64,
    /// Pages read back from the device.
    pub ins_from_device: u64,
    /// Write-outs that failed everywhere.
    pub out_failures: u64,
}

/// One swap type's slots and where each slot's page is.
#[derive(Debug)]
pub struct SwapArea {
    swap_type: u32,
    slots: SwapSlots,
    place: Vec<SwapPlace>,
    stats: SwapStats,
}

impl SwapArea {
    /// A swap area of `slots` slots for swap type `swap_type`.
    pub fn new(swap_type: u32, slots: u32) -> SwapArea {
        SwapArea {
            swap_type,
            slots: SwapSlots::new(slots),
            place: vec![SwapPlace::Device; slots as usize],
            stats: SwapStats::default(),
        }
    }

    /// The slot allocator (for counts).
    pub const fn slots(&self) -> &SwapSlots {
        &self.slots
    }

    /// The counters so far.
    pub const fn stats(&self) -> SwapStats {
        self.stats
    }

    /// Where the page of slot `slot` is, if the slot is in use.
    pub fn place(&self, slot: SwapSlot) -> Option<SwapPlace> {
        self.slots.in_use(slot).then(|| self.place[slot.0 as usize])
    }

    /// How many slots in use hold their page in tmem.
    pub fn pages_in_tmem(&self) -> u32 {
        (0..self.slots.total())
            .filter(|&slot| self.place(SwapSlot(slot)) == Some(SwapPlace::Tmem))
            .count() as u32
    }

    /// Takes a slot and writes `page` there: to frontswap if there is one
    /// and it accepts, else to the device.
    pub fn write_out(
        &mut self,
        page: &Page,
        frontswap: Option<&mut (dyn Frontswap + '_)>,
        device: &mut (dyn BlockDevice + '_),
    ) -> Result<SwapSlot, SwapError> {
        let slot = self.slots.allocate().ok_or(SwapError::NoSlot)?;
        if let Some(frontswap) = frontswap {
            match frontswap.store(self.swap_type, slot.0, page) {
                Ok(()) => {
                    self.place[slot.0 as usize] = SwapPlace::Tmem;
                    self.stats.outs_to_tmem += 1;
                    return Ok(slot);
                }
                Err(FrontswapError::Refused) => self.stats.tmem_refusals += 1,
                Err(FrontswapError::Failed) => {
                    // The store may have reached tmem before the reply was
                    // lost: drop any copy, so none outlives the slot.
                    frontswap.invalidate_page(self.swap_type, slot.0);
                    self.stats.tmem_refusals += 1;
                }
            }
        }
        match device.write_block(slot.0, page) {
            Ok(()) => {
                self.place[slot.0 as usize] = SwapPlace::Device;
                self.stats.outs_to_device += 1;
                Ok(slot)
            }
            Err(error) => {
                self.stats.out_failures += 1;
                self.free_slot(slot);
                Err(SwapError::Device(error))
            }
        }
    }

    /// Reads slot `slot`'s page into `out` from wherever it is. The slot
    /// stays in use (the page is in the swap cache until written).
    pub fn read_in(
        &mut self,
        slot: SwapSlot,
        out: &mut Page,
        frontswap: Option<&mut (dyn Frontswap + '_)>,
        device: &mut (dyn BlockDevice + '_),
    ) -> Result<SwapPlace, SwapError> {
        match self.place(slot) {
            None => Err(SwapError::NotInUse(slot)),
            Some(SwapPlace::Tmem) => match frontswap.map(|f| f.load(self.swap_type, slot.0, out)) {
                Some(Ok(true)) => {
                    self.stats.ins_from_tmem += 1;
                    Ok(SwapPlace::Tmem)
                }
                _ => Err(SwapError::TmemLost),
            },
            Some(SwapPlace::Device) => {
                device.read_block(slot.0, out).map_err(SwapError::Device)?;
                self.stats.ins_from_device += 1;
                Ok(SwapPlace::Device)
            }
        }
    }

    /// Frees slot `slot`, dropping its tmem copy if it has one.
    pub fn release(
        &mut self,
        slot: SwapSlot,
        frontswap: Option<&mut (dyn Frontswap + '_)>,
    ) -> Result<(), SwapError> {
        match self.place(slot) {
            None => Err(SwapError::NotInUse(slot)),
            Some(place) => {
                if let (SwapPlace::Tmem, Some(frontswap)) = (place, frontswap) {
                    frontswap.invalidate_page(self.swap_type, slot.0);
                }
                self.free_slot(slot);
                Ok(())
            }
        }
    }

    fn free_slot(&mut self, slot: SwapSlot) {
        let released = self.slots.release(slot);
        debug_assert!(released.is_ok(), "freed a free slot");
        self.place[slot.0 as usize] = SwapPlace::Device;
    }
}
