//! The manager's control client: privileged requests to the tmem server
//! (freeze, thaw, flush, weights, caps, statistics) through the control
//! endpoint.
//!
//! The message words are a `Request::Control { slot: Slot::FIRST, len }`;
//! the postcard-encoded `ControlRequest` travels in the calling thread's
//! IPC buffer (`Endpoint::call_buffered`), and on `Reply::ControlDone` the
//! `ControlResponse` is read back from the same buffer. A refusal is a
//! `Reply::Failed` with no body.
//!
//! Only the partition the system description makes the manager holds the
//! control endpoint; the server answers anyone else `NotSupported`. This
//! module must never trust a response it could not decode.

use tmem_protocol::{ControlRequest, ControlResponse, Reply, Request, Slot};
use userlib::ipc::{Endpoint, IpcBuffer};

use crate::error::TmemClientError;
use crate::transport::{decode_reply, TransportError};

/// A thread's client of the control endpoint.
pub struct ControlClient {
    endpoint: Endpoint,
    buffer: IpcBuffer,
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

    /// Sends `request` and returns the server's response.
    pub fn request(
        &mut self,
        request: &ControlRequest,
    ) -> Result<ControlResponse, TmemClientError> {
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
        let message = self
            .endpoint
            .call_buffered(words)
            .map_err(TransportError::Ipc)?;
        match decode_reply(message.words, usize::from(message.len))? {
            Reply::ControlDone { .. } if message.buffer => Ok(self
                .buffer
                .read::<ControlResponse>()
                .map_err(|_| TransportError::BadPayload)?),
            Reply::ControlDone { .. } => Err(TransportError::BadPayload.into()),
            other => Err(TmemClientError::from_reply(other)),
        }
    }
}
