//! The second-level page tables of guest address spaces: every guest
//! partition's page-table budget, allocated at boot as one run of 1 KiB
//! tables, handed to its address spaces one table at a time and given
//! back when an address space is reset.
//!
//! Besides free lists it keeps, for every page of every table, which
//! capability (by global slot number) mapped that page — the kernel's
//! record of the table, so unmapping a range finds each mapping's
//! capability in O(1) — and, for every table in use, which address space
//! and which megabyte of it the table covers. Bookkeeping only: it never
//! writes a page table (that is [`super::guest_space`]'s job), and a table
//! is never on a free list and in use at once, nor handed to another
//! partition than the one whose budget it is.

use crate::cap::layout::MAX_LAYOUT_PARTITIONS as MAX_PARTITIONS;

use super::L2_ENTRIES;
use crate::cap::SpaceId;

/// "No table" in a link, "no capability" in an owner entry.
pub const NONE: u16 = u16::MAX;

/// Bytes of one second-level table.
pub const TABLE_BYTES: usize = boot_info::GUEST_L2_BYTES as usize;

/// A table, by its index in the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableId(pub u16);

impl TableId {
    /// Index into the pool.
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// Which address space uses a table, for which megabyte of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct TableUse {
    /// The address space.
    pub space: SpaceId,
    /// Its first-level index (the megabyte of user space) the table maps.
    pub section: u16,
}

/// Boot-sized storage for a [`TablePool`].
pub struct PoolStorage<'a> {
    /// Physical address of table 0 (tables are contiguous, 1 KiB aligned).
    pub base: usize,
    /// Tables of each partition's budget, in partition order.
    pub budgets: [u16; MAX_PARTITIONS],
    /// One per table.
    pub next: &'a mut [u16],
    /// One per table.
    pub users: &'a mut [Option<TableUse>],
    /// One per page of every table (`L2_ENTRIES` per table).
    pub owners: &'a mut [u16],
}

impl PoolStorage<'_> {
    /// Storage for no tables at all.
    pub fn empty() -> PoolStorage<'static> {
        PoolStorage {
            base: 0,
            budgets: [0; MAX_PARTITIONS],
            next: &mut [],
            users: &mut [],
            owners: &mut [],
        }
    }
}

/// Every guest partition's page tables.
#[derive(Debug)]
pub struct TablePool<'a> {
    base: usize,
    next: &'a mut [u16],
    users: &'a mut [Option<TableUse>],
    owners: &'a mut [u16],
    /// Per partition: its first table and one past its last.
    ranges: [(u16, u16); MAX_PARTITIONS],
    /// Per partition: the first free table.
    heads: [u16; MAX_PARTITIONS],
    /// Per partition: how many tables are free.
    free: [u16; MAX_PARTITIONS],
}

