//! The kernel transport: a guest's connection to the tmem server through
//! its endpoint, its shared window and (grant-map, transfer) its exchange
//! frame, in the exchange mode the system description gave it.
//!
//! The contract with the server (`servers/tmem/server` is written against
//! it):
//!
//! - Capabilities ([`ClientCaps::DEFAULT`]): slot 0 the service endpoint
//!   (write + grant; the kernel delivers the client's badge), slot 1 the
//!   window frame (read/write, a block page then page slots, see
//!   `tmem_protocol::window`), slot 2 the exchange frame (one page,
//!   read/write/grant; grant-map and transfer clients only).
//! - The window is mapped at `GRANT_WINDOW`, the exchange frame at
//!   `GRANT_WINDOW + 0x8_0000`.
//! - copy: the page travels in the slot's page slot; plain `call`.
//! - grant-map: the page is the exchange frame, lent for the call
//!   (transient; read for a put, read/write for a get); plain reply.
//! - transfer: the exchange frame moves to the server with every put and
//!   get (which takes this partition's mapping down), and every reply
//!   moves exactly one frame back into the same slot (a put: a free frame;
//!   a get hit: the page; otherwise junk), which is mapped again.
//! - New pools, flushes and destroys pass no frame in any mode.
//!
//! - transfer, when the server goes away mid-call (`PeerGone`): the kernel
//!   gives the frame back into its slot when the server had not handed it
//!   on, and says so (`Syscall::Call`); the connection maps it again and
//!   carries on. A frame that stayed with the dead server is lost to this
//!   connection: its puts and gets fail with
//!   [`TransportError::FrameLost`] from then on.
//!
//! This module must never hand out a reference to memory that is not
//! mapped: while transfer mode has no frame, the page buffer is the
//! window's page slot, and the next put or get tries to recover a frame
//! before it sends anything.

use kernel_abi::cap::{GrantKind, Rights};
use kernel_abi::syscall::SyscallError;
use kernel_abi::user_layout::GRANT_WINDOW;
use tmem_protocol::{ExchangeMode, Reply, Request, Slot, REQUEST_BLOCK_SIZE};
use userlib::ipc::{Carry, Endpoint, Frame, Grant, Message};

use crate::transport::{decode_reply, Page, Transport, TransportError};

/// Where a client's capabilities are and where it maps its frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientCaps {
    /// The server's endpoint (write + grant).
    pub endpoint: u16,
    /// The window frame (read/write): a block page, then page slots.
    pub window: u16,
    /// Where the window is mapped.
    pub window_address: u32,
    /// The exchange frame (one page, read/write/grant), for grant-map and
    /// transfer; transfer replies land in this slot too.
    pub exchange: u16,
    /// Where the exchange frame is mapped.
    pub exchange_address: u32,
}

impl ClientCaps {
    /// The layout every system uses: endpoint 0, window 1 at the grant
    /// window, exchange frame 2 half a megabyte above it.
    pub const DEFAULT: ClientCaps = ClientCaps {
        endpoint: 0,
        window: 1,
        window_address: GRANT_WINDOW,
        exchange: 2,
        exchange_address: GRANT_WINDOW + 0x8_0000,
    };
}

impl Default for ClientCaps {
    fn default() -> ClientCaps {
        ClientCaps::DEFAULT
    }
}

/// A thread's connection to the tmem server.
pub struct Connection {
    caps: ClientCaps,
    mode: ExchangeMode,
    slot: Slot,
    /// Whether the exchange frame is mapped at its address (always false
    /// in copy mode; false in transfer mode after a lost frame).
    exchange_mapped: bool,
    /// Pages of the window frame (a block page, then page slots).
    window_pages: usize,
    /// Pages of the exchange frame when it was last mapped.
    exchange_pages: usize,
}

