//! The server's configuration: which badges are clients, each client's
//! exchange mode and persistent-page cap, and who may join the shared
//! pool — the partition's typed
//! configuration, which xtask computes from the system description's
//! `[tmem]` section (`xtask/src/system/tmem.rs`) and the server reads with
//! `userlib::config`, so a client can change none of it.
//!
//! A client's badge on the service endpoint is its number, 1 to
//! [`MAX_CLIENTS`]. This module must never accept a configuration that
//! authorises a non-client or names members without a pool: decoding one
//! checks the same rules as [`ServerConfig::new`].

use serde::{Deserialize, Serialize};
use tmem_protocol::{ClientId, ExchangeMode};
use tmem_store::{ClientConfig, Config, PoolUuid};

/// Most clients one server serves (badges 1..=8).
pub const MAX_CLIENTS: usize = 8;

/// The server's configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Fields", into = "Fields")]
pub struct ServerConfig {
    modes: [Option<ExchangeMode>; MAX_CLIENTS],
    shared_members: u8,
    shared_uuid: u8,
    persistent_caps: [Option<u32>; MAX_CLIENTS],
}

/// A configuration's fields as they travel, checked by
/// [`ServerConfig::new`] when they arrive.
#[derive(Serialize, Deserialize)]
struct Fields {
    /// Client `k + 1`'s mode (`None`: not a client).
    modes: [Option<ExchangeMode>; MAX_CLIENTS],
    /// Bit `k`: client `k + 1` may join the shared pool.
    shared_members: u8,
    /// The shared pool's UUID (0: there is none).
    shared_uuid: u8,
    /// Client `k + 1`'s persistent-page cap (`None`: no cap).
    persistent_caps: [Option<u32>; MAX_CLIENTS],
}

impl TryFrom<Fields> for ServerConfig {
    type Error = ConfigError;

    fn try_from(fields: Fields) -> Result<ServerConfig, ConfigError> {
        let mut config =
            ServerConfig::new(fields.modes, fields.shared_members, fields.shared_uuid)?;
        for (k, cap) in fields.persistent_caps.into_iter().enumerate() {
            if let Some(cap) = cap {
                config = config.with_persistent_cap(k as u32 + 1, cap)?;
            }
        }
        Ok(config)
    }
}

impl From<ServerConfig> for Fields {
    fn from(config: ServerConfig) -> Fields {
        Fields {
            modes: config.modes,
            shared_members: config.shared_members,
            shared_uuid: config.shared_uuid,
            persistent_caps: config.persistent_caps,
        }
    }
}

impl core::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ConfigError::MemberIsNotAClient { client } => {
                write!(
                    f,
                    "client {client} may join the shared pool but is no client"
                )
            }
            ConfigError::MembersWithoutPool => f.write_str("pool members but no shared pool"),
            ConfigError::NoClients => f.write_str("no clients"),
            ConfigError::CapOfNoClient { client } => {
                write!(f, "client {client} has a persistent cap but is no client")
            }
        }
    }
}

/// Why fields are not a configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// Client k + 1 may join the shared pool but has no exchange mode.
    MemberIsNotAClient {
        /// The client's number.
        client: u32,
    },
    /// Clients may join a shared pool, but its UUID is 0.
    MembersWithoutPool,
    /// No client has an exchange mode.
    NoClients,
    /// Client `client` has a persistent-page cap but no exchange mode.
    CapOfNoClient {
        /// The client's number.
        client: u32,
    },
}

impl ServerConfig {
    /// A configuration: client `k + 1`'s mode is `modes[k]` (`None`: not a
    /// client), bit `k` of `shared_members` lets client `k + 1` join the
    /// shared pool whose UUID is `shared_uuid` (0: none).
    pub fn new(
        modes: [Option<ExchangeMode>; MAX_CLIENTS],
        shared_members: u8,
        shared_uuid: u8,
    ) -> Result<ServerConfig, ConfigError> {
        if modes.iter().all(Option::is_none) {
            return Err(ConfigError::NoClients);
        }
        if let Some(k) =
            (0..MAX_CLIENTS).find(|&k| shared_members & (1 << k) != 0 && modes[k].is_none())
        {
            return Err(ConfigError::MemberIsNotAClient {
                client: k as u32 + 1,
            });
        }
        if shared_members != 0 && shared_uuid == 0 {
            return Err(ConfigError::MembersWithoutPool);
        }
        Ok(ServerConfig {
            modes,
            shared_members,
            shared_uuid,
            persistent_caps: [None; MAX_CLIENTS],
        })
    }

