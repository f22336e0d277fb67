//! Names of pages as clients send them: pools, object ids, handles, and how
//! a handle is split between message words and the request block.
//!
//! A handle is (pool, 192-bit object id, page index): 8 words, twice what
//! a message holds. The split:
//!
//! - **pool** (0..16): 4 bits of the first word;
//! - **index**: word 1;
//! - **object id word 0**: words 2 (low half) and 3 (high half);
//! - **object id words 1 and 2**: zero for a *narrow* object id, which
//!   then travels wholly in registers. A *wide* one sets the WIDE bit of
//!   the first word and puts words 1 and 2 in the caller's request block
//!   ([`RequestBlock::object_tail`](crate::RequestBlock::object_tail)).
//!
//! Linux's frontswap names objects by a swap type and cleancache by an
//! inode number, both narrow, so the common put and get never touches
//! shared memory for its handle. The types here say only what a message
//! carries, and must never be taken as granting anything: the server knows
//! its client by the IPC badge, never by a field of a message.

use crate::error::DecodeError;
use crate::request_block::RequestBlock;

/// Most pools a client can have open (tmem ABI v1).
pub const MAX_POOLS: usize = 16;

/// A client's pool number, `0..MAX_POOLS`.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(try_from = "u8", into = "u8")]
pub struct PoolId(u8);

impl PoolId {
    /// Pool `number`, if it is below [`MAX_POOLS`].
    pub const fn new(number: u32) -> Option<PoolId> {
        if (number as usize) < MAX_POOLS {
            Some(PoolId(number as u8))
        } else {
            None
        }
    }

    /// The pool of a 4-bit field (any nibble is a pool).
    pub(crate) const fn from_nibble(bits: u32) -> PoolId {
        PoolId((bits & 0xF) as u8)
    }

    /// The pool's number.
    pub const fn number(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for PoolId {
    type Error = DecodeError;

    fn try_from(number: u8) -> Result<PoolId, DecodeError> {
        PoolId::new(u32::from(number)).ok_or(DecodeError::BadPool)
    }
}

impl From<PoolId> for u8 {
    fn from(pool: PoolId) -> u8 {
        pool.0
    }
}

/// A 192-bit object id, chosen by the client (e.g. an inode number).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ObjectId(pub [u64; 3]);

impl ObjectId {
    /// Whether words 1 and 2 are zero, so the id fits in registers.
    pub const fn is_narrow(&self) -> bool {
        self.0[1] == 0 && self.0[2] == 0
    }

    /// How the id travels: word 0 in registers, the rest by
    /// [`ObjectTail`].
    pub const fn head(&self) -> ObjectHead {
        ObjectHead {
            low: self.0[0],
            tail: if self.is_narrow() {
                ObjectTail::Zero
            } else {
                ObjectTail::InRequestBlock
            },
        }
    }
}

/// Where words 1 and 2 of an object id are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ObjectTail {
    /// They are zero (WIDE bit clear).
    Zero,
    /// In the caller's request block (WIDE bit set).
    InRequestBlock,
}

/// The part of an object id that a message carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ObjectHead {
    /// Word 0 of the object id.
    pub low: u64,
    /// Where words 1 and 2 are.
    pub tail: ObjectTail,
}

impl ObjectHead {
    /// Whether the server must read the request block to learn the id.
    pub const fn needs_block(&self) -> bool {
        matches!(self.tail, ObjectTail::InRequestBlock)
    }

    /// The full object id. `read_block` is called only when the tail is
    /// in the request block, and once: it should copy the caller's block
    /// out of the window with [`RequestBlock::from_bytes`].
    pub fn complete(self, read_block: impl FnOnce() -> RequestBlock) -> ObjectId {
        match self.tail {
            ObjectTail::Zero => ObjectId([self.low, 0, 0]),
            ObjectTail::InRequestBlock => {
                let [word1, word2] = read_block().object_tail;
                ObjectId([self.low, word1, word2])
            }
        }
    }
}

/// The name of one page: pool, object id and page index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Handle {
    /// The client's pool.
    pub pool: PoolId,
    /// The object in the pool.
    pub object: ObjectId,
    /// The page of the object.
    pub index: u32,
}

impl Handle {
    /// The part of the handle a message carries. If the object id is
    /// wide, the client also writes [`RequestBlock::for_object`] into its
    /// slot's request block before the call.
    pub const fn head(&self) -> HandleHead {
        HandleHead {
            pool: self.pool,
            object: self.object.head(),
            index: self.index,
        }
    }
}

/// The part of a handle that a message carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HandleHead {
    /// The client's pool.
    pub pool: PoolId,
    /// Word 0 of the object id, and where the rest is.
    pub object: ObjectHead,
    /// The page of the object.
    pub index: u32,
}

impl HandleHead {
    /// The full handle; see [`ObjectHead::complete`].
    pub fn complete(self, read_block: impl FnOnce() -> RequestBlock) -> Handle {
        Handle {
            pool: self.pool,
            object: self.object.complete(read_block),
            index: self.index,
        }
    }
}

/// The kind of pool a new-pool request asks for. Every value is valid;
/// undefined bits in a message are refused when it is decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct PoolFlags {
    /// Pages are kept until flushed (swap-like); otherwise the pool is an
    /// ephemeral cache.
    pub persistent: bool,
    /// The pool is shared by UUID (in the request block) among the clients
    /// the system description authorises.
    pub shared: bool,
}

impl PoolFlags {
    const PERSISTENT: u32 = 1;
    const SHARED: u32 = 2;

    /// The flags as bits (tmem ABI v1: persistent 1, shared 2).
    pub const fn bits(self) -> u32 {
        (if self.persistent { Self::PERSISTENT } else { 0 })
            | (if self.shared { Self::SHARED } else { 0 })
    }

    /// The flags of `bits`, if no undefined bit is set.
    pub const fn from_bits(bits: u32) -> Option<PoolFlags> {
        if bits & !(Self::PERSISTENT | Self::SHARED) != 0 {
            return None;
        }
        Some(PoolFlags {
            persistent: bits & Self::PERSISTENT != 0,
            shared: bits & Self::SHARED != 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_are_bounded() {
        assert_eq!(PoolId::new(15).map(PoolId::number), Some(15));
        assert_eq!(PoolId::new(16), None);
        assert_eq!(PoolId::try_from(16u8), Err(DecodeError::BadPool));
        assert_eq!(PoolId::from_nibble(0x1F).number(), 15);
    }

    #[test]
    fn narrow_ids_never_read_the_block() {
        let head = ObjectId([5, 0, 0]).head();
        assert!(!head.needs_block());
        let id = head.complete(|| panic!("the block must not be read"));
        assert_eq!(id, ObjectId([5, 0, 0]));
    }

    #[test]
    fn wide_ids_take_their_tail_from_the_block() {
        let object = ObjectId([1, 0, 3]);
        let handle = Handle {
            pool: PoolId::new(2).unwrap(),
            object,
            index: 9,
        };
        let head = handle.head();
        assert!(head.object.needs_block());
        assert_eq!(head.object.low, 1);
        assert_eq!(head.complete(|| RequestBlock::for_object(object)), handle);
    }

    #[test]
    fn flags_round_trip_and_refuse_undefined_bits() {
        for bits in 0..4 {
            assert_eq!(PoolFlags::from_bits(bits).map(PoolFlags::bits), Some(bits));
        }
        assert_eq!(PoolFlags::from_bits(4), None);
        assert_eq!(PoolFlags::from_bits(u32::MAX), None);
    }
}
