//! IPC system calls: call, send, receive, reply-and-receive on endpoints,
//! and signal, wait, poll on notifications.
//!
//! Each handler works on saved contexts: the caller's registers were saved
//! into its thread before the handler runs, a message moves from one
//! thread's saved registers to another's, and the scheduler then resumes
//! whichever thread should run. A call delivered to a passive server lends
//! it the caller's time until it replies. A message may carry one
//! capability (the grant descriptor in `r5`) into the receive slot the
//! receiver offered: a transient grant (a derived copy that the kernel
//! destroys, with its mappings, when the call is answered), a transfer (the
//! capability moves and the sender's mapping goes), or a derived copy the
//! giver can revoke. Frame and capability-management calls are in
//! [`frames`](super::frames).

use kernel_abi::cap::{CapKind, CapSlot, GrantDescriptor, GrantKind, Rights};
use kernel_abi::syscall::{MessageInfo, SyscallError};

use super::System;
use crate::cap::layout::SlotRef;
use crate::cap::{CapObject, EndpointId, NotificationId};
use crate::ipc::endpoint::{CallOutcome, Received, RecvOutcome, SendOutcome};
use crate::ipc::message::{self, Message, SendRequest};
use crate::ipc::notification::{WaitOutcome, Woken};
use crate::ipc::ThreadId;
use crate::machine::Machine;
use crate::thread::ThreadState;

/// Register a notification call's bits travel in.
const BITS_REGISTER: usize = 1;

fn id(index: usize) -> ThreadId {
    ThreadId(index as u16)
}

impl<'a> System<'a> {
    /// The endpoint (and badge) of the capability in thread `index`'s
    /// slot `slot`, which must have `rights`.
    pub(super) fn endpoint(
        &self,
        index: usize,
        slot: CapSlot,
        rights: Rights,
    ) -> Result<(EndpointId, u32), SyscallError> {
        let at = self.own_slot(index, slot);
        let cap = self.objects.caps.lookup(at, CapKind::Endpoint, rights)?;
        match cap.object {
            CapObject::Endpoint(ep) => Ok((ep, cap.badge)),
            _ => Err(SyscallError::WrongType),
        }
    }

    /// The notification of the capability in thread `index`'s slot
    /// `slot`, which must have `rights`.
    fn notification(
        &self,
        index: usize,
        slot: CapSlot,
        rights: Rights,
    ) -> Result<NotificationId, SyscallError> {
        let at = self.own_slot(index, slot);
        let cap = self
            .objects
            .caps
            .lookup(at, CapKind::Notification, rights)?;
        match cap.object {
            CapObject::Notification(n) => Ok(n),
            _ => Err(SyscallError::WrongType),
        }
    }

    /// Delivers `request`, sent by `from`, into `to`'s registers with
    /// `badge`, passing along the capability it grants, if any (`call` says
    /// whether it is a call, the only kind of message a transient grant may
    /// ride). The request was checked when it was made; nothing here fails.
    fn deliver(
        &mut self,
        request: SendRequest,
        from: usize,
        to: usize,
        badge: u32,
        call: bool,
        machine: &mut impl Machine,
    ) {
        let landed = request
            .grant
            .and_then(|grant| self.land_grant(from, to, grant, call, machine));
        request
            .message
            .with_badge(badge)
            .deliver(&mut self.threads[to].context, landed);
        if request.buffer && self.copy_buffer(from, to, machine) {
            self.threads[to].context.r[6] |= MessageInfo {
                buffer: true,
                length: 0,
                granted: None,
                slot: None,
            }
            .encode();
        }
        self.note_dropped_reply(to);
    }

    /// Delivers what the queued thread `from` is sending into `to`'s
    /// registers: its fault, if it waits on a pager or exception handler,
    /// or its message.
    fn deliver_queued(
        &mut self,
        from: usize,
        to: usize,
        badge: u32,
        call: bool,
        machine: &mut impl Machine,
    ) {
        if self.deliver_fault(from, to, badge, machine) {
            return;
        }
        // A queued sender's registers were checked when it sent and have
        // not changed since: it is blocked.
        match SendRequest::decode(&self.threads[from].context) {
            Ok(request) => self.deliver(request, from, to, badge, call, machine),
            Err(_) => {
                debug_assert!(false, "a queued sender's message was checked when sent");
                Message::default()
                    .with_badge(badge)
                    .deliver(&mut self.threads[to].context, None);
            }
        }
    }

    /// Tells `to`, in the message just delivered to it, that its last
    /// reply was dropped.
    pub(super) fn note_dropped_reply(&mut self, to: usize) {
        let thread = &mut self.threads[to];
        if thread.reply_dropped {
            thread.reply_dropped = false;
            thread.context.r[6] |= kernel_abi::syscall::INFO_REPLY_DROPPED;
        }
    }

