//! Replies as typed values and as the message words the server answers
//! with.
//!
//! Every reply is two words: word 0 carries the opcode answered, the
//! version and a status (0: success); word 1 a value (the new pool's id,
//! whether a flush found its page, pages flushed, a control response's
//! length). [`Reply::decode`] is total and strict like
//! [`Request::decode`](crate::Request::decode). This module must never
//! describe a request the server could not decode as anything but a
//! [`Reply::Failed`].

use crate::error::{DecodeError, Field};
use crate::handle::PoolId;
use crate::header;
use crate::opcode::Opcode;
use crate::request::{CONTROL_MAX_BYTES, MESSAGE_WORDS};
use crate::status::Status;
use crate::version;

/// The server's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reply {
    /// A new pool is open (or a shared pool already open was found).
    PoolCreated {
        /// Its id for this client.
        pool: PoolId,
    },
    /// The pool is closed.
    PoolDestroyed,
    /// The page is stored.
    PagePut,
    /// The page is delivered, as the client's exchange mode moves it.
    PageGot,
    /// The flush is done.
    PageFlushed {
        /// Whether there was a page to remove.
        found: bool,
    },
    /// The object's pages are removed.
    ObjectFlushed {
        /// How many.
        pages: u32,
    },
    /// The first `pages` pages of a run are stored; if fewer than the
    /// run's length, the next one was refused and the rest not tried.
    RunPut {
        /// How many, at most [`MAX_RUN`](crate::MAX_RUN).
        pages: u32,
    },
    /// The first `pages` pages of a run are delivered; if fewer than the
    /// run's length, the next one missed and the rest were not tried.
    RunGot {
        /// How many, at most [`MAX_RUN`](crate::MAX_RUN).
        pages: u32,
    },
    /// The control message was carried out; a postcard-encoded
    /// [`ControlResponse`](crate::ControlResponse) of `len` bytes is at the
    /// start of the caller's page slot.
    ControlDone {
        /// Bytes of the response, at most a page.
        len: u16,
    },
    /// The request was refused.
    Failed {
        /// The opcode of the request, if it decoded that far.
        op: Option<Opcode>,
        /// Why.
        status: Status,
    },
}

impl Reply {
    /// Words in every reply.
    pub const WORDS: usize = 2;

    /// The reply to a request that failed to decode from `words`, with the
    /// error [`Request::decode`](crate::Request::decode) gave: a version
    /// mismatch for [`DecodeError::BadVersion`], a bad request otherwise,
    /// naming the opcode when the version and opcode byte were valid.
    pub fn rejecting(words: [u32; MESSAGE_WORDS], error: DecodeError) -> Reply {
        let status = match error {
            DecodeError::BadVersion { .. } => Status::VersionMismatch,
            _ => Status::BadRequest,
        };
        let op = if version::check(words[0]).is_ok() {
            Opcode::from_u8(header::opcode(words[0]))
        } else {
            None
        };
        Reply::Failed { op, status }
    }

