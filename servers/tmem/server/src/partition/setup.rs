//! Boot-time setup: read the configuration, map the store's memory — a
//! large memory frame whole in the pool region (its first pages become the
//! heap the store's tables live in) and the flip frame split into
//! one-page frames, or a small memory frame split — find the places left
//! for frames the manager may give (the store's capacity, fixed here), map
//! every client's window, and build the service. Runs once, in thread 0, before any call
//! (and before anything is allocated: the heap may move to the pool).
//!
//! It must never start serving on a half-built state: any failure here is
//! reported and the server does not start.

use alloc::vec::Vec;

use kernel_abi::syscall::SyscallError;
use tmem_server::{ServerConfig, Service, MAX_CLIENTS};
use userlib::ipc::{cap_delete, Frame};

use super::kept::KeptFrame;
use super::pool::{PoolFrames, Region};
use super::{State, Window};
use tmem_server::layout::{
    FLIPS, KEPT, MAX_POOL_FRAMES, MEMORY, POOL, POOL_BASE, POOL_REGION, TABLE_SHARE, WINDOWS,
    WINDOWS_PAGES, WINDOW_BASE,
};
use tmem_server::pool_moves::{Place as Mapped, PoolMoves};

/// Store pages per frame: the metadata is reserved for this many pages per
/// frame, so that zero pages and compressed pages can outnumber frames.
const PAGES_PER_FRAME: u32 = 2;

/// Bytes mixed into the store's index key that only this image holds: set
/// `TMEM_INDEX_SECRET` when building an image for a board. Without it the
/// secret is this public default, and the key's only secret part is the
/// boot timing (see [`index_key`]).
const INDEX_SECRET: &str = match option_env!("TMEM_INDEX_SECRET") {
    Some(secret) => secret,
    None => "tmem-index-secret",
};

/// The store's hash key, made at boot from [`INDEX_SECRET`] and the
/// microsecond clock read at points of setup whose timing varies from boot
/// to boot on a board (cache, DRAM and interrupt timing), so a client can
/// predict neither. Under QEMU with `-icount` every boot runs the same
/// instructions, so every boot gets the same key: fine for tests, and the
/// reason benchmark figures repeat. The clock is the only varying input a
/// partition has; a board's hardware random number generator would be a
/// better one.
fn index_key(samples: &[u64]) -> u64 {
    tmem_store::derive_index_key(INDEX_SECRET.as_bytes(), samples)
}

/// Builds the server's state.
pub fn run() -> Result<State, &'static str> {
    let started = userlib::syscall::clock_us();
    let config: ServerConfig = userlib::config().map_err(userlib::ConfigError::name)?;
    let (frames, region) = store_memory()?;
    let split = userlib::syscall::clock_us();
    let count = frames.len() as u32 + region.pages;
    let mut frames_held = frames.len() as u32 + u32::from(region.pages > 0);
    let kept = kept_frame(frames.len() as u32)?;
    frames_held += u32::from(kept.is_some());
    let boot = frames.len() as u32;
    let places = super::pool_moves::places(boot, boot + kept.as_ref().map_or(0, KeptFrame::len));
    let room = places.len() as u32;
    let mut windows = [None; MAX_CLIENTS];
    let windows_end = WINDOW_BASE + WINDOWS_PAGES * 4096;
    let mut next_window = WINDOW_BASE;
    for (client, mode) in config.clients() {
        let index = client.0 as usize - 1;
        let slot = WINDOWS + index as u16;
        // A window that does not fit overlaps nothing: the kernel refuses
        // a mapping past the grant window, and the check below unmaps one
        // that ends beyond the windows' room.
        match Frame(slot).map(next_window, true) {
            Ok(pages) if next_window + pages * 4096 <= windows_end => {
                frames_held += 1;
                windows[index] = Some(Window {
                    address: next_window,
                    len: pages as usize * 4096,
                });
                next_window += pages * 4096;
            }
            Ok(pages) => {
                frames_held += 1;
                let _ = Frame(slot).unmap();
                defmt::error!(
                    "client {=u32}: window of {=u32} pages is too big",
                    client.0,
                    pages
                );
            }
            Err(SyscallError::EmptySlot) => {
                defmt::warn!("client {=u32} has no window", client.0);
            }
            Err(error) => {
                frames_held += 1;
                defmt::error!("client {=u32}: window: {=str}", client.0, error.name());
            }
        }
        defmt::debug!("client {=u32}: mode {=u32}", client.0, mode.bits());
    }
    let key = index_key(&[started, split, userlib::syscall::clock_us()]);
    let mut service = Service::new(
        config,
        PoolFrames::new(frames, room, region),
        (count + room) * PAGES_PER_FRAME,
        key,
    )
    .map_err(|_| "store configuration refused")?;
    if let Some(kept) = kept {
        recover(&mut service, kept)?;
    }
    defmt::info!(
        "tmem server: {=u32} frames ({=u32} KiB; {=u32} flip), room for {=u32} more, {=usize} clients",
        count,
        count * 4,
        count - region.pages,
        room,
        service.config().clients().count()
    );
    Ok(State {
        service,
        windows,
        frames_held,
        moves: PoolMoves::new(places),
    })
}

