//! The manager's answers, in the reply's words. Decoding must never
//! accept words it does not understand: an unknown code or too few words
//! is an error, never a guess.

use crate::{ProtocolError, Request};

/// Why the manager refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The request or its payload was malformed.
    Malformed,
    /// A give carried no one-page frame capability.
    NotAFrame,
    /// Taking (or giving) one more frame would pass the guest's target,
    /// ceiling or floor.
    NotOwed,
    /// The reserve is empty.
    ReserveEmpty,
    /// The caller is not a guest the manager serves.
    UnknownGuest,
    /// The manager could not deliver its answer (the kernel refused the
    /// reply it made); nothing moved.
    Failed,
}

impl Refusal {
    /// Its code in word 1.
    pub const fn code(self) -> u32 {
        match self {
            Refusal::Malformed => 1,
            Refusal::NotAFrame => 2,
            Refusal::NotOwed => 3,
            Refusal::ReserveEmpty => 4,
            Refusal::UnknownGuest => 5,
            Refusal::Failed => 6,
        }
    }

    /// The refusal coded `code`.
    pub const fn from_code(code: u32) -> Option<Refusal> {
        match code {
            1 => Some(Refusal::Malformed),
            2 => Some(Refusal::NotAFrame),
            3 => Some(Refusal::NotOwed),
            4 => Some(Refusal::ReserveEmpty),
            5 => Some(Refusal::UnknownGuest),
            6 => Some(Refusal::Failed),
            _ => None,
        }
    }

    /// A short name for logs.
    pub const fn name(self) -> &'static str {
        match self {
            Refusal::Malformed => "malformed request",
            Refusal::NotAFrame => "not a one-page frame",
            Refusal::NotOwed => "not owed",
            Refusal::ReserveEmpty => "reserve empty",
            Refusal::UnknownGuest => "unknown guest",
            Refusal::Failed => "the manager's answer failed",
        }
    }
}

/// An answer to one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    /// (Report) hold `frames` frames; report again in `period_ms`.
    Target { frames: u32, period_ms: u32 },
    /// (Give, Take) done: the frame moved.
    Done,
    /// The run is over: no more moves; the guest may end.
    Stop,
    /// Refused; nothing moved (a given frame comes back with the reply).
    Refused(Refusal),
}

impl Reply {
    /// The reply's words and how many of them count.
    pub fn encode(self) -> ([u32; 3], usize) {
        match self {
            Reply::Target { frames, period_ms } => ([0, frames, period_ms], 3),
            Reply::Done => ([0, 0, 0], 1),
            Reply::Stop => ([1, 0, 0], 1),
            Reply::Refused(why) => ([2, why.code(), 0], 2),
        }
    }

    /// The answer to `request` that `words` say.
    pub fn decode(request: Request, words: &[u32]) -> Result<Reply, ProtocolError> {
        let word = |i: usize| words.get(i).copied().ok_or(ProtocolError::TooShort);
        match word(0)? {
            0 if request == Request::Report => Ok(Reply::Target {
                frames: word(1)?,
                period_ms: word(2)?,
            }),
            0 => Ok(Reply::Done),
            1 => Ok(Reply::Stop),
            2 => Refusal::from_code(word(1)?)
                .map(Reply::Refused)
                .ok_or(ProtocolError::UnknownCode),
            _ => Err(ProtocolError::UnknownCode),
        }
    }
}
