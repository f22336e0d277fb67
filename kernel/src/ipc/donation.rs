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

use super::{IpcError, ThreadId};

/// One thread's loan state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Loan {
    passive: bool,
    lender: Option<ThreadId>,
    /// How many threads borrow this thread's time directly.
    borrowers: u16,
}

/// Every thread's loan state, in a boot-sized table.
#[derive(Debug)]
pub struct Donations<'a> {
    loans: &'a mut [Loan],
}

impl<'a> Donations<'a> {
    /// Every thread active and on its own time.
    pub fn new(loans: &'a mut [Loan]) -> Donations<'a> {
        loans.fill(Loan::default());
        Donations { loans }
    }

    fn loan(&self, thread: ThreadId) -> Result<Loan, IpcError> {
        self.loans
            .get(thread.index())
            .copied()
            .ok_or(IpcError::OutOfRange)
    }

    /// Marks `thread` passive (it has no time of its own) or active.
    pub fn set_passive(&mut self, thread: ThreadId, passive: bool) -> Result<(), IpcError> {
        self.loan(thread)?;
        self.loans[thread.index()].passive = passive;
        Ok(())
    }

    /// Whether `thread` has no time of its own.
    pub fn is_passive(&self, thread: ThreadId) -> Result<bool, IpcError> {
        Ok(self.loan(thread)?.passive)
    }

    /// Whose call `thread` is serving on borrowed time, if any.
    pub fn lender(&self, thread: ThreadId) -> Result<Option<ThreadId>, IpcError> {
        Ok(self.loan(thread)?.lender)
    }

    /// The thread whose time `thread` runs on: itself if active and not
    /// borrowing, the end of its chain of loans otherwise; `None` for a
    /// passive thread with no loan (it cannot run). O(chain length).
    pub fn owner_of(&self, thread: ThreadId) -> Result<Option<ThreadId>, IpcError> {
        let mut current = thread;
        // A chain visits each thread at most once.
        for _ in 0..=self.loans.len() {
            let loan = self.loan(current)?;
            match loan.lender {
                Some(lender) => current = lender,
                None if loan.passive => return Ok(None),
                None => return Ok(Some(current)),
            }
        }
        Err(IpcError::Cycle)
    }

    /// A call from `caller` was delivered to `server`: a passive server
    /// borrows the caller's time. Returns whether it did.
    pub fn donate(&mut self, caller: ThreadId, server: ThreadId) -> Result<bool, IpcError> {
        let loan = self.loan(server)?;
        self.loan(caller)?;
        if !loan.passive {
            return Ok(false);
        }
        if loan.lender.is_some() {
            return Err(IpcError::ServerBusy);
        }
        // The server must not already be in the caller's chain.
        let mut current = Some(caller);
        for _ in 0..=self.loans.len() {
            match current {
                None => break,
                Some(t) if t == server => return Err(IpcError::Cycle),
                Some(t) => current = self.loans[t.index()].lender,
            }
        }
        self.lend(caller, server);
        Ok(true)
    }

    /// Records that `server` borrows `caller`'s time.
    fn lend(&mut self, caller: ThreadId, server: ThreadId) {
        self.loans[server.index()].lender = Some(caller);
        self.loans[caller.index()].borrowers += 1;
    }

    /// Checks that every borrower count is right (for tests; O(n²)).
    pub fn check(&self) -> Result<(), &'static str> {
        for (index, loan) in self.loans.iter().enumerate() {
            let counted = self
                .loans
                .iter()
                .filter(|other| other.lender.is_some_and(|l| l.index() == index))
                .count();
            if usize::from(loan.borrowers) != counted {
                return Err("a thread's borrower count is wrong");
            }
        }
        Ok(())
    }

    /// How many threads borrow `thread`'s time directly (0 for a thread
    /// that does not exist).
    pub fn borrowers(&self, thread: ThreadId) -> u16 {
        self.loans
            .get(thread.index())
            .map_or(0, |loan| loan.borrowers)
    }

    /// A call from `caller` was handed to `server`, a passive thread that
    /// was waiting to receive and borrows no time: it borrows `caller`'s.
    /// O(1): a thread waiting to receive lends to nobody (a lender waits
    /// for a reply), so it cannot be in `caller`'s chain. Returns whether
    /// it did (not if `server` is active or already borrowing).
    pub fn lend_to_receiver(&mut self, caller: ThreadId, server: ThreadId) -> bool {
        match self.loans.get(server.index()) {
            Some(loan)
                if loan.passive && loan.lender.is_none() && caller.index() < self.loans.len() =>
            {
                self.lend(caller, server);
                true
            }
            _ => false,
        }
    }

    /// `server` replied: it gives back the time it borrowed. Returns the
    /// lender, if it was borrowing.
    pub fn give_back(&mut self, server: ThreadId) -> Result<Option<ThreadId>, IpcError> {
        self.loan(server)?;
        let lender = self.loans[server.index()].lender.take();
        if let Some(lender) = lender {
            self.loans[lender.index()].borrowers -= 1;
        }
        Ok(lender)
    }

