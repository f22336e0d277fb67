//! Tegra20 TIMERUS: a free-running 32-bit count of microseconds, used as
//! the reference that PERIPHCLK (the A9 timers' clock) is measured against.
//!
//! TIMERUS_CNTR_1US is at the block's +0x10 (the board gives the counter's
//! address) and TIMERUS_USEC_CFG, which scales the oscillator to 1 MHz,
//! follows it. The boot ROM and U-Boot program USEC_CFG for the board's
//! oscillator; this driver only reads and must never reprogram it.

use safe_mmio::fields::ReadPure;
use safe_mmio::{field_shared, UniqueMmioPointer};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// The counter and its configuration.
#[derive(Default, FromBytes, Immutable, IntoBytes, KnownLayout)]
#[repr(C, align(4))]
pub struct Registers {
    /// +0x0 microseconds, wrapping at 2^32.
    pub cntr_1us: ReadPure<u32>,
    /// +0x4 oscillator-to-microsecond divider (read only here).
    pub usec_cfg: ReadPure<u32>,
}

/// The microsecond counter.
pub struct MicrosecondCounter<'a> {
    regs: UniqueMmioPointer<'a, Registers>,
}

impl<'a> MicrosecondCounter<'a> {
    /// Takes the counter over; it is already running.
    pub fn new(regs: UniqueMmioPointer<'a, Registers>) -> Self {
        Self { regs }
    }

    /// The current count.
    pub fn now(&self) -> u32 {
        field_shared!(self.regs, cntr_1us).read()
    }

    /// Microseconds from `start` (an earlier [`MicrosecondCounter::now`])
    /// to now, correct across one wrap of the counter.
    pub fn since(&self, start: u32) -> u32 {
        self.now().wrapping_sub(start)
    }
}

/// The rate of a clock that advanced `ticks` while TIMERUS advanced
/// `elapsed_us`, in Hz rounded to the nearest 1 kHz; `None` if nothing was
/// measured or the rate does not fit 32 bits.
pub const fn measured_rate_hz(ticks: u64, elapsed_us: u32) -> Option<u32> {
    if elapsed_us == 0 || ticks == 0 {
        return None;
    }
    // ticks per millisecond, rounded, then in Hz.
    let elapsed = elapsed_us as u64;
    let Some(scaled) = ticks.checked_mul(1_000) else {
        return None;
    };
    let per_ms = (scaled + elapsed / 2) / elapsed;
    let hz = per_ms * 1_000;
    if hz == 0 || hz > u32::MAX as u64 {
        None
    } else {
        Some(hz as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_wraps() {
        let mut regs = Registers::default();
        regs.cntr_1us.0 = 5;
        let counter = MicrosecondCounter::new(UniqueMmioPointer::from(&mut regs));
        assert_eq!(counter.now(), 5);
        assert_eq!(counter.since(u32::MAX - 4), 10);
    }

    #[test]
    fn rates_from_measurements() {
        // 10 ms at 250 MHz.
        assert_eq!(measured_rate_hz(2_500_000, 10_000), Some(250_000_000));
        // A slightly long measurement still rounds to the kHz.
        assert_eq!(measured_rate_hz(2_500_123, 10_001), Some(249_987_000));
        assert_eq!(measured_rate_hz(0, 10_000), None);
        assert_eq!(measured_rate_hz(1, 0), None);
        assert_eq!(measured_rate_hz(u64::MAX, 1), None);
        assert_eq!(measured_rate_hz(5_000_000_000, 1_000_000), None);
    }
}
