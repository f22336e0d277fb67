//! Requests as typed values and as the message words a client sends.
//!
//! [`Request::decode`] is total: every `[u32; 4]` and length gives a
//! request or a [`DecodeError`], without panicking. It is also strict:
//! a message has exactly one encoding (the words its opcode needs, every
//! field a request does not have set to 0), so `encode` of a decoded
//! request gives back the words it came from. This module must never
//! read shared memory or trust a value because a client wrote it; it only
//! checks that the words are well formed.

use crate::error::{DecodeError, Field};
use crate::exchange::ExchangeMode;
use crate::handle::{HandleHead, ObjectHead, ObjectTail, PoolFlags, PoolId};
use crate::header;
use crate::opcode::Opcode;
use crate::run::{PageRun, RunLength};
use crate::version;
use crate::window::{Slot, PAGE_SIZE};

/// Words a message may have (the kernel's `r1`-`r4`).
pub const MESSAGE_WORDS: usize = 4;

/// Bytes a control message may have (an IPC buffer holds a little less,
/// so the transport's own limit is the one that binds).
pub const CONTROL_MAX_BYTES: usize = PAGE_SIZE;

/// A client's request.
///
/// `slot` is the calling thread's slot of the window: in copy mode its page
/// slot holds the page, a wide object id's tail and a shared pool's UUID
/// are in its request block.
/// A request whose slot the server does not need still carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Request {
    /// Open a pool. If `flags.shared`, the UUID is in `slot`'s request
    /// block. Reply: [`Reply::PoolCreated`](crate::Reply::PoolCreated).
    NewPool {
        /// The kind of pool.
        flags: PoolFlags,
        /// The caller's slot.
        slot: Slot,
    },
    /// Close a pool. Reply: [`Reply::PoolDestroyed`](crate::Reply::PoolDestroyed).
    DestroyPool {
        /// The pool.
        pool: PoolId,
    },
    /// Store a page. Reply: [`Reply::PagePut`](crate::Reply::PagePut).
    PutPage {
        /// Where to store it.
        handle: HandleHead,
        /// How the page travels (must be the client's mode).
        exchange: ExchangeMode,
        /// The caller's slot.
        slot: Slot,
    },
    /// Fetch a page. Reply: [`Reply::PageGot`](crate::Reply::PageGot), or
    /// `Failed` with [`Status::NotFound`](crate::Status::NotFound) on a miss.
    GetPage {
        /// Which page.
        handle: HandleHead,
        /// How the page travels (must be the client's mode).
        exchange: ExchangeMode,
        /// The caller's slot.
        slot: Slot,
    },
    /// Remove a page. Reply: [`Reply::PageFlushed`](crate::Reply::PageFlushed).
    FlushPage {
        /// Which page.
        handle: HandleHead,
        /// The caller's slot.
        slot: Slot,
    },
    /// Remove every page of an object. Reply:
    /// [`Reply::ObjectFlushed`](crate::Reply::ObjectFlushed).
    FlushObject {
        /// The pool.
        pool: PoolId,
        /// The object.
        object: ObjectHead,
        /// The caller's slot.
        slot: Slot,
    },
    /// Store a run of pages: page `i` is in page slot `slot + i` (copy)
    /// or page `i` of the frame passed with the call. Reply:
    /// [`Reply::RunPut`](crate::Reply::RunPut).
    PutRun {
        /// Which pages.
        run: PageRun,
        /// How the pages travel (must be the client's mode).
        exchange: ExchangeMode,
        /// The caller's first slot.
        slot: Slot,
    },
    /// Fetch a run of pages, into the places `PutRun` reads them from.
    /// Reply: [`Reply::RunGot`](crate::Reply::RunGot).
    GetRun {
        /// Which pages.
        run: PageRun,
        /// How the pages travel (must be the client's mode).
        exchange: ExchangeMode,
        /// The caller's first slot.
        slot: Slot,
    },
    /// A control message of `len` bytes, postcard-encoded in the caller's
    /// IPC buffer (see [`crate::control`]). Reply:
    /// [`Reply::ControlDone`](crate::Reply::ControlDone).
    Control {
        /// The caller's slot.
        slot: Slot,
        /// Bytes of the message, at most [`CONTROL_MAX_BYTES`].
        len: u16,
    },
}

