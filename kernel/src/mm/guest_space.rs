//! Guest address spaces: the TTBR0 tables a guest kernel's processes run
//! in, each with an ASID of its own, filled page by page from frames the
//! guest kernel holds, with second-level tables from its partition's
//! page-table budget ([`super::table_pool`]).
//!
//! Every operation is split as the kernel's calls are: a check that reads
//! only ([`GuestSpaces::check_map`]), then a commit that cannot fail. Each
//! mapped page remembers the capability (global slot number) it was
//! mapped through, so the caller can drop that capability's mapping
//! record. Entries are written, and cached translations dropped, only
//! through the [`Machine`]; nothing here looks at capabilities, and no
//! page outside user space is ever mapped.

use kernel_abi::syscall::SyscallError;
use kernel_abi::user_layout::{PAGE_SIZE, USER_TOP};

use super::descriptor::{Access, Attributes, L1Entry, L1Kind, L2Entry, MemoryType};
use super::table_pool::{TableId, TablePool, TABLE_BYTES};
use super::{L2_ENTRIES, SECTION_SIZE};
use crate::cap::SpaceId;
use crate::machine::Machine;

/// Bytes of a guest address space's first-level table.
pub const L1_BYTES: usize = boot_info::GUEST_L1_BYTES as usize;

/// One guest address space.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GuestSpace {
    /// The partition whose guest kernel owns it.
    pub partition: u8,
    /// The ASID its translations are tagged with (after every
    /// partition's).
    pub asid: u8,
    /// Physical address of its first-level table.
    pub table: usize,
    /// How many pages are mapped in it.
    pub mapped: u32,
}

/// How a page is mapped: never writable and executable at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageRights {
    /// Read only.
    Read,
    /// Read and write.
    ReadWrite,
    /// Read and execute.
    ReadExecute,
}

impl PageRights {
    fn attributes(self) -> Attributes {
        Attributes {
            access: match self {
                PageRights::ReadWrite => Access::UserReadWrite,
                _ => Access::UserReadOnly,
            },
            memory: MemoryType::Normal,
            executable: self == PageRights::ReadExecute,
            global: false,
        }
    }
}

/// What one mapping puts in place: `pages` pages of physical memory from
/// `phys` with `rights`, each recorded as mapped through the capability
/// with global slot number `owner`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRun {
    /// First physical address (page aligned).
    pub phys: usize,
    /// How many pages.
    pub pages: u32,
    /// How they are mapped.
    pub rights: PageRights,
    /// The capability they are mapped through.
    pub owner: u16,
}

/// Every guest address space and the page tables they draw on.
#[derive(Debug)]
pub struct GuestSpaces<'a> {
    spaces: &'a mut [GuestSpace],
    pool: TablePool<'a>,
}