    /// The refusal, if this reply is one.
    pub const fn status(&self) -> Option<Status> {
        match self {
            Reply::Failed { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The opcode the reply answers (`None` for a request that did not
    /// decode).
    pub const fn opcode(&self) -> Option<Opcode> {
        match self {
            Reply::PoolCreated { .. } => Some(Opcode::NewPool),
            Reply::PoolDestroyed => Some(Opcode::DestroyPool),
            Reply::PagePut => Some(Opcode::PutPage),
            Reply::PageGot => Some(Opcode::GetPage),
            Reply::PageFlushed { .. } => Some(Opcode::FlushPage),
            Reply::ObjectFlushed { .. } => Some(Opcode::FlushObject),
            Reply::ControlDone { .. } => Some(Opcode::Control),
            Reply::RunPut { .. } => Some(Opcode::PutRun),
            Reply::RunGot { .. } => Some(Opcode::GetRun),
            Reply::Failed { op, .. } => *op,
        }
    }

    /// The message words; only the first [`Reply::WORDS`] are sent.
    pub const fn encode(&self) -> [u32; MESSAGE_WORDS] {
        let opcode = match self.opcode() {
            Some(op) => op.to_u8() as u32,
            None => 0,
        };
        let status = match self.status() {
            Some(status) => status.code() as u32,
            None => 0,
        };
        let value = match *self {
            Reply::PoolCreated { pool } => pool.number() as u32,
            Reply::PageFlushed { found } => found as u32,
            Reply::ObjectFlushed { pages } => pages,
            Reply::ControlDone { len } => len as u32,
            Reply::RunPut { pages } | Reply::RunGot { pages } => pages,
            Reply::PoolDestroyed | Reply::PagePut | Reply::PageGot | Reply::Failed { .. } => 0,
        };
        let word0 = opcode | version::version_bits() | status << header::STATUS_SHIFT;
        [word0, value, 0, 0]
    }

    /// Decodes the first `len` of `words`. Checks, in order: the length is
    /// at most 4 and not 0, the version, the length is 2, reserved bits,
    /// the status, the opcode, the value.
    pub fn decode(words: [u32; MESSAGE_WORDS], len: usize) -> Result<Reply, DecodeError> {
        // The common answers first: a page put or got. Each reply has one
        // encoding, so these words are exactly theirs and the checks
        // below would give the same.
        if len == Reply::WORDS && words[1] == 0 {
            if words[0] == PAGE_PUT_WORD {
                return Ok(Reply::PagePut);
            }
            if words[0] == PAGE_GOT_WORD {
                return Ok(Reply::PageGot);
            }
        }
        if len > MESSAGE_WORDS {
            return Err(DecodeError::BadLength);
        }
        if len == 0 {
            return Err(DecodeError::Truncated);
        }
        let word0 = words[0];
        version::check(word0)?;
        if len < Reply::WORDS {
            return Err(DecodeError::Truncated);
        }
        if len > Reply::WORDS {
            return Err(DecodeError::BadLength);
        }
        if word0 & header::REPLY_RESERVED != 0 {
            return Err(DecodeError::BadField(Field::Reserved));
        }
        let value = words[1];
        let byte = header::opcode(word0);
        let op = match byte {
            0 => None,
            _ => Some(Opcode::from_u8(byte).ok_or(DecodeError::UnknownOpcode(byte))?),
        };
        let status = match header::status(word0) {
            0 => None,
            code => Some(Status::from_code(code).ok_or(DecodeError::UnknownStatus(code))?),
        };
        if let Some(status) = status {
            return if value == 0 {
                Ok(Reply::Failed { op, status })
            } else {
                Err(DecodeError::BadField(Field::Value))
            };
        }
        let Some(op) = op else {
            // A success must say what it answers.
            return Err(DecodeError::UnknownOpcode(0));
        };
        let bad_value = DecodeError::BadField(Field::Value);
        match op {
            Opcode::NewPool => Ok(Reply::PoolCreated {
                pool: PoolId::new(value).ok_or(DecodeError::BadPool)?,
            }),
            Opcode::FlushPage => match value {
                0 => Ok(Reply::PageFlushed { found: false }),
                1 => Ok(Reply::PageFlushed { found: true }),
                _ => Err(bad_value),
            },
            Opcode::FlushObject => Ok(Reply::ObjectFlushed { pages: value }),
            Opcode::Control if value as usize <= CONTROL_MAX_BYTES => {
                Ok(Reply::ControlDone { len: value as u16 })
            }
            Opcode::Control => Err(bad_value),
            Opcode::PutRun | Opcode::GetRun if value as usize > crate::MAX_RUN => Err(bad_value),
            Opcode::PutRun => Ok(Reply::RunPut { pages: value }),
            Opcode::GetRun => Ok(Reply::RunGot { pages: value }),
            Opcode::DestroyPool | Opcode::PutPage | Opcode::GetPage if value != 0 => Err(bad_value),
            Opcode::DestroyPool => Ok(Reply::PoolDestroyed),
            Opcode::PutPage => Ok(Reply::PagePut),
            Opcode::GetPage => Ok(Reply::PageGot),
        }
    }
}

/// Word 0 of [`Reply::PagePut`] and [`Reply::PageGot`] (their value is 0).
const PAGE_PUT_WORD: u32 = Reply::PagePut.encode()[0];
const PAGE_GOT_WORD: u32 = Reply::PageGot.encode()[0];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_common_answers_take_no_shortcut_past_a_check() {
        for reply in [Reply::PagePut, Reply::PageGot] {
            let word0 = reply.encode()[0];
            for len in 0..=5 {
                for value in [0, 1, u32::MAX] {
                    // What the documented order of checks gives.
                    let expected = match (len, value) {
                        (0 | 1, _) => Err(DecodeError::Truncated),
                        (3.., _) => Err(DecodeError::BadLength),
                        (_, 0) => Ok(reply),
                        _ => Err(DecodeError::BadField(Field::Value)),
                    };
                    assert_eq!(
                        Reply::decode([word0, value, 0, 0], len),
                        expected,
                        "{reply:?} len {len} value {value}"
                    );
                }
            }
            for bit in 0..32 {
                let words = [word0 ^ 1 << bit, 0, 0, 0];
                assert_ne!(Reply::decode(words, Reply::WORDS), Ok(reply), "bit {bit}");
            }
        }
    }

    fn round_trip(reply: Reply) -> [u32; MESSAGE_WORDS] {
        let words = reply.encode();
        assert_eq!(Reply::decode(words, Reply::WORDS), Ok(reply));
        assert_eq!(words[2..], [0, 0]);
        words
    }

    #[test]
    fn every_success_round_trips() {
        let words = round_trip(Reply::PoolCreated {
            pool: PoolId::new(15).unwrap(),
        });
        assert_eq!(words[..2], [0x0101, 15]);
        round_trip(Reply::PoolDestroyed);
        round_trip(Reply::PagePut);
        round_trip(Reply::PageGot);
        round_trip(Reply::PageFlushed { found: false });
        assert_eq!(round_trip(Reply::PageFlushed { found: true })[1], 1);
        assert_eq!(
            round_trip(Reply::ObjectFlushed { pages: u32::MAX })[1],
            u32::MAX
        );
        round_trip(Reply::ControlDone { len: 4096 });
        assert_eq!(round_trip(Reply::RunPut { pages: 64 })[..2], [v8(), 64]);
        assert_eq!(round_trip(Reply::RunGot { pages: 0 })[1], 0);
    }

    fn v8() -> u32 {
        8 | version::version_bits()
    }

    #[test]
    fn every_failure_round_trips() {
        for status in Status::ALL {
            for op in core::iter::once(None).chain(Opcode::ALL.map(Some)) {
                let words = round_trip(Reply::Failed { op, status });
                assert_eq!((words[0] >> 16) as u8, status.code());
            }
        }
    }

    #[test]
    fn malformed_replies_are_errors() {
        let v = version::version_bits();
        let cases = [
            ([v | 1, 16, 0, 0], 2, DecodeError::BadPool),
            ([v | 5, 2, 0, 0], 2, DecodeError::BadField(Field::Value)),
            ([v | 3, 1, 0, 0], 2, DecodeError::BadField(Field::Value)),
            ([v | 7, 4097, 0, 0], 2, DecodeError::BadField(Field::Value)),
            ([v, 0, 0, 0], 2, DecodeError::UnknownOpcode(0)),
            ([v | 10, 0, 0, 0], 2, DecodeError::UnknownOpcode(10)),
            ([v | 8, 65, 0, 0], 2, DecodeError::BadField(Field::Value)),
            ([v | 9, 65, 0, 0], 2, DecodeError::BadField(Field::Value)),
            (
                [v | 3 | 12 << 16, 0, 0, 0],
                2,
                DecodeError::UnknownStatus(12),
            ),
            (
                [v | 3 | 9 << 16, 1, 0, 0],
                2,
                DecodeError::BadField(Field::Value),
            ),
            (
                [v | 3 | 1 << 12, 0, 0, 0],
                2,
                DecodeError::BadField(Field::Reserved),
            ),
            ([v | 3, 0, 0, 0], 1, DecodeError::Truncated),
            ([v | 3, 0, 0, 0], 3, DecodeError::BadLength),
            (
                [3 | 2 << 8, 0, 0, 0],
                2,
                DecodeError::BadVersion { found: 2 },
            ),
        ];
        for (words, len, error) in cases {
            assert_eq!(Reply::decode(words, len), Err(error), "{words:x?}");
        }
    }

    #[test]
    fn rejections_name_what_they_can() {
        let v = version::version_bits();
        assert_eq!(
            Reply::rejecting([v | 3, 0, 0, 0], DecodeError::BadField(Field::ExchangeMode)),
            Reply::Failed {
                op: Some(Opcode::PutPage),
                status: Status::BadRequest
            }
        );
        assert_eq!(
            Reply::rejecting([v | 99, 0, 0, 0], DecodeError::UnknownOpcode(99)),
            Reply::Failed {
                op: None,
                status: Status::BadRequest
            }
        );
        let other_version = [3 | 2 << 8, 0, 0, 0];
        assert_eq!(
            Reply::rejecting(other_version, DecodeError::BadVersion { found: 2 }),
            Reply::Failed {
                op: None,
                status: Status::VersionMismatch
            }
        );
    }
}
