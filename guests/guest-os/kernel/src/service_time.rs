//! How long the guest waits on each place its swapped pages go: a wrapper
//! around the frontswap and swap-device ports that counts the pages each
//! moved and the microseconds of the clock the guest spent waiting for
//! them, so a run can say what a page costs in tmem and what it costs on
//! the SD card (the source report's comparison, seen from inside a guest).
//!
//! It only measures: every call goes to the wrapped port unchanged and its
//! result comes back unchanged. It must never read the clock for a call it
//! does not pass on.

use guest_mm::{BlockDevice, BlockError, Frontswap, FrontswapError, Page};

/// Pages moved and the time spent moving them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServiceTime {
    /// Pages moved (stores and loads that succeeded, blocks written and
    /// read).
    pub pages: u64,
    /// Microseconds spent in every call, successful or not.
    pub micros: u64,
}

impl ServiceTime {
    /// The mean microseconds per page moved (0 with none).
    pub fn mean_micros(&self) -> u64 {
        self.micros.checked_div(self.pages).unwrap_or(0)
    }
}

/// A port `P` timed by the microsecond clock `C`.
pub struct Timed<P, C: Fn() -> u64> {
    port: P,
    clock: C,
    time: ServiceTime,
}

impl<P, C: Fn() -> u64> Timed<P, C> {
    /// Times `port` with `clock`.
    pub fn new(port: P, clock: C) -> Timed<P, C> {
        Timed {
            port,
            clock,
            time: ServiceTime::default(),
        }
    }

    /// What was measured so far.
    pub fn time(&self) -> ServiceTime {
        self.time
    }

    /// The wrapped port.
    pub fn port(&self) -> &P {
        &self.port
    }

    /// Runs `call` on the port, adding its time, and a page if `moved`
    /// says its result moved one.
    fn timed<R>(&mut self, call: impl FnOnce(&mut P) -> R, moved: impl Fn(&R) -> bool) -> R {
        let start = (self.clock)();
        let result = call(&mut self.port);
        self.time.micros += (self.clock)().saturating_sub(start);
        if moved(&result) {
            self.time.pages += 1;
        }
        result
    }
}

impl<P: BlockDevice, C: Fn() -> u64> BlockDevice for Timed<P, C> {
    fn block_count(&self) -> u32 {
        self.port.block_count()
    }

    fn read_block(&mut self, block: u32, out: &mut Page) -> Result<(), BlockError> {
        self.timed(|port| port.read_block(block, out), Result::is_ok)
    }

    fn write_block(&mut self, block: u32, page: &Page) -> Result<(), BlockError> {
        self.timed(|port| port.write_block(block, page), Result::is_ok)
    }
}

impl<P: Frontswap, C: Fn() -> u64> Frontswap for Timed<P, C> {
    fn store(&mut self, swap_type: u32, offset: u32, page: &Page) -> Result<(), FrontswapError> {
        self.timed(|port| port.store(swap_type, offset, page), Result::is_ok)
    }

    fn load(
        &mut self,
        swap_type: u32,
        offset: u32,
        out: &mut Page,
    ) -> Result<bool, FrontswapError> {
        self.timed(|port| port.load(swap_type, offset, out), |r| *r == Ok(true))
    }

    fn invalidate_page(&mut self, swap_type: u32, offset: u32) {
        self.timed(|port| port.invalidate_page(swap_type, offset), |_| false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::cell::Cell;
    use guest_mm::PAGE_SIZE;

    /// A device whose every call takes `cost` microseconds of `clock`,
    /// and refuses blocks past 4.
    struct SlowDevice<'a> {
        clock: &'a Cell<u64>,
        cost: u64,
    }

    impl BlockDevice for SlowDevice<'_> {
        fn block_count(&self) -> u32 {
            4
        }

        fn read_block(&mut self, block: u32, out: &mut Page) -> Result<(), BlockError> {
            self.clock.set(self.clock.get() + self.cost);
            if block >= 4 {
                return Err(BlockError::OutOfRange);
            }
            out.fill(block as u8);
            Ok(())
        }

        fn write_block(&mut self, block: u32, _page: &Page) -> Result<(), BlockError> {
            self.clock.set(self.clock.get() + self.cost);
            if block >= 4 {
                return Err(BlockError::OutOfRange);
            }
            Ok(())
        }
    }

    /// A frontswap that holds offsets below 2 and takes `cost` per call.
    struct SmallTmem<'a> {
        clock: &'a Cell<u64>,
        cost: u64,
    }

    impl Frontswap for SmallTmem<'_> {
        fn store(&mut self, _: u32, offset: u32, _: &Page) -> Result<(), FrontswapError> {
            self.clock.set(self.clock.get() + self.cost);
            if offset < 2 {
                Ok(())
            } else {
                Err(FrontswapError::Refused)
            }
        }

        fn load(&mut self, _: u32, offset: u32, out: &mut Page) -> Result<bool, FrontswapError> {
            self.clock.set(self.clock.get() + self.cost);
            out.fill(9);
            Ok(offset < 2)
        }

        fn invalidate_page(&mut self, _: u32, _: u32) {
            self.clock.set(self.clock.get() + self.cost);
        }
    }

    #[test]
    fn pages_moved_and_every_calls_time_are_counted_and_results_pass_through() {
        let clock = Cell::new(1_000);
        let mut device = Timed::new(
            SlowDevice {
                clock: &clock,
                cost: 300_000,
            },
            || clock.get(),
        );
        let mut page = [0u8; PAGE_SIZE];
        assert_eq!(device.read_block(3, &mut page), Ok(()));
        assert_eq!(page[0], 3, "the data comes through");
        assert_eq!(device.write_block(1, &page), Ok(()));
        assert_eq!(
            device.write_block(9, &page),
            Err(BlockError::OutOfRange),
            "the error comes through"
        );
        assert_eq!(device.block_count(), 4);
        assert_eq!(
            device.time(),
            ServiceTime {
                pages: 2,
                micros: 900_000
            },
            "a failed call takes time but moves no page"
        );
        assert_eq!(device.time().mean_micros(), 450_000);

        let mut tmem = Timed::new(
            SmallTmem {
                clock: &clock,
                cost: 20,
            },
            || clock.get(),
        );
        assert_eq!(tmem.store(0, 1, &page), Ok(()));
        assert_eq!(tmem.store(0, 5, &page), Err(FrontswapError::Refused));
        assert_eq!(tmem.load(0, 1, &mut page), Ok(true));
        assert_eq!(
            tmem.load(0, 7, &mut page),
            Ok(false),
            "a miss moves nothing"
        );
        tmem.invalidate_page(0, 1);
        assert_eq!(
            tmem.time(),
            ServiceTime {
                pages: 2,
                micros: 100
            }
        );
        assert_eq!(ServiceTime::default().mean_micros(), 0, "no page, no mean");
    }
}
