//! Transferred capabilities of unanswered calls: when a call *transfers*
//! a capability, the kernel remembers where it came from (the caller's
//! slot) and where it landed (the server's slot), so that if the server
//! leaves IPC before it answers, the capability can go back to the caller
//! (`System::return_passed`). Recorded both ways, like a loan
//! ([`super::lending`]): by the calling thread, and by the slot it landed
//! in.
//!
//! A record is made when a call's transfer lands ([`Passing::moved`]).
//! It ends in exactly one of two ways, and both sides are cleared
//! together, so a record never names a slot that holds something else:
//! the call is answered or abandoned ([`Passing::end`]: the reply was
//! delivered, the caller or the server left IPC), or the capability left
//! the slot it landed in first ([`Passing::forget`]: the server moved,
//! deleted or revoked it — from then on it is the server's business, and
//! nothing goes back). Unlike a loan, a passed capability is not pinned:
//! the server owns it and may do anything with it.
//!
//! This module only keeps records; it never touches capabilities or
//! mappings, and never allocates.

use crate::cap::layout::{SlotRef, SpaceLayout};

use super::thread_objects::ThreadTable;
use super::ThreadId;

/// A capability a waiting caller transferred with its call: its slot in
/// the caller's own space, and the server's slot it landed in. Six bytes
/// (eight in a thread's record, with the `Option`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Passed {
    /// The caller's slot it was sent from.
    pub from: u16,
    /// The slot it landed in.
    pub landed: SlotRef,
}

/// Which caller transferred what each slot holds. The other side — what
/// each waiting caller transferred — is in the threads' records
/// ([`ThreadTable`]). Costs one `Option<ThreadId>` (four bytes) per
/// capability slot of the system.
#[derive(Debug)]
pub struct Passing<'a> {
    layout: SpaceLayout<'a>,
    /// Per slot of the system: the caller whose transferred capability it
    /// holds, while that caller waits for its reply.
    by_slot: &'a mut [Option<ThreadId>],
}

