//! The tmem operations of ABI v1, one function each, over any
//! [`Transport`]: build the request (with the transport's mode and slot),
//! write the request block when the request needs it (a wide object id, a
//! shared pool's UUID), send, and check that the reply answers what was
//! asked.
//!
//! The functions take a full [`Handle`] and split it themselves, so a
//! caller can never send a WIDE header with a stale block. They keep no
//! state and count nothing (the frontends do). They must never treat a
//! miss as an error, nor a reply to another request as a success.

use tmem_protocol::{
    Handle, ObjectId, PageRun, PoolFlags, PoolId, Reply, Request, RequestBlock, Status,
};

use crate::error::TmemClientError;
use crate::transport::Transport;

/// Writes the request block for `object` if it is wide.
fn prepare_object<T: Transport + ?Sized>(transport: &mut T, object: ObjectId) {
    if !object.is_narrow() {
        *transport.block_mut() = RequestBlock::for_object(object).to_bytes();
    }
}

/// Opens a pool of kind `flags`; `uuid` names a shared pool (ignored for a
/// private one). Returns the pool's id.
pub fn new_pool<T: Transport + ?Sized>(
    transport: &mut T,
    flags: PoolFlags,
    uuid: u128,
) -> Result<PoolId, TmemClientError> {
    if flags.shared {
        *transport.block_mut() = RequestBlock::for_pool_uuid(uuid).to_bytes();
    }
    let slot = transport.slot();
    match transport.call(Request::NewPool { flags, slot })? {
        Reply::PoolCreated { pool } => Ok(pool),
        other => Err(TmemClientError::from_reply(other)),
    }
}

/// Closes `pool`.
pub fn destroy_pool<T: Transport + ?Sized>(
    transport: &mut T,
    pool: PoolId,
) -> Result<(), TmemClientError> {
    match transport.call(Request::DestroyPool { pool })? {
        Reply::PoolDestroyed => Ok(()),
        other => Err(TmemClientError::from_reply(other)),
    }
}

/// Stores the page in the transport's page buffer under `handle`.
pub fn put<T: Transport + ?Sized>(
    transport: &mut T,
    handle: Handle,
) -> Result<(), TmemClientError> {
    prepare_object(transport, handle.object);
    let request = Request::PutPage {
        handle: handle.head(),
        exchange: transport.mode(),
        slot: transport.slot(),
    };
    match transport.call(request)? {
        Reply::PagePut => Ok(()),
        other => Err(TmemClientError::from_reply(other)),
    }
}

/// Fetches the page under `handle` into the transport's page buffer:
/// `Ok(true)` if it was there, `Ok(false)` on a miss.
pub fn get<T: Transport + ?Sized>(
    transport: &mut T,
    handle: Handle,
) -> Result<bool, TmemClientError> {
    prepare_object(transport, handle.object);
    let request = Request::GetPage {
        handle: handle.head(),
        exchange: transport.mode(),
        slot: transport.slot(),
    };
    match transport.call(request)? {
        Reply::PageGot => Ok(true),
        Reply::Failed {
            status: Status::NotFound,
            ..
        } => Ok(false),
        other => Err(TmemClientError::from_reply(other)),
    }
}

/// Removes the page under `handle`; returns whether there was one.
pub fn flush_page<T: Transport + ?Sized>(
    transport: &mut T,
    handle: Handle,
) -> Result<bool, TmemClientError> {
    prepare_object(transport, handle.object);
    let request = Request::FlushPage {
        handle: handle.head(),
        slot: transport.slot(),
    };
    match transport.call(request)? {
        Reply::PageFlushed { found } => Ok(found),
        other => Err(TmemClientError::from_reply(other)),
    }
}

/// Removes every page of `object` in `pool`; returns how many.
pub fn flush_object<T: Transport + ?Sized>(
    transport: &mut T,
    pool: PoolId,
    object: ObjectId,
) -> Result<u32, TmemClientError> {
    prepare_object(transport, object);
    let request = Request::FlushObject {
        pool,
        object: object.head(),
        slot: transport.slot(),
    };
    match transport.call(request)? {
        Reply::ObjectFlushed { pages } => Ok(pages),
        other => Err(TmemClientError::from_reply(other)),
    }
}

/// Stores the run's pages, which are in the transport's
/// [`run_pages_mut`](Transport::run_pages_mut), in one call; returns how
/// many were stored (fewer than the run's length: the next was refused).
pub fn put_run<T: Transport + ?Sized>(
    transport: &mut T,
    run: PageRun,
) -> Result<u32, TmemClientError> {
    let request = Request::PutRun {
        run,
        exchange: transport.mode(),
        slot: transport.slot(),
    };
    match transport.call(request)? {
        Reply::RunPut { pages } if pages as usize <= run.len.pages() => Ok(pages),
        other => Err(TmemClientError::from_reply(other)),
    }
}

/// Fetches the run's pages into the transport's
/// [`run_pages_mut`](Transport::run_pages_mut) in one call; returns how
/// many came (the first that many pages; 0 when the first page missed).
pub fn get_run<T: Transport + ?Sized>(
    transport: &mut T,
    run: PageRun,
) -> Result<u32, TmemClientError> {
    let request = Request::GetRun {
        run,
        exchange: transport.mode(),
        slot: transport.slot(),
    };
    match transport.call(request)? {
        Reply::RunGot { pages } if pages as usize <= run.len.pages() => Ok(pages),
        Reply::Failed {
            status: Status::NotFound,
            ..
        } => Ok(0),
        other => Err(TmemClientError::from_reply(other)),
    }
}
