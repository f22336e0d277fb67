//! Arm Generic Interrupt Controller as found in the Cortex-A9 MPCore
//! (architecture v1: distributor plus per-CPU interface).
//!
//! Written here rather than taken from the `arm-gic` crate: that crate
//! targets GICv2/v3 and does not claim v1 support, while the A9's GIC needs
//! only the handful of registers below. Interrupts are all Group 0 and
//! routed to CPU 0; the driver never touches security or priority grouping
//! beyond a single priority level.

use safe_mmio::fields::{ReadPure, ReadPureWrite, ReadWrite, WriteOnly};
use safe_mmio::{field, UniqueMmioPointer};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// Interrupt IDs at or above this are spurious (1023) or reserved.
pub const SPURIOUS: u32 = 1020;
/// Priority given to every enabled interrupt (lower is more urgent).
const DEFAULT_PRIORITY: u8 = 0xA0;
/// CPU interface priority mask: let everything more urgent than this in.
const PRIORITY_MASK: u32 = 0xF0;

/// The distributor register block, up to the target registers.
#[derive(FromBytes, Immutable, IntoBytes, KnownLayout)]
#[repr(C, align(4))]
pub struct DistributorRegisters {
    /// 0x000 control.
    pub ctlr: ReadPureWrite<u32>,
    /// 0x004 type.
    pub typer: ReadPure<u32>,
    _reserved0: [u32; 62],
    /// 0x100 set-enable.
    pub isenabler: [ReadPureWrite<u32>; 32],
    /// 0x180 clear-enable.
    pub icenabler: [ReadPureWrite<u32>; 32],
    _reserved1: [u32; 128],
    /// 0x400 priorities, one byte per interrupt.
    pub ipriorityr: [ReadPureWrite<u8>; 1020],
    _reserved2: [u32; 1],
    /// 0x800 CPU targets, one byte per interrupt.
    pub itargetsr: [ReadPureWrite<u8>; 1020],
}

/// The CPU interface register block.
#[derive(Default, FromBytes, Immutable, IntoBytes, KnownLayout)]
#[repr(C, align(4))]
pub struct CpuInterfaceRegisters {
    /// 0x00 control.
    pub ctlr: ReadPureWrite<u32>,
    /// 0x04 priority mask.
    pub pmr: ReadPureWrite<u32>,
    /// 0x08 binary point.
    pub bpr: ReadPureWrite<u32>,
    /// 0x0C interrupt acknowledge (reading it acknowledges).
    pub iar: ReadWrite<u32>,
    /// 0x10 end of interrupt.
    pub eoir: WriteOnly<u32>,
}

/// Errors from interrupt configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GicError {
    /// The interrupt ID is beyond what this distributor implements.
    NoSuchInterrupt(u32),
}

/// An acknowledged interrupt that must be completed with
/// [`Gic::end_of_interrupt`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Acknowledged(u32);

impl Acknowledged {
    /// The interrupt ID.
    pub fn id(self) -> u32 {
        self.0 & 0x3FF
    }
}

/// The distributor and this CPU's interface.
pub struct Gic<'a> {
    distributor: UniqueMmioPointer<'a, DistributorRegisters>,
    cpu: UniqueMmioPointer<'a, CpuInterfaceRegisters>,
    lines: u32,
}

impl<'a> Gic<'a> {
    /// Takes the GIC over: every interrupt disabled, distributor and CPU
    /// interface enabled with a permissive priority mask.
    pub fn new(
        mut distributor: UniqueMmioPointer<'a, DistributorRegisters>,
        mut cpu: UniqueMmioPointer<'a, CpuInterfaceRegisters>,
    ) -> Self {
        field!(distributor, ctlr).write(0);
        let lines = ((field!(distributor, typer).read() & 0x1F) + 1) * 32;
        for word in 0..(lines / 32) as usize {
            field!(distributor, icenabler)
                .get(word)
                .unwrap()
                .write(u32::MAX);
        }
        field!(distributor, ctlr).write(1);
        field!(cpu, pmr).write(PRIORITY_MASK);
        field!(cpu, bpr).write(0);
        field!(cpu, ctlr).write(1);
        Self {
            distributor,
            cpu,
            lines: lines.min(SPURIOUS),
        }
    }

    /// How many interrupt IDs the distributor implements.
    pub fn lines(&self) -> u32 {
        self.lines
    }

