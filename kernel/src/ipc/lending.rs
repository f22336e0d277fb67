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

use super::ThreadId;

/// Who lent which capability.
#[derive(Debug)]
pub struct Lending<'a> {
    layout: SpaceLayout<'a>,
    /// Per calling thread: the slot its lent capability is in.
    by_caller: &'a mut [Option<SlotRef>],
    /// Per slot of the system: the thread that lent what it holds.
    by_slot: &'a mut [Option<ThreadId>],
}

impl<'a> Lending<'a> {
    /// No loans, over `by_caller` (one per thread) and `by_slot` (one per
    /// slot of `layout`); `None` if a length is wrong.
    pub fn new(
        layout: SpaceLayout<'a>,
        by_caller: &'a mut [Option<SlotRef>],
        by_slot: &'a mut [Option<ThreadId>],
    ) -> Option<Lending<'a>> {
        if by_slot.len() != layout.total() || by_caller.len() > usize::from(u16::MAX) {
            return None;
        }
        by_caller.fill(None);
        by_slot.fill(None);
        Some(Lending {
            layout,
            by_caller,
            by_slot,
        })
    }

    /// Checks that `caller` may lend into `at`: both exist and neither is
    /// in a loan already.
    pub fn check(&self, caller: ThreadId, at: SlotRef) -> Result<(), CapError> {
        let index = self.layout.global(at)?;
        match (self.by_caller.get(caller.index()), self.by_slot[index]) {
            (Some(None), None) => Ok(()),
            (None, _) => Err(CapError::OutOfRange),
            _ => Err(CapError::SlotOccupied),
        }
    }

    /// Records that `caller` lent the capability now in `at`.
    pub fn lend(&mut self, caller: ThreadId, at: SlotRef) -> Result<(), CapError> {
        self.check(caller, at)?;
        let index = self.layout.global(at)?;
        self.by_caller[caller.index()] = Some(at);
        self.by_slot[index] = Some(caller);
        Ok(())
    }

    /// Whether `caller` has a capability out on loan. O(1).
    pub fn is_lending(&self, caller: ThreadId) -> bool {
        self.by_caller
            .get(caller.index())
            .is_some_and(Option::is_some)
    }

    /// Whether the capability in `at` is lent for a call in progress.
    pub fn is_lent(&self, at: SlotRef) -> bool {
        self.layout
            .global(at)
            .is_ok_and(|index| self.by_slot[index].is_some())
    }

    /// `caller`'s call was answered or abandoned: the slot of the
    /// capability it lent, which the caller must destroy (with everything
    /// derived from it).
    pub fn end(&mut self, caller: ThreadId) -> Option<SlotRef> {
        let at = self.by_caller.get_mut(caller.index())?.take()?;
        if let Ok(index) = self.layout.global(at) {
            self.by_slot[index] = None;
        }
        Some(at)
    }

    /// The capability in `at` was destroyed: the loan, if it was one, is
    /// over.
    pub fn forget(&mut self, at: SlotRef) {
        let Ok(index) = self.layout.global(at) else {
            return;
        };
        if let Some(caller) = self.by_slot[index].take() {
            self.by_caller[caller.index()] = None;
        }
    }

    /// Calls `visit` with every slot that holds a lent capability.
    pub fn for_each_lent(&self, mut visit: impl FnMut(SlotRef)) {
        for slot in self.by_caller.iter().flatten() {
            visit(*slot);
        }
    }

    /// Checks that both sides agree (for tests).
    pub fn check_consistent(&self) -> Result<(), &'static str> {
        for (thread, at) in self.by_caller.iter().enumerate() {
            if let Some(at) = at {
                let index = self.layout.global(*at).map_err(|_| "bad slot")?;
                if self.by_slot[index] != Some(ThreadId(thread as u16)) {
                    return Err("a caller's loan is not recorded by its slot");
                }
            }
        }
        for (index, caller) in self.by_slot.iter().enumerate() {
            if let Some(caller) = caller {
                let at = self.layout.slot_ref(index).map_err(|_| "bad slot")?;
                if self.by_caller.get(caller.index()).copied().flatten() != Some(at) {
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

    fn at(p: u8, s: u16) -> SlotRef {
        SlotRef::new(p, s)
    }

    #[test]
    fn a_loan_ends_once_either_way() {
        let layout = SpaceLayout::of_sizes(&[2, 2]).unwrap();
        let (mut callers, mut slots) = ([None; 3], [None; 4]);
        let mut lending = Lending::new(layout, &mut callers, &mut slots).unwrap();
        lending.lend(ThreadId(0), at(1, 1)).unwrap();
        assert!(lending.is_lent(at(1, 1)));
        assert_eq!(
            lending.lend(ThreadId(0), at(1, 0)),
            Err(CapError::SlotOccupied),
            "one loan per call"
        );
        assert_eq!(
            lending.lend(ThreadId(1), at(1, 1)),
            Err(CapError::SlotOccupied)
        );
        assert_eq!(
            lending.lend(ThreadId(9), at(1, 0)),
            Err(CapError::OutOfRange)
        );
        lending.check_consistent().unwrap();
        assert_eq!(lending.end(ThreadId(0)), Some(at(1, 1)));
        assert_eq!(lending.end(ThreadId(0)), None);
        assert!(!lending.is_lent(at(1, 1)));

        lending.lend(ThreadId(2), at(0, 1)).unwrap();
        lending.forget(at(0, 1));
        assert_eq!(
            lending.end(ThreadId(2)),
            None,
            "destroyed first: nothing to end"
        );
        lending.forget(at(0, 0));
        lending.check_consistent().unwrap();
    }
}