    /// Copies `from`'s IPC buffer (length word and payload) into `to`'s.
    /// `false` if either has none or the length is out of range.
    fn copy_buffer(&mut self, from: usize, to: usize, machine: &mut impl Machine) -> bool {
        let (source, dest) = (self.threads[from].ipc_buffer, self.threads[to].ipc_buffer);
        if source == 0 || dest == 0 {
            return false;
        }
        let mut length = [0u8; 4];
        machine.read_phys(source, &mut length);
        let payload = u32::from_le_bytes(length);
        if payload > kernel_abi::syscall::IPC_BUFFER_PAYLOAD {
            return false;
        }
        let total = 4 + payload as usize;
        let mut chunk = [0u8; 256];
        let mut offset = 0;
        while offset < total {
            let n = chunk.len().min(total - offset);
            machine.read_phys(source + offset, &mut chunk[..n]);
            machine.write_phys(dest + offset, &chunk[..n]);
            offset += n;
        }
        true
    }

    /// Puts the capability `grant` names into the receive slot `to` offered
    /// (in its `r6`), as the grant's kind says. `None` if `to` offered no
    /// empty slot or the capability can no longer be passed (the sender
    /// waited in a queue and its partition changed it meanwhile): the
    /// message then arrives without it, and its info word says so.
    fn land_grant(
        &mut self,
        from: usize,
        to: usize,
        grant: GrantDescriptor,
        call: bool,
        machine: &mut impl Machine,
    ) -> Option<(CapSlot, GrantKind)> {
        let receive = MessageInfo::decode(self.threads[to].context.r[6])?.slot?;
        let source = SlotRef::new(self.threads[from].partition as u8, grant.slot.0);
        let dest = SlotRef::new(self.threads[to].partition as u8, receive.0);
        if self.objects.caps.get(dest).is_ok() || self.check_grant(from, grant, call).is_err() {
            return None;
        }
        // Point of no return: the source may be passed and the slot is empty.
        let landed = match grant.kind {
            GrantKind::Transient => {
                let caller = id(from);
                self.objects
                    .lending
                    .check(&self.objects.threads, caller, dest)
                    .is_ok()
                    && self.objects.caps.derive(source, dest, grant.rights).is_ok()
                    && self
                        .objects
                        .lending
                        .lend(&mut self.objects.threads, caller, dest)
                        .is_ok()
            }
            GrantKind::DerivedCopy => self.objects.caps.derive(source, dest, grant.rights).is_ok(),
            GrantKind::Transfer => {
                if let Some(mapping) = self.objects.mappings.take(source) {
                    super::frames::unmap(
                        self.partitions,
                        &mut self.objects.guests,
                        mapping,
                        machine,
                    );
                }
                let moved = self.objects.caps.move_cap(source, dest).is_ok();
                // What the sender was given by a call it has not answered
                // is now handed on (its caller can no longer have it
                // back); a call's transfer is remembered until it is
                // answered, to go back to the caller if the server stops
                // first.
                if moved {
                    let caller = call.then(|| (id(from), grant.slot.0));
                    let passing = &mut self.objects.passing;
                    passing.moved(&mut self.objects.threads, source, dest, caller);
                }
                moved
            }
        };
        landed.then_some((receive, grant.kind))
    }

    /// `to` received a message from `from`: a passive `to` runs on
    /// borrowed time until it next waits. A call lends the caller's time,
    /// and loans nest as calls do (the caller waits for the reply). A plain
    /// send lends the time `from` runs on — its owner's — because `from`
    /// runs on and may give back what it borrowed before `to` is done. A
    /// passive thread still initialising has no time and lends none. So
    /// every chain of loans ends at a thread on its own time. (`to` cannot
    /// be borrowing already or be in the chain: every wait gives borrowed
    /// time back, and a caller waits for a reply, not for a message.)
    pub(super) fn lend_time(&mut self, from: usize, to: usize, call: bool) {
        let passive = super::choose::passive_of(self.partitions, self.threads);
        let donations = &mut self.objects.threads;
        let Ok(Some(owner)) = donations.owner_of(id(from), &passive) else {
            return;
        };
        let lender = if call { id(from) } else { owner };
        let lent = donations.donate(lender, id(to), passive(id(to)));
        debug_assert!(lent.is_ok(), "a receiver borrows no time");
    }

    /// Thread `index` is about to wait: time it borrowed goes back.
    #[inline]
    pub(super) fn return_time(&mut self, index: usize) {
        let returned = self.objects.threads.give_back(id(index));
        debug_assert!(returned.is_ok(), "threads in the table have loans");
    }

    /// `to` got a message from `from`: it runs, on `from`'s time if it is
    /// passive.
    fn wake_receiver(&mut self, from: usize, to: usize, call: bool) {
        self.threads[to].state = ThreadState::Ready;
        self.lend_time(from, to, call);
    }

    /// Decodes and checks the message thread `index` is sending (`call`:
    /// as a call): its registers and the capability it grants.
    /// (The fastpath's own decoding: the slow path's requests come decoded.)
    pub(super) fn checked_request(
        &self,
        index: usize,
        call: bool,
    ) -> Result<SendRequest, SyscallError> {
        let request = SendRequest::decode(&self.threads[index].context)?;
        self.check_request(index, &request, call)?;
        Ok(request)
    }

    /// Checks the capability `request`, made by thread `index` (`call`: as
    /// a call), grants, if any.
    #[inline(always)]
    fn check_request(
        &self,
        index: usize,
        request: &SendRequest,
        call: bool,
    ) -> Result<(), SyscallError> {
        match request.grant {
            Some(grant) => self.check_grant(index, grant, call),
            None => Ok(()),
        }
    }

