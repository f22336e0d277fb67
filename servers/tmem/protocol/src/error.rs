//! Why a message did not decode, or a control message did not encode.
//!
//! Every malformed input maps to exactly one of these; decoding must never
//! panic, and the server answers every [`DecodeError`] with an error reply
//! ([`Reply::rejecting`](crate::Reply::rejecting)), never by stopping.

/// Why words or bytes are not a valid message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DecodeError {
    /// More words than a message may have (over four, or over what the
    /// opcode needs).
    BadLength,
    /// Fewer words or bytes than the message needs.
    Truncated,
    /// The sender speaks another protocol version (`found`).
    BadVersion {
        /// The version field the sender wrote.
        found: u8,
    },
    /// The opcode byte names no operation.
    UnknownOpcode(u8),
    /// A pool id of 16 or more.
    BadPool,
    /// A slot beyond [`MAX_SLOTS`](crate::MAX_SLOTS).
    BadSlot,
    /// A field holds a value it may not have.
    BadField(Field),
    /// A reply's status byte names no status.
    UnknownStatus(u8),
    /// Control bytes that are not a message of the expected type.
    Malformed,
    /// Control bytes continue after the message.
    TrailingBytes,
}

/// Which field of a message was out of range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    /// Bits or words the message has no field for, which must be 0.
    Reserved,
    /// The exchange-mode bits of a put or get (0 is not a mode).
    ExchangeMode,
    /// Undefined pool-flag bits.
    PoolFlags,
    /// A control message's byte length beyond a page.
    ControlLength,
    /// A reply's value word out of range for its kind.
    Value,
    /// A run whose last page index overflows.
    RunEnd,
}

impl core::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            DecodeError::BadLength => f.write_str("too many message words"),
            DecodeError::Truncated => f.write_str("message truncated"),
            DecodeError::BadVersion { found } => write!(f, "protocol version {found}"),
            DecodeError::UnknownOpcode(byte) => write!(f, "unknown opcode {byte}"),
            DecodeError::BadPool => f.write_str("pool id out of range"),
            DecodeError::BadSlot => f.write_str("slot out of range"),
            DecodeError::BadField(field) => write!(f, "bad field: {field:?}"),
            DecodeError::UnknownStatus(byte) => write!(f, "unknown status {byte}"),
            DecodeError::Malformed => f.write_str("malformed control message"),
            DecodeError::TrailingBytes => f.write_str("bytes after the control message"),
        }
    }
}

/// Why a control message could not be encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EncodeError {
    /// The buffer is shorter than the encoded message.
    BufferTooSmall,
    /// The serializer refused the value (not expected for this crate's
    /// types).
    Unencodable,
}

impl core::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            EncodeError::BufferTooSmall => f.write_str("buffer too small"),
            EncodeError::Unencodable => f.write_str("value cannot be encoded"),
        }
    }
}
