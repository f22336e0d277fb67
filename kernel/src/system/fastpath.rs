//! The IPC fastpath: a `call` to a passive server already waiting on the
//! endpoint, and the `reply_recv` that answers it, handled without the
//! scheduler's scans or the slow path's general decoding.
//!
//! Shaped like seL4's `fastpath.c`: guards first, each a cheap check that
//! sends the call to the slow path (from the very same state) when it
//! fails; then a point of no return, after which every step is one that
//! cannot fail. What the fastpath does is exactly what the slow path would
//! do from the same state — the host test `fastpath_equivalence` runs
//! the same steps both ways and compares every register and thread:
//!
//! - a call passes no capability and no IPC buffer, goes to a passive
//!   receiver of strictly higher priority than the caller that neither
//!   borrows nor lends time (so the slow path's scheduler would pick it:
//!   the caller was the highest-priority ready thread of its window, now
//!   blocks, and the loan makes no one else runnable), after every
//!   passive thread has initialised;
//! - a reply answers the call the fastpath made last, with nothing else
//!   having happened since (no tick, interrupt, fault or other system call
//!   that could change who is ready), passes no capability and no buffer,
//!   goes to a caller that owns its time and waits on no pager or loan,
//!   whom the server's reply right still answers, and no sender is queued
//!   (so the server blocks): the caller is then what the scheduler would
//!   pick, since it was the highest-priority ready thread of its window
//!   when it called and keeps its turn.
//!
//! A page fault a pager can fix takes it too (a fault to a pager is a
//! call):
//!
//! - the fault is handed to the pager under the guards of a call (the
//!   pager waits on its endpoint, is passive, of strictly higher priority
//!   than the faulting thread, and neither borrows nor lends time);
//! - the pager's `reply_recv` answering it, when nothing has happened
//!   since but calls that leave every thread's readiness as it was, the
//!   faulting thread owns its time and lends none, the reply is well
//!   formed and no sender is queued: the frame it passes is mapped by the
//!   slow path's own code, and the faulting thread runs again (or, if its
//!   partition was stopped for want of a frame, the scheduler picks, as
//!   on the slow path).
//!
//! A guest thread's exception takes it too (exception IPC is a call):
//!
//! - an exception is handed to its handler when the handler already waits
//!   on the exception endpoint, is a thread of the guest thread's own
//!   partition of strictly higher priority that neither borrows nor lends
//!   time (so the scheduler would pick it: the guest thread was the
//!   highest-priority ready thread of the window, and the handler runs on
//!   its turn — see `System::turn_of`);
//! - the reply to it, when nothing has happened since but calls that leave
//!   every thread's readiness as it was ([`leaves_readiness`]: mapping
//!   pages, reading registers, logging), when it is a plain `Resume`
//!   (registers words only: no buffer, no capability) and no sender is
//!   queued: the guest thread then runs again, as the scheduler would
//!   pick it.
//!
//! It must never be taken when any of that is unsure: a guard that cannot
//! be checked in O(1) belongs to the slow path.

use kernel_abi::cap::{CapSlot, Rights};
use kernel_abi::guest::{ReplyAction, REPLY_REGISTERS};
use kernel_abi::syscall::{MessageInfo, Syscall, INFO_REPLY_DROPPED, MESSAGE_REGISTERS};

use super::{Next, System};
use crate::cap::layout::SlotRef;
use crate::cap::EndpointId;
use crate::ipc::message::{BADGE_REGISTER, FIRST_WORD_REGISTER, GRANT_REGISTER, INFO_REGISTER};
use crate::ipc::ThreadId;
use crate::machine::{Machine, UserFault};
use crate::thread::ThreadState;

/// Whether `call` leaves every thread's readiness, queues and loans as
/// they were, so a fast hand-over made before it may still be answered on
/// the fastpath after it.
pub(super) fn leaves_readiness(call: Syscall) -> bool {
    matches!(
        call,
        Syscall::Log
            | Syscall::ClockRead
            | Syscall::FrameMap
            | Syscall::FrameUnmap
            | Syscall::FrameSplit
            | Syscall::CapCopy
            | Syscall::SpaceMap
            | Syscall::SpaceUnmap
            | Syscall::SpaceReset
            | Syscall::ThreadReadRegisters
            | Syscall::ThreadWriteRegisters
    )
}

/// The info word's length bits.
const INFO_LENGTH: u32 = 0b111;
/// The info word's receive-slot field.
const INFO_SLOT: u32 = 0xFFFF << 16;