impl<'a> GuestSpaces<'a> {
    /// The spaces in `spaces` (first-level tables already zeroed) over
    /// the tables in `pool`.
    pub fn new(spaces: &'a mut [GuestSpace], pool: TablePool<'a>) -> GuestSpaces<'a> {
        GuestSpaces { spaces, pool }
    }

    /// Space `id`, to change (host tests only: to build states that
    /// otherwise take several partitions' budgets).
    #[cfg(test)]
    pub(crate) fn space_mut(&mut self, id: SpaceId) -> Option<&mut GuestSpace> {
        self.spaces.get_mut(usize::from(id.0))
    }

    /// The page-table budgets (for reading).
    pub fn pool(&self) -> &TablePool<'a> {
        &self.pool
    }

    /// How many there are.
    pub fn count(&self) -> usize {
        self.spaces.len()
    }

    /// Space `id`, if it exists.
    pub fn get(&self, id: SpaceId) -> Option<&GuestSpace> {
        self.spaces.get(usize::from(id.0))
    }

    /// The spaces of `partition`.
    pub fn of_partition(&self, partition: u8) -> impl Iterator<Item = SpaceId> + '_ {
        self.spaces
            .iter()
            .enumerate()
            .filter(move |(_, s)| s.partition == partition)
            .map(|(i, _)| SpaceId(i as u16))
    }

    /// Checks that `pages` pages from `virt` can be mapped in `id`:
    /// page aligned, wholly in user space, not mapped yet, and the
    /// second-level tables they need are in the budget.
    pub fn check_map(
        &self,
        id: SpaceId,
        virt: u32,
        pages: u32,
        machine: &impl Machine,
    ) -> Result<(), SyscallError> {
        let space = self.get(id).ok_or(SyscallError::InvalidArgument)?;
        check_range(virt, pages)?;
        let mut new_tables = 0u32;
        let mut last_section = None;
        for page in 0..pages {
            let va = virt + page * PAGE_SIZE;
            let section = va as usize / SECTION_SIZE;
            match self.table_of(id, va, machine) {
                Some(table) if self.pool.owner(table, page_index(va)).is_some() => {
                    return Err(SyscallError::SlotOccupied)
                }
                Some(_) => {}
                None if last_section != Some(section) => new_tables += 1,
                None => {}
            }
            last_section = Some(section);
        }
        if new_tables > u32::from(self.pool.free_count(space.partition)) {
            return Err(SyscallError::NoPageTable);
        }
        Ok(())
    }

    /// Maps `run` at `virt` in `id`. Only after
    /// [`GuestSpaces::check_map`] said yes.
    pub fn map(&mut self, id: SpaceId, virt: u32, run: PageRun, machine: &mut impl Machine) {
        let Some(&space) = self.get(id) else {
            return;
        };
        let PageRun {
            phys,
            pages,
            rights,
            owner,
        } = run;
        let attributes = rights.attributes();
        for page in 0..pages {
            let va = virt + page * PAGE_SIZE;
            let table = match self.table_of(id, va, machine) {
                Some(table) => table,
                None => {
                    let section = va as usize / SECTION_SIZE;
                    let Some(table) = self.pool.allocate(space.partition, id, section as u16)
                    else {
                        debug_assert!(false, "check_map counted the tables");
                        return;
                    };
                    let address = self.pool.address(table);
                    machine.zero_phys(address, TABLE_BYTES);
                    let entry = L1Entry::page_table(address);
                    machine.write_phys(l1_entry(space.table, va), &entry.0.to_le_bytes());
                    table
                }
            };
            let entry = L2Entry::small_page(phys + (page * PAGE_SIZE) as usize, attributes);
            let at = self.pool.address(table) + page_index(va) * 4;
            machine.write_phys(at, &entry.0.to_le_bytes());
            self.pool.set_owner(table, page_index(va), Some(owner));
        }
        self.spaces[usize::from(id.0)].mapped += pages;
        machine.page_tables_changed(None);
    }

    /// The global slot numbers of the capabilities that mapped pages in
    /// the `pages` pages from `virt` of `id`, one call per mapped page.
    pub fn owners_in(
        &self,
        id: SpaceId,
        virt: u32,
        pages: u32,
        machine: &impl Machine,
        mut visit: impl FnMut(u32, u16),
    ) {
        for page in 0..pages {
            let Some(va) = virt.checked_add(page * PAGE_SIZE) else {
                return;
            };
            if let Some(table) = self.table_of(id, va, machine) {
                if let Some(owner) = self.pool.owner(table, page_index(va)) {
                    visit(va, owner);
                }
            }
        }
    }

    /// The second-level entry for `va` in `id`, if a table covers it (for
    /// checks that read the tables themselves).
    pub fn entry_at(&self, id: SpaceId, va: u32, machine: &impl Machine) -> Option<L2Entry> {
        let table = self.table_of(id, va, machine)?;
        let mut bytes = [0u8; 4];
        machine.read_phys(self.pool.address(table) + page_index(va) * 4, &mut bytes);
        Some(L2Entry(u32::from_le_bytes(bytes)))
    }

    /// The capability (global slot number) that mapped the page at `va`
    /// in `id`, if it is mapped.
    pub fn owner_at(&self, id: SpaceId, va: u32, machine: &impl Machine) -> Option<u16> {
        let table = self.table_of(id, va, machine)?;
        self.pool.owner(table, page_index(va))
    }

    /// The first mapped page of `id` at or after `from` and below `end`,
    /// with the capability (global slot number) it was mapped through.
    /// Megabytes without a table are skipped whole.
    pub fn next_owner(
        &self,
        id: SpaceId,
        from: u32,
        end: u32,
        machine: &impl Machine,
    ) -> Option<(u32, u16)> {
        let section = SECTION_SIZE as u64;
        let end = u64::from(end).min(u64::from(USER_TOP));
        let mut at = u64::from(from);
        while at < end {
            let section_end = (at / section + 1) * section;
            match self.table_of(id, at as u32, machine) {
                None => at = section_end,
                Some(table) => {
                    while at < section_end.min(end) {
                        if let Some(owner) = self.pool.owner(table, page_index(at as u32)) {
                            return Some((at as u32, owner));
                        }
                        at += u64::from(PAGE_SIZE);
                    }
                }
            }
        }
        None
    }

    /// Unmaps the `pages` pages from `virt` in `id` (those mapped), drops
    /// their cached translations, and gives back every table left empty.
    pub fn unmap(&mut self, id: SpaceId, virt: u32, pages: u32, machine: &mut impl Machine) {
        let Some(&space) = self.get(id) else {
            return;
        };
        for page in 0..pages {
            let va = virt.wrapping_add(page * PAGE_SIZE);
            let Some(table) = self.table_of(id, va, machine) else {
                continue;
            };
            if self.pool.owner(table, page_index(va)).is_none() {
                continue;
            }
            let at = self.pool.address(table) + page_index(va) * 4;
            machine.write_phys(at, &L2Entry::FAULT.0.to_le_bytes());
            self.pool.set_owner(table, page_index(va), None);
            self.spaces[usize::from(id.0)].mapped -= 1;
            let empty = (0..L2_ENTRIES).all(|p| self.pool.owner(table, p).is_none());
            if empty {
                machine.write_phys(l1_entry(space.table, va), &L1Entry::FAULT.0.to_le_bytes());
                self.pool.release(table);
            }
            machine.page_tables_changed(Some((space.asid, va)));
        }
    }

    /// Removes every mapping of `id`, telling `visit` the global slot of
    /// each page's capability, gives every table back and drops every
    /// translation cached under its ASID.
    pub fn reset(&mut self, id: SpaceId, machine: &mut impl Machine, mut visit: impl FnMut(u16)) {
        let Some(&space) = self.get(id) else {
            return;
        };
        let mut tables = [(TableId(0), 0u16); 16];
        loop {
            // At most 16 at a time: the pool is borrowed while listing.
            let mut found = 0;
            for (table, used) in self.pool.tables_of(id).take(tables.len()) {
                tables[found] = (table, used.section);
                found += 1;
            }
            if found == 0 {
                break;
            }
            for &(table, section) in &tables[..found] {
                for page in 0..L2_ENTRIES {
                    if let Some(owner) = self.pool.owner(table, page) {
                        visit(owner);
                        self.pool.set_owner(table, page, None);
                    }
                }
                machine.zero_phys(self.pool.address(table), TABLE_BYTES);
                let va = u32::from(section) * SECTION_SIZE as u32;
                machine.write_phys(l1_entry(space.table, va), &L1Entry::FAULT.0.to_le_bytes());
                self.pool.release(table);
            }
        }
        self.spaces[usize::from(id.0)].mapped = 0;
        machine.page_tables_changed(None);
        machine.address_space_reset(space.asid);
    }

    /// The second-level table that maps `va` in `id`, if there is one.
    fn table_of(&self, id: SpaceId, va: u32, machine: &impl Machine) -> Option<TableId> {
        let space = self.get(id)?;
        if va >= USER_TOP {
            return None;
        }
        let mut bytes = [0u8; 4];
        machine.read_phys(l1_entry(space.table, va), &mut bytes);
        match L1Entry(u32::from_le_bytes(bytes)).kind() {
            L1Kind::PageTable { table } => self.pool.table_at(space.partition, id, table),
            _ => None,
        }
    }

    /// Checks the spaces against their tables (for tests and the
    /// end-of-run check): each space's count of mapped pages is the number
    /// of pages its tables record, and the pool is consistent.
    pub fn check(&self) -> Result<(), &'static str> {
        self.pool.check()?;
        for (i, space) in self.spaces.iter().enumerate() {
            let mut pages = 0u32;
            for (table, _) in self.pool.tables_of(SpaceId(i as u16)) {
                pages += (0..L2_ENTRIES)
                    .filter(|&p| self.pool.owner(table, p).is_some())
                    .count() as u32;
            }
            if pages != space.mapped {
                return Err("a guest address space miscounts its pages");
            }
        }
        Ok(())
    }
}