    /// `thread` is stopped. Threads serving it on its time keep running on
    /// the same time as before — their loans move to `thread`'s lender, or
    /// stay with `thread` if it was on its own time — so they can finish
    /// and reach their reply (which then fails) instead of hanging. Returns
    /// the thread whose time `thread` borrowed, if any (a caller waiting
    /// for its reply learns of the stop through its reply right).
    pub fn cancel(&mut self, thread: ThreadId) -> Result<Option<ThreadId>, IpcError> {
        let lender = self.loan(thread)?.lender;
        if let Some(successor) = lender {
            let moved = self.loans[thread.index()].borrowers;
            for loan in self.loans.iter_mut() {
                if loan.lender == Some(thread) {
                    loan.lender = Some(successor);
                }
            }
            self.loans[thread.index()].borrowers = 0;
            // `thread` stops borrowing; its borrowers borrow from its lender.
            self.loans[successor.index()].borrowers += moved;
            self.loans[successor.index()].borrowers -= 1;
        }
        self.loans[thread.index()].lender = None;
        Ok(lender)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(i: u16) -> ThreadId {
        ThreadId(i)
    }

    /// Thread 0 active (a guest); 1, 2 and 3 passive servers.
    fn rig(loans: &mut [Loan; 5]) -> Donations<'_> {
        let mut d = Donations::new(loans);
        for i in 1..=3 {
            d.set_passive(t(i), true).unwrap();
        }
        d
    }

    #[test]
    fn passive_servers_run_on_their_callers_time_until_they_reply() {
        let mut loans = [Loan::default(); 5];
        let mut d = rig(&mut loans);
        assert_eq!(d.owner_of(t(0)), Ok(Some(t(0))));
        assert_eq!(d.owner_of(t(1)), Ok(None), "passive and idle: cannot run");
        assert_eq!(d.donate(t(0), t(1)), Ok(true));
        assert_eq!(d.owner_of(t(1)), Ok(Some(t(0))));
        assert_eq!(d.lender(t(1)), Ok(Some(t(0))));
        assert_eq!(d.give_back(t(1)), Ok(Some(t(0))));
        assert_eq!(d.owner_of(t(1)), Ok(None));
        assert_eq!(d.give_back(t(1)), Ok(None));
    }

    #[test]
    fn active_servers_keep_their_own_time() {
        let mut loans = [Loan::default(); 5];
        let mut d = rig(&mut loans);
        assert_eq!(d.donate(t(1), t(4)), Ok(false));
        assert_eq!(d.owner_of(t(4)), Ok(Some(t(4))));
        assert_eq!(d.is_passive(t(4)), Ok(false));
    }

    #[test]
    fn nested_calls_chain_to_the_first_caller() {
        let mut loans = [Loan::default(); 5];
        let mut d = rig(&mut loans);
        d.donate(t(0), t(1)).unwrap();
        d.donate(t(1), t(2)).unwrap();
        d.donate(t(2), t(3)).unwrap();
        for i in 1..=3 {
            assert_eq!(d.owner_of(t(i)), Ok(Some(t(0))));
        }
        assert_eq!(d.donate(t(4), t(2)), Err(IpcError::ServerBusy));
        assert_eq!(d.give_back(t(3)), Ok(Some(t(2))));
        assert_eq!(d.owner_of(t(3)), Ok(None));
        assert_eq!(d.owner_of(t(2)), Ok(Some(t(0))));
    }

    #[test]
    fn loans_never_form_a_cycle() {
        let mut loans = [Loan::default(); 5];
        let mut d = rig(&mut loans);
        d.donate(t(0), t(1)).unwrap();
        d.donate(t(1), t(2)).unwrap();
        d.give_back(t(1)).unwrap();
        // t1 is idle again but t2 still serves it; t2 calling t1 would loop.
        assert_eq!(d.donate(t(2), t(1)), Err(IpcError::Cycle));
        assert_eq!(d.donate(t(3), t(3)), Err(IpcError::Cycle));
        assert_eq!(d.donate(t(0), t(9)), Err(IpcError::OutOfRange));
    }

    #[test]
    fn stopping_a_server_mid_chain_names_its_caller_and_keeps_the_rest_running() {
        let mut loans = [Loan::default(); 5];
        let mut d = rig(&mut loans);
        d.donate(t(0), t(1)).unwrap();
        d.donate(t(1), t(2)).unwrap();
        assert_eq!(d.cancel(t(1)), Ok(Some(t(0))), "t0 gets an error");
        assert_eq!(d.lender(t(1)), Ok(None));
        assert_eq!(d.owner_of(t(2)), Ok(Some(t(0))), "t2 finishes on t0's time");
        assert_eq!(d.cancel(t(3)), Ok(None), "an idle server had no caller");
    }

    #[test]
    fn stopping_an_active_caller_leaves_its_server_on_its_time() {
        let mut loans = [Loan::default(); 5];
        let mut d = rig(&mut loans);
        d.donate(t(0), t(1)).unwrap();
        assert_eq!(d.cancel(t(0)), Ok(None));
        assert_eq!(d.owner_of(t(1)), Ok(Some(t(0))));
    }
}
