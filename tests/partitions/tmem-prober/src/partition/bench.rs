//! The page-exchange benchmark (`cargo xtask bench`, `systems/bench-tmem.toml`):
//! tmem operations per exchange mode, one page per call and in runs of
//! 1, 4, 16 and 64 pages per call, each timed under `-icount` and logged
//! with the page-content bytes it moved.
//!
//! Three clients: 1 copy (endpoint 0, window 1 of 65 pages), 2 grant-map
//! (endpoint 3, window 4) and 3 transfer (endpoint 6, window 7), each with
//! one exchange frame per run length (grant-map: slots 5, 10, 11, 12 of 1,
//! 4, 16, 64 pages; transfer: 8, 13, 14, 15); the control endpoint in
//! slot 9, read for the server's traffic. The page starts (put) and ends
//! (get) in the guest's own memory: copy mode pays for copying it into
//! and out of the window, and counts those bytes; the frame modes pass
//! the frames it is in.
//!
//! Every figure is one line `bench NAME: VALUE instructions per UNIT;
//! traffic READ/WRITTEN bytes per UNIT (...)`, which xtask parses. Nothing
//! here may run between a timed loop's clock readings except the
//! operations it measures. Last, the same single-page operations through
//! the in-kernel baseline (`in_kernel.rs`).

use kernel_abi::user_layout::GRANT_WINDOW;
use tmem_client::ops::{flush_object, flush_page, get, get_run, new_pool, put, put_run};
use tmem_client::{ClientCaps, Connection, ControlClient, ExchangeMode, Transport};
use tmem_protocol::{ControlRequest, ControlResponse, ObjectId, PageRun, PageTraffic, RunLength};

use super::{fill, handle, open, EPHEMERAL, PERSISTENT};

/// How much to measure.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Sweep {
    /// Every mode, single operations on 64 pages, runs of 1, 4, 16, 64.
    Quick,
    /// A check that the pipeline works: 4 pages, runs of 1 and 4.
    Tiny,
}

impl Sweep {
    /// Pages each timed loop moves (the pool has room for them).
    pub fn pages(self) -> u32 {
        match self {
            Sweep::Quick => 64,
            Sweep::Tiny => 4,
        }
    }

    fn run_lengths(self) -> &'static [usize] {
        match self {
            Sweep::Quick => &[1, 4, 16, 64],
            Sweep::Tiny => &[1, 4],
        }
    }
}

/// The control endpoint's slot.
pub const CONTROL: u16 = 9;
/// Run lengths and, per frame mode, the slot of the exchange frame that
/// many pages long.
const RUN_FRAMES: [(usize, u16, u16); 4] = [(1, 5, 8), (4, 10, 13), (16, 11, 14), (64, 12, 15)];

struct Client {
    caps: ClientCaps,
    mode: ExchangeMode,
    name: &'static str,
}

impl Client {
    /// The capabilities with the exchange frame of `pages` pages.
    fn caps_for_run(&self, pages: usize) -> ClientCaps {
        let frame = RUN_FRAMES.iter().find(|(len, _, _)| *len == pages);
        let exchange = match (self.mode, frame) {
            (ExchangeMode::GrantMap, Some((_, slot, _))) => *slot,
            (ExchangeMode::Transfer, Some((_, _, slot))) => *slot,
            _ => self.caps.exchange,
        };
        ClientCaps {
            exchange,
            ..self.caps
        }
    }
}

const CLIENTS: [Client; 3] = [
    Client {
        caps: ClientCaps::DEFAULT,
        mode: ExchangeMode::Copy,
        name: "copy",
    },
    Client {
        caps: ClientCaps {
            endpoint: 3,
            window: 4,
            window_address: GRANT_WINDOW + 0x5_0000,
            exchange: 5,
            exchange_address: GRANT_WINDOW + 0x6_0000,
        },
        mode: ExchangeMode::GrantMap,
        name: "grant_map",
    },
    Client {
        caps: ClientCaps {
            endpoint: 6,
            window: 7,
            window_address: GRANT_WINDOW + 0x5_0000,
            exchange: 8,
            exchange_address: GRANT_WINDOW + 0x6_0000,
        },
        mode: ExchangeMode::Transfer,
        name: "transfer",
    },
];

