//! Entering user mode: switching TTBR0 and the ASID to a partition's
//! tables, the idle loop, and the first jump from boot into the system.
//!
//! The ASID switch follows the ARMv7 rule for changing TTBR0 and ASID
//! together: go through reserved ASID 0 (which no partition uses) so no
//! translation is ever cached under a mismatched pair.

use crate::exception::TrapFrame;

use super::boot::TTBR_WALK_WBWA;

/// TTBCR with TTBR0 walks enabled (N = 1, PD0 = 0).
const TTBCR_USER: u32 = crate::mm::layout::TTBCR_N;

/// CPSR of the idle loop: System mode (privileged, so `wfi` works, but not
/// Supervisor mode: the entry code tells a thread's or the idle loop's
/// registers from the kernel's own by the mode), IRQs enabled, FIQs masked.
const IDLE_PSR: u32 = 0x1F | (1 << 6);

core::arch::global_asm!(
    r#"
    .section .text.__idle, "ax"
    .arm
    .global __idle
__idle:
1:  wfi
    b       1b

    .section .text.__launch, "ax"
    .global __launch
@ __launch(frame: *mut TrapFrame) -> !
@ Resumes the frame where it is, as every exception return does: the
@ supervisor stack pointer is left just past it, where the next
@ exception's entry stores the registers again. The boot stack is
@ abandoned.
__launch:
    mov     sp, r0
    b       __exception_return
    .ltorg
"#
);

extern "C" {
    fn __idle();
    fn __launch(frame: *mut TrapFrame) -> !;
}

/// The registers that resume the idle loop.
pub fn idle_frame() -> TrapFrame {
    TrapFrame {
        pc: __idle as *const () as usize as u32,
        spsr: IDLE_PSR,
        ..TrapFrame::default()
    }
}

/// Makes partition `asid`'s table at physical `table` the current user
/// address space.
pub fn switch_address_space(table: usize, asid: u8) {
    // SAFETY: `table` is a complete first-level table built for this
    // partition; kernel mappings are global and live in TTBR1, so nothing
    // the kernel uses changes. The sequence avoids ASID/TTBR mismatches.
    unsafe {
        core::arch::asm!(
            "mcr p15, 0, {zero}, c13, c0, 1",
            "isb",
            "mcr p15, 0, {ttbr0}, c2, c0, 0",
            "mcr p15, 0, {ttbcr}, c2, c0, 2",
            "isb",
            "mcr p15, 0, {asid}, c13, c0, 1",
            "isb",
            zero = in(reg) 0u32,
            ttbr0 = in(reg) table as u32 | TTBR_WALK_WBWA,
            ttbcr = in(reg) TTBCR_USER,
            asid = in(reg) u32::from(asid),
            options(nostack, preserves_flags),
        );
    }
}

/// Tells the user thread about to run who it is: TPIDRURO, which user
/// mode reads but cannot write, gets `id` (see
/// `kernel_abi::user_layout::thread_id`).
pub fn set_thread_id(id: u32) {
    // SAFETY: TPIDRURO holds no state the kernel or the hardware uses; it
    // is a software thread ID that only user code reads.
    unsafe { aarch32_cpu::register::Tpidruro::write(aarch32_cpu::register::Tpidruro(id)) };
}

/// Leaves boot for good: resumes `frame`, which stays where it is (the
/// next exception stores the registers back into it).
pub fn launch(frame: &'static mut TrapFrame) -> ! {
    // SAFETY: the frame describes a valid user thread (in a switched-to
    // address space) or the idle loop and lives for the whole run (a
    // thread control block or the system's idle frame); nothing on the
    // kernel stack is needed after this point.
    unsafe { __launch(frame) }
}
