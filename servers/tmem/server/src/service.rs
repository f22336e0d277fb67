//! The service: one decoded request from one client against the store.
//!
//! The partition decodes a message once ([`Request::decode`]; a message
//! that does not decode is answered with [`Reply::rejecting`] and never
//! gets here), finds the caller from the badge once ([`Service::caller`]),
//! and [`Service::serve`] answers the typed request; it never fails and
//! never panics. The exchange mode a put or get names must be the one the
//! configuration gives that client.
//! This module must never read a window or frame except through
//! [`ClientPages`], and must read a request block at most once per request
//! (the client can change it at any moment).

use tmem_protocol::{ClientId, DecodeError, ExchangeMode, Opcode, Reply, Request, Status};
use tmem_store::{FrameProvider, PoolUuid, Store};

use crate::config::ServerConfig;
use crate::pages::ClientPages;

/// A client the configuration names, as its badge showed it: its id and
/// the exchange mode it is configured for. Only [`Service::caller`] makes
/// one, so a request can never name its own client or mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caller {
    client: ClientId,
    mode: ExchangeMode,
}

impl Caller {
    /// The exchange mode the configuration gives the client.
    pub fn mode(self) -> ExchangeMode {
        self.mode
    }

    /// The client's index among the configured clients (its number - 1).
    pub fn index(self) -> usize {
        self.client.0 as usize - 1
    }
}

/// The store and who may use it.
pub struct Service<P: FrameProvider> {
    pub(crate) store: Store<P>,
    config: ServerConfig,
    /// Where private persistent pools' pages are kept across a restart,
    /// if the server was given memory for it ([`crate::persist`]).
    pub(crate) journal: Option<tmem_store::journal::Journal<crate::persist::KeptMemory>>,
}

impl<P: FrameProvider> Service<P> {
    /// A service over `provider`'s frames for the clients `config` names;
    /// `max_pages` bounds the pages (and so the metadata) the store keeps;
    /// `index_key` keys the store's handle hash and must be something no
    /// client knows ([`tmem_store::derive_index_key`]).
    pub fn new(
        config: ServerConfig,
        provider: P,
        max_pages: u32,
        index_key: u64,
    ) -> Result<Self, tmem_store::ConfigError> {
        let store = Store::new(
            config.store_config(max_pages).index_seed(index_key),
            provider,
        )?;
        Ok(Service {
            store,
            config,
            journal: None,
        })
    }

    /// The store, for control requests and audits.
    pub fn store(&self) -> &Store<P> {
        &self.store
    }

