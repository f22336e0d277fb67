//! The stop notification: when a partition stops (a fault, or a stop
//! through PartitionControl), the kernel ORs bit `index % 32` into the
//! notification the description names as `[system] stop_notification`, so
//! that a supervisor waiting on it wakes instead of polling. Bits coalesce
//! (two stops before a wait are one wake, and partitions 0 and 32 share a
//! bit): the bit says only "look again", and the supervisor reads every
//! partition's status after a wake.
//!
//! It must never make a stop fail or block: it runs after the stop has
//! been committed, sets a bit nobody may be waiting on, and ignores a
//! notification the boot table does not have (xtask rejects one).

use super::System;
use crate::cap::NotificationId;

/// The bit partition `partition`'s stop sets.
pub(super) fn stop_bit(partition: usize) -> u32 {
    1 << (partition % 32)
}

impl<'a> System<'a> {
    /// Partition `partition` has just stopped: signals the stop
    /// notification, if the system names one, waking its first waiter.
    pub(super) fn signal_stop(&mut self, partition: usize) {
        let Some(id) = self.image.and_then(|image| image.info.stop_notification) else {
            return;
        };
        let objects = &mut self.objects;
        let woken = objects.notifications.signal(
            &mut objects.threads,
            NotificationId(id),
            stop_bit(partition),
        );
        if let Ok(Some(woken)) = woken {
            self.wake_waiter(woken);
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::super::tests::{call, empty_info, thread, Rig, BOOT_FRAMES, B_FAULT};
    use super::*;
    use crate::exception::TrapFrame;
    use crate::machine::tests::FakeMachine;
    use crate::partition::PartitionState;
    use crate::system::BootImage;
    use crate::thread::ThreadState;
    use boot_info::CapObjectInfo::{Notification, PartitionControl};
    use kernel_abi::cap::Rights;
    use kernel_abi::syscall::{Syscall, SyscallError};

    const RW: u32 = Rights::READ.union(Rights::WRITE).bits();

    /// a (partition 0) supervises: notification 1 in slot 0 (it waits)
    /// and a control capability in slot 2; b (1) is watched, and may
    /// signal notification 1 through its slot 0.
    const CAPS: [(u8, u16, boot_info::CapObjectInfo, u32, u32); 3] = [
        (0, 0, Notification(1), RW, 0),
        (0, 2, PartitionControl, RW, 0),
        (1, 0, Notification(1), RW, 0),
    ];

    fn info(stop_notification: Option<u16>) -> &'static boot_info::BootInfo<'static> {
        let mut info = empty_info();
        info.stop_notification = stop_notification;
        std::boxed::Box::leak(std::boxed::Box::new(info))
    }

    #[test]
    fn a_fault_wakes_the_supervisor_with_the_stopped_partitions_bit() {
        let mut rig = Rig::new(std::vec![thread(0, 1, 0xA000), thread(1, 1, 0xB000)]);
        let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &CAPS);
        system.set_boot_image(BootImage {
            info: info(Some(1)),
            elfs: &[],
            frames: &BOOT_FRAMES,
        });
        let mut m = FakeMachine::new(0, 0);
        let mut frame = TrapFrame::default();
        system.cpu_start(&mut frame, &mut m);
        assert_eq!(frame.pc, 0xA000, "a runs");
        call(&mut system, &mut frame, &mut m, Syscall::Wait, &[0, 0]);
        assert_eq!(system.threads[0].state, ThreadState::Blocked, "a waits");
        system.cpu_tick(&mut frame, &mut m);
        assert_eq!(frame.pc, 0xB000, "b runs");
        system.cpu_fault(&mut frame, B_FAULT, &mut m);
        assert_eq!(system.partitions[1].state, PartitionState::Stopped);
        let a = &system.threads[0];
        assert_eq!(a.state, ThreadState::Ready, "the stop woke a");
        assert_eq!((a.context.r[0], a.context.r[1]), (0, 0b10), "b's bit");
        assert_eq!(
            system.objects.notifications.pending(NotificationId(1)),
            Ok(0)
        );
    }

    #[test]
    fn a_stop_whose_bit_is_already_set_still_stops_and_leaves_the_bit_set() {
        let mut rig = Rig::new(std::vec![thread(0, 1, 0xA000), thread(1, 1, 0xB000)]);
        let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &CAPS);
        system.set_boot_image(BootImage {
            info: info(Some(1)),
            elfs: &[],
            frames: &BOOT_FRAMES,
        });
        let mut m = FakeMachine::new(0, 0);
        let mut frame = TrapFrame::default();
        system.cpu_start(&mut frame, &mut m);
        system.cpu_tick(&mut frame, &mut m);
        assert_eq!(frame.pc, 0xB000, "b runs");
        // b sets its own bit (nobody waits), then a stops b.
        call(&mut system, &mut frame, &mut m, Syscall::Signal, &[0, 0b10]);
        assert_eq!(frame.r[0], 0);
        system.cpu_tick(&mut frame, &mut m);
        assert_eq!(frame.pc, 0xA000, "a runs");
        call(
            &mut system,
            &mut frame,
            &mut m,
            Syscall::PartitionStop,
            &[2, 1],
        );
        assert_eq!(frame.r[0], 0, "the stop succeeds");
        assert_eq!(system.partitions[1].state, PartitionState::Stopped);
        assert_eq!(
            system.objects.notifications.pending(NotificationId(1)),
            Ok(0b10),
            "the bit stays set, once"
        );
        call(&mut system, &mut frame, &mut m, Syscall::Poll, &[0, 0]);
        assert_eq!((frame.r[0], frame.r[1]), (0, 0b10));
        call(&mut system, &mut frame, &mut m, Syscall::Poll, &[0, 0]);
        assert_eq!(frame.r[0], SyscallError::WouldBlock as u32, "taken");
    }

    #[test]
    fn without_a_stop_notification_a_stop_signals_nothing() {
        let mut rig = Rig::new(std::vec![thread(0, 1, 0xA000), thread(1, 1, 0xB000)]);
        let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &CAPS[..2]);
        system.set_boot_image(BootImage {
            info: info(None),
            elfs: &[],
            frames: &BOOT_FRAMES,
        });
        let mut m = FakeMachine::new(0, 0);
        let mut frame = TrapFrame::default();
        system.cpu_start(&mut frame, &mut m);
        call(&mut system, &mut frame, &mut m, Syscall::Wait, &[0, 0]);
        system.cpu_tick(&mut frame, &mut m);
        system.cpu_fault(&mut frame, B_FAULT, &mut m);
        assert_eq!(system.partitions[1].state, PartitionState::Stopped);
        assert_eq!(
            system.threads[0].state,
            ThreadState::Blocked,
            "a still waits"
        );
        assert_eq!(
            system.objects.notifications.pending(NotificationId(1)),
            Ok(0)
        );
    }

    #[test]
    fn partitions_share_bits_modulo_32() {
        assert_eq!(stop_bit(0), 1);
        assert_eq!(stop_bit(31), 1 << 31);
        assert_eq!(stop_bit(33), 0b10);
    }
}
