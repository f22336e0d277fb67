//! Waiting without spinning: the SP804 dual timer's first timer (mapped at
//! `TIMER_ADDRESS`, 1 MHz, interrupt 34) as a one-shot alarm, and the
//! notification both it and the MMCI signal. It is the driver's
//! [`Interrupt`] (wait for the MMCI or a timeout) and the latency model's
//! clock (sleep until a deadline in virtual time, the CPU left to other
//! partitions meanwhile).
//!
//! Only this module touches the timer. An interrupt line is acknowledged
//! to the kernel only after its device has been quieted: the timer here,
//! the MMCI by its driver (MASK0 = 0) before the next wait.
//!
//! The SP804's second timer runs free, periodic every [`PACE_US`], with
//! its interrupt off. It does nothing on a board; under QEMU's
//! `-icount sleep=off` it gives the idle-time warp a timer event at least
//! every 100 µs, which keeps the kernel's 1 ms tick on time while the CPU
//! idles — without it, each idle tick arrives one period late
//! (`docs/block.md` has the measurements). It must never raise an
//! interrupt.

use block_server::layout::{INTERRUPTS, MMCI_BIT, MMCI_IRQ, TIMER_ADDRESS, TIMER_BIT, TIMER_IRQ};
use sdmmc::Interrupt;
use userlib::ipc::{Irq, Notification};

const LOAD: usize = 0x00;
/// The second timer's registers (LOAD, CONTROL).
const PACER_LOAD: usize = 0x20;
const PACER_CONTROL: usize = 0x28;
/// Enabled, periodic, 32-bit, interrupt off.
const PACER_RUN: u32 = (1 << 7) | (1 << 6) | (1 << 1);
/// The pacer's period.
pub const PACE_US: u32 = 100;
const CONTROL: usize = 0x08;
const INT_CLEAR: usize = 0x0C;
/// Enabled, interrupt on, 32-bit counter, one shot (prescale 1).
const ONE_SHOT: u32 = (1 << 7) | (1 << 5) | (1 << 1) | (1 << 0);
/// Longest single alarm (the counter is 32 bits of microseconds; keep well
/// inside).
const MAX_ALARM_US: u64 = 1 << 30;

/// The alarm and the notification.
pub struct Timer {
    pending: u32,
    mmci_owed: bool,
}

fn write(offset: usize, value: u32) {
    // SAFETY: the description maps the SP804's registers at TIMER_ADDRESS
    // in this partition alone; these are timer 1's registers.
    unsafe { ((TIMER_ADDRESS as usize + offset) as *mut u32).write_volatile(value) }
}

impl Timer {
    /// Stops the timer and takes over the lines.
    pub fn new() -> Timer {
        write(PACER_CONTROL, 0);
        write(PACER_LOAD, PACE_US - 1);
        write(PACER_CONTROL, PACER_RUN);
        write(CONTROL, 0);
        write(INT_CLEAR, 1);
        Timer {
            pending: 0,
            mmci_owed: false,
        }
    }

    /// Takes the lines over from an earlier run of this partition (a
    /// restart: the kernel keeps an interrupt line masked until it is
    /// acknowledged, and keeps the notification's bits): forgets any
    /// pending bit and acknowledges both lines. Call once both devices are
    /// quiet (the timer by [`Timer::new`], the MMCI by the driver's
    /// `start`); on a first boot the acknowledgements find nothing to do.
    pub fn reclaim_lines(&mut self) {
        let _ = Notification(INTERRUPTS).poll();
        let _ = Irq(TIMER_IRQ).ack();
        let _ = Irq(MMCI_IRQ).ack();
        self.pending = 0;
        self.mmci_owed = false;
    }

    fn collect(&mut self, bits: u32) {
        self.pending |= bits;
    }

    /// Stops the alarm; if it had fired, clears and acknowledges it.
    fn disarm(&mut self) {
        write(CONTROL, 0);
        write(INT_CLEAR, 1);
        if let Ok(bits) = Notification(INTERRUPTS).poll() {
            self.collect(bits);
        }
        if self.pending & TIMER_BIT != 0 {
            self.pending &= !TIMER_BIT;
            let _ = Irq(TIMER_IRQ).ack();
        }
    }

    fn arm(&mut self, us: u64) {
        self.disarm();
        write(LOAD, us.clamp(1, MAX_ALARM_US) as u32);
        write(CONTROL, ONE_SHOT);
    }

    /// Blocks until a bit of `wanted` is pending.
    fn wait_for(&mut self, wanted: u32) {
        while self.pending & wanted == 0 {
            match Notification(INTERRUPTS).wait() {
                Ok(bits) => self.collect(bits),
                Err(error) => {
                    defmt::error!("block server: wait failed: {=str}", error.name());
                    return;
                }
            }
        }
    }

    /// Sleeps until the kernel's clock reads `deadline_us`.
    pub fn sleep_until(&mut self, deadline_us: u64) {
        loop {
            let now = userlib::syscall::clock_us();
            if now >= deadline_us {
                defmt::debug!(
                    "block server: woke {=u64} us after the deadline",
                    now - deadline_us
                );
                return;
            }
            self.arm(deadline_us - now);
            self.wait_for(TIMER_BIT);
            self.disarm();
        }
    }
}

impl Interrupt for Timer {
    fn wait(&mut self, timeout_us: u32) {
        if self.mmci_owed {
            // The driver quieted the MMCI (MASK0 = 0) after the last wait.
            self.mmci_owed = false;
            self.pending &= !MMCI_BIT;
            let _ = Irq(MMCI_IRQ).ack();
        }
        self.arm(u64::from(timeout_us));
        self.wait_for(MMCI_BIT | TIMER_BIT);
        if self.pending & MMCI_BIT != 0 {
            self.mmci_owed = true;
        }
        self.disarm();
    }

    fn delay_us(&mut self, us: u32) {
        let now = userlib::syscall::clock_us();
        self.sleep_until(now + u64::from(us));
    }
}
