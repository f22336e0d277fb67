//! The program runtime: [`program!`](crate::program) puts into a program
//! binary the entry point the guest kernel starts it at, which calls the
//! program's main function and exits with what it returns, and the panic
//! handler, which exits with [`PANIC_EXIT`]. They are expanded in the
//! binary, never defined in this library, so the guest kernel can use the
//! library without getting a second entry point or panic handler. A
//! program must never return into nothing: every way out is `exit`.

/// The exit status of a program that panicked.
pub const PANIC_EXIT: i32 = 101;

/// Makes a program binary of `main`:
/// `program!(main)` with `fn main(first: u32, second: u32) -> i32`, the
/// two arguments being `r0` and `r1` as the guest kernel set them.
#[macro_export]
macro_rules! program {
    ($main:path) => {
        #[no_mangle]
        #[link_section = ".text.start"]
        extern "C" fn _start(first: u32, second: u32) -> ! {
            let main: fn(u32, u32) -> i32 = $main;
            $crate::sys::exit(main(first, second))
        }

        #[panic_handler]
        fn panic(_: &core::panic::PanicInfo) -> ! {
            $crate::sys::write(b"program panicked\n");
            $crate::sys::exit($crate::rt::PANIC_EXIT)
        }
    };
}
