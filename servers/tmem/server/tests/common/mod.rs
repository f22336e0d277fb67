//! What the service's host tests share: the three-client configuration,
//! a caller's memory as the service sees it, and a call made as the
//! partition makes it. Only test scaffolding: no assertion lives here.

#![allow(dead_code)]

use tmem_protocol::*;
use tmem_server::{ClientPages, ServerConfig, Service};
use tmem_store::VecFrames;

/// Client 1 copy, client 2 grant-map, client 3 transfer; 1 and 2 share
/// pool 7.
pub fn config() -> ServerConfig {
    use ExchangeMode::{Copy, GrantMap, Transfer};
    let mut modes = [None; tmem_server::MAX_CLIENTS];
    modes[..3].copy_from_slice(&[Some(Copy), Some(GrantMap), Some(Transfer)]);
    ServerConfig::new(modes, 0b011, 7).unwrap()
}

/// A caller's memory: a window and, for the frame modes, the frame
/// passed with the call (its pages).
pub struct Memory {
    pub window: Vec<u8>,
    pub frame: Option<Vec<[u8; PAGE_SIZE]>>,
}

impl Memory {
    /// A zeroed window of one slot and no frame.
    pub fn new() -> Memory {
        Memory::with_slots(1)
    }

    /// A zeroed window of `slots` slots and no frame.
    pub fn with_slots(slots: usize) -> Memory {
        Memory {
            window: vec![0; window_size(slots).unwrap()],
            frame: None,
        }
    }
}

impl ClientPages for Memory {
    fn block(&self, slot: Slot) -> Option<RequestBlock> {
        slot.block(&self.window).map(RequestBlock::from_bytes)
    }
    fn page(&mut self, slot: Slot, i: usize) -> Option<&mut [u8; PAGE_SIZE]> {
        match self.frame.as_mut() {
            Some(frame) => frame.get_mut(i),
            None => Slot::new(u32::from(slot.number()) + i as u32)?.page_mut(&mut self.window),
        }
    }
}

/// `request` from the caller with `badge`, as the partition serves it:
/// the caller found from the badge once, then the typed request (an
/// unknown badge refused).
pub fn call(
    service: &mut Service<VecFrames>,
    badge: u32,
    memory: &mut Memory,
    request: Request,
) -> Reply {
    match service.caller(badge) {
        Some(caller) => service.serve(caller, &request, memory),
        None => tmem_server::refusal(request.opcode(), Status::UnknownClient),
    }
}
