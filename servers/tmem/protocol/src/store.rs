//! Conversions between this crate's types and tmem-store's, for the server
//! (feature `store`; clients leave it off and never link the store).
//!
//! The mapping from `TmemError` to [`Status`] is by name, one to one, and
//! the match has no wildcard, so a new store error cannot compile until it
//! has a status. This module must never invent a client identity: the
//! store's `ClientId` for a guest comes from the IPC badge, and only
//! control messages name clients by number.

use crate::control::{ClientId, ClientInfo, OpStats, Usage};
use crate::handle::{ObjectId, PoolFlags, PoolId};
use crate::status::Status;

impl From<tmem_store::TmemError> for Status {
    fn from(error: tmem_store::TmemError) -> Status {
        use tmem_store::TmemError as E;
        match error {
            E::UnknownClient => Status::UnknownClient,
            E::NoSuchPool => Status::NoSuchPool,
            E::TooManyPools => Status::TooManyPools,
            E::BadFlags => Status::BadFlags,
            E::Unauthorized => Status::Unauthorized,
            E::Frozen => Status::Frozen,
            E::QuotaExceeded => Status::QuotaExceeded,
            E::NoMemory => Status::NoMemory,
            E::NotFound => Status::NotFound,
            E::PoolMismatch => Status::PoolMismatch,
            E::Corrupted => Status::Corrupted,
        }
    }
}

impl From<PoolId> for tmem_store::PoolId {
    fn from(pool: PoolId) -> tmem_store::PoolId {
        tmem_store::PoolId(u32::from(pool.number()))
    }
}

impl TryFrom<tmem_store::PoolId> for PoolId {
    type Error = crate::DecodeError;

    fn try_from(pool: tmem_store::PoolId) -> Result<PoolId, crate::DecodeError> {
        PoolId::new(pool.0).ok_or(crate::DecodeError::BadPool)
    }
}

impl From<ObjectId> for tmem_store::ObjectId {
    fn from(object: ObjectId) -> tmem_store::ObjectId {
        tmem_store::ObjectId(object.0)
    }
}

impl From<PoolFlags> for tmem_store::PoolFlags {
    fn from(flags: PoolFlags) -> tmem_store::PoolFlags {
        tmem_store::PoolFlags(flags.bits())
    }
}

impl From<ClientId> for tmem_store::ClientId {
    fn from(client: ClientId) -> tmem_store::ClientId {
        tmem_store::ClientId(client.0)
    }
}

impl From<tmem_store::OpStats> for OpStats {
    fn from(s: tmem_store::OpStats) -> OpStats {
        OpStats {
            puts: s.puts,
            good_puts: s.good_puts,
            duplicate_puts_replaced: s.duplicate_puts_replaced,
            duplicate_puts_flushed: s.duplicate_puts_flushed,
            gets: s.gets,
            found_gets: s.found_gets,
            flushes: s.flushes,
            found_flushes: s.found_flushes,
            object_flushes: s.object_flushes,
            evictions: s.evictions,
            compressed_puts: s.compressed_puts,
            compressed_bytes: s.compressed_bytes,
            zero_puts: s.zero_puts,
            shared_puts: s.shared_puts,
        }
    }
}

impl From<tmem_store::Usage> for Usage {
    fn from(u: tmem_store::Usage) -> Usage {
        Usage {
            frames_total: u.frames_total,
            frames_free: u.frames_free,
            frames_whole: u.frames_whole,
            frames_packed: u.frames_packed,
            ephemeral_pages: u.ephemeral_pages,
            persistent_pages: u.persistent_pages,
            zero_pages: u.zero_pages,
            contents: u.contents,
            shared_pages: u.shared_pages,
            max_pages: u.max_pages,
        }
    }
}

impl From<tmem_store::ClientInfo> for ClientInfo {
    fn from(c: tmem_store::ClientInfo) -> ClientInfo {
        ClientInfo {
            ephemeral_pages: c.ephemeral_pages,
            persistent_pages: c.persistent_pages,
            weight: c.weight,
            persistent_cap: c.persistent_cap,
            compress: c.compress,
            frozen: c.frozen,
            open_pools: c.open_pools,
            exchange: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tmem_store::TmemError;

    /// Every store error, listed through an exhaustive match so that a new
    /// variant breaks this test's build until it is added here.
    fn all_errors() -> [TmemError; 11] {
        let list = [
            TmemError::UnknownClient,
            TmemError::NoSuchPool,
            TmemError::TooManyPools,
            TmemError::BadFlags,
            TmemError::Unauthorized,
            TmemError::Frozen,
            TmemError::QuotaExceeded,
            TmemError::NoMemory,
            TmemError::NotFound,
            TmemError::PoolMismatch,
            TmemError::Corrupted,
        ];
        for error in list {
            match error {
                TmemError::UnknownClient
                | TmemError::NoSuchPool
                | TmemError::TooManyPools
                | TmemError::BadFlags
                | TmemError::Unauthorized
                | TmemError::Frozen
                | TmemError::QuotaExceeded
                | TmemError::NoMemory
                | TmemError::NotFound
                | TmemError::PoolMismatch
                | TmemError::Corrupted => {}
            }
        }
        list
    }

    #[test]
    fn every_store_error_has_the_status_of_its_name_and_number() {
        let errors = all_errors();
        for (i, error) in errors.into_iter().enumerate() {
            let status = Status::from(error);
            assert_eq!(status.name(), std::format!("{error:?}"));
            assert_eq!(usize::from(status.code()), i + 1);
        }
    }

    #[test]
    fn names_and_flags_convert() {
        let pool = PoolId::new(3).unwrap();
        assert_eq!(tmem_store::PoolId::from(pool), tmem_store::PoolId(3));
        assert_eq!(PoolId::try_from(tmem_store::PoolId(3)), Ok(pool));
        assert!(PoolId::try_from(tmem_store::PoolId(16)).is_err());
        let flags = PoolFlags {
            persistent: true,
            shared: true,
        };
        let store_flags = tmem_store::PoolFlags::from(flags);
        assert!(store_flags.is_valid() && store_flags.is_persistent() && store_flags.is_shared());
        assert_eq!(
            tmem_store::PoolFlags::from(PoolFlags::default()),
            tmem_store::PoolFlags::EPHEMERAL
        );
        assert_eq!(
            tmem_store::ObjectId::from(ObjectId([1, 2, 3])),
            tmem_store::ObjectId([1, 2, 3])
        );
    }

    #[test]
    fn stats_carry_every_field() {
        let mut store = tmem_store::Store::new(
            tmem_store::Config::new(64)
                .client(tmem_store::ClientConfig::new(tmem_store::ClientId(1))),
            tmem_store::VecFrames::new(8),
        )
        .unwrap();
        let client = tmem_store::ClientId(1);
        let pool = store
            .new_pool(
                client,
                tmem_store::PoolFlags::EPHEMERAL,
                tmem_store::PoolUuid(0),
            )
            .unwrap();
        let page = [1u8; tmem_store::PAGE_SIZE];
        store
            .put_page(client, pool, tmem_store::ObjectId([1, 0, 0]), 0, &page)
            .unwrap();
        let stats = OpStats::from(store.global_stats());
        assert_eq!(stats.puts, 1);
        assert_eq!(stats.good_puts, 1);
        let usage = Usage::from(store.usage());
        assert_eq!(usage.ephemeral_pages, 1);
        let info = ClientInfo::from(store.client_info(client).unwrap());
        assert_eq!(info.open_pools, 1);
    }
}