impl GuestSpaces<'_> {
    /// Checks the tables themselves against the kernel's records (host
    /// tests; it reads every first-level entry): each entry points at a
    /// table of the space's partition recorded for that megabyte, and a
    /// page's entry is present exactly when an owner is recorded.
    pub fn check_tables(&self, machine: &impl Machine) -> Result<(), &'static str> {
        for (index, space) in self.spaces.iter().enumerate() {
            let id = SpaceId(index as u16);
            for section in 0..(USER_TOP as usize / SECTION_SIZE) {
                let mut bytes = [0u8; 4];
                machine.read_phys(space.table + section * 4, &mut bytes);
                match L1Entry(u32::from_le_bytes(bytes)).kind() {
                    L1Kind::Fault => {}
                    L1Kind::PageTable { table } => {
                        let Some(t) = self.pool.table_at(space.partition, id, table) else {
                            return Err("a first-level entry points outside the budget");
                        };
                        if self.pool.user(t).map(|u| usize::from(u.section)) != Some(section) {
                            return Err("a table maps another megabyte than recorded");
                        }
                        for page in 0..L2_ENTRIES {
                            machine.read_phys(table + page * 4, &mut bytes);
                            let present = L2Entry(u32::from_le_bytes(bytes)).page().is_some();
                            if present != self.pool.owner(t, page).is_some() {
                                return Err("a page's entry and its owner disagree");
                            }
                        }
                    }
                    _ => return Err("a guest first-level entry is not a page table"),
                }
            }
            if self.pool.tables_of(id).count()
                != (0..USER_TOP as usize / SECTION_SIZE)
                    .filter(|&section| {
                        let mut bytes = [0u8; 4];
                        machine.read_phys(space.table + section * 4, &mut bytes);
                        bytes != [0; 4]
                    })
                    .count()
            {
                return Err("a table in use is not in its space's first-level table");
            }
        }
        Ok(())
    }
}

