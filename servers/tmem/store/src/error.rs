//! Why an operation was refused. Each refusal has its own variant so the
//! server can map it to a distinct ABI error code; no refusal is a panic.

/// Error of a tmem operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TmemError {
    /// The caller's [`ClientId`](crate::ClientId) is not in the configuration.
    UnknownClient,
    /// No pool is open under that [`PoolId`](crate::PoolId) for this client.
    NoSuchPool,
    /// The client already has 16 pools open.
    TooManyPools,
    /// Undefined pool flags, or a shared pool exists with another persistence.
    BadFlags,
    /// The client is not authorised for that shared pool UUID.
    Unauthorized,
    /// The client is frozen: puts are refused until it is thawed.
    Frozen,
    /// The client's persistent-page cap is reached.
    QuotaExceeded,
    /// No frame or metadata slot could be found, even after evicting every
    /// ephemeral page the policy allows.
    NoMemory,
    /// No page is stored under that handle (a miss).
    NotFound,
    /// A migration restore into a pool id that is open with other flags.
    PoolMismatch,
    /// Stored data failed to decompress: an internal fault, never expected.
    Corrupted,
}

impl core::fmt::Display for TmemError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let text = match self {
            TmemError::UnknownClient => "unknown client",
            TmemError::NoSuchPool => "no such pool",
            TmemError::TooManyPools => "too many pools",
            TmemError::BadFlags => "bad pool flags",
            TmemError::Unauthorized => "not authorised for this shared pool",
            TmemError::Frozen => "client is frozen",
            TmemError::QuotaExceeded => "persistent page cap reached",
            TmemError::NoMemory => "no memory",
            TmemError::NotFound => "page not found",
            TmemError::PoolMismatch => "pool id in use with other flags",
            TmemError::Corrupted => "stored page is corrupted",
        };
        f.write_str(text)
    }
}

/// Error of [`Store::new`](crate::Store::new): the configuration is unusable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConfigError {
    /// Two clients share one [`ClientId`](crate::ClientId).
    DuplicateClient,
    /// More than 65,535 clients.
    TooManyClients,
    /// A shared-pool grant names a client that is not configured.
    GrantForUnknownClient,
    /// `max_pages` is zero or does not fit the metadata index type.
    BadMaxPages,
    /// The provider has more frames than the store can address.
    TooManyFrames,
}

impl core::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let text = match self {
            ConfigError::DuplicateClient => "duplicate client id",
            ConfigError::TooManyClients => "too many clients",
            ConfigError::GrantForUnknownClient => "shared-pool grant for an unknown client",
            ConfigError::BadMaxPages => "max_pages out of range",
            ConfigError::TooManyFrames => "too many frames",
        };
        f.write_str(text)
    }
}
