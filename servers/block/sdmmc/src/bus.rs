//! How a driver reaches its controller: 32-bit register reads and writes
//! at byte offsets, and a way to sleep until the controller's interrupt or
//! a timeout.
//!
//! [`MmioBus`] is the real bus over a mapped register block; host tests
//! implement [`RegisterBus`] with a simulated controller. Nothing here may
//! know what any register means.

/// A controller's registers.
pub trait RegisterBus {
    /// Reads the 32-bit register at byte `offset`.
    fn read(&mut self, offset: usize) -> u32;
    /// Writes the 32-bit register at byte `offset`.
    fn write(&mut self, offset: usize, value: u32);
}

/// Waiting for the controller without spinning.
pub trait Interrupt {
    /// Returns when the controller's interrupt line has fired or
    /// `timeout_us` microseconds have passed, whichever is first. The
    /// caller reads the controller's status to learn which.
    fn wait(&mut self, timeout_us: u32);
    /// Sleeps for `us` microseconds (between retries of a busy card).
    fn delay_us(&mut self, us: u32);
}

/// A register block mapped as device memory.
pub struct MmioBus {
    base: usize,
}

impl MmioBus {
    /// The bus over the registers mapped at `base`.
    ///
    /// # Safety
    /// `base` must be the start of the controller's register block, mapped
    /// as device memory for as long as the bus lives, and nothing else may
    /// access those registers meanwhile.
    pub const unsafe fn new(base: usize) -> MmioBus {
        MmioBus { base }
    }
}

impl RegisterBus for MmioBus {
    fn read(&mut self, offset: usize) -> u32 {
        // SAFETY: `new`'s contract: the block is mapped and ours; drivers
        // pass only offsets of their controller's registers.
        unsafe { ((self.base + offset) as *const u32).read_volatile() }
    }

    fn write(&mut self, offset: usize, value: u32) {
        // SAFETY: as in `read`.
        unsafe { ((self.base + offset) as *mut u32).write_volatile(value) }
    }
}
