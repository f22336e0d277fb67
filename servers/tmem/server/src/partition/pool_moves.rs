//! The system calls behind the pool's movable frames (the books are the
//! library's `pool_moves`): at start, the frame the description gives in
//! slot [`MOVABLE_SOURCE`], if any, is split into one-page frames in
//! [`MOVABLE_SLOTS`] and deleted, so each page can move by transfer; the
//! range's other usable slots receive frames from the manager. A frame
//! that comes with a call is checked to be one page by trying to split a
//! second page off it.
//!
//! Only the control thread uses these slots; this module must never touch
//! the store's frames, a client's window or the service thread's spares.

use alloc::vec::Vec;

use kernel_abi::syscall::SyscallError;
use tmem_server::layout::{MAX_POOL_FRAMES, POOL};
use tmem_server::pool_moves::{Landed, MovableFrames};
use userlib::ipc::{cap_delete, Frame, Message};

/// The frame of movable memory the description may give the server.
pub const MOVABLE_SOURCE: u16 = 4;
/// Slots of the movable frames: after the pool frames'. Those past the
/// description's `cap_slots` are not used.
pub const MOVABLE_SLOTS: core::ops::Range<u16> = PROBE + 1..PROBE + 1 + 64;
/// Where a landed frame's second page is split to, to see it has none.
const PROBE: u16 = POOL + MAX_POOL_FRAMES as u16;

/// The books, with the description's movable frame split into them.
pub fn start() -> MovableFrames {
    let mut free = Vec::new();
    let mut empty = Vec::new();
    let mut split = 0;
    for slot in MOVABLE_SLOTS {
        if !matches!(Frame(slot).unmap(), Err(SyscallError::EmptySlot)) {
            continue; // past cap_slots
        }
        match Frame(MOVABLE_SOURCE).split(split, slot) {
            Ok(_) => {
                split += 1;
                free.push(slot);
            }
            Err(_) => empty.push(slot),
        }
    }
    if split > 0 && cap_delete(MOVABLE_SOURCE).is_err() {
        defmt::error!("tmem server: the movable frame would not go after its split");
    }
    // The top slots receive first: the books pop from the end.
    empty.reverse();
    defmt::info!(
        "tmem server: {=usize} movable frames, room for {=usize} more",
        free.len(),
        empty.len()
    );
    MovableFrames::new(free, empty)
}

/// The frame that came with `message`, checked.
pub fn landed(message: &Message) -> Option<Landed> {
    let (slot, _) = message.granted?;
    let one_page = match Frame(slot).split(1, PROBE) {
        Err(SyscallError::InvalidArgument) => Frame(slot).split(0, PROBE).is_ok_and(|_| {
            let _ = cap_delete(PROBE);
            true
        }),
        Ok(_) => {
            let _ = cap_delete(PROBE);
            false
        }
        Err(_) => false,
    };
    Some(Landed { slot, one_page })
}
