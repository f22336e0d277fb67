//! The store growing and shrinking by a frame, against a model: random
//! puts, gets and flushes by two clients (one compressing, so frames are
//! also cut into slots) in a persistent and an ephemeral pool each,
//! interleaved with grows and shrinks, some of which the provider fails.
//! After every step the store's audit holds, its frame count is the
//! model's, and every persistent page the model holds reads back exactly:
//! no page is lost except ephemeral pages evicted to free a frame, and a
//! frame that left is never touched again (the provider scribbles on it
//! and panics on any access).
//!
//! Default: 1000 sequences. Raise with
//! `PROPTEST_CASES=5000 cargo test -p tmem-store --test resize`.

use proptest::prelude::*;
use std::collections::BTreeMap;
use tmem_store::*;

const CLIENTS: [ClientId; 2] = [ClientId(1), ClientId(2)];

fn page_of(seed: u8) -> Page {
    let mut page = [0u8; PAGE_SIZE];
    match seed {
        0 => {}
        1..=3 => page
            .iter_mut()
            .enumerate()
            .for_each(|(i, b)| *b = seed ^ (i / 512) as u8),
        _ => {
            let mut state = 0x2545_f491_4f6c_dd1du64 ^ u64::from(seed);
            for byte in page.iter_mut() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *byte = state as u8;
            }
        }
    }
    page
}

#[derive(Clone, Debug)]
enum Op {
    Put {
        client: usize,
        persistent: bool,
        index: u32,
        seed: u8,
    },
    Get {
        client: usize,
        persistent: bool,
        index: u32,
    },
    Flush {
        client: usize,
        persistent: bool,
        index: u32,
    },
    /// The provider attaches the frame, or fails to.
    Grow { attaches: bool },
    /// The provider detaches the frame, or fails to.
    Shrink { detaches: bool },
}

fn op() -> impl Strategy<Value = Op> {
    let handle = (0..2usize, any::<bool>(), 0u32..12);
    prop_oneof![
        4 => (handle.clone(), 0u8..8).prop_map(|((client, persistent, index), seed)| Op::Put {
            client,
            persistent,
            index,
            seed
        }),
        2 => handle.clone().prop_map(|(client, persistent, index)| Op::Get {
            client,
            persistent,
            index
        }),
        1 => handle.prop_map(|(client, persistent, index)| Op::Flush {
            client,
            persistent,
            index
        }),
        2 => prop::bool::weighted(0.9).prop_map(|attaches| Op::Grow { attaches }),
        2 => prop::bool::weighted(0.9).prop_map(|detaches| Op::Shrink { detaches }),
    ]
}

/// Handle (client, persistent, index) -> the seed of the page stored.
type Model = BTreeMap<(usize, bool, u32), u8>;

struct World {
    store: Store<VecFrames>,
    /// Each client's (persistent, ephemeral) pool.
    pools: [(PoolId, PoolId); 2],
    model: Model,
    /// Frames the store holds, by the model.
    frames: u32,
    capacity: u32,
}

impl World {
    fn new(start: u32, capacity: u32, releasable: u32) -> World {
        let config = Config::new(capacity * 2)
            .client(ClientConfig::new(CLIENTS[0]).compress(true))
            .client(ClientConfig::new(CLIENTS[1]).weight(2));
        let provider = VecFrames::with_room(start, capacity).releasable_below(releasable);
        let mut store = Store::new(config, provider).unwrap();
        let mut pools = [(PoolId(0), PoolId(0)); 2];
        for (client, pool) in CLIENTS.iter().zip(pools.iter_mut()) {
            let persistent = store
                .new_pool(*client, PoolFlags::PERSISTENT, PoolUuid(0))
                .unwrap();
            let ephemeral = store
                .new_pool(*client, PoolFlags::EPHEMERAL, PoolUuid(0))
                .unwrap();
            *pool = (persistent, ephemeral);
        }
        World {
            store,
            pools,
            model: Model::new(),
            frames: start,
            capacity,
        }
    }

