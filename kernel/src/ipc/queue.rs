//! FIFO queues of blocked threads, linked through one boot-sized array
//! with an entry per thread.
//!
//! A thread waits on at most one thing at a time, so one "next" link per
//! thread serves every queue of a table; a queue is just its head and
//! tail. Enqueue and dequeue are O(1), removing a thread from the middle
//! O(queue length). Nothing here decides who may wait: it only keeps the
//! order, and never links a thread twice.

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

/// The links of every thread.
#[derive(Debug)]
pub struct Links<'a> {
    links: &'a mut [Link],
}

impl<'a> Links<'a> {
    /// Every thread unqueued.
    pub fn new(links: &'a mut [Link]) -> Links<'a> {
        links.fill(Link::Unqueued);
        Links { links }
    }

    /// How many threads.
    pub fn threads(&self) -> usize {
        self.links.len()
    }

    /// Whether `thread` is in a queue.
    pub fn is_queued(&self, thread: ThreadId) -> bool {
        matches!(self.links.get(thread.index()), Some(Link::Queued { .. }))
    }

    /// Appends `thread` to `queue`.
    pub fn push_back(&mut self, queue: &mut Queue, thread: ThreadId) -> Result<(), IpcError> {
        match self.links.get(thread.index()) {
            None => return Err(IpcError::OutOfRange),
            Some(Link::Queued { .. }) => return Err(IpcError::AlreadyBlocked),
            Some(Link::Unqueued) => {}
        }
        self.links[thread.index()] = Link::Queued { next: None };
        match queue.tail {
            Some(tail) => self.set_next(tail, Some(thread)),
            None => queue.head = Some(thread),
        }
        queue.tail = Some(thread);
        Ok(())
    }

    /// Takes the front of `queue`.
    pub fn pop_front(&mut self, queue: &mut Queue) -> Option<ThreadId> {
        let head = queue.head?;
        queue.head = self.next(head);
        if queue.head.is_none() {
            queue.tail = None;
        }
        self.links[head.index()] = Link::Unqueued;
        Some(head)
    }

    /// Takes `thread` out of `queue`; whether it was there.
    pub fn remove(&mut self, queue: &mut Queue, thread: ThreadId) -> bool {
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
                self.links[thread.index()] = Link::Unqueued;
                return true;
            }
            prev = cursor;
            cursor = next;
        }
        false
    }

    /// Calls `visit` with each thread of `queue`, front first.
    pub fn for_each(&self, queue: &Queue, mut visit: impl FnMut(ThreadId)) {
        let mut cursor = queue.head;
        while let Some(current) = cursor {
            visit(current);
            cursor = self.next(current);
        }
    }

    fn next(&self, thread: ThreadId) -> Option<ThreadId> {
        match self.links.get(thread.index()) {
            Some(Link::Queued { next }) => *next,
            _ => None,
        }
    }

    fn set_next(&mut self, thread: ThreadId, next: Option<ThreadId>) {
        if let Some(link) = self.links.get_mut(thread.index()) {
            *link = Link::Queued { next };
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    fn contents(links: &Links<'_>, queue: &Queue) -> Vec<u16> {
        let mut out = Vec::new();
        links.for_each(queue, |t| out.push(t.0));
        out
    }

    #[test]
    fn first_in_first_out() {
        let mut storage = [Link::Unqueued; 4];
        let mut links = Links::new(&mut storage);
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
        let mut storage = [Link::Unqueued; 2];
        let mut links = Links::new(&mut storage);
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
        let mut storage = [Link::Unqueued; 4];
        let mut links = Links::new(&mut storage);
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
