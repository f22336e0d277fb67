//! The cleancache phase: put pages in a private ephemeral pool (more than
//! it may hold, so some are evicted), get each back once (a hit must be
//! exact) and once more (gets are exclusive, so that must miss), flush an
//! inode, close the pool; then, if asked, the same in the shared pool,
//! whose gets are not exclusive. Misses are normal here; only wrong
//! contents and hits that should have missed are mismatches. This phase
//! must never stop on an error.

use tmem_client::{Cleancache, CleancacheStats, ObjectId, PoolId, Transport};

use crate::pattern::{self, Use};
use crate::tally::Tally;
use guest_tmem_workload::plan::Plan;

/// The shared pool's UUID (the system description authorises it).
const SHARED_UUID: u128 = 7;
/// Pages put in the shared pool.
const SHARED_PAGES: u32 = 16;
/// Pages per file.
const FILE_PAGES: u32 = 8;

/// The file page `number` of this client belongs to: odd files have wide
/// keys (a 192-bit file handle), even ones an inode number.
fn key(client: u32, number: u32) -> ObjectId {
    let file = number / FILE_PAGES;
    if file % 2 == 1 {
        ObjectId([u64::from(file), 0xF11E_4A4D, u64::from(client)])
    } else {
        ObjectId([u64::from(file), 0, 0])
    }
}

/// Runs the phase; returns cleancache's counters.
pub fn run(transport: &mut impl Transport, plan: &Plan, tally: &mut Tally) -> CleancacheStats {
    let mut cache = Cleancache::new();
    match cache.init_fs(transport) {
        Ok(pool) => private(&mut cache, transport, pool, plan, tally),
        Err(error) => tally.error("cleancache init", 0, error),
    }
    if plan.shared {
        match cache.init_shared_fs(transport, SHARED_UUID) {
            Ok(pool) => shared(&mut cache, transport, pool, tally),
            Err(error) => tally.error("cleancache shared init", SHARED_UUID as u32, error),
        }
    }
    cache.stats()
}

fn private(
    cache: &mut Cleancache,
    transport: &mut impl Transport,
    pool: PoolId,
    plan: &Plan,
    tally: &mut Tally,
) {
    let seed = |number| pattern::seed(Use::Cache, plan.client, number);
    let place = |number: u32| (key(plan.client, number), number % FILE_PAGES);
    for number in 0..plan.cache_pages {
        pattern::fill(transport.page_mut(), seed(number));
        let (key, index) = place(number);
        if let Err(error) = cache.put_page_in_place(transport, pool, key, index) {
            tally.error("cleancache put", number, error);
        }
    }
    for number in 0..plan.cache_pages {
        let (key, index) = place(number);
        match cache.get_page_in_place(transport, pool, key, index) {
            Ok(true) => {
                if let Some(byte) = pattern::first_mismatch(transport.page(), seed(number)) {
                    tally.mismatch("cleancache get", number, "wrong contents", byte);
                }
                match cache.get_page_in_place(transport, pool, key, index) {
                    Ok(true) => tally.mismatch("cleancache get", number, "second get hit", 0),
                    Ok(false) => {}
                    Err(error) => tally.error("cleancache get", number, error),
                }
            }
            Ok(false) => {}
            Err(error) => tally.error("cleancache get", number, error),
        }
    }
    if let Err(error) = cache.invalidate_inode(transport, pool, key(plan.client, 0)) {
        tally.error("cleancache invalidate inode", 0, error);
    }
    if let Err(error) = cache.invalidate_fs(transport, pool) {
        tally.error("cleancache invalidate fs", 0, error);
    }
}

fn shared(cache: &mut Cleancache, transport: &mut impl Transport, pool: PoolId, tally: &mut Tally) {
    // Every client puts the same contents under the same names, so a hit
    // verifies whoever put it.
    let name = ObjectId([0x5AED, 0, 0]);
    let seed = |index| pattern::seed(Use::Shared, 0, index);
    for index in 0..SHARED_PAGES {
        pattern::fill(transport.page_mut(), seed(index));
        if let Err(error) = cache.put_page_in_place(transport, pool, name, index) {
            tally.error("shared put", index, error);
        }
    }
    for _ in 0..2 {
        for index in 0..SHARED_PAGES {
            match cache.get_page_in_place(transport, pool, name, index) {
                Ok(true) => {
                    tally.shared_hits += 1;
                    if let Some(byte) = pattern::first_mismatch(transport.page(), seed(index)) {
                        tally.mismatch("shared get", index, "wrong contents", byte);
                    }
                }
                Ok(false) => {}
                Err(error) => tally.error("shared get", index, error),
            }
        }
    }
}
