//! Properties of the whole protocol: decoding is total (no input panics),
//! every typed message survives encode and decode, and every accepted
//! message has exactly one encoding.

use proptest::prelude::*;
use tmem_protocol::*;

fn slot() -> impl Strategy<Value = Slot> {
    (0..MAX_SLOTS as u32).prop_map(|n| Slot::new(n).unwrap())
}

fn pool() -> impl Strategy<Value = PoolId> {
    (0..MAX_POOLS as u32).prop_map(|n| PoolId::new(n).unwrap())
}

fn tail() -> impl Strategy<Value = ObjectTail> {
    prop_oneof![Just(ObjectTail::Zero), Just(ObjectTail::InRequestBlock)]
}

fn object() -> impl Strategy<Value = ObjectHead> {
    (any::<u64>(), tail()).prop_map(|(low, tail)| ObjectHead { low, tail })
}

fn handle() -> impl Strategy<Value = HandleHead> {
    (pool(), object(), any::<u32>()).prop_map(|(pool, object, index)| HandleHead {
        pool,
        object,
        index,
    })
}

fn run() -> impl Strategy<Value = PageRun> {
    (pool(), any::<u64>(), 1..=MAX_RUN, any::<u32>()).prop_map(|(pool, object, pages, first)| {
        let len = RunLength::new(pages).unwrap();
        let first = first.min(u32::MAX - (pages as u32 - 1));
        PageRun::new(pool, object, first, len).unwrap()
    })
}

fn mode() -> impl Strategy<Value = ExchangeMode> {
    prop_oneof![
        Just(ExchangeMode::Copy),
        Just(ExchangeMode::GrantMap),
        Just(ExchangeMode::Transfer)
    ]
}

fn request() -> impl Strategy<Value = Request> {
    prop_oneof![
        (any::<bool>(), any::<bool>(), slot()).prop_map(|(persistent, shared, slot)| {
            Request::NewPool {
                flags: PoolFlags { persistent, shared },
                slot,
            }
        }),
        pool().prop_map(|pool| Request::DestroyPool { pool }),
        (handle(), mode(), slot()).prop_map(|(handle, exchange, slot)| Request::PutPage {
            handle,
            exchange,
            slot
        }),
        (handle(), mode(), slot()).prop_map(|(handle, exchange, slot)| Request::GetPage {
            handle,
            exchange,
            slot
        }),
        (handle(), slot()).prop_map(|(handle, slot)| Request::FlushPage { handle, slot }),
        (run(), mode(), slot()).prop_map(|(run, exchange, slot)| Request::PutRun {
            run,
            exchange,
            slot
        }),
        (run(), mode(), slot()).prop_map(|(run, exchange, slot)| Request::GetRun {
            run,
            exchange,
            slot
        }),
        (pool(), object(), slot()).prop_map(|(pool, object, slot)| Request::FlushObject {
            pool,
            object,
            slot
        }),
        (slot(), 0..=CONTROL_MAX_BYTES as u16)
            .prop_map(|(slot, len)| Request::Control { slot, len }),
    ]
}

fn opcode() -> impl Strategy<Value = Option<Opcode>> {
    prop_oneof![
        Just(None),
        (0..Opcode::ALL.len()).prop_map(|i| Some(Opcode::ALL[i]))
    ]
}

fn reply() -> impl Strategy<Value = Reply> {
    prop_oneof![
        pool().prop_map(|pool| Reply::PoolCreated { pool }),
        Just(Reply::PoolDestroyed),
        Just(Reply::PagePut),
        Just(Reply::PageGot),
        any::<bool>().prop_map(|found| Reply::PageFlushed { found }),
        any::<u32>().prop_map(|pages| Reply::ObjectFlushed { pages }),
        (0..=CONTROL_MAX_BYTES as u16).prop_map(|len| Reply::ControlDone { len }),
        (0..=MAX_RUN as u32).prop_map(|pages| Reply::RunPut { pages }),
        (0..=MAX_RUN as u32).prop_map(|pages| Reply::RunGot { pages }),
        (opcode(), 0..Status::ALL.len()).prop_map(|(op, i)| Reply::Failed {
            op,
            status: Status::ALL[i]
        }),
    ]
}

