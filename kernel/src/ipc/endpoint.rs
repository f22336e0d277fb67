//! Endpoints: synchronous rendezvous between senders and receivers, with
//! `call` giving the receiver a one-shot right to reply.
//!
//! An endpoint holds one FIFO queue, of blocked senders or of blocked
//! receivers (never both: whoever arrives while the other side waits is
//! matched at once). Each thread's record has an [`IpcState`] saying what
//! it waits for, and may hold one reply right: the right to answer the call it
//! received last. A reply right is named by the caller it answers
//! ([`ReplyId`] = the caller's thread index), so there is at most one per
//! caller and the pool is sized by the thread count.
//!
//! Rules this module keeps (seL4's, plus "never a hang"):
//! - messages are matched in arrival order on both sides;
//! - a reply is delivered at most once, and only by the thread the call
//!   was delivered to; a second reply fails with `ReplyUsed`;
//! - a thread that holds a live reply right cannot `recv` until it has
//!   replied (`reply_recv` does both); a right whose caller is gone is
//!   dropped silently;
//! - when a thread is cancelled (its partition stopped), every thread
//!   waiting for it to reply is handed back to be woken with an error.
//!
//! Message contents live in the threads' registers; this module only says
//! who is matched with whom, and never touches registers or capabilities.

use crate::cap::{EndpointId, ReplyId};

use super::queue::Queue;
use super::thread_objects::ThreadTable;
use super::{IpcError, ThreadId};

/// What a thread waits for in IPC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum IpcState {
    /// Not blocked in IPC.
    #[default]
    Idle,
    /// Queued to send on `endpoint` with `badge`; `call` if it then waits
    /// for a reply.
    Sending {
        endpoint: EndpointId,
        badge: u32,
        call: bool,
    },
    /// Queued to receive on `endpoint`.
    Receiving { endpoint: EndpointId },
    /// Its call was delivered to `server`, which has not replied yet.
    AwaitingReply { server: ThreadId },
}

/// Which side waits on an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
enum Waiting {
    #[default]
    Senders,
    Receivers,
}

/// One endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Endpoint {
    queue: Queue,
    waiting: Waiting,
    /// No running partition can receive on it any more: sending fails at
    /// once instead of waiting for ever.
    closed: bool,
}

/// What a `send` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendOutcome {
    /// A waiting receiver took the message: copy it to `receiver` and make
    /// both runnable.
    Delivered { receiver: ThreadId },
    /// The sender is queued.
    Blocked,
}

/// What a `call` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallOutcome {
    /// A waiting receiver took the message and now holds `reply`: copy it
    /// to `receiver`, make it runnable; the caller waits for the reply.
    Delivered { receiver: ThreadId, reply: ReplyId },
    /// The caller is queued.
    Blocked,
}

/// A message a receiver got from a queued sender.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Received {
    /// Whose registers to copy the message from.
    pub sender: ThreadId,
    /// The badge of the capability the sender used.
    pub badge: u32,
    /// For a call: the reply right the receiver now holds (the sender
    /// waits for it). `None`: a plain send, and the sender is runnable.
    pub reply: Option<ReplyId>,
}

/// What a `recv` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecvOutcome {
    /// A sender was waiting.
    Received(Received),
    /// The receiver is queued.
    Blocked,
}

/// What a `reply_recv` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplyRecvOutcome {
    /// `None` if no reply right was held; otherwise whom to wake with the
    /// reply, or why it could not be delivered (the reply is dropped).
    pub replied: Option<Result<ThreadId, IpcError>>,
    /// The receive that followed.
    pub received: RecvOutcome,
}

/// Every endpoint. The threads' side (what each waits for, the reply
/// right it holds, its place in a queue) is in their records
/// ([`ThreadTable`]), which every operation that changes it is given.
#[derive(Debug)]
pub struct Endpoints<'a> {
    endpoints: &'a mut [Endpoint],
}