    /// `send` or `call` (`call`) of `request` by thread `index`.
    pub(super) fn send(
        &mut self,
        index: usize,
        request: SendRequest,
        call: bool,
        machine: &mut impl Machine,
    ) -> Result<(), SyscallError> {
        self.check_request(index, &request, call)?;
        let needed = match request.grant {
            Some(_) => Rights::WRITE.union(Rights::GRANT),
            None => Rights::WRITE,
        };
        let (endpoint, badge) = self.endpoint(index, request.slot, needed)?;
        if self.objects.endpoints.is_closed(endpoint) {
            return Err(SyscallError::PeerGone);
        }
        if request.grant.is_some() {
            if let Some(receiver) = self.objects.endpoints.waiting_receiver(endpoint) {
                self.check_landing(receiver.index())?;
            }
        }
        // Point of no return: the endpoint queues or hands over the message.
        if call {
            match self.objects.endpoints.call(
                &mut self.objects.threads,
                endpoint,
                id(index),
                badge,
            )? {
                CallOutcome::Delivered { receiver, .. } => {
                    self.deliver(request, index, receiver.index(), badge, true, machine);
                    self.wake_receiver(index, receiver.index(), true);
                }
                CallOutcome::Blocked => {}
            }
            self.threads[index].state = ThreadState::Blocked;
        } else {
            match self.objects.endpoints.send(
                &mut self.objects.threads,
                endpoint,
                id(index),
                badge,
            )? {
                SendOutcome::Delivered { receiver } => {
                    self.deliver(request, index, receiver.index(), badge, false, machine);
                    self.wake_receiver(index, receiver.index(), false);
                    message::succeed(&mut self.threads[index].context);
                }
                SendOutcome::Blocked => self.threads[index].state = ThreadState::Blocked,
            }
        }
        Ok(())
    }

    /// `recv` on the endpoint capability in slot `endpoint`, or with a
    /// `reply`, `reply_recv` (reply to the caller being served, then
    /// receive). Both halves are checked — the endpoint, the reply's words
    /// (decoded with the receive slot) and the capability it grants —
    /// before either happens: a malformed reply is refused whole, and the
    /// caller still waits for a good one.
    pub(super) fn receive(
        &mut self,
        index: usize,
        endpoint: CapSlot,
        reply: Option<SendRequest>,
        machine: &mut impl Machine,
    ) -> Result<(), SyscallError> {
        let (endpoint, _) = self.endpoint(index, endpoint, Rights::READ)?;
        if let Some(reply) = &reply {
            self.check_request(index, reply, false)?;
            self.check_fault_reply(index, machine)?;
        }
        if reply.is_some_and(|reply| reply.grant.is_some()) {
            let caller = self.objects.threads.reply_target(id(index));
            if let Some(caller) = caller.filter(|c| self.threads[c.index()].fault.is_none()) {
                self.check_landing(caller.index())?;
            }
        }
        if let Some(sender) = self.objects.endpoints.queued_sender(endpoint) {
            if self.grants(sender.index()) {
                self.check_landing(index)?;
            }
        }
        // Point of no return.
        let received = match reply {
            Some(reply) => {
                let outcome = self.objects.endpoints.reply_recv(
                    &mut self.objects.threads,
                    endpoint,
                    id(index),
                )?;
                match outcome.replied {
                    Some(Ok(caller)) if self.threads[caller.index()].fault.is_some() => {
                        self.resolve_fault(index, caller.index(), reply.grant, machine);
                    }
                    Some(Ok(caller)) => {
                        self.end_passed(caller.index());
                        self.deliver(reply, index, caller.index(), 0, false, machine);
                        self.end_transient(caller.index(), machine);
                        self.threads[caller.index()].state = ThreadState::Ready;
                    }
                    Some(Err(_)) => self.threads[index].reply_dropped = true,
                    None => {}
                }
                self.return_time(index);
                outcome.received
            }
            None => {
                let outcome =
                    self.objects
                        .endpoints
                        .recv(&mut self.objects.threads, endpoint, id(index))?;
                // Time borrowed for a message already received (a send's)
                // goes back: the next message lends its own.
                self.return_time(index);
                outcome
            }
        };
        match received {
            RecvOutcome::Received(Received {
                sender,
                badge,
                reply,
            }) => {
                self.deliver_queued(sender.index(), index, badge, reply.is_some(), machine);
                if reply.is_none() {
                    // A plain send completes here; the sender runs on.
                    let sender_context = &mut self.threads[sender.index()].context;
                    message::succeed(sender_context);
                    self.threads[sender.index()].state = ThreadState::Ready;
                }
                self.lend_time(sender.index(), index, reply.is_some());
            }
            // The call's result: `PeerGone` if the endpoint closed under it.
            RecvOutcome::Blocked => return self.block_if_receiving(index),
        }
        Ok(())
    }

