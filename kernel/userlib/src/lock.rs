//! A critical section for user code, for the crates that need one (defmt's
//! logger, embedded-alloc, `critical_section::Mutex`): it excludes the
//! partition's other threads. User code cannot mask interrupts, and a
//! thread may be preempted while it holds the lock, so the lock records
//! which thread holds it ([`OwnerLock`], keyed by the id the kernel puts in
//! TPIDRURO): the holder may nest sections, any other thread yields until
//! the holder has left.
//!
//! It must never be held across a blocking system call (the other threads
//! would yield for ever), and a waiter of higher priority than the holder
//! yields to nobody (the kernel runs the highest priority first): threads
//! that share the lock should share a priority. The restore state is a
//! `u8` (1: nested) because the kernel's CPU crate picks that width and
//! cargo unifies it across a workspace build.

use core::sync::atomic::{AtomicU32, Ordering};

use crate::owner_lock::OwnerLock;

struct PartitionLock;
critical_section::set_impl!(PartitionLock);

static LOCK: OwnerLock = OwnerLock::new();
/// Times a thread found the lock held by another and yielded.
static WAITS: AtomicU32 = AtomicU32::new(0);

/// How many times a thread of this partition has found the lock held by
/// another and yielded (a measure of contention, for tests).
pub fn waits() -> u32 {
    WAITS.load(Ordering::Relaxed)
}

/// Yields to the holder.
fn wait() {
    WAITS.fetch_add(1, Ordering::Relaxed);
    crate::syscall::yield_now();
}

// SAFETY: mutual exclusion between the partition's threads: `acquire`
// returns only once this thread owns `LOCK` (or already owned it, for a
// nested section; the kernel gives each thread of the partition its own
// id), and `release` frees it when the outermost section ends.
unsafe impl critical_section::Impl for PartitionLock {
    unsafe fn acquire() -> u8 {
        let nested = LOCK.acquire(crate::thread::id(), wait);
        u8::from(nested)
    }

    unsafe fn release(nested: u8) {
        LOCK.release(crate::thread::id(), nested != 0);
    }
}
