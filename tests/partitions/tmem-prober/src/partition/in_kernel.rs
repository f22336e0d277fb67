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
struct GuestPage([u8; 4096]);

const NEW_POOL: u32 = 1;
const PUT: u32 = 2;
const GET: u32 = 3;
const FLUSH: u32 = 4;
const TRAFFIC: u32 = 5;

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

/// Whether the store did the put or get (no kernel error, no refusal).
fn done(op: u32, pool: u32, index: u32, page: &mut GuestPage) -> bool {
    let address = page.0.as_mut_ptr() as u32;
    call(op, pool, 1, index, address) == (0, [0, 0, 0])
}

fn traffic() -> Option<PageTraffic> {
    match call(TRAFFIC, 0, 0, 0, 0) {
        (0, [0, read, written]) => Some(PageTraffic {
            read: u64::from(read),
            written: u64::from(written),
        }),
        _ => None,
    }
}

fn new_pool(persistent: bool) -> Option<u32> {
    match call(NEW_POOL, u32::from(persistent), 0, 0, 0) {
        (0, [0, pool, _]) => Some(pool),
        _ => None,
    }
}

fn measure(work: impl FnOnce() -> bool) -> Option<Measured> {
    let before = traffic()?;
    let begin = userlib::syscall::clock_us();
    let ok = work();
    let elapsed = userlib::syscall::clock_us() - begin;
    let after = traffic()?;
    ok.then_some(Measured {
        instructions: elapsed * 1000,
        traffic: PageTraffic {
            read: after.read.wrapping_sub(before.read) & 0xFFFF_FFFF,
            written: after.written.wrapping_sub(before.written) & 0xFFFF_FFFF,
        },
    })
}

/// Puts, gets, flushes and exclusive gets of `sweep`'s pages through the
/// kernel's store; logs `tmem.OP.inkernel`.
pub fn run(sweep: Sweep) -> Option<()> {
    let pages = sweep.pages();
    let swap = new_pool(true)?;
    let cache = new_pool(false)?;
    let mut guest = GuestPage([0; 4096]);
    fill(&mut guest.0, 2);
    for index in 0..8 {
        done(PUT, swap, 100 + index, &mut guest);
        done(GET, swap, 100 + index, &mut guest);
        flush(swap, 100 + index);
    }
    let put_cost = measure(|| {
        (0..pages).all(|index| {
            guest.0[..4].copy_from_slice(&(index + 1).to_le_bytes());
            done(PUT, swap, index, &mut guest)
        })
    })?;
    let get_cost = measure(|| (0..pages).all(|index| done(GET, swap, index, &mut guest)))?;
    let flush_cost = measure(|| (0..pages).all(|index| flush(swap, index)))?;
    for index in 0..pages {
        guest.0[..4].copy_from_slice(&(index + 1).to_le_bytes());
        done(PUT, cache, index, &mut guest);
    }
    let exclusive_cost = measure(|| (0..pages).all(|index| done(GET, cache, index, &mut guest)))?;
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

/// Flushes a page; whether there was one.
fn flush(pool: u32, index: u32) -> bool {
    call(FLUSH, pool, 1, index, 0) == (0, [0, 1, 0])
}