/// The kept frame in slot [`KEPT`], mapped after the `pool_frames` pool
/// frames (`None` if the description gives none).
fn kept_frame(pool_frames: u32) -> Result<Option<KeptFrame>, &'static str> {
    let address = POOL_BASE + pool_frames * 4096;
    match Frame(KEPT).map(address, true) {
        Ok(pages) if pool_frames + pages <= MAX_POOL_FRAMES => {
            Ok(Some(KeptFrame::new(address, pages)))
        }
        Ok(_) => {
            let _ = Frame(KEPT).unmap();
            Err("the kept frame does not fit beside the pool frames")
        }
        Err(SyscallError::EmptySlot) => Ok(None),
        Err(_) => Err("the kept frame would not map"),
    }
}

/// Attaches the journal in the kept frame and rebuilds the store from it,
/// then audits the store.
fn recover(service: &mut Service<PoolFrames>, kept: KeptFrame) -> Result<(), &'static str> {
    let restored = service
        .attach_journal(alloc::boxed::Box::new(kept))
        .map_err(|_| "the kept frame is too small for the journal")?;
    let found = restored.recovery;
    defmt::info!(
        "tmem server: kept {=u32} pools and {=u32} persistent pages ({=u32} refused); dropped {=u32} torn and {=u32} superseded records",
        restored.pools,
        restored.pages,
        restored.refused,
        found.torn,
        found.superseded
    );
    match service.store().check_invariants() {
        Ok(()) => defmt::info!("tmem server: store invariants hold after recovery"),
        Err(broken) => {
            defmt::error!("tmem server: recovered store: {=str}", broken);
            return Err("the recovered store is inconsistent");
        }
    }
    Ok(())
}

/// The store's memory: the one-page frames it may flip, and the region of
/// the large memory frame it keeps pages in (empty for a small one).
///
/// A memory frame the kernel maps in the pool region (whole megabytes) is
/// kept mapped there: its first pages (one in [`TABLE_SHARE`]) become the
/// heap, the rest the region, and the flip frame, if any, is split.
/// Otherwise the memory frame itself is split, as much as fits.
fn store_memory() -> Result<(Vec<Mapped>, Region), &'static str> {
    match Frame(MEMORY).map(POOL_REGION, true) {
        Ok(pages) => {
            let tables = pages / TABLE_SHARE;
            // SAFETY: the pages were mapped read/write just now, stay
            // mapped (the memory frame is never unmapped or deleted) and
            // nothing else uses the first `tables` of them.
            unsafe { userlib::heap::use_arena(POOL_REGION as *mut u8, tables as usize * 4096) }
                .map_err(|_| "something was allocated before setup")?;
            let region = Region {
                address: POOL_REGION + tables * 4096,
                pages: pages - tables,
            };
            Ok((split(FLIPS, false)?, region))
        }
        Err(SyscallError::InvalidArgument) => {
            let region = Region {
                address: POOL_REGION,
                pages: 0,
            };
            Ok((split(MEMORY, true)?, region))
        }
        Err(SyscallError::EmptySlot | SyscallError::WrongType) => {
            Err("no tmem memory frame in slot 2")
        }
        Err(_) => Err("the memory frame would not map"),
    }
}

/// One-page capabilities for every page of the frame in `source` (up to
/// [`MAX_POOL_FRAMES`]), mapped; the frame itself is then deleted, so each
/// page's capability is the only one to its page — the kernel moves a
/// frame by transfer only then (page flipping hands these pages to
/// clients). An empty `source` is an error if `required`, else no frames.
fn split(source: u16, required: bool) -> Result<Vec<Mapped>, &'static str> {
    let mut frames = Vec::new();
    for page in 0..MAX_POOL_FRAMES {
        let slot = POOL + page as u16;
        match Frame(source).split(page, slot) {
            Ok(frame) => {
                let address = POOL_BASE + page * 4096;
                frame
                    .map(address, true)
                    .map_err(|_| "a pool frame would not map")?;
                frames.push(Mapped { slot, address });
            }
            Err(SyscallError::InvalidArgument) if page > 0 => break,
            Err(SyscallError::EmptySlot) if page == 0 && !required => return Ok(frames),
            Err(SyscallError::SlotOccupied) => return Err("pool slots are taken"),
            Err(
                SyscallError::InvalidArgument | SyscallError::EmptySlot | SyscallError::WrongType,
            ) => return Err("no frame to split in slot 2 or 3"),
            Err(_) => return Err("cap_slots too small for the frame split"),
        }
    }
    cap_delete(source).map_err(|_| "the split frame would not go after the split")?;
    Ok(frames)
}
