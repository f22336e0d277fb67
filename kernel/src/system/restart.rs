//! PartitionRestart: a supervisor (a partition whose PartitionControl
//! capability has the restart right) rebuilds a stopped partition from its
//! boot image, as Hubris's supervisor restarts a faulted task.
//!
//! What a restart gives back, and what it does not:
//! - memory: re-loaded from the partition's ELF (data and bss fresh, stacks
//!   and configuration as at boot; IPC buffers zeroed); shared memory and
//!   devices stay mapped as the description maps them, contents kept;
//! - capabilities: every one it holds is destroyed with everything derived
//!   from it (mappings and loans included), then those the description
//!   gives it are created again in their slots. A frame it was given at
//!   boot comes back as at boot: zeroed, unless another partition holds a
//!   boot capability to the same frame (then it is shared with a live
//!   partition and keeps its contents);
//! - threads: at their entry points with their boot priorities, IPC state
//!   clear (it was cleared when the partition stopped: its callers and
//!   waiters got `PeerGone` then), the endpoints it receives on open again.
//!
//! Validate, then commit: every refusal (no right, not stopped, past the
//! description's `restart.max`, a boot frame whose root another partition
//! now holds, or any page of one — a page split off and moved away, such as
//! a frame the tmem server flipped to a client — a bad image) changes
//! nothing. Never restarts a guest kernel
//! (xtask refuses `restart` on one, so its limit is 0).

use boot_info::{BootInfo, CapObjectInfo};
use kernel_abi::cap::Rights;
use kernel_abi::syscall::SyscallError;
use kernel_abi::user_layout::PAGE_SIZE;

use super::System;
use crate::cap::layout::SlotRef;
use crate::cap::CapObject;
use crate::machine::{Event, Machine};
use crate::objects::boot_capability;
use crate::partition::{self, PartitionState};
use crate::thread::{Thread, ThreadStart};

/// What a restart rebuilds a partition from.
#[derive(Clone, Copy)]
pub struct BootImage<'a> {
    /// The boot table.
    pub info: &'a BootInfo<'a>,
    /// Each partition's ELF, in partition order.
    pub elfs: &'a [&'a [u8]],
    /// Physical base and size of each boot frame, as boot placed them.
    pub frames: &'a [(usize, u32)],
}

impl<'a> System<'a> {
    /// Gives the system what restarts rebuild partitions from.
    pub fn set_boot_image(&mut self, image: BootImage<'a>) {
        self.image = Some(image);
    }

    /// `partition_restart(control, partition)`.
    pub(super) fn partition_restart(
        &mut self,
        index: usize,
        named: (kernel_abi::cap::CapSlot, u32),
        machine: &mut impl Machine,
    ) -> Result<(), SyscallError> {
        let target = self.control(index, named, Rights::RESTART)?;
        if self.partitions[target].state != PartitionState::Stopped {
            return Err(SyscallError::NotStopped);
        }
        let image = self.image.ok_or(SyscallError::RestartLimit)?;
        let info = image
            .info
            .partitions
            .get(target)
            .ok_or(SyscallError::InvalidArgument)?;
        if self.partitions[target].restarts >= info.restart_max || info.guest.is_some() {
            return Err(SyscallError::RestartLimit);
        }
        let elf = image
            .elfs
            .get(target)
            .ok_or(SyscallError::InvalidArgument)?;
        self.check_boot_caps_of(&image, target)?;
        // `reload` checks the image before it writes.
        let memory = self.partitions[target].memory;
        let (entry, config) = partition::reload(&info, elf, memory, machine)
            .map_err(|_| SyscallError::InvalidArgument)?;

        // Point of no return: nothing below can fail.
        self.fast_call = None;
        self.clear_caps_of(target, machine);
        self.grant_boot_caps_of(&image, target, machine);
        self.reopen_endpoints_of(target);
        let starts = info.threads.iter().zip(partition::stack_tops(&info));
        let mut next = self.partitions[target].first_thread.map(usize::from);
        for (t_index, (boot, stack_top)) in starts.enumerate() {
            let Some(thread) = next else { break };
            let start = ThreadStart {
                entry,
                stack_top: stack_top.min(config),
                index: t_index as u32,
                config: (config, info.config.len() as u32),
            };
            let old = &self.threads[thread];
            next = old.next_of_partition.map(usize::from);
            let mut fresh = Thread::new(boot.name.clone(), target, boot.priority, start);
            fresh.ipc_buffer = old.ipc_buffer;
            fresh.table = old.table;
            fresh.asid = old.asid;
            fresh.next_of_partition = old.next_of_partition;
            fresh.next_passive = old.next_passive;
            if fresh.ipc_buffer != 0 {
                machine.zero_phys(fresh.ipc_buffer, PAGE_SIZE as usize);
            }
            self.threads[thread] = fresh;
        }
        let p = &mut self.partitions[target];
        p.state = PartitionState::Running;
        p.restarts += 1;
        p.last_run = None;
        if p.passive {
            // Its threads initialise again before anything else runs.
            self.initialised = false;
        } else if p.keeps_run_alive() {
            self.active_running += 1;
        }
        let restarts = p.restarts;
        machine.report(Event::PartitionRestarted {
            partition: &self.partitions[target].name,
            supervisor: &self.partitions[self.threads[index].partition].name,
            restarts,
        });
        self.threads[index].context.r[1] = u32::from(restarts);
        Ok(())
    }

