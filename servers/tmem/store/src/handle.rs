//! Names of things a client talks about: clients, pools, objects, pages.
//!
//! These are plain values; none of them grants anything by itself. A
//! [`ClientId`] must come from the caller's trusted identity (the server
//! derives it from the IPC badge), never from what a client says.

/// Opaque identity of a client (guest), assigned by the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClientId(pub u32);

/// A client's local pool number, `0..MAX_POOLS_PER_CLIENT`.
///
/// Pool ids are per client: the same number names different pools for
/// different clients, so no client can name another's private pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PoolId(pub u32);

/// 192-bit object id chosen by the client (e.g. an inode number).
#[derive(Clone, Copy, Debug, Eq, PartialOrd, Ord, Default)]
pub struct ObjectId(pub [u64; 3]);

// Compared on every index look-up. The derived comparison of the array
// becomes a call to a byte-wise `memcmp` of 24 bytes on this target (about
// 150 instructions); word by word, without branches, it is a dozen.
impl PartialEq for ObjectId {
    fn eq(&self, other: &ObjectId) -> bool {
        let [a, b, c] = self.0;
        let [x, y, z] = other.0;
        (a ^ x) | (b ^ y) | (c ^ z) == 0
    }
}

// Hashes what `eq` compares, as the derived `Hash` would.
impl core::hash::Hash for ObjectId {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

/// 128-bit name of a shared pool. Guessable: holding it grants nothing
/// unless the configuration authorises the client for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct PoolUuid(pub u128);

/// A sharing domain: clients in the same domain may have identical pages
/// stored once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SharingDomain(pub u32);

/// Most pools one client can have open at once (tmem ABI v1).
pub const MAX_POOLS_PER_CLIENT: usize = 16;

/// Flags of [`Store::new_pool`](crate::Store::new_pool), as a guest passes them.
///
/// Only [`PERSISTENT`](PoolFlags::PERSISTENT) and [`SHARED`](PoolFlags::SHARED)
/// are defined; any other bit makes `new_pool` fail with
/// [`TmemError::BadFlags`](crate::TmemError::BadFlags).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct PoolFlags(pub u32);

impl PoolFlags {
    /// Private ephemeral pool (no bits set).
    pub const EPHEMERAL: PoolFlags = PoolFlags(0);
    /// Pages are kept until flushed (swap-like); otherwise ephemeral.
    pub const PERSISTENT: PoolFlags = PoolFlags(1);
    /// The pool is shared by UUID between authorised clients.
    pub const SHARED: PoolFlags = PoolFlags(2);
    const KNOWN: u32 = 3;

    /// Whether only defined bits are set.
    pub fn is_valid(self) -> bool {
        self.0 & !Self::KNOWN == 0
    }

    /// Whether the persistent bit is set.
    pub fn is_persistent(self) -> bool {
        self.0 & Self::PERSISTENT.0 != 0
    }

    /// Whether the shared bit is set.
    pub fn is_shared(self) -> bool {
        self.0 & Self::SHARED.0 != 0
    }
}

impl core::ops::BitOr for PoolFlags {
    type Output = PoolFlags;

    fn bitor(self, other: PoolFlags) -> PoolFlags {
        PoolFlags(self.0 | other.0)
    }
}
