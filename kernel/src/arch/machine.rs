//! The kernel core's [`Machine`] on real hardware: physical memory through
//! the kernel's linear map or, beyond it, the RAM window (`arch::ram`),
//! the clock, the log stream, and reports as defmt lines.
//!
//! Physical addresses come from the core, which derived them from a
//! partition's checked regions; a run that is not all RAM is a kernel bug,
//! reported as an error and never dereferenced.

use kernel_abi::log_stream::Source;

use crate::exception::ExceptionKind;
use crate::machine::{EndReason, Event, Machine};
use crate::mm::phys_access::NotRam;

use super::{devices, ram};

/// The hardware machine.
pub struct HardwareMachine;

/// Says that the core asked for a run that is not RAM (nothing was
/// touched).
#[inline(always)]
fn refused(what: &str, result: Result<(), NotRam>) {
    if let Err(not_ram) = result {
        report_refusal(what, not_ram);
    }
}

#[cold]
#[inline(never)]
fn report_refusal(what: &str, NotRam { pa, len }: NotRam) {
    defmt::error!(
        "kernel bug: {=str} of {=usize} bytes at {=usize:#x}, which is not all RAM, refused",
        what,
        len,
        pa
    );
}

impl Machine for HardwareMachine {
    fn unmask_irq(&mut self, irq: u32) {
        if let Err(error) = devices::enable_interrupt(irq) {
            defmt::warn!("cannot unmask interrupt {=u32}: {}", irq, error);
        }
    }

    fn page_tables_changed(&mut self, unmapped: Option<(u8, u32)>) {
        aarch32_cpu::asm::dsb();
        if let Some((asid, va)) = unmapped {
            // SAFETY: TLBIMVA only drops a cached translation of one page
            // of one address space; it cannot affect memory.
            unsafe {
                core::arch::asm!(
                    "mcr p15, 0, {0}, c8, c7, 1",
                    in(reg) (va & !0xFFF) | u32::from(asid),
                    options(nostack, preserves_flags),
                );
            }
            aarch32_cpu::asm::dsb();
        }
        aarch32_cpu::asm::isb();
    }

    fn address_space_reset(&mut self, asid: u8) {
        aarch32_cpu::asm::dsb();
        // SAFETY: TLBIASID only drops the cached translations tagged with
        // one ASID; it cannot affect memory.
        unsafe {
            core::arch::asm!(
                "mcr p15, 0, {0}, c8, c7, 2",
                in(reg) u32::from(asid),
                options(nostack, preserves_flags),
            );
        }
        aarch32_cpu::asm::dsb();
        aarch32_cpu::asm::isb();
    }

    fn now_us(&self) -> u64 {
        devices::uptime_us()
    }

    fn read_phys(&self, pa: usize, buf: &mut [u8]) {
        let result = ram::with_ram(pa, buf.len(), |src, at, len| {
            // SAFETY: `src..src+len` is RAM mapped for the kernel (`with_ram`)
            // and `at+len` is inside `buf`; the kernel holds no reference
            // into partition memory, so nothing aliases it.
            unsafe { core::ptr::copy_nonoverlapping(src, buf.as_mut_ptr().add(at), len) }
        });
        refused("a read", result);
    }

    fn write_phys(&mut self, pa: usize, data: &[u8]) {
        let result = ram::with_ram(pa, data.len(), |dst, at, len| {
            // SAFETY: as in `read_phys`; `data` is kernel memory, so the
            // ranges cannot overlap.
            unsafe { core::ptr::copy_nonoverlapping(data.as_ptr().add(at), dst, len) }
        });
        refused("a write", result);
    }

    fn write_phys_words(&mut self, pa: usize, data: &[u32]) {
        if !pa.is_multiple_of(4) {
            return refused("an unaligned word write", Err(NotRam { pa, len: 0 }));
        }
        // Pieces split only at section boundaries, so with `pa` word
        // aligned every piece's offset and length are whole words.
        let result = ram::with_ram(pa, data.len() * 4, |dst, at, len| {
            // SAFETY: as in `write_phys`, and `dst` is word aligned; the
            // target is little-endian, the order the words are defined in.
            unsafe {
                core::ptr::copy_nonoverlapping(data.as_ptr().add(at / 4), dst.cast(), len / 4)
            }
        });
        refused("a word write", result);
    }

