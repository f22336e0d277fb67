//! guest-mm's tmem ports over tmem-client, against the fake tmem server
//! (a real tmem store behind the wire encoding) in every exchange mode:
//! pages round-trip, a refusal is a refusal, a lost reply is a failure
//! and never a page, and cleancache turns every failure into a miss.

#[path = "../../../tmem-client/tests/fake/mod.rs"]
mod fake;

use std::cell::RefCell;

use fake::{pattern, store, FakeTransport};
use guest_mm::{Cleancache, FileId, Frontswap, FrontswapError};
use guest_os_kernel::tmem::{TmemCleancache, TmemFrontswap};
use tmem_protocol::ExchangeMode;

#[test]
fn frontswap_pages_round_trip_and_invalidate_in_every_mode() {
    for mode in ExchangeMode::ALL {
        let server = store(64, u32::MAX);
        let transport = RefCell::new(FakeTransport::new(&server, 1, mode));
        let mut swap = TmemFrontswap::open(&transport, 0).unwrap();
        for offset in 0..20 {
            swap.store(0, offset, &pattern(offset)).unwrap();
        }
        let mut out = [0u8; 4096];
        for offset in (0..20).rev() {
            assert_eq!(swap.load(0, offset, &mut out), Ok(true), "{mode:?}");
            assert!(out == pattern(offset), "{mode:?} offset {offset}");
        }
        swap.invalidate_page(0, 7);
        let before = out;
        assert_eq!(swap.load(0, 7, &mut out), Ok(false), "{mode:?}");
        assert!(out == before, "a miss leaves the buffer untouched");
        assert_eq!(
            server
                .borrow()
                .client_info(tmem_store::ClientId(1))
                .unwrap()
                .persistent_pages,
            19,
            "{mode:?}"
        );
        assert_eq!(swap.failed_invalidates(), 0);
    }
}

#[test]
fn frontswap_refuses_past_the_clients_cap_and_keeps_nothing_for_the_offset() {
    let server = store(64, 3);
    let transport = RefCell::new(FakeTransport::new(&server, 1, ExchangeMode::Copy));
    let mut swap = TmemFrontswap::open(&transport, 0).unwrap();
    for offset in 0..3 {
        swap.store(0, offset, &pattern(offset)).unwrap();
    }
    assert_eq!(swap.store(0, 3, &pattern(3)), Err(FrontswapError::Refused));
    assert!(swap.last_error().is_some());
    let mut out = [0u8; 4096];
    assert_eq!(swap.load(0, 3, &mut out), Ok(false));
    // A refused replacement removes the old copy: stale data never reads.
    assert_eq!(
        swap.store(0, 1, &pattern(99)).map_err(|_| ()),
        Ok(()),
        "a duplicate put of an existing page fits"
    );
    assert_eq!(swap.load(0, 1, &mut out), Ok(true));
    assert!(out == pattern(99));
}

#[test]
fn frontswap_names_only_its_own_swap_type() {
    let server = store(64, u32::MAX);
    let transport = RefCell::new(FakeTransport::new(&server, 1, ExchangeMode::GrantMap));
    let mut swap = TmemFrontswap::open(&transport, 2).unwrap();
    assert_eq!(swap.store(1, 0, &pattern(1)), Err(FrontswapError::Refused));
    let mut out = [0u8; 4096];
    assert_eq!(swap.load(1, 0, &mut out), Ok(false));
    assert_eq!(
        server
            .borrow()
            .client_info(tmem_store::ClientId(1))
            .unwrap()
            .persistent_pages,
        0
    );
}

#[test]
fn a_lost_reply_is_a_failure_never_a_page() {
    let server = store(64, u32::MAX);
    let transport = RefCell::new(FakeTransport::new(&server, 1, ExchangeMode::Copy));
    let mut swap = TmemFrontswap::open(&transport, 0).unwrap();
    swap.store(0, 5, &pattern(5)).unwrap();
    // A reply of no words does not decode.
    transport.borrow_mut().next_reply = Some(([0; 4], 0));
    assert_eq!(swap.store(0, 6, &pattern(6)), Err(FrontswapError::Failed));
    transport.borrow_mut().next_reply = Some(([0; 4], 0));
    let mut out = [0u8; 4096];
    assert_eq!(swap.load(0, 5, &mut out), Err(FrontswapError::Failed));
    transport.borrow_mut().next_reply = Some(([0; 4], 0));
    swap.invalidate_page(0, 5);
    assert_eq!(swap.failed_invalidates(), 1);
}

#[test]
fn cleancache_hits_what_it_kept_and_gets_are_exclusive() {
    for mode in ExchangeMode::ALL {
        let server = store(64, u32::MAX);
        let transport = RefCell::new(FakeTransport::new(&server, 1, mode));
        let mut cache = TmemCleancache::open(&transport).unwrap();
        assert!(cache.put_page(FileId(3), 0, &pattern(30)));
        assert!(cache.put_page(FileId(4), 0, &pattern(40)));
        let mut out = [0u8; 4096];
        assert!(cache.get_page(FileId(3), 0, &mut out), "{mode:?}");
        assert!(out == pattern(30), "{mode:?}");
        assert!(
            !cache.get_page(FileId(3), 0, &mut out),
            "private gets are exclusive"
        );
        assert!(cache.get_page(FileId(4), 0, &mut out));
        assert!(out == pattern(40), "files are told apart: {mode:?}");
        assert!(!cache.get_page(FileId(5), 0, &mut out));
        assert_eq!(cache.stats().succ_gets, 2);
    }
}

#[test]
fn cleancache_turns_a_lost_reply_into_a_miss() {
    let server = store(64, u32::MAX);
    let transport = RefCell::new(FakeTransport::new(&server, 1, ExchangeMode::Transfer));
    let mut cache = TmemCleancache::open(&transport).unwrap();
    assert!(cache.put_page(FileId(1), 2, &pattern(12)));
    transport.borrow_mut().next_reply = Some(([0; 4], 0));
    let mut out = [0u8; 4096];
    assert!(!cache.get_page(FileId(1), 2, &mut out));
    transport.borrow_mut().next_reply = Some(([0; 4], 0));
    assert!(!cache.put_page(FileId(1), 3, &pattern(13)));
}

#[test]
fn frontswap_and_cleancache_share_one_connection() {
    let server = store(64, u32::MAX);
    let transport = RefCell::new(FakeTransport::new(&server, 1, ExchangeMode::Copy));
    let mut swap = TmemFrontswap::open(&transport, 0).unwrap();
    let mut cache = TmemCleancache::open(&transport).unwrap();
    swap.store(0, 0, &pattern(1)).unwrap();
    assert!(cache.put_page(FileId(0), 0, &pattern(2)));
    let mut out = [0u8; 4096];
    assert_eq!(swap.load(0, 0, &mut out), Ok(true));
    assert!(out == pattern(1), "the pools do not mix");
    assert!(cache.get_page(FileId(0), 0, &mut out));
    assert!(out == pattern(2));
}
