//! Static partitioning: every guest keeps the frames it was given at boot;
//! only tmem absorbs pressure. The baseline self-ballooning is compared to.

use crate::plan::Plan;
use crate::report::{GuestReport, PoolReport};
use crate::{Policy, PoolMove, ReserveReport};

/// No ballooning: every target is what the guest holds.
#[derive(Clone, Copy, Debug, Default)]
pub struct Fixed;

impl Policy for Fixed {
    fn name(&self) -> &'static str {
        "static"
    }

    fn plan(&mut self, guests: &[GuestReport], _pool: &PoolReport) -> Plan {
        Plan::unchanged(guests.iter().map(|g| g.held))
    }

    /// Nothing moves: the pool keeps what it was given at boot.
    fn pool_move(&self, _reserve: &ReserveReport) -> PoolMove {
        PoolMove::None
    }
}
