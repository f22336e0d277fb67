//! A block device for partitions: [`BlockDevice`] reads, writes and
//! flushes runs of 4 KiB blocks of the caller's region through the block
//! server, its data in a buffer frame the partition maps — shared with the
//! server as its window (copy mode) or lent to it for each call
//! (grant-map). Block numbers count from the start of the region.
//!
//! This library never decides which region or mode a client has: the
//! system description does, and the server enforces it.
#![no_std]

pub use block_protocol::ExchangeMode;
use block_protocol::{Request, Status, BLOCK_SIZE};
use kernel_abi::syscall::SyscallError;

/// Why an operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockError {
    /// The server refused it, saying why.
    Refused(Status),
    /// The call itself failed.
    Ipc(SyscallError),
    /// The reply was not a block-protocol reply.
    BadReply,
    /// The run does not fit the buffer frame.
    TooLong,
}

impl BlockError {
    /// A short name for logs.
    pub const fn name(self) -> &'static str {
        match self {
            BlockError::Refused(status) => status.name(),
            BlockError::Ipc(error) => error.name(),
            BlockError::BadReply => "bad reply",
            BlockError::TooLong => "run longer than the buffer",
        }
    }
}

/// A connection to the block server.
pub struct BlockDevice {
    // Host builds (which only type-check this crate) never call.
    #[cfg_attr(not(target_os = "none"), allow(dead_code))]
    endpoint: u16,
    #[cfg_attr(not(target_os = "none"), allow(dead_code))]
    buffer: u16,
    address: u32,
    pages: u32,
    mode: ExchangeMode,
}

#[cfg(target_os = "none")]
mod connection {
    use super::*;
    use block_protocol::REPLY_WORDS;
    use kernel_abi::cap::{GrantKind, Rights};
    use userlib::ipc::{Carry, Endpoint, Frame, Grant};

    impl BlockDevice {
        /// Connects through the endpoint in slot `endpoint`, mapping the
        /// buffer frame in slot `buffer` at `address`.
        pub fn new(
            mode: ExchangeMode,
            endpoint: u16,
            buffer: u16,
            address: u32,
        ) -> Result<BlockDevice, BlockError> {
            let pages = Frame(buffer).map(address, true).map_err(BlockError::Ipc)?;
            Ok(BlockDevice {
                endpoint,
                buffer,
                address,
                pages,
                mode,
            })
        }

        /// Sends `words` as a request (for tests of the server's checks:
        /// they need not be well formed), lending the buffer in grant-map
        /// mode, and returns the reply's status and block count.
        pub fn call_raw(
            &mut self,
            words: &[u32],
            writable: bool,
        ) -> Result<(Status, u32), BlockError> {
            let endpoint = Endpoint(self.endpoint);
            let message = match self.mode {
                ExchangeMode::Copy => endpoint.call(words),
                ExchangeMode::GrantMap => {
                    let rights = if writable {
                        Rights::READ.union(Rights::WRITE)
                    } else {
                        Rights::READ
                    };
                    let grant = Grant {
                        slot: self.buffer,
                        kind: GrantKind::Transient,
                        rights,
                    };
                    endpoint.call_with(words, Carry::grant(Some(grant)))
                }
            }
            .map_err(BlockError::Ipc)?;
            if usize::from(message.len) != REPLY_WORDS {
                return Err(BlockError::BadReply);
            }
            let status = Status::from_word(message.words[0]).ok_or(BlockError::BadReply)?;
            Ok((status, message.words[1]))
        }
    }
}

impl BlockDevice {
    /// The buffer: block `i` of a run is at `i * 4096`.
    pub fn buffer(&mut self) -> &mut [u8] {
        // SAFETY: `new` mapped the frame here, writable, for the
        // connection's life; `&mut self` makes this the only borrow.
        unsafe {
            core::slice::from_raw_parts_mut(
                self.address as *mut u8,
                self.pages as usize * BLOCK_SIZE,
            )
        }
    }

    /// Blocks one call can move.
    pub fn max_run(&self) -> u32 {
        self.pages
    }

    /// This connection's mode.
    pub fn mode(&self) -> ExchangeMode {
        self.mode
    }

    fn run(&mut self, request: Request) -> Result<u32, BlockError> {
        if request.count > self.pages {
            return Err(BlockError::TooLong);
        }
        let writable = request.opcode == block_protocol::Opcode::Read;
        self.call(&request.encode(), writable)
    }

    fn call(&mut self, words: &[u32], writable: bool) -> Result<u32, BlockError> {
        match self.call_raw(words, writable)? {
            (Status::Ok, blocks) => Ok(blocks),
            (status, _) => Err(BlockError::Refused(status)),
        }
    }

    /// Reads `count` blocks from `block` into the buffer's first pages.
    pub fn read(&mut self, block: u32, count: u32) -> Result<(), BlockError> {
        self.run(Request::read(block, count, 0)).map(|_| ())
    }

    /// Writes the buffer's first `count` pages to `count` blocks from
    /// `block`.
    pub fn write(&mut self, block: u32, count: u32) -> Result<(), BlockError> {
        self.run(Request::write(block, count, 0)).map(|_| ())
    }

    /// Returns once every earlier write is durable.
    pub fn flush(&mut self) -> Result<(), BlockError> {
        self.call(&Request::flush().encode(), false).map(|_| ())
    }
}

#[cfg(not(target_os = "none"))]
impl BlockDevice {
    /// Host builds have no kernel to call.
    pub fn call_raw(
        &mut self,
        _words: &[u32],
        _writable: bool,
    ) -> Result<(Status, u32), BlockError> {
        Err(BlockError::Ipc(SyscallError::InvalidArgument))
    }
}