impl Connection {
    /// Maps the window (and, in grant-map and transfer modes, the exchange
    /// frame) and returns the connection for the thread using `slot`.
    ///
    /// # Safety
    /// While the connection lives, nothing else in the partition may use
    /// the capabilities in `caps`' window and exchange slots, or touch the
    /// memory at their addresses: the connection hands out references to
    /// that memory and assumes no one else maps, unmaps or writes it. (The
    /// kernel refuses a second mapping of either frame, so a second
    /// `open` with the same capabilities fails rather than aliasing.)
    pub unsafe fn open(
        caps: ClientCaps,
        mode: ExchangeMode,
        slot: Slot,
    ) -> Result<Connection, TransportError> {
        let pages = Frame(caps.window)
            .map(caps.window_address, true)
            .map_err(TransportError::Map)?;
        let mut connection = Connection {
            caps,
            mode,
            slot,
            exchange_mapped: false,
            window_pages: pages as usize,
            exchange_pages: 0,
        };
        // The block page, then page slots 0..pages - 1. From here on, an
        // error drops `connection`, which unmaps what it mapped.
        if u32::from(slot.number()) + 1 >= pages {
            return Err(TransportError::Unsupported);
        }
        if !mode.uses_page_slot() {
            // The kernel refuses a mapping that would overlap the window.
            connection.map_exchange().map_err(TransportError::Map)?;
        }
        Ok(connection)
    }

    /// Maps the exchange frame at its address.
    fn map_exchange(&mut self) -> Result<(), SyscallError> {
        // Single puts and gets use its first page, runs as many as they
        // have.
        let pages = Frame(self.caps.exchange).map(self.caps.exchange_address, true)?;
        self.exchange_mapped = true;
        self.exchange_pages = pages as usize;
        Ok(())
    }

    /// After a transfer call that brought no frame back: whether the slot
    /// still (or again) holds a frame, mapping it if it is not mapped.
    fn recover_exchange(&mut self) -> bool {
        match self.map_exchange() {
            Ok(()) => true,
            // Still mapped: the frame never left.
            Err(SyscallError::SlotOccupied) => {
                self.exchange_mapped = true;
                true
            }
            Err(_) => false,
        }
    }

    /// Where the page buffer is.
    fn page_address(&self) -> usize {
        if self.exchange_mapped {
            self.caps.exchange_address as usize
        } else {
            self.caps.window_address as usize + self.slot.page_range().start
        }
    }

    /// Where this thread's request block is.
    fn block_address(&self) -> usize {
        self.caps.window_address as usize + self.slot.block_range().start
    }

    /// A put or get in transfer mode: the frame goes, one comes back.
    fn transfer_call(&mut self, words: &[u32]) -> Result<Message, TransportError> {
        if !self.exchange_mapped && !self.recover_exchange() {
            return Err(TransportError::FrameLost);
        }
        let grant = Grant {
            slot: self.caps.exchange,
            kind: GrantKind::Transfer,
            rights: Rights::NONE,
        };
        let result = Endpoint(self.caps.endpoint).call_with_held(
            words,
            Carry {
                grant: Some(grant),
                receive: Some(self.caps.exchange),
                buffer: false,
            },
        );
        // The kernel took the mapping down with the capability (if the
        // call got as far as moving it).
        self.exchange_mapped = false;
        let message = match result {
            Ok(message) => message,
            // The server went away mid-call. The kernel says where the
            // frame is: it never left, or came back into its slot (the
            // receive slot is the same one), and the connection keeps
            // using it; or it stayed with the dead server, and the
            // connection has none from now on (puts and gets fail with
            // `FrameLost`; everything else still works).
            Err((SyscallError::PeerGone, held)) => {
                if held == Some(self.caps.exchange) {
                    self.recover_exchange();
                }
                return Err(TransportError::PEER_GONE);
            }
            Err((error, _)) => {
                self.recover_exchange();
                return Err(TransportError::Ipc(error));
            }
        };
        if message.granted != Some((self.caps.exchange, GrantKind::Transfer)) {
            return Err(TransportError::FrameLost);
        }
        self.map_exchange().map_err(TransportError::Map)?;
        Ok(message)
    }

