//! One record per thread for everything the kernel's objects know about
//! it: what it waits for in IPC and the reply right it holds, its place in
//! a wait queue, the notification it waits on, whose time it runs on, and
//! the capability it lent for its call, and the one it transferred with
//! its call (so a stopped server can give it back). seL4 keeps all of this in the TCB;
//! here the TCB proper ([`crate::thread::Thread`]: registers, schedule) and
//! this record sit side by side, at the same index, in boot-sized tables.
//!
//! The state machines ([`super::endpoint`], [`super::notification`],
//! [`super::donation`], [`super::lending`], [`super::passing`]) are the
//! only writers of a
//! record's fields; everyone else reads through the queries here. This
//! module never decides anything itself, and never allocates.

use crate::cap::layout::SlotRef;
use crate::cap::{NotificationId, ReplyId};

use super::donation::Loan;
use super::endpoint::IpcState;
use super::queue::Link;
use super::{IpcError, ThreadId};

/// Everything the kernel's objects record about one thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ThreadObjects {
    /// What it waits for on an endpoint, or for a reply.
    pub(super) ipc: IpcState,
    /// The reply right it holds: the right to answer the call it received
    /// last.
    pub(super) held: Option<ReplyId>,
    /// Its place in the one queue it may wait in (an endpoint's or a
    /// notification's: a thread waits on one thing at a time).
    pub(super) link: Link,
    /// The notification it waits on.
    pub(super) notification: Option<NotificationId>,
    /// Whose time it runs on (whether it has time of its own is its
    /// partition's to say: `Partition::passive`).
    pub(super) loan: Loan,
    /// The slot of the capability it lent for the call it waits on (a
    /// transient grant), destroyed when the call is answered.
    pub(super) lent: Option<SlotRef>,
    /// The capability its unanswered call transferred: where it came from
    /// and where it landed (eight bytes per thread).
    pub(super) passed: Option<super::passing::Passed>,
}

/// Every thread's record, indexed like the thread table.
#[derive(Debug)]
pub struct ThreadTable<'a> {
    records: &'a mut [ThreadObjects],
}

impl<'a> ThreadTable<'a> {
    /// Every thread idle, active, on its own time and lending nothing, over
    /// boot-sized storage with one record per thread (`None` if there are
    /// more than a [`ThreadId`] can name).
    pub fn new(records: &'a mut [ThreadObjects]) -> Option<ThreadTable<'a>> {
        if records.len() > usize::from(u16::MAX) {
            return None;
        }
        records.fill(ThreadObjects::default());
        Some(ThreadTable { records })
    }

    /// How many threads.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether there are no threads.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// `thread`'s record.
    pub(super) fn get(&self, thread: ThreadId) -> Result<&ThreadObjects, IpcError> {
        self.records.get(thread.index()).ok_or(IpcError::OutOfRange)
    }

    /// `thread`'s record, to change.
    pub(super) fn get_mut(&mut self, thread: ThreadId) -> Result<&mut ThreadObjects, IpcError> {
        self.records
            .get_mut(thread.index())
            .ok_or(IpcError::OutOfRange)
    }

    /// Every record, in thread order.
    pub(super) fn records(&self) -> &[ThreadObjects] {
        self.records
    }

    /// Every record, in thread order, to change.
    pub(super) fn records_mut(&mut self) -> &mut [ThreadObjects] {
        self.records
    }

    /// Record `index`, which the caller knows exists.
    pub(super) fn at(&mut self, thread: ThreadId) -> &mut ThreadObjects {
        &mut self.records[thread.index()]
    }

    /// What `thread` waits for on an endpoint or for a reply.
    pub fn state(&self, thread: ThreadId) -> Result<IpcState, IpcError> {
        Ok(self.get(thread)?.ipc)
    }

    /// The reply right `thread` holds, if any.
    pub fn held_reply(&self, thread: ThreadId) -> Result<Option<ReplyId>, IpcError> {
        Ok(self.get(thread)?.held)
    }

    /// The notification `thread` waits on, if any.
    pub fn waiting_on(&self, thread: ThreadId) -> Result<Option<NotificationId>, IpcError> {
        Ok(self.get(thread)?.notification)
    }

    /// Whether `thread` is in a wait queue.
    pub fn is_queued(&self, thread: ThreadId) -> bool {
        self.get(thread)
            .is_ok_and(|r| matches!(r.link, Link::Queued { .. }))
    }

    /// Whether `thread` has a capability out on loan for its call. O(1).
    pub fn is_lending(&self, thread: ThreadId) -> bool {
        self.get(thread).is_ok_and(|r| r.lent.is_some())
    }

    /// The slot of the capability `thread` lent for its call, if any.
    pub fn lent(&self, thread: ThreadId) -> Option<SlotRef> {
        self.get(thread).ok()?.lent
    }

    /// What `thread`'s unanswered call transferred, if anything.
    pub fn passed(&self, thread: ThreadId) -> Option<super::passing::Passed> {
        self.get(thread).ok()?.passed
    }

    /// The caller `server`'s reply right would answer now, if it holds
    /// one whose caller still waits. O(1).
    pub fn reply_target(&self, server: ThreadId) -> Option<ThreadId> {
        let caller = ThreadId(self.get(server).ok()?.held?.0);
        match self.get(caller).ok()?.ipc {
            IpcState::AwaitingReply { server: s } if s == server => Some(caller),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_table_has_every_thread_idle_and_out_of_range_is_refused() {
        let mut storage = [ThreadObjects {
            held: Some(ReplyId(1)),
            ..ThreadObjects::default()
        }; 3];
        let table = ThreadTable::new(&mut storage).unwrap();
        assert_eq!(table.len(), 3);
        for t in 0..3 {
            assert_eq!(table.state(ThreadId(t)), Ok(IpcState::Idle));
            assert_eq!(table.held_reply(ThreadId(t)), Ok(None));
            assert!(!table.is_queued(ThreadId(t)) && !table.is_lending(ThreadId(t)));
        }
        assert_eq!(table.state(ThreadId(3)), Err(IpcError::OutOfRange));
        assert_eq!(table.reply_target(ThreadId(3)), None);
    }
}
