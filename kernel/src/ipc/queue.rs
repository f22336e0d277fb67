//! FIFO queues of blocked threads, linked through the threads' records
//! ([`ThreadObjects`](super::thread_objects::ThreadObjects)).
//!
//! A thread waits on at most one thing at a time, so one "next" link per
//! thread serves every queue of a table; a queue is just its head and
//! tail. Enqueue and dequeue are O(1), removing a thread from the middle
//! O(queue length). Nothing here decides who may wait: it only keeps the
//! order, and never links a thread twice.

use super::thread_objects::ThreadTable;
use super::{IpcError, ThreadId};

/// One thread's place in some queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Link {
    /// In no queue.
    #[default]
    Unqueued,
    /// In a queue; `next` follows it.
    Queued { next: Option<ThreadId> },
}

/// A queue's ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Queue {
    head: Option<ThreadId>,
    tail: Option<ThreadId>,
}

impl Queue {
    /// An empty queue.
    pub const EMPTY: Queue = Queue {
        head: None,
        tail: None,
    };

    /// Whether nobody waits.
    pub fn is_empty(&self) -> bool {
        self.head.is_none()
    }

    /// Who waits longest.
    pub fn front(&self) -> Option<ThreadId> {
        self.head
    }
}

/// The queues are linked through the threads' records.
impl ThreadTable<'_> {
    /// Appends `thread` to `queue`.
    pub(super) fn push_back(
        &mut self,
        queue: &mut Queue,
        thread: ThreadId,
    ) -> Result<(), IpcError> {
        let record = self.get_mut(thread)?;
        if let Link::Queued { .. } = record.link {
            return Err(IpcError::AlreadyBlocked);
        }
        record.link = Link::Queued { next: None };
        match queue.tail {
            Some(tail) => self.set_next(tail, Some(thread)),
            None => queue.head = Some(thread),
        }
        queue.tail = Some(thread);
        Ok(())
    }

    /// Takes the front of `queue`.
    pub(super) fn pop_front(&mut self, queue: &mut Queue) -> Option<ThreadId> {
        let head = queue.head?;
        queue.head = self.next(head);
        if queue.head.is_none() {
            queue.tail = None;
        }
        self.at(head).link = Link::Unqueued;
        Some(head)
    }

    /// Takes `thread` out of `queue`; whether it was there.
    pub(super) fn remove(&mut self, queue: &mut Queue, thread: ThreadId) -> bool {
        let mut prev: Option<ThreadId> = None;
        let mut cursor = queue.head;
        while let Some(current) = cursor {
            let next = self.next(current);
            if current == thread {
                match prev {
                    Some(p) => self.set_next(p, next),
                    None => queue.head = next,
                }
                if queue.tail == Some(thread) {
                    queue.tail = prev;
                }
                self.at(thread).link = Link::Unqueued;
                return true;
            }
            prev = cursor;
            cursor = next;
        }
        false
    }

    /// Calls `visit` with each thread of `queue`, front first.
    pub(super) fn for_each(&self, queue: &Queue, mut visit: impl FnMut(ThreadId)) {
        let mut cursor = queue.head;
        while let Some(current) = cursor {
            visit(current);
            cursor = self.next(current);
        }
    }

    fn next(&self, thread: ThreadId) -> Option<ThreadId> {
        match self.get(thread).map(|r| r.link) {
            Ok(Link::Queued { next }) => next,
            _ => None,
        }
    }

    fn set_next(&mut self, thread: ThreadId, next: Option<ThreadId>) {
        if let Ok(record) = self.get_mut(thread) {
            record.link = Link::Queued { next };
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::ipc::thread_objects::ThreadObjects;
    use std::vec::Vec;

    fn contents(links: &ThreadTable<'_>, queue: &Queue) -> Vec<u16> {
        let mut out = Vec::new();
        links.for_each(queue, |t| out.push(t.0));
        out
    }

    #[test]
    fn first_in_first_out() {
        let mut storage = [ThreadObjects::default(); 4];
        let mut links = ThreadTable::new(&mut storage).unwrap();
        let mut q = Queue::EMPTY;
        for t in [2, 0, 3] {
            links.push_back(&mut q, ThreadId(t)).unwrap();
        }
        assert_eq!(contents(&links, &q), [2, 0, 3]);
        assert_eq!(q.front(), Some(ThreadId(2)));
        assert_eq!(links.pop_front(&mut q), Some(ThreadId(2)));
        links.push_back(&mut q, ThreadId(2)).unwrap();
        assert_eq!(contents(&links, &q), [0, 3, 2]);
        for t in [0, 3, 2] {
            assert_eq!(links.pop_front(&mut q), Some(ThreadId(t)));
        }
        assert_eq!(links.pop_front(&mut q), None);
        assert!(q.is_empty());
    }

    #[test]
    fn a_thread_is_in_one_queue_once() {
        let mut storage = [ThreadObjects::default(); 2];
        let mut links = ThreadTable::new(&mut storage).unwrap();
        let (mut a, mut b) = (Queue::EMPTY, Queue::EMPTY);
        links.push_back(&mut a, ThreadId(0)).unwrap();
        assert_eq!(
            links.push_back(&mut a, ThreadId(0)),
            Err(IpcError::AlreadyBlocked)
        );
        assert_eq!(
            links.push_back(&mut b, ThreadId(0)),
            Err(IpcError::AlreadyBlocked)
        );
        assert_eq!(
            links.push_back(&mut b, ThreadId(2)),
            Err(IpcError::OutOfRange)
        );
        assert!(links.is_queued(ThreadId(0)) && !links.is_queued(ThreadId(1)));
    }

    #[test]
    fn removal_from_anywhere_keeps_the_rest_in_order() {
        let mut storage = [ThreadObjects::default(); 4];
        let mut links = ThreadTable::new(&mut storage).unwrap();
        let mut q = Queue::EMPTY;
        for t in 0..4 {
            links.push_back(&mut q, ThreadId(t)).unwrap();
        }
        assert!(links.remove(&mut q, ThreadId(3)), "tail");
        assert!(links.remove(&mut q, ThreadId(1)), "middle");
        assert!(!links.remove(&mut q, ThreadId(1)));
        links.push_back(&mut q, ThreadId(3)).unwrap();
        assert_eq!(contents(&links, &q), [0, 2, 3]);
        assert!(links.remove(&mut q, ThreadId(0)), "head");
        assert_eq!(contents(&links, &q), [2, 3]);
        assert!(links.remove(&mut q, ThreadId(2)) && links.remove(&mut q, ThreadId(3)));
        assert!(q.is_empty());
        links.push_back(&mut q, ThreadId(1)).unwrap();
        assert_eq!(contents(&links, &q), [1]);
    }
}
