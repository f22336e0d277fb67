//! Arm Versatile Express with a CoreTile Express A9x4, as QEMU's
//! `vexpress-a9` machine emulates it (the "legacy" memory map).

use crate::board::{Board, ConsoleUart, DebugExit, QemuMachine, Region};

/// QEMU `-M vexpress-a9`: 256 MiB of RAM at 0x6000_0000 by default, up
/// to 1 GiB with `-m` (QEMU 7.2 `hw/arm/vexpress.c` refuses more: the
/// legacy map's RAM window is 0x6000_0000..0xA000_0000), UART0 a PL011 at
/// 0x1000_9000, the A9 private region at 0x1E00_0000. QEMU clocks the MPCore
/// timers at 100 MHz (one tick per 10 instructions under `-icount shift=0`).
pub const VEXPRESS_A9: Board = Board {
    name: "vexpress-a9",
    aliases: &[],
    description: "QEMU vexpress-a9 (Cortex-A9, 256 MiB)",
    ram: Region {
        base: 0x6000_0000,
        size: 256 << 20,
    },
    ram_max_size: 1 << 30,
    kernel_load: 0x6001_0000,
    console: ConsoleUart::Pl011 {
        base: 0x1000_9000,
        clock_hz: 24_000_000,
    },
    console_label: "UART0",
    mpcore_base: 0x1E00_0000,
    periph_clock_hz: 100_000_000,
    legacy_ictlr: None,
    us_timer: None,
    mmio_sections: &[0x1000_0000, 0x1E00_0000],
    debug_exit: DebugExit::Semihosting,
    qemu: Some(QemuMachine {
        machine: "vexpress-a9",
        cpu: "cortex-a9",
        memory_mib: 256,
        // The page just below the kernel image (loaded at 0x6001_0000).
        boot_options: 0x6000_F000,
    }),
};
