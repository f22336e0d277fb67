//! A partition's address space (the table behind TTBR0): which virtual
//! ranges it may touch, backed by which physical memory, with which rights.
//!
//! The region list is the truth: page tables are built from it, and every
//! pointer a partition passes to the kernel is checked against it (and
//! translated with it) rather than by walking hardware tables. Nothing
//! here maps a page the region list does not name. The list's room is
//! reserved at boot, as large as the description makes the partition need
//! ([`boot_info::space_regions`]); nothing here allocates.

use kernel_abi::syscall::SyscallError;
use kernel_abi::user_layout::{GRANT_WINDOW, GRANT_WINDOW_SIZE, PAGE_SIZE, USER_TOP};

use super::descriptor::{Access, Attributes, L1Entry, L2Entry, MemoryType};
use super::grant_regions::{pages_of, GrantRegions};
use super::kernel_space::L2Table;
use super::{L2_ENTRIES, SECTION_SIZE};

// The loader takes as many image segments as boot reserves room for.
const _: () = assert!(crate::elf::MAX_SEGMENTS == boot_info::MAX_IMAGE_SEGMENTS);

/// First-level entries of a TTBR0 table with TTBCR.N = 1 (2 GiB).
pub const USER_L1_ENTRIES: usize = 2048;

/// A TTBR0 first-level table: 8 KiB, aligned as TTBR0 requires with N = 1.
#[repr(C, align(8192))]
pub struct UserL1Table(pub [L1Entry; USER_L1_ENTRIES]);

/// What a partition may do with a region.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Rights {
    /// Read and execute (text).
    ReadExecute,
    /// Read only (constants).
    #[default]
    Read,
    /// Read and write (data, stacks).
    ReadWrite,
}

impl Rights {
    const fn attributes(self) -> Attributes {
        let (access, executable) = match self {
            Rights::ReadExecute => (Access::UserReadOnly, true),
            Rights::Read => (Access::UserReadOnly, false),
            Rights::ReadWrite => (Access::UserReadWrite, false),
        };
        Attributes {
            access,
            memory: MemoryType::Normal,
            executable,
            global: false,
        }
    }
}

/// What backs a region.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Backing {
    /// RAM: cacheable, and the kernel may copy to and from it.
    #[default]
    Ram,
    /// Device registers: device memory, never executable, and never a
    /// system-call buffer.
    Device,
}

/// A page-aligned virtual range mapped to contiguous physical memory.
/// The default is an empty region, the value of unused room.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Region {
    /// First virtual address.
    pub virt: u32,
    /// Length in bytes (whole pages).
    pub size: u32,
    /// First physical address.
    pub phys: usize,
    /// Rights.
    pub rights: Rights,
    /// RAM or device.
    pub backing: Backing,
}

impl Region {
    /// RAM mapped with `rights`.
    pub const fn ram(virt: u32, size: u32, phys: usize, rights: Rights) -> Region {
        Region {
            virt,
            size,
            phys,
            rights,
            backing: Backing::Ram,
        }
    }

    fn attributes(&self) -> Attributes {
        let attrs = self.rights.attributes();
        match self.backing {
            Backing::Ram => attrs,
            Backing::Device => Attributes {
                memory: MemoryType::Device,
                executable: false,
                ..attrs
            },
        }
    }

    fn contains(&self, va: u32, len: u32) -> bool {
        va >= self.virt && (va - self.virt) <= self.size && len <= self.size - (va - self.virt)
    }
}

/// Why a region could not be added or tables not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpaceError {
    /// Not page aligned, empty, or reaching past [`USER_TOP`].
    BadRegion,
    /// Overlaps a region already present.
    Overlap,
    /// More regions outside the grant window than the space has room for.
    TooManyRegions,
    /// More second-level tables needed than provided.
    TooFewPageTables { needed: usize, provided: usize },
}

/// How the kernel will use a user buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Use {
    /// The kernel reads it.
    Read,
    /// The kernel writes it.
    Write,
}

/// The regions outside the grant window, in room reserved at boot:
/// `room[..len]` are the regions, the rest is unused.
#[derive(Debug)]
struct RegionList {
    room: &'static mut [Region],
    len: usize,
}

impl RegionList {
    fn as_slice(&self) -> &[Region] {
        &self.room[..self.len]
    }