    /// Blocks thread `index`, just queued as a receiver, if it still is
    /// one. Resolving a page fault between its reply and its wait may have
    /// stopped the caller's partition, and with it closed the endpoint the
    /// thread was queued on (taking it off the queue) or, for a pager of
    /// its own partition, stopped the thread itself. A thread taken off
    /// the queue gets `PeerGone` as its call's result; a stopped one stays
    /// stopped; neither is left blocked on nothing.
    pub(super) fn block_if_receiving(&mut self, index: usize) -> Result<(), SyscallError> {
        let receiving = matches!(
            self.objects.threads.state(id(index)),
            Ok(crate::ipc::endpoint::IpcState::Receiving { .. })
        );
        let thread = &mut self.threads[index];
        if receiving {
            thread.state = ThreadState::Blocked;
        } else if thread.state != ThreadState::Stopped {
            return Err(SyscallError::PeerGone);
        }
        Ok(())
    }

    /// Checks, before a capability is sent to `to`, that the receive slot
    /// `to` offered (if any) is one of its partition's slots: a capability
    /// for a slot it does not have is refused (`InvalidArgument`) to
    /// whoever would send it, before anything changes, instead of being
    /// lost on the way.
    fn check_landing(&self, to: usize) -> Result<(), SyscallError> {
        let thread = &self.threads[to];
        let Some(slot) = MessageInfo::decode(thread.context.r[6]).and_then(|info| info.slot) else {
            return Ok(());
        };
        let dest = SlotRef::new(thread.partition as u8, slot.0);
        self.objects.caps.layout().global(dest)?;
        Ok(())
    }

    /// Whether the queued thread `sender` sends a capability (its
    /// registers were checked when it sent; a faulting thread sends none).
    fn grants(&self, sender: usize) -> bool {
        let thread = &self.threads[sender];
        thread.fault.is_none()
            && SendRequest::decode(&thread.context).is_ok_and(|request| request.grant.is_some())
    }

    /// Checks, before any message moves, that `index` may pass the
    /// capability `grant` names: a transient grant only with a call, no
    /// more rights than it has, and a transfer only of a capability that
    /// is its partition's alone to give ([`System::check_transfer`]).
    fn check_grant(
        &self,
        index: usize,
        grant: GrantDescriptor,
        call: bool,
    ) -> Result<(), SyscallError> {
        if grant.kind == GrantKind::Transient && !call {
            return Err(SyscallError::InvalidArgument);
        }
        let source = SlotRef::new(self.threads[index].partition as u8, grant.slot.0);
        let cap = self.objects.caps.get(source)?;
        match grant.kind {
            GrantKind::Transfer => self.check_transfer(source),
            _ if !grant.rights.is_subset_of(cap.rights) => Err(SyscallError::MissingRights),
            _ => Ok(()),
        }
    }

    /// `signal(bits)` on the notification capability in `r0`.
    pub(super) fn signal(
        &mut self,
        index: usize,
        (notification, bits): (CapSlot, u32),
    ) -> Result<(), SyscallError> {
        let notification = self.notification(index, notification, Rights::WRITE)?;
        if let Some(woken) =
            self.objects
                .notifications
                .signal(&mut self.objects.threads, notification, bits)?
        {
            self.wake_waiter(woken);
        }
        message::succeed(&mut self.threads[index].context);
        Ok(())
    }

    /// A notification woke `woken`'s waiter: it returns from its `wait`
    /// with the bits and is ready. Every wake — a `signal`, a device
    /// interrupt, a partition's stop — goes through here.
    pub(super) fn wake_waiter(&mut self, woken: Woken) {
        if let Some(waiter) = self.threads.get_mut(woken.thread.index()) {
            message::succeed(&mut waiter.context);
            waiter.context.r[BITS_REGISTER] = woken.bits;
            waiter.state = ThreadState::Ready;
        }
    }

    /// `wait` on the notification capability in `r0`: its bits, or block.
    pub(super) fn wait(&mut self, index: usize, slot: CapSlot) -> Result<(), SyscallError> {
        let notification = self.notification(index, slot, Rights::READ)?;
        match self
            .objects
            .notifications
            .wait(&mut self.objects.threads, notification, id(index))?
        {
            WaitOutcome::Got(bits) => {
                let context = &mut self.threads[index].context;
                message::succeed(context);
                context.r[BITS_REGISTER] = bits;
            }
            WaitOutcome::Blocked => {
                self.return_time(index);
                self.threads[index].state = ThreadState::Blocked;
            }
        }
        Ok(())
    }