    fn pool(&self, client: usize, persistent: bool) -> PoolId {
        let (p, e) = self.pools[client];
        if persistent {
            p
        } else {
            e
        }
    }

    fn step(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let object = ObjectId([7, 0, 0]);
        match *op {
            Op::Put {
                client,
                persistent,
                index,
                seed,
            } => {
                let pool = self.pool(client, persistent);
                let put = self
                    .store
                    .put_page(CLIENTS[client], pool, object, index, &page_of(seed));
                match put {
                    Ok(()) => self.model.insert((client, persistent, index), seed),
                    // A failed put leaves no old copy.
                    Err(_) => self.model.remove(&(client, persistent, index)),
                };
            }
            Op::Get {
                client,
                persistent,
                index,
            } => {
                let pool = self.pool(client, persistent);
                let mut out = [0xEEu8; PAGE_SIZE];
                let got = self
                    .store
                    .get_page(CLIENTS[client], pool, object, index, &mut out);
                let key = (client, persistent, index);
                match (got, self.model.get(&key).copied()) {
                    (Ok(()), Some(seed)) => {
                        prop_assert!(out == page_of(seed), "a get returned other data");
                        if !persistent {
                            // Private ephemeral gets are exclusive.
                            self.model.remove(&key);
                        }
                    }
                    (Ok(()), None) => prop_assert!(false, "a get found a page never put"),
                    (Err(TmemError::NotFound), Some(_)) => {
                        prop_assert!(!persistent, "a persistent page was lost");
                        self.model.remove(&key); // evicted
                    }
                    (Err(TmemError::NotFound), None) => {}
                    (Err(error), _) => prop_assert!(false, "get: {error:?}"),
                }
            }
            Op::Flush {
                client,
                persistent,
                index,
            } => {
                let pool = self.pool(client, persistent);
                let found = self
                    .store
                    .flush_page(CLIENTS[client], pool, object, index)
                    .unwrap();
                let had = self.model.remove(&(client, persistent, index)).is_some();
                prop_assert!(persistent && found == had || !persistent && (!found || had));
            }
            Op::Grow { attaches } => {
                let grown = self.store.grow(|frames, id| {
                    if !attaches {
                        return Err("refused");
                    }
                    assert!(!frames.holds(id), "grew by a frame the provider holds");
                    frames.attach(id);
                    Ok(())
                });
                match grown {
                    Ok(_) => {
                        prop_assert!(attaches && self.frames < self.capacity);
                        self.frames += 1;
                    }
                    Err(GrowError::Full) => prop_assert_eq!(self.frames, self.capacity),
                    Err(GrowError::Provider(_)) => {
                        prop_assert!(!attaches && self.frames < self.capacity)
                    }
                }
            }
            Op::Shrink { detaches } => {
                let releasable = self.store.releasable_frames();
                let evicted_before = self.store.global_stats().evictions;
                let shrunk = self.store.shrink(|frames, id| {
                    if !detaches {
                        return Err("refused");
                    }
                    frames.detach(id);
                    Ok(id)
                });
                let evicted = self.store.global_stats().evictions - evicted_before;
                match shrunk {
                    Ok((id, detached)) => {
                        prop_assert!(detaches);
                        prop_assert_eq!(id, detached);
                        prop_assert!(!self.store.provider().holds(id));
                        prop_assert!(
                            releasable > 0 || evicted > 0,
                            "a frame in use left without an eviction"
                        );
                        prop_assert!(releasable == 0 || evicted == 0, "evicted needlessly");
                        self.frames -= 1;
                    }
                    Err(ShrinkError::NoFreeFrame) => {
                        prop_assert_eq!(self.store.releasable_frames(), 0);
                        prop_assert_eq!(
                            self.store.usage().ephemeral_pages,
                            0,
                            "refused while ephemeral pages were left to evict"
                        );
                    }
                    Err(ShrinkError::Provider(_)) => prop_assert!(!detaches),
                }
            }
        }
        self.store
            .check_invariants()
            .map_err(|broken| TestCaseError::fail(broken.to_string()))?;
        let usage = self.store.usage();
        prop_assert_eq!(usage.frames_total, self.frames);
        prop_assert_eq!(self.store.frame_capacity(), self.capacity);
        self.check_persistent_pages()
    }