    fn push(&mut self, region: Region) -> Result<(), SpaceError> {
        let slot = self
            .room
            .get_mut(self.len)
            .ok_or(SpaceError::TooManyRegions)?;
        *slot = region;
        self.len += 1;
        Ok(())
    }

    /// Removes region `index` (< `len`); the last one takes its place.
    fn swap_remove(&mut self, index: usize) -> Region {
        let last = self.len - 1;
        self.room.swap(index, last);
        self.len = last;
        core::mem::take(&mut self.room[last])
    }
}

/// A partition's regions.
#[derive(Debug)]
pub struct UserSpace {
    regions: RegionList,
    grants: GrantRegions,
    /// Whether a region outside the grant window's bookkeeping (in
    /// `regions`) was ever added overlapping the window: only then can a
    /// grant-window region overlap one of them, so only then does
    /// [`add`](Self::add) scan them for a grant (a frame mapped on a page
    /// fault). Never reset: a stale `true` costs a scan, never a check.
    regions_touch_window: bool,
}

impl PartialEq for UserSpace {
    fn eq(&self, other: &UserSpace) -> bool {
        self.regions() == other.regions() && self.grants == other.grants
    }
}

impl Eq for UserSpace {}

/// Room for regions a host test's space has ([`UserSpace::new`]).
#[cfg(test)]
pub const TEST_ROOM: usize = 16;

/// Host tests' spaces: room for [`TEST_ROOM`] regions, leaked.
#[cfg(test)]
impl Default for UserSpace {
    fn default() -> UserSpace {
        extern crate std;
        let room = std::vec![Region::default(); TEST_ROOM];
        UserSpace::with_room(std::boxed::Box::leak(room.into_boxed_slice()))
    }
}

impl UserSpace {
    /// An empty space with room for `room.len()` regions outside the
    /// grant window (reserved at boot for this space alone).
    pub fn with_room(room: &'static mut [Region]) -> UserSpace {
        UserSpace {
            regions: RegionList { room, len: 0 },
            grants: GrantRegions::default(),
            regions_touch_window: false,
        }
    }

    /// An empty space with room for [`TEST_ROOM`] regions, leaked: for
    /// host tests.
    #[cfg(test)]
    pub fn new() -> UserSpace {
        UserSpace::default()
    }

    /// The regions outside the grant window.
    pub fn regions(&self) -> &[Region] {
        self.regions.as_slice()
    }

    /// Every region: those outside the grant window, then those in it.
    pub fn all(&self) -> impl Iterator<Item = &Region> {
        self.regions().iter().chain(self.grants.iter())
    }

    /// Adds a region.
    pub fn add(&mut self, region: Region) -> Result<(), SpaceError> {
        self.check_add(&region)?;
        self.commit_add(region);
        Ok(())
    }

    /// Checks that `region` may be added, changing nothing: for a caller
    /// that must know before it commits to anything else, and then adds
    /// it with [`commit_add`](Self::commit_add).
    #[inline(always)] // once each on a pager's fault path, after each other
    pub fn check_add(&self, region: &Region) -> Result<(), SpaceError> {
        let aligned = region.virt.is_multiple_of(PAGE_SIZE)
            && region.size.is_multiple_of(PAGE_SIZE)
            && region.phys.is_multiple_of(PAGE_SIZE as usize);
        let end = region.virt.checked_add(region.size);
        if !aligned || region.size == 0 || end.is_none_or(|e| e > USER_TOP) {
            return Err(SpaceError::BadRegion);
        }
        let end = region.virt + region.size;
        let overlaps = |r: &Region| region.virt < r.virt + r.size && r.virt < end;
        let grant_pages = pages_of(region.virt, region.size);
        let scan_regions = grant_pages.is_none() || self.regions_touch_window;
        if scan_regions && self.regions().iter().any(overlaps) {
            return Err(SpaceError::Overlap);
        }
        match grant_pages {
            Some(pages) if self.grants.any_taken(pages.clone()) => Err(SpaceError::Overlap),
            None if self.grants.iter().any(overlaps) => Err(SpaceError::Overlap),
            None if self.regions.len == self.regions.room.len() => Err(SpaceError::TooManyRegions),
            _ => Ok(()),
        }
    }

