//! Scenario tests of tmem semantics and policies, one rule per test.

use tmem_store::*;

const A: ClientId = ClientId(1);
const B: ClientId = ClientId(2);
const C: ClientId = ClientId(3);
const OBJ: ObjectId = ObjectId([42, 0, 0]);
const NO_UUID: PoolUuid = PoolUuid(0);

fn page(byte: u8) -> Page {
    let mut page = [byte; PAGE_SIZE];
    // Make pages incompressible-ish but distinct per byte value.
    let mut state = u64::from(byte) | 0x100;
    for chunk in page.chunks_mut(8) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        chunk.copy_from_slice(&state.to_le_bytes());
    }
    page
}

fn store_with(config: Config, frames: u32) -> Store<VecFrames> {
    Store::new(config, VecFrames::new(frames)).unwrap()
}

fn get(
    store: &mut Store<VecFrames>,
    client: ClientId,
    pool: PoolId,
    index: u32,
) -> Result<Page, TmemError> {
    let mut out = [0u8; PAGE_SIZE];
    store
        .get_page(client, pool, OBJ, index, &mut out)
        .map(|()| out)
}

#[test]
fn private_ephemeral_get_is_exclusive_shared_and_persistent_are_not() {
    let config = Config::new(64)
        .client(ClientConfig::new(A))
        .shared_pool(PoolUuid(9), &[A]);
    let mut store = store_with(config, 8);
    let private = store.new_pool(A, PoolFlags::EPHEMERAL, NO_UUID).unwrap();
    let shared = store.new_pool(A, PoolFlags::SHARED, PoolUuid(9)).unwrap();
    let persistent = store.new_pool(A, PoolFlags::PERSISTENT, NO_UUID).unwrap();
    for pool in [private, shared, persistent] {
        store.put_page(A, pool, OBJ, 0, &page(1)).unwrap();
        assert_eq!(get(&mut store, A, pool, 0), Ok(page(1)));
    }
    assert_eq!(get(&mut store, A, private, 0), Err(TmemError::NotFound));
    assert_eq!(get(&mut store, A, shared, 0), Ok(page(1)));
    assert_eq!(get(&mut store, A, persistent, 0), Ok(page(1)));
    store.check_invariants().unwrap();
}

#[test]
fn duplicate_put_replaces_or_fails_and_removes_the_old_copy() {
    let config = Config::new(64).client(ClientConfig::new(A).persistent_cap(1));
    let mut store = store_with(config, 8);
    let pool = store.new_pool(A, PoolFlags::PERSISTENT, NO_UUID).unwrap();
    store.put_page(A, pool, OBJ, 0, &page(1)).unwrap();
    // At the cap, a duplicate put still fits: the old copy is replaced.
    store.put_page(A, pool, OBJ, 0, &page(2)).unwrap();
    assert_eq!(get(&mut store, A, pool, 0), Ok(page(2)));
    // A failing duplicate put leaves no stale copy behind.
    store.freeze(A).unwrap();
    assert_eq!(
        store.put_page(A, pool, OBJ, 0, &page(3)),
        Err(TmemError::Frozen)
    );
    assert_eq!(get(&mut store, A, pool, 0), Err(TmemError::NotFound));
    let stats = store.pool_stats(A, pool).unwrap();
    assert_eq!(
        (stats.duplicate_puts_replaced, stats.duplicate_puts_flushed),
        (1, 1)
    );
    store.thaw(A).unwrap();
    store.put_page(A, pool, OBJ, 0, &page(4)).unwrap();
    assert_eq!(
        store.put_page(A, pool, OBJ, 1, &page(5)),
        Err(TmemError::QuotaExceeded)
    );
    store.check_invariants().unwrap();
}

