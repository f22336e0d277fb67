//! Cortex-A9 MPCore global timer: a 64-bit up-counter shared by all CPUs,
//! used as the kernel's monotonic clock and for instruction-count
//! benchmarks under QEMU `-icount`.
//!
//! The driver never programs the comparator: it is a clock, not an alarm.

use safe_mmio::fields::ReadPureWrite;
use safe_mmio::{field, field_shared, UniqueMmioPointer};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

const CONTROL_ENABLE: u32 = 1 << 0;

/// The global timer register block.
#[derive(Default, FromBytes, Immutable, IntoBytes, KnownLayout)]
#[repr(C, align(4))]
pub struct Registers {
    /// 0x00 counter, low word.
    pub counter_lo: ReadPureWrite<u32>,
    /// 0x04 counter, high word.
    pub counter_hi: ReadPureWrite<u32>,
    /// 0x08 control.
    pub control: ReadPureWrite<u32>,
}

/// The global timer as a free-running clock.
pub struct GlobalTimer<'a> {
    regs: UniqueMmioPointer<'a, Registers>,
}

impl<'a> GlobalTimer<'a> {
    /// Takes the timer over and starts it counting, if it was not already.
    pub fn new(mut regs: UniqueMmioPointer<'a, Registers>) -> Self {
        let control = field!(regs, control).read();
        field!(regs, control).write(control | CONTROL_ENABLE);
        Self { regs }
    }

    /// The 64-bit count. Reads high, low, high again so a carry between the
    /// two halves is never seen half-done.
    pub fn now(&self) -> u64 {
        loop {
            let hi = field_shared!(self.regs, counter_hi).read();
            let lo = field_shared!(self.regs, counter_lo).read();
            if field_shared!(self.regs, counter_hi).read() == hi {
                return (u64::from(hi) << 32) | u64::from(lo);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_and_reads_both_halves() {
        let mut regs = Registers::default();
        regs.counter_hi.0 = 2;
        regs.counter_lo.0 = 5;
        let timer = GlobalTimer::new(UniqueMmioPointer::from(&mut regs));
        assert_eq!(timer.now(), (2 << 32) | 5);
        assert_eq!(regs.control.0 & CONTROL_ENABLE, CONTROL_ENABLE);
    }
}