impl<'a> System<'a> {
    /// Handles thread `index`'s system call (its registers are saved in its
    /// thread control block) on the fastpath, or returns `None` having
    /// changed nothing.
    pub(super) fn fastpath(&mut self, index: usize) -> Option<Next> {
        let number = self.threads[index].context.r[7];
        if number == Syscall::Call as u32 {
            if !self.fastpath || !self.initialised {
                return None;
            }
            self.fast_call(index)
        } else if number == Syscall::ReplyRecv as u32 {
            if !self.fastpath || !self.initialised {
                return None;
            }
            self.fast_reply(index)
        } else {
            None
        }
    }

    /// The endpoint named in thread `index`'s `r0` with `rights`, its
    /// badge, and the message length, if the message is registers only.
    fn fast_endpoint(&self, index: usize, rights: Rights) -> Option<(EndpointId, u32, usize)> {
        let registers = &self.threads[index].context.r;
        // Only a length and a receive slot in the info word; anything else
        // (a buffer, other bits, a length past four) is the slow path's.
        let info = registers[INFO_REGISTER];
        let length = (info & INFO_LENGTH) as usize;
        if info & !(INFO_LENGTH | INFO_SLOT) != 0
            || length > MESSAGE_REGISTERS
            || registers[GRANT_REGISTER] != 0
        {
            return None;
        }
        let slot = CapSlot::from_register(registers[0])?;
        let at = SlotRef::new(self.threads[index].partition as u8, slot.0);
        let (endpoint, badge) = self.objects.caps.endpoint(at, rights)?;
        Some((endpoint, badge, length))
    }

    fn fast_call(&mut self, caller: usize) -> Option<Next> {
        let (endpoint, badge, length) = self.fast_endpoint(caller, Rights::WRITE)?;
        if self.objects.endpoints.is_closed(endpoint) {
            return None;
        }
        let server = self.objects.endpoints.waiting_receiver(endpoint)?;
        let (from, to) = (&self.threads[caller], &self.threads[server.index()]);
        // A receiver that lends time to others would make them runnable
        // too; one that borrows already keeps its loan on the slow path.
        let donations = &self.objects.threads;
        let borrowing = donations.lender(server) != Ok(None);
        let lending = donations.borrowers(server) != 0;
        if !self.partitions[to.partition].passive
            || to.priority <= from.priority
            || borrowing
            || lending
        {
            return None;
        }
        // Point of no return: with that receiver waiting, the call is
        // handed over and the receiver borrows the caller's time.
        let handed = self.objects.endpoints.call_waiting(
            &mut self.objects.threads,
            endpoint,
            ThreadId(caller as u16),
        );
        debug_assert_eq!(handed, Some(server));
        let lent = self
            .objects
            .threads
            .lend_to_receiver(ThreadId(caller as u16), server, true);
        debug_assert!(lent);
        let server = server.index();
        self.threads[caller].state = ThreadState::Blocked;
        self.threads[caller].initialised = true;
        self.hand_over(caller, server, length, badge);
        self.fast_call = Some((caller, server));
        Some(Next::Partition(self.threads[server].partition))
    }

    fn fast_reply(&mut self, server: usize) -> Option<Next> {
        let (caller, called) = self.fast_call?;
        if called != server {
            return None;
        }
        let (endpoint, _, length) = self.fast_endpoint(server, Rights::READ)?;
        let waiting = &self.threads[caller];
        if self.guests && waiting.guest.is_some() {
            return self.fast_resume(endpoint, server, caller, length);
        }
        let from = ThreadId(caller as u16);
        let passive = self.partitions[waiting.partition].passive;
        if passive || waiting.fault.is_some() || self.objects.threads.is_lending(from) {
            return None;
        }
        // The last guard, then the point of no return: if the reply right
        // still answers the caller and nobody is queued, the reply is
        // delivered and the server waits; if not, nothing changed.
        let id = ThreadId(server as u16);
        if !self
            .objects
            .endpoints
            .reply_and_wait(&mut self.objects.threads, endpoint, id, from)
        {
            return None;
        }
        let returned = self.objects.threads.give_back(id);
        debug_assert!(returned.is_ok());
        self.threads[server].state = ThreadState::Blocked;
        self.threads[server].initialised = true;
        self.hand_over(server, caller, length, 0);
        self.fast_call = None;
        Some(Next::Partition(self.threads[caller].partition))
    }