    /// The same, with client `client` (its badge) capped at `pages`
    /// persistent pages stored at once: past the cap its frontswap puts
    /// are refused, as Xen's per-client tmem cap refuses them, and its
    /// guest swaps to its own device instead.
    pub fn with_persistent_cap(mut self, client: u32, pages: u32) -> Result<Self, ConfigError> {
        let index = (client as usize)
            .checked_sub(1)
            .filter(|&k| self.modes.get(k).is_some_and(Option::is_some))
            .ok_or(ConfigError::CapOfNoClient { client })?;
        self.persistent_caps[index] = Some(pages);
        Ok(self)
    }

    /// Client `client`'s persistent-page cap, if it has one.
    pub fn persistent_cap(&self, client: u32) -> Option<u32> {
        let index = (client as usize).checked_sub(1)?;
        *self.persistent_caps.get(index)?
    }

    /// The client a service-endpoint badge names, and its mode.
    pub fn client(&self, badge: u32) -> Option<(ClientId, ExchangeMode)> {
        let index = (badge as usize).checked_sub(1)?;
        let mode = (*self.modes.get(index)?)?;
        Some((ClientId(badge), mode))
    }

    /// Every client with its mode.
    pub fn clients(&self) -> impl Iterator<Item = (ClientId, ExchangeMode)> + '_ {
        (1..=MAX_CLIENTS as u32).filter_map(|badge| self.client(badge))
    }

    /// The store configuration for `max_pages` pages: every client, and
    /// the shared pool with its members.
    pub fn store_config(&self, max_pages: u32) -> Config {
        let mut config = Config::new(max_pages);
        let mut members = [tmem_store::ClientId(0); MAX_CLIENTS];
        let mut count = 0;
        for (client, _) in self.clients() {
            let mut client_config = ClientConfig::new(client.into());
            if let Some(cap) = self.persistent_cap(client.0) {
                client_config = client_config.persistent_cap(cap);
            }
            config = config.client(client_config);
            if self.shared_members & (1 << (client.0 - 1)) != 0 {
                members[count] = client.into();
                count += 1;
            }
        }
        if self.shared_uuid != 0 {
            config = config.shared_pool(PoolUuid(u128::from(self.shared_uuid)), &members[..count]);
        }
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use ExchangeMode::{Copy, GrantMap, Transfer};

    fn modes(given: &[(usize, ExchangeMode)]) -> [Option<ExchangeMode>; MAX_CLIENTS] {
        let mut modes = [None; MAX_CLIENTS];
        for &(client, mode) in given {
            modes[client - 1] = Some(mode);
        }
        modes
    }

    #[test]
    fn the_configuration_names_modes_members_and_the_pool() {
        // Client 1 copy, client 2 grant-map, client 4 transfer; 1 and 4 share pool 7.
        let config =
            ServerConfig::new(modes(&[(1, Copy), (2, GrantMap), (4, Transfer)]), 0b1001, 7)
                .unwrap();
        assert_eq!(config.client(1), Some((ClientId(1), ExchangeMode::Copy)));
        assert_eq!(
            config.client(2),
            Some((ClientId(2), ExchangeMode::GrantMap))
        );
        assert_eq!(config.client(3), None);
        assert_eq!(
            config.client(4),
            Some((ClientId(4), ExchangeMode::Transfer))
        );
        assert_eq!(config.client(0), None, "badge 0 is nobody");
        assert_eq!(config.client(9), None);
        assert_eq!(config.client(u32::MAX), None);
        assert_eq!(config.clients().count(), 3);
        let bytes = postcard::to_allocvec(&config).unwrap();
        assert_eq!(
            postcard::from_bytes::<ServerConfig>(&bytes),
            Ok(config),
            "the encoding round-trips"
        );
    }

    #[test]
    fn inconsistent_configurations_are_refused_built_or_decoded() {
        let cases = [
            (modes(&[]), 0, 0, ConfigError::NoClients),
            (
                modes(&[(1, Copy)]),
                0b10,
                7,
                ConfigError::MemberIsNotAClient { client: 2 },
            ),
            (modes(&[(1, Copy)]), 0b1, 0, ConfigError::MembersWithoutPool),
        ];
        for (modes, shared_members, shared_uuid, error) in cases {
            assert_eq!(
                ServerConfig::new(modes, shared_members, shared_uuid),
                Err(error)
            );
            let fields = Fields {
                modes,
                shared_members,
                shared_uuid,
                persistent_caps: [None; MAX_CLIENTS],
            };
            let bytes = postcard::to_allocvec(&fields).unwrap();
            assert!(postcard::from_bytes::<ServerConfig>(&bytes).is_err());
        }
    }

    #[test]
    fn only_members_join_the_shared_pool() {
        use tmem_store::{PoolFlags, Store, TmemError, VecFrames};
        let config =
            ServerConfig::new(modes(&[(1, Copy), (2, Copy), (3, Copy)]), 0b011, 7).unwrap();
        let mut store = Store::new(config.store_config(16), VecFrames::new(8)).unwrap();
        let uuid = PoolUuid(7);
        assert!(store
            .new_pool(tmem_store::ClientId(1), PoolFlags::SHARED, uuid)
            .is_ok());
        assert!(store
            .new_pool(tmem_store::ClientId(2), PoolFlags::SHARED, uuid)
            .is_ok());
        assert_eq!(
            store.new_pool(tmem_store::ClientId(3), PoolFlags::SHARED, uuid),
            Err(TmemError::Unauthorized)
        );
    }

    #[test]
    fn a_capped_client_is_refused_persistent_puts_past_its_cap() {
        use tmem_store::{PoolFlags, Store, TmemError, VecFrames};
        let config = ServerConfig::new(modes(&[(1, Copy), (2, Copy)]), 0, 0)
            .unwrap()
            .with_persistent_cap(2, 3)
            .unwrap();
        assert_eq!(config.persistent_cap(2), Some(3));
        assert_eq!(config.persistent_cap(1), None);
        let bytes = postcard::to_allocvec(&config).unwrap();
        assert_eq!(postcard::from_bytes::<ServerConfig>(&bytes), Ok(config));
        assert_eq!(
            config.with_persistent_cap(3, 1),
            Err(ConfigError::CapOfNoClient { client: 3 })
        );
        assert_eq!(
            config.with_persistent_cap(0, 1),
            Err(ConfigError::CapOfNoClient { client: 0 })
        );
        // A cap travelling for a non-client is refused when decoded.
        let mut fields = Fields::from(config);
        fields.persistent_caps[5] = Some(1);
        let bytes = postcard::to_allocvec(&fields).unwrap();
        assert!(postcard::from_bytes::<ServerConfig>(&bytes).is_err());

        let mut store = Store::new(config.store_config(16), VecFrames::new(8)).unwrap();
        let page = [7u8; 4096];
        for client in [1, 2] {
            let id = tmem_store::ClientId(client);
            let pool = store
                .new_pool(id, PoolFlags::PERSISTENT, PoolUuid(0))
                .unwrap();
            let stored = (0..5u32)
                .filter(|&index| {
                    match store.put_page(id, pool, tmem_store::ObjectId([1, 0, 0]), index, &page) {
                        Ok(()) => true,
                        Err(error) => {
                            assert_eq!(error, TmemError::QuotaExceeded, "client {client}");
                            false
                        }
                    }
                })
                .count();
            assert_eq!(stored, if client == 2 { 3 } else { 5 }, "client {client}");
        }
    }
}
