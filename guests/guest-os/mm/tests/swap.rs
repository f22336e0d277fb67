//! The swap area's state machine: frontswap first, the device when tmem
//! refuses or is off, read-in from wherever the page went, release
//! dropping the tmem copy, and every failure leaving the slot free.

mod fake;

use fake::{Disk, Tmem};
use guest_mm::*;

fn page(byte: u8) -> Page {
    [byte; PAGE_SIZE]
}

#[test]
fn a_page_goes_to_tmem_first_and_reads_back_from_there() {
    let (mut tmem, mut disk) = (Tmem::new(1, 0, 8), Disk::new(4));
    let mut swap = SwapArea::new(3, 4);
    let slot = swap
        .write_out(&page(7), Some(&mut tmem), &mut disk)
        .unwrap();
    assert_eq!(swap.place(slot), Some(SwapPlace::Tmem));
    assert!(
        tmem.pages.contains_key(&(3, slot.0)),
        "named by (swap type, offset)"
    );
    assert_eq!(disk.writes, 0);
    let mut out = page(0);
    assert_eq!(
        swap.read_in(slot, &mut out, Some(&mut tmem), &mut disk),
        Ok(SwapPlace::Tmem)
    );
    assert_eq!(out, page(7));
    assert_eq!(swap.pages_in_tmem(), 1);
    swap.release(slot, Some(&mut tmem)).unwrap();
    assert!(
        tmem.pages.is_empty(),
        "releasing a slot flushes its tmem page"
    );
    assert_eq!(swap.slots().used(), 0);
    let stats = swap.stats();
    assert_eq!(
        (
            stats.outs_to_tmem,
            stats.ins_from_tmem,
            stats.outs_to_device
        ),
        (1, 1, 0)
    );
}

#[test]
fn a_refused_page_goes_to_the_device() {
    let (mut tmem, mut disk) = (Tmem::new(1, 100, 8), Disk::new(4));
    let mut swap = SwapArea::new(0, 4);
    let slot = swap
        .write_out(&page(9), Some(&mut tmem), &mut disk)
        .unwrap();
    assert_eq!(swap.place(slot), Some(SwapPlace::Device));
    assert_eq!(
        *disk.blocks[slot.0 as usize],
        page(9),
        "block n holds slot n"
    );
    let mut out = page(0);
    assert_eq!(
        swap.read_in(slot, &mut out, Some(&mut tmem), &mut disk),
        Ok(SwapPlace::Device)
    );
    assert_eq!(out, page(9));
    let stats = swap.stats();
    assert_eq!(
        (
            stats.tmem_refusals,
            stats.outs_to_device,
            stats.ins_from_device
        ),
        (1, 1, 1)
    );
}

#[test]
fn with_tmem_off_every_page_goes_to_the_device() {
    let mut disk = Disk::new(2);
    let mut swap = SwapArea::new(0, 2);
    let slot = swap.write_out(&page(1), None, &mut disk).unwrap();
    assert_eq!(swap.place(slot), Some(SwapPlace::Device));
    assert_eq!(swap.stats().tmem_refusals, 0);
}

#[test]
fn a_full_swap_area_has_no_slot() {
    let mut disk = Disk::new(1);
    let mut swap = SwapArea::new(0, 1);
    swap.write_out(&page(1), None, &mut disk).unwrap();
    assert_eq!(
        swap.write_out(&page(2), None, &mut disk),
        Err(SwapError::NoSlot)
    );
}

#[test]
fn a_write_that_fails_everywhere_frees_its_slot() {
    let (mut tmem, mut disk) = (Tmem::new(1, 100, 8), Disk::new(4));
    disk.fail_writes = true;
    let mut swap = SwapArea::new(0, 4);
    assert_eq!(
        swap.write_out(&page(1), Some(&mut tmem), &mut disk),
        Err(SwapError::Device(BlockError::Io))
    );
    assert_eq!(swap.slots().used(), 0);
    assert_eq!(swap.stats().out_failures, 1);
    // Slots past the end of the device fail the same way.
    let mut small = Disk::new(0);
    assert_eq!(
        swap.write_out(&page(1), None, &mut small),
        Err(SwapError::Device(BlockError::OutOfRange))
    );
    assert_eq!(swap.slots().used(), 0);
}

#[test]
fn a_page_tmem_lost_or_a_failed_read_is_an_error() {
    let (mut tmem, mut disk) = (Tmem::new(1, 0, 8), Disk::new(4));
    let mut swap = SwapArea::new(0, 4);
    let slot = swap
        .write_out(&page(1), Some(&mut tmem), &mut disk)
        .unwrap();
    let mut out = page(0);
    tmem.fail_loads = true;
    assert_eq!(
        swap.read_in(slot, &mut out, Some(&mut tmem), &mut disk),
        Err(SwapError::TmemLost)
    );
    tmem.fail_loads = false;
    tmem.pages.clear();
    assert_eq!(
        swap.read_in(slot, &mut out, Some(&mut tmem), &mut disk),
        Err(SwapError::TmemLost)
    );
    assert_eq!(
        swap.read_in(slot, &mut out, None, &mut disk),
        Err(SwapError::TmemLost)
    );
    assert_eq!(out, page(0), "nothing lands on a failed read");

    let device_slot = swap.write_out(&page(2), None, &mut disk).unwrap();
    disk.fail_reads = true;
    assert_eq!(
        swap.read_in(device_slot, &mut out, None, &mut disk),
        Err(SwapError::Device(BlockError::Io))
    );
}

#[test]
fn slots_not_in_use_cannot_be_read_or_released() {
    let mut disk = Disk::new(2);
    let mut swap = SwapArea::new(0, 2);
    let mut out = page(0);
    assert_eq!(
        swap.read_in(SwapSlot(0), &mut out, None, &mut disk),
        Err(SwapError::NotInUse(SwapSlot(0)))
    );
    assert_eq!(
        swap.release(SwapSlot(5), None),
        Err(SwapError::NotInUse(SwapSlot(5)))
    );
    assert_eq!(swap.place(SwapSlot(5)), None);
}

/// A frontswap whose stores reach the pool but whose replies are lost.
struct LostReplies(Tmem);

impl Frontswap for LostReplies {
    fn store(&mut self, swap_type: u32, offset: u32, page: &Page) -> Result<(), FrontswapError> {
        self.0.store(swap_type, offset, page)?;
        Err(FrontswapError::Failed)
    }

    fn load(
        &mut self,
        swap_type: u32,
        offset: u32,
        out: &mut Page,
    ) -> Result<bool, FrontswapError> {
        self.0.load(swap_type, offset, out)
    }

    fn invalidate_page(&mut self, swap_type: u32, offset: u32) {
        self.0.invalidate_page(swap_type, offset);
    }
}

#[test]
fn a_store_whose_reply_is_lost_leaves_no_copy_in_tmem() {
    let (mut tmem, mut disk) = (LostReplies(Tmem::new(1, 0, 8)), Disk::new(4));
    let mut swap = SwapArea::new(0, 4);
    let slot = swap
        .write_out(&page(3), Some(&mut tmem), &mut disk)
        .unwrap();
    assert_eq!(swap.place(slot), Some(SwapPlace::Device));
    assert!(
        tmem.0.pages.is_empty(),
        "the copy that reached tmem was flushed"
    );
    let mut out = page(0);
    assert_eq!(
        swap.read_in(slot, &mut out, Some(&mut tmem), &mut disk),
        Ok(SwapPlace::Device)
    );
    assert_eq!(out, page(3));
}