/// Words that often get past the version check, so the deeper checks are
/// exercised too.
fn words() -> impl Strategy<Value = [u32; 4]> {
    let first = prop_oneof![
        any::<u32>(),
        any::<u32>().prop_map(|w| (w & !0xF00) | u32::from(PROTOCOL_VERSION) << 8),
        (0u32..12, any::<u32>())
            .prop_map(|(op, w)| { (w & 0xFF07_F000) | u32::from(PROTOCOL_VERSION) << 8 | op }),
    ];
    (first, any::<[u32; 3]>()).prop_map(|(w0, rest)| [w0, rest[0], rest[1], rest[2]])
}

fn control_request() -> impl Strategy<Value = ControlRequest> {
    let client = any::<u32>().prop_map(ClientId);
    prop_oneof![
        client
            .clone()
            .prop_map(|client| ControlRequest::Freeze { client }),
        client
            .clone()
            .prop_map(|client| ControlRequest::Thaw { client }),
        any::<u32>().prop_map(|count| ControlRequest::FlushPages { count }),
        Just(ControlRequest::QueryFreeable),
        (client.clone(), any::<u32>())
            .prop_map(|(client, weight)| ControlRequest::SetWeight { client, weight }),
        (client.clone(), any::<u32>())
            .prop_map(|(client, cap)| ControlRequest::SetPersistentCap { client, cap }),
        (client.clone(), any::<bool>())
            .prop_map(|(client, on)| ControlRequest::SetCompression { client, on }),
        Just(ControlRequest::Stats(StatsScope::Global)),
        client
            .clone()
            .prop_map(|c| ControlRequest::Stats(StatsScope::Client(c))),
        (client.clone(), pool())
            .prop_map(|(client, pool)| ControlRequest::Stats(StatsScope::Pool { client, pool })),
        Just(ControlRequest::Usage),
        Just(ControlRequest::CheckInvariants),
        Just(ControlRequest::Frames),
        Just(ControlRequest::Traffic),
        client.prop_map(|client| ControlRequest::ClientInfo { client }),
    ]
}

