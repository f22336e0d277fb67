//! An optional heap: embedded-alloc's linked-list allocator over a static
//! arena in the partition's own memory. Thread 0 initialises it before the
//! partition's entry runs; allocation failure panics the thread.

use core::mem::MaybeUninit;
use core::ptr::addr_of_mut;

use embedded_alloc::LlffHeap;

/// Bytes of heap each partition with the `heap` feature gets.
pub const HEAP_SIZE: usize = 16 * 1024;

#[global_allocator]
static HEAP: LlffHeap = LlffHeap::empty();

static mut ARENA: [MaybeUninit<u8>; HEAP_SIZE] = [MaybeUninit::uninit(); HEAP_SIZE];

pub(crate) fn init() {
    // SAFETY: called once, by thread 0, before any allocation; the arena is
    // used for nothing else.
    unsafe { HEAP.init(addr_of_mut!(ARENA) as usize, HEAP_SIZE) }
}
