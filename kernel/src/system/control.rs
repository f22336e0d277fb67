//! PartitionControl: what a privileged monitor partition may do to the
//! others through its capability — read a partition's state and time
//! accounting, ask who can reach a partition's frame (an audit of
//! isolation), and stop a partition (as if it had faulted: its callers and
//! waiters are released with `PeerGone`). Nothing else; a monitor cannot
//! read or write another partition's memory.

use kernel_abi::cap::{CapKind, CapSlot, Rights};
use kernel_abi::syscall::SyscallError;
use kernel_abi::user_layout::PAGE_SIZE;

use super::System;
use crate::cap::layout::SlotRef;
use crate::cap::CapObject;
use crate::machine::{Event, Machine};
use crate::mm::user_space::Backing;
use crate::partition::PartitionState;

impl<'a> System<'a> {
    /// The partition `partition` thread `index` names through the
    /// PartitionControl capability in its slot `control`, with `rights`.
    pub(super) fn control(
        &self,
        index: usize,
        (control, partition): (CapSlot, u32),
        rights: Rights,
    ) -> Result<usize, SyscallError> {
        let at = self.own_slot(index, control);
        self.objects
            .caps
            .lookup(at, CapKind::PartitionControl, rights)?;
        let target = partition as usize;
        if target >= self.partitions.len() {
            return Err(SyscallError::InvalidArgument);
        }
        Ok(target)
    }

    /// `partition_status(control, partition)`.
    pub(super) fn partition_status(
        &mut self,
        index: usize,
        named: (CapSlot, u32),
    ) -> Result<(), SyscallError> {
        let target = self.control(index, named, Rights::READ)?;
        let p = &self.partitions[target];
        let state = match p.state {
            PartitionState::Running => 0,
            PartitionState::Finished => 1,
            PartitionState::Stopped => 2,
        };
        let (windows, running) = (p.window_ticks as u32, p.running_ticks as u32);
        let frames = self.objects.caps.frame_count(target as u8)?;
        let context = &mut self.threads[index].context;
        context.r[1] = state;
        context.r[2] = windows;
        context.r[3] = running;
        context.r[4] = frames;
        Ok(())
    }

    /// `frame_reach(control, partition, slot)`: every partition that can
    /// reach a page of the frame partition `r1` holds in slot `r2` — through
    /// a frame capability covering one of its pages, or a mapping of one
    /// in its address space or one of its guest address spaces (read from
    /// their page tables) — as a mask in `r1` (partitions 0-31) and `r2`
    /// (32-63); `InvalidArgument` if a partition past 63 can reach it (the
    /// two registers cannot say so). Computed from the capability tables
    /// and the address spaces themselves, independently of how they got
    /// that way. O(every slot + every region + every guest page table): a
    /// monitoring call, never on a hot path.
    pub(super) fn frame_reach(
        &mut self,
        index: usize,
        (named, slot): ((CapSlot, u32), CapSlot),
        machine: &impl crate::machine::Machine,
    ) -> Result<(), SyscallError> {
        let target = self.control(index, named, Rights::READ)?;
        let at = SlotRef::new(target as u8, slot.0);
        let cap = self.objects.caps.lookup(at, CapKind::Frame, Rights::NONE)?;
        let CapObject::Frame { base, pages } = cap.object else {
            return Err(SyscallError::WrongType);
        };
        let frame = base..base + pages as usize * PAGE_SIZE as usize;
        let overlaps = |start: usize, len: usize| start < frame.end && frame.start < start + len;
        let mut reach = 0u64;
        // A partition the mask has no bit for (past 63) sets none: the
        // answer would be wrong (a shift past the width wraps in a release
        // build), so the call is refused instead.
        let mut unsayable = false;
        let mut reaches = |partition: usize| match u32::try_from(partition)
            .ok()
            .and_then(|p| 1u64.checked_shl(p))
        {
            Some(bit) => reach |= bit,
            None => unsayable = true,
        };
        self.objects.caps.for_each(|holder, cap| {
            if let CapObject::Frame { base, pages } = cap.object {
                if overlaps(base, pages as usize * PAGE_SIZE as usize) {
                    reaches(usize::from(holder.partition));
                }
            }
        });
        for (p, partition) in self.partitions.iter().enumerate() {
            let maps = partition
                .space
                .all()
                .any(|r| r.backing == Backing::Ram && overlaps(r.phys, r.size as usize));
            if maps {
                reaches(p);
            }
        }
        let guests = &self.objects.guests;
        let pool = guests.pool();
        for s in 0..guests.count() {
            let space = crate::cap::SpaceId(s as u16);
            let Some(owner) = guests.get(space).map(|g| g.partition) else {
                continue;
            };
            for (table, _) in pool.tables_of(space) {
                for page in 0..crate::mm::L2_ENTRIES {
                    let mut bytes = [0u8; 4];
                    machine.read_phys(pool.address(table) + page * 4, &mut bytes);
                    let entry = crate::mm::descriptor::L2Entry(u32::from_le_bytes(bytes));
                    if entry
                        .page()
                        .is_some_and(|phys| overlaps(phys, PAGE_SIZE as usize))
                    {
                        reaches(usize::from(owner));
                    }
                }
            }
        }
        if unsayable {
            return Err(SyscallError::InvalidArgument);
        }
        let context = &mut self.threads[index].context;
        context.r[1] = reach as u32;
        context.r[2] = (reach >> 32) as u32;
        Ok(())
    }

