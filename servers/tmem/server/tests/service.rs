//! The service against a real store, with clients' windows and frames as
//! plain memory: identity from badges, modes from the configuration,
//! isolation of private pools, shared-pool authorisation, and an error
//! reply (never a crash) for anything malformed.

use tmem_protocol::*;
use tmem_server::{ClientPages, FrameCounts, Service};
use tmem_store::VecFrames;

mod common;
use common::{call, config, Memory};

fn service() -> Service<VecFrames> {
    Service::new(
        config(),
        VecFrames::new(8),
        32,
        tmem_store::derive_index_key(b"test", &[1]),
    )
    .unwrap()
}

/// Message words as the partition answers them: decoded once, a message
/// that does not decode refused without reaching the service.
fn call_words(
    service: &mut Service<VecFrames>,
    badge: u32,
    memory: &mut Memory,
    words: [u32; MESSAGE_WORDS],
    len: usize,
) -> Reply {
    match Request::decode(words, len) {
        Ok(request) => call(service, badge, memory, request),
        Err(error) => Reply::rejecting(words, error),
    }
}

fn new_pool(
    service: &mut Service<VecFrames>,
    badge: u32,
    memory: &mut Memory,
    persistent: bool,
) -> PoolId {
    let flags = PoolFlags {
        persistent,
        shared: false,
    };
    match call(
        service,
        badge,
        memory,
        Request::NewPool {
            flags,
            slot: Slot::FIRST,
        },
    ) {
        Reply::PoolCreated { pool } => pool,
        other => panic!("new pool: {other:?}"),
    }
}

fn handle(pool: PoolId, object: u64, index: u32) -> HandleHead {
    Handle {
        pool,
        object: ObjectId([object, 0, 0]),
        index,
    }
    .head()
}

fn put(pool: PoolId, object: u64, index: u32, exchange: ExchangeMode) -> Request {
    Request::PutPage {
        handle: handle(pool, object, index),
        exchange,
        slot: Slot::FIRST,
    }
}

fn get(pool: PoolId, object: u64, index: u32, exchange: ExchangeMode) -> Request {
    Request::GetPage {
        handle: handle(pool, object, index),
        exchange,
        slot: Slot::FIRST,
    }
}

fn pattern(seed: u32) -> [u8; PAGE_SIZE] {
    let mut page = [0u8; PAGE_SIZE];
    for (i, word) in page.chunks_mut(4).enumerate() {
        word.copy_from_slice(&(seed.wrapping_mul(2_654_435_761) ^ i as u32).to_le_bytes());
    }
    page
}

#[test]
fn copy_mode_round_trips_through_the_window() {
    let mut service = service();
    let mut memory = Memory::new();
    let pool = new_pool(&mut service, 1, &mut memory, true);
    for index in 0..8 {
        *memory.page(Slot::FIRST, 0).unwrap() = pattern(index);
        assert_eq!(
            call(
                &mut service,
                1,
                &mut memory,
                put(pool, 5, index, ExchangeMode::Copy)
            ),
            Reply::PagePut
        );
    }
    for index in (0..8).rev() {
        memory.page(Slot::FIRST, 0).unwrap().fill(0);
        assert_eq!(
            call(
                &mut service,
                1,
                &mut memory,
                get(pool, 5, index, ExchangeMode::Copy)
            ),
            Reply::PageGot
        );
        assert_eq!(*memory.page(Slot::FIRST, 0).unwrap(), pattern(index));
    }
}

#[test]
fn frame_modes_use_the_passed_frame_and_a_missing_frame_is_a_bad_request() {
    let mut service = service();
    let mut memory = Memory::new();
    let pool = new_pool(&mut service, 2, &mut memory, false);
    memory.frame = Some(vec![pattern(9)]);
    assert_eq!(
        call(
            &mut service,
            2,
            &mut memory,
            put(pool, 1, 0, ExchangeMode::GrantMap)
        ),
        Reply::PagePut
    );
    memory.frame = Some(vec![[0; PAGE_SIZE]]);
    assert_eq!(
        call(
            &mut service,
            2,
            &mut memory,
            get(pool, 1, 0, ExchangeMode::GrantMap)
        ),
        Reply::PageGot
    );
    assert_eq!(memory.frame.as_ref().unwrap()[0], pattern(9));
    assert_eq!(
        call(
            &mut service,
            2,
            &mut memory,
            get(pool, 1, 0, ExchangeMode::GrantMap)
        ),
        Reply::Failed {
            op: Some(Opcode::GetPage),
            status: Status::NotFound
        },
        "an ephemeral private get is exclusive"
    );
}

