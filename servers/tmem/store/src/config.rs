//! Static configuration of a store: its clients, their policy knobs, and who
//! may join which shared pool.
//!
//! This comes from the system description. Nothing here is ever taken from a
//! client: a client cannot add itself, widen its sharing domain or
//! authorise itself for a shared pool.

use crate::handle::{ClientId, PoolUuid, SharingDomain};
use alloc::vec::Vec;

/// Policy for one client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientConfig {
    /// Identity the server passes with each call.
    pub id: ClientId,
    /// Relative weight for the fair share of ephemeral memory (0 = evicted first).
    pub weight: u32,
    /// Most persistent pages this client may have stored at once.
    pub persistent_cap: u32,
    /// Compress this client's pages when it saves at least half a frame.
    pub compress: bool,
    /// Clients of one domain may share identical pages; `None` never shares.
    pub sharing_domain: Option<SharingDomain>,
}

impl ClientConfig {
    /// Weight 1, no persistent cap, no compression, no sharing.
    pub fn new(id: ClientId) -> Self {
        Self {
            id,
            weight: 1,
            persistent_cap: u32::MAX,
            compress: false,
            sharing_domain: None,
        }
    }

    /// Sets the fair-share weight.
    pub fn weight(mut self, weight: u32) -> Self {
        self.weight = weight;
        self
    }

    /// Sets the persistent-page cap.
    pub fn persistent_cap(mut self, cap: u32) -> Self {
        self.persistent_cap = cap;
        self
    }

    /// Turns compression on or off.
    pub fn compress(mut self, on: bool) -> Self {
        self.compress = on;
        self
    }

    /// Puts the client in a sharing domain.
    pub fn sharing_domain(mut self, domain: SharingDomain) -> Self {
        self.sharing_domain = Some(domain);
        self
    }
}

/// Clients allowed to open (join) the shared pool named `uuid`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedPoolGrant {
    /// The pool's name.
    pub uuid: PoolUuid,
    /// The clients that may join it.
    pub clients: Vec<ClientId>,
}

/// An index key made from `secret` (bytes the server keeps to itself, e.g.
/// chosen at build time) and `samples` (values that differ from boot to
/// boot, e.g. clock readings taken while the server starts): two
/// HalfSipHash-2-4 outputs of all of it, under two fixed keys, side by
/// side.
///
/// The result is only as unguessable as its inputs: with a public
/// `secret` and a deterministic boot (QEMU with `-icount`), every boot
/// gets the same key.
pub fn derive_index_key(secret: &[u8], samples: &[u64]) -> u64 {
    use crate::halfsiphash::HalfSip24;
    let half = |key: u64| {
        let mut hasher = HalfSip24::new(key);
        hasher.write_u32(HalfSip24::hash_bytes(key, secret));
        for &sample in samples {
            hasher.write_u64(sample);
        }
        hasher.finish()
    };
    // Two arbitrary distinct keys (the first words of pi's fraction).
    let low = half(0x243f_6a88_85a3_08d3);
    let high = half(0x1319_8a2e_0370_7344);
    u64::from(high) << 32 | u64::from(low)
}

/// Everything [`Store::new`](crate::Store::new) needs besides the frames.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The clients; any other [`ClientId`] gets
    /// [`TmemError::UnknownClient`](crate::TmemError::UnknownClient).
    pub clients: Vec<ClientConfig>,
    /// Shared-pool authorisations.
    pub shared_pools: Vec<SharedPoolGrant>,
    /// Metadata capacity: the most pages (handles) stored at once, counting
    /// zero pages and pages that share content. All metadata is reserved for
    /// this many pages at construction: at most about 300 bytes per page
    /// (records, handle and object tables, content blocks, sharing index,
    /// LRU links), plus 16 bytes per frame.
    pub max_pages: u32,
    /// The 64-bit HalfSipHash-1-3 key of the tables that index handles and
    /// objects. The server must set it from something no client knows (see
    /// [`derive_index_key`]): a client that knew it could choose handles
    /// that collide and slow every client's operations down (never break
    /// them). The default is a public constant, for tests.
    pub index_seed: u64,
}

impl Config {
    /// A configuration with no clients and room for `max_pages` pages.
    pub fn new(max_pages: u32) -> Self {
        Self {
            clients: Vec::new(),
            shared_pools: Vec::new(),
            max_pages,
            index_seed: 0x7f4a_7c15_9e37_79b9,
        }
    }

    /// Sets the hash key of the handle index.
    pub fn index_seed(mut self, seed: u64) -> Self {
        self.index_seed = seed;
        self
    }

    /// Adds a client.
    pub fn client(mut self, client: ClientConfig) -> Self {
        self.clients.push(client);
        self
    }

    /// Authorises `clients` for the shared pool `uuid`.
    pub fn shared_pool(mut self, uuid: PoolUuid, clients: &[ClientId]) -> Self {
        self.shared_pools.push(SharedPoolGrant {
            uuid,
            clients: clients.to_vec(),
        });
        self
    }
}

#[cfg(test)]
mod tests {
    use super::derive_index_key;

    #[test]
    fn index_keys_depend_on_the_secret_and_on_every_sample() {
        let key = derive_index_key(b"secret", &[1, 2]);
        assert_eq!(key, derive_index_key(b"secret", &[1, 2]));
        assert_ne!(key, derive_index_key(b"secreT", &[1, 2]));
        assert_ne!(key, derive_index_key(b"secret", &[1, 3]));
        assert_ne!(key, derive_index_key(b"secret", &[2, 2]));
        assert_ne!(key, derive_index_key(b"secret", &[1, 2, 0]));
        // Both halves change.
        let other = derive_index_key(b"secret", &[1, 2 + (1 << 40)]);
        assert_ne!(key as u32, other as u32);
        assert_ne!(key >> 32, other >> 32);
    }
}
