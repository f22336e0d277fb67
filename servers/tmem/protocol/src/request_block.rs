//! The request block: the 32 bytes of a slot (see [`crate::window`]) that
//! carry what does not fit in four message words.
//!
//! Two things go there: words 1 and 2 of a wide object id (a put, get or
//! flush whose header has the WIDE bit), and the UUID of a shared pool (a
//! new-pool request with the shared flag). Layout, all little-endian:
//!
//! ```text
//! offset  size  field
//! 0       8     object id word 1
//! 8       8     object id word 2
//! 16      16    shared pool UUID
//! ```
//!
//! The block lives in memory the client can write at any moment, so the
//! server must read it exactly once per request ([`RequestBlock::from_bytes`]
//! takes a copy) and use only that copy; a client racing its own block can
//! only confuse itself. Every byte pattern is a valid block. This module
//! must never reinterpret memory in place (no transmutes, no `unsafe`).

/// Bytes of a request block.
pub const REQUEST_BLOCK_SIZE: usize = 32;

/// The decoded contents of a request block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[repr(C)]
pub struct RequestBlock {
    /// Words 1 and 2 of a wide object id.
    pub object_tail: [u64; 2],
    /// The UUID of the shared pool a new-pool request joins.
    pub pool_uuid: u128,
}

impl RequestBlock {
    /// A block carrying words 1 and 2 of `object`.
    pub const fn for_object(object: crate::ObjectId) -> RequestBlock {
        RequestBlock {
            object_tail: [object.0[1], object.0[2]],
            pool_uuid: 0,
        }
    }

    /// A block carrying a shared pool's UUID.
    pub const fn for_pool_uuid(uuid: u128) -> RequestBlock {
        RequestBlock {
            object_tail: [0; 2],
            pool_uuid: uuid,
        }
    }

    // Both directions name every byte: no slicing, indexing or copying
    // helper, so neither has a panic path at any optimisation level.

    /// The block's bytes, as they are stored in the window.
    pub const fn to_bytes(&self) -> [u8; REQUEST_BLOCK_SIZE] {
        let [a0, a1, a2, a3, a4, a5, a6, a7] = self.object_tail[0].to_le_bytes();
        let [b0, b1, b2, b3, b4, b5, b6, b7] = self.object_tail[1].to_le_bytes();
        let [c0, c1, c2, c3, c4, c5, c6, c7, d0, d1, d2, d3, d4, d5, d6, d7] =
            self.pool_uuid.to_le_bytes();
        [
            a0, a1, a2, a3, a4, a5, a6, a7, b0, b1, b2, b3, b4, b5, b6, b7, c0, c1, c2, c3, c4, c5,
            c6, c7, d0, d1, d2, d3, d4, d5, d6, d7,
        ]
    }

    /// Reads a block from its bytes (any bytes are a block).
    pub const fn from_bytes(bytes: &[u8; REQUEST_BLOCK_SIZE]) -> RequestBlock {
        let [a0, a1, a2, a3, a4, a5, a6, a7, b0, b1, b2, b3, b4, b5, b6, b7, c0, c1, c2, c3, c4, c5, c6, c7, d0, d1, d2, d3, d4, d5, d6, d7] =
            *bytes;
        RequestBlock {
            object_tail: [
                u64::from_le_bytes([a0, a1, a2, a3, a4, a5, a6, a7]),
                u64::from_le_bytes([b0, b1, b2, b3, b4, b5, b6, b7]),
            ],
            pool_uuid: u128::from_le_bytes([
                c0, c1, c2, c3, c4, c5, c6, c7, d0, d1, d2, d3, d4, d5, d6, d7,
            ]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ObjectId;

    #[test]
    fn layout_is_little_endian_at_fixed_offsets() {
        let block = RequestBlock {
            object_tail: [0x0807_0605_0403_0201, 0x1817_1615_1413_1211],
            pool_uuid: 0x2F2E_2D2C_2B2A_2928_2726_2524_2322_2120,
        };
        let bytes = block.to_bytes();
        assert_eq!(bytes[0], 0x01);
        assert_eq!(bytes[7], 0x08);
        assert_eq!(bytes[8], 0x11);
        assert_eq!(bytes[16], 0x20);
        assert_eq!(bytes[31], 0x2F);
        assert_eq!(RequestBlock::from_bytes(&bytes), block);
    }

    #[test]
    fn constructors_fill_one_field() {
        let object = RequestBlock::for_object(ObjectId([1, 2, 3]));
        assert_eq!(object.object_tail, [2, 3]);
        assert_eq!(object.pool_uuid, 0);
        let uuid = RequestBlock::for_pool_uuid(9);
        assert_eq!(uuid.object_tail, [0, 0]);
        assert_eq!(uuid.pool_uuid, 9);
        assert_eq!(
            RequestBlock::from_bytes(&[0; REQUEST_BLOCK_SIZE]),
            RequestBlock::default()
        );
    }
}
