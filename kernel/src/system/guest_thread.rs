//! Thread control for a guest kernel: binding one of its guest threads to
//! an address space and an exception endpoint, setting its priority,
//! reading and writing its registers, resuming and suspending it.
//!
//! A guest thread belongs to its partition: it runs in that partition's
//! windows, never above the priority of the partition's own threads, and
//! only that partition may control it. Its registers can be written, and
//! it can be bound, only while it is suspended, so nothing changes under a
//! thread that runs or waits on its exception handler; its status word is
//! always user mode whatever a guest kernel writes. Every argument is
//! checked before anything changes.

use kernel_abi::cap::{CapKind, CapSlot, Rights};
use kernel_abi::guest::REGISTER_BYTES;
use kernel_abi::syscall::SyscallError;

use super::System;
use crate::cap::layout::SlotRef;
use crate::cap::CapObject;
use crate::exception::REGISTER_WORDS;
use crate::machine::Machine;
use crate::mm::user_space::Use;
use crate::thread::{GuestThread, ThreadState};

impl<'a> System<'a> {
    /// The guest thread whose capability (with `rights`) thread `index`
    /// names in `r0`: one of its own partition's (its index in the thread
    /// table, and what makes it a guest thread).
    fn guest_thread_argument(
        &self,
        index: usize,
        slot: CapSlot,
        rights: Rights,
    ) -> Result<(usize, GuestThread), SyscallError> {
        let at = self.own_slot(index, slot);
        let cap = self.objects.caps.lookup(at, CapKind::Thread, rights)?;
        let CapObject::Thread(thread) = cap.object else {
            return Err(SyscallError::WrongType);
        };
        let target = self
            .threads
            .get(thread.index())
            .ok_or(SyscallError::InvalidArgument)?;
        let guest = target.guest.ok_or(SyscallError::WrongType)?;
        if target.partition != usize::from(at.partition) {
            return Err(SyscallError::WrongPartition);
        }
        Ok((thread.index(), guest))
    }

    /// The guest thread named in `r0`, which must be suspended.
    fn suspended_thread_argument(
        &self,
        index: usize,
        slot: CapSlot,
        rights: Rights,
    ) -> Result<(usize, GuestThread), SyscallError> {
        let (thread, guest) = self.guest_thread_argument(index, slot, rights)?;
        if self.threads[thread].state != ThreadState::Suspended {
            return Err(SyscallError::Busy);
        }
        Ok((thread, guest))
    }

    /// `thread_bind(thread, space, exception)`.
    pub(super) fn thread_bind(
        &mut self,
        index: usize,
        (thread, space, exception): (CapSlot, CapSlot, Option<CapSlot>),
    ) -> Result<(), SyscallError> {
        let (thread, guest) = self.suspended_thread_argument(index, thread, Rights::WRITE)?;
        let space = self.space_argument(index, space, Rights::NONE)?;
        let partition = self.threads[index].partition as u8;
        let exception = match exception {
            None => None,
            Some(slot) => {
                let at = SlotRef::new(partition, slot.0);
                self.objects
                    .caps
                    .lookup(at, CapKind::Endpoint, Rights::WRITE)?;
                Some(slot.0)
            }
        };
        let target = self.objects.guests.get(space).copied();
        let bound = &mut self.threads[thread];
        bound.guest = Some(GuestThread {
            space: Some(space),
            exception,
            ..guest
        });
        if let Some(target) = target {
            (bound.table, bound.asid) = (target.table, target.asid);
        }
        Ok(())
    }

    /// The highest priority of `partition`'s own (described) threads.
    fn own_priority(&self, partition: usize) -> u8 {
        self.threads
            .iter()
            .filter(|t| t.partition == partition && t.guest.is_none())
            .map(|t| t.priority)
            .max()
            .unwrap_or(0)
    }

    /// `thread_set_priority(thread, priority)`.
    pub(super) fn thread_set_priority(
        &mut self,
        index: usize,
        (thread, wanted): (CapSlot, u32),
    ) -> Result<(), SyscallError> {
        let (thread, _) = self.guest_thread_argument(index, thread, Rights::WRITE)?;
        let highest = self.own_priority(self.threads[index].partition);
        let priority = u8::try_from(wanted)
            .ok()
            .filter(|&p| p <= highest)
            .ok_or(SyscallError::InvalidArgument)?;
        self.threads[thread].priority = priority;
        Ok(())
    }

    /// `thread_read_registers(thread, out)`.
    pub(super) fn thread_read_registers(
        &mut self,
        index: usize,
        (thread, out): (CapSlot, u32),
        machine: &mut impl Machine,
    ) -> Result<(), SyscallError> {
        let (thread, _) = self.guest_thread_argument(index, thread, Rights::READ)?;
        let out = self.registers_buffer(index, out, Use::Write)?;
        let words = self.threads[thread].context.guest_registers();
        machine.write_phys_words(out, &words);
        Ok(())
    }

    /// `thread_write_registers(thread, in)`.
    pub(super) fn thread_write_registers(
        &mut self,
        index: usize,
        (thread, from): (CapSlot, u32),
        machine: &mut impl Machine,
    ) -> Result<(), SyscallError> {
        let (thread, _) = self.suspended_thread_argument(index, thread, Rights::WRITE)?;
        let from = self.registers_buffer(index, from, Use::Read)?;
        let mut words = [0u32; REGISTER_WORDS];
        machine.read_phys_words(from, &mut words);
        self.threads[thread].context.set_guest_registers(&words);
        Ok(())
    }

    /// The physical address of the register frame at `address` in thread
    /// `index`'s memory, checked for `access`.
    fn registers_buffer(
        &self,
        index: usize,
        address: u32,
        access: Use,
    ) -> Result<usize, SyscallError> {
        let space = &self.partitions[self.threads[index].partition].space;
        space.check_buffer(address, REGISTER_BYTES, access, 4)
    }

    /// `thread_resume(thread)`: a suspended thread bound to an address
    /// space runs again. Returns whether it may preempt the caller (its
    /// priority is not below the caller's).
    pub(super) fn thread_resume(
        &mut self,
        index: usize,
        thread: CapSlot,
    ) -> Result<bool, SyscallError> {
        let (thread, guest) = self.suspended_thread_argument(index, thread, Rights::WRITE)?;
        if guest.space.is_none() {
            return Err(SyscallError::InvalidArgument);
        }
        self.threads[thread].state = ThreadState::Ready;
        Ok(self.threads[thread].priority >= self.threads[index].priority)
    }

    /// `thread_suspend(thread)`: it stops running, and an exception it
    /// waits on is abandoned (its handler's reply will be dropped). No
    /// other thread becomes ready: a guest thread holds no reply right, so
    /// leaving IPC wakes nobody, and a handler serving it keeps the time it
    /// borrowed.
    pub(super) fn thread_suspend(
        &mut self,
        index: usize,
        thread: CapSlot,
        machine: &mut impl Machine,
    ) -> Result<(), SyscallError> {
        let (thread, _) = self.guest_thread_argument(index, thread, Rights::WRITE)?;
        self.suspend_guest_thread(thread, machine);
        Ok(())
    }

    /// Suspends guest thread `thread` if it runs or waits: it leaves IPC
    /// and forgets the exception it waited on.
    pub(super) fn suspend_guest_thread(&mut self, thread: usize, machine: &mut impl Machine) {
        if matches!(
            self.threads[thread].state,
            ThreadState::Ready | ThreadState::Blocked
        ) {
            self.release_ipc(thread, machine);
            self.threads[thread].fault = None;
            self.threads[thread].state = ThreadState::Suspended;
        }
    }
}