/// What a timed loop cost: instructions, and page-content bytes moved
/// by the server and by this partition's own copies.
#[derive(Clone, Copy, Default)]
pub struct Measured {
    /// Instructions (nanoseconds under `-icount shift=0`).
    pub instructions: u64,
    /// Page-content bytes moved.
    pub traffic: PageTraffic,
}

/// Runs the sweep and logs every figure.
pub fn run(sweep: Sweep) {
    let mut control = ControlClient::new(CONTROL, 0);
    for client in &CLIENTS {
        if single_operations(client, sweep, &mut control).is_none() {
            return defmt::error!("bench {=str}: single operations failed", client.name);
        }
        for &pages in sweep.run_lengths() {
            if runs(client, sweep, pages, &mut control).is_none() {
                return defmt::error!("bench {=str}: runs of {=usize} failed", client.name, pages);
            }
        }
    }
    if super::in_kernel::run(sweep).is_none() {
        return defmt::error!("bench inkernel: an operation failed");
    }
    defmt::info!("bench done");
}

fn server_traffic(control: &mut ControlClient) -> Option<PageTraffic> {
    match control.request(&ControlRequest::Traffic) {
        Ok(ControlResponse::Traffic(traffic)) => Some(traffic),
        _ => None,
    }
}

/// Times `work` (which reports the bytes it copied itself) and adds the
/// server's traffic over the same span.
pub fn measure(
    control: &mut ControlClient,
    work: impl FnOnce(&mut PageTraffic) -> bool,
) -> Option<Measured> {
    let before = server_traffic(control)?;
    let mut own = PageTraffic::default();
    let begin = userlib::syscall::clock_us();
    let ok = work(&mut own);
    let elapsed = userlib::syscall::clock_us() - begin;
    let after = server_traffic(control)?;
    ok.then_some(Measured {
        instructions: elapsed * 1000,
        traffic: PageTraffic {
            read: own.read + after.read - before.read,
            written: own.written + after.written - before.written,
        },
    })
}

/// Logs one figure: `measured` over `per` operations or pages.
pub fn report(name: &str, mode: &str, suffix: &str, measured: Measured, per: u32, unit: &str) {
    let per = u64::from(per);
    defmt::info!(
        "bench tmem.{=str}.{=str}{=str}: {=u64} instructions per {=str}; traffic {=u64}/{=u64} bytes per {=str}",
        name,
        mode,
        suffix,
        measured.instructions / per,
        unit,
        measured.traffic.read / per,
        measured.traffic.written / per,
        unit
    );
}

/// A guest page copied into or out of the window: 4 KiB read, 4 KiB written.
pub fn copied(traffic: &mut PageTraffic) {
    traffic.read += 4096;
    traffic.written += 4096;
}

