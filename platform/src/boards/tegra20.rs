//! NVIDIA Tegra 2 (Tegra20) boards booted by U-Boot: the SoC's fixed
//! addresses once, and the five boards that differ only in RAM size and
//! which UART is the debug console.
//!
//! Facts, from the Tegra20 memory map as Linux and U-Boot use it: DRAM
//! starts at 0; the Cortex-A9 MPCore private region is at 0x5004_0000 (the
//! same MPCore as QEMU's vexpress-a9, so the same GIC and timer drivers);
//! the legacy interrupt controller at 0x6000_4000 and TIMERUS (a 1 MHz
//! counter) at 0x6000_5010; 16550-compatible UARTs at 0x7000_6000 (UARTA)
//! and 0x7000_6300 (UARTD). U-Boot's board configurations put the console
//! on UARTD for Harmony, Seaboard and Ventana and on UARTA for TrimSlice and
//! PAZ00 (Toshiba AC100), and U-Boot loads kernels at 0x0100_0000.
//!
//! Nothing here has been checked on hardware by this project; no value in
//! this file may be guessed without saying so next to it.

use crate::board::{Board, ConsoleUart, DebugExit, Region};

/// UARTA, the console of TrimSlice and PAZ00.
pub const UARTA: usize = 0x7000_6000;
/// UARTD, the console of Harmony, Seaboard and Ventana.
pub const UARTD: usize = 0x7000_6300;
/// The UARTs' clock as U-Boot sets it up: PLLP at 216 MHz. The kernel does
/// not reprogram the divisor (it keeps U-Boot's 115200 baud); this is what
/// a divisor would be computed from.
pub const UART_CLOCK_HZ: u32 = 216_000_000;
/// Cortex-A9 MPCore private memory region (SCU, GIC CPU interface at
/// +0x100, timers at +0x200/+0x600, distributor at +0x1000).
pub const MPCORE_BASE: usize = 0x5004_0000;
/// Legacy interrupt controller: four banks of 32 interrupts, 0x100 apart.
pub const LEGACY_ICTLR: usize = 0x6000_4000;
/// TIMERUS_CNTR_1US: microseconds since reset, 32 bits, wrapping.
pub const TIMERUS: usize = 0x6000_5010;
/// PERIPHCLK of the A9 private and global timers, nominal: Linux models
/// it as the CPU clock divided by 4, and U-Boot runs a Tegra20 CPU at
/// 1 GHz, giving 250 MHz. Not trusted: the kernel measures it against
/// TIMERUS at boot and logs the result.
pub const PERIPH_CLOCK_NOMINAL_HZ: u32 = 250_000_000;
/// Where U-Boot's Tegra20 environment loads kernels (`kernel_addr_r`).
pub const KERNEL_LOAD: usize = 0x0100_0000;
/// The 1 MiB sections holding every device the kernel drives: the UARTs,
/// the MPCore region, the legacy interrupt controller and TIMERUS.
pub const MMIO_SECTIONS: &[usize] = &[0x7000_0000, 0x5000_0000, 0x6000_0000];

const fn tegra20(
    name: &'static str,
    aliases: &'static [&'static str],
    description: &'static str,
    ram_mib: usize,
    console: usize,
    console_label: &'static str,
) -> Board {
    Board {
        name,
        aliases,
        description,
        ram: Region {
            base: 0,
            size: ram_mib << 20,
        },
        ram_max_size: ram_mib << 20,
        kernel_load: KERNEL_LOAD,
        console: ConsoleUart::Ns16550 {
            base: console,
            clock_hz: UART_CLOCK_HZ,
        },
        console_label,
        mpcore_base: MPCORE_BASE,
        periph_clock_hz: PERIPH_CLOCK_NOMINAL_HZ,
        legacy_ictlr: Some(LEGACY_ICTLR),
        us_timer: Some(TIMERUS),
        mmio_sections: MMIO_SECTIONS,
        debug_exit: DebugExit::Halt,
        qemu: None,
    }
}

/// NVIDIA Harmony developer board: 1 GiB, console on UARTD.
pub const HARMONY: Board = tegra20(
    "tegra20-harmony",
    &["harmony"],
    "NVIDIA Harmony (Tegra20, 1 GiB, console UARTD)",
    1024,
    UARTD,
    "UARTD",
);

/// NVIDIA Seaboard: 1 GiB, console on UARTD.
pub const SEABOARD: Board = tegra20(
    "tegra20-seaboard",
    &["seaboard"],
    "NVIDIA Seaboard (Tegra20, 1 GiB, console UARTD)",
    1024,
    UARTD,
    "UARTD",
);

/// NVIDIA Ventana: 1 GiB, console on UARTD.
pub const VENTANA: Board = tegra20(
    "tegra20-ventana",
    &["ventana"],
    "NVIDIA Ventana (Tegra20, 1 GiB, console UARTD)",
    1024,
    UARTD,
    "UARTD",
);

/// CompuLab TrimSlice: 1 GiB, console on UARTA.
pub const TRIMSLICE: Board = tegra20(
    "tegra20-trimslice",
    &["trimslice"],
    "CompuLab TrimSlice (Tegra20, 1 GiB, console UARTA)",
    1024,
    UARTA,
    "UARTA",
);

/// Compal PAZ00, sold as the Toshiba AC100: 512 MiB, console on UARTA.
pub const PAZ00: Board = tegra20(
    "tegra20-paz00",
    &["paz00", "ac100"],
    "Toshiba AC100 / Compal PAZ00 (Tegra20, 512 MiB, console UARTA)",
    512,
    UARTA,
    "UARTA",
);

/// Every Tegra20 board.
pub const ALL: [&Board; 5] = [&HARMONY, &SEABOARD, &VENTANA, &TRIMSLICE, &PAZ00];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consoles_match_u_boot_board_configurations() {
        assert_eq!(HARMONY.console.base(), UARTD);
        assert_eq!(SEABOARD.console.base(), UARTD);
        assert_eq!(VENTANA.console.base(), UARTD);
        assert_eq!(TRIMSLICE.console.base(), UARTA);
        assert_eq!(PAZ00.console.base(), UARTA);
    }

    #[test]
    fn every_tegra_board_shares_the_soc_map() {
        for board in ALL {
            assert_eq!(board.ram.base, 0, "{}", board.name);
            assert_eq!(board.kernel_load, 0x0100_0000, "{}", board.name);
            assert_eq!(board.gic_distributor(), 0x5004_1000, "{}", board.name);
            assert_eq!(board.gic_cpu_interface(), 0x5004_0100, "{}", board.name);
            assert_eq!(board.private_timer(), 0x5004_0600, "{}", board.name);
            assert_eq!(board.debug_exit, DebugExit::Halt, "{}", board.name);
            assert!(board.qemu.is_none(), "{}", board.name);
            assert!(board.name.starts_with("tegra20-"), "{}", board.name);
        }
        assert_eq!(PAZ00.ram.size, 512 << 20);
        assert_eq!(HARMONY.ram.size, 1 << 30);
        // A board without a host has exactly the RAM it says.
        assert!(ALL.iter().all(|b| b.ram_max_size == b.ram.size));
    }
}
