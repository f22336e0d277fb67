//! The manager's calls that move a frame to or from the tmem pool: a
//! control request (`ReleaseFrame`, `AcceptFrame`) whose frame rides the
//! reply or the call as a transfer. The tmem client's `ControlClient`
//! passes no capability, so these calls are made here, the same way it
//! makes its own (the request postcard-encoded in the IPC buffer, a
//! `Request::Control` in the words).
//!
//! These only call; the ledger decides and counts. They must never leave
//! a frame uncounted: every outcome says where the frame is.

use kernel_abi::cap::{GrantKind, Rights};
use tmem_protocol::{ControlRequest, ControlResponse, Reply, Request, Slot};
use userlib::ipc::{Endpoint, Grant, IpcBuffer};

/// How a call to the pool ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolCall {
    /// Done; the pool could give `movable` frames after it, and for a
    /// release the frame landed in the receive slot.
    Moved { movable: u32 },
    /// Refused or failed: no frame moved (a frame sent came back).
    NotMoved,
}

/// What came back from a call: the response, if the call succeeded, and
/// the slot a frame landed in, if one did (whatever the response).
struct Answer {
    response: Option<ControlResponse>,
    landed: Option<u16>,
}

/// Calls the tmem control endpoint in slot `endpoint` with `request`,
/// passing the frame in `grant` and accepting one into `receive`.
fn call(
    endpoint: u16,
    buffer: &mut IpcBuffer,
    request: &ControlRequest,
    grant: Option<u16>,
    receive: Option<u16>,
) -> Answer {
    let failed = Answer {
        response: None,
        landed: None,
    };
    let Ok(len) = buffer.write(request) else {
        return failed;
    };
    let Ok(len) = u16::try_from(len) else {
        return failed;
    };
    let control = Request::Control {
        slot: Slot::FIRST,
        len,
    };
    let encoded = control.encode();
    let Some(words) = encoded.get(..control.word_count()) else {
        return failed;
    };
    let grant = grant.map(|slot| Grant {
        slot,
        kind: GrantKind::Transfer,
        rights: Rights::NONE,
    });
    let Ok(message) = Endpoint(endpoint).call_buffered_with(words, grant, receive) else {
        return failed;
    };
    let response = match Reply::decode(message.words, usize::from(message.len)) {
        Ok(Reply::ControlDone { .. }) if message.buffer => buffer.read::<ControlResponse>().ok(),
        _ => None,
    };
    Answer {
        response,
        landed: message.granted.map(|(slot, _)| slot),
    }
}

fn movable_in(response: Option<ControlResponse>) -> u32 {
    match response {
        Some(ControlResponse::PoolFrames { movable, .. }) => movable,
        _ => 0,
    }
}

/// Asks the pool for one free frame, to land in `receive`. `Moved` when a
/// frame landed there (whatever else the answer said).
pub fn release(endpoint: u16, buffer: &mut IpcBuffer, receive: u16) -> PoolCall {
    let answer = call(
        endpoint,
        buffer,
        &ControlRequest::ReleaseFrame,
        None,
        Some(receive),
    );
    match answer.landed {
        Some(slot) if slot == receive => PoolCall::Moved {
            movable: movable_in(answer.response),
        },
        _ => PoolCall::NotMoved,
    }
}

/// Gives the pool the frame in `slot`. `NotMoved` when it was refused (it
/// comes back to `back`) or the call failed (it may still be in `slot`).
pub fn accept(endpoint: u16, buffer: &mut IpcBuffer, slot: u16, back: u16) -> PoolCall {
    let answer = call(
        endpoint,
        buffer,
        &ControlRequest::AcceptFrame,
        Some(slot),
        Some(back),
    );
    match answer.response {
        Some(ControlResponse::PoolFrames { movable, .. }) if answer.landed.is_none() => {
            PoolCall::Moved { movable }
        }
        _ => PoolCall::NotMoved,
    }
}

/// How many frames the pool could give, and how many it took in net.
pub fn counts(endpoint: u16, buffer: &mut IpcBuffer) -> Option<(u32, i32)> {
    match call(endpoint, buffer, &ControlRequest::PoolFrames, None, None).response {
        Some(ControlResponse::PoolFrames {
            movable,
            net_received,
        }) => Some((movable, net_received)),
        _ => None,
    }
}