    /// Adds `region`, which [`check_add`](Self::check_add) accepted, the
    /// space unchanged since. Cannot fail.
    #[inline(always)] // once each on a pager's fault path, after each other
    pub fn commit_add(&mut self, region: Region) {
        match pages_of(region.virt, region.size) {
            Some(pages) => self.grants.insert(region, pages),
            None => {
                let pushed = self.regions.push(region);
                debug_assert!(pushed.is_ok(), "check_add counted the room");
                let end = region.virt + region.size;
                let window_end = GRANT_WINDOW + GRANT_WINDOW_SIZE;
                if region.virt < window_end && GRANT_WINDOW < end {
                    self.regions_touch_window = true;
                }
            }
        }
    }

    /// Checks that `[va, va + len)` is memory the partition may access as
    /// the kernel will `use` it, aligned to `align`, and returns the
    /// physical address of `va`. The buffer must lie in one region.
    pub fn check_buffer(
        &self,
        va: u32,
        len: u32,
        access: Use,
        align: u32,
    ) -> Result<usize, SyscallError> {
        if va == 0 {
            return Err(SyscallError::NullPointer);
        }
        if align > 1 && !va.is_multiple_of(align) {
            return Err(SyscallError::Unaligned);
        }
        let last = va
            .checked_add(len.saturating_sub(1))
            .ok_or(SyscallError::KernelAddress)?;
        if va >= USER_TOP || last >= USER_TOP {
            return Err(SyscallError::KernelAddress);
        }
        let region = match self.grants.containing(va) {
            Some(region) => Some(region).filter(|r| r.contains(va, len)),
            None => self.regions().iter().find(|r| r.contains(va, len)),
        }
        .filter(|r| r.backing == Backing::Ram)
        .ok_or(SyscallError::Unmapped)?;
        if access == Use::Write && region.rights != Rights::ReadWrite {
            return Err(SyscallError::ReadOnly);
        }
        Ok(region.phys + (va - region.virt) as usize)
    }

    /// Removes the region that starts at `virt`, if there is one.
    pub fn remove(&mut self, virt: u32) -> Option<Region> {
        if let Some(region) = self.grants.remove(virt) {
            return Some(region);
        }
        let index = self.regions().iter().position(|r| r.virt == virt)?;
        Some(self.regions.swap_remove(index))
    }

    /// How many second-level tables [`build_tables`](Self::build_tables)
    /// needs: one per megabyte any region touches.
    pub fn tables_needed(&self) -> usize {
        // One pass over user space a megabyte at a time (boot only): no
        // list of megabytes seen that a large partition could overflow.
        let section = SECTION_SIZE as u32;
        (0..USER_TOP / section)
            .filter(|&s| {
                let (start, end) = (s * section, s * section + (section - 1));
                self.all()
                    .any(|r| r.virt <= end && start <= r.virt + (r.size - 1))
            })
            .count()
    }

