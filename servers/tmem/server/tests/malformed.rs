//! Random malformed messages against a service holding every client's
//! pages, as the partition answers them (decoded once; a message that does
//! not decode is refused without reaching the service): every message gets
//! a reply that decodes; one that does not decode, and any refused request
//! but a put (a failed put drops the caller's old copy, as tmem says),
//! changes nothing; and whatever one client sends, the other clients'
//! counts stay as they were, the pages of clients that have sent nothing
//! read back intact, and the store's invariants hold.

use proptest::prelude::*;
use tmem_protocol::*;
use tmem_server::{ClientPages, FrameCounts, Service};
use tmem_store::VecFrames;

mod common;
use common::{call, config, Memory};

const CLIENTS: [u32; 3] = [1, 2, 3];
/// Objects each client keeps in its persistent pool.
const OBJECTS: [u64; 2] = [1, 2];

fn mode(client: u32) -> ExchangeMode {
    [
        ExchangeMode::Copy,
        ExchangeMode::GrantMap,
        ExchangeMode::Transfer,
    ][client as usize - 1]
}

/// A caller's memory: a window of two slots filled with `fill` but for
/// its request blocks, and a frame of `frame_pages` pages, if any.
fn memory(frame_pages: Option<usize>, fill: u8) -> Memory {
    let mut window = vec![fill; window_size(2).unwrap()];
    // The request blocks: a shared pool's UUID, a wide id's tail.
    window[..REQUEST_BLOCK_SIZE * 2].fill(0);
    Memory {
        window,
        frame: frame_pages.map(|pages| vec![[fill; PAGE_SIZE]; pages]),
    }
}

/// How `client` passes one page.
fn memory_for(client: u32, fill: u8) -> Memory {
    memory((client != 1).then_some(1), fill)
}

fn pattern(client: u32, object: u64) -> [u8; PAGE_SIZE] {
    let mut page = [0u8; PAGE_SIZE];
    let seed = client * 31 + object as u32;
    for (i, word) in page.chunks_mut(4).enumerate() {
        word.copy_from_slice(&(seed.wrapping_mul(2_654_435_761) ^ i as u32).to_le_bytes());
    }
    page
}

fn handle(pool: PoolId, object: u64) -> HandleHead {
    Handle {
        pool,
        object: ObjectId([object, 0, 0]),
        index: 0,
    }
    .head()
}

/// A service where every client has a persistent pool (local id 0)
/// holding `OBJECTS`.
fn stocked() -> Service<VecFrames> {
    let mut service = Service::new(
        config(),
        VecFrames::new(32),
        64,
        tmem_store::derive_index_key(b"test", &[2]),
    )
    .unwrap();
    for client in CLIENTS {
        let mut memory = memory_for(client, 0);
        let flags = PoolFlags {
            persistent: true,
            shared: false,
        };
        let reply = call(
            &mut service,
            client,
            &mut memory,
            Request::NewPool {
                flags,
                slot: Slot::FIRST,
            },
        );
        let Reply::PoolCreated { pool } = reply else {
            panic!("new pool: {reply:?}");
        };
        assert_eq!(pool, PoolId::new(0).unwrap());
        for object in OBJECTS {
            let mut memory = memory_for(client, 0);
            *memory.page(Slot::FIRST, 0).unwrap() = pattern(client, object);
            let request = Request::PutPage {
                handle: handle(pool, object),
                exchange: mode(client),
                slot: Slot::FIRST,
            };
            assert_eq!(
                call(&mut service, client, &mut memory, request),
                Reply::PagePut
            );
        }
    }
    service
}

/// Whether `client`'s kept pages all read back as put.
fn intact(service: &mut Service<VecFrames>, client: u32) -> bool {
    OBJECTS.iter().all(|&object| {
        let mut memory = memory_for(client, 0xEE);
        let request = Request::GetPage {
            handle: handle(PoolId::new(0).unwrap(), object),
            exchange: mode(client),
            slot: Slot::FIRST,
        };
        call(service, client, &mut memory, request) == Reply::PageGot
            && *memory.page(Slot::FIRST, 0).unwrap() == pattern(client, object)
    })
}

