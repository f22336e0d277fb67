//! The manager's books: per guest the frames it holds (the manager's own
//! count, trusted), its bounds, its target and its latest pressure report;
//! the reserve (the capability slots holding frames no guest has) and the
//! empty slots frames can be received into; and the frames it took from
//! the tmem pool less those it gave it.
//!
//! Every operation checks first and changes nothing when it refuses, so
//! `held` summed over the guests plus the reserve, less the frames taken
//! from the pool net, is the same after any sequence of operations: frames
//! are conserved. No guest goes past its
//! ceiling or below its floor through the ledger, whatever it reports or
//! asks: a take is owed only up to the target the policy set, which the
//! policy keeps within bounds, and never past the ceiling.

use alloc::vec::Vec;

use memory_manager_protocol::{Pressure, Refusal};
use memory_policy::{GuestBounds, GuestReport, Plan, Policy, PoolMove, PoolReport, ReserveReport};

/// Why the ledger could not be set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LedgerError {
    /// A guest boots outside its bounds.
    BootOutsideBounds,
    /// Fewer empty slots than frames that could ever be given back.
    TooFewSlots,
}

impl LedgerError {
    /// A short description for logs.
    pub const fn name(self) -> &'static str {
        match self {
            LedgerError::BootOutsideBounds => "a guest boots outside its bounds",
            LedgerError::TooFewSlots => "too few slots to receive frames into",
        }
    }
}

/// One guest's account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Account {
    /// Its bounds.
    pub bounds: GuestBounds,
    /// Frames it holds, as the manager counts them.
    pub held: u32,
    /// Frames the policy wants it to hold.
    pub target: u32,
    /// Its latest report (its own word).
    pub latest: Pressure,
    /// Its pages in tmem's persistent pools, as the tmem server counts.
    pub frontswap: u32,
    /// It said it has nothing more to do.
    pub idle: bool,
}

/// The books.
#[derive(Clone, Debug)]
pub struct Ledger {
    guests: Vec<Account>,
    reserve: Vec<u16>,
    empty: Vec<u16>,
    expected: u32,
    from_pool: i64,
}

impl Ledger {
    /// Books for guests booting with `held` frames within `bounds` each, a
    /// reserve of frames in `reserve` slots, and `empty` slots to receive
    /// frames into (at least one per frame the guests hold).
    pub fn new(
        guests: impl IntoIterator<Item = (GuestBounds, u32)>,
        reserve: Vec<u16>,
        empty: Vec<u16>,
    ) -> Result<Ledger, LedgerError> {
        let mut accounts = Vec::new();
        for (bounds, held) in guests {
            if held < bounds.floor || held > bounds.ceiling {
                return Err(LedgerError::BootOutsideBounds);
            }
            accounts.push(Account {
                bounds,
                held,
                target: held,
                latest: Pressure::default(),
                frontswap: 0,
                idle: false,
            });
        }
        let guest_frames: u32 = accounts.iter().map(|a| a.held).sum();
        if (empty.len() as u32) < guest_frames {
            return Err(LedgerError::TooFewSlots);
        }
        let expected = guest_frames + reserve.len() as u32;
        Ok(Ledger {
            guests: accounts,
            reserve,
            empty,
            expected,
            from_pool: 0,
        })
    }

    /// The accounts, guest 0 first.
    pub fn guests(&self) -> &[Account] {
        &self.guests
    }

    /// Frames in the reserve.
    pub fn reserve(&self) -> u32 {
        self.reserve.len() as u32
    }

    /// Frames the guests and the reserve hold now.
    pub fn total(&self) -> u32 {
        self.guests.iter().map(|a| a.held).sum::<u32>() + self.reserve()
    }

    /// Frames the guests and the reserve should hold now: those there
    /// were at the start and those taken from the pool, net.
    pub fn expected(&self) -> u32 {
        (i64::from(self.expected) + self.from_pool) as u32
    }