fn single_operations(client: &Client, sweep: Sweep, control: &mut ControlClient) -> Option<()> {
    let mut c = open(client.caps, client.mode)?;
    let swap = new_pool(&mut c, PERSISTENT, 0).ok()?;
    let cache = new_pool(&mut c, EPHEMERAL, 0).ok()?;
    let pages = sweep.pages();
    fill(c.page_mut(), 1);
    // Warm up: caches, TLBs and the store's tables.
    for index in 0..8 {
        mark(&mut c, index);
        let _ = put(&mut c, handle(swap, 9, index));
        let _ = get(&mut c, handle(swap, 9, index));
        let _ = flush_page(&mut c, handle(swap, 9, index));
    }
    let mut guest = [0u8; 4096];
    fill(&mut guest, 2);
    let copying = client.mode == ExchangeMode::Copy;
    let put_cost = measure(control, |own| {
        (0..pages).all(|index| {
            guest[..4].copy_from_slice(&(index + 1).to_le_bytes());
            if copying {
                userlib::page::copy(c.page_mut(), &guest);
                copied(own);
            } else {
                mark(&mut c, index);
            }
            put(&mut c, handle(swap, 1, index)).is_ok()
        })
    })?;
    let get_cost = measure(control, |own| {
        (0..pages).all(|index| {
            let hit = matches!(get(&mut c, handle(swap, 1, index)), Ok(true));
            if copying {
                userlib::page::copy(&mut guest, c.page());
                copied(own);
            }
            hit
        })
    })?;
    let flush_cost = measure(control, |_| {
        (0..pages).all(|index| matches!(flush_page(&mut c, handle(swap, 1, index)), Ok(true)))
    })?;
    for index in 0..pages {
        mark(&mut c, index);
        let _ = put(&mut c, handle(cache, 1, index));
    }
    let exclusive_cost = measure(control, |own| {
        (0..pages).all(|index| {
            let hit = matches!(get(&mut c, handle(cache, 1, index)), Ok(true));
            if copying {
                userlib::page::copy(&mut guest, c.page());
                copied(own);
            }
            hit
        })
    })?;
    for (op, cost) in [
        ("put", put_cost),
        ("get", get_cost),
        ("flush", flush_cost),
        ("get_exclusive", exclusive_cost),
    ] {
        report(op, client.name, "", cost, pages, "operation");
    }
    Some(())
}

/// Puts and gets `sweep.pages()` pages in runs of `len`.
fn runs(client: &Client, sweep: Sweep, len: usize, control: &mut ControlClient) -> Option<()> {
    let mut c = open(client.caps_for_run(len), client.mode)?;
    let swap = new_pool(&mut c, PERSISTENT, 0).ok()?;
    let length = RunLength::new(len)?;
    let calls = sweep.pages() / len as u32;
    let run_at = |call: u32| PageRun::new(swap, 7, call * len as u32, length);
    let copying = client.mode == ExchangeMode::Copy;
    let mut guest = [0u8; 4096];
    fill(&mut guest, 3);
    // Warm up, then start from an empty object.
    let warm = run_at(0)?;
    put_run(&mut c, warm).ok()?;
    get_run(&mut c, warm).ok()?;
    flush_object(&mut c, swap, ObjectId([7, 0, 0])).ok()?;
    let put_cost = measure(control, |own| {
        (0..calls).all(|call| {
            let Some(pages) = c.run_pages_mut(len) else {
                return false;
            };
            for (i, page) in pages.iter_mut().enumerate() {
                let index = call * len as u32 + i as u32;
                guest[..4].copy_from_slice(&(index + 1).to_le_bytes());
                if copying {
                    userlib::page::copy(page, &guest);
                    copied(own);
                } else {
                    page[..4].copy_from_slice(&(index + 1).to_le_bytes());
                }
            }
            run_at(call).is_some_and(|run| put_run(&mut c, run).ok() == Some(len as u32))
        })
    })?;
    let get_cost = measure(control, |own| {
        (0..calls).all(|call| {
            let got = run_at(call).is_some_and(|run| get_run(&mut c, run).ok() == Some(len as u32));
            if copying {
                if let Some(pages) = c.run_pages_mut(len) {
                    for page in pages.iter() {
                        userlib::page::copy(&mut guest, page);
                        copied(own);
                    }
                }
            }
            got
        })
    })?;
    flush_object(&mut c, swap, ObjectId([7, 0, 0])).ok()?;
    let suffix = match len {
        1 => ".run1",
        4 => ".run4",
        16 => ".run16",
        _ => ".run64",
    };
    report("put", client.name, suffix, put_cost, sweep.pages(), "page");
    report("get", client.name, suffix, get_cost, sweep.pages(), "page");
    Some(())
}

/// Makes the page non-zero and distinct, as cheaply in every mode (a
/// transfer-mode put gets a zeroed frame back).
fn mark(c: &mut Connection, index: u32) {
    c.page_mut()[..4].copy_from_slice(&(index + 1).to_le_bytes());
}

const _: () = assert!(tmem_protocol::PAGE_SIZE == 4096);
