//! The state machine of the partition lock ([`crate::lock`]), apart from
//! the hardware so the host can test it: a word that holds the id of the
//! thread inside (or [`FREE`]), taken with a compare-and-swap and
//! re-entered only by the thread whose id it holds.
//!
//! Thread ids come from the caller (on the target, TPIDRURO, which the
//! kernel sets per thread); they must be unique within the partition and
//! never [`FREE`]. This module must never decide nesting by anything but
//! the owner's id — a depth count alone cannot tell the owner from a
//! thread that preempted it — and never spin without calling `wait`, which
//! is what lets the owner run again.

use core::sync::atomic::{AtomicU32, Ordering};

/// The owner word of a free lock (no thread has this id).
pub const FREE: u32 = kernel_abi::user_layout::NO_THREAD_ID;

/// A lock owned by one thread at a time, re-entrant for its owner.
#[derive(Debug)]
pub struct OwnerLock {
    owner: AtomicU32,
}

impl Default for OwnerLock {
    fn default() -> Self {
        Self::new()
    }
}

impl OwnerLock {
    /// A free lock.
    pub const fn new() -> Self {
        Self {
            owner: AtomicU32::new(FREE),
        }
    }

    /// Takes the lock for thread `me`, calling `wait` between attempts
    /// while another thread holds it. Returns true when `me` already held
    /// it (a nested section, whose release must not free the lock).
    ///
    /// Reading `me` in the owner word proves `me` holds the lock: only `me`
    /// ever stores `me` there, and only `me` clears it again.
    pub fn acquire(&self, me: u32, mut wait: impl FnMut()) -> bool {
        debug_assert_ne!(me, FREE, "a thread id is never FREE");
        if self.owner.load(Ordering::Relaxed) == me {
            return true;
        }
        while self
            .owner
            .compare_exchange_weak(FREE, me, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            wait();
        }
        false
    }

    /// Ends a section of `me` that `acquire` began (`nested` as it
    /// returned); the outermost section frees the lock.
    pub fn release(&self, me: u32, nested: bool) {
        debug_assert_eq!(
            self.owner(),
            Some(me),
            "released by a thread that does not hold it"
        );
        if !nested {
            self.owner.store(FREE, Ordering::Release);
        }
    }

    /// The thread holding the lock, if any.
    pub fn owner(&self) -> Option<u32> {
        match self.owner.load(Ordering::Relaxed) {
            FREE => None,
            owner => Some(owner),
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use core::cell::UnsafeCell;
    use std::sync::Arc;
    use std::vec::Vec;

    #[test]
    fn the_owner_nests_and_only_the_outermost_release_frees() {
        let lock = OwnerLock::new();
        assert!(!lock.acquire(1, || unreachable!()));
        assert!(lock.acquire(1, || unreachable!()));
        lock.release(1, true);
        assert_eq!(lock.owner(), Some(1));
        lock.release(1, false);
        assert_eq!(lock.owner(), None);
    }

    /// The old lock's failure: thread 1 is preempted inside, thread 2
    /// arrives. It must wait until thread 1 (run by "the scheduler" in
    /// `wait`) leaves, and never enter beside it.
    #[test]
    fn another_thread_waits_while_the_owner_is_preempted_inside() {
        let lock = OwnerLock::new();
        assert!(!lock.acquire(1, || unreachable!()));
        let mut waits = 0;
        let nested = lock.acquire(2, || {
            waits += 1;
            assert_eq!(lock.owner(), Some(1), "thread 2 got in beside thread 1");
            if waits == 3 {
                // Thread 1 runs again and leaves its section.
                lock.release(1, false);
            }
        });
        assert!(!nested);
        assert_eq!(waits, 3);
        assert_eq!(lock.owner(), Some(2));
        // Thread 1 comes back for more: now it is the one that waits.
        let mut waited = false;
        lock.acquire(1, || {
            if !waited {
                waited = true;
                lock.release(2, false);
            }
        });
        assert!(waited);
        assert_eq!(lock.owner(), Some(1));
    }

    struct Shared {
        lock: OwnerLock,
        counter: UnsafeCell<u64>,
    }

    // SAFETY: `counter` is touched only while `lock` is held.
    unsafe impl Sync for Shared {}

    /// Real threads, with nested sections: a plain counter behind the lock
    /// loses no increment.
    #[test]
    fn excludes_real_threads() {
        const THREADS: u32 = 4;
        const ROUNDS: u64 = 5_000;
        let shared = Arc::new(Shared {
            lock: OwnerLock::new(),
            counter: UnsafeCell::new(0),
        });
        let handles: Vec<_> = (1..=THREADS)
            .map(|me| {
                let shared = Arc::clone(&shared);
                std::thread::spawn(move || {
                    for _ in 0..ROUNDS {
                        let outer = shared.lock.acquire(me, std::thread::yield_now);
                        let inner = shared.lock.acquire(me, std::thread::yield_now);
                        // SAFETY: this thread holds the lock.
                        unsafe {
                            let value = core::ptr::read_volatile(shared.counter.get());
                            std::thread::yield_now();
                            core::ptr::write_volatile(shared.counter.get(), value + 1);
                        }
                        shared.lock.release(me, inner);
                        shared.lock.release(me, outer);
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        // SAFETY: every thread has ended, so nothing else touches it.
        let counted = unsafe { *shared.counter.get() };
        assert_eq!(counted, u64::from(THREADS) * ROUNDS);
    }
}