#[test]
fn the_mode_is_the_configured_one_and_the_caller_is_the_badge() {
    let mut service = service();
    let mut memory = Memory::new();
    let pool = new_pool(&mut service, 1, &mut memory, true);
    assert_eq!(
        call(
            &mut service,
            1,
            &mut memory,
            put(pool, 1, 0, ExchangeMode::Transfer)
        ),
        Reply::Failed {
            op: Some(Opcode::PutPage),
            status: Status::NotSupported
        }
    );
    assert_eq!(
        call(
            &mut service,
            4,
            &mut memory,
            put(pool, 1, 0, ExchangeMode::Copy)
        ),
        Reply::Failed {
            op: Some(Opcode::PutPage),
            status: Status::UnknownClient
        },
        "badge 4 is not configured"
    );
    assert_eq!(
        call(
            &mut service,
            1,
            &mut memory,
            Request::Control {
                slot: Slot::FIRST,
                len: 1
            }
        ),
        Reply::Failed {
            op: Some(Opcode::Control),
            status: Status::NotSupported
        },
        "control messages belong on the control endpoint"
    );
}

#[test]
fn a_client_cannot_reach_another_clients_private_pool_by_guessing() {
    let mut service = service();
    let (mut one, mut two) = (Memory::new(), Memory::new());
    let pool = new_pool(&mut service, 1, &mut one, true);
    *one.page(Slot::FIRST, 0).unwrap() = pattern(1);
    assert_eq!(
        call(
            &mut service,
            1,
            &mut one,
            put(pool, 1, 0, ExchangeMode::Copy)
        ),
        Reply::PagePut
    );
    for guess in 0..16 {
        let guess = PoolId::new(guess).unwrap();
        let reply = call(
            &mut service,
            2,
            &mut two,
            get(guess, 1, 0, ExchangeMode::GrantMap),
        );
        assert!(matches!(reply, Reply::Failed { .. }), "{reply:?}");
    }
    // Client 2's own pool with the same number holds only its own pages.
    two.frame = Some(vec![[0; PAGE_SIZE]]);
    let own = new_pool(&mut service, 2, &mut two, true);
    assert_eq!(own, pool);
    assert_eq!(
        call(
            &mut service,
            2,
            &mut two,
            get(own, 1, 0, ExchangeMode::GrantMap)
        ),
        Reply::Failed {
            op: Some(Opcode::GetPage),
            status: Status::NotFound
        }
    );
}

#[test]
fn only_authorised_clients_join_the_shared_pool() {
    let mut service = service();
    let mut memory = Memory::new();
    *Slot::FIRST.block_mut(&mut memory.window).unwrap() = RequestBlock::for_pool_uuid(7).to_bytes();
    let shared = Request::NewPool {
        flags: PoolFlags {
            persistent: false,
            shared: true,
        },
        slot: Slot::FIRST,
    };
    let a = call(&mut service, 1, &mut memory, shared);
    let b = call(&mut service, 2, &mut memory, shared);
    assert!(matches!(a, Reply::PoolCreated { .. }) && matches!(b, Reply::PoolCreated { .. }));
    assert_eq!(
        call(&mut service, 3, &mut memory, shared),
        Reply::Failed {
            op: Some(Opcode::NewPool),
            status: Status::Unauthorized
        }
    );
    let (Reply::PoolCreated { pool: pa }, Reply::PoolCreated { pool: pb }) = (a, b) else {
        unreachable!()
    };
    *memory.page(Slot::FIRST, 0).unwrap() = pattern(3);
    assert_eq!(
        call(
            &mut service,
            1,
            &mut memory,
            put(pa, 2, 2, ExchangeMode::Copy)
        ),
        Reply::PagePut
    );
    memory.frame = Some(vec![[0; PAGE_SIZE]]);
    for _ in 0..2 {
        assert_eq!(
            call(
                &mut service,
                2,
                &mut memory,
                get(pb, 2, 2, ExchangeMode::GrantMap)
            ),
            Reply::PageGot
        );
        assert_eq!(
            memory.frame.as_ref().unwrap()[0],
            pattern(3),
            "shared gets are not exclusive"
        );
    }
}

