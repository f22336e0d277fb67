//! Where each board's SD host controllers are: register bases, interrupt
//! lines and which kind of controller (the drivers are in the block
//! server's `sdmmc` crate, which runs in a partition). Plain data; this
//! module must never touch a register.

/// Which register interface a controller has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SdControllerKind {
    /// ARM PrimeCell PL181 MultiMedia Card Interface.
    Pl181,
    /// SD Host Controller Interface (with Tegra 2's quirks).
    SdhciTegra20,
}

/// One SD host controller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SdController {
    /// Its name in the board's documentation.
    pub name: &'static str,
    /// Physical address of its registers.
    pub base: u32,
    /// Bytes of registers.
    pub size: u32,
    /// GIC interrupt IDs (a PL181 has two lines; the first carries MASK0).
    pub irqs: &'static [u32],
    /// Its interface.
    pub kind: SdControllerKind,
}

/// vexpress-a9's MMCI (QEMU `hw/arm/vexpress.c`: SPI 9 and 10).
pub const VEXPRESS_A9_MMCI: SdController = SdController {
    name: "MMCI",
    base: 0x1000_5000,
    size: 0x1000,
    irqs: &[41, 42],
    kind: SdControllerKind::Pl181,
};

/// vexpress-a9's SP804 timer 0/1 (SPI 2), which the block server uses as
/// its alarm for timeouts and device latency models.
pub const VEXPRESS_A9_TIMER01: (u32, u32) = (0x1001_1000, 34);

/// Tegra 2's four SDMMC controllers (Tegra 2 TRM; interrupts as Linux's
/// `tegra20.dtsi` gives them: SPI 14, 15, 19 and 31).
pub const TEGRA20_SDMMC: [SdController; 4] = [
    tegra_sdmmc("SDMMC1", 0xC800_0000, &[46]),
    tegra_sdmmc("SDMMC2", 0xC800_0200, &[47]),
    tegra_sdmmc("SDMMC3", 0xC800_0400, &[51]),
    tegra_sdmmc("SDMMC4", 0xC800_0600, &[63]),
];

const fn tegra_sdmmc(name: &'static str, base: u32, irqs: &'static [u32]) -> SdController {
    SdController {
        name,
        base,
        size: 0x200,
        irqs,
        kind: SdControllerKind::SdhciTegra20,
    }
}