    /// Checks that `target`'s boot capabilities can be created again:
    /// each names an object that exists, and no other partition now holds
    /// a root capability to one of its boot frames that the description
    /// does not give it, nor a root over only part of one (it was moved
    /// there: recreating ours would duplicate it, and zeroing it would
    /// wipe another partition's page — `Shared`).
    fn check_boot_caps_of(&self, image: &BootImage<'_>, target: usize) -> Result<(), SyscallError> {
        let info = image.info;
        for (index, cap) in info.caps.iter().enumerate() {
            if usize::from(cap.partition) != target {
                continue;
            }
            let capability = boot_capability(info, image.frames, index, &cap)
                .map_err(|_| SyscallError::InvalidArgument)?;
            if let CapObjectInfo::Frame(f) = cap.object {
                let roots_elsewhere = self.roots_elsewhere(target, capability.object);
                if roots_elsewhere != other_boot_holders(info, target, f)
                    || self.part_held_elsewhere(target, capability.object)
                {
                    return Err(SyscallError::Shared);
                }
            }
        }
        Ok(())
    }

    /// Whether a partition other than `target` holds a root capability to
    /// some pages of the frame `object` but not to all of them.
    fn part_held_elsewhere(&self, target: usize, object: CapObject) -> bool {
        let CapObject::Frame { base, pages } = object else {
            return false;
        };
        let end = base + pages as usize * PAGE_SIZE as usize;
        let mut found = false;
        self.objects.caps.for_each(|holder, held| {
            if let CapObject::Frame {
                base: other,
                pages: other_pages,
            } = held.object
            {
                let other_end = other + other_pages as usize * PAGE_SIZE as usize;
                found |= usize::from(holder.partition) != target
                    && held.object != object
                    && other < end
                    && base < other_end
                    && self.objects.caps.parent(holder).is_ok_and(|p| p.is_none());
            }
        });
        found
    }

    /// Root capabilities to `object` held outside `target`.
    fn roots_elsewhere(&self, target: usize, object: CapObject) -> usize {
        let mut count = 0;
        self.objects.caps.for_each(|holder, held| {
            if usize::from(holder.partition) != target
                && held.object == object
                && self.objects.caps.parent(holder).is_ok_and(|p| p.is_none())
            {
                count += 1;
            }
        });
        count
    }

    /// Creates `target`'s boot capabilities in their (empty) slots, each
    /// boot frame zeroed unless another partition was given it too.
    /// Checked by [`System::check_boot_caps_of`].
    fn grant_boot_caps_of(
        &mut self,
        image: &BootImage<'_>,
        target: usize,
        machine: &mut impl Machine,
    ) {
        let info = image.info;
        for (index, cap) in info.caps.iter().enumerate() {
            if usize::from(cap.partition) != target {
                continue;
            }
            let Ok(capability) = boot_capability(info, image.frames, index, &cap) else {
                continue;
            };
            if let (CapObjectInfo::Frame(f), CapObject::Frame { base, pages }) =
                (cap.object, capability.object)
            {
                if other_boot_holders(info, target, f) == 0 {
                    machine.zero_phys(base, pages as usize * PAGE_SIZE as usize);
                }
            }
            let at = SlotRef::new(cap.partition, cap.slot);
            let placed = self.objects.caps.insert_root(at, capability);
            debug_assert!(placed.is_ok(), "its slots were emptied");
        }
    }