#[test]
fn malformed_requests_get_error_replies_and_the_service_goes_on() {
    let mut service = service();
    let mut memory = Memory::new();
    let pool = new_pool(&mut service, 1, &mut memory, true);
    let junk = [
        ([0xFFFF_FFFF; 4], 4),
        ([0; 4], 0),
        ([0; 4], 4),
        (put(pool, 1, 0, ExchangeMode::Copy).encode(), 2),
        (
            [
                put(pool, 1, 0, ExchangeMode::Copy).encode()[0] | 1 << 20,
                0,
                0,
                0,
            ],
            4,
        ),
        ([0x0000_0109, 0, 0, 0], 1),
    ];
    for (words, len) in junk {
        let reply = call_words(&mut service, 1, &mut memory, words, len);
        assert!(
            matches!(reply, Reply::Failed { .. }),
            "{words:x?}/{len}: {reply:?}"
        );
        assert_eq!(Reply::decode(reply.encode(), Reply::WORDS), Ok(reply));
    }
    *memory.page(Slot::FIRST, 0).unwrap() = pattern(4);
    assert_eq!(
        call(
            &mut service,
            1,
            &mut memory,
            put(pool, 1, 0, ExchangeMode::Copy)
        ),
        Reply::PagePut
    );
    service.store().check_invariants().unwrap();
}

#[test]
fn control_requests_read_and_steer_the_store() {
    let mut service = service();
    let mut memory = Memory::new();
    let pool = new_pool(&mut service, 1, &mut memory, false);
    *memory.page(Slot::FIRST, 0).unwrap() = pattern(5);
    call(
        &mut service,
        1,
        &mut memory,
        put(pool, 1, 0, ExchangeMode::Copy),
    );
    let info = service
        .control(
            ControlRequest::ClientInfo {
                client: ClientId(1),
            },
            FrameCounts::default(),
        )
        .unwrap();
    let ControlResponse::ClientInfo(info) = info else {
        panic!("{info:?}")
    };
    assert_eq!(
        (info.ephemeral_pages, info.exchange),
        (1, ExchangeMode::Copy.bits() as u8)
    );
    assert_eq!(
        service.control(
            ControlRequest::Freeze {
                client: ClientId(1)
            },
            FrameCounts::default()
        ),
        Ok(ControlResponse::Done)
    );
    assert_eq!(
        call(
            &mut service,
            1,
            &mut memory,
            put(pool, 1, 1, ExchangeMode::Copy)
        ),
        Reply::Failed {
            op: Some(Opcode::PutPage),
            status: Status::Frozen
        }
    );
    assert_eq!(
        service.control(
            ControlRequest::Freeze {
                client: ClientId(6)
            },
            FrameCounts::default()
        ),
        Err(Status::UnknownClient)
    );
    assert_eq!(
        service.control(
            ControlRequest::FlushPages { count: 10 },
            FrameCounts::default()
        ),
        Ok(ControlResponse::Flushed { pages: 1 })
    );
    assert_eq!(
        service.control(ControlRequest::CheckInvariants, FrameCounts::default()),
        Ok(ControlResponse::Done)
    );
    assert_eq!(
        service.control(
            ControlRequest::Frames,
            FrameCounts {
                held: 42,
                flipped: 7
            }
        ),
        Ok(ControlResponse::Frames {
            held: 42,
            flipped: 7
        })
    );
}

fn run(pool: PoolId, object: u64, first: u32, pages: usize) -> PageRun {
    PageRun::new(pool, object, first, RunLength::new(pages).unwrap()).unwrap()
}

fn put_run(run: PageRun, exchange: ExchangeMode) -> Request {
    Request::PutRun {
        run,
        exchange,
        slot: Slot::FIRST,
    }
}

fn get_run(run: PageRun, exchange: ExchangeMode) -> Request {
    Request::GetRun {
        run,
        exchange,
        slot: Slot::FIRST,
    }
}

#[test]
fn a_copy_mode_run_uses_consecutive_page_slots() {
    let mut service = service();
    let mut memory = Memory::with_slots(4);
    let pool = new_pool(&mut service, 1, &mut memory, true);
    for i in 0..4 {
        *memory.page(Slot::FIRST, i).unwrap() = pattern(i as u32);
    }
    let pages = run(pool, 3, 10, 4);
    let reply = call(
        &mut service,
        1,
        &mut memory,
        put_run(pages, ExchangeMode::Copy),
    );
    assert_eq!(reply, Reply::RunPut { pages: 4 });
    // Each page is stored under its own index: a single get finds it.
    memory.page(Slot::FIRST, 0).unwrap().fill(0);
    let reply = call(
        &mut service,
        1,
        &mut memory,
        get(pool, 3, 12, ExchangeMode::Copy),
    );
    assert_eq!(reply, Reply::PageGot);
    assert_eq!(*memory.page(Slot::FIRST, 0).unwrap(), pattern(2));
    for i in 0..4 {
        memory.page(Slot::FIRST, i).unwrap().fill(0);
    }
    let reply = call(
        &mut service,
        1,
        &mut memory,
        get_run(pages, ExchangeMode::Copy),
    );
    assert_eq!(reply, Reply::RunGot { pages: 4 });
    for i in 0..4 {
        assert_eq!(*memory.page(Slot::FIRST, i).unwrap(), pattern(i as u32));
    }
}