fn control_response() -> impl Strategy<Value = ControlResponse> {
    prop_oneof![
        Just(ControlResponse::Done),
        any::<u32>().prop_map(|pages| ControlResponse::Flushed { pages }),
        any::<u64>().prop_map(|pages| ControlResponse::Freeable { pages }),
        (any::<u32>(), any::<u64>())
            .prop_map(|(held, flipped)| ControlResponse::Frames { held, flipped }),
        (any::<u64>(), any::<u64>())
            .prop_map(|(read, written)| ControlResponse::Traffic(PageTraffic { read, written })),
        any::<[u64; 14]>().prop_map(|f| ControlResponse::Stats(OpStats {
            puts: f[0],
            good_puts: f[1],
            duplicate_puts_replaced: f[2],
            duplicate_puts_flushed: f[3],
            gets: f[4],
            found_gets: f[5],
            flushes: f[6],
            found_flushes: f[7],
            object_flushes: f[8],
            evictions: f[9],
            compressed_puts: f[10],
            compressed_bytes: f[11],
            zero_puts: f[12],
            shared_puts: f[13],
        })),
        (any::<[u32; 6]>(), any::<[u64; 4]>()).prop_map(|(a, b)| ControlResponse::Usage(Usage {
            frames_total: a[0],
            frames_free: a[1],
            frames_whole: a[2],
            frames_packed: a[3],
            ephemeral_pages: b[0],
            persistent_pages: b[1],
            zero_pages: b[2],
            contents: a[4],
            shared_pages: b[3],
            max_pages: a[5],
        })),
        (any::<[u64; 2]>(), any::<[u32; 3]>(), any::<[bool; 2]>()).prop_map(|(p, n, b)| {
            ControlResponse::ClientInfo(ClientInfo {
                ephemeral_pages: p[0],
                persistent_pages: p[1],
                weight: n[0],
                persistent_cap: n[1],
                compress: b[0],
                frozen: b[1],
                open_pools: n[2],
                exchange: n[0] as u8,
            })
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn requests_round_trip(request in request()) {
        let words = request.encode();
        let len = request.word_count();
        prop_assert_eq!(Request::decode(words, len), Ok(request));
        prop_assert!(words[len..].iter().all(|&w| w == 0));
    }

    #[test]
    fn replies_round_trip(reply in reply()) {
        prop_assert_eq!(Reply::decode(reply.encode(), Reply::WORDS), Ok(reply));
    }

    /// Total and strict: any words and length decode without panicking,
    /// and what decodes re-encodes to the same words (so every request has
    /// exactly one encoding), while what does not gets an error reply.
    #[test]
    fn request_decoding_is_total_and_canonical(words in words(), len in 0usize..7) {
        match Request::decode(words, len) {
            Ok(request) => {
                prop_assert_eq!(request.word_count(), len);
                prop_assert_eq!(&request.encode()[..len], &words[..len]);
            }
            Err(error) => {
                let reply = Reply::rejecting(words, error);
                prop_assert!(reply.status().is_some());
                prop_assert_eq!(Reply::decode(reply.encode(), Reply::WORDS), Ok(reply));
            }
        }
    }

    #[test]
    fn reply_decoding_is_total_and_canonical(words in words(), len in 0usize..7) {
        if let Ok(reply) = Reply::decode(words, len) {
            prop_assert_eq!(len, Reply::WORDS);
            prop_assert_eq!(&reply.encode()[..2], &words[..2]);
        }
    }

    #[test]
    fn full_handles_survive_registers_and_block(
        pool in pool(), object in any::<[u64; 3]>(), index in any::<u32>(), slot in slot(),
    ) {
        let handle = Handle { pool, object: ObjectId(object), index };
        let mut window = vec![0u8; window_size(MAX_SLOTS).unwrap()];
        if !handle.object.is_narrow() {
            *slot.block_mut(&mut window).unwrap() =
                RequestBlock::for_object(handle.object).to_bytes();
        }
        let request = Request::GetPage { handle: handle.head(), exchange: ExchangeMode::Transfer, slot };
        let Ok(Request::GetPage { handle: head, slot: got, .. }) =
            Request::decode(request.encode(), request.word_count())
        else {
            panic!("a get must decode as a get");
        };
        let full = head.complete(|| RequestBlock::from_bytes(got.block(&window).unwrap()));
        prop_assert_eq!(full, handle);
    }

    #[test]
    fn request_blocks_round_trip(bytes in any::<[u8; REQUEST_BLOCK_SIZE]>()) {
        prop_assert_eq!(RequestBlock::from_bytes(&bytes).to_bytes(), bytes);
    }

    #[test]
    fn control_decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(message) = decode_control::<ControlRequest>(&bytes) {
            let mut buffer = [0u8; 128];
            let len = encode_control(&message, &mut buffer).unwrap();
            prop_assert_eq!(decode_control::<ControlRequest>(&buffer[..len]), Ok(message));
        }
        let _ = decode_control::<ControlResponse>(&bytes);
    }

    #[test]
    fn control_messages_round_trip(request in control_request(), response in control_response()) {
        let mut buffer = [0u8; PAGE_SIZE];
        let len = encode_control(&request, &mut buffer).unwrap();
        prop_assert_eq!(decode_control::<ControlRequest>(&buffer[..len]), Ok(request));
        let len = encode_control(&response, &mut buffer).unwrap();
        prop_assert_eq!(decode_control::<ControlResponse>(&buffer[..len]), Ok(response));
    }
}

/// Every pattern of bits 18..0 of word 0 (opcode, version, pool, mode,
/// WIDE), exhaustively, with every length.
#[test]
fn every_header_pattern_decodes_or_errs() {
    let mut accepted = 0;
    for low in 0..=0x7_FFFFu32 {
        let word0 = low | 5 << 24;
        for len in 0..=4 {
            let words = [word0, 0, 1, 2];
            match Request::decode(words, len) {
                Ok(request) => {
                    accepted += 1;
                    assert_eq!(&request.encode()[..len], &words[..len]);
                }
                Err(error) => {
                    let _ = Reply::rejecting(words, error);
                }
            }
        }
    }
    // NewPool 1, PutPage and GetPage 16 pools x 3 modes x 2 WIDE each,
    // FlushPage and FlushObject 16 x 2 each, Control 1; DestroyPool none
    // (slot 5 is a field it lacks); PutRun and GetRun 16 x 3, with bit 18
    // (their length's lowest bit) 0 or 1.
    assert_eq!(accepted, 1 + 2 * 96 + 2 * 32 + 1 + 2 * 96);
}
