//! The devices the kernel drives, at their addresses in the device window.
//!
//! [`init`] takes each device over exactly once; afterwards each lives in
//! its own interrupt-safe cell, so logging (which reads the clock) never
//! contends with the interrupt path (which holds the GIC and tick timer).
//!
//! The same GIC and A9 timer drivers serve every board; what differs is
//! the console UART (PL011 or 16550), and on Tegra20 the legacy interrupt
//! controller, which must also let each shared interrupt through, and
//! TIMERUS, against which PERIPHCLK is measured at boot because no board
//! file can be trusted to know the CPU clock U-Boot chose.

use core::cell::RefCell;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use critical_section::Mutex;
use kernel_abi::log_stream::TERMINATOR;
use platform::drivers::{
    gic, global_timer, ns16550, pl011, private_timer, tegra_ictlr, tegra_timerus,
};
use platform::{ConsoleUart, DebugExit, BOARD};
use safe_mmio::UniqueMmioPointer;

use super::console::Console;
use crate::mm::layout;

/// Period of the kernel tick.
pub const TICK_PERIOD_US: u32 = 1_000;
/// Console baud rate where the kernel programs it (the PL011; a 16550 keeps
/// the boot loader's setting, which is this too).
const CONSOLE_BAUD: u32 = 115_200;
/// How long PERIPHCLK is measured against the microsecond counter.
const CALIBRATION_US: u32 = 10_000;

type Cell<T> = Mutex<RefCell<Option<T>>>;

static CONSOLE: Cell<Console> = Mutex::new(RefCell::new(None));
static GIC: Cell<gic::Gic<'static>> = Mutex::new(RefCell::new(None));
static LEGACY_ICTLR: Cell<tegra_ictlr::LegacyIctlr<'static>> = Mutex::new(RefCell::new(None));
/// PERIPHCLK in Hz: the board's value, or what [`init`] measured.
static PERIPH_CLOCK_HZ: AtomicU32 = AtomicU32::new(BOARD.periph_clock_hz);

/// The console UART's physical base as this image was built, for tools
/// that inspect an image (`tests/tegra_images.rs` checks it against the
/// board). [`init`] takes the console from the same `BOARD` constant.
#[no_mangle]
#[used]
pub static KERNEL_CONSOLE_UART: usize = BOARD.console.base();
static TICK_TIMER: Cell<private_timer::PrivateTimer<'static>> = Mutex::new(RefCell::new(None));
static CLOCK: Cell<global_timer::GlobalTimer<'static>> = Mutex::new(RefCell::new(None));
static TICKS: AtomicU64 = AtomicU64::new(0);

/// Why the devices could not be brought up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, defmt::Format)]
pub enum DeviceError {
    /// A device's registers are outside the board's MMIO sections.
    NotMapped { physical: usize },
    /// The tick period does not fit the private timer.
    BadTickPeriod,
    /// The GIC does not implement the timer's interrupt.
    NoTimerInterrupt,
    /// An interrupt could not be enabled (no such line, or not gated
    /// where it should be).
    NoSuchInterrupt { id: u32 },
}

/// A register block of type `T` at physical address `pa`.
///
/// # Safety
///
/// `T` must describe the device at `pa`, the device window must be mapped,
/// and no other pointer to that device may be created.
unsafe fn device<T>(pa: usize) -> Result<UniqueMmioPointer<'static, T>, DeviceError> {
    let va = layout::device_virt(BOARD, pa).ok_or(DeviceError::NotMapped { physical: pa })?;
    let ptr = NonNull::new(va as *mut T).ok_or(DeviceError::NotMapped { physical: pa })?;
    // SAFETY: the caller guarantees the type, mapping and uniqueness.
    Ok(unsafe { UniqueMmioPointer::new(ptr) })
}

