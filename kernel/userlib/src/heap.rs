//! An optional heap: embedded-alloc's linked-list allocator over a static
//! arena in the partition's own memory. The arena is defined by
//! [`entry!`](crate::entry) in the partition's crate (16 KiB, or the size
//! `entry!(main, heap_kib = N)` asks for), so each partition sizes its own
//! heap. The first allocation sets it up, whichever thread makes it —
//! unless the partition gave it a larger arena first ([`use_arena`]: memory
//! it mapped at run time, such as the tmem server's pool); allocation
//! failure panics the thread. The heap never moves to another arena once
//! anything was allocated.

use core::alloc::{GlobalAlloc, Layout};
use core::sync::atomic::{AtomicBool, Ordering};

use embedded_alloc::LlffHeap;

/// The allocator: set up on first use, by whichever thread allocates
/// first, so no thread can allocate from a heap not yet there (thread 0
/// need not run first: a tick may run another thread before it).
struct Heap {
    heap: LlffHeap,
    ready: AtomicBool,
}

#[global_allocator]
static HEAP: Heap = Heap {
    heap: LlffHeap::empty(),
    ready: AtomicBool::new(false),
};

extern "Rust" {
    /// The arena `entry!` defined: its start and length in bytes.
    fn __userlib_heap_arena() -> (*mut u8, usize);
}

impl Heap {
    fn ready(&self) -> &LlffHeap {
        if !self.ready.load(Ordering::Acquire) {
            critical_section::with(|_| {
                if !self.ready.load(Ordering::Relaxed) {
                    // SAFETY: `entry!` defines `__userlib_heap_arena` with
                    // this signature, returning a static arena that nothing
                    // else uses; the flag, set under the partition's lock,
                    // makes this run once.
                    unsafe {
                        let (start, size) = __userlib_heap_arena();
                        self.heap.init(start as usize, size);
                    }
                    self.ready.store(true, Ordering::Release);
                }
            });
        }
        &self.heap
    }
}

/// Why [`use_arena`] refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArenaError {
    /// Something was allocated already: the heap has its arena.
    InUse,
}

/// Makes the `size` bytes at `start` the heap's arena instead of the static
/// one, if nothing was allocated yet.
///
/// # Safety
///
/// The memory must be mapped read/write, unused by anything else, and stay
/// so for the rest of the partition's life.
pub unsafe fn use_arena(start: *mut u8, size: usize) -> Result<(), ArenaError> {
    critical_section::with(|_| {
        if HEAP.ready.load(Ordering::Relaxed) {
            return Err(ArenaError::InUse);
        }
        // SAFETY: the caller's guarantees; the flag, set under the
        // partition's lock, makes the heap take one arena only.
        unsafe { HEAP.heap.init(start as usize, size) };
        HEAP.ready.store(true, Ordering::Release);
        Ok(())
    })
}

// SAFETY: every call goes to embedded-alloc's heap, which is sound for any
// layout, once it has been given its arena (`ready`).
unsafe impl GlobalAlloc for Heap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.ready().alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees (`ptr` came from
        // `alloc`, so the heap is ready).
        unsafe { self.ready().dealloc(ptr, layout) }
    }
}

/// Defines the heap arena of `$bytes` bytes (used by `entry!`).
#[doc(hidden)]
#[macro_export]
macro_rules! __heap_arena {
    ($bytes:expr) => {
        #[no_mangle]
        fn __userlib_heap_arena() -> (*mut u8, usize) {
            const BYTES: usize = $bytes;
            static mut ARENA: [::core::mem::MaybeUninit<u8>; BYTES] =
                [::core::mem::MaybeUninit::uninit(); BYTES];
            (::core::ptr::addr_of_mut!(ARENA) as *mut u8, BYTES)
        }
    };
}