impl<'a> Endpoints<'a> {
    /// Open endpoints with nobody waiting, over boot-sized storage.
    pub fn new(endpoints: &'a mut [Endpoint]) -> Endpoints<'a> {
        endpoints.fill(Endpoint::default());
        Endpoints { endpoints }
    }

    /// How many endpoints there are.
    pub fn count(&self) -> usize {
        self.endpoints.len()
    }

    /// Closes `endpoint` for good (its last receiver is gone).
    pub fn close(&mut self, endpoint: EndpointId) -> Result<(), IpcError> {
        self.endpoints
            .get_mut(usize::from(endpoint.0))
            .ok_or(IpcError::OutOfRange)?
            .closed = true;
        Ok(())
    }

    /// Opens `endpoint` again after [`Endpoints::close`] (its receiver was
    /// restarted). O(1).
    pub fn reopen(&mut self, endpoint: EndpointId) -> Result<(), IpcError> {
        self.endpoints
            .get_mut(usize::from(endpoint.0))
            .ok_or(IpcError::OutOfRange)?
            .closed = false;
        Ok(())
    }

    /// Whether `endpoint` was closed. O(1).
    pub fn is_closed(&self, endpoint: EndpointId) -> bool {
        self.endpoints
            .get(usize::from(endpoint.0))
            .is_some_and(|ep| ep.closed)
    }

    /// The receiver a message sent to `endpoint` now would go to, if one
    /// waits. O(1).
    pub fn waiting_receiver(&self, endpoint: EndpointId) -> Option<ThreadId> {
        let ep = self.endpoints.get(usize::from(endpoint.0))?;
        if ep.waiting != Waiting::Receivers {
            return None;
        }
        ep.queue.front()
    }

    /// The sender a receive on `endpoint` now would take, if one is
    /// queued. O(1).
    pub fn queued_sender(&self, endpoint: EndpointId) -> Option<ThreadId> {
        let ep = self.endpoints.get(usize::from(endpoint.0))?;
        if ep.waiting != Waiting::Senders {
            return None;
        }
        ep.queue.front()
    }

    /// The threads queued on `endpoint`, front first, and whether they
    /// are senders.
    pub fn for_each_waiting(
        &self,
        threads: &ThreadTable<'_>,
        endpoint: EndpointId,
        visit: impl FnMut(ThreadId),
    ) -> Result<bool, IpcError> {
        let ep = self.endpoint(endpoint)?;
        threads.for_each(&ep.queue, visit);
        Ok(ep.waiting == Waiting::Senders)
    }

    fn endpoint(&self, endpoint: EndpointId) -> Result<Endpoint, IpcError> {
        self.endpoints
            .get(usize::from(endpoint.0))
            .copied()
            .ok_or(IpcError::OutOfRange)
    }

    /// Takes the front of `endpoint`'s queue if `side` waits there, with
    /// the state it waited in.
    fn take_waiting(
        &mut self,
        threads: &mut ThreadTable<'_>,
        endpoint: EndpointId,
        side: Waiting,
    ) -> Option<(ThreadId, IpcState)> {
        let ep = &mut self.endpoints[usize::from(endpoint.0)];
        if ep.waiting != side {
            return None;
        }
        let thread = threads.pop_front(&mut ep.queue)?;
        let state = core::mem::take(&mut threads.at(thread).ipc);
        Some((thread, state))
    }

    fn enqueue(
        &mut self,
        threads: &mut ThreadTable<'_>,
        endpoint: EndpointId,
        thread: ThreadId,
        side: Waiting,
        state: IpcState,
    ) -> Result<(), IpcError> {
        let ep = &mut self.endpoints[usize::from(endpoint.0)];
        if ep.queue.is_empty() {
            ep.waiting = side;
        }
        threads.push_back(&mut ep.queue, thread)?;
        threads.at(thread).ipc = state;
        Ok(())
    }

    /// `sender` sends on `endpoint` through a capability with `badge`.
    pub fn send(
        &mut self,
        threads: &mut ThreadTable<'_>,
        endpoint: EndpointId,
        sender: ThreadId,
        badge: u32,
    ) -> Result<SendOutcome, IpcError> {
        self.endpoint(endpoint)?;
        idle(threads, sender)?;
        if let Some((receiver, _)) = self.take_waiting(threads, endpoint, Waiting::Receivers) {
            return Ok(SendOutcome::Delivered { receiver });
        }
        let state = IpcState::Sending {
            endpoint,
            badge,
            call: false,
        };
        self.enqueue(threads, endpoint, sender, Waiting::Senders, state)?;
        Ok(SendOutcome::Blocked)
    }

    /// `caller` calls on `endpoint` through a capability with `badge`.
    pub fn call(
        &mut self,
        threads: &mut ThreadTable<'_>,
        endpoint: EndpointId,
        caller: ThreadId,
        badge: u32,
    ) -> Result<CallOutcome, IpcError> {
        self.endpoint(endpoint)?;
        idle(threads, caller)?;
        if let Some(receiver) = self.call_waiting(threads, endpoint, caller) {
            let reply = ReplyId(caller.0);
            return Ok(CallOutcome::Delivered { receiver, reply });
        }
        let state = IpcState::Sending {
            endpoint,
            badge,
            call: true,
        };
        self.enqueue(threads, endpoint, caller, Waiting::Senders, state)?;
        Ok(CallOutcome::Blocked)
    }

    /// `caller` (idle) hands its call to the receiver waiting longest on
    /// `endpoint`, which now holds the reply right: that receiver, or
    /// `None`, having changed nothing, if no receiver waits. O(1).
    pub fn call_waiting(
        &mut self,
        threads: &mut ThreadTable<'_>,
        endpoint: EndpointId,
        caller: ThreadId,
    ) -> Option<ThreadId> {
        if threads.get(caller).ok()?.ipc != IpcState::Idle {
            return None;
        }
        let ep = self.endpoints.get_mut(usize::from(endpoint.0))?;
        if ep.waiting != Waiting::Receivers {
            return None;
        }
        let receiver = threads.pop_front(&mut ep.queue)?;
        threads.at(receiver).ipc = IpcState::Idle;
        give_reply(threads, caller, receiver);
        Some(receiver)
    }

    /// `server` (idle) answers `caller`, whom its reply right names, and
    /// waits on `endpoint`, where no sender is queued. `false`, having
    /// changed nothing, if the reply right does not name `caller` or a
    /// sender waits. O(1).
    pub fn reply_and_wait(
        &mut self,
        threads: &mut ThreadTable<'_>,
        endpoint: EndpointId,
        server: ThreadId,
        caller: ThreadId,
    ) -> bool {
        let idle = threads.get(server).is_ok_and(|t| t.ipc == IpcState::Idle);
        if !idle || threads.is_queued(server) || threads.reply_target(server) != Some(caller) {
            return false;
        }
        let Some(ep) = self.endpoints.get_mut(usize::from(endpoint.0)) else {
            return false;
        };
        if ep.waiting == Waiting::Senders && !ep.queue.is_empty() {
            return false;
        }
        // Point of no return: the server is in no queue, so it joins this one.
        threads.at(server).held = None;
        threads.at(caller).ipc = IpcState::Idle;
        if ep.queue.is_empty() {
            ep.waiting = Waiting::Receivers;
        }
        let queued = threads.push_back(&mut ep.queue, server);
        debug_assert!(queued.is_ok());
        threads.at(server).ipc = IpcState::Receiving { endpoint };
        true
    }

    /// `receiver` receives on `endpoint`. Refused with `ReplyPending`
    /// while it holds a live reply right.
    pub fn recv(
        &mut self,
        threads: &mut ThreadTable<'_>,
        endpoint: EndpointId,
        receiver: ThreadId,
    ) -> Result<RecvOutcome, IpcError> {
        self.endpoint(endpoint)?;
        idle(threads, receiver)?;
        if threads.reply_target(receiver).is_some() {
            return Err(IpcError::ReplyPending);
        }
        threads.at(receiver).held = None;
        if let Some((sender, state)) = self.take_waiting(threads, endpoint, Waiting::Senders) {
            let (badge, call) = match state {
                IpcState::Sending { badge, call, .. } => (badge, call),
                // Only senders are queued on the senders' side.
                _ => (0, false),
            };
            let reply = call.then(|| give_reply(threads, sender, receiver));
            return Ok(RecvOutcome::Received(Received {
                sender,
                badge,
                reply,
            }));
        }
        let state = IpcState::Receiving { endpoint };
        self.enqueue(threads, endpoint, receiver, Waiting::Receivers, state)?;
        Ok(RecvOutcome::Blocked)
    }

    /// `server` replies with the right it holds (if any), then receives on
    /// `endpoint`. A reply that cannot be delivered does not stop the
    /// receive.
    pub fn reply_recv(
        &mut self,
        threads: &mut ThreadTable<'_>,
        endpoint: EndpointId,
        server: ThreadId,
    ) -> Result<ReplyRecvOutcome, IpcError> {
        self.endpoint(endpoint)?;
        idle(threads, server)?;
        let replied = threads
            .at(server)
            .held
            .is_some()
            .then(|| reply(threads, server));
        let received = self.recv(threads, endpoint, server)?;
        Ok(ReplyRecvOutcome { replied, received })
    }

    /// Takes `thread` out of IPC (its partition is stopped): dequeues it,
    /// forgets a reply it awaited (so the server's reply fails with
    /// `CallerGone`), and hands `woken` the caller waiting for its reply,
    /// to be woken with `PeerGone`.
    pub fn cancel_thread(
        &mut self,
        threads: &mut ThreadTable<'_>,
        thread: ThreadId,
        mut woken: impl FnMut(ThreadId),
    ) -> Result<(), IpcError> {
        let state = threads.state(thread)?;
        match state {
            IpcState::Sending { endpoint, .. } | IpcState::Receiving { endpoint } => {
                if let Some(ep) = self.endpoints.get_mut(usize::from(endpoint.0)) {
                    threads.remove(&mut ep.queue, thread);
                }
            }
            IpcState::AwaitingReply { .. } | IpcState::Idle => {}
        }
        if let Some(caller) = threads.reply_target(thread) {
            threads.at(caller).ipc = IpcState::Idle;
            woken(caller);
        }
        let record = threads.at(thread);
        (record.ipc, record.held) = (IpcState::Idle, None);
        Ok(())
    }

    /// Empties `endpoint`'s queue (its last receiver is gone, or it was
    /// destroyed), handing `woken` each thread, front first, to be woken
    /// with `PeerGone`.
    pub fn cancel_endpoint(
        &mut self,
        threads: &mut ThreadTable<'_>,
        endpoint: EndpointId,
        mut woken: impl FnMut(ThreadId),
    ) -> Result<(), IpcError> {
        self.endpoint(endpoint)?;
        let ep = &mut self.endpoints[usize::from(endpoint.0)];
        while let Some(thread) = threads.pop_front(&mut ep.queue) {
            threads.at(thread).ipc = IpcState::Idle;
            woken(thread);
        }
        Ok(())
    }
}

/// Refused with `AlreadyBlocked` unless `thread` waits for nothing here.
fn idle(threads: &ThreadTable<'_>, thread: ThreadId) -> Result<(), IpcError> {
    match threads.get(thread)?.ipc {
        IpcState::Idle => Ok(()),
        _ => Err(IpcError::AlreadyBlocked),
    }
}

/// `server` now holds the right to answer `caller`, who waits for it.
fn give_reply(threads: &mut ThreadTable<'_>, caller: ThreadId, server: ThreadId) -> ReplyId {
    let reply = ReplyId(caller.0);
    threads.at(caller).ipc = IpcState::AwaitingReply { server };
    threads.at(server).held = Some(reply);
    reply
}

/// `replier` uses its reply right: the caller to wake with the reply.
pub fn reply(threads: &mut ThreadTable<'_>, replier: ThreadId) -> Result<ThreadId, IpcError> {
    threads.get(replier)?;
    let live = threads.reply_target(replier);
    let held = threads.at(replier).held.take();
    match (held, live) {
        (None, _) => Err(IpcError::ReplyUsed),
        (Some(_), None) => Err(IpcError::CallerGone),
        (Some(_), Some(caller)) => {
            threads.at(caller).ipc = IpcState::Idle;
            Ok(caller)
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::ipc::thread_objects::ThreadObjects;
    use std::vec::Vec;

    const EP: EndpointId = EndpointId(0);
    const OTHER: EndpointId = EndpointId(1);

    struct Rig {
        endpoints: [Endpoint; 2],
        threads: [ThreadObjects; 6],
    }

    impl Rig {
        fn new() -> Rig {
            Rig {
                endpoints: Default::default(),
                threads: Default::default(),
            }
        }
        fn endpoints(&mut self) -> Both<'_> {
            Both {
                eps: Endpoints::new(&mut self.endpoints),
                threads: ThreadTable::new(&mut self.threads).unwrap(),
            }
        }
    }

    /// The endpoints with the threads' records, called as one.
    struct Both<'r> {
        eps: Endpoints<'r>,
        threads: ThreadTable<'r>,
    }

    impl Both<'_> {
        fn send(&mut self, e: EndpointId, t: ThreadId, b: u32) -> Result<SendOutcome, IpcError> {
            self.eps.send(&mut self.threads, e, t, b)
        }
        fn call(&mut self, e: EndpointId, t: ThreadId, b: u32) -> Result<CallOutcome, IpcError> {
            self.eps.call(&mut self.threads, e, t, b)
        }
        fn recv(&mut self, e: EndpointId, t: ThreadId) -> Result<RecvOutcome, IpcError> {
            self.eps.recv(&mut self.threads, e, t)
        }
        fn reply(&mut self, t: ThreadId) -> Result<ThreadId, IpcError> {
            reply(&mut self.threads, t)
        }
        fn reply_recv(&mut self, e: EndpointId, t: ThreadId) -> Result<ReplyRecvOutcome, IpcError> {
            self.eps.reply_recv(&mut self.threads, e, t)
        }
        fn state(&self, t: ThreadId) -> Result<IpcState, IpcError> {
            self.threads.state(t)
        }
        fn held_reply(&self, t: ThreadId) -> Result<Option<ReplyId>, IpcError> {
            self.threads.held_reply(t)
        }
        fn cancel_thread(
            &mut self,
            t: ThreadId,
            woken: impl FnMut(ThreadId),
        ) -> Result<(), IpcError> {
            self.eps.cancel_thread(&mut self.threads, t, woken)
        }
        fn cancel_endpoint(
            &mut self,
            e: EndpointId,
            woken: impl FnMut(ThreadId),
        ) -> Result<(), IpcError> {
            self.eps.cancel_endpoint(&mut self.threads, e, woken)
        }
        fn for_each_waiting(
            &self,
            e: EndpointId,
            visit: impl FnMut(ThreadId),
        ) -> Result<bool, IpcError> {
            self.eps.for_each_waiting(&self.threads, e, visit)
        }
    }

