//! The provider hooks page flipping builds on: `write_page` is called for
//! exactly the pages the store keeps whole, `take_page` for exactly the
//! gets that free their frame, and what a provider does in them is what
//! the store's later reads see.

use tmem_store::*;

/// Frames that count the hook calls and, like a flipping provider, swap
/// the caller's page into the frame instead of copying it.
struct Flipping {
    frames: VecFrames,
    writes: u32,
    takes: u32,
}

impl FrameProvider for Flipping {
    fn frame_count(&self) -> u32 {
        self.frames.frame_count()
    }
    fn frame(&self, id: FrameId) -> &Page {
        self.frames.frame(id)
    }
    fn frame_mut(&mut self, id: FrameId) -> &mut Page {
        self.frames.frame_mut(id)
    }
    fn write_page(&mut self, id: FrameId, page: &Page) -> Traffic {
        self.writes += 1;
        self.frames.frame_mut(id).copy_from_slice(page);
        // A flip moves no page contents.
        Traffic::NONE
    }
    fn take_page(&mut self, id: FrameId, out: &mut Page) -> Traffic {
        self.takes += 1;
        out.copy_from_slice(self.frames.frame(id));
        // The frame now holds whatever the caller's memory held.
        self.frames.frame_mut(id).fill(0xEE);
        Traffic::NONE
    }
}

fn noisy(seed: u8) -> Page {
    let mut page = [0u8; PAGE_SIZE];
    let mut x = u32::from(seed) | 1;
    for byte in page.iter_mut() {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *byte = x as u8;
    }
    page
}

fn store(compress: bool) -> (Store<Flipping>, ClientId) {
    let a = ClientId(1);
    let config = Config::new(64)
        .client(ClientConfig::new(a).compress(compress))
        .shared_pool(PoolUuid(7), &[a]);
    let frames = Flipping {
        frames: VecFrames::new(16),
        writes: 0,
        takes: 0,
    };
    (Store::new(config, frames).unwrap(), a)
}

#[test]
fn whole_pages_go_through_write_page_and_exclusive_gets_through_take_page() {
    let (mut store, a) = store(false);
    let cache = store
        .new_pool(a, PoolFlags::EPHEMERAL, PoolUuid(0))
        .unwrap();
    let page = noisy(3);
    store
        .put_page(a, cache, ObjectId([1, 0, 0]), 0, &page)
        .unwrap();
    assert_eq!(store.provider().writes, 1);
    let mut out = [0u8; PAGE_SIZE];
    store
        .get_page(a, cache, ObjectId([1, 0, 0]), 0, &mut out)
        .unwrap();
    assert_eq!(out, page);
    assert_eq!(
        store.provider().takes,
        1,
        "an exclusive get frees its frame"
    );
    store.check_invariants().unwrap();

    let swap = store
        .new_pool(a, PoolFlags::PERSISTENT, PoolUuid(0))
        .unwrap();
    store
        .put_page(a, swap, ObjectId([2, 0, 0]), 0, &page)
        .unwrap();
    for _ in 0..2 {
        store
            .get_page(a, swap, ObjectId([2, 0, 0]), 0, &mut out)
            .unwrap();
        assert_eq!(out, page, "a persistent page stays readable");
    }
    assert_eq!(store.provider().takes, 1, "persistent gets copy");

    let shared = store.new_pool(a, PoolFlags::SHARED, PoolUuid(7)).unwrap();
    store
        .put_page(a, shared, ObjectId([3, 0, 0]), 0, &page)
        .unwrap();
    store
        .get_page(a, shared, ObjectId([3, 0, 0]), 0, &mut out)
        .unwrap();
    store
        .get_page(a, shared, ObjectId([3, 0, 0]), 0, &mut out)
        .unwrap();
    assert_eq!(out, page);
    assert_eq!(store.provider().takes, 1, "shared gets are not exclusive");
    store.check_invariants().unwrap();
}

#[test]
fn zero_and_compressed_pages_never_reach_the_hooks() {
    let (mut store, a) = store(true);
    let cache = store
        .new_pool(a, PoolFlags::EPHEMERAL, PoolUuid(0))
        .unwrap();
    store
        .put_page(a, cache, ObjectId([1, 0, 0]), 0, &[0u8; PAGE_SIZE])
        .unwrap();
    store
        .put_page(a, cache, ObjectId([1, 0, 0]), 1, &[5u8; PAGE_SIZE])
        .unwrap();
    let mut out = [1u8; PAGE_SIZE];
    store
        .get_page(a, cache, ObjectId([1, 0, 0]), 0, &mut out)
        .unwrap();
    assert_eq!(out, [0u8; PAGE_SIZE]);
    store
        .get_page(a, cache, ObjectId([1, 0, 0]), 1, &mut out)
        .unwrap();
    assert_eq!(out, [5u8; PAGE_SIZE]);
    assert_eq!((store.provider().writes, store.provider().takes), (0, 0));
    store.check_invariants().unwrap();
}

#[test]
fn traffic_counts_what_the_provider_reports_and_the_store_reads() {
    let (mut store, a) = store(false);
    let cache = store
        .new_pool(a, PoolFlags::EPHEMERAL, PoolUuid(0))
        .unwrap();
    let swap = store
        .new_pool(a, PoolFlags::PERSISTENT, PoolUuid(0))
        .unwrap();
    let mut page = [0u8; PAGE_SIZE];
    page[9] = 1;
    store
        .put_page(a, cache, ObjectId([1, 0, 0]), 0, &page)
        .unwrap();
    // The zero check reads words up to the first non-zero one; the flip
    // moves nothing.
    assert_eq!(store.traffic(), Traffic::read(16));
    let mut out = [0u8; PAGE_SIZE];
    store
        .get_page(a, cache, ObjectId([1, 0, 0]), 0, &mut out)
        .unwrap();
    assert_eq!(store.traffic(), Traffic::read(16), "an exclusive get flips");
    store
        .put_page(a, swap, ObjectId([2, 0, 0]), 0, &page)
        .unwrap();
    let before = store.traffic();
    store
        .get_page(a, swap, ObjectId([2, 0, 0]), 0, &mut out)
        .unwrap();
    assert_eq!(
        store.traffic() - before,
        Traffic::copy(PAGE_SIZE),
        "a persistent get copies"
    );
    let before = store.traffic();
    store
        .put_page(a, swap, ObjectId([3, 0, 0]), 0, &[0u8; PAGE_SIZE])
        .unwrap();
    store
        .get_page(a, swap, ObjectId([3, 0, 0]), 0, &mut out)
        .unwrap();
    assert_eq!(
        store.traffic() - before,
        Traffic::read(PAGE_SIZE) + Traffic::written(PAGE_SIZE),
        "a zero page is scanned whole on put and filled on get"
    );
}