    /// Every persistent page of the model reads back exactly (a persistent
    /// get does not remove the page).
    fn check_persistent_pages(&mut self) -> Result<(), TestCaseError> {
        let persistent: Vec<((usize, bool, u32), u8)> = self
            .model
            .iter()
            .filter(|((_, persistent, _), _)| *persistent)
            .map(|(key, seed)| (*key, *seed))
            .collect();
        for ((client, _, index), seed) in persistent {
            let pool = self.pool(client, true);
            let mut out = [0u8; PAGE_SIZE];
            let got =
                self.store
                    .get_page(CLIENTS[client], pool, ObjectId([7, 0, 0]), index, &mut out);
            prop_assert_eq!(got, Ok(()), "persistent page {} lost", index);
            prop_assert!(out == page_of(seed));
        }
        Ok(())
    }
}

proptest! {
    #[test]
    fn growing_and_shrinking_lose_no_page_but_evicted_ephemeral_ones(
        capacity in 1u32..12,
        start_share in 0u32..=100,
        releasable_share in 0u32..=100,
        ops in proptest::collection::vec(op(), 1..120),
    ) {
        let start = capacity * start_share / 100;
        let releasable = capacity * releasable_share / 100;
        let mut world = World::new(start, capacity, releasable);
        world.store.check_invariants().unwrap();
        for op in &ops {
            world.step(op)?;
        }
    }
}

#[test]
fn a_grown_frame_holds_pages_and_only_a_free_frame_leaves() {
    let mut world = World::new(1, 3, 3);
    let client = CLIENTS[1];
    let (persistent, ephemeral) = world.pools[1];
    let object = ObjectId([1, 0, 0]);
    world
        .store
        .put_page(client, persistent, object, 0, &page_of(6))
        .unwrap();
    assert_eq!(
        world
            .store
            .put_page(client, persistent, object, 1, &page_of(7)),
        Err(TmemError::NoMemory),
        "one frame, already used"
    );
    let grown = world
        .store
        .grow(|frames, id| {
            frames.attach(id);
            Ok::<(), ()>(())
        })
        .unwrap();
    world
        .store
        .put_page(client, persistent, object, 1, &page_of(7))
        .unwrap();
    assert_eq!(world.store.usage().frames_free, 0);
    // Both frames hold persistent pages: nothing can leave.
    assert_eq!(
        world.store.shrink(|_, id| Ok::<FrameId, ()>(id)),
        Err(ShrinkError::NoFreeFrame)
    );
    // An ephemeral page is evicted to free a frame, never a persistent one.
    world
        .store
        .flush_page(client, persistent, object, 1)
        .unwrap();
    world
        .store
        .put_page(client, ephemeral, object, 2, &page_of(8))
        .unwrap();
    let (gone, _) = world
        .store
        .shrink(|frames, id| {
            frames.detach(id);
            Ok::<(), ()>(())
        })
        .unwrap();
    assert_eq!(world.store.global_stats().evictions, 1);
    assert!(gone == grown || gone == FrameId(0));
    let mut out = [0u8; PAGE_SIZE];
    world
        .store
        .get_page(client, persistent, object, 0, &mut out)
        .unwrap();
    assert_eq!(out, page_of(6));
    world.store.check_invariants().unwrap();
    // Growing past the capacity is refused.
    for _ in 0..2 {
        world
            .store
            .grow(|frames, id| {
                frames.attach(id);
                Ok::<(), ()>(())
            })
            .unwrap();
    }
    assert_eq!(
        world.store.grow(|_, _| Ok::<(), ()>(())),
        Err(GrowError::Full)
    );
}
