//! Model-based property tests: random sequences of every operation, by
//! several clients, run against the store and against a small reference
//! model of tmem semantics, with the store's invariants checked after every
//! step.
//!
//! Default: 1000 sequences per property, so the suite stays fast in debug
//! builds. Raise with `PROPTEST_CASES=5000 cargo test -p tmem-store --test model`.

use proptest::prelude::*;
use std::collections::BTreeMap;
use tmem_store::*;

const FRAMES: u32 = 12;
const MAX_PAGES: u32 = 40;
const CLIENT_IDS: [ClientId; 3] = [ClientId(10), ClientId(20), ClientId(30)];
const UNKNOWN_CLIENT: ClientId = ClientId(99);
const CAPS: [u32; 3] = [12, 40, 6];
/// UUID 1: clients 0 and 1; UUID 2: clients 0 and 2; UUID 3: nobody.
const GRANTS: [(u128, &[usize]); 2] = [(1, &[0, 1]), (2, &[0, 2])];

fn config(caps: [u32; 3]) -> Config {
    let domain = SharingDomain(1);
    let mut config = Config::new(MAX_PAGES)
        .client(
            ClientConfig::new(CLIENT_IDS[0])
                .persistent_cap(caps[0])
                .compress(true)
                .sharing_domain(domain),
        )
        .client(
            ClientConfig::new(CLIENT_IDS[1])
                .persistent_cap(caps[1])
                .sharing_domain(domain),
        )
        .client(
            ClientConfig::new(CLIENT_IDS[2])
                .persistent_cap(caps[2])
                .compress(true)
                .weight(2),
        );
    for (uuid, members) in GRANTS {
        let ids: Vec<ClientId> = members.iter().map(|&m| CLIENT_IDS[m]).collect();
        config = config.shared_pool(PoolUuid(uuid), &ids);
    }
    config
}

