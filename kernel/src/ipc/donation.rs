//! Scheduling-context donation: whose time each thread runs on.
//!
//! A passive thread (a server whose partition has no window) has no time
//! of its own. When a call is delivered to it, it borrows its caller's:
//! it runs whenever its caller could (in the caller's partition's window),
//! until it replies. Calls nest (a passive server may call another), so
//! loans form chains, and the thread whose time a chain ends at is its
//! *time owner*. An active thread called by anyone runs on its own time.
//!
//! This is bookkeeping only — who lent to whom — and never schedules,
//! wakes or touches registers. Chains are bounded by the thread count and
//! can never form a cycle.

use super::thread_objects::ThreadTable;
use super::{IpcError, ThreadId};

/// One thread's loan state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Loan {
    lender: Option<ThreadId>,
    /// How many threads borrow this thread's time directly.
    borrowers: u16,
}

/// Every thread's loan state lives in its record.
impl ThreadTable<'_> {
    fn loan(&self, thread: ThreadId) -> Result<Loan, IpcError> {
        Ok(self.get(thread)?.loan)
    }

    /// Whose call `thread` is serving on borrowed time, if any.
    pub fn lender(&self, thread: ThreadId) -> Result<Option<ThreadId>, IpcError> {
        Ok(self.loan(thread)?.lender)
    }

    /// The thread whose time `thread` runs on: itself if active and not
    /// borrowing, the end of its chain of loans otherwise; `None` for a
    /// passive thread with no loan (it cannot run). `passive` says which
    /// threads have no time of their own. O(chain length).
    pub fn owner_of(
        &self,
        thread: ThreadId,
        passive: impl Fn(ThreadId) -> bool,
    ) -> Result<Option<ThreadId>, IpcError> {
        let mut current = thread;
        // A chain visits each thread at most once.
        for _ in 0..=self.len() {
            let loan = self.loan(current)?;
            match loan.lender {
                Some(lender) => current = lender,
                None if passive(current) => return Ok(None),
                None => return Ok(Some(current)),
            }
        }
        Err(IpcError::Cycle)
    }

    /// A call from `caller` was delivered to `server`: a passive server
    /// (`server_passive`: it has no time of its own) borrows the caller's
    /// time. Returns whether it did.
    pub fn donate(
        &mut self,
        caller: ThreadId,
        server: ThreadId,
        server_passive: bool,
    ) -> Result<bool, IpcError> {
        let loan = self.loan(server)?;
        self.loan(caller)?;
        if !server_passive {
            return Ok(false);
        }
        if loan.lender.is_some() {
            return Err(IpcError::ServerBusy);
        }
        // The server must not already be in the caller's chain.
        let mut current = Some(caller);
        for _ in 0..=self.len() {
            match current {
                None => break,
                Some(t) if t == server => return Err(IpcError::Cycle),
                Some(t) => current = self.at(t).loan.lender,
            }
        }
        self.record_loan(caller, server);
        Ok(true)
    }

    /// Records that `server` borrows `caller`'s time.
    fn record_loan(&mut self, caller: ThreadId, server: ThreadId) {
        self.at(server).loan.lender = Some(caller);
        self.at(caller).loan.borrowers += 1;
    }

    /// Checks that every borrower count is right (for tests; O(n²)).
    pub fn check_loans(&self) -> Result<(), &'static str> {
        for (index, record) in self.records().iter().enumerate() {
            let counted = self
                .records()
                .iter()
                .filter(|other| other.loan.lender.is_some_and(|l| l.index() == index))
                .count();
            if usize::from(record.loan.borrowers) != counted {
                return Err("a thread's borrower count is wrong");
            }
        }
        Ok(())
    }

    /// How many threads borrow `thread`'s time directly (0 for a thread
    /// that does not exist).
    pub fn borrowers(&self, thread: ThreadId) -> u16 {
        self.get(thread).map_or(0, |r| r.loan.borrowers)
    }

    /// A call from `caller` was handed to `server`, a passive thread that
    /// was waiting to receive and borrows no time: it borrows `caller`'s.
    /// O(1): a thread waiting to receive lends to nobody (a lender waits
    /// for a reply), so it cannot be in `caller`'s chain. Returns whether
    /// it did (not if `server` is active — `server_passive` false — or
    /// already borrowing).
    pub fn lend_to_receiver(
        &mut self,
        caller: ThreadId,
        server: ThreadId,
        server_passive: bool,
    ) -> bool {
        match self.get(server).map(|r| r.loan) {
            Ok(loan) if server_passive && loan.lender.is_none() && caller.index() < self.len() => {
                self.record_loan(caller, server);
                true
            }
            _ => false,
        }
    }

    /// `server` replied: it gives back the time it borrowed. Returns the
    /// lender, if it was borrowing.
    pub fn give_back(&mut self, server: ThreadId) -> Result<Option<ThreadId>, IpcError> {
        self.loan(server)?;
        let lender = self.at(server).loan.lender.take();
        if let Some(lender) = lender {
            self.at(lender).loan.borrowers -= 1;
        }
        Ok(lender)
    }

    /// `thread` is stopped. Threads serving it on its time keep running on
    /// the same time as before — their loans move to `thread`'s lender, or
    /// stay with `thread` if it was on its own time — so they can finish
    /// and reach their reply (which then fails) instead of hanging. Returns
    /// the thread whose time `thread` borrowed, if any (a caller waiting
    /// for its reply learns of the stop through its reply right).
    pub fn cancel_loans(&mut self, thread: ThreadId) -> Result<Option<ThreadId>, IpcError> {
        let lender = self.loan(thread)?.lender;
        if let Some(successor) = lender {
            let moved = self.at(thread).loan.borrowers;
            for record in self.records_mut() {
                if record.loan.lender == Some(thread) {
                    record.loan.lender = Some(successor);
                }
            }
            self.at(thread).loan.borrowers = 0;
            // `thread` stops borrowing; its borrowers borrow from its lender.
            self.at(successor).loan.borrowers += moved;
            self.at(successor).loan.borrowers -= 1;
        }
        self.at(thread).loan.lender = None;
        Ok(lender)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipc::thread_objects::ThreadObjects;

    fn t(i: u16) -> ThreadId {
        ThreadId(i)
    }

    /// Thread 0 active (a guest); 1, 2 and 3 passive servers.
    fn rig(records: &mut [ThreadObjects; 5]) -> ThreadTable<'_> {
        ThreadTable::new(records).unwrap()
    }

    fn passive(thread: ThreadId) -> bool {
        (1..=3).contains(&thread.0)
    }

    #[test]
    fn passive_servers_run_on_their_callers_time_until_they_reply() {
        let mut loans = [ThreadObjects::default(); 5];
        let mut d = rig(&mut loans);
        assert_eq!(d.owner_of(t(0), passive), Ok(Some(t(0))));
        assert_eq!(
            d.owner_of(t(1), passive),
            Ok(None),
            "passive and idle: cannot run"
        );
        assert_eq!(d.donate(t(0), t(1), passive(t(1))), Ok(true));
        assert_eq!(d.owner_of(t(1), passive), Ok(Some(t(0))));
        assert_eq!(d.lender(t(1)), Ok(Some(t(0))));
        assert_eq!(d.give_back(t(1)), Ok(Some(t(0))));
        assert_eq!(d.owner_of(t(1), passive), Ok(None));
        assert_eq!(d.give_back(t(1)), Ok(None));
    }

    #[test]
    fn active_servers_keep_their_own_time() {
        let mut loans = [ThreadObjects::default(); 5];
        let mut d = rig(&mut loans);
        assert_eq!(d.donate(t(1), t(4), passive(t(4))), Ok(false));
        assert_eq!(d.owner_of(t(4), passive), Ok(Some(t(4))));
    }

    #[test]
    fn nested_calls_chain_to_the_first_caller() {
        let mut loans = [ThreadObjects::default(); 5];
        let mut d = rig(&mut loans);
        d.donate(t(0), t(1), passive(t(1))).unwrap();
        d.donate(t(1), t(2), passive(t(2))).unwrap();
        d.donate(t(2), t(3), passive(t(3))).unwrap();
        for i in 1..=3 {
            assert_eq!(d.owner_of(t(i), passive), Ok(Some(t(0))));
        }
        assert_eq!(
            d.donate(t(4), t(2), passive(t(2))),
            Err(IpcError::ServerBusy)
        );
        assert_eq!(d.give_back(t(3)), Ok(Some(t(2))));
        assert_eq!(d.owner_of(t(3), passive), Ok(None));
        assert_eq!(d.owner_of(t(2), passive), Ok(Some(t(0))));
    }

    #[test]
    fn loans_never_form_a_cycle() {
        let mut loans = [ThreadObjects::default(); 5];
        let mut d = rig(&mut loans);
        d.donate(t(0), t(1), passive(t(1))).unwrap();
        d.donate(t(1), t(2), passive(t(2))).unwrap();
        d.give_back(t(1)).unwrap();
        // t1 is idle again but t2 still serves it; t2 calling t1 would loop.
        assert_eq!(d.donate(t(2), t(1), passive(t(1))), Err(IpcError::Cycle));
        assert_eq!(d.donate(t(3), t(3), passive(t(3))), Err(IpcError::Cycle));
        assert_eq!(
            d.donate(t(0), t(9), passive(t(9))),
            Err(IpcError::OutOfRange)
        );
    }

    #[test]
    fn stopping_a_server_mid_chain_names_its_caller_and_keeps_the_rest_running() {
        let mut loans = [ThreadObjects::default(); 5];
        let mut d = rig(&mut loans);
        d.donate(t(0), t(1), passive(t(1))).unwrap();
        d.donate(t(1), t(2), passive(t(2))).unwrap();
        assert_eq!(d.cancel_loans(t(1)), Ok(Some(t(0))), "t0 gets an error");
        assert_eq!(d.lender(t(1)), Ok(None));
        assert_eq!(
            d.owner_of(t(2), passive),
            Ok(Some(t(0))),
            "t2 finishes on t0's time"
        );
        assert_eq!(
            d.cancel_loans(t(3)),
            Ok(None),
            "an idle server had no caller"
        );
    }

    #[test]
    fn stopping_an_active_caller_leaves_its_server_on_its_time() {
        let mut loans = [ThreadObjects::default(); 5];
        let mut d = rig(&mut loans);
        d.donate(t(0), t(1), passive(t(1))).unwrap();
        assert_eq!(d.cancel_loans(t(0)), Ok(None));
        assert_eq!(d.owner_of(t(1), passive), Ok(Some(t(0))));
    }
}