    /// The store, for control requests.
    pub(crate) fn store_mut(&mut self) -> &mut Store<P> {
        &mut self.store
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// The client behind `badge` and its exchange mode, if the
    /// configuration names one: looked up once per call, before anything
    /// is served.
    pub fn caller(&self, badge: u32) -> Option<Caller> {
        self.config
            .client(badge)
            .map(|(client, mode)| Caller { client, mode })
    }

    /// Answers `request` (what [`Request::decode`] made of the message; a
    /// message that did not decode is answered with [`Reply::rejecting`]
    /// and never reaches the service) from `caller`, reading and writing
    /// pages through `pages`. It never fails: a request the store or the
    /// configuration refuses gets a `Failed` reply naming its opcode.
    pub fn serve(
        &mut self,
        caller: Caller,
        request: &Request,
        pages: &mut impl ClientPages,
    ) -> Reply {
        match self.run(caller.client, caller.mode, request, pages) {
            Ok(reply) => reply,
            Err(status) => refusal(request.opcode(), status),
        }
    }

    fn run(
        &mut self,
        client: ClientId,
        mode: ExchangeMode,
        request: &Request,
        pages: &mut impl ClientPages,
    ) -> Result<Reply, Status> {
        let id = tmem_store::ClientId::from(client);
        match *request {
            Request::NewPool { flags, slot } => {
                let uuid = if flags.shared {
                    pages.block(slot).ok_or(Status::BadRequest)?.pool_uuid
                } else {
                    0
                };
                let flags = flags.into();
                let pool = self.store.new_pool(id, flags, PoolUuid(uuid))?;
                self.kept_new_pool(id, flags, pool)?;
                let pool = pool
                    .try_into()
                    .map_err(|_: DecodeError| Status::TooManyPools)?;
                Ok(Reply::PoolCreated { pool })
            }
            Request::DestroyPool { pool } => {
                self.kept_destroy_pool(id, pool.into())?;
                Ok(Reply::PoolDestroyed)
            }
            Request::PutPage {
                handle,
                exchange,
                slot,
            } => {
                check_mode(exchange, mode)?;
                let handle = complete(handle, slot, pages)?;
                let page = pages.page(slot, 0).ok_or(Status::BadRequest)?;
                let object = handle.object.into();
                self.kept_put(id, handle.pool.into(), object, handle.index, page)?;
                Ok(Reply::PagePut)
            }
            Request::GetPage {
                handle,
                exchange,
                slot,
            } => {
                check_mode(exchange, mode)?;
                let handle = complete(handle, slot, pages)?;
                let page = pages.page(slot, 0).ok_or(Status::BadRequest)?;
                let object = handle.object.into();
                self.store
                    .get_page(id, handle.pool.into(), object, handle.index, page)?;
                Ok(Reply::PageGot)
            }
            Request::FlushPage { handle, slot } => {
                let handle = complete(handle, slot, pages)?;
                let object = handle.object.into();
                let found = self.kept_flush_page(id, handle.pool.into(), object, handle.index)?;
                Ok(Reply::PageFlushed { found })
            }
            Request::FlushObject { pool, object, slot } => {
                let object = if object.needs_block() {
                    let block = pages.block(slot).ok_or(Status::BadRequest)?;
                    object.complete(|| block)
                } else {
                    object.complete(Default::default)
                };
                let pages = self.kept_flush_object(id, pool.into(), object.into())?;
                Ok(Reply::ObjectFlushed { pages })
            }
            Request::PutRun {
                run,
                exchange,
                slot,
            } => {
                check_mode(exchange, mode)?;
                let pages = self.run_pages(id, run, slot, pages, RunOp::Put)?;
                Ok(Reply::RunPut { pages })
            }
            Request::GetRun {
                run,
                exchange,
                slot,
            } => {
                check_mode(exchange, mode)?;
                let pages = self.run_pages(id, run, slot, pages, RunOp::Get)?;
                Ok(Reply::RunGot { pages })
            }
            // Control messages belong on the control endpoint.
            Request::Control { .. } => Err(Status::NotSupported),
        }
    }
}

/// Which way a run's pages go.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RunOp {
    Put,
    Get,
}

impl<P: FrameProvider> Service<P> {
    /// Puts or gets `run`'s pages in order and returns how many succeeded,
    /// stopping at the first the store refuses or misses. Nothing is
    /// stored or read unless every page of the run is there to read or
    /// fill; a run whose first page fails is refused with that page's
    /// status.
    fn run_pages(
        &mut self,
        client: tmem_store::ClientId,
        run: tmem_protocol::PageRun,
        slot: tmem_protocol::Slot,
        pages: &mut impl ClientPages,
        op: RunOp,
    ) -> Result<u32, Status> {
        let len = run.len.pages();
        pages.page(slot, len - 1).ok_or(Status::BadRequest)?;
        let pool = run.pool.into();
        let object = tmem_protocol::ObjectId([run.object, 0, 0]).into();
        let mut done = 0;
        for i in 0..len {
            let page = pages.page(slot, i).ok_or(Status::BadRequest)?;
            let index = run.index(i);
            let outcome = match op {
                RunOp::Put => self.kept_put(client, pool, object, index, page),
                RunOp::Get => self.store.get_page(client, pool, object, index, page),
            };
            match outcome {
                Ok(()) => done += 1,
                Err(error) if done == 0 => return Err(error.into()),
                Err(_) => break,
            }
        }
        Ok(done)
    }
}

/// A put or get must travel the way the client is configured to.
fn check_mode(named: ExchangeMode, configured: ExchangeMode) -> Result<(), Status> {
    if named == configured {
        Ok(())
    } else {
        Err(Status::NotSupported)
    }
}

/// The whole handle, reading the request block only for a wide object id.
fn complete(
    head: tmem_protocol::HandleHead,
    slot: tmem_protocol::Slot,
    pages: &impl ClientPages,
) -> Result<tmem_protocol::Handle, Status> {
    if head.object.needs_block() {
        let block = pages.block(slot).ok_or(Status::BadRequest)?;
        Ok(head.complete(|| block))
    } else {
        Ok(head.complete(Default::default))
    }
}

/// The reply refusing a request of opcode `op` with `status`.
pub fn refusal(op: Opcode, status: Status) -> Reply {
    Reply::Failed {
        op: Some(op),
        status,
    }
}
