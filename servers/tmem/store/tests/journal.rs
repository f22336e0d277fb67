//! The persistent-page journal against a model, with kills: random
//! operations run on a journal whose memory stops taking writes at a random
//! byte (the server stopped mid-way); the journal read back from that memory
//! must hold exactly the acknowledged state, except that each key the
//! operation in flight touched may read as before or after it. Then the
//! recovered journal goes on serving, and is killed again.
//!
//! Default 1000 cases; raise with `PROPTEST_CASES`.

use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use tmem_store::journal::{Entry, Journal, JournalError, JournalMemory, Key, VecMemory};
use tmem_store::{ClientId, ObjectId, Page, PoolId, PAGE_SIZE};

/// Memory that takes `writes` more writes whole, then `partial` (modulo
/// its length) bytes of the next, then nothing: the server was stopped.
struct KillableMemory {
    pages: Vec<Page>,
    writes: usize,
    partial: usize,
    killed: bool,
}

impl JournalMemory for KillableMemory {
    fn pages(&self) -> u32 {
        self.pages.len() as u32
    }
    fn page(&self, n: u32) -> &Page {
        &self.pages[n as usize]
    }
    fn write(&mut self, n: u32, offset: usize, bytes: &[u8]) {
        let taken = match (self.killed, self.writes) {
            (true, _) => 0,
            (false, 0) => {
                self.killed = true;
                self.partial % bytes.len()
            }
            (false, _) => {
                self.writes -= 1;
                bytes.len()
            }
        };
        self.pages[n as usize][offset..offset + taken].copy_from_slice(&bytes[..taken]);
    }
}

#[derive(Clone, Debug)]
enum Op {
    OpenPool(u32, u32),
    Put(u32, u32, u64, u32, u8),
    Flush(u32, u32, u64, u32),
    FlushObject(u32, u32, u64),
    DestroyPool(u32, u32),
}

fn op() -> impl Strategy<Value = Op> {
    let (c, p, o, i) = (1u32..3, 0u32..2, 0u64..3, 0u32..4);
    prop_oneof![
        1 => (c.clone(), p.clone()).prop_map(|(c, p)| Op::OpenPool(c, p)),
        6 => (c.clone(), p.clone(), o.clone(), i.clone(), any::<u8>())
            .prop_map(|(c, p, o, i, b)| Op::Put(c, p, o, i, b)),
        2 => (c.clone(), p.clone(), o.clone(), i).prop_map(|(c, p, o, i)| Op::Flush(c, p, o, i)),
        1 => (c.clone(), p.clone(), o).prop_map(|(c, p, o)| Op::FlushObject(c, p, o)),
        1 => (c, p).prop_map(|(c, p)| Op::DestroyPool(c, p)),
    ]
}

fn page_key(c: u32, p: u32, o: u64, i: u32) -> Key {
    Key {
        client: ClientId(c),
        pool: PoolId(p),
        entry: Entry::Page {
            object: ObjectId([o, !o, 7]),
            index: i,
        },
    }
}

fn pool_key(c: u32, p: u32) -> Key {
    Key {
        client: ClientId(c),
        pool: PoolId(p),
        entry: Entry::Pool,
    }
}

/// A page that differs from every other key's and byte's in many places.
fn page_of(key: &Key, byte: u8) -> Page {
    let mut page = [byte; PAGE_SIZE];
    let seed = format!("{key:?}");
    for (at, b) in seed.bytes().enumerate() {
        page[at * 37 % PAGE_SIZE] ^= b;
    }
    page
}

/// What the server's clients were told: each pool's record and each
/// page's data (`None`: a pool record).
type Model = BTreeMap<Key, Option<Page>>;