#[test]
fn a_frame_mode_run_uses_the_pages_of_the_passed_frame() {
    for (badge, exchange) in [(2, ExchangeMode::GrantMap), (3, ExchangeMode::Transfer)] {
        let mut service = service();
        let mut memory = Memory::new();
        let pool = new_pool(&mut service, badge, &mut memory, true);
        memory.frame = Some((0..6).map(pattern).collect());
        let pages = run(pool, 1, 0, 6);
        let reply = call(&mut service, badge, &mut memory, put_run(pages, exchange));
        assert_eq!(reply, Reply::RunPut { pages: 6 });
        memory.frame = Some(vec![[0; PAGE_SIZE]; 6]);
        let reply = call(&mut service, badge, &mut memory, get_run(pages, exchange));
        assert_eq!(reply, Reply::RunGot { pages: 6 });
        let expected: Vec<_> = (0..6).map(pattern).collect();
        assert_eq!(memory.frame.as_ref().unwrap(), &expected);
    }
}

#[test]
fn a_run_longer_than_its_pages_is_refused_and_stores_nothing() {
    let mut service = service();
    let mut memory = Memory::with_slots(2);
    let pool = new_pool(&mut service, 1, &mut memory, true);
    let reply = call(
        &mut service,
        1,
        &mut memory,
        put_run(run(pool, 1, 0, 3), ExchangeMode::Copy),
    );
    assert_eq!(
        reply,
        Reply::Failed {
            op: Some(Opcode::PutRun),
            status: Status::BadRequest
        }
    );
    let reply = call(
        &mut service,
        1,
        &mut memory,
        get(pool, 1, 0, ExchangeMode::Copy),
    );
    assert_eq!(
        reply.status(),
        Some(Status::NotFound),
        "not even the pages that were there were stored"
    );
    let mut granted = Memory::new();
    granted.frame = Some(vec![pattern(1); 2]);
    let pool = new_pool(&mut service, 2, &mut granted, true);
    let reply = call(
        &mut service,
        2,
        &mut granted,
        put_run(run(pool, 1, 0, 3), ExchangeMode::GrantMap),
    );
    assert_eq!(reply.status(), Some(Status::BadRequest));
    let reply = call(
        &mut service,
        2,
        &mut granted,
        put_run(run(pool, 1, 0, 2), ExchangeMode::Copy),
    );
    assert_eq!(
        reply.status(),
        Some(Status::NotSupported),
        "not the client's mode"
    );
}

#[test]
fn a_get_run_stops_at_its_first_miss() {
    let mut service = service();
    let mut memory = Memory::with_slots(4);
    let pool = new_pool(&mut service, 1, &mut memory, true);
    for index in [0, 1, 3] {
        *memory.page(Slot::FIRST, 0).unwrap() = pattern(index);
        call(
            &mut service,
            1,
            &mut memory,
            put(pool, 8, index, ExchangeMode::Copy),
        );
    }
    let reply = call(
        &mut service,
        1,
        &mut memory,
        get_run(run(pool, 8, 0, 4), ExchangeMode::Copy),
    );
    assert_eq!(reply, Reply::RunGot { pages: 2 });
    assert_eq!(*memory.page(Slot::FIRST, 1).unwrap(), pattern(1));
    let reply = call(
        &mut service,
        1,
        &mut memory,
        get_run(run(pool, 8, 2, 2), ExchangeMode::Copy),
    );
    assert_eq!(
        reply,
        Reply::Failed {
            op: Some(Opcode::GetRun),
            status: Status::NotFound
        },
        "a miss on the first page is the run's refusal"
    );
}