/// `pages` pages from `virt`: page aligned, at least one, all below the
/// kernel half.
pub fn check_range(virt: u32, pages: u32) -> Result<(), SyscallError> {
    let end = pages
        .checked_mul(PAGE_SIZE)
        .and_then(|size| virt.checked_add(size));
    match end {
        Some(end) if pages > 0 && virt.is_multiple_of(PAGE_SIZE) && end <= USER_TOP => Ok(()),
        _ => Err(SyscallError::InvalidArgument),
    }
}

/// Physical address of the first-level entry for `va` in the table at
/// `table`.
fn l1_entry(table: usize, va: u32) -> usize {
    table + (va as usize / SECTION_SIZE) * 4
}

/// The index of `va`'s page in its second-level table.
fn page_index(va: u32) -> usize {
    (va as usize % SECTION_SIZE) / PAGE_SIZE as usize
}

#[cfg(test)]
pub(crate) mod tests {
    extern crate std;
    use super::*;
    use crate::machine::tests::FakeMachine;
    use crate::mm::table_pool::tests::pool;
    use std::boxed::Box;
    use std::vec;

    pub(crate) const RAM: usize = 0x6300_0000;
    /// Two spaces of partition 1 (ASIDs 3, 4) with first-level tables at
    /// the start of the fake RAM, and `tables` tables after them.
    pub(crate) fn spaces(tables: u16) -> (GuestSpaces<'static>, FakeMachine) {
        let list = Box::leak(
            vec![
                GuestSpace {
                    partition: 1,
                    asid: 3,
                    table: RAM,
                    mapped: 0,
                },
                GuestSpace {
                    partition: 1,
                    asid: 4,
                    table: RAM + L1_BYTES,
                    mapped: 0,
                },
            ]
            .into_boxed_slice(),
        );
        let tables_at = pool(RAM + 2 * L1_BYTES, &[0, tables]);
        let machine = FakeMachine::new(RAM, 2 * L1_BYTES + usize::from(tables) * TABLE_BYTES);
        (GuestSpaces::new(list, tables_at), machine)
    }

    fn entry(m: &FakeMachine, s: &GuestSpaces<'_>, id: SpaceId, va: u32) -> Option<usize> {
        let table = s.table_of(id, va, m)?;
        let mut bytes = [0u8; 4];
        m.read_phys(s.pool.address(table) + page_index(va) * 4, &mut bytes);
        L2Entry(u32::from_le_bytes(bytes)).page()
    }

    const A: SpaceId = SpaceId(0);
    const B: SpaceId = SpaceId(1);

