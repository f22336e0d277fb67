//! Tegra20 legacy interrupt controller: the per-CPU enable bits that gate
//! each shared peripheral interrupt before it reaches the GIC.
//!
//! Layout, as the Tegra20 TRM and Linux's `irq-tegra` describe it: four
//! banks of 32 interrupts, 0x100 bytes apart; bank `n` covers GIC IDs
//! `32 + 32n ..= 63 + 32n` (legacy interrupt `id - 32`). In each bank
//! CPU_IER_SET (+0x24) and CPU_IER_CLR (+0x28) set and clear CPU enable
//! bits by writing ones, and CPU_IEP_CLASS (+0x2C) picks IRQ (0) or FIQ (1)
//! per line. SGIs and PPIs (IDs below 32, such as the A9 private timer)
//! never pass through this controller.
//!
//! The driver only masks, unmasks and routes to IRQ for the main CPU; it
//! never touches the COP (AVP) side or forces interrupts.

use safe_mmio::fields::{ReadPure, ReadPureWrite, WriteOnly};
use safe_mmio::{field, UniqueMmioPointer};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// Banks of 32 interrupts on Tegra20.
pub const BANKS: usize = 4;
/// The first GIC interrupt ID the controller gates (the first SPI).
pub const FIRST_GATED: u32 = 32;
/// One past the last GIC interrupt ID the controller gates.
pub const END_GATED: u32 = FIRST_GATED + 32 * BANKS as u32;

/// One bank's registers, padded to the 0x100-byte bank stride.
#[derive(FromBytes, Immutable, IntoBytes, KnownLayout)]
#[repr(C, align(4))]
pub struct Bank {
    /// 0x00 pending IRQs to the CPU (after masking).
    pub virq_cpu: ReadPure<u32>,
    /// 0x04 pending IRQs to the COP.
    pub virq_cop: ReadPure<u32>,
    /// 0x08 pending FIQs to the CPU.
    pub vfiq_cpu: ReadPure<u32>,
    /// 0x0C pending FIQs to the COP.
    pub vfiq_cop: ReadPure<u32>,
    /// 0x10 raw interrupt status.
    pub isr: ReadPure<u32>,
    /// 0x14 forced interrupts.
    pub fir: ReadPure<u32>,
    /// 0x18 force set.
    pub fir_set: WriteOnly<u32>,
    /// 0x1C force clear.
    pub fir_clr: WriteOnly<u32>,
    /// 0x20 CPU enable bits.
    pub cpu_ier: ReadPure<u32>,
    /// 0x24 CPU enable: write ones to set.
    pub cpu_ier_set: WriteOnly<u32>,
    /// 0x28 CPU enable: write ones to clear.
    pub cpu_ier_clr: WriteOnly<u32>,
    /// 0x2C CPU class: 0 IRQ, 1 FIQ.
    pub cpu_iep_class: ReadPureWrite<u32>,
    _cop: [u32; 4],
    _reserved: [u32; 48],
}

/// The whole controller.
pub type Registers = [Bank; BANKS];

/// Errors from interrupt gating.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IctlrError {
    /// The interrupt is not one the controller gates (an SGI/PPI, or past
    /// the last bank).
    NotGated(u32),
}

/// Where GIC interrupt `id` lives: bank index and bit, or `None` if the
/// legacy controller does not gate it.
pub const fn locate(id: u32) -> Option<(usize, u32)> {
    if id < FIRST_GATED || id >= END_GATED {
        None
    } else {
        let legacy = id - FIRST_GATED;
        Some(((legacy / 32) as usize, 1 << (legacy % 32)))
    }
}

/// The legacy interrupt controller, CPU side.
pub struct LegacyIctlr<'a> {
    regs: UniqueMmioPointer<'a, Registers>,
}

impl<'a> LegacyIctlr<'a> {
    /// Takes the controller over: every line masked for the CPU and routed
    /// as IRQ, not FIQ.
    pub fn new(mut regs: UniqueMmioPointer<'a, Registers>) -> Self {
        for index in 0..BANKS {
            if let Some(mut bank) = regs.get(index) {
                field!(bank, cpu_ier_clr).write(u32::MAX);
                field!(bank, cpu_iep_class).write(0);
            }
        }
        Self { regs }
    }

    /// Lets GIC interrupt `id` through to the CPU.
    pub fn unmask(&mut self, id: u32) -> Result<(), IctlrError> {
        let (index, bit) = locate(id).ok_or(IctlrError::NotGated(id))?;
        let mut bank = self.regs.get(index).ok_or(IctlrError::NotGated(id))?;
        field!(bank, cpu_ier_set).write(bit);
        Ok(())
    }

    /// Stops GIC interrupt `id` at the controller.
    pub fn mask(&mut self, id: u32) -> Result<(), IctlrError> {
        let (index, bit) = locate(id).ok_or(IctlrError::NotGated(id))?;
        let mut bank = self.regs.get(index).ok_or(IctlrError::NotGated(id))?;
        field!(bank, cpu_ier_clr).write(bit);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use core::mem::{offset_of, size_of};
    use std::boxed::Box;
    use zerocopy::FromZeros;

    #[test]
    fn bank_layout_matches_the_trm() {
        assert_eq!(offset_of!(Bank, cpu_ier), 0x20);
        assert_eq!(offset_of!(Bank, cpu_ier_set), 0x24);
        assert_eq!(offset_of!(Bank, cpu_ier_clr), 0x28);
        assert_eq!(offset_of!(Bank, cpu_iep_class), 0x2C);
        assert_eq!(size_of::<Bank>(), 0x100);
        assert_eq!(size_of::<Registers>(), 0x400);
    }

    #[test]
    fn only_spis_are_gated() {
        assert_eq!(locate(29), None, "the private timer is a PPI");
        assert_eq!(locate(31), None);
        assert_eq!(locate(32), Some((0, 1)));
        assert_eq!(locate(63), Some((0, 1 << 31)));
        assert_eq!(locate(64), Some((1, 1)));
        // UARTD is SPI 90: GIC ID 122, legacy 90, bank 2 bit 26.
        assert_eq!(locate(122), Some((2, 1 << 26)));
        assert_eq!(locate(159), Some((3, 1 << 31)));
        assert_eq!(locate(160), None);
    }

    #[test]
    fn new_masks_every_bank_and_unmask_sets_one_bit() {
        let mut regs = Box::new(Registers::new_zeroed());
        for bank in regs.iter_mut() {
            bank.cpu_iep_class.0 = u32::MAX;
        }
        let mut ictlr = LegacyIctlr::new(UniqueMmioPointer::from(&mut *regs));
        assert_eq!(ictlr.unmask(122), Ok(()));
        assert_eq!(ictlr.unmask(29), Err(IctlrError::NotGated(29)));
        assert_eq!(ictlr.mask(160), Err(IctlrError::NotGated(160)));
        for (index, bank) in regs.iter().enumerate() {
            assert_eq!(bank.cpu_ier_clr.0, u32::MAX, "bank {index} masked");
            assert_eq!(bank.cpu_iep_class.0, 0, "bank {index} routed to IRQ");
        }
        assert_eq!(regs[2].cpu_ier_set.0, 1 << 26);
        assert_eq!(regs[0].cpu_ier_set.0, 0);
    }
}
