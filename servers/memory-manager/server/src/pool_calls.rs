//! The manager's calls that move a frame to or from the tmem pool: a
//! control request (`ReleaseFrame`, `AcceptFrame`) made through the tmem
//! client's `ControlClient`, whose frame rides the reply or the call as a
//! transfer, read as the one thing the manager needs to know: did the
//! frame move.
//!
//! These only call; the ledger decides and counts. They must never leave
//! a frame uncounted: every outcome says where the frame is.

use tmem_client::{ControlClient, FrameSlots};
use tmem_protocol::{ControlRequest, ControlResponse};

/// How a call to the pool ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolCall {
    /// Done; the pool could give `movable` frames after it, and for a
    /// release the frame landed in the receive slot.
    Moved { movable: u32 },
    /// Refused or failed: no frame moved (a frame sent came back).
    NotMoved,
}

/// Asks the pool for one free frame, to land in `receive`. `Moved` when a
/// frame landed there (whatever else the answer said).
pub fn release(control: &mut ControlClient, receive: u16) -> PoolCall {
    let answer = control.request_moving(
        &ControlRequest::ReleaseFrame,
        FrameSlots {
            send: None,
            receive: Some(receive),
        },
    );
    match answer.landed {
        Some(slot) if slot == receive => PoolCall::Moved {
            movable: match answer.response {
                Ok(ControlResponse::PoolFrames { movable, .. }) => movable,
                _ => 0,
            },
        },
        _ => PoolCall::NotMoved,
    }
}

/// Gives the pool the frame in `slot`. `NotMoved` when it was refused (it
/// comes back to `back`) or the call failed (it may still be in `slot`).
pub fn accept(control: &mut ControlClient, slot: u16, back: u16) -> PoolCall {
    let answer = control.request_moving(
        &ControlRequest::AcceptFrame,
        FrameSlots {
            send: Some(slot),
            receive: Some(back),
        },
    );
    match answer.response {
        Ok(ControlResponse::PoolFrames { movable, .. }) if answer.landed.is_none() => {
            PoolCall::Moved { movable }
        }
        _ => PoolCall::NotMoved,
    }
}

/// How many frames the pool could give, and how many it took in net.
pub fn counts(control: &mut ControlClient) -> Option<(u32, i32)> {
    match control.request(&ControlRequest::PoolFrames) {
        Ok(ControlResponse::PoolFrames {
            movable,
            net_received,
        }) => Some((movable, net_received)),
        _ => None,
    }
}
