//! A fake tmem server for host tests: a [`Transport`] that plays the
//! server over a real `tmem_store::Store`, the way the server partition
//! does — encodes the request to words, decodes them as the server would,
//! runs the store operation for this client, encodes the reply and decodes
//! it again. It must never be smarter than the wire: everything it learns
//! comes from the words and the request block.
#![allow(dead_code)]

use std::cell::RefCell;
use std::rc::Rc;

use tmem_client::{Page, Transport, TransportError};
use tmem_protocol::{
    ExchangeMode, PoolId, Reply, Request, RequestBlock, Slot, Status, PAGE_SIZE, REQUEST_BLOCK_SIZE,
};
use tmem_store::{ClientConfig, ClientId, Config, PoolUuid, Store, VecFrames};

/// The store, shared by every client's transport.
pub type SharedStore = Rc<RefCell<Store<VecFrames>>>;

/// The shared pool UUID the tests' configuration authorises.
pub const SHARED_UUID: u128 = 7;

/// A store of `frames` frames with clients 1 and 2 (both allowed in the
/// shared pool `SHARED_UUID`), client 1 capped at `cap` persistent pages.
pub fn store(frames: u32, cap: u32) -> SharedStore {
    let (a, b) = (ClientId(1), ClientId(2));
    let config = Config::new(4096)
        .client(ClientConfig::new(a).persistent_cap(cap))
        .client(ClientConfig::new(b))
        .shared_pool(PoolUuid(SHARED_UUID), &[a, b]);
    Rc::new(RefCell::new(
        Store::new(config, VecFrames::new(frames)).expect("a valid configuration"),
    ))
}

/// One client's transport to the fake server.
pub struct FakeTransport {
    pub store: SharedStore,
    pub client: ClientId,
    pub mode: ExchangeMode,
    page: Box<Page>,
    block: [u8; REQUEST_BLOCK_SIZE],
    /// If set, the next call answers these words (and length) instead.
    pub next_reply: Option<([u32; 4], usize)>,
    /// Every request sent, decoded from its words.
    pub requests: Vec<Request>,
    /// The server is down for this many more calls: each ends in
    /// `PeerGone` unserved.
    pub down: u32,
    /// The server dies after serving the next call: it ends in `PeerGone`.
    pub dies_after_serving: bool,
}

impl FakeTransport {
    pub fn new(store: &SharedStore, client: u32, mode: ExchangeMode) -> FakeTransport {
        FakeTransport {
            store: Rc::clone(store),
            client: ClientId(client),
            mode,
            page: Box::new([0; PAGE_SIZE]),
            block: [0; REQUEST_BLOCK_SIZE],
            next_reply: None,
            requests: Vec::new(),
            down: 0,
            dies_after_serving: false,
        }
    }

    /// The server's side: one decoded request, one reply.
    fn serve(&mut self, request: Request) -> Reply {
        let op = Some(request.opcode());
        let fail = |status: Status| Reply::Failed { op, status };
        let block = RequestBlock::from_bytes(&self.block);
        let mut store = self.store.borrow_mut();
        let client = self.client;
        let pool_reply = |pool: tmem_store::PoolId| match PoolId::try_from(pool) {
            Ok(pool) => Reply::PoolCreated { pool },
            Err(_) => fail(Status::TooManyPools),
        };
        match request {
            Request::NewPool { flags, .. } => {
                let uuid = PoolUuid(if flags.shared { block.pool_uuid } else { 0 });
                match store.new_pool(client, flags.into(), uuid) {
                    Ok(pool) => pool_reply(pool),
                    Err(error) => fail(error.into()),
                }
            }
            Request::DestroyPool { pool } => match store.destroy_pool(client, pool.into()) {
                Ok(()) => Reply::PoolDestroyed,
                Err(error) => fail(error.into()),
            },
            Request::PutPage { exchange, .. } | Request::GetPage { exchange, .. }
                if exchange != self.mode =>
            {
                fail(Status::NotSupported)
            }
            // The frontends send no runs; this fake has no run pages.
            Request::PutRun { .. } | Request::GetRun { .. } => fail(Status::NotSupported),
            Request::PutPage { handle, .. } => {
                let handle = handle.complete(|| block);
                let result = store.put_page(
                    client,
                    handle.pool.into(),
                    handle.object.into(),
                    handle.index,
                    &self.page,
                );
                if self.mode == ExchangeMode::Transfer {
                    // The page's frame stays with the server; a free
                    // (zeroed) one comes back.
                    self.page.fill(0);
                }
                match result {
                    Ok(()) => Reply::PagePut,
                    Err(error) => fail(error.into()),
                }
            }
            Request::GetPage { handle, .. } => {
                let handle = handle.complete(|| block);
                let mut out = [0u8; PAGE_SIZE];
                match store.get_page(
                    client,
                    handle.pool.into(),
                    handle.object.into(),
                    handle.index,
                    &mut out,
                ) {
                    Ok(()) => {
                        *self.page = out;
                        Reply::PageGot
                    }
                    Err(error) => {
                        if self.mode == ExchangeMode::Transfer {
                            // A frame of meaningless contents comes back.
                            self.page.fill(0xEE);
                        }
                        fail(error.into())
                    }
                }
            }
            Request::FlushPage { handle, .. } => {
                let handle = handle.complete(|| block);
                match store.flush_page(
                    client,
                    handle.pool.into(),
                    handle.object.into(),
                    handle.index,
                ) {
                    Ok(found) => Reply::PageFlushed { found },
                    Err(error) => fail(error.into()),
                }
            }
            Request::FlushObject { pool, object, .. } => {
                let object = object.complete(|| block);
                match store.flush_object(client, pool.into(), object.into()) {
                    Ok(pages) => Reply::ObjectFlushed { pages },
                    Err(error) => fail(error.into()),
                }
            }
            Request::Control { .. } => fail(Status::NotSupported),
        }
    }
}

impl Transport for FakeTransport {
    fn call(&mut self, request: Request) -> Result<Reply, TransportError> {
        let gone = TransportError::PEER_GONE;
        if self.down > 0 {
            self.down -= 1;
            return Err(gone);
        }
        let words = request.encode();
        let reply = match Request::decode(words, request.word_count()) {
            Ok(decoded) => {
                assert_eq!(decoded, request, "requests round-trip through their words");
                self.requests.push(decoded);
                self.serve(decoded)
            }
            Err(error) => Reply::rejecting(words, error),
        };
        if std::mem::take(&mut self.dies_after_serving) {
            return Err(gone);
        }
        let (words, len) = self
            .next_reply
            .take()
            .unwrap_or((reply.encode(), Reply::WORDS));
        tmem_client::transport::decode_reply(words, len)
    }

    fn page(&self) -> &Page {
        &self.page
    }

    fn page_mut(&mut self) -> &mut Page {
        &mut self.page
    }

    fn block_mut(&mut self) -> &mut [u8; REQUEST_BLOCK_SIZE] {
        &mut self.block
    }

    fn mode(&self) -> ExchangeMode {
        self.mode
    }

    fn slot(&self) -> Slot {
        Slot::FIRST
    }
}

/// A page whose every 32-bit word depends on `seed` and its position.
pub fn pattern(seed: u32) -> Page {
    let mut page = [0u8; PAGE_SIZE];
    for (i, word) in page.chunks_exact_mut(4).enumerate() {
        let value = seed
            .wrapping_mul(0x9E37_79B9)
            .wrapping_add((i as u32).wrapping_mul(0x0100_0193))
            ^ 0xA5A5_5A5A;
        word.copy_from_slice(&value.to_le_bytes());
    }
    page
}
