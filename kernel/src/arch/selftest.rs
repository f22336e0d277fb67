//! Deliberate faults for system tests, chosen at boot by the boot options
//! (`selftest=NAME`, see `kernel_abi::boot_options`). Compiled only with
//! the `selftests` feature; a production image has none of this. A name it
//! does not know stops the run with `exit::BAD_BOOT_OPTIONS`: it must never
//! carry on as if no test had been asked for.

use crate::mm::layout;

/// A kernel-half address that nothing maps, whatever RAM the machine has:
/// the section after the RAM window.
const UNMAPPED: usize = layout::RAM_WINDOW_VIRT + (1 << 20);

/// Runs the self test `name`; an unknown `name` ends the run (after saying
/// so) with `exit::BAD_BOOT_OPTIONS`.
pub fn run(name: &str) {
    defmt::warn!("selftest {=str}: starting", name);
    match name {
        "undefined-instruction" => {
            // SAFETY: deliberately executes a permanently undefined
            // instruction; the undefined-instruction vector reports it.
            unsafe { core::arch::asm!("udf #0x42") };
        }
        "data-abort" => {
            // SAFETY: deliberately reads an unmapped kernel address; the
            // data abort vector reports it and never returns here.
            let value = unsafe { core::ptr::read_volatile(UNMAPPED as *const u32) };
            defmt::error!("selftest data-abort: read {=u32} without a fault", value);
        }
        "prefetch-abort" => {
            // SAFETY: deliberately jumps to an unmapped address; the prefetch
            // abort vector reports it and never returns here.
            unsafe { core::arch::asm!("blx {0}", in(reg) UNMAPPED) };
        }
        "panic" => panic!("selftest panic requested"),
        "stack-overflow" => {
            let depth = recurse(0);
            defmt::error!("selftest stack-overflow: returned from depth {=u32}", depth);
        }
        other => {
            defmt::error!(
                "selftest {=str}: no such self test; exit status {=i32}",
                other,
                kernel_abi::exit::BAD_BOOT_OPTIONS
            );
            super::debug::exit(kernel_abi::exit::BAD_BOOT_OPTIONS);
        }
    }
}

/// Uses 1 KiB of stack per level, forever.
#[inline(never)]
fn recurse(depth: u32) -> u32 {
    if depth == u32::MAX {
        return 0;
    }
    let frame = core::hint::black_box([depth; 256]);
    recurse(depth + 1).wrapping_add(frame[255])
}