    /// Thread `faulter` took `fault`, one its pager can fix: hands it to
    /// the pager at once, if the pager waits and would be picked (the
    /// guards of a call: see the module doc), or returns `None` having
    /// changed nothing.
    pub(super) fn fast_page_fault(&mut self, faulter: usize, fault: UserFault) -> Option<Next> {
        if !self.fastpath || !self.initialised {
            return None;
        }
        let at = self.pager_of(faulter, fault)?;
        let (endpoint, badge) = self.objects.caps.endpoint(at, Rights::WRITE)?;
        if self.objects.endpoints.is_closed(endpoint) {
            return None;
        }
        let pager = self.objects.endpoints.waiting_receiver(endpoint)?;
        let (from, to) = (&self.threads[faulter], &self.threads[pager.index()]);
        let donations = &self.objects.threads;
        let borrowing = donations.lender(pager) != Ok(None);
        let lending = donations.borrowers(pager) != 0;
        if !self.partitions[to.partition].passive
            || to.priority <= from.priority
            || borrowing
            || lending
        {
            return None;
        }
        // Point of no return: the pager takes the fault as a call and
        // borrows the faulting thread's time.
        let id = ThreadId(faulter as u16);
        let handed = self
            .objects
            .endpoints
            .call_waiting(&mut self.objects.threads, endpoint, id);
        debug_assert_eq!(handed, Some(pager));
        let lent = self.objects.threads.lend_to_receiver(id, pager, true);
        debug_assert!(lent);
        let pager = pager.index();
        let waiting = &mut self.threads[faulter];
        waiting.fault = Some(fault);
        waiting.state = ThreadState::Blocked;
        super::pager::fault_message(fault, badge).deliver(&mut self.threads[pager].context, None);
        self.note_dropped_reply(pager);
        self.threads[pager].state = ThreadState::Ready;
        self.current = Some(pager);
        self.fast_call = Some((faulter, pager));
        Some(Next::Partition(self.threads[pager].partition))
    }

    /// `server`'s `reply_recv` answers the page fault the fastpath handed
    /// it, with nothing having happened since but calls that leave every
    /// thread's readiness as it was: the frame it passes is mapped as the
    /// slow path maps it, and the faulting thread (which owns its time and
    /// lends none) runs again, as the scheduler would pick it. `None`,
    /// having changed nothing, when any of that is unsure or the reply is
    /// malformed (the slow path then refuses it).
    #[inline(never)]
    pub(super) fn fast_pager_reply(
        &mut self,
        server: usize,
        machine: &mut impl Machine,
    ) -> Option<Next> {
        if !self.fastpath {
            return None;
        }
        let (caller, called) = self.fast_call?;
        let waiting = &self.threads[caller];
        let from = ThreadId(caller as u16);
        if called != server
            || waiting.fault.is_none()
            || waiting.guest.is_some()
            || self.partitions[waiting.partition].passive
            || self.objects.threads.is_lending(from)
        {
            return None;
        }
        let reply = self.checked_request(server, false).ok()?;
        let (endpoint, _) = self.endpoint(server, reply.slot, Rights::READ).ok()?;
        // The last guard, then the point of no return, as for a reply.
        let id = ThreadId(server as u16);
        if !self
            .objects
            .endpoints
            .reply_and_wait(&mut self.objects.threads, endpoint, id, from)
        {
            return None;
        }
        // In the slow path's order: the fault is resolved (the caller
        // made ready, or its partition stopped), then the loan returns.
        self.resolve_page_fault(server, caller, reply.grant, machine);
        self.return_time(server);
        self.fast_call = None;
        if self.threads[caller].state != ThreadState::Ready {
            // The fault was left fatal: the stopped partition may have
            // taken the pager out of its wait (its call's result then, as
            // on the slow path).
            let result = self.block_if_receiving(server);
            super::set_result(&mut self.threads[server], result);
            return Some(self.dispatch(machine));
        }
        // The frame was mapped and nothing stopped: the pager still waits.
        let thread = &mut self.threads[server];
        thread.state = ThreadState::Blocked;
        thread.initialised = true;
        self.current = Some(caller);
        Some(Next::Partition(self.threads[caller].partition))
    }