mod model {
    //! A run against the same pages sent one by one, on a twin service.
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Op {
        Put { first: u32, pages: usize, seed: u32 },
        Get { first: u32, pages: usize },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u32..12, 1usize..=4, any::<u32>()).prop_map(|(first, pages, seed)| Op::Put {
                first,
                pages,
                seed
            }),
            (0u32..12, 1usize..=4).prop_map(|(first, pages)| Op::Get { first, pages }),
        ]
    }

    proptest! {
        #[test]
        fn a_run_is_its_pages_one_by_one(ops in proptest::collection::vec(op(), 1..24)) {
            let (mut runs, mut singles) = (service(), service());
            let mut run_memory = Memory::new();
            let mut single_memory = Memory::new();
            let pool = new_pool(&mut runs, 2, &mut run_memory, false);
            prop_assert_eq!(new_pool(&mut singles, 2, &mut single_memory, false), pool);
            for op in ops {
                let (first, pages, put_seed) = match op {
                    Op::Put { first, pages, seed } => (first, pages, Some(seed)),
                    Op::Get { first, pages } => (first, pages, None),
                };
                let whole = run(pool, 4, first, pages);
                run_memory.frame = Some(match put_seed {
                    Some(seed) => (0..pages as u32).map(|i| pattern(seed ^ i)).collect(),
                    None => vec![[0; PAGE_SIZE]; pages],
                });
                let request = match put_seed {
                    Some(_) => put_run(whole, ExchangeMode::GrantMap),
                    None => get_run(whole, ExchangeMode::GrantMap),
                };
                let reply = call(&mut runs, 2, &mut run_memory, request);
                let mut done = 0;
                let mut first_failure = None;
                for i in 0..pages {
                    single_memory.frame = Some(vec![match put_seed {
                        Some(seed) => pattern(seed ^ i as u32),
                        None => [0; PAGE_SIZE],
                    }]);
                    let index = first + i as u32;
                    let request = match put_seed {
                        Some(_) => put(pool, 4, index, ExchangeMode::GrantMap),
                        None => get(pool, 4, index, ExchangeMode::GrantMap),
                    };
                    let single = call(&mut singles, 2, &mut single_memory, request);
                    if single.status().is_some() {
                        first_failure = single.status();
                        break;
                    }
                    if put_seed.is_none() {
                        prop_assert_eq!(&run_memory.frame.as_ref().unwrap()[i], &single_memory.frame.as_ref().unwrap()[0]);
                    }
                    done += 1;
                }
                match (reply, first_failure) {
                    (Reply::Failed { status, .. }, Some(failure)) => {
                        prop_assert_eq!(done, 0);
                        prop_assert_eq!(status, failure);
                    }
                    (Reply::RunPut { pages } | Reply::RunGot { pages }, _) => {
                        prop_assert_eq!(pages, done);
                    }
                    (other, _) => prop_assert!(false, "unexpected {:?}", other),
                }
            }
        }
    }
}

/// A copy of a journal's memory, page by page: what the kernel keeps of a
/// stopped server's kept frame.
fn kept_copy(memory: &dyn tmem_store::journal::JournalMemory) -> tmem_server::KeptMemory {
    let pages = (0..memory.pages()).map(|n| *memory.page(n)).collect();
    Box::new(tmem_store::journal::VecMemory(pages))
}