impl<'a> TablePool<'a> {
    /// Every table free, each partition's budget a run of tables in
    /// partition order; `None` if the storage's sizes disagree with the
    /// budgets or the base is not 1 KiB aligned.
    pub fn new(storage: PoolStorage<'a>) -> Option<TablePool<'a>> {
        let total: usize = storage.budgets.iter().map(|&b| usize::from(b)).sum();
        if total >= usize::from(NONE)
            || storage.next.len() != total
            || storage.users.len() != total
            || storage.owners.len() != total * L2_ENTRIES
            || !storage.base.is_multiple_of(TABLE_BYTES)
        {
            return None;
        }
        let mut ranges = [(0, 0); MAX_PARTITIONS];
        let mut heads = [NONE; MAX_PARTITIONS];
        let mut start = 0u16;
        for (p, &budget) in storage.budgets.iter().enumerate() {
            let end = start + budget;
            ranges[p] = (start, end);
            for t in start..end {
                storage.next[usize::from(t)] = if t + 1 < end { t + 1 } else { NONE };
            }
            if budget > 0 {
                heads[p] = start;
            }
            start = end;
        }
        storage.users.fill(None);
        storage.owners.fill(NONE);
        Some(TablePool {
            base: storage.base,
            next: storage.next,
            users: storage.users,
            owners: storage.owners,
            ranges,
            heads,
            free: storage.budgets,
        })
    }

    /// How many tables `partition` has free.
    pub fn free_count(&self, partition: u8) -> u16 {
        self.free.get(usize::from(partition)).copied().unwrap_or(0)
    }

    /// Physical address of `table`.
    pub fn address(&self, table: TableId) -> usize {
        self.base + table.index() * TABLE_BYTES
    }

    /// The table of `partition`'s budget at physical `address`, if it is
    /// one in use by `space` (what a first-level entry of `space` points
    /// at).
    pub fn table_at(&self, partition: u8, space: SpaceId, address: usize) -> Option<TableId> {
        let offset = address.checked_sub(self.base)?;
        if !offset.is_multiple_of(TABLE_BYTES) {
            return None;
        }
        let index = u16::try_from(offset / TABLE_BYTES).ok()?;
        let (start, end) = *self.ranges.get(usize::from(partition))?;
        let used_by_space = self.users[usize::from(index)].is_some_and(|u| u.space == space);
        (start <= index && index < end && used_by_space).then_some(TableId(index))
    }

    /// Takes a free table of `partition`'s for megabyte `section` of
    /// `space`; its entries must then be cleared by the caller.
    pub fn allocate(&mut self, partition: u8, space: SpaceId, section: u16) -> Option<TableId> {
        let p = usize::from(partition);
        let head = *self.heads.get(p)?;
        if head == NONE {
            return None;
        }
        self.heads[p] = self.next[usize::from(head)];
        self.next[usize::from(head)] = NONE;
        self.free[p] -= 1;
        self.users[usize::from(head)] = Some(TableUse { space, section });
        Some(TableId(head))
    }

    /// Gives `table`, whose pages are all unmapped, back to its
    /// partition's budget.
    pub fn release(&mut self, table: TableId) {
        let Some(p) = self.partition_of(table) else {
            return;
        };
        if self.users[table.index()].take().is_none() {
            return;
        }
        self.next[table.index()] = self.heads[p];
        self.heads[p] = table.0;
        self.free[p] += 1;
    }

    fn partition_of(&self, table: TableId) -> Option<usize> {
        self.ranges
            .iter()
            .position(|&(start, end)| start <= table.0 && table.0 < end)
    }

    /// Who uses `table`, if anyone.
    pub fn user(&self, table: TableId) -> Option<TableUse> {
        self.users.get(table.index()).copied().flatten()
    }

    /// Every table `space` uses.
    pub fn tables_of(&self, space: SpaceId) -> impl Iterator<Item = (TableId, TableUse)> + '_ {
        self.users.iter().enumerate().filter_map(move |(i, u)| {
            u.filter(|u| u.space == space)
                .map(|u| (TableId(i as u16), u))
        })
    }

    /// The capability (global slot number) that mapped page `page` of
    /// `table`, if the page is mapped.
    pub fn owner(&self, table: TableId, page: usize) -> Option<u16> {
        let owner = *self.owners.get(table.index() * L2_ENTRIES + page)?;
        (owner != NONE).then_some(owner)
    }

    /// Records who mapped page `page` of `table` (`None`: it is unmapped).
    pub fn set_owner(&mut self, table: TableId, page: usize, owner: Option<u16>) {
        if let Some(entry) = self.owners.get_mut(table.index() * L2_ENTRIES + page) {
            *entry = owner.unwrap_or(NONE);
        }
    }

