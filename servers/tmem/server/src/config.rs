//! The server's configuration: which badges are clients, each client's
//! exchange mode, and who may join the shared pool — all from the
//! partition's `argument`, which xtask computes from the system
//! description's `[tmem]` section (`xtask/src/system/tmem.rs`), so a client
//! can change none of it.
//!
//! ```text
//! argument bits  2k+1..2k   exchange mode of client k+1 (k = 0..8):
//!                           0 not a client, 1 copy, 2 grant-map, 3 transfer
//!                23..16     bit k: client k+1 may join the shared pool
//!                31..24     the shared pool's UUID (0: there is none)
//! ```
//!
//! A client's badge on the service endpoint is its number, 1 to
//! [`MAX_CLIENTS`]. This module must never accept an argument that
//! authorises a non-client or names members without a pool.

use tmem_protocol::{ClientId, ExchangeMode};
use tmem_store::{ClientConfig, Config, PoolUuid};

/// Most clients one server serves (badges 1..=8).
pub const MAX_CLIENTS: usize = 8;

/// What the server's argument says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    modes: [Option<ExchangeMode>; MAX_CLIENTS],
    shared_members: u8,
    shared_uuid: u8,
}

/// Why an argument is not a configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// Bit 16 + k authorises client k + 1, which has no exchange mode.
    MemberIsNotAClient {
        /// The client's number.
        client: u32,
    },
    /// Clients may join a shared pool, but its UUID is 0.
    MembersWithoutPool,
    /// No client has an exchange mode.
    NoClients,
}

impl ServerConfig {
    /// The configuration `argument` encodes.
    pub fn from_argument(argument: u32) -> Result<ServerConfig, ConfigError> {
        let mut modes = [None; MAX_CLIENTS];
        for (k, mode) in modes.iter_mut().enumerate() {
            *mode = ExchangeMode::from_bits((argument >> (2 * k)) & 3);
        }
        ServerConfig::new(modes, (argument >> 16) as u8, (argument >> 24) as u8)
    }

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
        })
    }

    /// The partition argument that encodes this configuration.
    pub fn argument(&self) -> u32 {
        let modes = self
            .modes
            .iter()
            .enumerate()
            .map(|(k, mode)| mode.map_or(0, ExchangeMode::bits) << (2 * k))
            .fold(0, |all, bits| all | bits);
        modes | u32::from(self.shared_members) << 16 | u32::from(self.shared_uuid) << 24
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
            config = config.client(ClientConfig::new(client.into()));
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

    #[test]
    fn the_argument_names_modes_members_and_the_pool() {
        // Client 1 copy, client 2 grant-map, client 4 transfer; 1 and 4 share pool 7.
        let argument = 1 | 2 << 2 | 3 << 6 | 0b1001 << 16 | 7 << 24;
        let config = ServerConfig::from_argument(argument).unwrap();
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
        assert_eq!(config.argument(), argument, "the encoding round-trips");
    }

    #[test]
    fn inconsistent_arguments_are_refused() {
        assert_eq!(ServerConfig::from_argument(0), Err(ConfigError::NoClients));
        assert_eq!(
            ServerConfig::from_argument(1 | 0b10 << 16 | 7 << 24),
            Err(ConfigError::MemberIsNotAClient { client: 2 })
        );
        assert_eq!(
            ServerConfig::from_argument(1 | 0b1 << 16),
            Err(ConfigError::MembersWithoutPool)
        );
    }

    #[test]
    fn only_members_join_the_shared_pool() {
        use tmem_store::{PoolFlags, Store, TmemError, VecFrames};
        let config =
            ServerConfig::from_argument(1 | 1 << 2 | 1 << 4 | 0b011 << 16 | 7 << 24).unwrap();
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
}
