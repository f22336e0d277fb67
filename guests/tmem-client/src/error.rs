//! What can go wrong with a tmem operation, as one error type for every
//! frontend.
//!
//! A miss is not an error: a get that finds nothing is `Ok(false)`. A
//! refusal the server states ([`Status`]) is [`TmemClientError::Refused`];
//! a reply that decodes but does not answer the request sent is
//! [`TmemClientError::UnexpectedReply`]; anything that kept a reply from
//! arriving or decoding is [`TmemClientError::Transport`]. This module must
//! never turn a reply into a panic.

use core::fmt;

use tmem_protocol::{Reply, Status};

use crate::transport::TransportError;

/// Why a tmem operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TmemClientError {
    /// No usable reply: the IPC failed, the reply did not decode, or the
    /// page buffer was lost.
    Transport(TransportError),
    /// The server refused the request.
    Refused(Status),
    /// A well-formed reply that does not answer the request sent.
    UnexpectedReply(Reply),
}

impl TmemClientError {
    /// A short name for logs (the status's name for a refusal).
    pub const fn name(&self) -> &'static str {
        match self {
            TmemClientError::Transport(error) => error.name(),
            TmemClientError::Refused(status) => status.name(),
            TmemClientError::UnexpectedReply(_) => "unexpected reply",
        }
    }

    /// The error for `reply`, which is not the success the request
    /// expected: its status if it is a refusal.
    pub const fn from_reply(reply: Reply) -> TmemClientError {
        match reply {
            Reply::Failed { status, .. } => TmemClientError::Refused(status),
            other => TmemClientError::UnexpectedReply(other),
        }
    }
}

impl From<TransportError> for TmemClientError {
    fn from(error: TransportError) -> TmemClientError {
        TmemClientError::Transport(error)
    }
}

impl fmt::Display for TmemClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TmemClientError::Transport(error) => write!(f, "transport: {error}"),
            TmemClientError::Refused(status) => write!(f, "refused: {status}"),
            TmemClientError::UnexpectedReply(reply) => write!(f, "unexpected reply {reply:?}"),
        }
    }
}
