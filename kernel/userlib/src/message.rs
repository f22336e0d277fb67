//! Structured messages: serde types encoded with postcard into a byte
//! buffer — a shared window, a granted frame — for requests and replies
//! that do not fit the four message words of an IPC call. The call then
//! carries only the length.
//!
//! Decoding never trusts the bytes: anything malformed is an error, never
//! a panic.

use serde::{Deserialize, Serialize};

/// Why a message could not be encoded or decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageError {
    /// The encoded message does not fit the buffer.
    BufferTooSmall,
    /// The bytes are not a valid encoding of the expected type.
    Malformed,
}

/// Encodes `value` at the start of `buffer`; returns its length.
pub fn encode<T: Serialize>(value: &T, buffer: &mut [u8]) -> Result<usize, MessageError> {
    postcard::to_slice(value, buffer)
        .map(|used| used.len())
        .map_err(|error| match error {
            postcard::Error::SerializeBufferFull => MessageError::BufferTooSmall,
            _ => MessageError::Malformed,
        })
}

/// Decodes a `T` from `bytes` (exactly: trailing bytes are malformed).
pub fn decode<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, MessageError> {
    match postcard::take_from_bytes(bytes) {
        Ok((value, [])) => Ok(value),
        _ => Err(MessageError::Malformed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Request<'a> {
        pool: u8,
        name: &'a str,
        weights: [u16; 3],
    }

    #[test]
    fn messages_round_trip_and_bad_bytes_are_refused() {
        let request = Request {
            pool: 3,
            name: "swap",
            weights: [1, 2, 300],
        };
        let mut buffer = [0u8; 64];
        let len = encode(&request, &mut buffer).unwrap();
        assert_eq!(decode::<Request<'_>>(&buffer[..len]).unwrap(), request);
        assert_eq!(
            encode(&request, &mut [0u8; 4]),
            Err(MessageError::BufferTooSmall)
        );
        assert_eq!(
            decode::<Request<'_>>(&buffer[..len - 1]),
            Err(MessageError::Malformed)
        );
        assert_eq!(
            decode::<Request<'_>>(&buffer[..len + 1]),
            Err(MessageError::Malformed)
        );
        for cut in 0..len {
            let _ = decode::<Request<'_>>(&buffer[..cut]);
        }
    }
}