/// Takes every device over and starts the periodic tick. Must run once,
/// after the kernel space (with its device window) is installed and
/// before interrupts are enabled.
pub fn init() -> Result<(), DeviceError> {
    // SAFETY: each device is created once, here, from the board's own
    // addresses, which the kernel space maps as device memory.
    let (console, distributor, cpu, timer, clock) = unsafe {
        (
            console()?,
            device::<gic::DistributorRegisters>(BOARD.gic_distributor())?,
            device::<gic::CpuInterfaceRegisters>(BOARD.gic_cpu_interface())?,
            device::<private_timer::Registers>(BOARD.private_timer())?,
            device::<global_timer::Registers>(BOARD.global_timer())?,
        )
    };
    let legacy_ictlr = match BOARD.legacy_ictlr {
        // SAFETY: as above: created once from the board's address.
        Some(pa) => Some(tegra_ictlr::LegacyIctlr::new(unsafe {
            device::<tegra_ictlr::Registers>(pa)?
        })),
        None => None,
    };
    let microseconds = match BOARD.us_timer {
        // SAFETY: as above: created once from the board's address.
        Some(pa) => Some(tegra_timerus::MicrosecondCounter::new(unsafe {
            device::<tegra_timerus::Registers>(pa)?
        })),
        None => None,
    };
    let mut gic = gic::Gic::new(distributor, cpu);
    let mut timer = private_timer::PrivateTimer::new(timer);
    let clock = global_timer::GlobalTimer::new(clock);
    let measured = microseconds
        .as_ref()
        .map(|reference| measure_periph_clock(&clock, reference));
    if let Some(Some(hz)) = measured {
        PERIPH_CLOCK_HZ.store(hz, Ordering::Relaxed);
    }
    let load = private_timer::load_for_period(periph_clock_hz(), TICK_PERIOD_US)
        .ok_or(DeviceError::BadTickPeriod)?;
    gic.enable(private_timer::IRQ)
        .map_err(|_| DeviceError::NoTimerInterrupt)?;
    // The private timer's interrupt is a PPI: the legacy controller, which
    // gates only shared interrupts, has nothing to unmask for it.
    timer.start_periodic(load);
    critical_section::with(|cs| {
        CONSOLE.borrow_ref_mut(cs).replace(console);
        GIC.borrow_ref_mut(cs).replace(gic);
        if let Some(ictlr) = legacy_ictlr {
            LEGACY_ICTLR.borrow_ref_mut(cs).replace(ictlr);
        }
        TICK_TIMER.borrow_ref_mut(cs).replace(timer);
        CLOCK.borrow_ref_mut(cs).replace(clock);
    });
    match measured {
        Some(Some(hz)) => defmt::info!(
            "clock: PERIPHCLK measured at {=u32} Hz against TIMERUS over {=u32} us (board says {=u32} Hz)",
            hz,
            CALIBRATION_US,
            BOARD.periph_clock_hz
        ),
        Some(None) => defmt::warn!(
            "clock: TIMERUS did not count; assuming PERIPHCLK is {=u32} Hz",
            BOARD.periph_clock_hz
        ),
        None => {}
    }
    Ok(())
}

/// Takes the console UART over with the driver its kind needs. A 16550
/// keeps the divisor the boot loader programmed.
///
/// # Safety
///
/// As for [`device`]: called once.
unsafe fn console() -> Result<Console, DeviceError> {
    Ok(match BOARD.console {
        ConsoleUart::Pl011 { base, clock_hz } => Console::Pl011(pl011::Pl011::new(
            // SAFETY: the caller guarantees this is the only pointer.
            unsafe { device::<pl011::Registers>(base)? },
            clock_hz,
            CONSOLE_BAUD,
        )),
        ConsoleUart::Ns16550 { base, .. } => Console::Ns16550(ns16550::Ns16550::new(
            // SAFETY: the caller guarantees this is the only pointer.
            unsafe { device::<ns16550::Registers>(base)? },
        )),
    })
}

/// PERIPHCLK's rate in Hz, as measured against `reference` over
/// [`CALIBRATION_US`]; `None` if the reference does not advance while
/// PERIPHCLK runs through what would be a whole second at the board's
/// nominal rate.
fn measure_periph_clock(
    clock: &global_timer::GlobalTimer<'_>,
    reference: &tegra_timerus::MicrosecondCounter<'_>,
) -> Option<u32> {
    let give_up = u64::from(BOARD.periph_clock_hz);
    // Start on a microsecond edge so the interval is whole microseconds.
    let waiting_since = clock.now();
    let first = reference.now();
    let start_us = loop {
        let now = reference.now();
        if now != first {
            break now;
        }
        if clock.now().wrapping_sub(waiting_since) > give_up {
            return None;
        }
    };
    let start = clock.now();
    loop {
        let elapsed_us = reference.since(start_us);
        let ticks = clock.now().wrapping_sub(start);
        if elapsed_us >= CALIBRATION_US {
            return tegra_timerus::measured_rate_hz(ticks, elapsed_us);
        }
        if ticks > give_up {
            return None;
        }
    }
}

/// PERIPHCLK in Hz: the board's nominal rate, or the one measured at boot.
pub fn periph_clock_hz() -> u32 {
    PERIPH_CLOCK_HZ.load(Ordering::Relaxed)
}

