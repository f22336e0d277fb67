//! An optional heap: embedded-alloc's linked-list allocator over a static
//! arena in the partition's own memory. The arena is defined by
//! [`entry!`](crate::entry) in the partition's crate (16 KiB, or the size
//! `entry!(main, heap_kib = N)` asks for), so each partition sizes its own
//! heap. Thread 0 initialises it before the partition's entry runs;
//! allocation failure panics the thread.

use embedded_alloc::LlffHeap;

#[global_allocator]
static HEAP: LlffHeap = LlffHeap::empty();

extern "Rust" {
    /// The arena `entry!` defined: its start and length in bytes.
    fn __userlib_heap_arena() -> (*mut u8, usize);
}

pub(crate) fn init() {
    // SAFETY: `entry!` defines `__userlib_heap_arena` with this signature,
    // returning a static arena that nothing else uses; this runs once, in
    // thread 0, before any allocation.
    unsafe {
        let (start, size) = __userlib_heap_arena();
        HEAP.init(start as usize, size)
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