    /// Checks the free lists against the use records (for tests and the
    /// end-of-run check): every table is free or used, never both; each
    /// free list holds its partition's tables only, as many as counted.
    pub fn check(&self) -> Result<(), &'static str> {
        for (p, &(start, end)) in self.ranges.iter().enumerate() {
            let mut count = 0u16;
            let mut cursor = self.heads[p];
            while cursor != NONE {
                if cursor < start || cursor >= end {
                    return Err("a free list holds another partition's table");
                }
                if self.users[usize::from(cursor)].is_some() {
                    return Err("a table is free and in use");
                }
                count += 1;
                if count > end - start {
                    return Err("a free list loops");
                }
                cursor = self.next[usize::from(cursor)];
            }
            let used = (start..end)
                .filter(|&t| self.users[usize::from(t)].is_some())
                .count();
            if count != self.free[p] || usize::from(count) + used != usize::from(end - start) {
                return Err("a partition's table count is wrong");
            }
            for t in start..end {
                let unused = self.users[usize::from(t)].is_none();
                let base = usize::from(t) * L2_ENTRIES;
                let owned = self.owners[base..base + L2_ENTRIES]
                    .iter()
                    .any(|&o| o != NONE);
                if unused && owned {
                    return Err("a free table has mapped pages");
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    extern crate std;
    use super::*;
    use std::boxed::Box;
    use std::vec;

    /// A pool with `budgets` tables per partition at `base`.
    pub(crate) fn pool(base: usize, budgets: &[u16]) -> TablePool<'static> {
        let mut per_partition = [0; MAX_PARTITIONS];
        per_partition[..budgets.len()].copy_from_slice(budgets);
        let total: usize = budgets.iter().map(|&b| usize::from(b)).sum();
        TablePool::new(PoolStorage {
            base,
            budgets: per_partition,
            next: Box::leak(vec![0; total].into_boxed_slice()),
            users: Box::leak(vec![None; total].into_boxed_slice()),
            owners: Box::leak(vec![0; total * L2_ENTRIES].into_boxed_slice()),
        })
        .unwrap()
    }

    const S: SpaceId = SpaceId(0);

    #[test]
    fn each_partition_allocates_from_its_own_budget_until_it_runs_out() {
        let mut p = pool(0x6300_0000, &[0, 2, 1]);
        assert_eq!(p.free_count(1), 2);
        assert_eq!(p.allocate(0, S, 0), None, "partition 0 has no budget");
        let a = p.allocate(1, S, 3).unwrap();
        let b = p.allocate(1, S, 4).unwrap();
        assert_eq!(p.allocate(1, S, 5), None, "used up");
        assert_eq!(p.free_count(1), 0);
        let c = p.allocate(2, SpaceId(1), 0).unwrap();
        assert_eq!((a.0, b.0, c.0), (0, 1, 2));
        assert_eq!(p.address(c), 0x6300_0800);
        assert_eq!(
            p.user(b),
            Some(TableUse {
                space: S,
                section: 4
            })
        );
        assert_eq!(p.table_at(1, S, 0x6300_0400), Some(b));
        assert_eq!(p.table_at(2, S, 0x6300_0400), None, "another budget");
        assert_eq!(p.table_at(2, S, 0x6300_0800), None, "another space");
        assert_eq!(p.table_at(1, S, 0x6300_0404), None, "unaligned");
        assert_eq!(p.table_at(1, S, 0x6200_0000), None, "below the pool");
        p.check().unwrap();
        p.release(a);
        p.release(a);
        assert_eq!(p.free_count(1), 1, "a second release is ignored");
        assert_eq!(p.allocate(1, S, 9), Some(a));
        p.check().unwrap();
    }

    #[test]
    fn owners_are_recorded_per_page_and_a_used_table_can_be_listed() {
        let mut p = pool(0x6300_0000, &[3]);
        let t = p.allocate(0, SpaceId(2), 7).unwrap();
        p.set_owner(t, 255, Some(42));
        assert_eq!(p.owner(t, 255), Some(42));
        assert_eq!(p.owner(t, 0), None);
        let listed: std::vec::Vec<_> = p.tables_of(SpaceId(2)).collect();
        assert_eq!(
            listed,
            [(
                t,
                TableUse {
                    space: SpaceId(2),
                    section: 7
                }
            )]
        );
        assert_eq!(p.tables_of(S).count(), 0);
        p.set_owner(t, 255, None);
        p.release(t);
        p.check().unwrap();
    }

    #[test]
    fn storage_must_match_the_budgets() {
        let mut budgets = [0; MAX_PARTITIONS];
        budgets[0] = 2;
        let bad = PoolStorage {
            base: 0x6300_0000,
            budgets,
            next: Box::leak(vec![0; 1].into_boxed_slice()),
            users: Box::leak(vec![None; 2].into_boxed_slice()),
            owners: Box::leak(vec![0; 2 * L2_ENTRIES].into_boxed_slice()),
        };
        assert!(TablePool::new(bad).is_none());
        assert!(TablePool::new(PoolStorage::empty()).is_some());
    }
}
