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
    /// Key of the hash that indexes handles and objects. The server should
    /// set it from a boot-time random source: a client that knew it could
    /// choose handles that collide and slow every client's operations down
    /// (never break them).
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
