//! The system calls behind pool moves (the books are the library's
//! `pool_moves`; mapping a frame in and out is the provider's, `pool`):
//! the places where frames the manager gives can land — the pool's
//! capability slots and grant-window pages the boot frames and the kept
//! frame leave unused — and the check that a frame that came with a call
//! is one page (by trying to split a second page off it).
//!
//! Only the control thread uses these; this module must never touch the
//! store's frames, a client's window or the service thread's spares.

use alloc::vec::Vec;

use kernel_abi::cap::GrantKind;
use kernel_abi::syscall::SyscallError;
use tmem_server::layout::{MAX_POOL_FRAMES, POOL, POOL_BASE};
use tmem_server::pool_moves::{Landed, Place};
use userlib::ipc::{cap_delete, Frame, Message};

/// Where a landed frame's second page is split to, to see it has none.
const PROBE: u16 = POOL + MAX_POOL_FRAMES as u16;

/// The places left for frames to come: pool slots from `boot` on that
/// the description's `cap_slots` has (empty), paired with the pool pages
/// from `used` on (the boot frames' and the kept frame's pages come
/// first). The last place is the first to receive.
pub fn places(boot: u32, used: u32) -> Vec<Place> {
    let slots = (POOL + boot as u16..PROBE)
        .take_while(|&slot| matches!(Frame(slot).unmap(), Err(SyscallError::EmptySlot)));
    let addresses = (used..MAX_POOL_FRAMES).map(|page| POOL_BASE + page * 4096);
    let mut places: Vec<Place> = slots
        .zip(addresses)
        .map(|(slot, address)| Place { slot, address })
        .collect();
    places.reverse();
    places
}

/// The frame that came with `message`, checked. Only a capability that
/// moved here counts: a derived copy (its sender keeps the original) is
/// deleted at once and a lent one is the kernel's to destroy at the
/// reply; neither may join the pool or be passed back.
pub fn landed(message: &Message) -> Option<Landed> {
    let (slot, kind) = message.granted?;
    match kind {
        GrantKind::Transfer => {}
        GrantKind::DerivedCopy => {
            let _ = cap_delete(slot);
            return None;
        }
        GrantKind::Transient => return None,
    }
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
