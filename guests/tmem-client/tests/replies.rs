//! Bad replies: junk words, replies to another request, replies of the
//! wrong length. Each is an error, never a panic.

mod fake;

use fake::{pattern, store, FakeTransport};
use tmem_client::{
    Cleancache, Frontswap, ObjectId, PoolId, Reply, TmemClientError, Transport, TransportError,
};
use tmem_protocol::{DecodeError, ExchangeMode, Request, Slot};

fn setup() -> (FakeTransport, Frontswap) {
    let server = store(16, u32::MAX);
    let mut transport = FakeTransport::new(&server, 1, ExchangeMode::Copy);
    let swap = Frontswap::init(&mut transport, 0).unwrap();
    (transport, swap)
}

#[test]
fn garbage_words_are_a_transport_error() {
    let (mut transport, mut swap) = setup();
    transport.next_reply = Some(([0xFFFF_FFFF; 4], 2));
    let error = swap.store(&mut transport, 0, &pattern(0)).unwrap_err();
    assert_eq!(
        error,
        TmemClientError::Transport(TransportError::Decode(DecodeError::BadVersion {
            found: 15
        }))
    );
    assert_eq!(swap.stats().failed_stores, 1);
    let mut out = [0u8; 4096];
    for (words, len) in [
        ([0u32; 4], 0),
        ([0; 4], 2),
        (Reply::PageGot.encode(), 4),
        (Reply::PageGot.encode(), 1),
    ] {
        transport.next_reply = Some((words, len));
        assert!(matches!(
            swap.load(&mut transport, 0, &mut out),
            Err(TmemClientError::Transport(TransportError::Decode(_)))
        ));
    }
    assert_eq!(swap.stats().failed_loads, 4);
}

#[test]
fn every_word_pattern_is_an_error_or_a_reply_without_panicking() {
    let (mut transport, mut swap) = setup();
    let mut out = [0u8; 4096];
    let mut seed = 0x1234_5678u32;
    for i in 0..2000 {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let words = [seed & 0x00FF_FFFF | 1 << 8, seed >> 20, seed, !seed];
        transport.next_reply = Some((words, i % 5));
        let _ = swap.load(&mut transport, 0, &mut out);
        transport.next_reply = Some((words, i % 5));
        let _ = swap.store(&mut transport, 0, &pattern(0));
    }
}

#[test]
fn a_reply_to_another_request_is_unexpected() {
    let (mut transport, mut swap) = setup();
    transport.next_reply = Some((Reply::PoolDestroyed.encode(), Reply::WORDS));
    assert_eq!(
        swap.store(&mut transport, 0, &pattern(0)),
        Err(TmemClientError::UnexpectedReply(Reply::PoolDestroyed))
    );
    let mut cache = Cleancache::new();
    transport.next_reply = Some((Reply::PagePut.encode(), Reply::WORDS));
    assert_eq!(
        cache.init_fs(&mut transport),
        Err(TmemClientError::UnexpectedReply(Reply::PagePut))
    );
    let pool = PoolId::new(0).unwrap();
    transport.next_reply = Some((Reply::PageFlushed { found: true }.encode(), Reply::WORDS));
    let mut out = [0u8; 4096];
    assert_eq!(
        cache.get_page(&mut transport, pool, ObjectId([1, 0, 0]), 0, &mut out),
        Err(TmemClientError::UnexpectedReply(Reply::PageFlushed {
            found: true
        }))
    );
    assert_eq!(out, [0u8; 4096], "an unexpected reply copies nothing");
}

#[test]
fn a_mode_the_server_does_not_offer_is_refused() {
    let (mut transport, mut swap) = setup();
    // The server thinks this client is grant-map.
    transport.mode = ExchangeMode::GrantMap;
    let request = Request::PutPage {
        handle: tmem_protocol::Handle::default().head(),
        exchange: ExchangeMode::Copy,
        slot: Slot::FIRST,
    };
    assert_eq!(
        transport.call(request),
        Ok(Reply::Failed {
            op: Some(tmem_protocol::Opcode::PutPage),
            status: tmem_client::Status::NotSupported
        })
    );
    // The frontend names the transport's mode, so it works.
    swap.store(&mut transport, 0, &pattern(0)).unwrap();
}
