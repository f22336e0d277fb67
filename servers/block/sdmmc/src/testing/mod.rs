//! Host-test doubles: a simulated SD card and simulated PL181 and SDHCI
//! controllers with that card behind them, which the drivers run against
//! as against hardware. Test-only; nothing here ships.

pub mod card;
pub mod pl181;
pub mod sdhci;

pub use card::{FakeCard, Fault};

/// An [`crate::Interrupt`] that never sleeps: the simulated controllers
/// finish everything at once, so a wait only counts.
#[derive(Default)]
pub struct CountingInterrupt {
    /// Waits made.
    pub waits: u32,
    /// Microseconds of delays asked for.
    pub delayed_us: u64,
}

impl crate::Interrupt for CountingInterrupt {
    fn wait(&mut self, _timeout_us: u32) {
        self.waits += 1;
    }

    fn delay_us(&mut self, us: u32) {
        self.delayed_us += u64::from(us);
    }
}
