//! Which notification an interrupt line signals, and with which bits.
//!
//! The kernel takes an interrupt, masks it, and signals the bound
//! notification; a driver partition waits on that notification. This table
//! is only the binding: it never touches the interrupt controller, and an
//! interrupt with no binding signals nothing.

use crate::cap::NotificationId;

use super::notification::{Notifications, Woken};
use super::thread_objects::ThreadTable;
use super::IpcError;

/// Where an interrupt goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IrqBinding {
    /// The notification signalled.
    pub notification: NotificationId,
    /// The bits ORed in.
    pub bits: u32,
}

/// Why a binding was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IrqError {
    /// No such interrupt line.
    OutOfRange,
    /// The line is already bound.
    AlreadyBound,
    /// The line is not bound.
    NotBound,
    /// A binding must signal at least one bit.
    NoBits,
}

/// Bindings of interrupt lines `0..n`, in a boot-sized table.
#[derive(Debug)]
pub struct IrqBindings<'a> {
    lines: &'a mut [Option<IrqBinding>],
}

impl<'a> IrqBindings<'a> {
    /// No line bound.
    pub fn new(lines: &'a mut [Option<IrqBinding>]) -> IrqBindings<'a> {
        lines.fill(None);
        IrqBindings { lines }
    }

    /// Binds `irq` to signal `bits` on `notification`.
    pub fn bind(
        &mut self,
        irq: u32,
        notification: NotificationId,
        bits: u32,
    ) -> Result<(), IrqError> {
        if bits == 0 {
            return Err(IrqError::NoBits);
        }
        let line = self.line(irq)?;
        if line.is_some() {
            return Err(IrqError::AlreadyBound);
        }
        *line = Some(IrqBinding { notification, bits });
        Ok(())
    }

    /// Removes `irq`'s binding.
    pub fn unbind(&mut self, irq: u32) -> Result<IrqBinding, IrqError> {
        self.line(irq)?.take().ok_or(IrqError::NotBound)
    }

    /// Where `irq` goes, if bound.
    pub fn binding(&self, irq: u32) -> Option<IrqBinding> {
        *self.lines.get(usize::try_from(irq).ok()?)?
    }

    /// Signals `irq`'s notification: the waiter to wake, if any.
    pub fn deliver(
        &self,
        irq: u32,
        notifications: &mut Notifications<'_>,
        threads: &mut ThreadTable<'_>,
    ) -> Result<Option<Woken>, IpcError> {
        match self.binding(irq) {
            Some(b) => notifications.signal(threads, b.notification, b.bits),
            None => Ok(None),
        }
    }

    fn line(&mut self, irq: u32) -> Result<&mut Option<IrqBinding>, IrqError> {
        let index = usize::try_from(irq).map_err(|_| IrqError::OutOfRange)?;
        self.lines.get_mut(index).ok_or(IrqError::OutOfRange)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipc::notification::{Notification, WaitOutcome};
    use crate::ipc::thread_objects::ThreadObjects;
    use crate::ipc::ThreadId;

    #[test]
    fn binding_rules() {
        let mut lines = [None; 64];
        let mut irqs = IrqBindings::new(&mut lines);
        irqs.bind(29, NotificationId(1), 0b100).unwrap();
        assert_eq!(
            irqs.bind(29, NotificationId(0), 1),
            Err(IrqError::AlreadyBound)
        );
        assert_eq!(
            irqs.bind(64, NotificationId(0), 1),
            Err(IrqError::OutOfRange)
        );
        assert_eq!(irqs.bind(30, NotificationId(0), 0), Err(IrqError::NoBits));
        assert_eq!(
            irqs.binding(29),
            Some(IrqBinding {
                notification: NotificationId(1),
                bits: 0b100
            })
        );
        assert_eq!(irqs.binding(u32::MAX), None);
        assert_eq!(irqs.unbind(29).map(|b| b.bits), Ok(0b100));
        assert_eq!(irqs.unbind(29), Err(IrqError::NotBound));
        assert_eq!(irqs.unbind(99), Err(IrqError::OutOfRange));
    }

    #[test]
    fn an_interrupt_signals_its_notification() {
        let mut lines = [None; 64];
        let mut irqs = IrqBindings::new(&mut lines);
        let mut words = [Notification::default(); 2];
        let mut records = [ThreadObjects::default(); 2];
        let mut threads = ThreadTable::new(&mut records).unwrap();
        let mut notes = Notifications::new(&mut words);
        irqs.bind(34, NotificationId(1), 0b10).unwrap();
        irqs.bind(35, NotificationId(1), 0b01).unwrap();
        assert_eq!(irqs.deliver(34, &mut notes, &mut threads), Ok(None));
        assert_eq!(
            irqs.deliver(33, &mut notes, &mut threads),
            Ok(None),
            "unbound lines signal nothing"
        );
        assert_eq!(
            notes.wait(&mut threads, NotificationId(1), ThreadId(0)),
            Ok(WaitOutcome::Got(0b10))
        );
        assert_eq!(
            notes.wait(&mut threads, NotificationId(1), ThreadId(1)),
            Ok(WaitOutcome::Blocked)
        );
        assert_eq!(
            irqs.deliver(35, &mut notes, &mut threads),
            Ok(Some(Woken {
                thread: ThreadId(1),
                bits: 0b01
            }))
        );
    }
}