    fn t(i: u16) -> ThreadId {
        ThreadId(i)
    }

    fn received(outcome: RecvOutcome) -> Received {
        match outcome {
            RecvOutcome::Received(r) => r,
            RecvOutcome::Blocked => panic!("blocked"),
        }
    }

    #[test]
    fn senders_queue_in_order_and_are_received_with_their_badges() {
        let mut rig = Rig::new();
        let mut eps = rig.endpoints();
        for (i, badge) in [(0, 10), (1, 11), (2, 12)] {
            assert_eq!(eps.send(EP, t(i), badge), Ok(SendOutcome::Blocked));
            assert_eq!(
                eps.state(t(i)),
                Ok(IpcState::Sending {
                    endpoint: EP,
                    badge,
                    call: false
                })
            );
        }
        for (i, badge) in [(0, 10), (1, 11), (2, 12)] {
            let r = received(eps.recv(EP, t(5)).unwrap());
            assert_eq!(
                r,
                Received {
                    sender: t(i),
                    badge,
                    reply: None
                }
            );
            assert_eq!(
                eps.state(t(i)),
                Ok(IpcState::Idle),
                "a plain sender runs on"
            );
        }
        assert_eq!(eps.recv(EP, t(5)), Ok(RecvOutcome::Blocked));
        assert_eq!(eps.state(t(5)), Ok(IpcState::Receiving { endpoint: EP }));
    }

