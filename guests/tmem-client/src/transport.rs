//! The seam between the tmem frontends and whatever carries their requests:
//! the kernel's IPC on the target (`Connection`), a simulated server in
//! host tests.
//!
//! A transport sends one request and returns the server's reply, and owns
//! two pieces of memory the protocol needs: the *page buffer* (a put's page
//! is there before the call, a successful get's page is there after it)
//! and the calling thread's *request block* (the tail of a wide object id,
//! a shared pool's UUID). Where that memory is and how the page crosses to
//! the server is the exchange mode's business, hidden here: frontends never
//! branch on the mode, they only copy it into the requests they build.
//!
//! A transport must never interpret a reply beyond decoding its words (that
//! is [`crate::ops`]'s job), and never panic on one.

use core::fmt;

use kernel_abi::syscall::SyscallError;
use tmem_protocol::{DecodeError, ExchangeMode, Reply, Request, Slot, PAGE_SIZE};

/// A 4 KiB page.
pub type Page = [u8; PAGE_SIZE];

/// Something that carries tmem requests to a server.
pub trait Transport {
    /// Sends `request` and waits for the reply. For a put, the page must
    /// already be in [`page_mut`](Self::page_mut); after a get the reply
    /// says [`Reply::PageGot`], the page is in [`page`](Self::page).
    /// After any other put or get outcome the buffer's contents are
    /// unspecified (a transfer-mode miss hands back a frame of junk).
    fn call(&mut self, request: Request) -> Result<Reply, TransportError>;

    /// The page buffer, to read a page a get delivered.
    fn page(&self) -> &Page;

    /// The page buffer, to write the page a put sends.
    fn page_mut(&mut self) -> &mut Page;

    /// The calling thread's 32-byte request block (see
    /// `tmem_protocol::RequestBlock`), to write before a call that needs it.
    fn block_mut(&mut self) -> &mut [u8; tmem_protocol::REQUEST_BLOCK_SIZE];

    /// The exchange mode this client was configured with; puts and gets
    /// must name it.
    fn mode(&self) -> ExchangeMode;

    /// The calling thread's slot of the window.
    fn slot(&self) -> Slot;

    /// The pages of a run of `pages` pages (`PutRun` reads them, a
    /// `GetRun` fills them): the window's page slots from this thread's
    /// on in copy mode, the exchange frame's pages otherwise; `None` if
    /// there are fewer, or the transport carries no runs (the default).
    fn run_pages_mut(&mut self, pages: usize) -> Option<&mut [Page]> {
        let _ = pages;
        None
    }
}

impl<T: Transport + ?Sized> Transport for &mut T {
    fn call(&mut self, request: Request) -> Result<Reply, TransportError> {
        (**self).call(request)
    }

    fn page(&self) -> &Page {
        (**self).page()
    }

    fn page_mut(&mut self) -> &mut Page {
        (**self).page_mut()
    }

    fn run_pages_mut(&mut self, pages: usize) -> Option<&mut [Page]> {
        (**self).run_pages_mut(pages)
    }

    fn block_mut(&mut self) -> &mut [u8; tmem_protocol::REQUEST_BLOCK_SIZE] {
        (**self).block_mut()
    }

    fn mode(&self) -> ExchangeMode {
        (**self).mode()
    }

    fn slot(&self) -> Slot {
        (**self).slot()
    }
}

/// Why a request got no usable reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportError {
    /// The IPC call failed (the kernel's error).
    Ipc(SyscallError),
    /// Mapping the window or the exchange frame failed (the kernel's
    /// error).
    Map(SyscallError),
    /// The reply's words are not a valid reply.
    Decode(DecodeError),
    /// Transfer mode: the reply brought no frame back (or brought
    /// something else), so the client has no exchange frame until a later
    /// call recovers one.
    FrameLost,
    /// A put or get naming another exchange mode than the transport's.
    WrongMode,
    /// The request cannot be carried (a slot beyond the window, a control
    /// message through a page transport).
    Unsupported,
    /// A control response did not come back in the IPC buffer, or did not
    /// decode.
    BadPayload,
}

impl TransportError {
    /// The server went away (stopped, or restarting): the call ended in
    /// the kernel's `PeerGone`.
    pub const PEER_GONE: TransportError = TransportError::Ipc(SyscallError::PeerGone);

    /// A short name for logs.
    pub const fn name(&self) -> &'static str {
        match self {
            TransportError::Ipc(error) => error.name(),
            TransportError::Map(_) => "map failed",
            TransportError::Decode(_) => "reply did not decode",
            TransportError::FrameLost => "exchange frame lost",
            TransportError::WrongMode => "wrong exchange mode",
            TransportError::Unsupported => "unsupported request",
            TransportError::BadPayload => "bad control payload",
        }
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::Ipc(error) => write!(f, "IPC failed: {}", error.name()),
            TransportError::Map(error) => write!(f, "map failed: {}", error.name()),
            TransportError::Decode(error) => write!(f, "bad reply: {error}"),
            other => f.write_str(other.name()),
        }
    }
}

impl From<DecodeError> for TransportError {
    fn from(error: DecodeError) -> TransportError {
        TransportError::Decode(error)
    }
}

/// Decodes a reply's first `len` words: the step every transport ends
/// with.
pub fn decode_reply(words: [u32; 4], len: usize) -> Result<Reply, TransportError> {
    Ok(Reply::decode(words, len)?)
}
