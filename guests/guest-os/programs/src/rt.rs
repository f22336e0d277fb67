//! The program runtime: [`program!`](crate::program) puts into a program
//! binary the entry point the guest kernel starts it at, which calls the
//! program's main function and exits with what it returns, and the panic
//! handler, which exits with [`PANIC_EXIT`], and an allocator that has
//! nothing to give ([`NoHeap`]). They are expanded in the
//! binary, never defined in this library, so the guest kernel can use the
//! library without getting a second entry point or panic handler. A
//! program must never return into nothing: every way out is `exit`.

/// The allocator of a program: none. A program has no heap and never
/// allocates; this exists because a workspace-wide build may turn on a
/// dependency's `alloc` feature (serde's, through another crate), and a
/// binary that links `alloc` must name an allocator. Every request fails.
pub struct NoHeap;

// SAFETY: `alloc` never returns memory (a null pointer is the documented
// failure), so no block exists for `dealloc` to be called with.
unsafe impl core::alloc::GlobalAlloc for NoHeap {
    unsafe fn alloc(&self, _layout: core::alloc::Layout) -> *mut u8 {
        core::ptr::null_mut()
    }

    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: core::alloc::Layout) {}
}

/// The exit status of a program that panicked.
pub const PANIC_EXIT: i32 = 101;

/// The exit status of a program whose arguments are not what it takes.
pub const BAD_ARGUMENTS_EXIT: i32 = 102;

/// The most argument words the guest kernel passes.
pub const MAX_ARGUMENTS: u32 = 16;

/// Makes a program binary of `main`:
/// `program!(main)` with `fn main(arguments: &[u32]) -> i32`. The guest
/// kernel puts a program's argument words on top of its stack and starts
/// it with their address in `r0` and their count in `r1`.
#[macro_export]
macro_rules! program {
    ($main:path) => {
        #[no_mangle]
        #[link_section = ".text.start"]
        extern "C" fn _start(words: u32, count: u32) -> ! {
            let main: fn(&[u32]) -> i32 = $main;
            if count > $crate::rt::MAX_ARGUMENTS || words % 4 != 0 {
                $crate::sys::exit($crate::rt::BAD_ARGUMENTS_EXIT);
            }
            // SAFETY: the guest kernel wrote `count` words at `words`, on
            // this process's stack above its stack pointer, where nothing
            // else writes; the count is bounded and the address aligned.
            let arguments =
                unsafe { core::slice::from_raw_parts(words as *const u32, count as usize) };
            $crate::sys::exit(main(arguments))
        }

        #[global_allocator]
        static NO_HEAP: $crate::rt::NoHeap = $crate::rt::NoHeap;

        #[panic_handler]
        fn panic(_: &core::panic::PanicInfo) -> ! {
            $crate::sys::write(b"program panicked\n");
            $crate::sys::exit($crate::rt::PANIC_EXIT)
        }
    };
}