    /// A put or get in grant-map mode: the exchange frame is lent for the
    /// call, writable only for a get.
    fn grant_call(&mut self, words: &[u32], writable: bool) -> Result<Message, TransportError> {
        let rights = if writable {
            Rights::READ.union(Rights::WRITE)
        } else {
            Rights::READ
        };
        let grant = Grant {
            slot: self.caps.exchange,
            kind: GrantKind::Transient,
            rights,
        };
        Endpoint(self.caps.endpoint)
            .call_with(words, Carry::grant(Some(grant)))
            .map_err(TransportError::Ipc)
    }
}

impl Transport for Connection {
    fn call(&mut self, request: Request) -> Result<Reply, TransportError> {
        let encoded = request.encode();
        let words = encoded
            .get(..request.word_count())
            .ok_or(TransportError::Unsupported)?;
        let message = match request {
            Request::PutPage { exchange, .. }
            | Request::GetPage { exchange, .. }
            | Request::PutRun { exchange, .. }
            | Request::GetRun { exchange, .. }
                if exchange != self.mode =>
            {
                return Err(TransportError::WrongMode);
            }
            Request::PutPage { .. }
            | Request::GetPage { .. }
            | Request::PutRun { .. }
            | Request::GetRun { .. }
                if self.mode == ExchangeMode::Transfer =>
            {
                self.transfer_call(words)?
            }
            Request::PutPage { .. } | Request::PutRun { .. }
                if self.mode == ExchangeMode::GrantMap =>
            {
                self.grant_call(words, false)?
            }
            Request::GetPage { .. } | Request::GetRun { .. }
                if self.mode == ExchangeMode::GrantMap =>
            {
                self.grant_call(words, true)?
            }
            // A control message travels in the IPC buffer (`ControlClient`).
            Request::Control { .. } => return Err(TransportError::Unsupported),
            _ => Endpoint(self.caps.endpoint)
                .call(words)
                .map_err(TransportError::Ipc)?,
        };
        decode_reply(message.words, usize::from(message.len))
    }

    fn page(&self) -> &Page {
        // SAFETY: `page_address` is a page-aligned page that is mapped
        // read/write for as long as `self` says it is (the window always,
        // the exchange frame while `exchange_mapped`), `open`'s contract
        // gives this connection sole use of it, and the borrow of `self`
        // keeps `call` (which may unmap the exchange frame) from running
        // while the reference lives.
        unsafe { &*(self.page_address() as *const Page) }
    }

    fn page_mut(&mut self) -> &mut Page {
        // SAFETY: as in `page`; `&mut self` makes the reference unique.
        unsafe { &mut *(self.page_address() as *mut Page) }
    }

    fn block_mut(&mut self) -> &mut [u8; REQUEST_BLOCK_SIZE] {
        // SAFETY: the block page is the window's first page, mapped
        // read/write while the connection lives; the slot's 32 bytes are
        // this thread's alone (`open`'s contract) and `&mut self` makes the
        // reference unique.
        unsafe { &mut *(self.block_address() as *mut [u8; REQUEST_BLOCK_SIZE]) }
    }

    fn mode(&self) -> ExchangeMode {
        self.mode
    }

    fn run_pages_mut(&mut self, pages: usize) -> Option<&mut [Page]> {
        let (address, available) = if self.mode.uses_page_slot() {
            let start = self.caps.window_address as usize + self.slot.page_range().start;
            (
                start,
                self.window_pages - 1 - usize::from(self.slot.number()),
            )
        } else if self.exchange_mapped {
            (self.caps.exchange_address as usize, self.exchange_pages)
        } else {
            return None;
        };
        if pages > available {
            return None;
        }
        // SAFETY: `pages` whole pages from `address` are mapped read/write
        // (page slots from this thread's to the window's end, or the
        // exchange frame while `exchange_mapped`), `open`'s contract gives
        // this connection sole use of them, and `&mut self` keeps `call`
        // from unmapping them while the slice lives.
        Some(unsafe { core::slice::from_raw_parts_mut(address as *mut Page, pages) })
    }

    fn slot(&self) -> Slot {
        self.slot
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // Nothing can be done about a failure here; the mappings die with
        // the partition anyway.
        if self.exchange_mapped {
            let _ = Frame(self.caps.exchange).unmap();
        }
        let _ = Frame(self.caps.window).unmap();
    }
}