impl Request {
    /// The request's opcode.
    pub const fn opcode(&self) -> Opcode {
        match self {
            Request::NewPool { .. } => Opcode::NewPool,
            Request::DestroyPool { .. } => Opcode::DestroyPool,
            Request::PutPage { .. } => Opcode::PutPage,
            Request::GetPage { .. } => Opcode::GetPage,
            Request::FlushPage { .. } => Opcode::FlushPage,
            Request::FlushObject { .. } => Opcode::FlushObject,
            Request::Control { .. } => Opcode::Control,
            Request::PutRun { .. } => Opcode::PutRun,
            Request::GetRun { .. } => Opcode::GetRun,
        }
    }

    /// How many of [`encode`](Self::encode)'s words to send.
    pub const fn word_count(&self) -> usize {
        self.opcode().request_words()
    }

    /// The message words. Words past [`word_count`](Self::word_count) are 0.
    ///
    /// A `Control` length beyond [`CONTROL_MAX_BYTES`] cannot be sent; it
    /// is encoded as is and the server refuses it.
    pub const fn encode(&self) -> [u32; MESSAGE_WORDS] {
        let (pool, mode, wide, slot, words) = match *self {
            Request::NewPool { flags, slot } => (0, 0, false, slot, [flags.bits(), 0, 0]),
            Request::DestroyPool { pool } => (pool.number(), 0, false, Slot::FIRST, [0; 3]),
            Request::PutPage {
                handle,
                exchange,
                slot,
            }
            | Request::GetPage {
                handle,
                exchange,
                slot,
            } => {
                let (wide, words) = handle_words(handle.object, handle.index);
                (handle.pool.number(), exchange.bits(), wide, slot, words)
            }
            Request::FlushPage { handle, slot } => {
                let (wide, words) = handle_words(handle.object, handle.index);
                (handle.pool.number(), 0, wide, slot, words)
            }
            Request::FlushObject { pool, object, slot } => {
                let (wide, words) = handle_words(object, 0);
                (pool.number(), 0, wide, slot, words)
            }
            Request::Control { slot, len } => (0, 0, false, slot, [len as u32, 0, 0]),
            Request::PutRun {
                run,
                exchange,
                slot,
            }
            | Request::GetRun {
                run,
                exchange,
                slot,
            } => {
                let words = [run.first, run.object as u32, (run.object >> 32) as u32];
                (run.pool.number(), exchange.bits(), false, slot, words)
            }
        };
        let run_field = match *self {
            Request::PutRun { run, .. } | Request::GetRun { run, .. } => {
                (run.len.pages() as u32 - 1) << header::RUN_SHIFT
            }
            _ => 0,
        };
        let word0 = self.opcode().to_u8() as u32
            | version::version_bits()
            | (pool as u32) << header::POOL_SHIFT
            | mode << header::MODE_SHIFT
            | if wide { header::WIDE_BIT } else { 0 }
            | run_field
            | (slot.number() as u32) << header::SLOT_SHIFT;
        [word0, words[0], words[1], words[2]]
    }

