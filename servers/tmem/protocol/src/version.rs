//! The protocol version and the rule for when two sides can talk.
//!
//! Every request and every reply carries the sender's version in bits
//! 11..8 of its first word. That field's place is the one thing no future
//! version may move, so that a side of any version can always tell that
//! the other speaks another one. This module must never accept a version
//! it was not built for: layouts differ between versions, and guessing
//! would decode garbage as a valid request.

use crate::error::DecodeError;

/// The version this crate speaks (1..=15; 0 is never a version, so an
/// all-zero word never decodes).
pub const PROTOCOL_VERSION: u8 = 1;

/// Where the version sits in the first word of every message.
pub(crate) const VERSION_SHIFT: u32 = 8;
pub(crate) const VERSION_MASK: u32 = 0xF << VERSION_SHIFT;

/// Whether a peer speaking `version` can be understood.
///
/// The rule is exact equality: any change to a word layout, an opcode, a
/// status code or a control message bumps the version, and a server
/// answers a request of another version with
/// [`Status::VersionMismatch`](crate::Status::VersionMismatch) (encoded, as
/// every reply, with the server's own version, so the client learns it from
/// [`DecodeError::BadVersion`]).
pub const fn is_compatible(version: u8) -> bool {
    version == PROTOCOL_VERSION
}

/// The version field of a first word.
pub(crate) const fn version_of(word0: u32) -> u8 {
    ((word0 & VERSION_MASK) >> VERSION_SHIFT) as u8
}

/// The version field for this crate's version.
pub(crate) const fn version_bits() -> u32 {
    (PROTOCOL_VERSION as u32) << VERSION_SHIFT
}

/// Checks the version field of a first word.
pub(crate) fn check(word0: u32) -> Result<(), DecodeError> {
    let found = version_of(word0);
    if is_compatible(found) {
        Ok(())
    } else {
        Err(DecodeError::BadVersion { found })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_version_is_compatible() {
        for version in 0..16u8 {
            assert_eq!(is_compatible(version), version == PROTOCOL_VERSION);
        }
        assert!(!is_compatible(0), "0 is never a version");
    }

    #[test]
    fn the_version_field_is_bits_11_to_8() {
        assert_eq!(version_bits(), u32::from(PROTOCOL_VERSION) << 8);
        assert_eq!(version_of(0xFFFF_F0FF), 0);
        assert_eq!(version_of(0x0000_0F00), 15);
        assert_eq!(check(0), Err(DecodeError::BadVersion { found: 0 }));
        assert_eq!(check(version_bits()), Ok(()));
    }
}
