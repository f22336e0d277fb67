//! Privileged control messages: what the system's manager asks the tmem
//! server (freeze and thaw clients, give memory back, set policy, read
//! statistics), and the answers.
//!
//! These are rare and varied, so they are serde types, postcard-encoded
//! into the caller's IPC buffer (the page the kernel copies with a
//! message: the manager has no shared window); only a
//! [`Request::Control`](crate::Request::Control) with the byte length
//! travels in registers, and the response comes back the same way
//! ([`Reply::ControlDone`](crate::Reply::ControlDone)). A refusal is a
//! [`Reply::Failed`](crate::Reply::Failed) and has no body. They travel on
//! the server's control endpoint only; on the service endpoint a control
//! message is refused.
//!
//! Clients are named here by the number the system description gives them
//! (the store's `ClientId`), because the manager acts on other partitions;
//! the server must accept control messages only from the manager's badge
//! and answer anyone else [`Status::NotSupported`](crate::Status::NotSupported).
//! Decoding must never panic on any bytes, and never accept bytes after a
//! message. No floating point anywhere.
//!
//! Frames move between the manager and the pool's store with
//! [`ControlRequest::ReleaseFrame`] (the store shrinks by a free one-page
//! frame) and [`ControlRequest::AcceptFrame`] (it grows by one, up to the
//! capacity fixed at boot): the frame rides the reply or the call as a
//! transfer. A message carries one capability, so moving N frames takes N
//! calls; each answer says how many free frames the pool could give, so
//! the manager stops when it has no more. A frame holding a page never
//! leaves (ephemeral pages may be evicted to free one; persistent never).
//!
//! Not here yet: saving and restoring a client's persistent pages
//! (migration), which moves pages and needs its own transfer design.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{DecodeError, EncodeError};
use crate::handle::PoolId;

/// A client as the system description numbers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ClientId(pub u32);

/// What the manager asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ControlRequest {
    /// Refuse the client's puts until thawed. Response: `Done`.
    Freeze {
        /// The client.
        client: ClientId,
    },
    /// Accept the client's puts again. Response: `Done`.
    Thaw {
        /// The client.
        client: ClientId,
    },
    /// Evict up to `count` ephemeral pages by the fair-share policy.
    /// Response: `Flushed`.
    FlushPages {
        /// Most pages to evict.
        count: u32,
    },
    /// How many pages `FlushPages` could free. Response: `Freeable`.
    QueryFreeable,
    /// Set the client's fair-share weight. Response: `Done`.
    SetWeight {
        /// The client.
        client: ClientId,
        /// Its weight.
        weight: u32,
    },
    /// Set the client's persistent-page cap. Response: `Done`.
    SetPersistentCap {
        /// The client.
        client: ClientId,
        /// Most persistent pages.
        cap: u32,
    },
    /// Turn compression of the client's future puts on or off. Response:
    /// `Done`.
    SetCompression {
        /// The client.
        client: ClientId,
        /// Whether to compress.
        on: bool,
    },
    /// Operation counters. Response: `Stats`.
    Stats(StatsScope),
    /// What the store holds. Response: `Usage`.
    Usage,
    /// A client's gauges and settings. Response: `ClientInfo`.
    ClientInfo {
        /// The client.
        client: ClientId,
    },
    /// Check every invariant of the store (an audit, O(pages)).
    /// Response: `Done`, or a refusal with `Status::Corrupted`.
    CheckInvariants,
    /// The server's own count of the frame capabilities it holds, to
    /// compare with the kernel's, and how many pages it flipped. Response:
    /// `Frames`.
    Frames,
    /// Bytes of page contents the store has read and written so far
    /// (copies, compression, content checks; a flipped frame moves none).
    /// Response: `Traffic`.
    Traffic,
    /// Give the caller one free frame of the pool's store: a one-page frame
    /// capability holding no page, unmapped and transferred with the reply
    /// (if none is free, ephemeral pages are evicted to free one; never a
    /// persistent page). Response: `PoolFrames` (after the move); a refusal
    /// with `Status::NoMemory`, and no frame, when none can be freed.
    ReleaseFrame,
    /// Take the one-page frame transferred with this call into the pool's
    /// store (mapped, a free frame from now on: the capacity `Usage`
    /// reports grows by one). Response: `PoolFrames` (after the move); a
    /// refusal with `Status::BadRequest` when no frame came or it is not
    /// one page, or `Status::NoMemory` when the store is at the capacity
    /// fixed at boot — either way the frame goes back with the refusal.
    AcceptFrame,
    /// How many free frames the pool could give. Response: `PoolFrames`.
    PoolFrames,
}

/// Whose counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StatsScope {
    /// The whole store.
    Global,
    /// One client.
    Client(ClientId),
    /// One pool a client has open.
    Pool {
        /// The client.
        client: ClientId,
        /// Its pool.
        pool: PoolId,
    },
}