#[test]
fn every_refusal_has_its_own_error() {
    let config = Config::new(64)
        .client(ClientConfig::new(A))
        .client(ClientConfig::new(B))
        .shared_pool(PoolUuid(7), &[A]);
    let mut store = store_with(config, 2);
    assert_eq!(
        store.new_pool(C, PoolFlags::EPHEMERAL, NO_UUID),
        Err(TmemError::UnknownClient)
    );
    assert_eq!(
        store.new_pool(A, PoolFlags(8), NO_UUID),
        Err(TmemError::BadFlags)
    );
    assert_eq!(
        store.new_pool(B, PoolFlags::SHARED, PoolUuid(7)),
        Err(TmemError::Unauthorized)
    );
    let shared = store.new_pool(A, PoolFlags::SHARED, PoolUuid(7)).unwrap();
    assert_eq!(
        store.new_pool(A, PoolFlags::SHARED | PoolFlags::PERSISTENT, PoolUuid(7)),
        Err(TmemError::BadFlags)
    );
    assert_eq!(
        store.new_pool(A, PoolFlags::SHARED, PoolUuid(7)),
        Ok(shared)
    );
    for _ in 1..MAX_POOLS_PER_CLIENT {
        store.new_pool(A, PoolFlags::EPHEMERAL, NO_UUID).unwrap();
    }
    assert_eq!(
        store.new_pool(A, PoolFlags::PERSISTENT, NO_UUID),
        Err(TmemError::TooManyPools)
    );
    assert_eq!(
        store.put_page(A, PoolId(16), OBJ, 0, &page(1)),
        Err(TmemError::NoSuchPool)
    );
    assert_eq!(
        store.put_page(A, PoolId(u32::MAX), OBJ, 0, &page(1)),
        Err(TmemError::NoSuchPool)
    );
    // B's pool 0 is not A's pool 0: private pools are unnameable by others.
    let b_pool = store.new_pool(B, PoolFlags::PERSISTENT, NO_UUID).unwrap();
    store.put_page(B, b_pool, OBJ, 0, &page(1)).unwrap();
    store.put_page(B, b_pool, OBJ, 1, &page(2)).unwrap();
    assert_eq!(
        store.put_page(B, b_pool, OBJ, 2, &page(3)),
        Err(TmemError::NoMemory)
    );
    assert_eq!(
        store.destroy_pool(A, PoolId(17)),
        Err(TmemError::NoSuchPool)
    );
    store.check_invariants().unwrap();
}

#[test]
fn persistent_pages_are_never_evicted_ephemeral_ones_are() {
    let config = Config::new(64).client(ClientConfig::new(A));
    let mut store = store_with(config, 4);
    let cache = store.new_pool(A, PoolFlags::EPHEMERAL, NO_UUID).unwrap();
    let swap = store.new_pool(A, PoolFlags::PERSISTENT, NO_UUID).unwrap();
    for index in 0..4 {
        store
            .put_page(A, cache, OBJ, index, &page(index as u8))
            .unwrap();
    }
    for index in 0..4 {
        store
            .put_page(A, swap, OBJ, index, &page(10 + index as u8))
            .unwrap();
    }
    assert_eq!(
        store.put_page(A, swap, OBJ, 9, &page(99)),
        Err(TmemError::NoMemory)
    );
    assert_eq!(
        store.put_page(A, cache, OBJ, 9, &page(99)),
        Err(TmemError::NoMemory)
    );
    assert_eq!(store.global_stats().evictions, 4);
    for index in 0..4 {
        assert_eq!(get(&mut store, A, swap, index), Ok(page(10 + index as u8)));
    }
    store.check_invariants().unwrap();
}

