//! Cleancache over the fake server: exclusive gets, wide keys, shared
//! pools, eviction, invalidation and the counters.

mod fake;

use fake::{pattern, store, FakeTransport, SHARED_UUID};
use tmem_client::{Cleancache, CleancacheStats, ObjectId, Status, TmemClientError};
use tmem_protocol::{ExchangeMode, Request};

#[test]
fn private_gets_are_exclusive() {
    for mode in ExchangeMode::ALL {
        let server = store(16, u32::MAX);
        let mut transport = FakeTransport::new(&server, 1, mode);
        let mut cache = Cleancache::new();
        let pool = cache.init_fs(&mut transport).unwrap();
        let inode = ObjectId([1234, 0, 0]);
        cache
            .put_page(&mut transport, pool, inode, 5, &pattern(5))
            .unwrap();
        let mut out = [0u8; 4096];
        assert_eq!(
            cache.get_page(&mut transport, pool, inode, 5, &mut out),
            Ok(true)
        );
        assert!(out == pattern(5));
        assert_eq!(
            cache.get_page(&mut transport, pool, inode, 5, &mut out),
            Ok(false)
        );
        assert_eq!(
            cache.stats(),
            CleancacheStats {
                succ_gets: 1,
                failed_gets: 1,
                puts: 1,
                ..CleancacheStats::default()
            }
        );
    }
}

#[test]
fn wide_keys_are_distinct_pages() {
    let server = store(32, u32::MAX);
    let mut transport = FakeTransport::new(&server, 1, ExchangeMode::Copy);
    let mut cache = Cleancache::new();
    let pool = cache.init_fs(&mut transport).unwrap();
    // Same word 0, different tails: three different files.
    let keys = [
        ObjectId([9, 0, 0]),
        ObjectId([9, 1, 0]),
        ObjectId([9, 0, u64::MAX]),
    ];
    for (i, key) in keys.iter().enumerate() {
        cache
            .put_page(&mut transport, pool, *key, 0, &pattern(i as u32))
            .unwrap();
    }
    let wide_puts = transport
        .requests
        .iter()
        .filter(|r| matches!(r, Request::PutPage { handle, .. } if handle.object.needs_block()))
        .count();
    assert_eq!(wide_puts, 2);
    let mut out = [0u8; 4096];
    for (i, key) in keys.iter().enumerate().rev() {
        assert_eq!(
            cache.get_page(&mut transport, pool, *key, 0, &mut out),
            Ok(true)
        );
        assert!(out == pattern(i as u32), "key {i}");
    }
    // Wide flushes reach the right object too.
    cache
        .put_page(&mut transport, pool, keys[1], 1, &pattern(10))
        .unwrap();
    cache
        .put_page(&mut transport, pool, keys[1], 2, &pattern(11))
        .unwrap();
    cache
        .put_page(&mut transport, pool, keys[2], 1, &pattern(12))
        .unwrap();
    assert_eq!(
        cache.invalidate_page(&mut transport, pool, keys[1], 1),
        Ok(true)
    );
    assert_eq!(cache.invalidate_inode(&mut transport, pool, keys[1]), Ok(1));
    assert_eq!(
        cache.get_page(&mut transport, pool, keys[2], 1, &mut out),
        Ok(true)
    );
    assert!(out == pattern(12));
    assert_eq!(cache.stats().invalidates, 2);
}

#[test]
fn more_puts_than_frames_evict_and_hits_are_intact() {
    let server = store(8, u32::MAX);
    let mut transport = FakeTransport::new(&server, 1, ExchangeMode::Transfer);
    let mut cache = Cleancache::new();
    let pool = cache.init_fs(&mut transport).unwrap();
    let inode = ObjectId([1, 0, 0]);
    for index in 0..40 {
        cache
            .put_page(&mut transport, pool, inode, index, &pattern(index))
            .unwrap();
    }
    let mut out = [0u8; 4096];
    let mut hits = 0;
    for index in 0..40 {
        if cache
            .get_page(&mut transport, pool, inode, index, &mut out)
            .unwrap()
        {
            assert!(out == pattern(index), "index {index}");
            hits += 1;
        }
    }
    assert!(hits > 0 && hits <= 8, "{hits} hits");
    let stats = cache.stats();
    assert_eq!(
        (stats.puts, stats.succ_gets, stats.failed_gets),
        (40, hits, 40 - hits)
    );
}

#[test]
fn shared_pools_are_joined_by_uuid_and_gets_are_not_exclusive() {
    let server = store(16, u32::MAX);
    let mut a = FakeTransport::new(&server, 1, ExchangeMode::Copy);
    let mut b = FakeTransport::new(&server, 2, ExchangeMode::GrantMap);
    let (mut cache_a, mut cache_b) = (Cleancache::new(), Cleancache::new());
    let pool_a = cache_a.init_shared_fs(&mut a, SHARED_UUID).unwrap();
    let pool_b = cache_b.init_shared_fs(&mut b, SHARED_UUID).unwrap();
    let key = ObjectId([77, 0, 0]);
    cache_a
        .put_page(&mut a, pool_a, key, 3, &pattern(3))
        .unwrap();
    let mut out = [0u8; 4096];
    for _ in 0..2 {
        assert_eq!(cache_b.get_page(&mut b, pool_b, key, 3, &mut out), Ok(true));
        assert!(out == pattern(3));
    }
    // A UUID nobody is authorised for.
    assert_eq!(
        cache_a.init_shared_fs(&mut a, 8),
        Err(TmemClientError::Refused(Status::Unauthorized))
    );
    cache_b.invalidate_fs(&mut b, pool_b).unwrap();
    assert_eq!(cache_a.get_page(&mut a, pool_a, key, 3, &mut out), Ok(true));
}

#[test]
fn a_destroyed_pool_refuses() {
    let server = store(16, u32::MAX);
    let mut transport = FakeTransport::new(&server, 1, ExchangeMode::Copy);
    let mut cache = Cleancache::new();
    let pool = cache.init_fs(&mut transport).unwrap();
    cache.invalidate_fs(&mut transport, pool).unwrap();
    let key = ObjectId([1, 0, 0]);
    assert_eq!(
        cache.put_page(&mut transport, pool, key, 0, &pattern(0)),
        Err(TmemClientError::Refused(Status::NoSuchPool))
    );
    let mut out = [0u8; 4096];
    assert_eq!(
        cache.get_page(&mut transport, pool, key, 0, &mut out),
        Err(TmemClientError::Refused(Status::NoSuchPool))
    );
    let stats = cache.stats();
    assert_eq!(
        (stats.failed_puts, stats.failed_gets, stats.invalidates),
        (1, 1, 1)
    );
}