    #[test]
    fn receivers_queue_in_order_and_each_send_wakes_the_first() {
        let mut rig = Rig::new();
        let mut eps = rig.endpoints();
        for i in [3, 1, 4] {
            assert_eq!(eps.recv(EP, t(i)), Ok(RecvOutcome::Blocked));
        }
        assert_eq!(
            eps.send(OTHER, t(0), 1),
            Ok(SendOutcome::Blocked),
            "other endpoints are apart"
        );
        for i in [3, 1, 4] {
            assert_eq!(
                eps.send(EP, t(2), 7),
                Ok(SendOutcome::Delivered { receiver: t(i) })
            );
            assert_eq!(eps.state(t(i)), Ok(IpcState::Idle));
            assert_eq!(eps.state(t(2)), Ok(IpcState::Idle));
        }
        assert_eq!(eps.send(EP, t(2), 7), Ok(SendOutcome::Blocked));
        let mut queued = Vec::new();
        assert_eq!(eps.for_each_waiting(EP, |w| queued.push(w)), Ok(true));
        assert_eq!(queued, [t(2)]);
    }

    #[test]
    fn blocked_threads_cannot_start_another_operation() {
        let mut rig = Rig::new();
        let mut eps = rig.endpoints();
        eps.send(EP, t(0), 0).unwrap();
        assert_eq!(eps.send(EP, t(0), 0), Err(IpcError::AlreadyBlocked));
        assert_eq!(eps.recv(OTHER, t(0)), Err(IpcError::AlreadyBlocked));
        assert_eq!(eps.call(OTHER, t(0), 0), Err(IpcError::AlreadyBlocked));
        assert_eq!(eps.send(EndpointId(2), t(1), 0), Err(IpcError::OutOfRange));
        assert_eq!(eps.recv(EP, t(6)), Err(IpcError::OutOfRange));
        assert_eq!(eps.reply(t(9)), Err(IpcError::OutOfRange));
    }

