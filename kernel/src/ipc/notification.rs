//! Notifications: a word of bits that senders OR into and waiters take,
//! for events that need no message (interrupts, "work is ready").
//!
//! `signal` never blocks; `wait` takes every pending bit or blocks until
//! one is signalled; `poll` takes them without blocking. Waiters are
//! served in arrival order, and a woken waiter gets all bits pending at
//! that moment (which are then cleared). Like endpoints, this module only
//! says whom to wake with which bits; it never touches registers.

use crate::cap::NotificationId;

use super::queue::Queue;
use super::thread_objects::ThreadTable;
use super::{IpcError, ThreadId};

/// One notification word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Notification {
    bits: u32,
    waiters: Queue,
}

/// A waiter to wake: put `bits` in its result registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Woken {
    /// The thread.
    pub thread: ThreadId,
    /// The bits it takes.
    pub bits: u32,
}

/// What a `wait` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitOutcome {
    /// Bits were pending: these, now cleared.
    Got(u32),
    /// The thread is queued.
    Blocked,
}

/// Every notification word. Which thread waits on which is in the
/// threads' records ([`ThreadTable`]), which every operation that changes
/// it is given.
#[derive(Debug)]
pub struct Notifications<'a> {
    words: &'a mut [Notification],
}

impl<'a> Notifications<'a> {
    /// Clear notifications over boot-sized storage.
    pub fn new(words: &'a mut [Notification]) -> Notifications<'a> {
        words.fill(Notification::default());
        Notifications { words }
    }

    fn word(&mut self, id: NotificationId) -> Result<&mut Notification, IpcError> {
        self.words
            .get_mut(usize::from(id.0))
            .ok_or(IpcError::OutOfRange)
    }

    /// How many notifications there are.
    pub fn count(&self) -> usize {
        self.words.len()
    }

    /// The bits pending on `id`, without taking them.
    pub fn pending(&self, id: NotificationId) -> Result<u32, IpcError> {
        self.words
            .get(usize::from(id.0))
            .map(|n| n.bits)
            .ok_or(IpcError::OutOfRange)
    }

    /// The threads waiting on `id`, front first.
    pub fn for_each_waiting(
        &self,
        threads: &ThreadTable<'_>,
        id: NotificationId,
        visit: impl FnMut(ThreadId),
    ) -> Result<(), IpcError> {
        let word = self
            .words
            .get(usize::from(id.0))
            .ok_or(IpcError::OutOfRange)?;
        threads.for_each(&word.waiters, visit);
        Ok(())
    }

    /// ORs `bits` into `id`; if someone waits, the first waiter takes all
    /// pending bits. Signalling no bits does nothing.
    pub fn signal(
        &mut self,
        threads: &mut ThreadTable<'_>,
        id: NotificationId,
        bits: u32,
    ) -> Result<Option<Woken>, IpcError> {
        let word = self.word(id)?;
        word.bits |= bits;
        if word.bits == 0 {
            return Ok(None);
        }
        let Some(thread) = threads.pop_front(&mut word.waiters) else {
            return Ok(None);
        };
        let bits = core::mem::take(&mut word.bits);
        threads.at(thread).notification = None;
        Ok(Some(Woken { thread, bits }))
    }

    /// `thread` takes the pending bits of `id`, or waits for some.
    pub fn wait(
        &mut self,
        threads: &mut ThreadTable<'_>,
        id: NotificationId,
        thread: ThreadId,
    ) -> Result<WaitOutcome, IpcError> {
        if threads.waiting_on(thread)?.is_some() {
            return Err(IpcError::AlreadyBlocked);
        }
        let word = self.word(id)?;
        if word.bits != 0 {
            return Ok(WaitOutcome::Got(core::mem::take(&mut word.bits)));
        }
        threads.push_back(&mut word.waiters, thread)?;
        threads.at(thread).notification = Some(id);
        Ok(WaitOutcome::Blocked)
    }

    /// Takes the pending bits of `id` (possibly none); never blocks.
    pub fn poll(&mut self, id: NotificationId) -> Result<u32, IpcError> {
        Ok(core::mem::take(&mut self.word(id)?.bits))
    }

    /// Stops `thread` waiting (its partition is stopped).
    pub fn cancel_thread(
        &mut self,
        threads: &mut ThreadTable<'_>,
        thread: ThreadId,
    ) -> Result<(), IpcError> {
        if let Some(id) = threads.waiting_on(thread)? {
            threads.at(thread).notification = None;
            if let Some(word) = self.words.get_mut(usize::from(id.0)) {
                threads.remove(&mut word.waiters, thread);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipc::thread_objects::ThreadObjects;

    const N: NotificationId = NotificationId(0);
    const M: NotificationId = NotificationId(1);

    struct Rig {
        words: [Notification; 2],
        threads: [ThreadObjects; 4],
    }

    impl Rig {
        fn new() -> Rig {
            Rig {
                words: Default::default(),
                threads: Default::default(),
            }
        }
        fn notes(&mut self) -> Both<'_> {
            Both {
                notes: Notifications::new(&mut self.words),
                threads: ThreadTable::new(&mut self.threads).unwrap(),
            }
        }
    }

    /// The notifications with the threads' records, called as one.
    struct Both<'r> {
        notes: Notifications<'r>,
        threads: ThreadTable<'r>,
    }

    impl Both<'_> {
        fn signal(&mut self, id: NotificationId, bits: u32) -> Result<Option<Woken>, IpcError> {
            self.notes.signal(&mut self.threads, id, bits)
        }
        fn wait(&mut self, id: NotificationId, t: ThreadId) -> Result<WaitOutcome, IpcError> {
            self.notes.wait(&mut self.threads, id, t)
        }
        fn poll(&mut self, id: NotificationId) -> Result<u32, IpcError> {
            self.notes.poll(id)
        }
        fn pending(&self, id: NotificationId) -> Result<u32, IpcError> {
            self.notes.pending(id)
        }
        fn waiting_on(&self, t: ThreadId) -> Result<Option<NotificationId>, IpcError> {
            self.threads.waiting_on(t)
        }
        fn cancel_thread(&mut self, t: ThreadId) -> Result<(), IpcError> {
            self.notes.cancel_thread(&mut self.threads, t)
        }
    }

    #[test]
    fn signals_accumulate_until_taken() {
        let mut rig = Rig::new();
        let mut notes = rig.notes();
        assert_eq!(notes.signal(N, 0b001), Ok(None));
        assert_eq!(notes.signal(N, 0b100), Ok(None));
        assert_eq!(notes.pending(N), Ok(0b101));
        assert_eq!(notes.pending(M), Ok(0));
        assert_eq!(notes.wait(N, ThreadId(0)), Ok(WaitOutcome::Got(0b101)));
        assert_eq!(notes.pending(N), Ok(0));
    }

    #[test]
    fn poll_takes_bits_and_never_blocks() {
        let mut rig = Rig::new();
        let mut notes = rig.notes();
        assert_eq!(notes.poll(N), Ok(0));
        notes.signal(N, 0x8000_0000).unwrap();
        assert_eq!(notes.poll(N), Ok(0x8000_0000));
        assert_eq!(notes.poll(N), Ok(0));
        assert_eq!(notes.poll(NotificationId(2)), Err(IpcError::OutOfRange));
    }

    #[test]
    fn waiters_block_and_are_woken_in_order_with_the_bits() {
        let mut rig = Rig::new();
        let mut notes = rig.notes();
        assert_eq!(notes.wait(N, ThreadId(2)), Ok(WaitOutcome::Blocked));
        assert_eq!(notes.wait(N, ThreadId(1)), Ok(WaitOutcome::Blocked));
        assert_eq!(notes.waiting_on(ThreadId(2)), Ok(Some(N)));
        assert_eq!(notes.wait(M, ThreadId(2)), Err(IpcError::AlreadyBlocked));
        assert_eq!(notes.signal(N, 0), Ok(None), "no bits wake nobody");
        assert_eq!(
            notes.signal(N, 0b10),
            Ok(Some(Woken {
                thread: ThreadId(2),
                bits: 0b10
            }))
        );
        assert_eq!(notes.pending(N), Ok(0), "the woken waiter took the bits");
        assert_eq!(
            notes.signal(N, 0b01),
            Ok(Some(Woken {
                thread: ThreadId(1),
                bits: 0b01
            }))
        );
        assert_eq!(notes.signal(N, 0b01), Ok(None));
        assert_eq!(notes.waiting_on(ThreadId(2)), Ok(None));
    }

    #[test]
    fn cancelled_waiters_are_not_woken() {
        let mut rig = Rig::new();
        let mut notes = rig.notes();
        notes.wait(N, ThreadId(0)).unwrap();
        notes.wait(N, ThreadId(3)).unwrap();
        notes.cancel_thread(ThreadId(0)).unwrap();
        notes.cancel_thread(ThreadId(1)).unwrap();
        assert_eq!(
            notes.signal(N, 1),
            Ok(Some(Woken {
                thread: ThreadId(3),
                bits: 1
            }))
        );
        assert_eq!(notes.cancel_thread(ThreadId(4)), Err(IpcError::OutOfRange));
        assert_eq!(notes.wait(N, ThreadId(4)), Err(IpcError::OutOfRange));
    }
}
