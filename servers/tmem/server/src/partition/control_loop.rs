//! Thread 1's loop on the control endpoint: the manager's requests,
//! postcard-encoded in its IPC buffer, answered the same way.
//!
//! Whoever holds a capability to the control endpoint is the manager (the
//! system description gives it to the monitor alone). This loop must never
//! touch a client's window or frames.

use tmem_protocol::{ControlRequest, Opcode, Reply, Request, Status};
use tmem_server::FrameCounts;
use userlib::ipc::{Endpoint, IpcBuffer};

use super::with_state;
use tmem_server::layout::CONTROL;

/// Serves the manager for ever.
pub fn run(thread: u32) {
    let endpoint = Endpoint(CONTROL);
    let mut buffer = IpcBuffer::of_thread(thread);
    let mut received = endpoint.recv();
    loop {
        let message = match received {
            Ok(message) => message,
            Err(error) => {
                defmt::warn!("control: receive failed: {=str}", error.name());
                received = endpoint.recv();
                continue;
            }
        };
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
                            let frames = FrameCounts {
                                held: state.frames_held,
                                flipped: state.service.store().provider().flipped(),
                            };
                            state.service.control(request, frames)
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
        received = if matches!(reply, Reply::ControlDone { .. }) {
            endpoint.reply_recv_buffered(&reply_words[..Reply::WORDS])
        } else {
            endpoint.reply_recv(&reply_words[..Reply::WORDS])
        };
    }
}
