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
//!   receiver of strictly higher priority than the caller (so the slow
//!   path's scheduler would pick it: the caller was the highest-priority
//!   ready thread of its window, and now blocks), after every passive
//!   thread has initialised;
//! - a reply answers the call the fastpath made last, with nothing else
//!   having happened since (no tick, interrupt, fault or other system call
//!   that could change who is ready), passes no capability and no buffer,
//!   goes to a caller that owns its time and waits on no pager or loan,
//!   and no sender is queued (so the server blocks): the caller is then
//!   what the scheduler would pick, since it was the highest-priority
//!   ready thread of its window when it called and keeps its turn.
//!
//! It must never be taken when any of that is unsure: a guard that cannot
//! be checked in O(1) belongs to the slow path.

use kernel_abi::cap::{CapKind, CapSlot, Rights};
use kernel_abi::syscall::{MessageInfo, Syscall, INFO_REPLY_DROPPED, MESSAGE_REGISTERS};

use super::{Next, System};
use crate::cap::layout::SlotRef;
use crate::cap::{CapObject, EndpointId};
use crate::exception::TrapFrame;
use crate::ipc::endpoint::{CallOutcome, RecvOutcome};
use crate::ipc::message::{BADGE_REGISTER, FIRST_WORD_REGISTER, GRANT_REGISTER, INFO_REGISTER};
use crate::ipc::ThreadId;
use crate::thread::ThreadState;

impl<'a> System<'a> {
    /// Handles thread `index`'s system call in `frame` on the fastpath, or
    /// returns `None` having changed nothing.
    pub(super) fn fastpath(&mut self, index: usize, frame: &mut TrapFrame) -> Option<Next> {
        if !self.fastpath || !self.initialised {
            return None;
        }
        if frame.r[7] == Syscall::Call as u32 {
            self.fast_call(index, frame)
        } else if frame.r[7] == Syscall::ReplyRecv as u32 {
            self.fast_reply(index, frame)
        } else {
            None
        }
    }

    /// The endpoint named in `frame`'s `r0` with `rights`, and its badge,
    /// if the message in `frame` is registers only.
    fn fast_endpoint(
        &self,
        index: usize,
        frame: &TrapFrame,
        rights: Rights,
    ) -> Option<(EndpointId, u32, usize)> {
        let info = MessageInfo::decode(frame.r[INFO_REGISTER])?;
        if frame.r[GRANT_REGISTER] != 0 || info.buffer {
            return None;
        }
        let slot = CapSlot::from_register(frame.r[0])?;
        let partition = self.threads[index].partition as u8;
        let at = SlotRef::new(partition, slot.0);
        let cap = self
            .objects
            .caps
            .lookup(at, CapKind::Endpoint, rights)
            .ok()?;
        match cap.object {
            CapObject::Endpoint(endpoint) => Some((endpoint, cap.badge, usize::from(info.length))),
            _ => None,
        }
    }

    fn fast_call(&mut self, caller: usize, frame: &mut TrapFrame) -> Option<Next> {
        let (endpoint, badge, length) = self.fast_endpoint(caller, frame, Rights::WRITE)?;
        if self.objects.endpoints.is_closed(endpoint) {
            return None;
        }
        let server = self.objects.endpoints.waiting_receiver(endpoint)?.index();
        let (from, to) = (&self.threads[caller], &self.threads[server]);
        if !to.passive || to.priority <= from.priority {
            return None;
        }
        // Point of no return: `call` checks before it changes anything, and
        // with a receiver waiting it hands the message over.
        let CallOutcome::Delivered { .. } = self
            .objects
            .endpoints
            .call(endpoint, ThreadId(caller as u16), badge)
            .ok()?
        else {
            return None;
        };
        let donated = self
            .objects
            .donations
            .donate(ThreadId(caller as u16), ThreadId(server as u16));
        debug_assert!(donated.is_ok());
        self.threads[caller].context = *frame;
        self.threads[caller].state = ThreadState::Blocked;
        self.threads[caller].initialised = true;
        self.switch_with_message(server, frame, length, badge);
        self.fast_call = Some((caller, server));
        Some(Next::Partition(self.threads[server].partition))
    }

    fn fast_reply(&mut self, server: usize, frame: &mut TrapFrame) -> Option<Next> {
        let (caller, called) = self.fast_call?;
        if called != server {
            return None;
        }
        let (endpoint, _, length) = self.fast_endpoint(server, frame, Rights::READ)?;
        let id = ThreadId(server as u16);
        let waiting = &self.threads[caller];
        if self.objects.endpoints.caller_of(id) != Some(ThreadId(caller as u16))
            || waiting.passive
            || waiting.fault.is_some()
            || self.objects.lending.is_lending(ThreadId(caller as u16))
            || self.objects.endpoints.has_senders(endpoint)
        {
            return None;
        }
        // Point of no return: the reply right is live and nobody is queued,
        // so the reply is delivered and the server waits.
        let outcome = self.objects.endpoints.reply_recv(endpoint, id).ok()?;
        debug_assert!(matches!(
            (outcome.replied, outcome.received),
            (Some(Ok(_)), RecvOutcome::Blocked)
        ));
        let returned = self.objects.donations.give_back(id);
        debug_assert!(returned.is_ok());
        self.threads[server].context = *frame;
        self.threads[server].state = ThreadState::Blocked;
        self.threads[server].initialised = true;
        self.switch_with_message(caller, frame, length, 0);
        self.fast_call = None;
        Some(Next::Partition(self.threads[caller].partition))
    }

    /// Makes `to` the running thread, its registers in `frame` carrying the
    /// first `length` words of the message the previous thread (whose
    /// registers were saved) sent with `badge`.
    fn switch_with_message(&mut self, to: usize, frame: &mut TrapFrame, length: usize, badge: u32) {
        let mut words = [0; MESSAGE_REGISTERS];
        words[..length].copy_from_slice(&frame.r[FIRST_WORD_REGISTER..FIRST_WORD_REGISTER + length]);
        let thread = &mut self.threads[to];
        thread.state = ThreadState::Ready;
        *frame = thread.context;
        frame.r[0] = 0;
        frame.r[FIRST_WORD_REGISTER..FIRST_WORD_REGISTER + MESSAGE_REGISTERS].copy_from_slice(&words);
        frame.r[BADGE_REGISTER] = badge;
        frame.r[INFO_REGISTER] = MessageInfo {
            buffer: false,
            length: length as u8,
            granted: None,
            slot: None,
        }
        .encode();
        if thread.reply_dropped {
            thread.reply_dropped = false;
            frame.r[INFO_REGISTER] |= INFO_REPLY_DROPPED;
        }
        self.current = Some(to);
    }
}