#[test]
fn client_over_its_share_loses_its_own_pages_first() {
    let config = Config::new(64)
        .client(ClientConfig::new(A).weight(1))
        .client(ClientConfig::new(B).weight(1));
    let mut store = store_with(config, 8);
    let a_pool = store.new_pool(A, PoolFlags::EPHEMERAL, NO_UUID).unwrap();
    let b_pool = store.new_pool(B, PoolFlags::EPHEMERAL, NO_UUID).unwrap();
    // B's pages are the oldest, but A fills the rest of the store.
    for index in 0..2 {
        store
            .put_page(B, b_pool, OBJ, index, &page(index as u8))
            .unwrap();
    }
    for index in 0..10 {
        store
            .put_page(A, a_pool, OBJ, index, &page(20 + index as u8))
            .unwrap();
    }
    // A was over its half from its 5th page on, so it evicted its own.
    assert_eq!(store.client_info(B).unwrap().ephemeral_pages, 2);
    assert_eq!(store.client_info(A).unwrap().ephemeral_pages, 6);
    assert_eq!(store.client_stats(A).unwrap().evictions, 4);
    // Now B (under its share) puts: A, over share, pays.
    for index in 2..4 {
        store
            .put_page(B, b_pool, OBJ, index, &page(index as u8))
            .unwrap();
    }
    assert_eq!(store.client_info(B).unwrap().ephemeral_pages, 4);
    assert_eq!(store.client_info(A).unwrap().ephemeral_pages, 4);
    // A's oldest pages went first.
    assert_eq!(get(&mut store, A, a_pool, 5), Err(TmemError::NotFound));
    assert_eq!(get(&mut store, A, a_pool, 9), Ok(page(29)));
    // With weight 3:1, B may hold 3/4.
    store.set_weight(B, 3).unwrap();
    // (The exclusive get above freed one frame.) B grows to its 3/4 at A's expense.
    for index in 4..6 {
        store
            .put_page(B, b_pool, OBJ, index, &page(index as u8))
            .unwrap();
    }
    assert_eq!(store.client_info(B).unwrap().ephemeral_pages, 6);
    assert_eq!(store.client_info(A).unwrap().ephemeral_pages, 2);
    // At exactly fair shares, the globally least recently used page goes:
    // B's pages 0 and 1 are older than A's remaining pages.
    store.put_page(B, b_pool, OBJ, 6, &page(6)).unwrap();
    assert_eq!(get(&mut store, B, b_pool, 0), Err(TmemError::NotFound));
    store.check_invariants().unwrap();
}

#[test]
fn zero_pages_take_no_frame_and_compressed_pages_pack() {
    let config = Config::new(64)
        .client(ClientConfig::new(A).compress(true))
        .client(ClientConfig::new(B));
    let mut store = store_with(config, 4);
    let pool = store.new_pool(A, PoolFlags::PERSISTENT, NO_UUID).unwrap();
    for index in 0..10 {
        store
            .put_page(A, pool, OBJ, index, &[0u8; PAGE_SIZE])
            .unwrap();
    }
    assert_eq!(store.usage().frames_free, 4);
    assert_eq!(store.usage().zero_pages, 10);
    // Compressible pages: 8 per frame in 512-byte slots.
    let compressible = |n: u8| {
        let mut p = [n; PAGE_SIZE];
        p[0] = 0xff;
        p
    };
    for index in 10..26 {
        store
            .put_page(A, pool, OBJ, index, &compressible(index as u8))
            .unwrap();
    }
    let usage = store.usage();
    assert_eq!((usage.frames_packed, usage.frames_free), (2, 2));
    let stats = store.client_stats(A).unwrap();
    assert_eq!(stats.compressed_puts, 16);
    assert!(stats.compressed_bytes > 0 && stats.compressed_bytes <= 16 * 512);
    // Incompressible pages are stored whole.
    store.put_page(A, pool, OBJ, 30, &page(3)).unwrap();
    assert_eq!(store.usage().frames_whole, 1);
    for index in 10..26 {
        assert_eq!(
            get(&mut store, A, pool, index),
            Ok(compressible(index as u8))
        );
    }
    assert_eq!(get(&mut store, A, pool, 0), Ok([0u8; PAGE_SIZE]));
    store.flush_object(A, pool, OBJ).unwrap();
    assert_eq!(store.usage().frames_free, 4);
    store.check_invariants().unwrap();
}

