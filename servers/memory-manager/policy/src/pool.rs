//! The manager's reserve against the tmem pool: when the guests' grants
//! this period need more frames than the reserve holds, the pool gives the
//! difference (as far as it can and the manager has room); frames the
//! reserve holds beyond the grants and the margin it keeps go to the pool,
//! where tmem can use them until a guest needs them again (Xen pools
//! unassigned memory the same way). A pure function: the manager moves
//! the frames.

/// Frames to move between the manager's reserve and the tmem pool.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PoolMove {
    /// Nothing moves.
    #[default]
    None,
    /// The pool gives the manager this many frames.
    Take(u32),
    /// The manager gives the pool this many frames.
    Give(u32),
}

/// The reserve and the pool at the end of a period, in frames.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReserveReport {
    /// Frames in the manager's reserve.
    pub reserve: u32,
    /// Frames the guests' new targets grant them this period.
    pub owed: u32,
    /// Frames the reserve keeps beyond what is owed.
    pub keep: u32,
    /// Free frames the pool could give.
    pub pool_movable: u32,
    /// Frames the manager has room to receive.
    pub room: u32,
}

/// The move that funds every grant and sends the surplus to the pool.
pub fn balance_reserve(r: &ReserveReport) -> PoolMove {
    let needed = r.owed.saturating_add(r.keep);
    if r.reserve < r.owed {
        let take = (r.owed - r.reserve).min(r.pool_movable).min(r.room);
        if take > 0 {
            return PoolMove::Take(take);
        }
    } else if r.reserve > needed {
        return PoolMove::Give(r.reserve - needed);
    }
    PoolMove::None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn report(reserve: u32, owed: u32, pool_movable: u32) -> ReserveReport {
        ReserveReport {
            reserve,
            owed,
            keep: 4,
            pool_movable,
            room: 100,
        }
    }

    #[test]
    fn growth_past_the_reserve_takes_from_the_pool() {
        assert_eq!(balance_reserve(&report(4, 20, 50)), PoolMove::Take(16));
        // The pool gives what it has.
        assert_eq!(balance_reserve(&report(4, 20, 10)), PoolMove::Take(10));
        assert_eq!(balance_reserve(&report(4, 20, 0)), PoolMove::None);
        // And the manager takes no more than it has room for.
        let full = ReserveReport {
            room: 3,
            ..report(4, 20, 50)
        };
        assert_eq!(balance_reserve(&full), PoolMove::Take(3));
    }

    #[test]
    fn a_surplus_goes_to_the_pool_and_the_margin_stays() {
        assert_eq!(balance_reserve(&report(30, 6, 0)), PoolMove::Give(20));
        assert_eq!(balance_reserve(&report(10, 6, 0)), PoolMove::None);
        assert_eq!(balance_reserve(&report(8, 6, 0)), PoolMove::None);
        assert_eq!(balance_reserve(&report(6, 6, 9)), PoolMove::None);
    }

    proptest! {
        /// After the move, the reserve funds every grant (or the pool ran
        /// out, or the room did) and holds no more than the grants and the
        /// margin; nothing moves past what the pool or the reserve has.
        #[test]
        fn after_the_move_the_reserve_funds_the_grants_and_no_more(
            reserve in 0u32..200, owed in 0u32..200, keep in 0u32..20,
            pool_movable in 0u32..200, room in 0u32..200,
        ) {
            let r = ReserveReport { reserve, owed, keep, pool_movable, room };
            let after = match balance_reserve(&r) {
                PoolMove::None => reserve,
                PoolMove::Take(n) => {
                    prop_assert!(n <= pool_movable && n <= room && n > 0);
                    reserve + n
                }
                PoolMove::Give(n) => {
                    prop_assert!(n <= reserve && n > 0);
                    reserve - n
                }
            };
            prop_assert!(
                after >= owed || after - reserve == pool_movable.min(room),
                "the grants are funded as far as the pool and the room allow"
            );
            prop_assert!(after <= owed + keep, "no surplus stays past the margin");
            if reserve < owed {
                prop_assert!(after <= owed, "no more is taken than the grants need");
            } else {
                prop_assert!(after >= owed, "nothing owed is given away");
            }
        }
    }
}
