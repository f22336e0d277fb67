//! Thread 1's loop on the control endpoint: the manager's requests,
//! postcard-encoded in its IPC buffer, answered the same way.
//!
//! Whoever holds a capability to the control endpoint is the manager (the
//! system description gives it to the monitor alone). This loop must never
//! touch a client's window or frames. Pool moves, which pass a frame
//! with the call or the reply, are answered by the library's `pool_moves`
//! books against the store.

use kernel_abi::cap::{GrantKind, Rights};
use tmem_protocol::{ControlRequest, Opcode, Reply, Request, Status};
use tmem_server::pool_moves::MoveAnswer;
use tmem_server::FrameCounts;
use userlib::ipc::{Carry, Endpoint, Grant, IpcBuffer};

use super::{pool_moves, with_state, State};
use tmem_server::layout::CONTROL;

/// The slot the next frame the manager gives lands in (none before setup
/// has finished).
fn receive_slot() -> Option<u16> {
    with_state(|state| state.moves.receive_slot()).flatten()
}

/// Serves the manager for ever.
pub fn run(thread: u32) {
    let endpoint = Endpoint(CONTROL);
    let mut buffer = IpcBuffer::of_thread(thread);
    let mut received = endpoint.recv_into(receive_slot());
    loop {
        let message = match received {
            Ok(message) => message,
            Err(error) => {
                defmt::warn!("control: receive failed: {=str}", error.name());
                received = endpoint.recv_into(receive_slot());
                continue;
            }
        };
        let landed = pool_moves::landed(&message);
        // A frame that came with anything but a pool move goes back.
        let mut outgoing = landed.map(|frame| frame.slot);
        let refuse = |status| Reply::Failed {
            op: Some(Opcode::Control),
            status,
        };
        let (words, len) = (message.words, usize::from(message.len));
        let reply = match Request::decode(words, len) {
            Ok(Request::Control { .. }) if message.buffer => {
                match buffer.read::<ControlRequest>() {
                    Ok(request) => {
                        let answer = with_state(|state| {
                            let State { service, moves, .. } = state;
                            match moves.answer(service, &request, landed) {
                                Some(MoveAnswer {
                                    result,
                                    outgoing: out,
                                }) => {
                                    outgoing = out;
                                    result
                                }
                                None => {
                                    let held = i64::from(state.frames_held)
                                        + i64::from(state.moves.net_received());
                                    let frames = FrameCounts {
                                        held: u32::try_from(held).unwrap_or(0),
                                        flipped: state.service.store().provider().flipped(),
                                    };
                                    state.service.control(request, frames)
                                }
                            }
                        });
                        match answer {
                            Some(Ok(response)) => match buffer.write(&response) {
                                Ok(len) => Reply::ControlDone { len: len as u16 },
                                Err(_) => refuse(Status::BadRequest),
                            },
                            Some(Err(status)) => refuse(status),
                            None => refuse(Status::NotSupported),
                        }
                    }
                    Err(_) => refuse(Status::BadRequest),
                }
            }
            Ok(_) => refuse(Status::NotSupported),
            Err(error) => Reply::rejecting(words, error),
        };
        let reply_words = reply.encode();
        let words = &reply_words[..Reply::WORDS];
        let grant = outgoing.map(|slot| Grant {
            slot,
            kind: GrantKind::Transfer,
            rights: Rights::NONE,
        });
        received = endpoint.reply_recv_with(
            words,
            Carry {
                grant,
                receive: receive_slot(),
                buffer: matches!(reply, Reply::ControlDone { .. }),
            },
        );
        if let (Ok(next), Some(slot)) = (&received, outgoing) {
            if next.reply_dropped {
                // The manager is gone and the frame stayed: free again.
                defmt::warn!("control: caller gone; its frame stays in the pool");
                with_state(|state| state.moves.unrelease(&mut state.service, slot));
            }
        }
    }
}
