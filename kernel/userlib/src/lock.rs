//! A critical section for user code, for the crates that need one (defmt's
//! logger, embedded-alloc). User code cannot mask interrupts, and another
//! thread of the partition may be preempted while holding the lock, so a
//! waiter yields rather than spins.
//!
//! It must never be held across a blocking system call. The restore state
//! is a `u8` (1: nested) because the kernel's CPU crate picks that width
//! and cargo unifies it across a workspace build.

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

struct YieldingLock;
critical_section::set_impl!(YieldingLock);

static LOCKED: AtomicBool = AtomicBool::new(false);
/// Nesting depth; only the holder touches it.
static DEPTH: AtomicU32 = AtomicU32::new(0);

// SAFETY: mutual exclusion between the partition's threads: `acquire`
// returns only once this thread holds `LOCKED` (or already held it, for a
// nested section), and `release` frees it when the outermost section ends.
unsafe impl critical_section::Impl for YieldingLock {
    unsafe fn acquire() -> u8 {
        let nested = DEPTH.load(Ordering::Acquire) > 0 && LOCKED.load(Ordering::Acquire);
        if !nested {
            while LOCKED
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
            {
                crate::syscall::yield_now();
            }
        }
        DEPTH.fetch_add(1, Ordering::AcqRel);
        u8::from(nested)
    }

    unsafe fn release(nested: u8) {
        DEPTH.fetch_sub(1, Ordering::AcqRel);
        if nested == 0 {
            LOCKED.store(false, Ordering::Release);
        }
    }
}
