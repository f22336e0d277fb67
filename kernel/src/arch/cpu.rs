//! CPU state the kernel switches: the interrupt mask and sleeping.

/// Masks IRQs and FIQs.
pub fn disable_interrupts() {
    aarch32_cpu::interrupt::disable();
}

/// Unmasks IRQs.
pub fn enable_interrupts() {
    // SAFETY: called only once the vectors, stacks and the interrupt
    // controller are set up, so an IRQ is handled, not fatal.
    unsafe { aarch32_cpu::interrupt::enable() };
}

/// Sleeps until an interrupt is pending.
pub fn wait_for_interrupt() {
    aarch32_cpu::asm::wfi();
}
