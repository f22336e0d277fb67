//! Interrupts for driver partitions: a device interrupt the system
//! description binds to a notification signals it (the arch layer has
//! masked the line), and the driver's `irq_ack` through its Irq capability
//! unmasks the line again. The kernel never touches the device itself.

use kernel_abi::cap::{CapKind, CapSlot, Rights};
use kernel_abi::syscall::SyscallError;

use super::{Next, System};
use crate::cap::CapObject;
use crate::machine::Machine;

impl<'a> System<'a> {
    /// Device interrupt `irq` arrived (already masked by the arch layer).
    pub fn on_irq(&mut self, irq: u32, machine: &mut impl Machine) -> Next {
        self.fast_call = None;
        let objects = &mut self.objects;
        if let Ok(Some(woken)) =
            objects
                .irqs
                .deliver(irq, &mut objects.notifications, &mut objects.threads)
        {
            self.wake_waiter(woken);
        }
        self.dispatch(machine)
    }

    /// `irq_ack(irq)`: unmasks the line behind the Irq capability in `r0`.
    pub(super) fn irq_ack(
        &mut self,
        index: usize,
        irq: CapSlot,
        machine: &mut impl Machine,
    ) -> Result<(), SyscallError> {
        let at = self.own_slot(index, irq);
        let cap = self.objects.caps.lookup(at, CapKind::Irq, Rights::NONE)?;
        let CapObject::Irq(number) = cap.object else {
            return Err(SyscallError::WrongType);
        };
        machine.unmask_irq(number);
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
    use boot_info::CapObjectInfo::{Irq, Notification as Nt};
    use kernel_abi::syscall::Syscall;

    #[test]
    fn a_bound_interrupt_wakes_the_driver_and_its_ack_unmasks_the_line() {
        let mut rig = Rig::new(std::vec![thread(0, 1, 0xA000), thread(1, 1, 0xB000)]);
        let caps = [
            (0, 0, Nt(1), Rights::READ.bits(), 0),
            (0, 1, Irq(38), Rights::NONE.bits(), 0),
        ];
        let mut system = rig.system_with_irq(&[(0, 1), (1, 1)], &caps, (38, 1, 0b10));
        let mut m = FakeMachine::new(0, 0);
        let mut frame = TrapFrame::default();
        system.cpu_start(&mut frame, &mut m);
        frame.r[7] = Syscall::Wait as u32;
        frame.r[0] = 0;
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!(
            system.cpu_irq(37, &mut frame, &mut m),
            Next::Idle,
            "an unbound line signals nothing"
        );
        system.cpu_irq(38, &mut frame, &mut m);
        assert_eq!(
            (frame.pc, frame.r[0], frame.r[1]),
            (0xA000, 0, 0b10),
            "the driver wakes with its bits"
        );
        frame.r[7] = Syscall::IrqAck as u32;
        frame.r[0] = 1;
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!((frame.r[0], m.unmasked.as_slice()), (0, &[38][..]));
        frame.r[7] = Syscall::IrqAck as u32;
        frame.r[0] = 0;
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!(
            frame.r[0],
            SyscallError::WrongType as u32,
            "a notification is not an Irq capability"
        );
    }
}
