//! The description of one board: where RAM and devices are, and how to
//! reach its console.
//!
//! A `Board` is pure data, usable in `const` context by the kernel (boot page
//! tables) and at run time by xtask (QEMU arguments, link addresses). It must
//! never contain code that touches hardware.

/// A physical address range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    /// First byte.
    pub base: usize,
    /// Length in bytes.
    pub size: usize,
}

impl Region {
    /// One past the last byte.
    pub const fn end(&self) -> usize {
        self.base + self.size
    }

    /// Whether `addr` lies inside the region.
    pub const fn contains(&self, addr: usize) -> bool {
        addr >= self.base && addr - self.base < self.size
    }
}

/// The UART the kernel writes its console to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsoleUart {
    /// An Arm PL011 at this physical base, clocked at `clock_hz`.
    Pl011 { base: usize, clock_hz: u32 },
    /// A 16550-compatible UART with 32-bit registers at a 4-byte stride
    /// (Tegra's UARTs), clocked at `clock_hz`. The kernel keeps the baud
    /// rate the boot loader programmed; `clock_hz` is what a divisor would
    /// be computed from.
    Ns16550 { base: usize, clock_hz: u32 },
}

impl ConsoleUart {
    /// Physical base address of the UART's registers.
    pub const fn base(&self) -> usize {
        match *self {
            ConsoleUart::Pl011 { base, .. } | ConsoleUart::Ns16550 { base, .. } => base,
        }
    }
}

/// How the kernel ends a run and hands back an exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DebugExit {
    /// Arm semihosting (QEMU, or a debugger that implements it): log frames
    /// and the exit status go to the host.
    Semihosting,
    /// No host attached: the kernel halts the CPU.
    Halt,
}

/// How QEMU emulates this board.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QemuMachine {
    /// The `-M` machine name.
    pub machine: &'static str,
    /// The `-cpu` model.
    pub cpu: &'static str,
    /// The `-m` memory size in MiB.
    pub memory_mib: usize,
    /// Physical address where the host's loader (QEMU `-device loader`)
    /// puts the boot-options block (`kernel_abi::boot_options`): RAM below
    /// the kernel's load address, which the kernel never allocates.
    pub boot_options: usize,
}

/// Everything the kernel and the build tools need to know about a board.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Board {
    /// The name users pass to `--board`.
    pub name: &'static str,
    /// Other names `--board` accepts for this board (short names).
    pub aliases: &'static [&'static str],
    /// One-line description shown in listings.
    pub description: &'static str,
    /// The RAM the board certainly has: all of it on a board with a fixed
    /// amount, the default size on an emulated one.
    pub ram: Region,
    /// The most RAM the board can have, in bytes from `ram.base`: a host
    /// that reports more RAM than `ram` (QEMU `-m 1G`) is believed up to
    /// here. Equal to `ram.size` on a board with a fixed amount.
    pub ram_max_size: usize,
    /// Physical address the kernel image is loaded at (inside `ram`).
    pub kernel_load: usize,
    /// The console UART.
    pub console: ConsoleUart,
    /// What the board's documentation calls the console UART (`UARTD`),
    /// so users know which connector to wire.
    pub console_label: &'static str,
    /// Base of the Cortex-A9 MPCore private memory region (SCU, GIC CPU
    /// interface, timers, GIC distributor).
    pub mpcore_base: usize,
    /// Clock of the private and global timers (PERIPHCLK), in Hz. On a
    /// board with [`Board::us_timer`] this is only the nominal value: the
    /// kernel measures the real one at boot.
    pub periph_clock_hz: u32,
    /// Base of the Tegra legacy interrupt controller, whose per-CPU enable
    /// bits gate every shared peripheral interrupt (GIC ID 32 and up)
    /// before it reaches the GIC. `None` where there is no such thing.
    pub legacy_ictlr: Option<usize>,
    /// Physical address of a free-running 1 MHz microsecond counter (Tegra
    /// TIMERUS), used to measure PERIPHCLK at boot. `None` if absent.
    pub us_timer: Option<usize>,
    /// 1 MiB-aligned physical sections holding every device the kernel
    /// drives; the kernel maps each into its device window.
    pub mmio_sections: &'static [usize],
    /// How a run ends.
    pub debug_exit: DebugExit,
    /// QEMU emulation of this board, if any.
    pub qemu: Option<QemuMachine>,
}

/// Offsets inside the Cortex-A9 MPCore private memory region (Cortex-A9
/// MPCore TRM, "Private memory region").
pub mod mpcore {
    /// GIC CPU interface.
    pub const GIC_CPU: usize = 0x100;
    /// Global timer.
    pub const GLOBAL_TIMER: usize = 0x200;
    /// Private timer and watchdog.
    pub const PRIVATE_TIMER: usize = 0x600;
    /// GIC distributor.
    pub const GIC_DISTRIBUTOR: usize = 0x1000;
}

/// Room the kernel image may need above its load address: a load address
/// closer than this to the end of RAM is refused.
pub const KERNEL_IMAGE_ROOM: usize = 16 << 20;

/// Alignment a kernel load address must have (one small page).
pub const KERNEL_LOAD_ALIGN: usize = 0x1000;

/// Why an address cannot be where the kernel image is loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelLoadError {
    /// Not a multiple of [`KERNEL_LOAD_ALIGN`].
    Unaligned,
    /// Not inside the board's RAM.
    OutsideRam,
    /// Less than [`KERNEL_IMAGE_ROOM`] of RAM left above it.
    TooCloseToEnd,
}

impl KernelLoadError {
    /// One line saying what is wrong.
    pub const fn describe(&self) -> &'static str {
        match self {
            KernelLoadError::Unaligned => "it is not 4 KiB aligned",
            KernelLoadError::OutsideRam => "it is not inside the board's RAM",
            KernelLoadError::TooCloseToEnd => "it leaves less than 16 MiB of RAM for the image",
        }
    }
}

impl Board {
    /// Whether `name` is this board's name or one of its aliases.
    pub fn is_called(&self, name: &str) -> bool {
        self.name == name || self.aliases.contains(&name)
    }

    /// Checks that the kernel image can be loaded at physical address `pa`
    /// on this board.
    pub const fn check_kernel_load(&self, pa: usize) -> Result<(), KernelLoadError> {
        if !pa.is_multiple_of(KERNEL_LOAD_ALIGN) {
            Err(KernelLoadError::Unaligned)
        } else if !self.ram.contains(pa) {
            Err(KernelLoadError::OutsideRam)
        } else if self.ram.end() - pa < KERNEL_IMAGE_ROOM {
            Err(KernelLoadError::TooCloseToEnd)
        } else {
            Ok(())
        }
    }

    /// One past the last byte of the most RAM the board can have.
    pub const fn ram_max_end(&self) -> usize {
        self.ram.base + self.ram_max_size
    }

    /// Physical address of the GIC distributor.
    pub const fn gic_distributor(&self) -> usize {
        self.mpcore_base + mpcore::GIC_DISTRIBUTOR
    }

    /// Physical address of the GIC CPU interface.
    pub const fn gic_cpu_interface(&self) -> usize {
        self.mpcore_base + mpcore::GIC_CPU
    }

    /// Physical address of the private timer.
    pub const fn private_timer(&self) -> usize {
        self.mpcore_base + mpcore::PRIVATE_TIMER
    }

    /// Physical address of the global timer.
    pub const fn global_timer(&self) -> usize {
        self.mpcore_base + mpcore::GLOBAL_TIMER
    }
}