#[test]
fn identical_pages_are_shared_only_within_a_domain_and_copy_on_write() {
    let config = Config::new(64)
        .client(ClientConfig::new(A).sharing_domain(SharingDomain(1)))
        .client(
            ClientConfig::new(B)
                .sharing_domain(SharingDomain(1))
                .compress(true),
        )
        .client(ClientConfig::new(C).sharing_domain(SharingDomain(2)));
    let mut store = store_with(config, 8);
    let pa = store.new_pool(A, PoolFlags::PERSISTENT, NO_UUID).unwrap();
    let pb = store.new_pool(B, PoolFlags::PERSISTENT, NO_UUID).unwrap();
    let pc = store.new_pool(C, PoolFlags::PERSISTENT, NO_UUID).unwrap();
    store.put_page(A, pa, OBJ, 0, &page(1)).unwrap();
    store.put_page(B, pb, OBJ, 0, &page(1)).unwrap();
    store.put_page(C, pc, OBJ, 0, &page(1)).unwrap();
    let usage = store.usage();
    assert_eq!((usage.frames_whole, usage.shared_pages), (2, 2));
    assert_eq!(store.client_stats(B).unwrap().shared_puts, 1);
    assert_eq!(store.client_stats(C).unwrap().shared_puts, 0);
    // Overwriting one sharer's page leaves the other's data alone.
    store.put_page(A, pa, OBJ, 0, &page(2)).unwrap();
    assert_eq!(get(&mut store, B, pb, 0), Ok(page(1)));
    assert_eq!(get(&mut store, A, pa, 0), Ok(page(2)));
    store.put_page(A, pa, OBJ, 1, &page(1)).unwrap();
    store.flush_page(B, pb, OBJ, 0).unwrap();
    assert_eq!(get(&mut store, A, pa, 1), Ok(page(1)));
    assert_eq!(get(&mut store, C, pc, 0), Ok(page(1)));
    store.check_invariants().unwrap();
}

#[test]
fn shared_pool_lives_until_its_last_member_leaves() {
    let config = Config::new(64)
        .client(ClientConfig::new(A))
        .client(ClientConfig::new(B))
        .shared_pool(PoolUuid(5), &[A, B]);
    let mut store = store_with(config, 8);
    let pa = store
        .new_pool(A, PoolFlags::SHARED | PoolFlags::PERSISTENT, PoolUuid(5))
        .unwrap();
    let pb = store
        .new_pool(B, PoolFlags::SHARED | PoolFlags::PERSISTENT, PoolUuid(5))
        .unwrap();
    store.put_page(A, pa, OBJ, 0, &page(1)).unwrap();
    store.destroy_pool(A, pa).unwrap();
    assert_eq!(get(&mut store, B, pb, 0), Ok(page(1)));
    store.destroy_pool(B, pb).unwrap();
    assert_eq!(store.usage().frames_free, 8);
    let again = store.new_pool(B, PoolFlags::SHARED, PoolUuid(5)).unwrap();
    assert_eq!(get(&mut store, B, again, 0), Err(TmemError::NotFound));
    store.check_invariants().unwrap();
}

#[test]
fn control_flush_freeable_and_stats() {
    let config = Config::new(64).client(ClientConfig::new(A));
    let mut store = store_with(config, 8);
    let cache = store.new_pool(A, PoolFlags::EPHEMERAL, NO_UUID).unwrap();
    let swap = store.new_pool(A, PoolFlags::PERSISTENT, NO_UUID).unwrap();
    for index in 0..5 {
        store
            .put_page(A, cache, OBJ, index, &page(index as u8))
            .unwrap();
    }
    store.put_page(A, swap, OBJ, 0, &page(9)).unwrap();
    assert_eq!(store.freeable_pages(), 5);
    assert_eq!(store.flush_pages(3), 3);
    assert_eq!(store.freeable_pages(), 2);
    assert_eq!(store.flush_pages(10), 2);
    assert_eq!(get(&mut store, A, swap, 0), Ok(page(9)));
    let global = store.global_stats();
    assert_eq!((global.puts, global.good_puts, global.evictions), (6, 6, 5));
    assert_eq!((global.gets, global.found_gets), (1, 1));
    store.set_persistent_cap(A, 1).unwrap();
    assert_eq!(
        store.put_page(A, swap, OBJ, 1, &page(1)),
        Err(TmemError::QuotaExceeded)
    );
    store.set_compression(A, true).unwrap();
    let info = store.client_info(A).unwrap();
    assert!(info.compress && info.persistent_cap == 1 && info.open_pools == 2);
    assert_eq!(store.set_weight(C, 1), Err(TmemError::UnknownClient));
}

