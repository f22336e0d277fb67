//! Why the server refused a request, as the byte a reply carries.
//!
//! Codes 1..=11 are tmem-store's `TmemError` variants, same names, in
//! declaration order; codes from 64 are the protocol's own refusals. A code
//! keeps its number for as long as the protocol version does, and 0 is
//! success, never a status. This module must never map an unknown byte to
//! a status.

/// A refusal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Status {
    /// The caller is not a configured client.
    UnknownClient = 1,
    /// No pool is open under that id.
    NoSuchPool = 2,
    /// The client already has 16 pools open.
    TooManyPools = 3,
    /// A shared pool of that UUID exists with another persistence.
    BadFlags = 4,
    /// The client is not authorised for that shared pool.
    Unauthorized = 5,
    /// The client is frozen: puts are refused.
    Frozen = 6,
    /// The client's persistent-page cap is reached.
    QuotaExceeded = 7,
    /// No memory, even after evicting what the policy allows.
    NoMemory = 8,
    /// No page under that handle (a miss).
    NotFound = 9,
    /// A restore into a pool id open with other flags.
    PoolMismatch = 10,
    /// Stored data failed to decompress (a server fault).
    Corrupted = 11,
    /// The request did not decode, or names a slot beyond the caller's
    /// window.
    BadRequest = 64,
    /// The request is of another protocol version.
    VersionMismatch = 65,
    /// Well formed, but not offered to this caller: an exchange mode other
    /// than the client's, a control message from a guest, or an operation
    /// the server does not implement.
    NotSupported = 66,
}

impl Status {
    /// Every status, in code order.
    pub const ALL: [Status; 14] = [
        Status::UnknownClient,
        Status::NoSuchPool,
        Status::TooManyPools,
        Status::BadFlags,
        Status::Unauthorized,
        Status::Frozen,
        Status::QuotaExceeded,
        Status::NoMemory,
        Status::NotFound,
        Status::PoolMismatch,
        Status::Corrupted,
        Status::BadRequest,
        Status::VersionMismatch,
        Status::NotSupported,
    ];

    /// The status coded `code`, if any (0 is success, not a status).
    pub const fn from_code(code: u8) -> Option<Status> {
        match code {
            1 => Some(Status::UnknownClient),
            2 => Some(Status::NoSuchPool),
            3 => Some(Status::TooManyPools),
            4 => Some(Status::BadFlags),
            5 => Some(Status::Unauthorized),
            6 => Some(Status::Frozen),
            7 => Some(Status::QuotaExceeded),
            8 => Some(Status::NoMemory),
            9 => Some(Status::NotFound),
            10 => Some(Status::PoolMismatch),
            11 => Some(Status::Corrupted),
            64 => Some(Status::BadRequest),
            65 => Some(Status::VersionMismatch),
            66 => Some(Status::NotSupported),
            _ => None,
        }
    }

    /// The status's code.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// A short name for logs (the variant's name).
    pub const fn name(self) -> &'static str {
        match self {
            Status::UnknownClient => "UnknownClient",
            Status::NoSuchPool => "NoSuchPool",
            Status::TooManyPools => "TooManyPools",
            Status::BadFlags => "BadFlags",
            Status::Unauthorized => "Unauthorized",
            Status::Frozen => "Frozen",
            Status::QuotaExceeded => "QuotaExceeded",
            Status::NoMemory => "NoMemory",
            Status::NotFound => "NotFound",
            Status::PoolMismatch => "PoolMismatch",
            Status::Corrupted => "Corrupted",
            Status::BadRequest => "BadRequest",
            Status::VersionMismatch => "VersionMismatch",
            Status::NotSupported => "NotSupported",
        }
    }
}

impl core::fmt::Display for Status {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_zero_is_success() {
        for status in Status::ALL {
            assert_eq!(Status::from_code(status.code()), Some(status));
            assert!(!status.name().is_empty());
        }
        assert_eq!(Status::from_code(0), None);
        let known = (0..=u8::MAX)
            .filter(|&code| Status::from_code(code).is_some())
            .count();
        assert_eq!(known, Status::ALL.len());
        assert_eq!(Status::NotFound.code(), 9);
        assert_eq!(Status::BadRequest.code(), 64);
    }
}