    #[test]
    fn a_call_to_a_waiting_server_gives_it_a_one_shot_reply() {
        let mut rig = Rig::new();
        let mut eps = rig.endpoints();
        eps.recv(EP, t(4)).unwrap();
        let outcome = eps.call(EP, t(0), 99).unwrap();
        assert_eq!(
            outcome,
            CallOutcome::Delivered {
                receiver: t(4),
                reply: ReplyId(0)
            }
        );
        assert_eq!(
            eps.state(t(0)),
            Ok(IpcState::AwaitingReply { server: t(4) })
        );
        assert_eq!(eps.held_reply(t(4)), Ok(Some(ReplyId(0))));
        assert_eq!(eps.recv(EP, t(4)), Err(IpcError::ReplyPending));
        assert_eq!(eps.reply(t(4)), Ok(t(0)));
        assert_eq!(eps.state(t(0)), Ok(IpcState::Idle));
        assert_eq!(eps.reply(t(4)), Err(IpcError::ReplyUsed), "one shot");
        assert_eq!(eps.reply(t(1)), Err(IpcError::ReplyUsed), "never given");
    }

    #[test]
    fn a_queued_call_gets_its_reply_right_when_received() {
        let mut rig = Rig::new();
        let mut eps = rig.endpoints();
        assert_eq!(eps.call(EP, t(1), 5), Ok(CallOutcome::Blocked));
        assert_eq!(eps.send(EP, t(2), 6), Ok(SendOutcome::Blocked));
        let r = received(eps.recv(EP, t(4)).unwrap());
        assert_eq!(
            r,
            Received {
                sender: t(1),
                badge: 5,
                reply: Some(ReplyId(1))
            }
        );
        assert_eq!(
            eps.state(t(1)),
            Ok(IpcState::AwaitingReply { server: t(4) })
        );
        // reply_recv answers t1 and takes t2's message.
        let outcome = eps.reply_recv(EP, t(4)).unwrap();
        assert_eq!(outcome.replied, Some(Ok(t(1))));
        assert_eq!(
            outcome.received,
            RecvOutcome::Received(Received {
                sender: t(2),
                badge: 6,
                reply: None
            })
        );
        // Nothing held now: the next reply_recv only receives.
        let outcome = eps.reply_recv(EP, t(4)).unwrap();
        assert_eq!(outcome.replied, None);
        assert_eq!(outcome.received, RecvOutcome::Blocked);
    }

