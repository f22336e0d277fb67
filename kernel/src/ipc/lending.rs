//! Transient grants: the capability a caller lends its server for one
//! call, recorded both ways — by the calling thread (what to destroy when
//! the call is answered) and by the slot it landed in (so the slot is
//! pinned: its holder can neither delete nor pass it on while the call
//! lasts).
//!
//! A record ends in exactly one of two ways: the call is answered (or
//! abandoned) and the kernel destroys the lent capability with everything
//! derived from it ([`Lending::end`]), or the capability is destroyed first
//! by a revoke of one of its ancestors ([`Lending::forget`]). Either way
//! both sides are cleared together, so a record never names a slot that
//! holds something else. This module only keeps records; it never touches
//! capabilities or mappings.

use crate::cap::layout::{SlotRef, SpaceLayout};
use crate::cap::CapError;

use super::thread_objects::ThreadTable;
use super::ThreadId;

/// Which thread lent the capability each slot holds. The other side —
/// the slot each calling thread lent into — is in the threads' records
/// ([`ThreadTable`]), which every operation is given.
#[derive(Debug)]
pub struct Lending<'a> {
    layout: SpaceLayout<'a>,
    /// Per slot of the system: the thread that lent what it holds.
    by_slot: &'a mut [Option<ThreadId>],
}

impl<'a> Lending<'a> {
    /// No loans, over `by_slot` (one per slot of `layout`); `None` if its
    /// length is wrong.
    pub fn new(
        layout: SpaceLayout<'a>,
        by_slot: &'a mut [Option<ThreadId>],
    ) -> Option<Lending<'a>> {
        if by_slot.len() != layout.total() {
            return None;
        }
        by_slot.fill(None);
        Some(Lending { layout, by_slot })
    }

    /// Checks that `caller` may lend into `at`: both exist and neither is
    /// in a loan already.
    pub fn check(
        &self,
        threads: &ThreadTable<'_>,
        caller: ThreadId,
        at: SlotRef,
    ) -> Result<(), CapError> {
        let index = self.layout.global(at)?;
        let record = threads.get(caller).map_err(|_| CapError::OutOfRange)?;
        match (record.lent, self.by_slot[index]) {
            (None, None) => Ok(()),
            _ => Err(CapError::SlotOccupied),
        }
    }

    /// Records that `caller` lent the capability now in `at`.
    pub fn lend(
        &mut self,
        threads: &mut ThreadTable<'_>,
        caller: ThreadId,
        at: SlotRef,
    ) -> Result<(), CapError> {
        self.check(threads, caller, at)?;
        let index = self.layout.global(at)?;
        threads.at(caller).lent = Some(at);
        self.by_slot[index] = Some(caller);
        Ok(())
    }

    /// Whether the capability in `at` is lent for a call in progress.
    pub fn is_lent(&self, at: SlotRef) -> bool {
        self.layout
            .global(at)
            .is_ok_and(|index| self.is_lent_global(index))
    }

    /// Whether the capability in the slot with global number `index` is
    /// lent for a call in progress.
    pub fn is_lent_global(&self, index: usize) -> bool {
        self.by_slot.get(index).is_some_and(Option::is_some)
    }

    /// `caller`'s call was answered or abandoned: the slot of the
    /// capability it lent, which the caller must destroy (with everything
    /// derived from it).
    pub fn end(&mut self, threads: &mut ThreadTable<'_>, caller: ThreadId) -> Option<SlotRef> {
        let at = threads.get_mut(caller).ok()?.lent.take()?;
        if let Ok(index) = self.layout.global(at) {
            self.by_slot[index] = None;
        }
        Some(at)
    }

    /// The capability in `at` was destroyed: the loan, if it was one, is
    /// over.
    pub fn forget(&mut self, threads: &mut ThreadTable<'_>, at: SlotRef) {
        let Ok(index) = self.layout.global(at) else {
            return;
        };
        if let Some(caller) = self.by_slot[index].take() {
            if let Ok(record) = threads.get_mut(caller) {
                record.lent = None;
            }
        }
    }

    /// Calls `visit` with every slot that holds a lent capability.
    pub fn for_each_lent(&self, threads: &ThreadTable<'_>, mut visit: impl FnMut(SlotRef)) {
        for slot in threads.records().iter().filter_map(|r| r.lent) {
            visit(slot);
        }
    }

    /// Checks that both sides agree (for tests).
    pub fn check_consistent(&self, threads: &ThreadTable<'_>) -> Result<(), &'static str> {
        for (thread, record) in threads.records().iter().enumerate() {
            if let Some(at) = record.lent {
                let index = self.layout.global(at).map_err(|_| "bad slot")?;
                if self.by_slot[index] != Some(ThreadId(thread as u16)) {
                    return Err("a caller's loan is not recorded by its slot");
                }
            }
        }
        for (index, caller) in self.by_slot.iter().enumerate() {
            if let Some(caller) = caller {
                let at = self.layout.slot_ref(index).map_err(|_| "bad slot")?;
                if threads.lent(*caller) != Some(at) {
                    return Err("a slot's loan is not recorded by its caller");
                }
            }
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
    fn a_loan_ends_once_either_way() {
        let layout = SpaceLayout::of_sizes(&[2, 2]).unwrap();
        let (mut records, mut slots) = ([ThreadObjects::default(); 3], [None; 4]);
        let mut threads = ThreadTable::new(&mut records).unwrap();
        let mut lending = Lending::new(layout, &mut slots).unwrap();
        lending.lend(&mut threads, ThreadId(0), at(1, 1)).unwrap();
        assert!(lending.is_lent(at(1, 1)));
        assert_eq!(
            lending.lend(&mut threads, ThreadId(0), at(1, 0)),
            Err(CapError::SlotOccupied),
            "one loan per call"
        );
        assert_eq!(
            lending.lend(&mut threads, ThreadId(1), at(1, 1)),
            Err(CapError::SlotOccupied)
        );
        assert_eq!(
            lending.lend(&mut threads, ThreadId(9), at(1, 0)),
            Err(CapError::OutOfRange)
        );
        lending.check_consistent(&threads).unwrap();
        assert_eq!(lending.end(&mut threads, ThreadId(0)), Some(at(1, 1)));
        assert_eq!(lending.end(&mut threads, ThreadId(0)), None);
        assert!(!lending.is_lent(at(1, 1)));

        lending.lend(&mut threads, ThreadId(2), at(0, 1)).unwrap();
        lending.forget(&mut threads, at(0, 1));
        assert_eq!(
            lending.end(&mut threads, ThreadId(2)),
            None,
            "destroyed first: nothing to end"
        );
        lending.forget(&mut threads, at(0, 0));
        lending.check_consistent(&threads).unwrap();
    }
}
