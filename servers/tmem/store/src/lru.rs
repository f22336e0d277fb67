//! Least-recently-used order of ephemeral pages.
//!
//! Each client has its own doubly linked LRU list of the ephemeral pages
//! charged to it, threaded through a link table indexed by page record (so no
//! allocation after construction). Every page also carries a stamp from one
//! store-wide clock, so the oldest page across all clients is the oldest of
//! the clients' list tails: the per-client lists together form one global LRU.
//! Persistent pages must never be on these lists.

use crate::slab::NIL;
use alloc::vec;
use alloc::vec::Vec;

#[derive(Clone, Copy)]
struct Link {
    newer: u32,
    older: u32,
    stamp: u64,
}

#[derive(Clone, Copy)]
struct ListEnds {
    newest: u32,
    oldest: u32,
}

/// LRU lists for all clients.
pub(crate) struct LruLists {
    links: Vec<Link>,
    lists: Vec<ListEnds>,
    clock: u64,
}

impl LruLists {
    /// Room for `records` pages and `clients` lists.
    pub(crate) fn new(records: u32, clients: usize) -> Self {
        Self {
            links: vec![
                Link {
                    newer: NIL,
                    older: NIL,
                    stamp: 0
                };
                records as usize
            ],
            lists: vec![
                ListEnds {
                    newest: NIL,
                    oldest: NIL
                };
                clients
            ],
            clock: 0,
        }
    }

    /// Puts `record` at the newest end of `client`'s list.
    pub(crate) fn push_newest(&mut self, client: u16, record: u32) {
        let list = &mut self.lists[usize::from(client)];
        let old_newest = list.newest;
        self.clock += 1;
        self.links[record as usize] = Link {
            newer: NIL,
            older: old_newest,
            stamp: self.clock,
        };
        if old_newest != NIL {
            self.links[old_newest as usize].newer = record;
        } else {
            list.oldest = record;
        }
        list.newest = record;
    }

    /// Takes `record` off `client`'s list.
    pub(crate) fn unlink(&mut self, client: u16, record: u32) {
        let Link { newer, older, .. } = self.links[record as usize];
        let list = &mut self.lists[usize::from(client)];
        if newer != NIL {
            self.links[newer as usize].older = older;
        } else {
            list.newest = older;
        }
        if older != NIL {
            self.links[older as usize].newer = newer;
        } else {
            list.oldest = newer;
        }
        self.links[record as usize] = Link {
            newer: NIL,
            older: NIL,
            stamp: 0,
        };
    }

    /// Marks `record` as just used.
    pub(crate) fn touch(&mut self, client: u16, record: u32) {
        self.unlink(client, record);
        self.push_newest(client, record);
    }

    /// The least recently used page of `client` and its stamp.
    pub(crate) fn oldest(&self, client: u16) -> Option<(u32, u64)> {
        let record = self.lists.get(usize::from(client))?.oldest;
        (record != NIL).then(|| (record, self.links[record as usize].stamp))
    }

    /// The records on `client`'s list, oldest first (for audits).
    pub(crate) fn walk(&self, client: u16) -> impl Iterator<Item = u32> + '_ {
        let mut cursor = self.lists[usize::from(client)].oldest;
        core::iter::from_fn(move || {
            if cursor == NIL {
                return None;
            }
            let record = cursor;
            cursor = self.links[record as usize].newer;
            Some(record)
        })
    }

    /// Checks the back links and stamp order of `client`'s list.
    pub(crate) fn audit(&self, client: u16, limit: u64) -> Result<u64, &'static str> {
        let mut count = 0u64;
        let mut previous = NIL;
        let mut previous_stamp = 0u64;
        for record in self.walk(client) {
            let link = self.links[record as usize];
            if link.older != previous {
                return Err("lru: broken back link");
            }
            if link.stamp <= previous_stamp {
                return Err("lru: stamps out of order");
            }
            previous = record;
            previous_stamp = link.stamp;
            count += 1;
            if count > limit {
                return Err("lru: list loops");
            }
        }
        if self.lists[usize::from(client)].newest != previous {
            return Err("lru: newest end is wrong");
        }
        Ok(count)
    }
}