    #[test]
    fn nested_calls_hold_separate_reply_rights() {
        let mut rig = Rig::new();
        let mut eps = rig.endpoints();
        eps.recv(EP, t(3)).unwrap();
        eps.recv(OTHER, t(4)).unwrap();
        eps.call(EP, t(0), 1).unwrap();
        // Server t3 calls a second server while serving t0.
        assert_eq!(
            eps.call(OTHER, t(3), 2),
            Ok(CallOutcome::Delivered {
                receiver: t(4),
                reply: ReplyId(3)
            })
        );
        assert_eq!(eps.reply(t(4)), Ok(t(3)));
        assert_eq!(eps.reply(t(3)), Ok(t(0)));
    }

    #[test]
    fn a_reply_after_the_caller_was_cancelled_fails_cleanly() {
        let mut rig = Rig::new();
        let mut eps = rig.endpoints();
        eps.recv(EP, t(4)).unwrap();
        eps.call(EP, t(0), 1).unwrap();
        let mut woken = Vec::new();
        eps.cancel_thread(t(0), |w| woken.push(w)).unwrap();
        assert!(woken.is_empty(), "the caller had nobody waiting on it");
        assert_eq!(eps.state(t(0)), Ok(IpcState::Idle));
        assert_eq!(eps.reply(t(4)), Err(IpcError::CallerGone));
        assert_eq!(eps.reply(t(4)), Err(IpcError::ReplyUsed));
        // A dead right does not block the server's next receive.
        eps.recv(EP, t(4)).unwrap();
        eps.call(EP, t(0), 1).unwrap();
        eps.cancel_thread(t(0), |_| {}).unwrap();
        eps.call(EP, t(1), 1).unwrap();
        assert_eq!(eps.recv(EP, t(4)).map(|o| received(o).sender), Ok(t(1)));
    }

