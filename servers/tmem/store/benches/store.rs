//! Host benchmark: cost of put, get and flush as the store grows from 10^3
//! to 10^6 stored pages.
//!
//! Each size gets a fresh store over `VecFrames` (one real 4 KiB frame per
//! page: the 10^6 case uses about 4.1 GB of RAM) filled with distinct,
//! incompressible pages in one persistent pool, under keys spread at random
//! over the key space. Then, at that size:
//! - `get`: a random stored page is copied out (persistent, non-destructive);
//! - `put_overwrite`: a random stored page is replaced (duplicate put);
//! - `put_new`: a page is put under a fresh random key (batches of 1,024,
//!   flushed untimed after each batch so the size stays put);
//! - `flush`: a fresh page is flushed (put untimed in batches of 1,024);
//! - `get_zero_page`: like `get`, in a second store that holds only all-zero
//!   pages (no frames), so the data copy is always cache-hot and what remains
//!   is the metadata path (index lookup, record, statistics).
//!
//! Run: `cargo bench -p tmem-store --bench store`. Sizes can be limited with
//! `TMEM_BENCH_MAX=100000`.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use std::time::{Duration, Instant};
use tmem_store::*;

const CLIENT: ClientId = ClientId(1);
const BATCH: u64 = 1024;

/// A bijective 64-bit mixer (splitmix64 finaliser): distinct inputs give
/// distinct, well-spread keys.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn key(i: u64) -> ObjectId {
    ObjectId([mix(i), 0, 0])
}

/// Distinct incompressible content for page `i`.
fn fill_page(page: &mut Page, i: u64) {
    for (word, chunk) in page.chunks_exact_mut(8).enumerate() {
        chunk.copy_from_slice(&mix(i.wrapping_mul(512) + word as u64 + 1).to_le_bytes());
    }
}

struct Bench {
    store: Store<VecFrames>,
    pool: PoolId,
    size: u64,
    rng: u64,
    page: Box<Page>,
}

impl Bench {
    fn new(size: u64, zero_pages: bool) -> Self {
        let capacity = (size + 2 * BATCH) as u32;
        let config = Config::new(capacity).client(ClientConfig::new(CLIENT));
        let frames = if zero_pages { 0 } else { capacity };
        let mut store = Store::new(config, VecFrames::new(frames)).unwrap();
        let pool = store
            .new_pool(CLIENT, PoolFlags::PERSISTENT, PoolUuid(0))
            .unwrap();
        let mut page = Box::new([0u8; PAGE_SIZE]);
        for i in 0..size {
            if !zero_pages {
                fill_page(&mut page, i);
            }
            store.put_page(CLIENT, pool, key(i), 0, &page).unwrap();
        }
        Self {
            store,
            pool,
            size,
            rng: 0x1234_5678,
            page,
        }
    }

    fn random_stored(&mut self) -> u64 {
        self.rng = self
            .rng
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.rng >> 33) % self.size
    }

    /// Keys never used by stored pages (inputs above 2^40 to `mix`).
    fn fresh(&self, j: u64) -> ObjectId {
        key((1 << 40) + j)
    }
}

fn sizes() -> Vec<u64> {
    let max = std::env::var("TMEM_BENCH_MAX")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000u64);
    [1_000, 10_000, 100_000, 1_000_000]
        .into_iter()
        .filter(|&n| n <= max)
        .collect()
}

fn store_ops(c: &mut Criterion) {
    let mut group = c.benchmark_group("tmem_store");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for size in sizes() {
        let fill_start = Instant::now();
        let mut bench = Bench::new(size, false);
        eprintln!("filled {size} pages in {:.2?}", fill_start.elapsed());

        group.bench_function(BenchmarkId::new("get", size), |b| {
            let mut out = Box::new([0u8; PAGE_SIZE]);
            b.iter(|| {
                let i = bench.random_stored();
                bench
                    .store
                    .get_page(CLIENT, bench.pool, key(i), 0, &mut out)
                    .unwrap();
                black_box(out[0]);
            })
        });

        group.bench_function(BenchmarkId::new("put_overwrite", size), |b| {
            b.iter(|| {
                let i = bench.random_stored();
                bench.page[0] ^= 1;
                bench
                    .store
                    .put_page(CLIENT, bench.pool, key(i), 0, &bench.page)
                    .unwrap();
            })
        });

        group.bench_function(BenchmarkId::new("put_new", size), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                let mut done = 0;
                while done < iters {
                    let batch = BATCH.min(iters - done);
                    let start = Instant::now();
                    for j in 0..batch {
                        bench.page[0] = j as u8;
                        let object = bench.fresh(j);
                        bench
                            .store
                            .put_page(CLIENT, bench.pool, object, 0, &bench.page)
                            .unwrap();
                    }
                    total += start.elapsed();
                    for j in 0..batch {
                        bench
                            .store
                            .flush_page(CLIENT, bench.pool, bench.fresh(j), 0)
                            .unwrap();
                    }
                    done += batch;
                }
                total
            })
        });

        group.bench_function(BenchmarkId::new("flush", size), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                let mut done = 0;
                while done < iters {
                    let batch = BATCH.min(iters - done);
                    for j in 0..batch {
                        bench.page[0] = j as u8;
                        let object = bench.fresh(j);
                        bench
                            .store
                            .put_page(CLIENT, bench.pool, object, 0, &bench.page)
                            .unwrap();
                    }
                    let start = Instant::now();
                    for j in 0..batch {
                        let found = bench
                            .store
                            .flush_page(CLIENT, bench.pool, bench.fresh(j), 0)
                            .unwrap();
                        black_box(found);
                    }
                    total += start.elapsed();
                    done += batch;
                }
                total
            })
        });
        assert_eq!(bench.store.usage().persistent_pages, size);
        drop(bench);

        let mut zero = Bench::new(size, true);
        group.bench_function(BenchmarkId::new("get_zero_page", size), |b| {
            let mut out = Box::new([0u8; PAGE_SIZE]);
            b.iter(|| {
                let i = zero.random_stored();
                zero.store
                    .get_page(CLIENT, zero.pool, key(i), 0, &mut out)
                    .unwrap();
                black_box(out[0]);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, store_ops);
criterion_main!(benches);
