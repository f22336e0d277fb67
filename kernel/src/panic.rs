//! What a kernel panic does: log where and why, then end the run with a
//! non-zero status (or halt on a board with no host).
//!
//! It must never return, and never log twice if logging itself panics.

use core::panic::PanicInfo;
use core::sync::atomic::{AtomicBool, Ordering};

use crate::arch;

/// Exit status of a run that ended in a kernel panic.
pub const PANIC_EXIT_STATUS: i32 = 101;

static PANICKING: AtomicBool = AtomicBool::new(false);

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    arch::cpu::disable_interrupts();
    if !PANICKING.swap(true, Ordering::Relaxed) {
        let (file, line) = info
            .location()
            .map(|l| (l.file(), l.line()))
            .unwrap_or(("<unknown>", 0));
        defmt::error!(
            "kernel panic at {=str}:{=u32}: {}",
            file,
            line,
            defmt::Display2Format(&info.message())
        );
    }
    arch::debug::exit(PANIC_EXIT_STATUS)
}