    /// Frames taken from the tmem pool less frames given to it.
    pub fn from_pool(&self) -> i64 {
        self.from_pool
    }

    /// Empty slots: frames the manager has room to receive.
    pub fn room(&self) -> u32 {
        self.empty.len() as u32
    }

    /// A frame from the pool landed in the empty slot `landed`: it joins
    /// the reserve. Refused with `NotAFrame` (nothing changes) when
    /// `landed` is not one of the empty slots.
    pub fn from_pool_landed(&mut self, landed: u16) -> Result<(), Refusal> {
        self.book_in_reserve(landed)?;
        self.from_pool += 1;
        Ok(())
    }

    /// Moves the empty slot `landed`, where a frame just landed, into the
    /// reserve; `NotAFrame` (nothing changes) if it is not an empty slot.
    fn book_in_reserve(&mut self, landed: u16) -> Result<(), Refusal> {
        let at = self
            .empty
            .iter()
            .rposition(|&s| s == landed)
            .ok_or(Refusal::NotAFrame)?;
        self.empty.remove(at);
        self.reserve.push(landed);
        Ok(())
    }

    /// A frame of the reserve goes to the pool: the slot holding it.
    /// `None` (nothing changes) when the reserve is empty.
    pub fn to_pool(&mut self) -> Option<u16> {
        let slot = self.reserve.pop()?;
        self.empty.push(slot);
        self.from_pool -= 1;
        Some(slot)
    }

    /// An empty slot other than `besides`: where a frame lands during a
    /// call or reply that passes the frame in `besides` (a slot [`take`]
    /// or [`to_pool`] just emptied in the books), so that afterwards
    /// `besides` still says whether that frame left — a frame that came
    /// in meanwhile is elsewhere.
    ///
    /// [`take`]: Self::take
    /// [`to_pool`]: Self::to_pool
    pub fn receive_slot_besides(&self, besides: Option<u16>) -> Option<u16> {
        self.empty
            .iter()
            .rev()
            .copied()
            .find(|&s| Some(s) != besides)
    }

    /// The frame sent from slot `sent` to the pool did not stay there: it
    /// is now in slot `now_in` (`sent` itself if it never left, or the
    /// slot it came back to) and the reserve's again.
    pub fn to_pool_undone(&mut self, sent: u16, now_in: u16) {
        let Some(at) = self.empty.iter().rposition(|&s| s == now_in) else {
            return;
        };
        if !self.empty.contains(&sent) {
            return;
        }
        self.empty.swap_remove(at);
        self.reserve.push(now_in);
        self.from_pool += 1;
    }

    /// Frames this period's targets grant the guests beyond what they hold.
    pub fn owed(&self) -> u32 {
        self.guests
            .iter()
            .map(|a| a.target.min(a.bounds.ceiling).saturating_sub(a.held))
            .sum()
    }

    /// What `policy` moves between the reserve and a pool that could give
    /// `pool_movable` frames, keeping `keep` beyond what is owed.
    pub fn pool_move(&self, policy: &dyn Policy, keep: u32, pool_movable: u32) -> PoolMove {
        policy.pool_move(&ReserveReport {
            reserve: self.reserve(),
            owed: self.owed(),
            keep,
            pool_movable,
            room: self.room(),
        })
    }

    /// The empty slot the next frame lands in, when nothing is being
    /// passed the other way ([`Self::receive_slot_besides`] when it is).
    pub fn receive_slot(&self) -> Option<u16> {
        self.receive_slot_besides(None)
    }

    fn account(&mut self, guest: usize) -> Result<&mut Account, Refusal> {
        self.guests.get_mut(guest).ok_or(Refusal::UnknownGuest)
    }

    /// Records `guest`'s report.
    pub fn report(&mut self, guest: usize, pressure: Pressure) -> Result<(), Refusal> {
        let account = self.account(guest)?;
        account.latest = pressure;
        account.idle = !pressure.busy;
        Ok(())
    }