/// The server's answer to a control message that succeeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ControlResponse {
    /// Done; nothing to report.
    Done,
    /// Pages evicted.
    Flushed {
        /// How many.
        pages: u32,
    },
    /// Pages that could be freed.
    Freeable {
        /// How many.
        pages: u64,
    },
    /// Operation counters.
    Stats(OpStats),
    /// Store-wide gauges.
    Usage(Usage),
    /// A client's gauges and settings.
    ClientInfo(ClientInfo),
    /// Frame capabilities the server holds by its own accounting.
    Frames {
        /// How many.
        held: u32,
        /// Pages that changed hands by page flipping (transfer mode) rather
        /// than by copying.
        flipped: u64,
    },
    /// Bytes of page contents moved so far.
    Traffic(PageTraffic),
    /// The frames that move between the pool and the manager.
    PoolFrames {
        /// Free frames the store could give now without evicting a page.
        movable: u32,
        /// Frames it took in from the manager, less those it gave back,
        /// since boot (negative when it gave more than it took).
        net_received: i32,
    },
}

/// Bytes of page contents read and written, as counted by the code that
/// moves them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PageTraffic {
    /// Bytes read.
    pub read: u64,
    /// Bytes written.
    pub written: u64,
}

/// Cumulative operation counters (the fields of tmem-store's `OpStats`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OpStats {
    /// Put calls that reached a pool.
    pub puts: u64,
    /// Puts that stored the page.
    pub good_puts: u64,
    /// Puts to an occupied handle that replaced the old copy.
    pub duplicate_puts_replaced: u64,
    /// Puts to an occupied handle that failed and removed the old copy.
    pub duplicate_puts_flushed: u64,
    /// Get calls that reached a pool.
    pub gets: u64,
    /// Gets that returned a page.
    pub found_gets: u64,
    /// Flush-page calls that reached a pool.
    pub flushes: u64,
    /// Flushes that removed a page.
    pub found_flushes: u64,
    /// Flush-object calls that reached a pool.
    pub object_flushes: u64,
    /// Ephemeral pages dropped to make room or by a control flush.
    pub evictions: u64,
    /// Good puts stored compressed.
    pub compressed_puts: u64,
    /// Sum of those puts' compressed sizes, in bytes.
    pub compressed_bytes: u64,
    /// Good puts of an all-zero page.
    pub zero_puts: u64,
    /// Good puts stored as a reference to identical content.
    pub shared_puts: u64,
}

/// What the store holds (the fields of tmem-store's `Usage`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Usage {
    /// Frames the store was given.
    pub frames_total: u32,
    /// Frames holding nothing.
    pub frames_free: u32,
    /// Frames holding one uncompressed page.
    pub frames_whole: u32,
    /// Frames cut into slots for compressed pages.
    pub frames_packed: u32,
    /// Ephemeral pages stored.
    pub ephemeral_pages: u64,
    /// Persistent pages stored.
    pub persistent_pages: u64,
    /// All-zero pages (no frame).
    pub zero_pages: u64,
    /// Distinct stored contents.
    pub contents: u32,
    /// Pages whose content another page also references.
    pub shared_pages: u64,
    /// Metadata capacity in pages.
    pub max_pages: u32,
}

/// A client's gauges and settings (the fields of tmem-store's
/// `ClientInfo`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ClientInfo {
    /// Ephemeral pages charged to the client.
    pub ephemeral_pages: u64,
    /// Persistent pages charged to the client.
    pub persistent_pages: u64,
    /// Fair-share weight.
    pub weight: u32,
    /// Persistent-page cap.
    pub persistent_cap: u32,
    /// Whether new puts are compressed.
    pub compress: bool,
    /// Whether puts are refused.
    pub frozen: bool,
    /// Pools the client has open.
    pub open_pools: u32,
    /// The client's exchange mode (`ExchangeMode::bits`), 0 if the server
    /// does not serve it.
    pub exchange: u8,
}

/// A type that travels as a control message.
pub trait ControlMessage: Serialize + DeserializeOwned + sealed::Sealed {}
impl ControlMessage for ControlRequest {}
impl ControlMessage for ControlResponse {}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::ControlRequest {}
    impl Sealed for super::ControlResponse {}
}

/// Encodes `message` at the start of `buffer` (an IPC buffer's payload); returns the
/// bytes written, the length to send in the register message.
pub fn encode_control<M: ControlMessage>(
    message: &M,
    buffer: &mut [u8],
) -> Result<usize, EncodeError> {
    match postcard::to_slice(message, buffer) {
        Ok(written) => Ok(written.len()),
        Err(postcard::Error::SerializeBufferFull) => Err(EncodeError::BufferTooSmall),
        Err(_) => Err(EncodeError::Unencodable),
    }
}