    /// `poll` on the notification capability in `r0`: its bits, never
    /// blocking (`WouldBlock` when none are pending).
    pub(super) fn poll(&mut self, index: usize, slot: CapSlot) -> Result<(), SyscallError> {
        let notification = self.notification(index, slot, Rights::READ)?;
        let bits = self.objects.notifications.poll(notification)?;
        if bits == 0 {
            return Err(SyscallError::WouldBlock);
        }
        let context = &mut self.threads[index].context;
        message::succeed(context);
        context.r[BITS_REGISTER] = bits;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::super::tests::{thread, Rig};
    use super::super::Next;
    use super::*;
    use crate::exception::TrapFrame;
    use crate::machine::tests::FakeMachine;
    use crate::machine::UserFault;
    use boot_info::CapObjectInfo::{Endpoint as Ep, Notification as Nt};
    use kernel_abi::syscall::MessageInfo;
    use kernel_abi::syscall::Syscall;

    const READ: u32 = Rights::READ.bits();
    const WRITE: u32 = Rights::WRITE.bits();

    fn info(length: u8) -> u32 {
        MessageInfo {
            buffer: false,
            length,
            granted: None,
            slot: None,
        }
        .encode()
    }

    /// Sets up registers for `call` through slot `slot` with `words`.
    fn ipc(frame: &mut TrapFrame, call: Syscall, slot: u32, words: &[u32]) {
        frame.r[7] = call as u32;
        frame.r[0] = slot;
        frame.r[5] = 0;
        frame.r[6] = info(words.len() as u8);
        frame.r[1..1 + words.len()].copy_from_slice(words);
    }

    /// The info word of a message of `length` words offering receive slot
    /// `slot`.
    fn info_with_slot(length: u8, slot: u16) -> u32 {
        MessageInfo {
            buffer: false,
            length,
            granted: None,
            slot: Some(CapSlot(slot)),
        }
        .encode()
    }

    /// A grant descriptor for a derived copy of slot `slot` with `WRITE`.
    fn copy_of(slot: u16) -> u32 {
        GrantDescriptor {
            slot: CapSlot(slot),
            kind: GrantKind::DerivedCopy,
            rights: Rights::WRITE,
        }
        .encode()
    }

    /// A capability sent into a receive slot the receiver does not have
    /// (each partition here has 8) is refused to whoever would send it —
    /// a sender to a waiting receiver, a receiver taking a queued sender's
    /// message, a server replying — with `InvalidArgument` and nothing
    /// changed: the bug was that it vanished on the way and the send
    /// succeeded.
    #[test]
    fn a_capability_for_a_slot_the_receiver_lacks_is_refused_before_anything_changes() {
        let mut rig = Rig::new(std::vec![thread(0, 1, 0xA000), thread(1, 1, 0xB000)]);
        let grant_rights = WRITE | Rights::GRANT.bits();
        let caps = [
            (0, 0, Ep(0), grant_rights, 7),
            (0, 1, Ep(1), WRITE, 0),
            (1, 0, Ep(0), READ | grant_rights, 0),
            (1, 1, Ep(1), WRITE, 0),
        ];
        let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &caps);
        let mut m = FakeMachine::new(0, 0);
        let mut frame = TrapFrame::default();
        let endpoint = EndpointId(0);
        let refused = SyscallError::InvalidArgument as u32;
        assert_eq!(system.cpu_start(&mut frame, &mut m), Next::Partition(0));

        // 1. The client sends a capability before the server waits; the
        // server's receive offering slot 9 is refused to it with the
        // client still queued; offering slot 5 it gets the capability.
        ipc(&mut frame, Syscall::Send, 0, &[1]);
        frame.r[5] = copy_of(1);
        assert_eq!(system.cpu_syscall(&mut frame, &mut m), Next::Idle);
        assert_eq!(system.cpu_tick(&mut frame, &mut m), Next::Partition(1));
        ipc(&mut frame, Syscall::Recv, 0, &[]);
        frame.r[6] = info_with_slot(0, 9);
        assert_eq!(system.cpu_syscall(&mut frame, &mut m), Next::Partition(1));
        assert_eq!(frame.r[0], refused, "refused to the receiver");
        assert_eq!(
            system.objects.endpoints.queued_sender(endpoint),
            Some(ThreadId(0)),
            "the client still waits to send"
        );
        assert!(system.objects.caps.get(SlotRef::new(1, 5)).is_err());
        ipc(&mut frame, Syscall::Recv, 0, &[]);
        frame.r[6] = info_with_slot(0, 5);
        assert_eq!(system.cpu_syscall(&mut frame, &mut m), Next::Partition(1));
        assert_eq!((frame.r[0], frame.r[1]), (0, 1));
        assert!(system.objects.caps.get(SlotRef::new(1, 5)).is_ok());
        assert_eq!(system.threads[0].state, ThreadState::Ready);

        // 2. The server waits offering slot 9; the client's call granting
        // slot 1 is refused, and the server still waits.
        ipc(&mut frame, Syscall::Recv, 0, &[]);
        frame.r[6] = info_with_slot(0, 9);
        assert_eq!(system.cpu_syscall(&mut frame, &mut m), Next::Idle);
        assert_eq!(system.cpu_tick(&mut frame, &mut m), Next::Partition(0));
        ipc(&mut frame, Syscall::Call, 0, &[5]);
        frame.r[5] = copy_of(1);
        assert_eq!(system.cpu_syscall(&mut frame, &mut m), Next::Partition(0));
        assert_eq!(frame.r[0], refused, "refused to the sender");
        assert_eq!(
            system.objects.endpoints.waiting_receiver(endpoint),
            Some(ThreadId(1)),
            "the server still waits"
        );
        assert!(system.objects.caps.get(SlotRef::new(0, 1)).is_ok());
        assert_eq!(system.threads[0].state, ThreadState::Ready);

        // 3. The same call with no capability goes through, offering
        // slot 9 for the reply's capability (the client has 8 slots too).
        ipc(&mut frame, Syscall::Call, 0, &[6]);
        frame.r[6] = info_with_slot(1, 9);
        assert_eq!(system.cpu_syscall(&mut frame, &mut m), Next::Idle);
        assert_eq!(system.cpu_tick(&mut frame, &mut m), Next::Partition(1));
        assert_eq!((frame.r[0], frame.r[1], frame.r[5]), (0, 6, 7));

        // 4. A reply granting the server's slot 1 into the client's slot 9
        // is refused to the server; the client still waits for its reply,
        // and a reply without it is delivered.
        ipc(&mut frame, Syscall::ReplyRecv, 0, &[8]);
        frame.r[5] = copy_of(1);
        assert_eq!(system.cpu_syscall(&mut frame, &mut m), Next::Partition(1));
        assert_eq!(frame.r[0], refused, "refused to the replier");
        assert_eq!(
            system.objects.threads.reply_target(ThreadId(1)),
            Some(ThreadId(0))
        );
        ipc(&mut frame, Syscall::ReplyRecv, 0, &[8]);
        assert_eq!(system.cpu_syscall(&mut frame, &mut m), Next::Idle);
        assert_eq!(system.cpu_tick(&mut frame, &mut m), Next::Partition(0));
        assert_eq!((frame.r[0], frame.r[1]), (0, 8), "the reply arrived");
    }

