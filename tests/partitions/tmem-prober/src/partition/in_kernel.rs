//! The in-kernel tmem baseline from the prober's side: system call 63
//! (`kernel/src/system/tmem_baseline.rs`, benchmark kernels only), timed
//! on the same pages as the user-level server's single-page operations.
//!
//! The guest's page is passed where it lies, as a hypercall would pass
//! it: the kernel copies it straight into or out of the store. This module
//! must never be used on a kernel without the baseline (the call is
//! unknown there and every operation fails).

use kernel_abi::syscall::Syscall;
use tmem_protocol::PageTraffic;

use super::bench::{report, Measured, Sweep};
use super::fill;

/// A guest page, aligned as the call needs.
#[repr(C, align(4096))]
pub struct GuestPage(pub [u8; 4096]);

const NEW_POOL: u32 = 1;
const PUT: u32 = 2;
const GET: u32 = 3;
const FLUSH: u32 = 4;
const TRAFFIC: u32 = 5;

/// Which of the kernel store's clients this partition acts as.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// No compression, no sharing.
    Plain = 0,
    /// Compressing its puts.
    Compress = 1,
    /// In a sharing domain of its own: identical pages stored once.
    Share = 2,
}

/// `tmem_baseline(op, pool, object, index, page)`: r0 (the kernel's error)
/// and r1..r3.
fn call(op: u32, pool: u32, object: u32, index: u32, page: u32) -> (u32, [u32; 3]) {
    let (r0, r1, r2, r3): (u32, u32, u32, u32);
    // SAFETY: the kernel reads or writes at most the one page at `page`,
    // which the caller owns and does not otherwise touch during the call;
    // it changes only r0-r3.
    unsafe {
        core::arch::asm!(
            "svc #0",
            inout("r0") op => r0,
            inout("r1") pool => r1,
            inout("r2") object => r2,
            inout("r3") 0u32 => r3,
            in("r4") index,
            in("r5") page,
            in("r7") Syscall::TmemBaseline as u32,
            options(nostack),
        );
    }
    (r0, [r1, r2, r3])
}

/// The kernel's store, as one of its clients.
#[derive(Clone, Copy)]
pub struct Baseline(pub Variant);

impl Baseline {
    fn op(self, op: u32) -> u32 {
        op | (self.0 as u32) << 8
    }

    /// A new pool; its id.
    pub fn new_pool(self, persistent: bool) -> Option<u32> {
        match call(self.op(NEW_POOL), u32::from(persistent), 0, 0, 0) {
            (0, [0, pool, _]) => Some(pool),
            _ => None,
        }
    }

    /// Stores `page` under (`pool`, `object`, `index`); whether it was.
    pub fn put(self, pool: u32, object: u32, index: u32, page: &GuestPage) -> bool {
        let address = page.0.as_ptr() as u32;
        call(self.op(PUT), pool, object, index, address) == (0, [0, 0, 0])
    }

    /// Fetches the page into `page`; whether it was there.
    pub fn get(self, pool: u32, object: u32, index: u32, page: &mut GuestPage) -> bool {
        let address = page.0.as_mut_ptr() as u32;
        call(self.op(GET), pool, object, index, address) == (0, [0, 0, 0])
    }

    /// Removes the page; whether there was one.
    pub fn flush(self, pool: u32, object: u32, index: u32) -> bool {
        call(self.op(FLUSH), pool, object, index, 0) == (0, [0, 1, 0])
    }

    /// Page-content bytes the kernel's store moved so far (low 32 bits).
    pub fn traffic(self) -> Option<PageTraffic> {
        match call(self.op(TRAFFIC), 0, 0, 0, 0) {
            (0, [0, read, written]) => Some(PageTraffic {
                read: u64::from(read),
                written: u64::from(written),
            }),
            _ => None,
        }
    }

    /// Times `work` and takes the kernel store's traffic over it.
    pub fn measure(self, work: impl FnOnce() -> bool) -> Option<Measured> {
        let before = self.traffic()?;
        let begin = userlib::syscall::clock_us();
        let ok = work();
        let elapsed = userlib::syscall::clock_us() - begin;
        let after = self.traffic()?;
        ok.then_some(Measured {
            instructions: elapsed * 1000,
            traffic: PageTraffic {
                read: after.read.wrapping_sub(before.read) & 0xFFFF_FFFF,
                written: after.written.wrapping_sub(before.written) & 0xFFFF_FFFF,
            },
        })
    }
}

/// Puts, gets, flushes and exclusive gets of `sweep`'s pages through the
/// kernel's store; logs `tmem.OP.inkernel`.
pub fn run(sweep: Sweep) -> Option<()> {
    let store = Baseline(Variant::Plain);
    let pages = sweep.pages();
    let swap = store.new_pool(true)?;
    let cache = store.new_pool(false)?;
    let mut guest = GuestPage([0; 4096]);
    fill(&mut guest.0, 2);
    for index in 0..8 {
        store.put(swap, 1, 100 + index, &guest);
        store.get(swap, 1, 100 + index, &mut guest);
        store.flush(swap, 1, 100 + index);
    }
    let put_cost = store.measure(|| {
        (0..pages).all(|index| {
            guest.0[..4].copy_from_slice(&(index + 1).to_le_bytes());
            store.put(swap, 1, index, &guest)
        })
    })?;
    let get_cost =
        store.measure(|| (0..pages).all(|index| store.get(swap, 1, index, &mut guest)))?;
    let flush_cost = store.measure(|| (0..pages).all(|index| store.flush(swap, 1, index)))?;
    for index in 0..pages {
        guest.0[..4].copy_from_slice(&(index + 1).to_le_bytes());
        store.put(cache, 1, index, &guest);
    }
    let exclusive_cost =
        store.measure(|| (0..pages).all(|index| store.get(cache, 1, index, &mut guest)))?;
    for (op, cost) in [
        ("put", put_cost),
        ("get", get_cost),
        ("flush", flush_cost),
        ("get_exclusive", exclusive_cost),
    ] {
        report(op, "inkernel", "", cost, pages, "operation");
    }
    Some(())
}
