//! Cortex-A9 MPCore private timer: the per-CPU down-counter that drives the
//! kernel tick.
//!
//! Offsets and bits from the Cortex-A9 MPCore TRM (private timer and
//! watchdog registers). The driver never enables the watchdog.

use safe_mmio::fields::{ReadPureWrite, ReadWrite};
use safe_mmio::{field, UniqueMmioPointer};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// The private timer's interrupt: PPI 13, GIC interrupt ID 29.
pub const IRQ: u32 = 29;

const CONTROL_ENABLE: u32 = 1 << 0;
const CONTROL_AUTO_RELOAD: u32 = 1 << 1;
const CONTROL_IRQ_ENABLE: u32 = 1 << 2;
const ISR_EVENT: u32 = 1 << 0;

/// The private timer register block.
#[derive(Default, FromBytes, Immutable, IntoBytes, KnownLayout)]
#[repr(C, align(4))]
pub struct Registers {
    /// 0x00 load value.
    pub load: ReadPureWrite<u32>,
    /// 0x04 current count.
    pub counter: ReadPureWrite<u32>,
    /// 0x08 control.
    pub control: ReadPureWrite<u32>,
    /// 0x0C interrupt status (write 1 to clear).
    pub isr: ReadWrite<u32>,
}

/// The load value for a periodic interrupt every `period_us` at `clock_hz`
/// with no prescaler, or `None` if it does not fit the 32-bit counter or is 0.
pub const fn load_for_period(clock_hz: u32, period_us: u32) -> Option<u32> {
    let ticks = clock_hz as u64 * period_us as u64 / 1_000_000;
    if ticks == 0 || ticks > u32::MAX as u64 + 1 {
        None
    } else {
        Some((ticks - 1) as u32)
    }
}

/// The private timer, programmed as a periodic tick source.
pub struct PrivateTimer<'a> {
    regs: UniqueMmioPointer<'a, Registers>,
}

impl<'a> PrivateTimer<'a> {
    /// Takes the timer over, stopped.
    pub fn new(mut regs: UniqueMmioPointer<'a, Registers>) -> Self {
        field!(regs, control).write(0);
        field!(regs, isr).write(ISR_EVENT);
        Self { regs }
    }

    /// Starts a periodic interrupt: the counter reloads with `load` and
    /// raises [`IRQ`] each time it reaches zero.
    pub fn start_periodic(&mut self, load: u32) {
        field!(self.regs, load).write(load);
        field!(self.regs, control).write(CONTROL_ENABLE | CONTROL_AUTO_RELOAD | CONTROL_IRQ_ENABLE);
    }

    /// Acknowledges an expiry; returns whether one was pending.
    pub fn acknowledge(&mut self) -> bool {
        let pending = field!(self.regs, isr).read() & ISR_EVENT != 0;
        if pending {
            field!(self.regs, isr).write(ISR_EVENT);
        }
        pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_values() {
        assert_eq!(load_for_period(100_000_000, 1_000), Some(99_999));
        assert_eq!(load_for_period(100_000_000, 0), None);
        assert_eq!(load_for_period(1_000_000_000, 10_000_000), None);
    }

    #[test]
    fn periodic_start_sets_reload_and_irq() {
        let mut regs = Registers::default();
        let mut timer = PrivateTimer::new(UniqueMmioPointer::from(&mut regs));
        timer.start_periodic(1234);
        assert_eq!(regs.load.0, 1234);
        assert_eq!(regs.control.0, 0b111);
    }

    #[test]
    fn new_stops_the_timer_and_clears_a_stale_event() {
        let mut regs = Registers::default();
        regs.control.0 = 0b111;
        let mut timer = PrivateTimer::new(UniqueMmioPointer::from(&mut regs));
        // The fake has no write-1-to-clear behaviour: the 1 written to
        // clear the event stays visible, so an acknowledge sees it.
        assert!(timer.acknowledge());
        assert_eq!(regs.control.0, 0);
        assert_eq!(regs.isr.0, ISR_EVENT);
    }
}