    /// Decodes the first `len` of `words` (the length the kernel reports;
    /// words past it are ignored).
    ///
    /// Checks, in order: the length is at most 4 and not 0, the version
    /// (so a peer of another version always gets
    /// [`DecodeError::BadVersion`]), the opcode, the length the opcode
    /// needs, reserved bits, the slot, then the opcode's own fields.
    pub fn decode(words: [u32; MESSAGE_WORDS], len: usize) -> Result<Request, DecodeError> {
        if len > MESSAGE_WORDS {
            return Err(DecodeError::BadLength);
        }
        if len == 0 {
            return Err(DecodeError::Truncated);
        }
        let word0 = words[0];
        version::check(word0)?;
        let byte = header::opcode(word0);
        let opcode = Opcode::from_u8(byte).ok_or(DecodeError::UnknownOpcode(byte))?;
        let needed = opcode.request_words();
        if len < needed {
            return Err(DecodeError::Truncated);
        }
        if len > needed {
            return Err(DecodeError::BadLength);
        }
        let is_run = matches!(opcode, Opcode::PutRun | Opcode::GetRun);
        absent(is_run || word0 & header::REQUEST_RESERVED == 0)?;
        let slot = Slot::new(header::slot(word0)).ok_or(DecodeError::BadSlot)?;
        let pool = PoolId::from_nibble(header::pool(word0));
        let mode = header::mode(word0);
        let object = ObjectHead {
            low: u64::from(words[2]) | u64::from(words[3]) << 32,
            tail: if header::wide(word0) {
                ObjectTail::InRequestBlock
            } else {
                ObjectTail::Zero
            },
        };
        let handle = HandleHead {
            pool,
            object,
            index: words[1],
        };
        match opcode {
            Opcode::NewPool => {
                absent(header::pool(word0) == 0 && mode == 0 && !header::wide(word0))?;
                let flags = PoolFlags::from_bits(words[1])
                    .ok_or(DecodeError::BadField(Field::PoolFlags))?;
                Ok(Request::NewPool { flags, slot })
            }
            Opcode::DestroyPool => {
                absent(mode == 0 && !header::wide(word0) && slot == Slot::FIRST)?;
                Ok(Request::DestroyPool { pool })
            }
            Opcode::PutPage | Opcode::GetPage => {
                let exchange = ExchangeMode::from_bits(mode)
                    .ok_or(DecodeError::BadField(Field::ExchangeMode))?;
                Ok(if opcode == Opcode::PutPage {
                    Request::PutPage {
                        handle,
                        exchange,
                        slot,
                    }
                } else {
                    Request::GetPage {
                        handle,
                        exchange,
                        slot,
                    }
                })
            }
            Opcode::FlushPage => {
                absent(mode == 0)?;
                Ok(Request::FlushPage { handle, slot })
            }
            Opcode::FlushObject => {
                absent(mode == 0 && words[1] == 0)?;
                Ok(Request::FlushObject { pool, object, slot })
            }
            Opcode::PutRun | Opcode::GetRun => {
                let exchange = ExchangeMode::from_bits(mode)
                    .ok_or(DecodeError::BadField(Field::ExchangeMode))?;
                let len = RunLength::new(header::run_pages(word0))
                    .ok_or(DecodeError::BadField(Field::Reserved))?;
                let run = PageRun::new(pool, object.low, words[1], len)
                    .ok_or(DecodeError::BadField(Field::RunEnd))?;
                Ok(if opcode == Opcode::PutRun {
                    Request::PutRun {
                        run,
                        exchange,
                        slot,
                    }
                } else {
                    Request::GetRun {
                        run,
                        exchange,
                        slot,
                    }
                })
            }
            Opcode::Control => {
                absent(header::pool(word0) == 0 && mode == 0 && !header::wide(word0))?;
                if words[1] as usize > CONTROL_MAX_BYTES {
                    return Err(DecodeError::BadField(Field::ControlLength));
                }
                Ok(Request::Control {
                    slot,
                    len: words[1] as u16,
                })
            }
        }
    }
}

/// Words 1-3 and the WIDE bit for an object id and an index.
const fn handle_words(object: ObjectHead, index: u32) -> (bool, [u32; 3]) {
    let wide = matches!(object.tail, ObjectTail::InRequestBlock);
    (wide, [index, object.low as u32, (object.low >> 32) as u32])
}