/// Enables interrupt `id` at the GIC and, on Tegra20, at the legacy
/// interrupt controller (only shared interrupts pass through that).
pub fn enable_interrupt(id: u32) -> Result<(), DeviceError> {
    critical_section::with(|cs| {
        let mut gic = GIC.borrow_ref_mut(cs);
        let gic = gic.as_mut().ok_or(DeviceError::NoSuchInterrupt { id })?;
        gic.enable(id)
            .map_err(|_| DeviceError::NoSuchInterrupt { id })?;
        if tegra_ictlr::locate(id).is_some() {
            if let Some(ictlr) = LEGACY_ICTLR.borrow_ref_mut(cs).as_mut() {
                ictlr
                    .unmask(id)
                    .map_err(|_| DeviceError::NoSuchInterrupt { id })?;
            }
        }
        Ok(())
    })
}

/// Whether log records share the console UART with text (no semihosting
/// host to take them).
fn logs_on_console() -> bool {
    BOARD.debug_exit != DebugExit::Semihosting
}

/// Writes text to the board's console UART. Where log records share the
/// UART, the text is closed with a record terminator so the host's decoder
/// sees it as one unreadable record instead of gluing it to the next one.
pub fn console_write(text: &str) {
    critical_section::with(|cs| {
        if let Ok(mut console) = CONSOLE.borrow(cs).try_borrow_mut() {
            if let Some(console) = console.as_mut() {
                console.write_text(text);
                if logs_on_console() {
                    console.write_raw(&[TERMINATOR]);
                }
            }
        }
    });
}

/// Writes bytes to the console UART exactly as given (log records).
/// Dropped before [`init`], or if the console is busy (a fault while it
/// was being written).
pub fn console_write_raw(bytes: &[u8]) {
    critical_section::with(|cs| {
        if let Ok(mut console) = CONSOLE.borrow(cs).try_borrow_mut() {
            if let Some(console) = console.as_mut() {
                console.write_raw(bytes);
            }
        }
    });
}

/// Waits until everything written to the console has left the UART.
pub fn console_flush() {
    critical_section::with(|cs| {
        if let Ok(mut console) = CONSOLE.borrow(cs).try_borrow_mut() {
            if let Some(console) = console.as_mut() {
                console.flush();
            }
        }
    });
}

/// Microseconds since the clock started, or 0 before [`init`].
pub fn uptime_us() -> u64 {
    let ticks = critical_section::with(|cs| CLOCK.borrow_ref(cs).as_ref().map(|c| c.now()));
    ticks.map_or(0, |t| ticks_to_us(t, periph_clock_hz()))
}

/// `ticks` of a `hz` clock in microseconds, without overflowing for any
/// 64-bit count.
fn ticks_to_us(ticks: u64, hz: u32) -> u64 {
    let hz = u64::from(hz.max(1));
    (ticks / hz) * 1_000_000 + (ticks % hz) * 1_000_000 / hz
}

/// Tick interrupts taken since boot.
pub fn ticks() -> u64 {
    TICKS.load(Ordering::Relaxed)
}

/// What an IRQ was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Irq {
    /// The kernel tick.
    Tick,
    /// A device interrupt, now masked until its driver acknowledges it.
    Device(u32),
    /// Nothing the scheduler needs to know about.
    Other,
}

/// Handles one IRQ: acknowledge at the GIC, dispatch, end of interrupt.
pub fn handle_irq() -> Irq {
    critical_section::with(|cs| {
        let mut gic_cell = GIC.borrow_ref_mut(cs);
        let Some(gic) = gic_cell.as_mut() else {
            return Irq::Other;
        };
        let Some(irq) = gic.acknowledge() else {
            return Irq::Other;
        };
        let mut outcome = Irq::Other;
        if irq.id() == private_timer::IRQ {
            if let Some(timer) = TICK_TIMER.borrow_ref_mut(cs).as_mut() {
                if timer.acknowledge() {
                    TICKS.fetch_add(1, Ordering::Relaxed);
                    outcome = Irq::Tick;
                }
            }
        } else {
            // Level-triggered: keep it masked until the driver has dealt
            // with the device and acknowledged (`irq_ack`).
            if gic.disable(irq.id()).is_err() {
                defmt::error!("interrupt {=u32} could not be masked", irq.id());
            }
            outcome = Irq::Device(irq.id());
        }
        gic.end_of_interrupt(irq);
        outcome
    })
}
