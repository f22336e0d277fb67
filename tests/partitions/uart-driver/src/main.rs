//! Test partition: a user-level driver for the board's second PL011
//! (mapped by a `[[device]]` region at `0x3000_0000`). It enables the
//! transmit interrupt, sends bytes, and waits for each interrupt on the
//! notification in slot 0, which the kernel signals; it clears the
//! device's interrupt and acknowledges the line through the Irq capability
//! in slot 1 before the next byte.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod partition {
    use userlib::ipc::{Irq, Notification};
    use userlib::Start;

    const UART: usize = 0x3000_0000;
    const DR: usize = 0x000;
    const CR: usize = 0x030;
    const IMSC: usize = 0x038;
    const ICR: usize = 0x044;
    /// Transmit interrupt (mask, clear).
    const TX: u32 = 1 << 5;

    fn write(offset: usize, value: u32) {
        // SAFETY: the UART's registers are mapped here as device memory by
        // the system description; these offsets are PL011 registers.
        unsafe { ((UART + offset) as *mut u32).write_volatile(value) };
    }

    userlib::entry!(main);

    fn main(_: Start) {
        let (interrupts, line) = (Notification(0), Irq(1));
        write(CR, 0x301);
        write(IMSC, TX);
        for (n, byte) in b"irq".iter().enumerate() {
            write(DR, u32::from(*byte));
            match interrupts.wait() {
                Ok(bits) => defmt::info!(
                    "uart1 interrupt {=usize} delivered (bits {=u32:#x})",
                    n + 1,
                    bits
                ),
                Err(error) => return defmt::error!("wait failed: {=str}", error.name()),
            }
            write(ICR, TX);
            if let Err(error) = line.ack() {
                return defmt::error!("ack failed: {=str}", error.name());
            }
        }
        write(IMSC, 0);
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("test-uart-driver is a partition for the system tests");
}
