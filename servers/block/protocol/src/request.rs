//! Requests in message words, and their one decoding.

use crate::status::Status;
use crate::REQUEST_WORDS;

/// What a request asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Opcode {
    /// Read a run of blocks.
    Read = 1,
    /// Write a run of blocks.
    Write = 2,
    /// Make every earlier write durable.
    Flush = 3,
}

/// A decoded request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    /// What to do.
    pub opcode: Opcode,
    /// First block, relative to the client's region.
    pub block: u32,
    /// Blocks in the run (0 for a flush).
    pub count: u32,
    /// Copy mode: the window page where the run's data starts.
    pub page: u32,
}

/// The most blocks one request may move.
pub const MAX_RUN: u32 = 0xFFFF;

impl Request {
    /// A read of `count` blocks from `block` (data at window page `page`).
    pub const fn read(block: u32, count: u32, page: u32) -> Request {
        Request {
            opcode: Opcode::Read,
            block,
            count,
            page,
        }
    }

    /// A write of `count` blocks to `block` (data at window page `page`).
    pub const fn write(block: u32, count: u32, page: u32) -> Request {
        Request {
            opcode: Opcode::Write,
            block,
            count,
            page,
        }
    }

    /// A flush.
    pub const fn flush() -> Request {
        Request {
            opcode: Opcode::Flush,
            block: 0,
            count: 0,
            page: 0,
        }
    }

    /// The message words.
    pub const fn encode(self) -> [u32; REQUEST_WORDS] {
        [
            self.opcode as u32 | (self.count & MAX_RUN) << 8,
            self.block,
            self.page,
        ]
    }

    /// Decodes `len` meaningful words.
    pub fn decode(words: [u32; 4], len: usize) -> Result<Request, Status> {
        if len != REQUEST_WORDS || words[0] >> 24 != 0 {
            return Err(Status::Malformed);
        }
        let count = (words[0] >> 8) & MAX_RUN;
        let opcode = match words[0] & 0xFF {
            1 => Opcode::Read,
            2 => Opcode::Write,
            3 => Opcode::Flush,
            _ => return Err(Status::Malformed),
        };
        let request = Request {
            opcode,
            block: words[1],
            count,
            page: words[2],
        };
        let well_formed = match opcode {
            Opcode::Flush => count == 0 && request.block == 0 && request.page == 0,
            Opcode::Read | Opcode::Write => count > 0,
        };
        if well_formed {
            Ok(request)
        } else {
            Err(Status::Malformed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn requests_round_trip() {
        for request in [
            Request::read(7, 3, 1),
            Request::write(0, 1, 0),
            Request::flush(),
        ] {
            let [a, b, c] = request.encode();
            assert_eq!(Request::decode([a, b, c, 0], 3), Ok(request));
        }
    }

    #[test]
    fn malformed_requests_are_refused() {
        let [a, b, c] = Request::read(0, 1, 0).encode();
        assert_eq!(Request::decode([a, b, c, 0], 2), Err(Status::Malformed));
        assert_eq!(
            Request::decode([a | 1 << 30, b, c, 0], 3),
            Err(Status::Malformed)
        );
        assert_eq!(Request::decode([9, 0, 0, 0], 3), Err(Status::Malformed));
        assert_eq!(
            Request::decode([1, 0, 0, 0], 3),
            Err(Status::Malformed),
            "empty run"
        );
        assert_eq!(
            Request::decode([3 | 1 << 8, 0, 0, 0], 3),
            Err(Status::Malformed)
        );
    }

    proptest! {
        #[test]
        fn every_word_decodes_or_is_refused(words: [u32; 4], len in 0usize..5) {
            if let Ok(request) = Request::decode(words, len) {
                let [a, b, c] = request.encode();
                prop_assert_eq!([a, b, c], [words[0], words[1], words[2]]);
            }
        }
    }
}