impl<'a> Passing<'a> {
    /// No records, over `by_slot` (one per slot of `layout`); `None` if its
    /// length is wrong.
    pub fn new(
        layout: SpaceLayout<'a>,
        by_slot: &'a mut [Option<ThreadId>],
    ) -> Option<Passing<'a>> {
        if by_slot.len() != layout.total() {
            return None;
        }
        by_slot.fill(None);
        Some(Passing { layout, by_slot })
    }

    /// The capability in `source` moved to `dest` (a transfer): a record
    /// naming `source` ends (what a server was given is handed on), and
    /// if `call` names the caller and its slot, `dest` is recorded as that
    /// call's landing. One translation of each slot; the caller has no
    /// record (it is making its call) and `dest` had none (it was empty).
    #[inline]
    pub fn moved(
        &mut self,
        threads: &mut ThreadTable<'_>,
        source: SlotRef,
        dest: SlotRef,
        call: Option<(ThreadId, u16)>,
    ) {
        let (Ok(source), Ok(landing)) = (self.layout.global(source), self.layout.global(dest))
        else {
            return;
        };
        self.forget_global(threads, source);
        let Some((caller, from)) = call else {
            return;
        };
        let Ok(record) = threads.get_mut(caller) else {
            return;
        };
        debug_assert!(record.passed.is_none() && self.by_slot[landing].is_none());
        record.passed = Some(Passed { from, landed: dest });
        self.by_slot[landing] = Some(caller);
    }

    /// `caller`'s call was answered or abandoned: its record, if any,
    /// ends, and is returned.
    #[inline]
    pub fn end(&mut self, threads: &mut ThreadTable<'_>, caller: ThreadId) -> Option<Passed> {
        let passed = threads.get_mut(caller).ok()?.passed.take()?;
        if let Ok(index) = self.layout.global(passed.landed) {
            self.by_slot[index] = None;
        }
        Some(passed)
    }

    /// The capability in `at` left its slot: a record naming it ends.
    #[inline]
    pub fn forget(&mut self, threads: &mut ThreadTable<'_>, at: SlotRef) {
        if let Ok(index) = self.layout.global(at) {
            self.forget_global(threads, index);
        }
    }

    /// The capability in the slot with global number `index` left it: a
    /// record naming it ends. O(1).
    #[inline]
    pub fn forget_global(&mut self, threads: &mut ThreadTable<'_>, index: usize) {
        let Some(caller) = self.by_slot.get_mut(index).and_then(Option::take) else {
            return;
        };
        if let Ok(record) = threads.get_mut(caller) {
            record.passed = None;
        }
    }

    /// Calls `visit` with every waiting caller's record.
    pub fn for_each(&self, threads: &ThreadTable<'_>, mut visit: impl FnMut(ThreadId, Passed)) {
        for (thread, record) in threads.records().iter().enumerate() {
            if let Some(passed) = record.passed {
                visit(ThreadId(thread as u16), passed);
            }
        }
    }

    /// Checks that both sides agree (for `System::check`).
    pub fn check_consistent(&self, threads: &ThreadTable<'_>) -> Result<(), &'static str> {
        let mut recorded = 0;
        for (thread, record) in threads.records().iter().enumerate() {
            if let Some(passed) = record.passed {
                let index = self
                    .layout
                    .global(passed.landed)
                    .map_err(|_| "a passed capability's landing slot does not exist")?;
                if self.by_slot[index] != Some(ThreadId(thread as u16)) {
                    return Err("a caller's passed capability is not recorded by its slot");
                }
                recorded += 1;
            }
        }
        if self.by_slot.iter().flatten().count() != recorded {
            return Err("a slot's passed capability is not recorded by its caller");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipc::thread_objects::ThreadObjects;

    fn at(p: u8, s: u16) -> SlotRef {
        SlotRef::new(p, s)
    }

    #[test]
    fn a_record_ends_once_by_the_call_or_by_its_slot() {
        let layout = SpaceLayout::of_sizes(&[2, 2]).unwrap();
        let (mut records, mut slots) = ([ThreadObjects::default(); 3], [None; 4]);
        let mut threads = ThreadTable::new(&mut records).unwrap();
        let mut passing = Passing::new(layout, &mut slots).unwrap();
        let call = |t: u16, from: u16| Some((ThreadId(t), from));
        passing.moved(&mut threads, at(0, 1), at(1, 1), call(0, 1));
        passing.check_consistent(&threads).unwrap();
        // Out of range: nothing recorded, nothing broken.
        passing.moved(&mut threads, at(0, 0), at(1, 7), call(1, 0));
        passing.moved(&mut threads, at(0, 0), at(1, 0), call(9, 0));
        passing.check_consistent(&threads).unwrap();
        let passed = Passed {
            from: 1,
            landed: at(1, 1),
        };
        assert_eq!(threads.get(ThreadId(0)).unwrap().passed, Some(passed));
        assert_eq!(passing.end(&mut threads, ThreadId(0)), Some(passed));
        assert_eq!(passing.end(&mut threads, ThreadId(0)), None, "once");
        passing.check_consistent(&threads).unwrap();

        // The server deleted it: the record ends with the slot's.
        passing.moved(&mut threads, at(1, 0), at(0, 1), call(2, 0));
        passing.forget(&mut threads, at(0, 1));
        assert_eq!(passing.end(&mut threads, ThreadId(2)), None);
        passing.forget(&mut threads, at(0, 0));
        passing.check_consistent(&threads).unwrap();

        // The server handed it on (a reply's or a send's transfer): the
        // record ends, and the move records nothing.
        passing.moved(&mut threads, at(1, 0), at(0, 1), call(2, 0));
        passing.moved(&mut threads, at(0, 1), at(1, 1), None);
        assert_eq!(threads.get(ThreadId(2)).unwrap().passed, None);
        passing.check_consistent(&threads).unwrap();
        // ... or in a call of its own: that call's record replaces it.
        passing.moved(&mut threads, at(1, 0), at(0, 1), call(2, 0));
        passing.moved(&mut threads, at(0, 1), at(1, 1), call(1, 1));
        assert_eq!(threads.get(ThreadId(2)).unwrap().passed, None);
        let mut seen = 0;
        passing.for_each(&threads, |t, p| {
            assert_eq!((t, p.landed), (ThreadId(1), at(1, 1)));
            seen += 1;
        });
        assert_eq!(seen, 1);
        passing.check_consistent(&threads).unwrap();
    }
}
