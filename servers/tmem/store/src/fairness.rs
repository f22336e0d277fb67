//! Which client loses an ephemeral page when room is needed.
//!
//! Fair share: client `i` with weight `w_i` is entitled to `E·w_i/W` of the
//! `E` ephemeral pages stored, where `W` is the sum of all configured
//! clients' weights. The victim is chosen as follows:
//! 1. If the client asking for room is over its share, it loses its own
//!    least recently used page.
//! 2. Otherwise the least recently used page among all clients that are over
//!    their share goes.
//! 3. If nobody is over share, the globally least recently used page goes.
//!
//! Cost is O(number of clients), independent of how many pages are stored.
//! This module only chooses; it must never pick a persistent page (only
//! ephemeral pages are on the LRU lists it reads).

use crate::lru::LruLists;

/// The inputs of the choice for one client.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Share {
    pub(crate) ephemeral_pages: u64,
    pub(crate) weight: u32,
}

/// Whether `client` holds more than `E·w/W` pages.
fn over_share(client: Share, total_pages: u64, total_weight: u64) -> bool {
    u128::from(client.ephemeral_pages) * u128::from(total_weight)
        > u128::from(total_pages) * u128::from(client.weight)
}

/// The client slot whose oldest ephemeral page should be evicted, or `None`
/// when no ephemeral page is stored.
pub(crate) fn choose_victim(
    shares: &[Share],
    lru: &LruLists,
    requester: Option<u16>,
) -> Option<u16> {
    let total_pages: u64 = shares.iter().map(|share| share.ephemeral_pages).sum();
    let total_weight: u64 = shares.iter().map(|share| u64::from(share.weight)).sum();
    if let Some(requester) = requester {
        if let Some(&share) = shares.get(usize::from(requester)) {
            if over_share(share, total_pages, total_weight) && lru.oldest(requester).is_some() {
                return Some(requester);
            }
        }
    }
    let mut oldest_over: Option<(u64, u16)> = None;
    let mut oldest_any: Option<(u64, u16)> = None;
    for (slot, &share) in shares.iter().enumerate() {
        let slot = slot as u16;
        let Some((_, stamp)) = lru.oldest(slot) else {
            continue;
        };
        if oldest_any.is_none_or(|(best, _)| stamp < best) {
            oldest_any = Some((stamp, slot));
        }
        if over_share(share, total_pages, total_weight)
            && oldest_over.is_none_or(|(best, _)| stamp < best)
        {
            oldest_over = Some((stamp, slot));
        }
    }
    oldest_over.or(oldest_any).map(|(_, slot)| slot)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lru_with(pages: &[(u16, u32)]) -> LruLists {
        let mut lru = LruLists::new(64, 3);
        for &(client, record) in pages {
            lru.push_newest(client, record);
        }
        lru
    }

    #[test]
    fn requester_over_share_loses_its_own_page() {
        let lru = lru_with(&[(1, 0), (0, 1), (0, 2), (0, 3)]);
        let shares = [
            Share {
                ephemeral_pages: 3,
                weight: 1,
            },
            Share {
                ephemeral_pages: 1,
                weight: 1,
            },
            Share {
                ephemeral_pages: 0,
                weight: 1,
            },
        ];
        assert_eq!(choose_victim(&shares, &lru, Some(0)), Some(0));
        // Client 2 is under share: the oldest page of an over-share client goes.
        assert_eq!(choose_victim(&shares, &lru, Some(2)), Some(0));
    }

    #[test]
    fn weights_decide_who_is_over_share() {
        // Client 1 holds the oldest page but has weight 3 and 3 of 4 pages.
        let lru = lru_with(&[(1, 0), (1, 1), (1, 2), (0, 3)]);
        let shares = [
            Share {
                ephemeral_pages: 1,
                weight: 0,
            },
            Share {
                ephemeral_pages: 3,
                weight: 3,
            },
            Share {
                ephemeral_pages: 0,
                weight: 1,
            },
        ];
        assert_eq!(choose_victim(&shares, &lru, Some(2)), Some(0));
    }

    #[test]
    fn nobody_over_share_means_global_lru() {
        let lru = lru_with(&[(1, 0), (0, 1)]);
        let shares = [
            Share {
                ephemeral_pages: 1,
                weight: 1,
            },
            Share {
                ephemeral_pages: 1,
                weight: 1,
            },
            Share {
                ephemeral_pages: 0,
                weight: 0,
            },
        ];
        assert_eq!(choose_victim(&shares, &lru, Some(0)), Some(1));
        let empty = LruLists::new(4, 3);
        assert_eq!(choose_victim(&shares, &empty, None), None);
    }
}
