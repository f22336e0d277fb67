//! The manager's control client: privileged requests to the tmem server
//! (freeze, thaw, flush, weights, caps, statistics, and moving frames to
//! and from the pool) through the control endpoint.
//!
//! The message words are a `Request::Control { slot: Slot::FIRST, len }`;
//! the postcard-encoded `ControlRequest` travels in the calling thread's
//! IPC buffer, and on `Reply::ControlDone` the `ControlResponse` is read
//! back from the same buffer. A refusal is a `Reply::Failed` with no body.
//! A request may pass a frame to the server (moved, as `AcceptFrame`
//! wants) and accept one back (as `ReleaseFrame` answers, or a refused
//! frame returns); the answer then says where a frame landed, whatever
//! the response, so the caller can account for every frame.
//!
//! Only the partition the system description makes the manager holds the
//! control endpoint; the server answers anyone else `NotSupported`. This
//! module must never trust a response it could not decode.

use kernel_abi::cap::{GrantKind, Rights};
use tmem_protocol::{ControlRequest, ControlResponse, Reply, Request, Slot};
use userlib::ipc::{Carry, Endpoint, Grant, IpcBuffer};

use crate::error::TmemClientError;
use crate::transport::{decode_reply, TransportError};

/// A thread's client of the control endpoint.
pub struct ControlClient {
    endpoint: Endpoint,
    buffer: IpcBuffer,
}

/// The frames a control request moves: one passed to the server, and the
/// empty slot one coming back may land in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FrameSlots {
    /// The slot whose frame moves to the server with the request.
    pub send: Option<u16>,
    /// The empty slot a frame the server passes back lands in.
    pub receive: Option<u16>,
}

/// What a control request came to: the response, and the slot a frame
/// landed in (if one did, whatever the response says).
#[derive(Debug)]
pub struct ControlAnswer {
    /// The server's response, or why there is none.
    pub response: Result<ControlResponse, TmemClientError>,
    /// Where a frame the server passed back landed.
    pub landed: Option<u16>,
}

impl ControlClient {
    /// The client for thread `thread` (its index in the partition), calling
    /// the control endpoint in slot `endpoint`. Only that thread may use it
    /// (it writes the thread's IPC buffer).
    pub fn new(endpoint: u16, thread: u32) -> ControlClient {
        ControlClient {
            endpoint: Endpoint(endpoint),
            buffer: IpcBuffer::of_thread(thread),
        }
    }

    /// Sends `request` and returns the server's response (no frame moves).
    pub fn request(
        &mut self,
        request: &ControlRequest,
    ) -> Result<ControlResponse, TmemClientError> {
        self.request_moving(request, FrameSlots::default()).response
    }

    /// Sends `request`, moving the frame in `frames.send` to the server
    /// and accepting one back into `frames.receive`; returns the response
    /// and where a frame landed. When the call itself fails nothing
    /// landed, and a frame sent may still be in its slot.
    pub fn request_moving(
        &mut self,
        request: &ControlRequest,
        frames: FrameSlots,
    ) -> ControlAnswer {
        let message = match self.call(request, frames) {
            Ok(message) => message,
            Err(error) => {
                return ControlAnswer {
                    response: Err(error),
                    landed: None,
                }
            }
        };
        let response = match decode_reply(message.words, usize::from(message.len)) {
            Ok(Reply::ControlDone { .. }) if message.buffer => self
                .buffer
                .read::<ControlResponse>()
                .map_err(|_| TransportError::BadPayload.into()),
            Ok(Reply::ControlDone { .. }) => Err(TransportError::BadPayload.into()),
            Ok(other) => Err(TmemClientError::from_reply(other)),
            Err(error) => Err(error.into()),
        };
        ControlAnswer {
            response,
            landed: message.granted.map(|(slot, _)| slot),
        }
    }

    /// Writes `request` to the IPC buffer and makes the call.
    fn call(
        &mut self,
        request: &ControlRequest,
        frames: FrameSlots,
    ) -> Result<userlib::ipc::Message, TmemClientError> {
        let len = self
            .buffer
            .write(request)
            .map_err(|_| TransportError::BadPayload)?;
        let len = u16::try_from(len).map_err(|_| TransportError::BadPayload)?;
        let control = Request::Control {
            slot: Slot::FIRST,
            len,
        };
        let encoded = control.encode();
        let words = encoded
            .get(..control.word_count())
            .ok_or(TransportError::Unsupported)?;
        let grant = frames.send.map(|slot| Grant {
            slot,
            kind: GrantKind::Transfer,
            rights: Rights::NONE,
        });
        let carry = Carry {
            grant,
            receive: frames.receive,
            buffer: true,
        };
        Ok(self
            .endpoint
            .call_with(words, carry)
            .map_err(TransportError::Ipc)?)
    }
}