    /// `partition_stop(control, partition)`.
    pub(super) fn partition_stop(
        &mut self,
        index: usize,
        named: (CapSlot, u32),
        machine: &mut impl Machine,
    ) -> Result<(), SyscallError> {
        let target = self.control(index, named, Rights::WRITE)?;
        if self.partitions[target].state != PartitionState::Running {
            return Ok(());
        }
        self.stop_partition(target, machine);
        machine.report(Event::PartitionStoppedByMonitor {
            partition: &self.partitions[target].name,
            monitor: &self.partitions[self.threads[index].partition].name,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::super::tests::{thread, Rig};
    use super::*;
    use crate::exception::TrapFrame;
    use crate::machine::tests::FakeMachine;
    use boot_info::CapObjectInfo::PartitionControl;
    use kernel_abi::syscall::Syscall;

    #[test]
    fn a_monitor_reads_and_stops_another_partition_and_nobody_else_can() {
        let mut rig = Rig::new(std::vec![thread(0, 1, 0xA000), thread(1, 1, 0xB000)]);
        let read_write = (Rights::READ.union(Rights::WRITE)).bits();
        // b holds three frame capabilities (two over the same page).
        let caps = [
            (0, 2, PartitionControl, read_write, 0),
            (1, 1, boot_info::CapObjectInfo::Frame(1), read_write, 0),
            (1, 2, boot_info::CapObjectInfo::Frame(1), read_write, 0),
            (1, 3, boot_info::CapObjectInfo::Frame(0), read_write, 0),
        ];
        let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &caps);
        let mut m = FakeMachine::new(0, 0);
        let mut frame = TrapFrame::default();
        system.cpu_start(&mut frame, &mut m);
        let mut call = |system: &mut System<'_>,
                        frame: &mut TrapFrame,
                        number: Syscall,
                        slot: u32,
                        target: u32| {
            frame.r[7] = number as u32;
            frame.r[0] = slot;
            frame.r[1] = target;
            system.cpu_syscall(frame, &mut m);
        };
        call(&mut system, &mut frame, Syscall::PartitionStatus, 2, 1);
        assert_eq!((frame.r[0], frame.r[1]), (0, 0), "b is running");
        assert_eq!(frame.r[4], 3, "b's frame capabilities");
        call(&mut system, &mut frame, Syscall::PartitionStatus, 2, 9);
        assert_eq!(frame.r[0], SyscallError::InvalidArgument as u32);
        call(&mut system, &mut frame, Syscall::PartitionStop, 3, 1);
        assert_eq!(frame.r[0], SyscallError::EmptySlot as u32);
        call(&mut system, &mut frame, Syscall::PartitionStop, 2, 1);
        assert_eq!(frame.r[0], 0);
        call(&mut system, &mut frame, Syscall::PartitionStatus, 2, 1);
        assert_eq!(frame.r[1], 2, "b is stopped");
        assert!(m
            .events
            .iter()
            .any(|e| e.contains("PartitionStoppedByMonitor")));
    }

    /// The isolation audit's mask has a bit for partitions 0-63 only. In
    /// a larger system (the description allows 255), a frame partition 65
    /// also holds is refused, not reported as partition 1's — and in a
    /// debug build the kernel no longer panics on the shift.
    #[test]
    fn the_audit_refuses_a_reach_it_cannot_say_instead_of_misreporting_it() {
        let mut rig = Rig::new(std::vec![thread(0, 1, 0xA000), thread(1, 1, 0xB000)]);
        for _ in 2..66 {
            rig.partitions.push(super::super::tests::partition("p"));
        }
        let read = Rights::READ.bits();
        let caps = [
            (0, 2, PartitionControl, read, 0),
            (1, 1, boot_info::CapObjectInfo::Frame(1), read, 0),
            (1, 2, boot_info::CapObjectInfo::Frame(0), read, 0),
            (65, 1, boot_info::CapObjectInfo::Frame(1), read, 0),
        ];
        let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &caps);
        let mut m = FakeMachine::new(0, 0);
        let mut frame = TrapFrame::default();
        system.cpu_start(&mut frame, &mut m);
        frame.r[..3].copy_from_slice(&[2, 1, 2]);
        frame.r[7] = Syscall::FrameReach as u32;
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!((frame.r[0], frame.r[1], frame.r[2]), (0, 1 << 1, 0));
        frame.r[..3].copy_from_slice(&[2, 1, 1]);
        frame.r[7] = Syscall::FrameReach as u32;
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!(frame.r[0], SyscallError::InvalidArgument as u32);
    }
}
