//! Frontswap over the fake server in every exchange mode: round trips,
//! misses, invalidation, refusals and the counters.

mod fake;

use fake::{pattern, store, FakeTransport};
use tmem_client::{Frontswap, FrontswapStats, Status, TmemClientError, Transport};
use tmem_protocol::{ExchangeMode, Reply, Request};

#[test]
fn many_pages_round_trip_in_every_mode() {
    for mode in ExchangeMode::ALL {
        let server = store(256, u32::MAX);
        let mut transport = FakeTransport::new(&server, 1, mode);
        let mut swap = Frontswap::init(&mut transport, 3).unwrap();
        for offset in 0..100 {
            swap.store(&mut transport, offset, &pattern(offset))
                .unwrap();
        }
        let mut out = [0u8; 4096];
        for offset in (0..100).rev() {
            assert!(swap.load(&mut transport, offset, &mut out).unwrap());
            assert!(out == pattern(offset), "{mode:?} offset {offset}");
        }
        // Loads are not destructive in a persistent pool.
        assert!(swap.load(&mut transport, 42, &mut out).unwrap());
        assert_eq!(
            swap.stats(),
            FrontswapStats {
                stores: 100,
                loads: 101,
                ..FrontswapStats::default()
            }
        );
        // Every put named the swap type as a narrow object id.
        assert!(transport.requests.iter().all(|r| match r {
            Request::PutPage {
                handle, exchange, ..
            } => handle.object.low == 3 && !handle.object.needs_block() && *exchange == mode,
            _ => true,
        }));
    }
}

#[test]
fn in_place_round_trip_skips_the_copy() {
    let server = store(16, u32::MAX);
    let mut transport = FakeTransport::new(&server, 1, ExchangeMode::Copy);
    let mut swap = Frontswap::init(&mut transport, 0).unwrap();
    *transport.page_mut() = pattern(9);
    swap.store_in_place(&mut transport, 9).unwrap();
    transport.page_mut().fill(0);
    assert!(swap.load_in_place(&mut transport, 9).unwrap());
    assert!(*transport.page() == pattern(9));
}

#[test]
fn an_absent_page_misses_and_counts_a_failed_load() {
    let server = store(16, u32::MAX);
    let mut transport = FakeTransport::new(&server, 1, ExchangeMode::Transfer);
    let mut swap = Frontswap::init(&mut transport, 0).unwrap();
    let mut out = [0x55u8; 4096];
    assert_eq!(swap.load(&mut transport, 7, &mut out), Ok(false));
    assert!(out.iter().all(|&b| b == 0x55), "a miss leaves `out` alone");
    assert_eq!(swap.stats().failed_loads, 1);
    assert_eq!(swap.stats().loads, 0);
}

#[test]
fn invalidated_pages_miss_and_the_rest_stay() {
    let server = store(64, u32::MAX);
    let mut transport = FakeTransport::new(&server, 1, ExchangeMode::GrantMap);
    let mut swap = Frontswap::init(&mut transport, 1).unwrap();
    for offset in 0..20 {
        swap.store(&mut transport, offset, &pattern(offset))
            .unwrap();
    }
    for offset in (0..20).step_by(2) {
        assert_eq!(swap.invalidate_page(&mut transport, offset), Ok(true));
    }
    assert_eq!(swap.invalidate_page(&mut transport, 0), Ok(false));
    let mut out = [0u8; 4096];
    for offset in 0..20 {
        let found = swap.load(&mut transport, offset, &mut out).unwrap();
        assert_eq!(found, offset % 2 == 1, "offset {offset}");
        if found {
            assert!(out == pattern(offset));
        }
    }
    assert_eq!(swap.invalidate_area(&mut transport), Ok(10));
    assert_eq!(swap.load(&mut transport, 1, &mut out), Ok(false));
    let stats = swap.stats();
    assert_eq!(
        (stats.invalidates, stats.loads, stats.failed_loads),
        (12, 10, 11)
    );
}

#[test]
fn a_refused_store_counts_and_is_an_error() {
    // Client 1 may keep only 2 persistent pages.
    let server = store(16, 2);
    let mut transport = FakeTransport::new(&server, 1, ExchangeMode::Copy);
    let mut swap = Frontswap::init(&mut transport, 0).unwrap();
    swap.store(&mut transport, 0, &pattern(0)).unwrap();
    swap.store(&mut transport, 1, &pattern(1)).unwrap();
    assert_eq!(
        swap.store(&mut transport, 2, &pattern(2)),
        Err(TmemClientError::Refused(Status::QuotaExceeded))
    );
    // A scripted NoMemory refusal.
    transport.next_reply = Some((
        Reply::Failed {
            op: None,
            status: Status::NoMemory,
        }
        .encode(),
        Reply::WORDS,
    ));
    assert_eq!(
        swap.store(&mut transport, 3, &pattern(3)),
        Err(TmemClientError::Refused(Status::NoMemory))
    );
    assert_eq!(swap.stats().stores, 2);
    assert_eq!(swap.stats().failed_stores, 2);
    let mut out = [0u8; 4096];
    assert_eq!(swap.load(&mut transport, 2, &mut out), Ok(false));
}

#[test]
fn init_fails_cleanly_for_an_unknown_client() {
    let server = store(16, u32::MAX);
    let mut transport = FakeTransport::new(&server, 99, ExchangeMode::Copy);
    assert_eq!(
        Frontswap::init(&mut transport, 0).unwrap_err(),
        TmemClientError::Refused(Status::UnknownClient)
    );
}

#[test]
fn after_the_server_restarts_the_store_in_flight_is_invalidated_and_the_rest_is_there() {
    let server = store(64, u32::MAX);
    let mut transport = FakeTransport::new(&server, 1, ExchangeMode::Copy);
    let mut swap = Frontswap::init(&mut transport, 1).unwrap();
    for offset in 0..5 {
        swap.store(&mut transport, offset, &pattern(offset))
            .unwrap();
    }
    // The server stores offset 5 and dies before it replies.
    transport.dies_after_serving = true;
    let error = swap.store(&mut transport, 5, &pattern(5)).unwrap_err();
    assert!(tmem_client::peer_gone(&error));
    // Until it reconnects, nothing more changes: not even a call is made.
    let sent = transport.requests.len();
    transport.down = 3;
    assert!(swap.store(&mut transport, 6, &pattern(6)).is_err());
    assert_eq!(transport.requests.len(), sent);
    // Three tries find the server down; the fourth invalidates offset 5.
    let mut waits = 0;
    swap.reconnect(&mut transport, 10, || waits += 1).unwrap();
    assert_eq!(waits, 3);
    let mut out = [0u8; 4096];
    assert!(
        !swap.load(&mut transport, 5, &mut out).unwrap(),
        "unknown outcome: invalidated"
    );
    for offset in 0..5 {
        assert!(swap.load(&mut transport, offset, &mut out).unwrap());
        assert!(out == pattern(offset), "offset {offset}");
    }
    swap.store(&mut transport, 6, &pattern(6)).unwrap();
    // A server that stays down: reconnecting gives up after its tries.
    transport.down = 5;
    transport.dies_after_serving = false;
    let mut waits = 0;
    let error = swap
        .reconnect(&mut transport, 4, || waits += 1)
        .unwrap_err();
    assert!(tmem_client::peer_gone(&error) && waits == 4);
}