    /// Destroys every capability `target` holds and everything derived
    /// from each (their mappings and loans go with them).
    fn clear_caps_of(&mut self, target: usize, machine: &mut impl Machine) {
        let slots = self
            .objects
            .caps
            .space(target as u8)
            .map_or(0, |space| space.len());
        for slot in 0..slots {
            let at = SlotRef::new(target as u8, slot as u16);
            if self.objects.caps.get(at).is_ok() {
                let destroyed = self.destroy_derived(at, true, machine);
                debug_assert!(destroyed.is_ok(), "a stopped partition lends nothing");
            }
        }
    }

    /// Opens again every closed endpoint `target` can now receive on.
    fn reopen_endpoints_of(&mut self, target: usize) {
        for e in 0..self.objects.endpoints.count() {
            let ep = crate::cap::EndpointId(e as u16);
            if self.objects.endpoints.is_closed(ep) && self.can_receive(target, ep) {
                let opened = self.objects.endpoints.reopen(ep);
                debug_assert!(opened.is_ok(), "endpoints below the count exist");
            }
        }
    }
}

/// How many boot capabilities of partitions other than `target` name
/// boot frame `frame`.
fn other_boot_holders(info: &BootInfo<'_>, target: usize, frame: u16) -> usize {
    info.caps
        .iter()
        .filter(|c| c.object == CapObjectInfo::Frame(frame) && usize::from(c.partition) != target)
        .count()
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::super::tests::{call, empty_info, thread, Rig, BOOT_FRAMES, B_FAULT};
    use super::*;
    use crate::exception::TrapFrame;
    use crate::machine::tests::FakeMachine;
    use crate::mm::user_space::UserSpace;
    use crate::partition::tests::{info as partition_info, two_segment_elf};
    use boot_info::CapObjectInfo::{Endpoint, Frame, PartitionControl};
    use boot_info::{CapInfo, Records};
    use kernel_abi::syscall::Syscall;
    use std::vec::Vec;

    /// Partition b's memory in the fake RAM.
    const B_MEMORY: usize = 0x6100_0000;
    const RW: u32 = Rights::READ.union(Rights::WRITE).bits();
    const ALL: u32 = Rights::READ
        .union(Rights::WRITE)
        .union(Rights::RESTART)
        .bits();

    /// a (partition 0) supervises with a control capability in slot 2
    /// (every right) and slot 3 (no restart right); b (partition 1) has
    /// frame 1 in slot 0 and receives on endpoint 0 in slot 1.
    fn boot_caps() -> Vec<(u8, u16, boot_info::CapObjectInfo, u32, u32)> {
        std::vec![
            (0, 2, PartitionControl, ALL, 0),
            (0, 3, PartitionControl, RW, 0),
            (1, 0, Frame(1), RW, 0),
            (1, 1, Endpoint(0), Rights::READ.bits(), 0),
        ]
    }

    fn boot_info(restart_max: u8) -> &'static BootInfo<'static> {
        boot_info_with(&boot_caps(), restart_max)
    }

    /// Partitions a and b (b restartable `restart_max` times) with `caps`.
    fn boot_info_with(
        caps: &[(u8, u16, boot_info::CapObjectInfo, u32, u32)],
        restart_max: u8,
    ) -> &'static BootInfo<'static> {
        let mut info = empty_info();
        let mut b = partition_info(0x10_000, &[0x2000]);
        b.config = &[1, 2, 3];
        b.restart_max = restart_max;
        info.partitions = Records::encode(&[partition_info(0x10_000, &[0x2000]), b]).unwrap();
        info.caps = caps
            .iter()
            .map(|&(partition, slot, object, rights, badge)| CapInfo {
                partition,
                slot,
                object,
                rights,
                badge,
            })
            .collect();
        std::boxed::Box::leak(std::boxed::Box::new(info))
    }

    /// The boot images: none for a, `elf` for b.
    fn elfs(elf: &[u8]) -> &'static [&'static [u8]] {
        std::vec![&[][..], std::vec::Vec::leak(elf.to_vec())].leak()
    }

    /// Everything a refusal must leave alone: partition states and restart
    /// counts, threads' states and registers (but the caller's call
    /// number and results: thread 0's r0, r1 and r7), every capability,
    /// and RAM.
    fn state(system: &System<'_>, m: &FakeMachine) -> std::string::String {
        let mut caps = Vec::new();
        system
            .objects
            .caps
            .for_each(|at, cap| caps.push(std::format!("{at:?}{cap:?}")));
        let parts: Vec<_> = system
            .partitions
            .iter()
            .map(|p| (p.state, p.restarts))
            .collect();
        let threads: Vec<_> = system
            .threads
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let r = if i == 0 {
                    &t.context.r[2..7]
                } else {
                    &t.context.r[..]
                };
                (t.state, t.context.pc, t.context.sp_usr, r.to_vec())
            })
            .collect();
        std::format!(
            "{parts:?}{threads:?}{caps:?}{}",
            m.memory.iter().map(|&b| b as usize).sum::<usize>()
        )
    }

    /// a asks, through its control capability in slot `control`, for b's
    /// restart.
    fn restart_b(
        system: &mut System<'_>,
        frame: &mut TrapFrame,
        m: &mut FakeMachine,
        control: u32,
    ) {
        call(
            system,
            frame,
            m,
            Syscall::PartitionRestart,
            &[control, 1, 0],
        );
    }

    #[test]
    fn a_restart_rebuilds_a_stopped_partition_as_at_boot_and_leaves_the_rest_alone() {
        let elf = two_segment_elf();
        let elfs = elfs(&elf);
        let info = boot_info(1);
        // Two threads in a: the supervisor and a client of b's endpoint.
        let mut rig = Rig::new(std::vec![thread(0, 2, 0xA000), thread(1, 1, 0xB000)]);
        let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &boot_caps());
        let mut m = FakeMachine::new(B_MEMORY, 0x120_0000);
        // b's fresh boot: its memory and its thread's start.
        let b = info.partitions.get(1).unwrap();
        let loaded = partition::load(&b, &elf, B_MEMORY, UserSpace::new(), &mut m).unwrap();
        let fresh_memory = m.memory[..0x10_000].to_vec();
        let top = partition::stack_tops(&b).next().unwrap();
        system.partitions[1].memory = B_MEMORY;
        system.set_boot_image(BootImage {
            info,
            elfs,
            frames: &BOOT_FRAMES,
        });
        let mut frame = TrapFrame::default();
        system.cpu_start(&mut frame, &mut m);
        assert_eq!(frame.pc, 0xA000, "a runs");
        // Restarting a running partition is refused and changes nothing.
        let before = state(&system, &m);
        restart_b(&mut system, &mut frame, &mut m, 2);
        assert_eq!(frame.r[0], SyscallError::NotStopped as u32);
        assert_eq!(state(&system, &m), before);
        // b runs: copies its frame into slot 3, scribbles on its memory
        // and the frame, then faults.
        system.cpu_tick(&mut frame, &mut m);
        assert_eq!(frame.pc, 0xB000, "b runs");
        call(
            &mut system,
            &mut frame,
            &mut m,
            Syscall::CapCopy,
            &[0, 3, RW],
        );
        assert_eq!(frame.r[0], 0);
        m.memory[..0x10_000]
            .iter_mut()
            .step_by(5)
            .for_each(|b| *b = 0xEE);
        let (frame1, _) = BOOT_FRAMES[1];
        let at = frame1 - B_MEMORY;
        m.memory[at..at + 0x1000].fill(0x77);
        let a_caps_before = caps_of(&system, 0);
        system.cpu_fault(&mut frame, B_FAULT, &mut m);
        assert_eq!(system.partitions[1].state, PartitionState::Stopped);
        system.cpu_tick(&mut frame, &mut m);
        assert_eq!(frame.pc, 0xA000, "a runs again");
        // Without the restart right: refused, nothing changes.
        let before = state(&system, &m);
        restart_b(&mut system, &mut frame, &mut m, 3);
        assert_eq!(frame.r[0], SyscallError::MissingRights as u32);
        assert_eq!(state(&system, &m), before);
        // With it: restarted.
        restart_b(&mut system, &mut frame, &mut m, 2);
        assert_eq!((frame.r[0], frame.r[1]), (0, 1), "restart 1");
        system.check().unwrap();
        assert_eq!(system.partitions[1].state, PartitionState::Running);
        assert_eq!(
            &m.memory[..0x10_000],
            &fresh_memory[..],
            "b's memory as at boot"
        );
        assert!(
            m.memory[at..at + 0x1000].iter().all(|&b| b == 0),
            "its boot frame zeroed"
        );
        let t = &system.threads[1];
        assert_eq!(t.state, crate::thread::ThreadState::Ready);
        assert_eq!(
            (t.context.pc, t.context.sp_usr),
            (loaded.entry, top.min(loaded.config))
        );
        assert_eq!(
            (t.context.r[0], t.context.r[2], t.context.r[3]),
            (0, loaded.config, 3)
        );
        let caps: Vec<_> = caps_of(&system, 1)
            .into_iter()
            .map(|(slot, _)| slot)
            .collect();
        assert_eq!(caps, [0, 1], "its boot capabilities, and no others");
        assert!(!system
            .objects
            .endpoints
            .is_closed(crate::cap::EndpointId(0)));
        assert_eq!(caps_of(&system, 0), a_caps_before, "a untouched");
        assert!(m.events.iter().any(|e| e.contains("PartitionRestarted")));
        // Past the maximum (1): refused, b stays stopped.
        system.cpu_tick(&mut frame, &mut m);
        system.cpu_fault(&mut frame, B_FAULT, &mut m);
        system.cpu_tick(&mut frame, &mut m);
        let before = state(&system, &m);
        restart_b(&mut system, &mut frame, &mut m, 2);
        assert_eq!(frame.r[0], SyscallError::RestartLimit as u32);
        assert_eq!(state(&system, &m), before);
        assert_eq!(system.partitions[1].state, PartitionState::Stopped);
        system.check().unwrap();
    }

    fn caps_of(system: &System<'_>, partition: u8) -> Vec<(u16, std::string::String)> {
        let mut out = Vec::new();
        system.objects.caps.for_each(|at, cap| {
            if at.partition == partition {
                out.push((at.slot.0, std::format!("{cap:?}")));
            }
        });
        out
    }

    /// A page of b's two-page boot frame now held as a root by a (split
    /// off and moved there, as a frame the tmem server flipped to a
    /// client): restarting b would zero a's page and hand it to b again.
    /// Refused with `Shared`, nothing changed; once a lets go of it, b
    /// restarts.
    #[test]
    fn a_restart_is_refused_while_another_partition_holds_a_page_of_a_boot_frame() {
        let elfs = elfs(&two_segment_elf());
        let caps = std::vec![(0, 2, PartitionControl, ALL, 0), (1, 0, Frame(0), RW, 0)];
        let info = boot_info_with(&caps, 3);
        let mut rig = Rig::new(std::vec![thread(0, 2, 0xA000), thread(1, 1, 0xB000)]);
        let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &caps);
        let mut m = FakeMachine::new(B_MEMORY, 0x120_0000);
        system.partitions[1].memory = B_MEMORY;
        system.set_boot_image(BootImage {
            info,
            elfs,
            frames: &BOOT_FRAMES,
        });
        let mut frame = TrapFrame::default();
        system.cpu_start(&mut frame, &mut m);
        system.cpu_tick(&mut frame, &mut m);
        system.cpu_fault(&mut frame, B_FAULT, &mut m);
        assert_eq!(system.partitions[1].state, PartitionState::Stopped);
        system.cpu_tick(&mut frame, &mut m);
        assert_eq!(frame.pc, 0xA000, "a runs");
        // b's frame 0 is two pages; its second page is now a's.
        let (base, size) = BOOT_FRAMES[0];
        assert_eq!(size, 0x2000);
        let page = crate::cap::Capability::new(
            CapObject::Frame {
                base: base + PAGE_SIZE as usize,
                pages: 1,
            },
            Rights::READ.union(Rights::WRITE),
        );
        let a_page = SlotRef::new(0, 5);
        system.objects.caps.insert_root(a_page, page).unwrap();
        let at = base + PAGE_SIZE as usize - B_MEMORY;
        m.memory[at..at + PAGE_SIZE as usize].fill(0x5A);
        let before = state(&system, &m);
        restart_b(&mut system, &mut frame, &mut m, 2);
        assert_eq!(frame.r[0], SyscallError::Shared as u32);
        assert_eq!(state(&system, &m), before, "nothing changed");
        assert!(
            m.memory[at..at + PAGE_SIZE as usize]
                .iter()
                .all(|&b| b == 0x5A),
            "a's page kept"
        );
        // a deletes its page: now b restarts.
        call(
            &mut system,
            &mut frame,
            &mut m,
            Syscall::CapDelete,
            &[5, 0, 0],
        );
        assert_eq!(frame.r[0], 0);
        restart_b(&mut system, &mut frame, &mut m, 2);
        assert_eq!((frame.r[0], frame.r[1]), (0, 1), "restarted");
        system.check().unwrap();
    }
}
