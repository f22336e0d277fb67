//! What a guest's balloon service and the memory manager say to each
//! other. The guest drives: once per balloon period it *calls* the
//! manager with its pressure report and learns its target in frames; then
//! it gives frames back one call each (the one-page frame capability moves
//! with the call) or asks for frames one call each (the capability moves
//! with the reply).
//!
//! ```text
//! request word 0   1 report (the pressure report in the IPC buffer)
//!                  2 give   (a one-page frame capability, transferred)
//!                  3 take   (the caller offers an empty receive slot)
//! reply words      0, target, period_ms   report answered
//!                  0                       give / take done
//!                  1                       the run is over: stop
//!                  2, refusal              refused (see Refusal)
//! ```
//!
//! The report travels in the IPC buffer, postcard-encoded by
//! `userlib::ipc::IpcBuffer` (the one encoding of structured messages).
//! This crate only encodes and decodes; it must never trust what it
//! decodes: anything malformed is a [`ProtocolError`], never a panic.

#![no_std]

mod pressure;
mod reply;

pub use pressure::Pressure;
pub use reply::{Refusal, Reply};

/// Why a message could not be understood.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProtocolError {
    /// Word 0 names no request, or a reply code is unknown.
    UnknownCode,
    /// Too few words for what the code says.
    TooShort,
    /// A report came without its payload, or the payload is not a report.
    BadPayload,
}

impl ProtocolError {
    /// A short name for logs.
    pub const fn name(self) -> &'static str {
        match self {
            ProtocolError::UnknownCode => "unknown code",
            ProtocolError::TooShort => "too few words",
            ProtocolError::BadPayload => "bad payload",
        }
    }
}

/// A guest's request, as word 0 of the call says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    /// Here is my pressure; what is my target? (Payload: [`Pressure`].)
    Report,
    /// Take back the frame this call carries.
    Give,
    /// Give me one frame.
    Take,
}

impl Request {
    /// Word 0 of the call.
    pub const fn word(self) -> u32 {
        match self {
            Request::Report => 1,
            Request::Give => 2,
            Request::Take => 3,
        }
    }

    /// The request the call's words name.
    pub fn decode(words: &[u32]) -> Result<Request, ProtocolError> {
        match words.first() {
            None => Err(ProtocolError::TooShort),
            Some(1) => Ok(Request::Report),
            Some(2) => Ok(Request::Give),
            Some(3) => Ok(Request::Take),
            Some(_) => Err(ProtocolError::UnknownCode),
        }
    }
}

#[cfg(test)]
mod tests;