    /// Enables interrupt `id`, routed to CPU 0.
    pub fn enable(&mut self, id: u32) -> Result<(), GicError> {
        if id >= self.lines {
            return Err(GicError::NoSuchInterrupt(id));
        }
        let index = id as usize;
        field!(self.distributor, ipriorityr)
            .get(index)
            .unwrap()
            .write(DEFAULT_PRIORITY);
        // Targets of SGIs and PPIs (IDs below 32) are read-only.
        if id >= 32 {
            field!(self.distributor, itargetsr)
                .get(index)
                .unwrap()
                .write(1);
        }
        field!(self.distributor, isenabler)
            .get(index / 32)
            .unwrap()
            .write(1 << (id % 32));
        Ok(())
    }

    /// Disables interrupt `id`.
    pub fn disable(&mut self, id: u32) -> Result<(), GicError> {
        if id >= self.lines {
            return Err(GicError::NoSuchInterrupt(id));
        }
        field!(self.distributor, icenabler)
            .get(id as usize / 32)
            .unwrap()
            .write(1 << (id % 32));
        Ok(())
    }

    /// Acknowledges the most urgent pending interrupt, or returns `None` if
    /// the read was spurious.
    pub fn acknowledge(&mut self) -> Option<Acknowledged> {
        let iar = field!(self.cpu, iar).read();
        if iar & 0x3FF >= SPURIOUS {
            None
        } else {
            Some(Acknowledged(iar))
        }
    }

    /// Completes an acknowledged interrupt.
    pub fn end_of_interrupt(&mut self, irq: Acknowledged) {
        field!(self.cpu, eoir).write(irq.0);
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use core::mem::offset_of;
    use std::boxed::Box;
    use zerocopy::FromZeros;

    #[test]
    fn register_offsets_match_the_architecture() {
        assert_eq!(offset_of!(DistributorRegisters, isenabler), 0x100);
        assert_eq!(offset_of!(DistributorRegisters, icenabler), 0x180);
        assert_eq!(offset_of!(DistributorRegisters, ipriorityr), 0x400);
        assert_eq!(offset_of!(DistributorRegisters, itargetsr), 0x800);
        assert_eq!(offset_of!(CpuInterfaceRegisters, iar), 0x0C);
        assert_eq!(offset_of!(CpuInterfaceRegisters, eoir), 0x10);
    }

    fn fake(lines_field: u32) -> (Box<DistributorRegisters>, Box<CpuInterfaceRegisters>) {
        let mut distributor = Box::new(DistributorRegisters::new_zeroed());
        distributor.typer.0 = lines_field;
        (distributor, Box::default())
    }

    #[test]
    fn init_enables_both_halves_and_masks_everything() {
        let (mut d, mut c) = fake(2); // 96 lines
        let gic = Gic::new(
            UniqueMmioPointer::from(&mut *d),
            UniqueMmioPointer::from(&mut *c),
        );
        assert_eq!(gic.lines(), 96);
        assert_eq!(d.ctlr.0, 1);
        assert!(d.icenabler[..3].iter().all(|r| r.0 == u32::MAX));
        assert_eq!(d.icenabler[3].0, 0);
        assert_eq!((c.ctlr.0, c.pmr.0), (1, PRIORITY_MASK));
    }

    #[test]
    fn enable_sets_priority_target_and_enable_bit() {
        let (mut d, mut c) = fake(2);
        let mut gic = Gic::new(
            UniqueMmioPointer::from(&mut *d),
            UniqueMmioPointer::from(&mut *c),
        );
        gic.enable(29).unwrap();
        gic.enable(40).unwrap();
        assert_eq!(gic.enable(96), Err(GicError::NoSuchInterrupt(96)));
        assert_eq!(d.isenabler[0].0, 1 << 29);
        assert_eq!(d.isenabler[1].0, 1 << 8);
        assert_eq!(d.ipriorityr[29].0, DEFAULT_PRIORITY);
        assert_eq!(d.itargetsr[29].0, 0, "PPI targets are read-only");
        assert_eq!(d.itargetsr[40].0, 1);
    }

    #[test]
    fn spurious_reads_are_not_acknowledged() {
        let (mut d, mut c) = fake(0);
        c.iar.0 = 1023;
        let mut gic = Gic::new(
            UniqueMmioPointer::from(&mut *d),
            UniqueMmioPointer::from(&mut *c),
        );
        assert_eq!(gic.acknowledge(), None);
        c.iar.0 = (1 << 10) | 29;
        let mut gic = Gic::new(
            UniqueMmioPointer::from(&mut *d),
            UniqueMmioPointer::from(&mut *c),
        );
        let irq = gic.acknowledge().unwrap();
        assert_eq!(irq.id(), 29);
        gic.end_of_interrupt(irq);
        assert_eq!(c.eoir.0, (1 << 10) | 29);
    }
}