/// Runs `op` on the journal as the server does, and on the model.
fn apply<M: JournalMemory>(journal: &mut Journal<M>, model: &mut Model, op: &Op) {
    let pool_open = |model: &Model, c, p| model.contains_key(&pool_key(c, p));
    match *op {
        Op::OpenPool(c, p) => {
            if journal.open_pool(ClientId(c), PoolId(p)).is_ok() {
                model.insert(pool_key(c, p), None);
            }
        }
        Op::Put(c, p, o, i, byte) if pool_open(model, c, p) => {
            let key = page_key(c, p, o, i);
            let page = page_of(&key, byte);
            match journal.stage(&page) {
                Ok(staged) => {
                    journal.commit_page(staged, key);
                    model.insert(key, Some(page));
                }
                // A failed put removes the old copy.
                Err(JournalError::Full) => {
                    journal.remove(&key);
                    model.remove(&key);
                }
                Err(error) => panic!("{error:?}"),
            }
        }
        Op::Put(..) => {}
        Op::Flush(c, p, o, i) => {
            let key = page_key(c, p, o, i);
            assert_eq!(journal.remove(&key), model.remove(&key).is_some());
        }
        Op::FlushObject(c, p, o) => {
            let gone = journal.flush_object(ClientId(c), PoolId(p), ObjectId([o, !o, 7]));
            let before = model.len();
            model.retain(|k, _| {
                !(k.client == ClientId(c)
                    && k.pool == PoolId(p)
                    && matches!(k.entry, Entry::Page { object, .. } if object == ObjectId([o, !o, 7])))
            });
            assert_eq!(gone as usize, before - model.len());
        }
        Op::DestroyPool(c, p) => {
            journal.destroy_pool(ClientId(c), PoolId(p));
            model.retain(|k, _| !(k.client == ClientId(c) && k.pool == PoolId(p)));
        }
    }
}

fn contents<M: JournalMemory>(journal: &Journal<M>) -> Model {
    journal
        .keys()
        .map(|key| (key, journal.page(&key).copied()))
        .collect()
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(1000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]
    #[test]
    fn a_kill_at_any_byte_keeps_every_acknowledged_page(
        phases in prop::collection::vec(
            (prop::collection::vec(op(), 1..30), 0usize..60, any::<usize>()),
            1..4,
        ),
        pages in 3u32..12,
    ) {
        let mut memory = vec![[0u8; PAGE_SIZE]; pages as usize];
        let mut model = Model::new();
        for (ops, writes, partial) in phases {
            let killable = KillableMemory { pages: memory, writes, partial, killed: false };
            let (mut journal, recovery) = Journal::open(killable).unwrap();
            prop_assert_eq!(recovery.kept as usize, model.len());
            prop_assert!(contents(&journal) == model, "recovered != acknowledged");
            let mut in_flight = None;
            for op in &ops {
                let before = model.clone();
                apply(&mut journal, &mut model, op);
                if journal.memory().killed {
                    in_flight = Some(before);
                    break;
                }
                prop_assert!(contents(&journal) == model, "journal != model after {:?}", op);
            }
            let after = model.clone();
            memory = journal.memory().pages.clone();
            let (recovered, _) = Journal::open(VecMemory(memory.clone())).unwrap();
            let found = contents(&recovered);
            match in_flight {
                None => prop_assert!(found == after, "recovered != acknowledged"),
                Some(before) => {
                    let keys: BTreeSet<_> =
                        before.keys().chain(after.keys()).chain(found.keys()).collect();
                    for key in keys {
                        let got = found.get(key);
                        prop_assert!(
                            got == before.get(key) || got == after.get(key),
                            "{:?}: neither acknowledged nor the operation in flight", key
                        );
                    }
                }
            }
            model = found;
            prop_assert_eq!(recovered.free_slots() as usize + model.len(), recovered.slots() as usize);
        }
    }
}

#[test]
fn a_fresh_memory_is_an_empty_journal_and_a_full_one_refuses() {
    let (mut journal, recovery) = Journal::open(VecMemory(vec![[0; PAGE_SIZE]; 3])).unwrap();
    assert_eq!(recovery.kept + recovery.torn + recovery.superseded, 0);
    assert_eq!(journal.slots(), 2);
    journal.open_pool(ClientId(1), PoolId(0)).unwrap();
    let key = page_key(1, 0, 0, 0);
    let staged = journal.stage(&page_of(&key, 1)).unwrap();
    journal.commit_page(staged, key);
    assert_eq!(journal.stage(&[0; PAGE_SIZE]), Err(JournalError::Full));
    assert_eq!(
        journal.open_pool(ClientId(1), PoolId(1)),
        Err(JournalError::Full)
    );
}
