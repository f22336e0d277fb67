//! Thread 1's loop on the control endpoint: the manager's requests,
//! postcard-encoded in its IPC buffer, answered the same way.
//!
//! Whoever holds a capability to the control endpoint is the manager (the
//! system description gives it to the monitor alone). This loop must never
//! touch a client's window or frames. Pool moves, which pass a frame
//! with the call or the reply, are answered by `pool_moves`' books.

use kernel_abi::cap::{GrantKind, Rights};
use tmem_protocol::{ControlRequest, Opcode, Reply, Request, Status};
use tmem_server::pool_moves::MoveAnswer;
use tmem_server::FrameCounts;
use userlib::ipc::{Endpoint, Grant, IpcBuffer};

use super::{pool_moves, with_state};
use tmem_server::layout::CONTROL;

/// Serves the manager for ever.
pub fn run(thread: u32) {
    let endpoint = Endpoint(CONTROL);
    let mut buffer = IpcBuffer::of_thread(thread);
    let mut movable = pool_moves::start();
    let mut received = endpoint.recv_into(movable.receive_slot());
    loop {
        let message = match received {
            Ok(message) => message,
            Err(error) => {
                defmt::warn!("control: receive failed: {=str}", error.name());
                received = endpoint.recv_into(movable.receive_slot());
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
                        let moved = movable.answer(&request, landed);
                        let answer = match moved {
                            Some(MoveAnswer {
                                result,
                                outgoing: out,
                            }) => {
                                outgoing = out;
                                Some(result)
                            }
                            None => with_state(|state| {
                                let frames = FrameCounts {
                                    held: state.frames_held + movable.held(),
                                    flipped: state.service.store().provider().flipped(),
                                };
                                state.service.control(request, frames)
                            }),
                        };
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
        let receive = movable.receive_slot();
        received = if matches!(reply, Reply::ControlDone { .. }) {
            endpoint.reply_recv_buffered_with(words, grant, receive)
        } else {
            endpoint.reply_recv_with(words, grant, receive)
        };
        if let (Ok(next), Some(slot)) = (&received, outgoing) {
            if next.reply_dropped {
                // The manager is gone and the frame stayed: free again.
                defmt::warn!("control: caller gone; its frame stays in the pool");
                movable.unrelease(slot);
            }
        }
    }
}