/// Page contents from a small seed space, so identical pages are common:
/// 0 is all zeros, 1..=5 compress well, the rest do not compress.
fn page_of(seed: u8) -> Page {
    let mut page = [0u8; PAGE_SIZE];
    match seed {
        0 => {}
        1..=5 => {
            for (i, byte) in page.iter_mut().enumerate() {
                *byte = seed ^ (i / 256) as u8;
            }
        }
        _ => {
            let mut state = 0x9e37_79b9_7f4a_7c15u64 ^ u64::from(seed);
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
    NewPool {
        client: usize,
        flags: u32,
        uuid: u128,
    },
    DestroyPool {
        client: usize,
        pool: u32,
    },
    Put {
        client: usize,
        pool: u32,
        object: ObjectId,
        index: u32,
        seed: u8,
    },
    Get {
        client: usize,
        pool: u32,
        object: ObjectId,
        index: u32,
    },
    FlushPage {
        client: usize,
        pool: u32,
        object: ObjectId,
        index: u32,
    },
    FlushObject {
        client: usize,
        pool: u32,
        object: ObjectId,
    },
    Freeze {
        client: usize,
    },
    Thaw {
        client: usize,
    },
    FlushPages {
        count: u32,
    },
    SetWeight {
        client: usize,
        weight: u32,
    },
    SetCap {
        client: usize,
        cap: u32,
    },
    SetCompression {
        client: usize,
        on: bool,
    },
    Migrate {
        client: usize,
    },
    CheckPersistent,
}

fn client_index() -> impl Strategy<Value = usize> {
    prop_oneof![10 => 0usize..3, 1 => Just(3usize)]
}

fn pool_id() -> impl Strategy<Value = u32> {
    prop_oneof![20 => 0u32..4, 2 => 4u32..18, 1 => any::<u32>()]
}

fn object() -> impl Strategy<Value = ObjectId> {
    prop_oneof![10 => (0u64..3).prop_map(|o| ObjectId([o, 0, 0])), 1 => any::<[u64; 3]>().prop_map(ObjectId)]
}

fn page_index() -> impl Strategy<Value = u32> {
    prop_oneof![10 => 0u32..4, 1 => any::<u32>()]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (client_index(), prop_oneof![8 => 0u32..4, 1 => any::<u32>()], 0u128..4)
            .prop_map(|(client, flags, uuid)| Op::NewPool { client, flags, uuid }),
        1 => (client_index(), pool_id()).prop_map(|(client, pool)| Op::DestroyPool { client, pool }),
        20 => (client_index(), pool_id(), object(), page_index(), 0u8..10)
            .prop_map(|(client, pool, object, index, seed)| Op::Put { client, pool, object, index, seed }),
        12 => (client_index(), pool_id(), object(), page_index())
            .prop_map(|(client, pool, object, index)| Op::Get { client, pool, object, index }),
        3 => (client_index(), pool_id(), object(), page_index())
            .prop_map(|(client, pool, object, index)| Op::FlushPage { client, pool, object, index }),
        2 => (client_index(), pool_id(), object()).prop_map(|(client, pool, object)| Op::FlushObject { client, pool, object }),
        1 => client_index().prop_map(|client| Op::Freeze { client }),
        2 => client_index().prop_map(|client| Op::Thaw { client }),
        1 => (0u32..6).prop_map(|count| Op::FlushPages { count }),
        1 => (client_index(), 0u32..4).prop_map(|(client, weight)| Op::SetWeight { client, weight }),
        1 => (client_index(), 0u32..20).prop_map(|(client, cap)| Op::SetCap { client, cap }),
        1 => (client_index(), any::<bool>()).prop_map(|(client, on)| Op::SetCompression { client, on }),
        1 => client_index().prop_map(|client| Op::Migrate { client }),
        1 => Just(Op::CheckPersistent),
    ]
}

#[derive(Clone, Debug)]
struct ModelPool {
    persistent: bool,
    shared: bool,
    uuid: u128,
    members: usize,
    /// Persistent: exactly what the store holds. Ephemeral: what the store
    /// holds unless evicted since (value: seed, charged client, store-wide
    /// eviction count when it was put).
    pages: BTreeMap<(ObjectId, u32), (u8, usize, u64)>,
}

#[derive(Clone, Debug, Default)]
struct ModelClient {
    pools: [Option<usize>; MAX_POOLS_PER_CLIENT],
    frozen: bool,
    cap: u32,
}

struct Model {
    pools: Vec<Option<ModelPool>>,
    clients: [ModelClient; 3],
}

impl Model {
    fn new() -> Self {
        let mut clients: [ModelClient; 3] = Default::default();
        for (client, cap) in clients.iter_mut().zip(CAPS) {
            client.cap = cap;
        }
        Self {
            pools: Vec::new(),
            clients,
        }
    }

    fn pool_of(&self, client: usize, pool: u32) -> Option<usize> {
        *self.clients[client].pools.get(pool as usize)?
    }

    fn persistent_count(&self, client: usize) -> u32 {
        self.pools
            .iter()
            .flatten()
            .filter(|pool| pool.persistent)
            .flat_map(|pool| pool.pages.values())
            .filter(|(_, owner, _)| *owner == client)
            .count() as u32
    }

    fn persistent_total(&self) -> u32 {
        self.pools
            .iter()
            .flatten()
            .filter(|pool| pool.persistent)
            .map(|pool| pool.pages.len() as u32)
            .sum()
    }

    fn free_local(&self, client: usize) -> Option<u32> {
        self.clients[client]
            .pools
            .iter()
            .position(Option::is_none)
            .map(|id| id as u32)
    }

    /// Expected result of new_pool, applying it to the model.
    fn new_pool(&mut self, client: usize, flags: u32, uuid: u128) -> Result<PoolId, TmemError> {
        if flags & !3 != 0 {
            return Err(TmemError::BadFlags);
        }
        let persistent = flags & 1 != 0;
        let shared = flags & 2 != 0;
        if !shared {
            let local = self.free_local(client).ok_or(TmemError::TooManyPools)?;
            self.pools.push(Some(ModelPool {
                persistent,
                shared,
                uuid: 0,
                members: 1,
                pages: BTreeMap::new(),
            }));
            self.clients[client].pools[local as usize] = Some(self.pools.len() - 1);
            return Ok(PoolId(local));
        }
        let authorized = GRANTS
            .iter()
            .any(|(u, members)| *u == uuid && members.contains(&client));
        if !authorized {
            return Err(TmemError::Unauthorized);
        }
        let existing = self.pools.iter().position(|pool| {
            pool.as_ref()
                .is_some_and(|pool| pool.shared && pool.uuid == uuid)
        });
        match existing {
            None => {
                let local = self.free_local(client).ok_or(TmemError::TooManyPools)?;
                self.pools.push(Some(ModelPool {
                    persistent,
                    shared,
                    uuid,
                    members: 1,
                    pages: BTreeMap::new(),
                }));
                self.clients[client].pools[local as usize] = Some(self.pools.len() - 1);
                Ok(PoolId(local))
            }
            Some(index) => {
                if self.pools[index].as_ref().unwrap().persistent != persistent {
                    return Err(TmemError::BadFlags);
                }
                if let Some(local) = self.clients[client]
                    .pools
                    .iter()
                    .position(|p| *p == Some(index))
                {
                    return Ok(PoolId(local as u32));
                }
                let local = self.free_local(client).ok_or(TmemError::TooManyPools)?;
                self.pools[index].as_mut().unwrap().members += 1;
                self.clients[client].pools[local as usize] = Some(index);
                Ok(PoolId(local))
            }
        }
    }
}

struct Harness {
    store: Store<VecFrames>,
    model: Model,
}

fn id(client: usize) -> ClientId {
    CLIENT_IDS.get(client).copied().unwrap_or(UNKNOWN_CLIENT)
}

impl Harness {
    fn new(index_seed: u64) -> Self {
        Self {
            store: Store::new(config(CAPS).index_seed(index_seed), VecFrames::new(FRAMES)).unwrap(),
            model: Model::new(),
        }
    }

    /// Resolves client and pool the way the store must: Err for unknown
    /// client or unopened pool.
    fn resolve(&self, client: usize, pool: u32) -> Result<usize, TmemError> {
        if client >= 3 {
            return Err(TmemError::UnknownClient);
        }
        self.model
            .pool_of(client, pool)
            .ok_or(TmemError::NoSuchPool)
    }

    fn apply(&mut self, op: &Op) -> Result<(), TestCaseError> {
        match *op {
            Op::NewPool {
                client,
                flags,
                uuid,
            } => {
                let got = self
                    .store
                    .new_pool(id(client), PoolFlags(flags), PoolUuid(uuid));
                let expected = if client >= 3 {
                    Err(TmemError::UnknownClient)
                } else {
                    self.model.new_pool(client, flags, uuid)
                };
                prop_assert_eq!(got, expected);
            }
            Op::DestroyPool { client, pool } => {
                let got = self.store.destroy_pool(id(client), PoolId(pool));
                match self.resolve(client, pool) {
                    Err(error) => prop_assert_eq!(got, Err(error)),
                    Ok(index) => {
                        prop_assert_eq!(got, Ok(()));
                        self.model.clients[client].pools[pool as usize] = None;
                        let state = self.model.pools[index].as_mut().unwrap();
                        state.members -= 1;
                        if state.members == 0 {
                            self.model.pools[index] = None;
                        }
                    }
                }
            }
            Op::Put {
                client,
                pool,
                object,
                index,
                seed,
            } => {
                let got =
                    self.store
                        .put_page(id(client), PoolId(pool), object, index, &page_of(seed));
                let pool_index = match self.resolve(client, pool) {
                    Err(error) => {
                        prop_assert_eq!(got, Err(error));
                        return Ok(());
                    }
                    Ok(pool_index) => pool_index,
                };
                // Whatever happens, the old copy is gone or replaced.
                let persistent = self.model.pools[pool_index].as_ref().unwrap().persistent;
                self.model.pools[pool_index]
                    .as_mut()
                    .unwrap()
                    .pages
                    .remove(&(object, index));
                match got {
                    Ok(()) => {
                        prop_assert!(
                            !self.model.clients[client].frozen,
                            "put accepted while frozen"
                        );
                        if persistent {
                            prop_assert!(
                                self.model.persistent_count(client)
                                    < self.model.clients[client].cap
                            );
                        }
                        let evictions = self.store.global_stats().evictions;
                        self.model.pools[pool_index]
                            .as_mut()
                            .unwrap()
                            .pages
                            .insert((object, index), (seed, client, evictions));
                    }
                    Err(TmemError::Frozen) => prop_assert!(self.model.clients[client].frozen),
                    Err(TmemError::QuotaExceeded) => {
                        prop_assert!(!self.model.clients[client].frozen);
                        prop_assert!(persistent);
                        prop_assert!(
                            self.model.persistent_count(client) >= self.model.clients[client].cap
                        );
                    }
                    Err(TmemError::NoMemory) => {
                        prop_assert!(!self.model.clients[client].frozen);
                        // Evicting every ephemeral page leaves room unless
                        // persistent pages fill all frames or all metadata.
                        prop_assert!(
                            self.model.persistent_total() >= FRAMES.min(MAX_PAGES),
                            "NoMemory with room"
                        );
                    }
                    Err(other) => prop_assert!(false, "unexpected put error {:?}", other),
                }
            }
            Op::Get {
                client,
                pool,
                object,
                index,
            } => {
                let mut out = [0xa5u8; PAGE_SIZE];
                let got = self
                    .store
                    .get_page(id(client), PoolId(pool), object, index, &mut out);
                let pool_index = match self.resolve(client, pool) {
                    Err(error) => {
                        prop_assert_eq!(got, Err(error));
                        return Ok(());
                    }
                    Ok(pool_index) => pool_index,
                };
                let evictions = self.store.global_stats().evictions;
                let state = self.model.pools[pool_index].as_mut().unwrap();
                let expected = state.pages.get(&(object, index)).copied();
                if state.persistent {
                    match expected {
                        Some((seed, _, _)) => {
                            prop_assert_eq!(got, Ok(()), "persistent page lost");
                            prop_assert!(out == page_of(seed), "persistent page corrupted");
                        }
                        None => prop_assert_eq!(got, Err(TmemError::NotFound)),
                    }
                } else {
                    match got {
                        Ok(()) => {
                            let Some((seed, _, _)) = expected else {
                                return Err(TestCaseError::fail(
                                    "ephemeral get returned a page that is not there",
                                ));
                            };
                            prop_assert!(out == page_of(seed), "ephemeral get returned wrong data");
                            if !state.shared {
                                // Exclusive get: the page must be gone now.
                                state.pages.remove(&(object, index));
                            }
                        }
                        Err(TmemError::NotFound) => {
                            // A page the model holds may only miss if
                            // something was evicted since it was put.
                            if let Some((_, _, put_at)) = expected {
                                prop_assert!(
                                    evictions > put_at,
                                    "ephemeral page vanished without eviction"
                                );
                            }
                            state.pages.remove(&(object, index));
                        }
                        Err(other) => prop_assert!(false, "unexpected get error {:?}", other),
                    }
                }
            }
            Op::FlushPage {
                client,
                pool,
                object,
                index,
            } => {
                let got = self
                    .store
                    .flush_page(id(client), PoolId(pool), object, index);
                let pool_index = match self.resolve(client, pool) {
                    Err(error) => {
                        prop_assert_eq!(got, Err(error));
                        return Ok(());
                    }
                    Ok(pool_index) => pool_index,
                };
                let evictions = self.store.global_stats().evictions;
                let state = self.model.pools[pool_index].as_mut().unwrap();
                let had = state.pages.remove(&(object, index));
                let found = got.map_err(|e| TestCaseError::fail(format!("flush failed: {e:?}")))?;
                let must_find =
                    had.is_some_and(|(_, _, put_at)| state.persistent || put_at == evictions);
                prop_assert!(
                    found || !must_find,
                    "flush missed a page that must be there"
                );
                prop_assert!(
                    !found || had.is_some(),
                    "flush found a page that is not there"
                );
            }
            Op::FlushObject {
                client,
                pool,
                object,
            } => {
                let got = self.store.flush_object(id(client), PoolId(pool), object);
                let pool_index = match self.resolve(client, pool) {
                    Err(error) => {
                        prop_assert_eq!(got, Err(error));
                        return Ok(());
                    }
                    Ok(pool_index) => pool_index,
                };
                let evictions = self.store.global_stats().evictions;
                let state = self.model.pools[pool_index].as_mut().unwrap();
                let persistent = state.persistent;
                let (mut had, mut must) = (0u32, 0u32);
                state.pages.retain(|(o, _), &mut (_, _, put_at)| {
                    if *o != object {
                        return true;
                    }
                    had += 1;
                    if persistent || put_at == evictions {
                        must += 1;
                    }
                    false
                });
                let removed =
                    got.map_err(|e| TestCaseError::fail(format!("flush_object failed: {e:?}")))?;
                prop_assert!(
                    must <= removed && removed <= had,
                    "flush_object removed {} of {}..={}",
                    removed,
                    must,
                    had
                );
            }
            Op::Freeze { client } => {
                let got = self.store.freeze(id(client));
                if client < 3 {
                    prop_assert_eq!(got, Ok(()));
                    self.model.clients[client].frozen = true;
                } else {
                    prop_assert_eq!(got, Err(TmemError::UnknownClient));
                }
            }
            Op::Thaw { client } => {
                let got = self.store.thaw(id(client));
                if client < 3 {
                    prop_assert_eq!(got, Ok(()));
                    self.model.clients[client].frozen = false;
                } else {
                    prop_assert_eq!(got, Err(TmemError::UnknownClient));
                }
            }
            Op::FlushPages { count } => {
                let freeable = self.store.freeable_pages();
                let evicted = self.store.flush_pages(count);
                prop_assert_eq!(u64::from(evicted), u64::from(count).min(freeable));
            }
            Op::SetWeight { client, weight } => {
                let got = self.store.set_weight(id(client), weight);
                prop_assert_eq!(got.is_ok(), client < 3);
            }
            Op::SetCap { client, cap } => {
                let got = self.store.set_persistent_cap(id(client), cap);
                prop_assert_eq!(got.is_ok(), client < 3);
                if client < 3 {
                    self.model.clients[client].cap = cap;
                }
            }
            Op::SetCompression { client, on } => {
                let got = self.store.set_compression(id(client), on);
                prop_assert_eq!(got.is_ok(), client < 3);
            }
            Op::Migrate { client } => self.migrate(client)?,
            Op::CheckPersistent => self.check_persistent()?,
        }
        Ok(())
    }

    /// Saves `client`'s persistent pages, compares them with the model, and
    /// restores them into a fresh store where they must read back exactly.
    fn migrate(&mut self, client: usize) -> Result<(), TestCaseError> {
        let saved = match self.store.persistent_pages(id(client)) {
            Err(error) => {
                prop_assert!(client >= 3);
                prop_assert_eq!(error, TmemError::UnknownClient);
                return Ok(());
            }
            Ok(pages) => pages.collect::<Result<Vec<SavedPage>, TmemError>>(),
        };
        let mut saved = saved.map_err(|e| TestCaseError::fail(format!("save failed: {e:?}")))?;
        saved.sort_by_key(|page| (page.pool, page.object, page.index));
        let mut expected = Vec::new();
        for (local, pool) in self.model.clients[client].pools.iter().enumerate() {
            let Some(pool) = pool else { continue };
            let state = self.model.pools[*pool].as_ref().unwrap();
            if state.persistent && !state.shared {
                for (&(object, index), &(seed, _, _)) in &state.pages {
                    expected.push((local as u32, object, index, seed));
                }
            }
        }
        prop_assert_eq!(saved.len(), expected.len());
        let mut target = Store::new(config([u32::MAX; 3]), VecFrames::new(2 * FRAMES)).unwrap();
        for (page, &(local, object, index, seed)) in saved.iter().zip(&expected) {
            prop_assert_eq!(
                (page.pool, page.object, page.index),
                (PoolId(local), object, index)
            );
            prop_assert!(page.data == page_of(seed), "saved page corrupted");
            prop_assert_eq!(
                target.restore_page(id(client), page.pool, page.object, page.index, &page.data),
                Ok(())
            );
        }
        for &(local, object, index, seed) in &expected {
            let mut out = [0u8; PAGE_SIZE];
            prop_assert_eq!(
                target.get_page(id(client), PoolId(local), object, index, &mut out),
                Ok(())
            );
            prop_assert!(out == page_of(seed), "restored page corrupted");
        }
        prop_assert_eq!(target.check_invariants(), Ok(()));
        Ok(())
    }

    /// Every persistent page in the model reads back exactly.
    fn check_persistent(&mut self) -> Result<(), TestCaseError> {
        for client in 0..3 {
            for local in 0..MAX_POOLS_PER_CLIENT {
                let Some(pool) = self.model.clients[client].pools[local] else {
                    continue;
                };
                let state = self.model.pools[pool].as_ref().unwrap();
                if !state.persistent {
                    continue;
                }
                for (&(object, index), &(seed, _, _)) in &state.pages {
                    let mut out = [0u8; PAGE_SIZE];
                    let got = self.store.get_page(
                        id(client),
                        PoolId(local as u32),
                        object,
                        index,
                        &mut out,
                    );
                    prop_assert_eq!(got, Ok(()), "persistent page lost");
                    prop_assert!(out == page_of(seed), "persistent page corrupted");
                }
            }
        }
        Ok(())
    }

    /// Checks that hold after every operation.
    fn check_invariants(&self) -> Result<(), TestCaseError> {
        prop_assert_eq!(self.store.check_invariants(), Ok(()));
        let usage = self.store.usage();
        prop_assert_eq!(
            usage.frames_free + usage.frames_whole + usage.frames_packed,
            usage.frames_total
        );
        prop_assert_eq!(
            usage.persistent_pages,
            u64::from(self.model.persistent_total())
        );
        // Client 2 has no sharing domain: it never shares a page.
        prop_assert_eq!(self.store.client_stats(id(2)).unwrap().shared_puts, 0);
        for client in 0..3 {
            let info = self.store.client_info(id(client)).unwrap();
            prop_assert_eq!(
                info.persistent_pages,
                u64::from(self.model.persistent_count(client))
            );
            prop_assert_eq!(info.frozen, self.model.clients[client].frozen);
        }
        Ok(())
    }
}

fn run(ops: &[Op], index_seed: u64) -> Result<(), TestCaseError> {
    let mut harness = Harness::new(index_seed);
    for op in ops {
        harness.apply(op)?;
        harness.check_invariants()?;
    }
    harness.check_persistent()?;
    // Destroying every pool gives every frame back.
    for client in 0..3 {
        for local in 0..MAX_POOLS_PER_CLIENT as u32 {
            if harness.model.clients[client].pools[local as usize].is_some() {
                prop_assert_eq!(
                    harness.store.destroy_pool(id(client), PoolId(local)),
                    Ok(())
                );
                harness.model.clients[client].pools[local as usize] = None;
            }
        }
    }
    let usage = harness.store.usage();
    prop_assert_eq!(usage.frames_free, usage.frames_total, "frames leaked");
    prop_assert_eq!(
        usage.ephemeral_pages + usage.persistent_pages + u64::from(usage.contents),
        0
    );
    prop_assert_eq!(harness.store.check_invariants(), Ok(()));
    Ok(())
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

/// Sequences that open pools early so most operations reach a pool.
fn sequence(len: usize) -> impl Strategy<Value = Vec<Op>> {
    let setup = Just(vec![
        Op::NewPool {
            client: 0,
            flags: 0,
            uuid: 0,
        },
        Op::NewPool {
            client: 0,
            flags: 1,
            uuid: 0,
        },
        Op::NewPool {
            client: 1,
            flags: 2,
            uuid: 1,
        },
        Op::NewPool {
            client: 0,
            flags: 2,
            uuid: 1,
        },
        Op::NewPool {
            client: 1,
            flags: 1,
            uuid: 0,
        },
        Op::NewPool {
            client: 2,
            flags: 1,
            uuid: 0,
        },
        Op::NewPool {
            client: 2,
            flags: 0,
            uuid: 0,
        },
        Op::NewPool {
            client: 2,
            flags: 3,
            uuid: 2,
        },
    ]);
    (setup, proptest::collection::vec(op(), 1..len)).prop_map(|(mut setup, ops)| {
        setup.extend(ops);
        setup
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), max_shrink_iters: 2000, ..ProptestConfig::default() })]

    /// Every operation, every client, arbitrary arguments, with pools set up.
    #[test]
    fn store_matches_model(ops in sequence(250), index_seed in any::<u64>()) {
        run(&ops, index_seed)?;
    }

    /// Same without the setup prefix: fully arbitrary sequences.
    #[test]
    fn arbitrary_sequences_match_model(ops in proptest::collection::vec(op(), 0..80), index_seed in any::<u64>()) {
        run(&ops, index_seed)?;
    }
}