#[test]
fn migration_round_trip_covers_private_persistent_pools_only() {
    let config = || {
        Config::new(64)
            .client(ClientConfig::new(A).compress(true))
            .shared_pool(PoolUuid(1), &[A])
    };
    let mut source = store_with(config(), 16);
    let cache = source.new_pool(A, PoolFlags::EPHEMERAL, NO_UUID).unwrap();
    let swap = source.new_pool(A, PoolFlags::PERSISTENT, NO_UUID).unwrap();
    let shared = source
        .new_pool(A, PoolFlags::SHARED | PoolFlags::PERSISTENT, PoolUuid(1))
        .unwrap();
    let swap2 = source.new_pool(A, PoolFlags::PERSISTENT, NO_UUID).unwrap();
    source.put_page(A, cache, OBJ, 0, &page(1)).unwrap();
    source.put_page(A, shared, OBJ, 0, &page(2)).unwrap();
    for index in 0..3 {
        source
            .put_page(A, swap, OBJ, index, &page(10 + index as u8))
            .unwrap();
        source
            .put_page(A, swap2, ObjectId([1, 2, 3]), index, &[0u8; PAGE_SIZE])
            .unwrap();
    }
    let saved: Vec<SavedPage> = source
        .persistent_pages(A)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(saved.len(), 6);
    let mut target = store_with(config(), 16);
    for page in &saved {
        target
            .restore_page(A, page.pool, page.object, page.index, &page.data)
            .unwrap();
    }
    for index in 0..3 {
        assert_eq!(get(&mut target, A, swap, index), Ok(page(10 + index as u8)));
    }
    assert_eq!(target.client_info(A).unwrap().persistent_pages, 6);
    // Restoring into a pool id open with other flags is refused.
    let occupied = target.new_pool(A, PoolFlags::EPHEMERAL, NO_UUID).unwrap();
    assert_eq!(
        target.restore_page(A, occupied, OBJ, 0, &page(1)),
        Err(TmemError::PoolMismatch)
    );
    target.check_invariants().unwrap();
}

#[test]
fn metadata_capacity_is_a_hard_bound() {
    let config = Config::new(3).client(ClientConfig::new(A));
    let mut store = store_with(config, 8);
    let swap = store.new_pool(A, PoolFlags::PERSISTENT, NO_UUID).unwrap();
    for index in 0..3 {
        store
            .put_page(A, swap, OBJ, index, &[0u8; PAGE_SIZE])
            .unwrap();
    }
    assert_eq!(
        store.put_page(A, swap, OBJ, 3, &[0u8; PAGE_SIZE]),
        Err(TmemError::NoMemory)
    );
    assert_eq!(store.usage().max_pages, 3);
    assert!(Store::new(Config::new(0), VecFrames::new(1)).is_err());
    let duplicate = Config::new(4)
        .client(ClientConfig::new(A))
        .client(ClientConfig::new(A));
    assert_eq!(
        Store::new(duplicate, VecFrames::new(1)).err(),
        Some(ConfigError::DuplicateClient)
    );
    let bad_grant = Config::new(4).shared_pool(PoolUuid(1), &[A]);
    assert_eq!(
        Store::new(bad_grant, VecFrames::new(1)).err(),
        Some(ConfigError::GrantForUnknownClient)
    );
}