    #[test]
    fn call_and_reply_carry_words_and_the_badge_between_windows() {
        // Partition a calls server b; both active, 1 ms windows each.
        let mut rig = Rig::new(std::vec![thread(0, 1, 0xA000), thread(1, 1, 0xB000)]);
        let caps = [(0, 0, Ep(0), WRITE, 7), (1, 0, Ep(0), READ, 0)];
        let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &caps);
        let mut m = FakeMachine::new(0, 0);
        let mut frame = TrapFrame::default();
        assert_eq!(system.cpu_start(&mut frame, &mut m), Next::Partition(0));
        ipc(&mut frame, Syscall::Call, 0, &[42, 43]);
        assert_eq!(
            system.cpu_syscall(&mut frame, &mut m),
            Next::Idle,
            "no receiver yet"
        );
        assert_eq!(system.cpu_tick(&mut frame, &mut m), Next::Partition(1));
        assert_eq!(frame.pc, 0xB000);
        ipc(&mut frame, Syscall::Recv, 0, &[]);
        assert_eq!(
            system.cpu_syscall(&mut frame, &mut m),
            Next::Partition(1),
            "a queued call is received at once"
        );
        assert_eq!(
            (frame.r[0], frame.r[1], frame.r[2], frame.r[5]),
            (0, 42, 43, 7)
        );
        ipc(&mut frame, Syscall::ReplyRecv, 0, &[99]);
        assert_eq!(
            system.cpu_syscall(&mut frame, &mut m),
            Next::Idle,
            "server waits, client is out of its window"
        );
        assert_eq!(system.cpu_tick(&mut frame, &mut m), Next::Partition(0));
        assert_eq!(
            (frame.r[0], frame.r[1], frame.r[2]),
            (0, 99, 0),
            "reply words; the rest zeroed"
        );
    }

    #[test]
    fn a_passive_server_initialises_then_runs_on_its_callers_time() {
        let mut rig =
            Rig::new(std::vec![thread(0, 1, 0xA000), thread(2, 5, 0x5000)]).with_passive_server();
        let caps = [(0, 0, Ep(0), WRITE, 3), (2, 0, Ep(0), READ, 0)];
        let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &caps);
        let mut m = FakeMachine::new(0, 0);
        let mut frame = TrapFrame::default();
        assert_eq!(
            system.cpu_start(&mut frame, &mut m),
            Next::Partition(2),
            "the server initialises first"
        );
        ipc(&mut frame, Syscall::Recv, 0, &[]);
        assert_eq!(system.cpu_syscall(&mut frame, &mut m), Next::Partition(0));
        assert_eq!(frame.pc, 0xA000);
        for round in 0..3 {
            ipc(&mut frame, Syscall::Call, 0, &[round]);
            assert_eq!(
                system.cpu_syscall(&mut frame, &mut m),
                Next::Partition(2),
                "server runs at once"
            );
            assert_eq!((frame.r[1], frame.r[5]), (round, 3));
            assert_eq!(
                MessageInfo::decode(frame.r[6]).unwrap().length,
                1,
                "the server sees the length"
            );
            ipc(&mut frame, Syscall::ReplyRecv, 0, &[round + 100]);
            assert_eq!(
                system.cpu_syscall(&mut frame, &mut m),
                Next::Partition(0),
                "caller resumes at once"
            );
            assert_eq!((frame.r[0], frame.r[1]), (0, round + 100));
        }
        // Out of the caller's window the server does not run on its own.
        ipc(&mut frame, Syscall::Call, 0, &[1]);
        assert_eq!(system.cpu_syscall(&mut frame, &mut m), Next::Partition(2));
        assert_eq!(
            system.cpu_tick(&mut frame, &mut m),
            Next::Idle,
            "b's window: b has nothing, s has no time"
        );
    }

    /// Found by the fastpath equivalence test in CI: a passive server that
    /// passes work on to a second passive thread by a plain send, then
    /// replies to its own caller, must not leave the second thread
    /// borrowing time that nobody owns (it would never run again).
    #[test]
    fn time_lent_by_a_send_outlives_the_senders_loan() {
        let mut rig = Rig::new(std::vec![
            thread(0, 1, 0xA000),
            thread(2, 5, 0x5000),
            thread(2, 5, 0x5100),
        ])
        .with_passive_server();
        let caps = [(0, 0, Ep(0), WRITE, 3), (2, 0, Ep(0), READ | WRITE, 0)];
        let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &caps);
        let mut m = FakeMachine::new(0, 0);
        let mut frame = TrapFrame::default();
        assert_eq!(system.cpu_start(&mut frame, &mut m), Next::Partition(2));
        // Both server threads initialise and wait on the endpoint.
        ipc(&mut frame, Syscall::Recv, 0, &[]);
        system.cpu_syscall(&mut frame, &mut m);
        ipc(&mut frame, Syscall::Recv, 0, &[]);
        assert_eq!(system.cpu_syscall(&mut frame, &mut m), Next::Partition(0));
        // The client calls; the first server thread takes the call.
        ipc(&mut frame, Syscall::Call, 0, &[1]);
        assert_eq!(system.cpu_syscall(&mut frame, &mut m), Next::Partition(2));
        let first = system.current.unwrap();
        // It hands work to the second by a plain send, and replies.
        ipc(&mut frame, Syscall::Send, 0, &[2]);
        system.cpu_syscall(&mut frame, &mut m);
        let second = if first == 1 { 2 } else { 1 };
        assert_eq!(system.objects.threads.lender(id(second)), Ok(Some(id(0))));
        if system.current == Some(second) {
            ipc(&mut frame, Syscall::Recv, 0, &[]);
            system.cpu_syscall(&mut frame, &mut m);
        }
        assert_eq!(system.current, Some(first));
        ipc(&mut frame, Syscall::ReplyRecv, 0, &[9]);
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!(system.check(), Ok(()));
    }

    #[test]
    fn bad_slots_types_and_rights_are_errors() {
        let mut rig = Rig::new(std::vec![thread(0, 1, 0xA000), thread(1, 1, 0xB000)]);
        let caps = [(0, 0, Ep(0), READ, 0), (0, 1, Nt(0), WRITE, 0)];
        let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &caps);
        let mut m = FakeMachine::new(0, 0);
        let mut frame = TrapFrame::default();
        system.cpu_start(&mut frame, &mut m);
        let mut expect = |call, slot, error: SyscallError| {
            ipc(&mut frame, call, slot, &[1]);
            assert_eq!(system.cpu_syscall(&mut frame, &mut m), Next::Partition(0));
            assert_eq!(frame.r[0], error as u32, "{call:?} slot {slot}");
        };
        expect(Syscall::Call, 5, SyscallError::EmptySlot);
        expect(Syscall::Call, 1, SyscallError::WrongType);
        expect(Syscall::Call, 0, SyscallError::MissingRights);
        expect(Syscall::Wait, 1, SyscallError::MissingRights);
        expect(Syscall::Call, 0xFFFF_0000, SyscallError::InvalidArgument);
        expect(Syscall::FrameMap, 0, SyscallError::WrongType);
    }

    #[test]
    fn notifications_signal_wait_and_poll() {
        let mut rig = Rig::new(std::vec![thread(0, 2, 0xA000), thread(0, 1, 0xA100)]);
        let caps = [(0, 0, Nt(1), READ | WRITE, 0)];
        let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &caps);
        let mut m = FakeMachine::new(0, 0);
        let mut frame = TrapFrame::default();
        system.cpu_start(&mut frame, &mut m);
        assert_eq!(frame.pc, 0xA000);
        ipc(&mut frame, Syscall::Poll, 0, &[]);
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!(frame.r[0], SyscallError::WouldBlock as u32);
        ipc(&mut frame, Syscall::Wait, 0, &[]);
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!(
            frame.pc, 0xA100,
            "the waiter blocked; the other thread runs"
        );
        ipc(&mut frame, Syscall::Signal, 0, &[0b101]);
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!(
            (frame.pc, frame.r[0], frame.r[1]),
            (0xA000, 0, 0b101),
            "the higher-priority waiter wakes with the bits"
        );
    }

    #[test]
    fn a_server_learns_that_its_reply_to_a_stopped_caller_was_dropped() {
        // Clients in partitions 0 and 1, a passive server in partition 2.
        let mut rig = Rig::new(std::vec![
            thread(0, 1, 0xA000),
            thread(1, 1, 0xC000),
            thread(2, 5, 0x5000)
        ])
        .with_passive_server();
        let caps = [
            (0, 0, Ep(0), WRITE, 1),
            (1, 0, Ep(0), WRITE, 2),
            (2, 0, Ep(0), READ, 0),
        ];
        let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &caps);
        let mut m = FakeMachine::new(0, 0);
        let mut frame = TrapFrame::default();
        system.cpu_start(&mut frame, &mut m);
        ipc(&mut frame, Syscall::Recv, 0, &[]);
        system.cpu_syscall(&mut frame, &mut m);
        ipc(&mut frame, Syscall::Call, 0, &[1]);
        assert_eq!(system.cpu_syscall(&mut frame, &mut m), Next::Partition(2));
        // Client 1 is stopped while the server works on its call.
        system.stop_partition(0, &mut m);
        ipc(&mut frame, Syscall::ReplyRecv, 0, &[10]);
        system.cpu_syscall(&mut frame, &mut m);
        let mut next = system.cpu_tick(&mut frame, &mut m);
        while frame.pc != 0xC000 {
            next = system.cpu_tick(&mut frame, &mut m);
        }
        assert_eq!(next, Next::Partition(1));
        ipc(&mut frame, Syscall::Call, 0, &[2]);
        assert_eq!(system.cpu_syscall(&mut frame, &mut m), Next::Partition(2));
        assert_eq!((frame.r[1], frame.r[5]), (2, 2), "client 2's call");
        assert_ne!(
            frame.r[6] & kernel_abi::syscall::INFO_REPLY_DROPPED,
            0,
            "the server learns its last reply went nowhere"
        );
        ipc(&mut frame, Syscall::ReplyRecv, 0, &[20]);
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!((frame.pc, frame.r[0], frame.r[1]), (0xC000, 0, 20));
        ipc(&mut frame, Syscall::Call, 0, &[3]);
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!(frame.r[1], 3);
        assert_eq!(
            frame.r[6] & kernel_abi::syscall::INFO_REPLY_DROPPED,
            0,
            "a delivered reply leaves the flag clear"
        );
    }

    #[test]
    fn a_stopped_server_releases_its_callers_with_an_error() {
        let mut rig =
            Rig::new(std::vec![thread(0, 1, 0xA000), thread(2, 5, 0x5000)]).with_passive_server();
        let caps = [(0, 0, Ep(0), WRITE, 0), (2, 0, Ep(0), READ, 0)];
        let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &caps);
        let mut m = FakeMachine::new(0, 0);
        let mut frame = TrapFrame::default();
        system.cpu_start(&mut frame, &mut m);
        ipc(&mut frame, Syscall::Recv, 0, &[]);
        system.cpu_syscall(&mut frame, &mut m);
        // The client calls and the server takes the call, then faults.
        ipc(&mut frame, Syscall::Call, 0, &[1]);
        assert_eq!(system.cpu_syscall(&mut frame, &mut m), Next::Partition(2));
        let fault = UserFault {
            exception: crate::exception::ExceptionKind::DataAbort,
            pc: 0x5010,
            fault: None,
        };
        assert_eq!(
            system.cpu_fault(&mut frame, fault, &mut m),
            Next::Partition(0)
        );
        assert_eq!(
            (frame.pc, frame.r[0]),
            (0xA000, SyscallError::PeerGone as u32),
            "the caller being served"
        );
        ipc(&mut frame, Syscall::Call, 0, &[2]);
        assert_eq!(system.cpu_syscall(&mut frame, &mut m), Next::Partition(0));
        assert_eq!(
            frame.r[0],
            SyscallError::PeerGone as u32,
            "nobody can receive on the endpoint any more"
        );
    }

    /// Client 0 calls the endpoint that only partition 1's thread can
    /// receive on and is queued there; that thread then makes the system
    /// call `leaves` sets up, after which nobody can receive there: the
    /// caller is woken with `PeerGone`, and its next call is refused at
    /// once.
    fn assert_queued_caller_released(leaves: impl FnOnce(&mut TrapFrame)) {
        let mut rig = Rig::new(std::vec![thread(0, 1, 0xA000), thread(1, 1, 0xB000)]);
        let caps = [(0, 0, Ep(0), WRITE, 0), (1, 0, Ep(0), READ, 0)];
        let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &caps);
        let mut m = FakeMachine::new(0, 0);
        let mut frame = TrapFrame::default();
        assert_eq!(system.cpu_start(&mut frame, &mut m), Next::Partition(0));
        ipc(&mut frame, Syscall::Call, 0, &[1]);
        assert_eq!(system.cpu_syscall(&mut frame, &mut m), Next::Idle);
        assert_eq!(system.cpu_tick(&mut frame, &mut m), Next::Partition(1));
        leaves(&mut frame);
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!(system.check(), Ok(()));
        assert_eq!(system.threads[0].state, ThreadState::Ready, "woken");
        assert_eq!(system.cpu_tick(&mut frame, &mut m), Next::Partition(0));
        assert_eq!(
            (frame.pc, frame.r[0]),
            (0xA000, SyscallError::PeerGone as u32)
        );
        ipc(&mut frame, Syscall::Call, 0, &[2]);
        assert_eq!(system.cpu_syscall(&mut frame, &mut m), Next::Partition(0));
        assert_eq!(
            frame.r[0],
            SyscallError::PeerGone as u32,
            "nobody can receive on the endpoint any more"
        );
    }

    /// A server whose last thread exits finishes: nobody can receive on
    /// its endpoint any more, as when it stops — the bug was that only a
    /// stop closed the endpoint, so a caller waited for ever (and with it
    /// the run, which waits for the caller's partition).
    #[test]
    fn a_finished_server_releases_its_queued_callers_with_an_error() {
        assert_queued_caller_released(|frame| frame.r[7] = Syscall::ThreadExit as u32);
    }

    /// A server that deletes its only capability to receive on its
    /// endpoint closes it — the bug was that the caller waited for ever.
    #[test]
    fn deleting_the_last_receive_capability_releases_the_queued_callers() {
        assert_queued_caller_released(|frame| {
            frame.r[7] = Syscall::CapDelete as u32;
            frame.r[0] = 0;
        });
    }
}
