//! The full sweeps (`cargo xtask bench --full`, `systems/bench-tmem-full.toml`,
//! probe `sweeps`): realistic page contents with compression and same-content
//! sharing on and off, and the cost of an operation against the pages
//! already stored.
//!
//! Contents: zero pages, English-like text, compressible records (a
//! repeated 64-byte structure with a counter, as a kernel's tables look)
//! and random bytes. Each set of 32 pages holds every page twice (pages
//! i and i + 16 are equal), so sharing has something to find; the pages
//! are made before the timing starts. The
//! in-kernel store can be each variant (its clients are configured so);
//! the user-level server switches compression with the control endpoint
//! and has no sharing domain to put a client in, so sharing is measured
//! in-kernel only. Stored pages are zero pages (they take metadata but
//! no frame), so neither store needs a frame per page stored: the
//! user-level server's pool is the rest of RAM and its tables hold two
//! pages per frame (over 100,000), the kernel's end at 12,000. Nothing but the measured operations (and copy mode's copy
//! of the guest's page) may run inside a timed loop.

use tmem_client::ops::{flush_page, get, new_pool, put};
use tmem_client::{ControlClient, ExchangeMode, Transport};
use tmem_protocol::{ClientId, ControlRequest};

use super::bench::{copied, measure, report, CONTROL};
use super::in_kernel::{Baseline, GuestPage, Variant};
use super::{handle, open, PERSISTENT};

/// Pages per measured set.
const PAGES: u32 = 32;
/// Distinct pages in a set (page `i` is page `i % DISTINCT`).
const DISTINCT: usize = PAGES as usize / 2;

/// A set's distinct pages, made before the timing starts.
type Set = [GuestPage; DISTINCT];

fn new_set() -> Set {
    core::array::from_fn(|_| GuestPage([0; 4096]))
}

#[derive(Clone, Copy)]
enum Content {
    Zero,
    Text,
    Records,
    Random,
}

const CONTENTS: [Content; 4] = [
    Content::Zero,
    Content::Text,
    Content::Records,
    Content::Random,
];

impl Content {
    fn name(self) -> &'static str {
        match self {
            Content::Zero => "zero",
            Content::Text => "text",
            Content::Records => "records",
            Content::Random => "random",
        }
    }

    /// Fills `set` with this content (distinct page `i` from seed `i`).
    fn fill_set(self, set: &mut Set, salt: u32) {
        for (i, page) in set.iter_mut().enumerate() {
            self.fill(i as u32 ^ salt << 8, &mut page.0);
        }
    }

    /// A page of this content made from `seed`.
    fn fill(self, seed: u32, page: &mut [u8; 4096]) {
        let seed = seed.wrapping_mul(0x9E37_79B9) | 1;
        let mut x = seed;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x
        };
        match self {
            Content::Zero => page.fill(0),
            Content::Text => {
                const WORDS: [&[u8]; 12] = [
                    b"the ",
                    b"page ",
                    b"memory ",
                    b"of ",
                    b"a ",
                    b"guest ",
                    b"is ",
                    b"swapped ",
                    b"to ",
                    b"transcendent ",
                    b"and ",
                    b"back.\n",
                ];
                let mut at = 0;
                while at < page.len() {
                    let word = WORDS[next() as usize % WORDS.len()];
                    let len = word.len().min(page.len() - at);
                    page[at..at + len].copy_from_slice(&word[..len]);
                    at += len;
                }
            }
            Content::Records => {
                for (i, record) in page.chunks_exact_mut(64).enumerate() {
                    record.fill(0);
                    record[..4].copy_from_slice(&(i as u32).to_le_bytes());
                    record[4..8].copy_from_slice(&seed.to_le_bytes());
                    record[8..12].copy_from_slice(&0x6000_1000u32.to_le_bytes());
                }
            }
            Content::Random => {
                for word in page.chunks_exact_mut(4) {
                    word.copy_from_slice(&next().to_le_bytes());
                }
            }
        }
    }
}

/// Runs both sweeps.
pub fn run() {
    let mut set = new_set();
    let ok = contents_in_kernel(&mut set).is_some()
        && contents_user_level(&mut set).is_some()
        && stored_in_kernel(&mut set).is_some()
        && stored_user_level(&mut set).is_some();
    if ok {
        defmt::info!("bench done");
    } else {
        defmt::error!("bench sweeps: an operation failed");
    }
}

fn contents_in_kernel(set: &mut Set) -> Option<()> {
    let mut guest = GuestPage([0; 4096]);
    for variant in [Variant::Plain, Variant::Compress, Variant::Share] {
        let store = Baseline(variant);
        let pool = store.new_pool(true)?;
        for (object, content) in CONTENTS.into_iter().enumerate() {
            let object = object as u32;
            content.fill_set(set, 0);
            let put_cost = store.measure(|| {
                (0..PAGES)
                    .all(|index| store.put(pool, object, index, &set[index as usize % DISTINCT]))
            })?;
            let get_cost = store
                .measure(|| (0..PAGES).all(|index| store.get(pool, object, index, &mut guest)))?;
            (0..PAGES)
                .all(|index| store.flush(pool, object, index))
                .then_some(())?;
            let suffix = suffix(content, variant);
            report("put", "inkernel", suffix, put_cost, PAGES, "operation");
            report("get", "inkernel", suffix, get_cost, PAGES, "operation");
        }
    }
    Some(())
}