    /// Guest thread `guest` took `fault`: hands it to its exception handler
    /// at once, if the handler waits and would be picked (see the module
    /// doc), or returns `None` having changed nothing.
    pub(super) fn fast_exception(
        &mut self,
        guest: usize,
        fault: UserFault,
        machine: &mut impl Machine,
    ) -> Option<Next> {
        if !self.fastpath || !self.initialised {
            return None;
        }
        let thread = &self.threads[guest];
        let slot = thread.guest?.exception?;
        let at = SlotRef::new(thread.partition as u8, slot);
        let (endpoint, badge) = self.objects.caps.endpoint(at, Rights::WRITE)?;
        if self.objects.endpoints.is_closed(endpoint) {
            return None;
        }
        let handler = self.objects.endpoints.waiting_receiver(endpoint)?;
        let to = &self.threads[handler.index()];
        let donations = &self.objects.threads;
        let borrowing = donations.lender(handler) != Ok(None);
        let lending = donations.borrowers(handler) != 0;
        if self.partitions[to.partition].passive
            || to.partition != thread.partition
            || to.priority <= thread.priority
            || borrowing
            || lending
        {
            return None;
        }
        // Point of no return: the handler takes the exception and runs (on
        // the guest thread's turn, which `last_run` already names).
        let handed = self.objects.endpoints.call_waiting(
            &mut self.objects.threads,
            endpoint,
            ThreadId(guest as u16),
        );
        debug_assert_eq!(handed, Some(handler));
        let handler = handler.index();
        let waiting = &mut self.threads[guest];
        waiting.fault = Some(fault);
        waiting.state = ThreadState::Blocked;
        self.deliver_exception(guest, handler, fault, badge, machine);
        self.note_dropped_reply(handler);
        self.threads[handler].state = ThreadState::Ready;
        self.current = Some(handler);
        self.fast_call = Some((guest, handler));
        Some(Next::Partition(self.threads[handler].partition))
    }

    /// `server` answers guest thread `caller`'s exception (handed over on
    /// the fastpath) with `length` register words on `endpoint`: a plain
    /// `Resume` resumes it at once; anything else is the slow path's.
    fn fast_resume(
        &mut self,
        endpoint: EndpointId,
        server: usize,
        caller: usize,
        length: usize,
    ) -> Option<Next> {
        let words = &self.threads[server].context.r[FIRST_WORD_REGISTER..];
        if length > 0 && words[0] != ReplyAction::Resume as u32 {
            return None;
        }
        let mut values = [0; MESSAGE_REGISTERS];
        values.copy_from_slice(&words[..MESSAGE_REGISTERS]);
        // The last guard, then the point of no return, as for a reply.
        let id = ThreadId(server as u16);
        if !self.objects.endpoints.reply_and_wait(
            &mut self.objects.threads,
            endpoint,
            id,
            ThreadId(caller as u16),
        ) {
            return None;
        }
        let returned = self.objects.threads.give_back(id);
        debug_assert!(returned.is_ok());
        self.threads[server].state = ThreadState::Blocked;
        self.threads[server].initialised = true;
        let resumed = &mut self.threads[caller];
        resumed.fault = None;
        // Register by register, as in `hand_over`.
        for register in 0..REPLY_REGISTERS {
            if register + 1 < length {
                resumed.context.r[register] = values[register + 1];
            }
        }
        resumed.state = ThreadState::Ready;
        self.current = Some(caller);
        self.fast_call = None;
        Some(Next::Partition(self.threads[caller].partition))
    }

    /// Makes `to` the running thread, with the first `length` words of the
    /// message `from` sent with `badge` in its registers.
    fn hand_over(&mut self, from: usize, to: usize, length: usize, badge: u32) {
        // Word by word, not a slice copy of `length` words: a copy of a
        // length known only at run time is a call to `memcpy`.
        let sent = &self.threads[from].context.r;
        let mut words = [0; MESSAGE_REGISTERS];
        for (word, value) in words.iter_mut().enumerate() {
            if word < length {
                *value = sent[FIRST_WORD_REGISTER + word];
            }
        }
        let thread = &mut self.threads[to];
        thread.state = ThreadState::Ready;
        let registers = &mut thread.context.r;
        registers[0] = 0;
        registers[FIRST_WORD_REGISTER..FIRST_WORD_REGISTER + MESSAGE_REGISTERS]
            .copy_from_slice(&words);
        registers[BADGE_REGISTER] = badge;
        registers[INFO_REGISTER] = MessageInfo {
            buffer: false,
            length: length as u8,
            granted: None,
            slot: None,
        }
        .encode();
        if thread.reply_dropped {
            thread.reply_dropped = false;
            registers[INFO_REGISTER] |= INFO_REPLY_DROPPED;
        }
        self.current = Some(to);
    }
}
