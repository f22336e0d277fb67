//! The devices the kernel drives, at their addresses in the device window.
//!
//! [`init`] takes each device over exactly once; afterwards each lives in
//! its own interrupt-safe cell, so logging (which reads the clock) never
//! contends with the interrupt path (which holds the GIC and tick timer).

use core::cell::RefCell;
use core::fmt::Write as _;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU64, Ordering};

use critical_section::Mutex;
use platform::drivers::{gic, global_timer, pl011, private_timer};
use platform::{ConsoleUart, BOARD};
use safe_mmio::UniqueMmioPointer;

use crate::mm::layout;

/// Period of the kernel tick.
pub const TICK_PERIOD_US: u32 = 1_000;

type Cell<T> = Mutex<RefCell<Option<T>>>;

static CONSOLE: Cell<pl011::Pl011<'static>> = Mutex::new(RefCell::new(None));
static GIC: Cell<gic::Gic<'static>> = Mutex::new(RefCell::new(None));
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
    let (uart, distributor, cpu, timer, clock) = unsafe {
        (
            device::<pl011::Registers>(BOARD.console.base())?,
            device::<gic::DistributorRegisters>(BOARD.gic_distributor())?,
            device::<gic::CpuInterfaceRegisters>(BOARD.gic_cpu_interface())?,
            device::<private_timer::Registers>(BOARD.private_timer())?,
            device::<global_timer::Registers>(BOARD.global_timer())?,
        )
    };
    let ConsoleUart::Pl011 { clock_hz, .. } = BOARD.console;
    let console = pl011::Pl011::new(uart, clock_hz, 115_200);
    let mut gic = gic::Gic::new(distributor, cpu);
    let mut timer = private_timer::PrivateTimer::new(timer);
    let clock = global_timer::GlobalTimer::new(clock);
    let load = private_timer::load_for_period(BOARD.periph_clock_hz, TICK_PERIOD_US)
        .ok_or(DeviceError::BadTickPeriod)?;
    gic.enable(private_timer::IRQ)
        .map_err(|_| DeviceError::NoTimerInterrupt)?;
    timer.start_periodic(load);
    critical_section::with(|cs| {
        CONSOLE.borrow_ref_mut(cs).replace(console);
        GIC.borrow_ref_mut(cs).replace(gic);
        TICK_TIMER.borrow_ref_mut(cs).replace(timer);
        CLOCK.borrow_ref_mut(cs).replace(clock);
    });
    Ok(())
}

/// Writes text to the board's console UART.
pub fn console_write(text: &str) {
    critical_section::with(|cs| {
        if let Some(console) = CONSOLE.borrow_ref_mut(cs).as_mut() {
            let _ = console.write_str(text);
        }
    });
}

/// Microseconds since the clock started, or 0 before [`init`].
pub fn uptime_us() -> u64 {
    let ticks = critical_section::with(|cs| CLOCK.borrow_ref(cs).as_ref().map(|c| c.now()));
    ticks.map_or(0, |t| t / u64::from(BOARD.periph_clock_hz / 1_000_000))
}

/// Tick interrupts taken since boot.
pub fn ticks() -> u64 {
    TICKS.load(Ordering::Relaxed)
}

/// Handles one IRQ: acknowledge at the GIC, dispatch, end of interrupt.
pub fn handle_irq() {
    critical_section::with(|cs| {
        let mut gic_cell = GIC.borrow_ref_mut(cs);
        let Some(gic) = gic_cell.as_mut() else {
            return;
        };
        let Some(irq) = gic.acknowledge() else {
            return;
        };
        if irq.id() == private_timer::IRQ {
            if let Some(timer) = TICK_TIMER.borrow_ref_mut(cs).as_mut() {
                if timer.acknowledge() {
                    TICKS.fetch_add(1, Ordering::Relaxed);
                }
            }
        } else {
            defmt::warn!("spurious interrupt {=u32}", irq.id());
        }
        gic.end_of_interrupt(irq);
    });
}