#[test]
fn a_restarted_service_serves_every_acknowledged_persistent_page_again() {
    let fresh = || Box::new(tmem_store::journal::VecMemory(vec![[0; PAGE_SIZE]; 8]));
    let mut service = service();
    let restored = service.attach_journal(fresh()).unwrap();
    assert_eq!((restored.pools, restored.pages), (0, 0));
    let mut memory = Memory::with_slots(4);
    let swap = new_pool(&mut service, 1, &mut memory, true);
    let cache = new_pool(&mut service, 1, &mut memory, false);
    for index in 0..3 {
        *memory.page(Slot::FIRST, 0).unwrap() = pattern(index);
        let reply = call(
            &mut service,
            1,
            &mut memory,
            put(swap, 5, index, ExchangeMode::Copy),
        );
        assert_eq!(reply, Reply::PagePut);
        let reply = call(
            &mut service,
            1,
            &mut memory,
            put(cache, 5, index, ExchangeMode::Copy),
        );
        assert_eq!(reply, Reply::PagePut);
    }
    // Replaced, flushed, and a run of two.
    *memory.page(Slot::FIRST, 0).unwrap() = pattern(100);
    let reply = call(
        &mut service,
        1,
        &mut memory,
        put(swap, 5, 1, ExchangeMode::Copy),
    );
    assert_eq!(reply, Reply::PagePut);
    let flush = Request::FlushPage {
        handle: handle(swap, 5, 2),
        slot: Slot::FIRST,
    };
    assert_eq!(
        call(&mut service, 1, &mut memory, flush),
        Reply::PageFlushed { found: true }
    );
    for i in 0..2 {
        *memory.page(Slot::FIRST, i).unwrap() = pattern(200 + i as u32);
    }
    let reply = call(
        &mut service,
        1,
        &mut memory,
        put_run(run(swap, 6, 0, 2), ExchangeMode::Copy),
    );
    assert_eq!(reply, Reply::RunPut { pages: 2 });
    // 8 pages: 1 record page, 7 slots; a pool and 4 pages take 5.
    assert_eq!(service.journal_slots(), Some((2, 7)));

    let kept = service.into_kept_memory().unwrap();
    let mut restarted = self::service();
    let restored = restarted.attach_journal(kept_copy(&*kept)).unwrap();
    assert_eq!(
        (restored.pools, restored.pages, restored.refused),
        (1, 4, 0)
    );
    restarted.store().check_invariants().unwrap();
    for (object, index, seed) in [(5, 0, 0), (5, 1, 100), (6, 0, 200), (6, 1, 201)] {
        memory.page(Slot::FIRST, 0).unwrap().fill(0xEE);
        let reply = call(
            &mut restarted,
            1,
            &mut memory,
            get(swap, object, index, ExchangeMode::Copy),
        );
        assert_eq!(reply, Reply::PageGot);
        assert!(
            *memory.page(Slot::FIRST, 0).unwrap() == pattern(seed),
            "{object}/{index}"
        );
    }
    let missing = Reply::Failed {
        op: Some(Opcode::GetPage),
        status: Status::NotFound,
    };
    let reply = call(
        &mut restarted,
        1,
        &mut memory,
        get(swap, 5, 2, ExchangeMode::Copy),
    );
    assert_eq!(reply, missing, "a flushed page stays flushed");
    let gone = Reply::Failed {
        op: Some(Opcode::GetPage),
        status: Status::NoSuchPool,
    };
    let reply = call(
        &mut restarted,
        1,
        &mut memory,
        get(cache, 5, 0, ExchangeMode::Copy),
    );
    assert_eq!(reply, gone, "ephemeral pools are not kept");
    // The journal is full after two more pages: the third put is refused
    // and leaves no old copy.
    for index in 10..12 {
        let reply = call(
            &mut restarted,
            1,
            &mut memory,
            put(swap, 7, index, ExchangeMode::Copy),
        );
        assert_eq!(reply, Reply::PagePut);
    }
    let reply = call(
        &mut restarted,
        1,
        &mut memory,
        put(swap, 5, 0, ExchangeMode::Copy),
    );
    assert_eq!(
        reply,
        Reply::Failed {
            op: Some(Opcode::PutPage),
            status: Status::NoMemory
        }
    );
    let reply = call(
        &mut restarted,
        1,
        &mut memory,
        get(swap, 5, 0, ExchangeMode::Copy),
    );
    assert_eq!(reply, missing);
    restarted.store().check_invariants().unwrap();
}

fn client_info(service: &mut Service<VecFrames>, client: u32) -> tmem_protocol::ClientInfo {
    let request = ControlRequest::ClientInfo {
        client: ClientId(client),
    };
    match service.control(request, FrameCounts::default()) {
        Ok(ControlResponse::ClientInfo(info)) => info,
        other => panic!("client info: {other:?}"),
    }
}

fn drop_client(service: &mut Service<VecFrames>, client: u32) -> Result<ControlResponse, Status> {
    let request = ControlRequest::DropClient {
        client: ClientId(client),
    };
    service.control(request, FrameCounts::default())
}

