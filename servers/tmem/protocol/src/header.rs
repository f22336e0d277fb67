//! The bit fields of the first word of requests and replies.
//!
//! ```text
//! request word 0                       reply word 0
//! bits  7..0   opcode                  bits  7..0   opcode answered (0: none)
//! bits 11..8   protocol version        bits 11..8   protocol version
//! bits 15..12  pool                    bits 15..12  0
//! bits 17..16  exchange mode           bits 23..16  status (0: success)
//! bit  18      WIDE object id          bits 31..24  0
//! bits 23..19  0
//! bits 31..24  slot
//! ```
//!
//! A run (`PutRun`, `GetRun`) has no WIDE bit (its object id is always
//! narrow); bits 23..18 hold its length less one instead.
//!
//! Only field positions live here; which fields a message has, and the
//! checks, are in the request and reply modules. The version field must
//! never move (see [`crate::version`]).

pub(crate) const OPCODE_MASK: u32 = 0xFF;
pub(crate) const POOL_SHIFT: u32 = 12;
pub(crate) const MODE_SHIFT: u32 = 16;
pub(crate) const WIDE_BIT: u32 = 1 << 18;
pub(crate) const SLOT_SHIFT: u32 = 24;
/// Request bits that belong to no field.
pub(crate) const REQUEST_RESERVED: u32 = 0x1F << 19;
/// Where a run's length less one is (bits 23..18, over WIDE and the
/// reserved bits, which a run does not have).
pub(crate) const RUN_SHIFT: u32 = 18;
/// The run-length field, in place.
pub(crate) const RUN_FIELD: u32 = 0x3F << RUN_SHIFT;

pub(crate) const STATUS_SHIFT: u32 = 16;
/// Reply bits that belong to no field.
pub(crate) const REPLY_RESERVED: u32 = 0xFF00_F000;

pub(crate) const fn opcode(word0: u32) -> u8 {
    (word0 & OPCODE_MASK) as u8
}

pub(crate) const fn pool(word0: u32) -> u32 {
    (word0 >> POOL_SHIFT) & 0xF
}

pub(crate) const fn mode(word0: u32) -> u32 {
    (word0 >> MODE_SHIFT) & 0b11
}

pub(crate) const fn wide(word0: u32) -> bool {
    word0 & WIDE_BIT != 0
}

pub(crate) const fn slot(word0: u32) -> u32 {
    word0 >> SLOT_SHIFT
}

pub(crate) const fn run_pages(word0: u32) -> usize {
    ((word0 & RUN_FIELD) >> RUN_SHIFT) as usize + 1
}

pub(crate) const fn status(word0: u32) -> u8 {
    (word0 >> STATUS_SHIFT) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::VERSION_MASK;

    #[test]
    fn request_fields_tile_the_word() {
        let fields = [
            OPCODE_MASK,
            VERSION_MASK,
            0xF << POOL_SHIFT,
            0b11 << MODE_SHIFT,
            WIDE_BIT,
            REQUEST_RESERVED,
            0xFF << SLOT_SHIFT,
        ];
        let mut all = 0u32;
        for field in fields {
            assert_eq!(all & field, 0, "fields overlap");
            all |= field;
        }
        assert_eq!(all, u32::MAX);
        assert_eq!(
            RUN_FIELD,
            WIDE_BIT | REQUEST_RESERVED,
            "a run's length replaces them"
        );
    }

    #[test]
    fn reply_fields_tile_the_word() {
        let fields = [
            OPCODE_MASK,
            VERSION_MASK,
            0xFF << STATUS_SHIFT,
            REPLY_RESERVED,
        ];
        let mut all = 0u32;
        for field in fields {
            assert_eq!(all & field, 0, "fields overlap");
            all |= field;
        }
        assert_eq!(all, u32::MAX);
    }
}