    fn read_phys_words(&self, pa: usize, buf: &mut [u32]) {
        if !pa.is_multiple_of(4) {
            return refused("an unaligned word read", Err(NotRam { pa, len: 0 }));
        }
        let result = ram::with_ram(pa, buf.len() * 4, |src, at, len| {
            // SAFETY: as in `read_phys`, and `src` is word aligned (see
            // `write_phys_words`).
            unsafe {
                core::ptr::copy_nonoverlapping(src.cast(), buf.as_mut_ptr().add(at / 4), len / 4)
            }
        });
        refused("a word read", result);
    }

    fn zero_phys(&mut self, pa: usize, len: usize) {
        let result = ram::with_ram(pa, len, |dst, _, len| {
            // SAFETY: as in `read_phys`.
            unsafe { core::ptr::write_bytes(dst, 0, len) }
        });
        refused("zeroing", result);
    }

    fn emit_log(&mut self, source: Source, frame: &[u8]) {
        crate::log::emit_record(source, frame);
    }

    fn report(&mut self, event: Event<'_>) {
        match event {
            Event::ThreadExited { partition, thread } => {
                defmt::debug!("partition {=str}: thread {=str} exited", partition, thread)
            }
            Event::PartitionFinished { partition } => {
                defmt::info!("partition {=str}: finished", partition)
            }
            Event::PartitionStopped {
                partition,
                thread,
                fault,
            } => {
                defmt::error!(
                    "partition {=str} stopped: thread {=str} took a {=str} at pc {=u32:#x}",
                    partition,
                    thread,
                    fault.exception.describe(),
                    fault.pc
                );
                if let Some(f) = fault.fault {
                    defmt::error!(
                        "partition {=str}: {=str} on {=str} of address {=u32:#x}",
                        partition,
                        f.kind().describe(),
                        f.access.describe(),
                        f.address
                    );
                } else if fault.exception == ExceptionKind::Undefined {
                    defmt::error!("partition {=str}: undefined instruction", partition);
                }
            }
            Event::PartitionStoppedByMonitor { partition, monitor } => {
                defmt::warn!(
                    "partition {=str} stopped by monitor {=str}",
                    partition,
                    monitor
                )
            }
            Event::PartitionRestarted {
                partition,
                supervisor,
                restarts,
            } => {
                defmt::warn!(
                    "partition {=str} restarted by {=str} (restart {=u8})",
                    partition,
                    supervisor,
                    restarts
                )
            }
            Event::GuestThreadSuspended {
                partition,
                thread,
                fault,
            } => defmt::warn!(
                "partition {=str}: guest thread {=u16} suspended: its {=str} at pc {=u32:#x} has no exception endpoint",
                partition,
                thread,
                fault.exception.describe(),
                fault.pc
            ),
            Event::TransferReturned {
                partition,
                thread,
                server,
                slot,
            } => defmt::warn!(
                "partition {=str}: thread {=str}'s call to {=str} went unanswered; the capability it transferred is back in its slot {=u16}",
                partition,
                thread,
                server,
                slot
            ),
            Event::TransferNotReturned {
                partition,
                thread,
                server,
                landed,
                reason,
            } => defmt::error!(
                "partition {=str}: thread {=str}'s call to {=str} went unanswered; the capability it transferred stays in {=str}'s slot {=u16}: {=str}",
                partition,
                thread,
                server,
                server,
                landed,
                reason
            ),
            Event::RunEnded { reason, status } => {
                let why = match reason {
                    EndReason::AllPartitionsEnded => "every partition has ended",
                    EndReason::TimeLimit => "the time limit was reached",
                };
                defmt::info!("run ended: {=str}; exit status {=i32}", why, status)
            }
        }
    }
}