#[test]
fn dropping_a_gone_client_frees_its_pages_for_good_and_leaves_the_others() {
    let fresh = || Box::new(tmem_store::journal::VecMemory(vec![[0; PAGE_SIZE]; 8]));
    let mut service = service();
    service.attach_journal(fresh()).unwrap();
    let mut memory = Memory::new();
    // Client 1: a persistent pool with two pages, an ephemeral one with
    // one, and the shared pool with one; client 2: a persistent pool with
    // one page and the shared pool.
    let swap = new_pool(&mut service, 1, &mut memory, true);
    let cache = new_pool(&mut service, 1, &mut memory, false);
    *Slot::FIRST.block_mut(&mut memory.window).unwrap() = RequestBlock::for_pool_uuid(7).to_bytes();
    let shared = Request::NewPool {
        flags: PoolFlags {
            persistent: false,
            shared: true,
        },
        slot: Slot::FIRST,
    };
    let Reply::PoolCreated { pool: shared_1 } = call(&mut service, 1, &mut memory, shared) else {
        panic!("shared pool for client 1")
    };
    let Reply::PoolCreated { pool: shared_2 } = call(&mut service, 2, &mut memory, shared) else {
        panic!("shared pool for client 2")
    };
    for (pool, object, seed) in [
        (swap, 1, 10),
        (swap, 2, 11),
        (cache, 1, 12),
        (shared_1, 9, 13),
    ] {
        *memory.page(Slot::FIRST, 0).unwrap() = pattern(seed);
        let reply = call(
            &mut service,
            1,
            &mut memory,
            put(pool, object, 0, ExchangeMode::Copy),
        );
        assert_eq!(reply, Reply::PagePut);
    }
    let mut other = Memory::new();
    let other_swap = new_pool(&mut service, 2, &mut other, true);
    other.frame = Some(vec![pattern(20)]);
    let reply = call(
        &mut service,
        2,
        &mut other,
        put(other_swap, 1, 0, ExchangeMode::GrantMap),
    );
    assert_eq!(reply, Reply::PagePut);
    service
        .control(
            ControlRequest::Freeze {
                client: ClientId(1),
            },
            FrameCounts::default(),
        )
        .unwrap();

    // An unknown client is refused and nothing changes.
    let usage = service.store().usage();
    let (info_1, info_2) = (client_info(&mut service, 1), client_info(&mut service, 2));
    let journal = service.journal_slots();
    assert_eq!(drop_client(&mut service, 6), Err(Status::UnknownClient));
    assert_eq!(service.store().usage(), usage);
    assert_eq!(client_info(&mut service, 1), info_1);
    assert_eq!(client_info(&mut service, 2), info_2);
    assert_eq!(service.journal_slots(), journal);
    assert_eq!(info_1.persistent_pages, 2);

    // Client 1 goes: its pools close, its pages go, it is thawed.
    assert_eq!(
        drop_client(&mut service, 1),
        Ok(ControlResponse::Dropped {
            pools: 3,
            ephemeral_pages: 1,
            persistent_pages: 2,
        })
    );
    // The shared page stays for client 2, charged to client 1 who put it.
    let after = client_info(&mut service, 1);
    assert_eq!(
        (
            after.ephemeral_pages,
            after.persistent_pages,
            after.open_pools,
            after.frozen
        ),
        (1, 0, 0, false)
    );
    assert_eq!(
        client_info(&mut service, 2),
        info_2,
        "client 2 is untouched"
    );
    assert_eq!(service.store().usage().persistent_pages, 1);
    service.store().check_invariants().unwrap();
    // Client 2 still reads its own page and the shared one.
    for (pool, object, seed) in [(other_swap, 1, 20), (shared_2, 9, 13)] {
        other.frame = Some(vec![[0; PAGE_SIZE]]);
        let reply = call(
            &mut service,
            2,
            &mut other,
            get(pool, object, 0, ExchangeMode::GrantMap),
        );
        assert_eq!(reply, Reply::PageGot);
        assert!(
            other.frame.as_ref().unwrap()[0] == pattern(seed),
            "{object}"
        );
    }
    // Client 1 finds nothing of its old pools and starts afresh.
    let gone = Reply::Failed {
        op: Some(Opcode::GetPage),
        status: Status::NoSuchPool,
    };
    assert_eq!(
        call(
            &mut service,
            1,
            &mut memory,
            get(swap, 1, 0, ExchangeMode::Copy)
        ),
        gone
    );
    assert_eq!(new_pool(&mut service, 1, &mut memory, true), swap);
    assert_eq!(
        call(
            &mut service,
            1,
            &mut memory,
            get(swap, 1, 0, ExchangeMode::Copy)
        ),
        Reply::Failed {
            op: Some(Opcode::GetPage),
            status: Status::NotFound,
        }
    );
    *memory.page(Slot::FIRST, 0).unwrap() = pattern(30);
    let reply = call(
        &mut service,
        1,
        &mut memory,
        put(swap, 3, 0, ExchangeMode::Copy),
    );
    assert_eq!(reply, Reply::PagePut, "no longer frozen");
    // Dropping again frees that page; dropping a client with nothing open
    // closes nothing.
    assert_eq!(
        drop_client(&mut service, 1),
        Ok(ControlResponse::Dropped {
            pools: 1,
            ephemeral_pages: 0,
            persistent_pages: 1,
        })
    );
    assert_eq!(
        drop_client(&mut service, 1),
        Ok(ControlResponse::Dropped {
            pools: 0,
            ephemeral_pages: 0,
            persistent_pages: 0,
        })
    );
    assert_eq!(info_1.ephemeral_pages, 2);

    // A restarted server brings back client 2's page and nothing of client 1.
    let kept = service.into_kept_memory().unwrap();
    let mut restarted = self::service();
    let restored = restarted.attach_journal(kept_copy(&*kept)).unwrap();
    assert_eq!(
        (restored.pools, restored.pages, restored.refused),
        (1, 1, 0)
    );
    assert_eq!(client_info(&mut restarted, 1).open_pools, 0);
    restarted.store().check_invariants().unwrap();
}