/// Fields a request does not have must be 0.
fn absent(all_zero: bool) -> Result<(), DecodeError> {
    if all_zero {
        Ok(())
    } else {
        Err(DecodeError::BadField(Field::Reserved))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(n: u32) -> Slot {
        Slot::new(n).unwrap()
    }

    fn head(pool: u32, low: u64, tail: ObjectTail, index: u32) -> HandleHead {
        HandleHead {
            pool: PoolId::new(pool).unwrap(),
            object: ObjectHead { low, tail },
            index,
        }
    }

    fn round_trip(request: Request) -> [u32; MESSAGE_WORDS] {
        let words = request.encode();
        let len = request.word_count();
        assert_eq!(Request::decode(words, len), Ok(request));
        assert!(words[len..].iter().all(|&w| w == 0));
        words
    }

    #[test]
    fn new_pool_round_trips() {
        for bits in 0..4 {
            let flags = PoolFlags::from_bits(bits).unwrap();
            let words = round_trip(Request::NewPool {
                flags,
                slot: slot(5),
            });
            assert_eq!(words[0], 0x0500_0101);
            assert_eq!(words[1], bits);
        }
    }

    #[test]
    fn destroy_pool_round_trips() {
        let words = round_trip(Request::DestroyPool {
            pool: PoolId::new(15).unwrap(),
        });
        assert_eq!(words, [0x0000_F102, 0, 0, 0]);
    }

    #[test]
    fn put_and_get_round_trip_in_every_mode() {
        for exchange in ExchangeMode::ALL {
            for tail in [ObjectTail::Zero, ObjectTail::InRequestBlock] {
                let handle = head(3, 0x1122_3344_5566_7788, tail, 0xDEAD_BEEF);
                let put = round_trip(Request::PutPage {
                    handle,
                    exchange,
                    slot: slot(127),
                });
                let get = round_trip(Request::GetPage {
                    handle,
                    exchange,
                    slot: slot(127),
                });
                assert_eq!(put[0] & 0xFF, 3);
                assert_eq!(get[0] & 0xFF, 4);
                assert_eq!((put[0] >> 16) & 3, exchange.bits());
                assert_eq!(put[0] >> 24, 127);
                assert_eq!(put[1..], [0xDEAD_BEEF, 0x5566_7788, 0x1122_3344]);
                assert_eq!(put[0] & (1 << 18) != 0, tail == ObjectTail::InRequestBlock);
            }
        }
    }

    #[test]
    fn runs_round_trip_with_their_length_in_place_of_wide() {
        for exchange in ExchangeMode::ALL {
            for pages in [1, 4, 16, 64] {
                let run = PageRun::new(
                    PoolId::new(2).unwrap(),
                    0x0102_0304_0506_0708,
                    0xFFFF_0000,
                    RunLength::new(pages).unwrap(),
                )
                .unwrap();
                let put = round_trip(Request::PutRun {
                    run,
                    exchange,
                    slot: slot(3),
                });
                let get = round_trip(Request::GetRun {
                    run,
                    exchange,
                    slot: slot(3),
                });
                assert_eq!((put[0] & 0xFF, get[0] & 0xFF), (8, 9));
                assert_eq!((put[0] >> 18) & 0x3F, pages as u32 - 1);
                assert_eq!((put[0] >> 16) & 3, exchange.bits());
                assert_eq!(put[1..], [0xFFFF_0000, 0x0506_0708, 0x0102_0304]);
            }
        }
    }

    #[test]
    fn a_run_past_the_last_index_or_without_a_mode_is_refused() {
        let run = PageRun::new(
            PoolId::new(0).unwrap(),
            1,
            u32::MAX - 1,
            RunLength::new(2).unwrap(),
        )
        .unwrap();
        let mut words = Request::PutRun {
            run,
            exchange: ExchangeMode::Copy,
            slot: slot(0),
        }
        .encode();
        words[1] = u32::MAX;
        assert_eq!(
            Request::decode(words, 4),
            Err(DecodeError::BadField(Field::RunEnd))
        );
        words[0] &= !(0b11 << 16);
        words[1] = 0;
        assert_eq!(
            Request::decode(words, 4),
            Err(DecodeError::BadField(Field::ExchangeMode))
        );
    }

    #[test]
    fn flushes_round_trip() {
        round_trip(Request::FlushPage {
            handle: head(0, u64::MAX, ObjectTail::InRequestBlock, u32::MAX),
            slot: slot(0),
        });
        let words = round_trip(Request::FlushObject {
            pool: PoolId::new(9).unwrap(),
            object: ObjectHead {
                low: 77,
                tail: ObjectTail::Zero,
            },
            slot: slot(1),
        });
        assert_eq!(words[1], 0, "no index");
    }

    #[test]
    fn control_round_trips_up_to_a_page() {
        for len in [0, 1, 4096] {
            round_trip(Request::Control { slot: slot(3), len });
        }
        let mut words = Request::Control {
            slot: slot(3),
            len: 0,
        }
        .encode();
        words[1] = 4097;
        assert_eq!(
            Request::decode(words, 2),
            Err(DecodeError::BadField(Field::ControlLength))
        );
    }

    #[test]
    fn lengths_are_exact() {
        let put = Request::PutPage {
            handle: head(1, 1, ObjectTail::Zero, 1),
            exchange: ExchangeMode::Copy,
            slot: slot(0),
        };
        let words = put.encode();
        assert_eq!(Request::decode(words, 0), Err(DecodeError::Truncated));
        assert_eq!(Request::decode(words, 3), Err(DecodeError::Truncated));
        assert_eq!(Request::decode(words, 5), Err(DecodeError::BadLength));
        assert_eq!(
            Request::decode(words, usize::MAX),
            Err(DecodeError::BadLength)
        );
        let destroy = Request::DestroyPool {
            pool: PoolId::new(1).unwrap(),
        };
        assert_eq!(
            Request::decode(destroy.encode(), 2),
            Err(DecodeError::BadLength)
        );
    }

    #[test]
    fn words_past_the_length_are_ignored() {
        let destroy = Request::DestroyPool {
            pool: PoolId::new(1).unwrap(),
        };
        let mut words = destroy.encode();
        words[1..].fill(0xFFFF_FFFF);
        assert_eq!(Request::decode(words, 1), Ok(destroy));
    }

    #[test]
    fn fields_a_request_lacks_must_be_zero() {
        let version = version::version_bits();
        let cases = [
            // DestroyPool with a mode, with WIDE, with a slot.
            (2 | version | 1 << 16, 1),
            (2 | version | 1 << 18, 1),
            (2 | version | 1 << 24, 1),
            // NewPool with a pool.
            (1 | version | 1 << 12, 2),
            // FlushPage with a mode.
            (5 | version | 2 << 16, 4),
            // Control with WIDE.
            (7 | version | 1 << 18, 2),
            // Reserved bits.
            (3 | version | 1 << 16 | 1 << 19, 4),
        ];
        for (word0, len) in cases {
            assert_eq!(
                Request::decode([word0, 0, 0, 0], len),
                Err(DecodeError::BadField(Field::Reserved)),
                "{word0:#x}"
            );
        }
        let flush_object = 6 | version;
        assert_eq!(
            Request::decode([flush_object, 1, 0, 0], 4),
            Err(DecodeError::BadField(Field::Reserved)),
            "FlushObject has no index"
        );
    }

    #[test]
    fn bad_fields_are_named() {
        let version = version::version_bits();
        assert_eq!(
            Request::decode([3 | version, 0, 0, 0], 4),
            Err(DecodeError::BadField(Field::ExchangeMode)),
            "a put needs a mode"
        );
        assert_eq!(
            Request::decode([1 | version, 4, 0, 0], 2),
            Err(DecodeError::BadField(Field::PoolFlags))
        );
        assert_eq!(
            Request::decode([5 | version | 128 << 24, 0, 0, 0], 4),
            Err(DecodeError::BadSlot)
        );
        assert_eq!(
            Request::decode([version, 0, 0, 0], 4),
            Err(DecodeError::UnknownOpcode(0))
        );
        assert_eq!(
            Request::decode([10 | version, 0, 0, 0], 4),
            Err(DecodeError::UnknownOpcode(10))
        );
        assert_eq!(
            Request::decode([2 | 2 << 8, 0, 0, 0], 1),
            Err(DecodeError::BadVersion { found: 2 })
        );
    }
}