    /// Records the tmem server's count of `guest`'s persistent pages.
    pub fn set_frontswap(&mut self, guest: usize, pages: u32) {
        if let Some(account) = self.guests.get_mut(guest) {
            account.frontswap = pages;
        }
    }

    /// Whether `guest` may give a frame back: it would stay at or above
    /// its floor.
    pub fn may_give(&self, guest: usize) -> Result<(), Refusal> {
        let account = self.guests.get(guest).ok_or(Refusal::UnknownGuest)?;
        if account.held <= account.bounds.floor {
            return Err(Refusal::NotOwed);
        }
        if self.empty.is_empty() {
            return Err(Refusal::NotOwed);
        }
        Ok(())
    }

    /// `guest` gave the frame that landed in the empty slot `landed`: it
    /// joins the reserve. Refused (nothing changes) when
    /// [`Self::may_give`] refuses, or with `NotAFrame` when `landed` is
    /// not one of the empty slots.
    pub fn give(&mut self, guest: usize, landed: u16) -> Result<(), Refusal> {
        self.may_give(guest)?;
        self.book_in_reserve(landed)?;
        self.guests[guest].held -= 1;
        Ok(())
    }

    /// `guest` takes a frame from the reserve: returns the slot holding
    /// it (to pass with the reply). Owed only below the guest's target
    /// and its ceiling; refused (nothing changes) otherwise or when the
    /// reserve is empty.
    pub fn take(&mut self, guest: usize) -> Result<u16, Refusal> {
        let account = self.guests.get(guest).ok_or(Refusal::UnknownGuest)?;
        let owed = account.target.min(account.bounds.ceiling);
        if account.held >= owed {
            return Err(Refusal::NotOwed);
        }
        let slot = self.reserve.pop().ok_or(Refusal::ReserveEmpty)?;
        self.empty.push(slot);
        self.guests[guest].held += 1;
        Ok(slot)
    }

    /// The frame taken from `slot` for `guest` never left (the reply
    /// carrying it was not delivered): it goes back to the reserve.
    pub fn untake(&mut self, guest: usize, slot: u16) {
        if let (Some(at), Some(account)) = (
            self.empty.iter().rposition(|&s| s == slot),
            self.guests.get_mut(guest),
        ) {
            if account.held > 0 {
                self.empty.swap_remove(at);
                self.reserve.push(slot);
                account.held -= 1;
            }
        }
    }

    /// Runs `policy` over the guests' latest reports, the reserve and
    /// the `pool_movable` frames the tmem pool could give, and sets their
    /// targets. Returns the plan.
    pub fn plan(&mut self, policy: &mut dyn Policy, pool_movable: u32) -> Plan {
        let mut reports = Vec::with_capacity(self.guests.len());
        for account in &self.guests {
            reports.push(GuestReport {
                bounds: account.bounds,
                held: account.held,
                committed: account.latest.committed,
                frontswap: account.frontswap,
            });
        }
        // The reserve and the pool's movable frames are the unassigned
        // memory the guests grow from (at most what the manager has room
        // to receive comes from the pool).
        let from_pool = pool_movable.min(self.room());
        let pool = PoolReport {
            free: self.reserve().saturating_add(from_pool),
            ephemeral: 0,
            persistent: 0,
        };
        let plan = policy.plan(&reports, &pool);
        for (account, decision) in self.guests.iter_mut().zip(plan.decisions()) {
            let bounds = account.bounds;
            account.target = decision
                .target
                .clamp(bounds.floor.min(bounds.ceiling), bounds.ceiling);
        }
        plan
    }

    /// The run is over: no guest is owed anything more (every target is
    /// what the guest holds).
    pub fn settle(&mut self) {
        for account in &mut self.guests {
            account.target = account.held;
        }
    }

    /// Whether every guest said it is idle: the run is over.
    pub fn all_idle(&self) -> bool {
        self.guests.iter().all(|a| a.idle)
    }
}

#[cfg(test)]
mod tests;