/// Decodes a control message that fills `bytes` exactly (copy the bytes
/// out of the window first: the sender can change them meanwhile).
pub fn decode_control<M: ControlMessage>(bytes: &[u8]) -> Result<M, DecodeError> {
    match postcard::take_from_bytes::<M>(bytes) {
        Ok((message, [])) => Ok(message),
        Ok(_) => Err(DecodeError::TrailingBytes),
        Err(postcard::Error::DeserializeUnexpectedEnd) => Err(DecodeError::Truncated),
        Err(_) => Err(DecodeError::Malformed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<M: ControlMessage + PartialEq + core::fmt::Debug>(message: M) {
        let mut buffer = [0u8; 256];
        let len = encode_control(&message, &mut buffer).unwrap();
        assert_eq!(decode_control::<M>(&buffer[..len]), Ok(message));
        if len > 0 {
            assert_eq!(
                decode_control::<M>(&buffer[..len - 1]),
                Err(DecodeError::Truncated)
            );
        }
        assert_eq!(
            decode_control::<M>(&buffer[..len + 1]),
            Err(DecodeError::TrailingBytes)
        );
    }

    #[test]
    fn every_request_round_trips() {
        let client = ClientId(7);
        let requests = [
            ControlRequest::Freeze { client },
            ControlRequest::Thaw { client },
            ControlRequest::FlushPages { count: 1000 },
            ControlRequest::QueryFreeable,
            ControlRequest::SetWeight { client, weight: 3 },
            ControlRequest::SetPersistentCap {
                client,
                cap: 1 << 20,
            },
            ControlRequest::SetCompression { client, on: true },
            ControlRequest::Stats(StatsScope::Global),
            ControlRequest::Stats(StatsScope::Client(client)),
            ControlRequest::Stats(StatsScope::Pool {
                client,
                pool: PoolId::new(15).unwrap(),
            }),
            ControlRequest::Usage,
            ControlRequest::ClientInfo { client },
            ControlRequest::CheckInvariants,
            ControlRequest::Frames,
            ControlRequest::ReleaseFrame,
            ControlRequest::AcceptFrame,
            ControlRequest::PoolFrames,
        ];
        for request in requests {
            round_trip(request);
        }
    }

    #[test]
    fn every_response_round_trips() {
        let stats = OpStats {
            puts: u64::MAX,
            good_puts: 1,
            compressed_bytes: 1 << 40,
            shared_puts: 9,
            ..OpStats::default()
        };
        let responses = [
            ControlResponse::Done,
            ControlResponse::Flushed { pages: 12 },
            ControlResponse::Freeable { pages: 1 << 33 },
            ControlResponse::Stats(stats),
            ControlResponse::Usage(Usage {
                frames_total: 100,
                max_pages: 4096,
                ..Usage::default()
            }),
            ControlResponse::ClientInfo(ClientInfo {
                weight: 2,
                frozen: true,
                exchange: 3,
                ..ClientInfo::default()
            }),
            ControlResponse::Frames {
                held: 170,
                flipped: 1 << 40,
            },
            ControlResponse::PoolFrames {
                movable: 64,
                net_received: -3,
            },
        ];
        for response in responses {
            round_trip(response);
        }
    }

    #[test]
    fn the_largest_response_fits_a_page_with_room_to_spare() {
        let all = OpStats {
            puts: u64::MAX,
            good_puts: u64::MAX,
            duplicate_puts_replaced: u64::MAX,
            duplicate_puts_flushed: u64::MAX,
            gets: u64::MAX,
            found_gets: u64::MAX,
            flushes: u64::MAX,
            found_flushes: u64::MAX,
            object_flushes: u64::MAX,
            evictions: u64::MAX,
            compressed_puts: u64::MAX,
            compressed_bytes: u64::MAX,
            zero_puts: u64::MAX,
            shared_puts: u64::MAX,
        };
        let mut buffer = [0u8; 256];
        let len = encode_control(&ControlResponse::Stats(all), &mut buffer).unwrap();
        assert!(len <= 1 + 14 * 10, "{len}");
    }

    #[test]
    fn small_buffers_and_bad_bytes_are_errors() {
        let mut tiny = [0u8; 2];
        let message = ControlRequest::SetWeight {
            client: ClientId(u32::MAX),
            weight: u32::MAX,
        };
        assert_eq!(
            encode_control(&message, &mut tiny),
            Err(EncodeError::BufferTooSmall)
        );
        assert_eq!(
            decode_control::<ControlRequest>(&[]),
            Err(DecodeError::Truncated)
        );
        assert_eq!(
            decode_control::<ControlRequest>(&[100]),
            Err(DecodeError::Malformed),
            "unknown variant"
        );
        // Stats(Pool { client 0, pool 16 }): a pool id out of range.
        assert_eq!(
            decode_control::<ControlRequest>(&[7, 2, 0, 16]),
            Err(DecodeError::Malformed)
        );
        assert_eq!(
            decode_control::<ControlRequest>(&[7, 2, 0, 15]),
            Ok(ControlRequest::Stats(StatsScope::Pool {
                client: ClientId(0),
                pool: PoolId::new(15).unwrap()
            }))
        );
        // SetCompression with a bool byte of 2.
        assert_eq!(
            decode_control::<ControlRequest>(&[6, 1, 2]),
            Err(DecodeError::Malformed)
        );
    }
}