    #[test]
    fn maps_pages_with_tables_from_the_budget_and_unmaps_them() {
        let (mut s, mut m) = spaces(2);
        s.check_map(A, 0x10_0000, 2, &m).unwrap();
        s.map(
            A,
            0x10_0000,
            PageRun {
                phys: 0x6800_0000,
                pages: 2,
                rights: PageRights::ReadExecute,
                owner: 7,
            },
            &mut m,
        );
        assert_eq!(entry(&m, &s, A, 0x10_1000), Some(0x6800_1000));
        assert_eq!(entry(&m, &s, B, 0x10_1000), None, "another space");
        assert_eq!(s.pool.free_count(1), 1);
        assert_eq!(
            s.check_map(A, 0x10_1000, 1, &m),
            Err(SyscallError::SlotOccupied)
        );
        let mut owners = vec![];
        s.owners_in(A, 0x10_0000, 4, &m, |va, o| owners.push((va, o)));
        assert_eq!(owners, [(0x10_0000, 7), (0x10_1000, 7)]);
        s.check().unwrap();
        s.unmap(A, 0x10_0000, 2, &mut m);
        assert_eq!(entry(&m, &s, A, 0x10_0000), None);
        assert_eq!(s.pool.free_count(1), 2, "an empty table goes back");
        assert_eq!(m.tlb_invalidations, [(3, 0x10_0000), (3, 0x10_1000)]);
        s.check().unwrap();
    }

    #[test]
    fn running_out_of_tables_is_an_error_and_reset_gives_them_back() {
        let (mut s, mut m) = spaces(2);
        s.map(
            A,
            0x10_0000,
            PageRun {
                phys: 0x6800_0000,
                pages: 1,
                rights: PageRights::Read,
                owner: 1,
            },
            &mut m,
        );
        s.map(
            B,
            0x20_0000,
            PageRun {
                phys: 0x6800_0000,
                pages: 1,
                rights: PageRights::ReadWrite,
                owner: 2,
            },
            &mut m,
        );
        assert_eq!(
            s.check_map(A, 0x30_0000, 1, &m),
            Err(SyscallError::NoPageTable)
        );
        assert_eq!(s.check_map(A, 0x10_5000, 1, &m), Ok(()), "same table");
        assert_eq!(
            s.check_map(A, 0x1F_F000, 2, &m),
            Err(SyscallError::NoPageTable),
            "the second page needs a new table"
        );
        let mut visited = vec![];
        s.reset(B, &mut m, |owner| visited.push(owner));
        assert_eq!(visited, [2]);
        assert_eq!(m.asid_resets, [4]);
        assert_eq!(s.get(B).unwrap().mapped, 0);
        assert_eq!(s.check_map(A, 0x30_0000, 1, &m), Ok(()));
        s.check().unwrap();
    }

    #[test]
    fn the_next_mapped_page_is_found_across_empty_megabytes() {
        let (mut s, mut m) = spaces(2);
        s.map(
            A,
            0x0000_3000,
            PageRun {
                phys: 0x6800_0000,
                pages: 1,
                rights: PageRights::Read,
                owner: 5,
            },
            &mut m,
        );
        s.map(
            A,
            0x7FF0_0000,
            PageRun {
                phys: 0x6800_1000,
                pages: 2,
                rights: PageRights::Read,
                owner: 6,
            },
            &mut m,
        );
        assert_eq!(s.next_owner(A, 0, USER_TOP, &m), Some((0x3000, 5)));
        assert_eq!(
            s.next_owner(A, 0x4000, USER_TOP, &m),
            Some((0x7FF0_0000, 6))
        );
        assert_eq!(
            s.next_owner(A, 0x7FF0_1000, USER_TOP, &m),
            Some((0x7FF0_1000, 6))
        );
        assert_eq!(
            s.next_owner(A, 0x4000, 0x7FF0_0000, &m),
            None,
            "end excluded"
        );
        assert_eq!(s.next_owner(B, 0, USER_TOP, &m), None);
    }

    #[test]
    fn ranges_must_be_aligned_and_below_the_kernel() {
        let (s, m) = spaces(1);
        for (virt, pages) in [
            (0x10_0800, 1),
            (USER_TOP, 1),
            (USER_TOP - PAGE_SIZE, 2),
            (0x10_0000, 0),
            (0xFFFF_F000, 2),
        ] {
            assert_eq!(
                s.check_map(A, virt, pages, &m),
                Err(SyscallError::InvalidArgument),
                "{virt:#x} {pages}"
            );
        }
        assert_eq!(
            s.check_map(SpaceId(9), 0x10_0000, 1, &m),
            Err(SyscallError::InvalidArgument)
        );
    }
}