/// What a refusal must leave as it was: the store's usage and each
/// client's page counts, pools and settings.
fn state(service: &mut Service<VecFrames>) -> (ControlResponse, Vec<ControlResponse>) {
    let mut ask = |request| service.control(request, FrameCounts::default()).unwrap();
    let usage = ask(ControlRequest::Usage);
    let clients = CLIENTS
        .iter()
        .map(|&client| {
            ask(ControlRequest::ClientInfo {
                client: ClientId(client),
            })
        })
        .collect();
    (usage, clients)
}

/// A message: a request's words (any opcode number, pool, mode, small
/// handle fields, usually no WIDE bit or run length, usually the length
/// its opcode needs), often with one or two bits flipped anywhere or any
/// length, from any badge, with or without a frame of 0 to 3 pages.
#[derive(Clone, Debug)]
struct Message {
    words: [u32; MESSAGE_WORDS],
    len: usize,
    badge: u32,
    frame_pages: Option<usize>,
}

fn message() -> impl Strategy<Value = Message> {
    let version = Request::DestroyPool {
        pool: PoolId::new(0).unwrap(),
    }
    .encode()[0]
        & 0xF00;
    let bits_23_18 = prop_oneof![3 => Just(0u32), 1 => 0u32..64];
    let flips = prop_oneof![
        2 => Just(Vec::new()),
        1 => proptest::collection::vec(0u32..128, 1..=2),
    ];
    let len = prop_oneof![3 => Just(None), 1 => (0usize..=4).prop_map(Some)];
    (
        (0u32..=10, 0u32..3, 0u32..4, bits_23_18, 0u32..3),
        (0u32..3, 0u32..4, 0u32..3),
        flips,
        len,
        0u32..=4,
        proptest::option::of(0usize..=3),
    )
        .prop_map(
            move |(
                (opcode, pool, mode, bits_23_18, slot),
                (w1, w2, w3),
                flips,
                len,
                badge,
                frame_pages,
            )| {
                let mut words = [
                    opcode | version | pool << 12 | mode << 16 | bits_23_18 << 18 | slot << 24,
                    w1,
                    w2,
                    w3,
                ];
                for bit in flips {
                    words[bit as usize / 32] ^= 1 << (bit % 32);
                }
                let needed = Opcode::from_u8(opcode as u8).map_or(1, Opcode::request_words);
                Message {
                    words,
                    len: len.unwrap_or(needed),
                    badge,
                    frame_pages,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_malformed_message_gets_an_error_reply_and_loses_nothing(
        messages in proptest::collection::vec(message(), 1..12),
    ) {
        let mut service = stocked();
        let mut senders = std::collections::BTreeSet::new();
        for message in messages {
            let before = state(&mut service);
            let mut memory = memory(message.frame_pages, 0x5A);
            let decoded = Request::decode(message.words, message.len);
            let reply = match decoded {
                Ok(request) => call(&mut service, message.badge, &mut memory, request),
                Err(error) => Reply::rejecting(message.words, error),
            };
            prop_assert_eq!(Reply::decode(reply.encode(), Reply::WORDS), Ok(reply));
            let refused = matches!(reply, Reply::Failed { .. });
            prop_assert!(decoded.is_ok() || refused, "{:?}: {:?}", message, reply);
            let put = matches!(decoded, Ok(Request::PutPage { .. } | Request::PutRun { .. }));
            if refused && !put {
                prop_assert_eq!(&state(&mut service), &before, "{:?}: {:?}", message, reply);
            }
            if decoded.is_ok() {
                senders.insert(message.badge);
            }
            let after = state(&mut service);
            for (i, client) in CLIENTS.into_iter().enumerate() {
                if client == message.badge {
                    continue;
                }
                prop_assert_eq!(after.1[i], before.1[i], "client {} after {:?}: {:?}", client, message, reply);
                // Its own earlier requests may have changed its pages.
                if !senders.contains(&client) {
                    prop_assert!(intact(&mut service, client), "client {} after {:?}: {:?}", client, message, reply);
                }
            }
            service.store().check_invariants().unwrap();
        }
    }
}