    #[test]
    fn a_stale_right_cannot_answer_the_callers_next_call() {
        let mut rig = Rig::new();
        let mut eps = rig.endpoints();
        eps.recv(EP, t(3)).unwrap();
        eps.call(EP, t(0), 1).unwrap();
        eps.cancel_thread(t(0), |_| {}).unwrap();
        // t0 calls again and another server takes it.
        eps.recv(OTHER, t(4)).unwrap();
        eps.call(OTHER, t(0), 1).unwrap();
        assert_eq!(eps.reply(t(3)), Err(IpcError::CallerGone));
        assert_eq!(
            eps.state(t(0)),
            Ok(IpcState::AwaitingReply { server: t(4) })
        );
        assert_eq!(eps.reply(t(4)), Ok(t(0)));
    }

    #[test]
    fn cancelling_a_server_mid_call_hands_back_its_caller() {
        let mut rig = Rig::new();
        let mut eps = rig.endpoints();
        eps.recv(EP, t(4)).unwrap();
        eps.call(EP, t(0), 1).unwrap();
        let mut woken = Vec::new();
        eps.cancel_thread(t(4), |w| woken.push(w)).unwrap();
        assert_eq!(woken, [t(0)]);
        assert_eq!(eps.state(t(0)), Ok(IpcState::Idle));
        assert_eq!(eps.held_reply(t(4)), Ok(None));
    }

    #[test]
    fn cancelling_queued_threads_removes_them_from_the_queue() {
        let mut rig = Rig::new();
        let mut eps = rig.endpoints();
        for i in 0..3 {
            eps.send(EP, t(i), u32::from(i)).unwrap();
        }
        eps.cancel_thread(t(1), |_| {}).unwrap();
        assert_eq!(received(eps.recv(EP, t(5)).unwrap()).sender, t(0));
        assert_eq!(received(eps.recv(EP, t(5)).unwrap()).sender, t(2));
        eps.recv(EP, t(3)).unwrap();
        eps.cancel_thread(t(3), |_| {}).unwrap();
        assert_eq!(eps.send(EP, t(0), 0), Ok(SendOutcome::Blocked));
    }

    #[test]
    fn cancelling_an_endpoint_wakes_everyone_queued_on_it() {
        let mut rig = Rig::new();
        let mut eps = rig.endpoints();
        eps.call(EP, t(0), 0).unwrap();
        eps.send(EP, t(1), 0).unwrap();
        eps.call(EP, t(2), 0).unwrap();
        eps.recv(OTHER, t(3)).unwrap();
        let mut woken = Vec::new();
        eps.cancel_endpoint(EP, |w| woken.push(w)).unwrap();
        assert_eq!(woken, [t(0), t(1), t(2)]);
        for i in 0..3 {
            assert_eq!(eps.state(t(i)), Ok(IpcState::Idle));
        }
        assert_eq!(eps.state(t(3)), Ok(IpcState::Receiving { endpoint: OTHER }));
        assert_eq!(eps.recv(EP, t(4)), Ok(RecvOutcome::Blocked));
        assert_eq!(
            eps.cancel_endpoint(EndpointId(7), |_| {}),
            Err(IpcError::OutOfRange)
        );
    }
}