/// `.CONTENT.VARIANT`, as a static string.
fn suffix(content: Content, variant: Variant) -> &'static str {
    const NAMES: [[&str; 3]; 4] = [
        [".zero.plain", ".zero.compress", ".zero.share"],
        [".text.plain", ".text.compress", ".text.share"],
        [".records.plain", ".records.compress", ".records.share"],
        [".random.plain", ".random.compress", ".random.share"],
    ];
    let row = CONTENTS
        .iter()
        .position(|c| c.name() == content.name())
        .unwrap_or(0);
    NAMES[row][variant as usize]
}

fn contents_user_level(set: &mut Set) -> Option<()> {
    let mut control = ControlClient::new(CONTROL, 0);
    let mut c = open(tmem_client::ClientCaps::DEFAULT, ExchangeMode::Copy)?;
    let pool = new_pool(&mut c, PERSISTENT, 0).ok()?;
    let mut guest = [0u8; 4096];
    for variant in [Variant::Plain, Variant::Compress] {
        let on = variant == Variant::Compress;
        let request = ControlRequest::SetCompression {
            client: ClientId(1),
            on,
        };
        control.request(&request).ok()?;
        for (object, content) in CONTENTS.into_iter().enumerate() {
            let object = object as u64;
            content.fill_set(set, 0);
            let put_cost = measure(&mut control, |own| {
                (0..PAGES).all(|index| {
                    userlib::page::copy(c.page_mut(), &set[index as usize % DISTINCT].0);
                    copied(own);
                    put(&mut c, handle(pool, object, index)).is_ok()
                })
            })?;
            let get_cost = measure(&mut control, |own| {
                (0..PAGES).all(|index| {
                    let hit = matches!(get(&mut c, handle(pool, object, index)), Ok(true));
                    userlib::page::copy(&mut guest, c.page());
                    copied(own);
                    hit
                })
            })?;
            (0..PAGES)
                .all(|index| flush_page(&mut c, handle(pool, object, index)).is_ok())
                .then_some(())?;
            let suffix = suffix(content, variant);
            report("put", "copy", suffix, put_cost, PAGES, "operation");
            report("get", "copy", suffix, get_cost, PAGES, "operation");
        }
    }
    control
        .request(&ControlRequest::SetCompression {
            client: ClientId(1),
            on: false,
        })
        .ok()?;
    Some(())
}

/// `.storedN` for the sweep's points.
fn stored_suffix(stored: u32) -> &'static str {
    match stored {
        10 => ".stored10",
        100 => ".stored100",
        1000 => ".stored1000",
        10_000 => ".stored10000",
        _ => ".stored100000",
    }
}

fn stored_in_kernel(set: &mut Set) -> Option<()> {
    let store = Baseline(Variant::Plain);
    let pool = store.new_pool(true)?;
    let zero = GuestPage([0; 4096]);
    let mut guest = GuestPage([0; 4096]);
    let mut stored = 0;
    for target in [10, 100, 1000, 10_000] {
        while stored < target {
            store.put(pool, 2, stored, &zero).then_some(())?;
            stored += 1;
        }
        Content::Random.fill_set(set, target);
        let put_cost = store.measure(|| {
            (0..PAGES).all(|index| store.put(pool, 1, index, &set[index as usize % DISTINCT]))
        })?;
        let get_cost =
            store.measure(|| (0..PAGES).all(|index| store.get(pool, 1, index, &mut guest)))?;
        let flush_cost = store.measure(|| (0..PAGES).all(|index| store.flush(pool, 1, index)))?;
        let suffix = stored_suffix(target);
        report("put", "inkernel", suffix, put_cost, PAGES, "operation");
        report("get", "inkernel", suffix, get_cost, PAGES, "operation");
        report("flush", "inkernel", suffix, flush_cost, PAGES, "operation");
    }
    Some(())
}

fn stored_user_level(set: &mut Set) -> Option<()> {
    let mut control = ControlClient::new(CONTROL, 0);
    let mut c = open(tmem_client::ClientCaps::DEFAULT, ExchangeMode::Copy)?;
    let pool = new_pool(&mut c, PERSISTENT, 0).ok()?;
    let mut guest = [0u8; 4096];
    let mut stored = 0;
    for target in [10, 100, 1000, 10_000, 100_000] {
        while stored < target {
            c.page_mut().fill(0);
            put(&mut c, handle(pool, 2, stored)).ok()?;
            stored += 1;
        }
        Content::Random.fill_set(set, target);
        let put_cost = measure(&mut control, |own| {
            (0..PAGES).all(|index| {
                userlib::page::copy(c.page_mut(), &set[index as usize % DISTINCT].0);
                copied(own);
                put(&mut c, handle(pool, 1, index)).is_ok()
            })
        })?;
        let get_cost = measure(&mut control, |own| {
            (0..PAGES).all(|index| {
                let hit = matches!(get(&mut c, handle(pool, 1, index)), Ok(true));
                userlib::page::copy(&mut guest, c.page());
                copied(own);
                hit
            })
        })?;
        let flush_cost = measure(&mut control, |_| {
            (0..PAGES).all(|index| matches!(flush_page(&mut c, handle(pool, 1, index)), Ok(true)))
        })?;
        let suffix = stored_suffix(target);
        report("put", "copy", suffix, put_cost, PAGES, "operation");
        report("get", "copy", suffix, get_cost, PAGES, "operation");
        report("flush", "copy", suffix, flush_cost, PAGES, "operation");
    }
    Some(())
}
