//! A misbehaving program: it writes through an address it never mapped,
//! which the guest kernel must answer by killing it (and nothing else).
//! If the store somehow succeeds it says so and exits with 1, so a test
//! sees the guest kernel failed to stop it.

#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod program {
    use guest_programs::sys;

    /// Far from the program, its stack and anything `mmap` hands out.
    const NOWHERE: u32 = 0x7000_0000;

    fn main(_: &[u32]) -> i32 {
        sys::write(b"wild: writing where nothing is mapped\n");
        // SAFETY: none; this is the point. The guest kernel gets a page
        // fault outside every area and must kill the process here.
        unsafe { core::ptr::write_volatile(NOWHERE as *mut u32, 0xDEAD) };
        sys::write(b"wild: the store went through\n");
        1
    }

    guest_programs::program!(main);
}

#[cfg(not(target_os = "none"))]
fn main() {}
