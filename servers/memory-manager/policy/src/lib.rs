//! The memory manager's policies, as pure functions: given what each guest
//! and the tmem server report at the end of a period, how many frames each
//! guest should hold next, and how many pages each should take back out of
//! frontswap. The manager partition turns a [`Plan`] into frame transfers;
//! nothing here moves memory, talks to anyone or keeps time.
//!
//! What a guest says about itself ([`GuestReport::committed`]) is not
//! trusted: every policy keeps each guest between the floor and the ceiling
//! the system description gives it ([`GuestBounds`]), and never gives out
//! more frames than the pool can free. So a guest that lies can neither get
//! memory past its ceiling nor push another guest below its floor.
//!
//! Two policies, to compare: [`SelfBalloon`] (Xen's self-ballooning with
//! frontswap self-shrinking) and [`Fixed`] (static partitioning: no
//! ballooning, tmem only). Each also decides whether frames move between
//! the manager's reserve and the tmem pool ([`PoolMove`]): self-ballooning
//! funds growth from the pool and gives it the surplus
//! ([`balance_reserve`]); static never moves a frame.

#![no_std]

mod fit;
mod fixed;
mod plan;
mod pool;
mod report;
mod selfballoon;

pub use fit::fit_to_pool;
pub use fixed::Fixed;
pub use plan::{Decision, Move, Plan, MAX_GUESTS};
pub use pool::{balance_reserve, PoolMove, ReserveReport};
pub use report::{GuestBounds, GuestReport, PoolReport};
pub use selfballoon::{SelfBalloon, SelfBalloonTuning};

/// A memory policy: one decision per guest per period.
pub trait Policy {
    /// A short name for reports (`selfballoon`, `static`).
    fn name(&self) -> &'static str;

    /// Decides the next period. `guests[i]` is guest `i`'s report; the
    /// plan has one decision per guest, in the same order. Guests beyond
    /// [`MAX_GUESTS`] are left as they are.
    fn plan(&mut self, guests: &[GuestReport], pool: &PoolReport) -> Plan;

    /// What moves between the manager's reserve and the tmem pool after
    /// this period's plan.
    fn pool_move(&self, reserve: &ReserveReport) -> PoolMove;
}