mod dropping {
    //! Dropping a client, against a model: after any sequence of puts by
    //! three clients into their own persistent and ephemeral pools, and
    //! drops, every client's page count is what the model says, and the
    //! pages of clients not dropped read back.
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[derive(Clone, Debug)]
    enum Op {
        Put {
            client: u32,
            persistent: bool,
            object: u64,
        },
        Drop {
            client: u32,
        },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (1u32..=3, any::<bool>(), 0u64..6)
                .prop_map(|(client, persistent, object)| Op::Put { client, persistent, object }),
            1 => (1u32..=3).prop_map(|client| Op::Drop { client }),
        ]
    }

    fn exchange(client: u32) -> ExchangeMode {
        [
            ExchangeMode::Copy,
            ExchangeMode::GrantMap,
            ExchangeMode::Transfer,
        ][client as usize - 1]
    }

    proptest! {
        #[test]
        fn counts_follow_the_model(ops in proptest::collection::vec(op(), 1..40)) {
            let mut service = Service::new(
                config(),
                VecFrames::new(64),
                64,
                tmem_store::derive_index_key(b"test", &[1]),
            )
            .unwrap();
            // The model: (client, persistent) -> object -> seed.
            let mut model: BTreeMap<(u32, bool), BTreeMap<u64, u32>> = BTreeMap::new();
            let mut pools: BTreeMap<(u32, bool), PoolId> = BTreeMap::new();
            let mut memory = Memory::new();
            for (seed, op) in ops.into_iter().enumerate() {
                let seed = seed as u32;
                match op {
                    Op::Put { client, persistent, object } => {
                        let pool = match pools.get(&(client, persistent)) {
                            Some(&pool) => pool,
                            None => {
                                let pool = new_pool(&mut service, client, &mut memory, persistent);
                                pools.insert((client, persistent), pool);
                                pool
                            }
                        };
                        *memory.page(Slot::FIRST, 0).unwrap() = pattern(seed);
                        memory.frame = (client != 1).then(|| vec![pattern(seed)]);
                        let reply = call(&mut service, client, &mut memory, put(pool, object, 0, exchange(client)));
                        prop_assert_eq!(reply, Reply::PagePut);
                        memory.frame = None;
                        model.entry((client, persistent)).or_default().insert(object, seed);
                    }
                    Op::Drop { client } => {
                        let expected = |persistent| model.get(&(client, persistent)).map_or(0, |pages| pages.len() as u64);
                        let open = [false, true].iter().filter(|&&p| pools.contains_key(&(client, p))).count() as u32;
                        let answer = drop_client(&mut service, client);
                        prop_assert_eq!(answer, Ok(ControlResponse::Dropped {
                            pools: open,
                            ephemeral_pages: expected(false),
                            persistent_pages: expected(true),
                        }));
                        for persistent in [false, true] {
                            model.remove(&(client, persistent));
                            pools.remove(&(client, persistent));
                        }
                    }
                }
                for client in 1..=3 {
                    let info = client_info(&mut service, client);
                    let count = |persistent| model.get(&(client, persistent)).map_or(0, |pages| pages.len() as u64);
                    prop_assert_eq!((info.ephemeral_pages, info.persistent_pages), (count(false), count(true)));
                }
                service.store().check_invariants().unwrap();
            }
            for ((client, persistent), pages) in &model {
                let pool = pools[&(*client, *persistent)];
                for (&object, &seed) in pages {
                    memory.frame = (*client != 1).then(|| vec![[0; PAGE_SIZE]]);
                    memory.page(Slot::FIRST, 0).unwrap().fill(0xEE);
                    let reply = call(&mut service, *client, &mut memory, get(pool, object, 0, exchange(*client)));
                    prop_assert_eq!(reply, Reply::PageGot);
                    prop_assert!(*memory.page(Slot::FIRST, 0).unwrap() == pattern(seed));
                }
            }
        }
    }
}