    /// Fills `l1` and as many tables of `l2` as needed (physically at
    /// `l2_phys`, contiguous) with this space's mappings: small pages,
    /// not global, user rights.
    pub fn build_tables(
        &self,
        l1: &mut [L1Entry; USER_L1_ENTRIES],
        l2: &mut [L2Table],
        l2_phys: usize,
    ) -> Result<usize, SpaceError> {
        let needed = self.tables_needed();
        if needed > l2.len() {
            return Err(SpaceError::TooFewPageTables {
                needed,
                provided: l2.len(),
            });
        }
        l1.fill(L1Entry::FAULT);
        for table in l2.iter_mut().take(needed) {
            table.fill(L2Entry::FAULT);
        }
        let mut used = 0;
        for r in self.all() {
            let attrs = r.attributes();
            let mut offset = 0;
            while offset < r.size {
                let va = r.virt + offset;
                let section = (va as usize) / SECTION_SIZE;
                let table = match l1[section] {
                    entry if entry == L1Entry::FAULT => {
                        let index = used;
                        used += 1;
                        l1[section] =
                            L1Entry::page_table(l2_phys + index * core::mem::size_of::<L2Table>());
                        index
                    }
                    entry => {
                        (entry.0 as usize & 0xFFFF_FC00).wrapping_sub(l2_phys)
                            / core::mem::size_of::<L2Table>()
                    }
                };
                let page = (va as usize / PAGE_SIZE as usize) % L2_ENTRIES;
                l2[table][page] = L2Entry::small_page(r.phys + offset as usize, attrs);
                offset += PAGE_SIZE;
            }
        }
        Ok(used)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::mm::descriptor::{L1Kind, SmallPageBits};
    use std::vec;

    fn space() -> UserSpace {
        let mut s = UserSpace::new();
        s.add(Region::ram(
            0x10_0000,
            0x2000,
            0x6100_0000,
            Rights::ReadExecute,
        ))
        .unwrap();
        s.add(Region::ram(0x10_2000, 0x1000, 0x6100_2000, Rights::Read))
            .unwrap();
        s.add(Region::ram(
            0x1F_F000,
            0x2000,
            0x6100_3000,
            Rights::ReadWrite,
        ))
        .unwrap();
        s
    }

    #[test]
    fn a_space_holds_as_many_regions_as_its_room_and_removal_frees_one() {
        let room = std::boxed::Box::leak(vec![Region::default(); 2].into_boxed_slice());
        let mut s = UserSpace::with_room(room);
        let r = |virt| Region::ram(virt, 0x1000, 0x6200_0000, Rights::Read);
        s.add(r(0x10_0000)).unwrap();
        s.add(r(0x20_0000)).unwrap();
        assert_eq!(s.add(r(0x30_0000)), Err(SpaceError::TooManyRegions));
        assert_eq!(s.regions(), [r(0x10_0000), r(0x20_0000)]);
        // Grant-window pages take no room of the list.
        s.add(r(kernel_abi::user_layout::GRANT_WINDOW)).unwrap();
        assert_eq!(s.remove(0x10_0000), Some(r(0x10_0000)));
        s.add(r(0x30_0000)).unwrap();
        assert_eq!(s.regions(), [r(0x20_0000), r(0x30_0000)]);
        assert_eq!(s.all().count(), 3);
    }

    #[test]
    fn rejects_bad_and_overlapping_regions() {
        let mut s = space();
        let r = |virt, size| Region::ram(virt, size, 0x6200_0000, Rights::Read);
        assert_eq!(s.add(r(0x10_1000, 0x1000)), Err(SpaceError::Overlap));
        assert_eq!(s.add(r(0x30_0004, 0x1000)), Err(SpaceError::BadRegion));
        assert_eq!(s.add(r(0x30_0000, 0)), Err(SpaceError::BadRegion));
        assert_eq!(s.add(r(0x7FFF_F000, 0x2000)), Err(SpaceError::BadRegion));
        assert_eq!(s.add(r(0xFFFF_F000, 0x2000)), Err(SpaceError::BadRegion));
    }

    #[test]
    fn a_grant_region_overlapping_a_region_that_straddles_the_window_is_refused() {
        let mut s = space();
        let r = |virt, size| Region::ram(virt, size, 0x6200_0000, Rights::Read);
        // Grant-window regions skip the scan of the other regions only
        // while none of those reaches into the window.
        s.add(r(GRANT_WINDOW + 0x1000, 0x1000)).unwrap();
        assert_eq!(
            s.add(r(GRANT_WINDOW + 0x1000, 0x1000)),
            Err(SpaceError::Overlap)
        );
        // A region across the window's start, then one across its end.
        s.add(r(GRANT_WINDOW - 0x1000, 0x2000)).unwrap();
        assert_eq!(s.add(r(GRANT_WINDOW, 0x1000)), Err(SpaceError::Overlap));
        let last = GRANT_WINDOW + GRANT_WINDOW_SIZE - 0x1000;
        s.add(r(last, 0x2000)).unwrap();
        assert_eq!(s.add(r(last, 0x1000)), Err(SpaceError::Overlap));
        s.add(r(last - 0x1000, 0x1000)).unwrap();
        assert_eq!(s.remove(last), Some(r(last, 0x2000)));
        s.add(r(last, 0x1000)).unwrap();
        assert_eq!(s.add(r(GRANT_WINDOW, 0x1000)), Err(SpaceError::Overlap));
    }

    #[test]
    fn buffers_are_checked_for_every_kind_of_bad_pointer() {
        let s = space();
        assert_eq!(s.check_buffer(0x10_0010, 4, Use::Read, 1), Ok(0x6100_0010));
        assert_eq!(s.check_buffer(0x20_0ff8, 8, Use::Write, 8), Ok(0x6100_4ff8));
        assert_eq!(
            s.check_buffer(0, 4, Use::Read, 1),
            Err(SyscallError::NullPointer)
        );
        assert_eq!(
            s.check_buffer(0x20_0004, 8, Use::Write, 8),
            Err(SyscallError::Unaligned)
        );
        assert_eq!(
            s.check_buffer(0xC000_0000, 4, Use::Read, 1),
            Err(SyscallError::KernelAddress)
        );
        assert_eq!(
            s.check_buffer(0x7FFF_FFFC, 8, Use::Read, 1),
            Err(SyscallError::KernelAddress)
        );
        assert_eq!(
            s.check_buffer(0xFFFF_FFFC, 8, Use::Read, 1),
            Err(SyscallError::KernelAddress)
        );
        assert_eq!(
            s.check_buffer(0x40_0000, 4, Use::Read, 1),
            Err(SyscallError::Unmapped)
        );
        // Straddles two regions: text then rodata.
        assert_eq!(
            s.check_buffer(0x10_1ffc, 8, Use::Read, 1),
            Err(SyscallError::Unmapped)
        );
        assert_eq!(
            s.check_buffer(0x10_0000, 4, Use::Write, 1),
            Err(SyscallError::ReadOnly)
        );
        assert_eq!(
            s.check_buffer(0x10_2000, 4, Use::Write, 1),
            Err(SyscallError::ReadOnly)
        );
        // The end of a region is fine; one byte past is not.
        assert!(s.check_buffer(0x20_0000, 0x1000, Use::Write, 1).is_ok());
        assert_eq!(
            s.check_buffer(0x20_0000, 0x1001, Use::Write, 1),
            Err(SyscallError::Unmapped)
        );
    }

    #[test]
    fn device_regions_are_device_memory_and_never_syscall_buffers() {
        let mut s = space();
        let device = Region {
            backing: Backing::Device,
            ..Region::ram(0x4000_0000, 0x1000, 0x1000_9000, Rights::ReadWrite)
        };
        s.add(device).unwrap();
        assert_eq!(
            s.check_buffer(0x4000_0000, 4, Use::Read, 1),
            Err(SyscallError::Unmapped)
        );
        let mut l1 = std::boxed::Box::new([L1Entry::FAULT; USER_L1_ENTRIES]);
        let mut l2 = vec![[L2Entry::FAULT; L2_ENTRIES]; 3];
        s.build_tables(&mut l1, &mut l2, 0x6300_0000).unwrap();
        let entry = l2[2][0];
        assert_eq!(entry.page(), Some(0x1000_9000));
        let bits = entry.bits();
        assert!(bits.contains(SmallPageBits::B | SmallPageBits::XN));
        assert!(!bits.intersects(SmallPageBits::C | SmallPageBits::TEX0));
    }

    #[test]
    fn tables_map_exactly_the_regions_with_user_rights() {
        let s = space();
        assert_eq!(s.tables_needed(), 2);
        let mut l1 = std::boxed::Box::new([L1Entry::FAULT; USER_L1_ENTRIES]);
        let mut l2 = vec![[L2Entry::FAULT; L2_ENTRIES]; 2];
        assert_eq!(s.build_tables(&mut l1, &mut l2, 0x6300_0000), Ok(2));
        assert_eq!(l1[1].kind(), L1Kind::PageTable { table: 0x6300_0000 });
        assert_eq!(l1[0].kind(), L1Kind::Fault, "nothing below USER_BASE");
        let text = l2[0][0].bits();
        assert!(text.contains(SmallPageBits::AP1 | SmallPageBits::AP2 | SmallPageBits::NG));
        assert!(!text.contains(SmallPageBits::XN));
        let rodata = l2[0][2].bits();
        assert!(rodata.contains(SmallPageBits::XN | SmallPageBits::AP2));
        assert_eq!(l2[0][3], L2Entry::FAULT);
        let data = l2[0][0xFF].bits();
        assert!(data.contains(SmallPageBits::XN | SmallPageBits::AP1));
        assert!(!data.contains(SmallPageBits::AP2));
        assert_eq!(l2[0][0xFF].page(), Some(0x6100_3000));
        assert_eq!(l2[1][0].page(), Some(0x6100_4000));
        let mapped: usize = l2
            .iter()
            .map(|t| t.iter().filter(|e| e.page().is_some()).count())
            .sum();
        assert_eq!(mapped, 5);
        let mut too_few = vec![[L2Entry::FAULT; L2_ENTRIES]; 1];
        assert_eq!(
            s.build_tables(&mut l1, &mut too_few, 0),
            Err(SpaceError::TooFewPageTables {
                needed: 2,
                provided: 1
            })
        );
    }
}
