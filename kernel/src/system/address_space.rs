//! The address-space system calls of a guest kernel: `space_map` puts a
//! frame it holds into one of its processes' address spaces, `space_unmap`
//! takes a range out, `space_reset` empties one.
//!
//! A mapping in a guest address space is recorded against the frame
//! capability it was made through, exactly as a grant-window mapping is
//! ([`crate::cap::mapping`]): a frame capability is mapped once at a time,
//! and deleting, revoking or transferring it takes the mapping down
//! through [`super::frames::unmap`] — so revoking a frame reaches every
//! process it was mapped into. Only the partition that owns an address
//! space may use it, whoever holds a capability to it; every argument is
//! checked before any table is written, and a page is never mapped
//! writable and executable at once.

use kernel_abi::cap::{CapKind, CapSlot, Rights};
use kernel_abi::syscall::SyscallError;
use kernel_abi::user_layout::{PAGE_SIZE, USER_TOP};

use super::System;
use crate::cap::{CapObject, SpaceId};
use crate::machine::Machine;
use crate::mm::guest_space::{PageRights, PageRun};
use crate::objects::KernelObjects;

/// The page rights `rights` asks for: `READ`, with `WRITE` or `EXECUTE`
/// but not both, and nothing else.
fn page_rights(rights: Rights) -> Result<PageRights, SyscallError> {
    let read_write = Rights::READ.union(Rights::WRITE);
    let read_execute = Rights::READ.union(Rights::EXECUTE);
    match rights {
        r if r == Rights::READ => Ok(PageRights::Read),
        r if r == read_write => Ok(PageRights::ReadWrite),
        r if r == read_execute => Ok(PageRights::ReadExecute),
        _ => Err(SyscallError::InvalidArgument),
    }
}

/// Checks that `pages` pages from `virt` are a page-aligned range of user
/// space.
fn user_range(virt: u32, pages: u32) -> Result<u32, SyscallError> {
    if !virt.is_multiple_of(PAGE_SIZE) {
        return Err(SyscallError::Unaligned);
    }
    if pages == 0 {
        return Err(SyscallError::InvalidArgument);
    }
    pages
        .checked_mul(PAGE_SIZE)
        .and_then(|size| virt.checked_add(size))
        .filter(|&end| end <= USER_TOP)
        .ok_or(SyscallError::KernelAddress)
}

impl<'a> System<'a> {
    /// The guest address space whose capability (with `rights`) thread
    /// `index` names in `register`: one its own partition owns.
    pub(super) fn space_argument(
        &self,
        index: usize,
        slot: CapSlot,
        rights: Rights,
    ) -> Result<SpaceId, SyscallError> {
        let at = self.own_slot(index, slot);
        let cap = self
            .objects
            .caps
            .lookup(at, CapKind::AddressSpace, rights)?;
        let CapObject::AddressSpace(space) = cap.object else {
            return Err(SyscallError::WrongType);
        };
        let owner = self.objects.guests.get(space).map(|s| s.partition);
        if owner != Some(at.partition) {
            return Err(SyscallError::WrongPartition);
        }
        Ok(space)
    }

    /// `space_map(space, frame, address, rights)`.
    pub(super) fn space_map(
        &mut self,
        index: usize,
        (space, frame, virt, rights): (CapSlot, CapSlot, u32, Rights),
        machine: &mut impl Machine,
    ) -> Result<(), SyscallError> {
        let space = self.space_argument(index, space, Rights::WRITE)?;
        let at = self.own_slot(index, frame);
        let page = page_rights(rights)?;
        let cap = *self.objects.caps.lookup(at, CapKind::Frame, Rights::READ)?;
        if !rights.is_subset_of(cap.rights) {
            return Err(SyscallError::MissingRights);
        }
        let CapObject::Frame { base, pages } = cap.object else {
            return Err(SyscallError::WrongType);
        };
        user_range(virt, pages)?;
        if self.objects.mappings.get(at).is_some() {
            return Err(SyscallError::SlotOccupied);
        }
        self.objects.guests.check_map(space, virt, pages, machine)?;
        let owner = self
            .objects
            .mappings
            .global(at)
            .ok_or(SyscallError::InvalidArgument)?;
        // Point of no return: the capability is unmapped, the range free
        // and the page tables there.
        self.objects.mappings.record(at, Some(space), virt, pages)?;
        let run = PageRun {
            phys: base,
            pages,
            rights: page,
            owner: owner as u16,
        };
        self.objects.guests.map(space, virt, run, machine);
        Ok(())
    }

    /// `space_unmap(space, address, pages)`: every mapping in the range
    /// goes, each through its capability's record; one that lies only
    /// partly in the range refuses the call.
    pub(super) fn space_unmap(
        &mut self,
        index: usize,
        (space, virt, pages): (CapSlot, u32, u32),
        machine: &mut impl Machine,
    ) -> Result<(), SyscallError> {
        let space = self.space_argument(index, space, Rights::WRITE)?;
        let end = user_range(virt, pages)?;
        let mut at = virt;
        while let Some((va, owner)) = self.objects.guests.next_owner(space, at, end, machine) {
            let whole = self
                .objects
                .mappings
                .get_global(usize::from(owner))
                .is_some_and(|m| {
                    let last = m.virt + (u32::from(m.pages) - 1) * PAGE_SIZE;
                    m.space() == Some(space) && m.virt >= virt && last < end
                });
            if !whole {
                return Err(SyscallError::InvalidArgument);
            }
            at = va + PAGE_SIZE;
        }
        // Point of no return: every mapping met lies wholly in the range.
        let KernelObjects {
            mappings, guests, ..
        } = &mut self.objects;
        let mut at = virt;
        while let Some((va, owner)) = guests.next_owner(space, at, end, machine) {
            if let Some(mapping) = mappings.take_global(usize::from(owner)) {
                super::frames::unmap(self.partitions, guests, mapping, machine);
            }
            at = va + PAGE_SIZE;
        }
        Ok(())
    }

    /// `space_reset(space)`.
    pub(super) fn space_reset(
        &mut self,
        index: usize,
        space: CapSlot,
        machine: &mut impl Machine,
    ) -> Result<(), SyscallError> {
        let space = self.space_argument(index, space, Rights::WRITE)?;
        self.reset_space(space, machine);
        Ok(())
    }

    /// Takes every mapping of `space` down, forgetting each capability's
    /// record, and gives its page tables back.
    pub(super) fn reset_space(&mut self, space: SpaceId, machine: &mut impl Machine) {
        let KernelObjects {
            mappings, guests, ..
        } = &mut self.objects;
        guests.reset(space, machine, |owner| {
            mappings.take_global(usize::from(owner));
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_never_writable_and_executable() {
        let r = Rights::READ;
        assert_eq!(page_rights(r), Ok(PageRights::Read));
        assert_eq!(
            page_rights(r.union(Rights::WRITE)),
            Ok(PageRights::ReadWrite)
        );
        assert_eq!(
            page_rights(r.union(Rights::EXECUTE)),
            Ok(PageRights::ReadExecute)
        );
        for bad in [
            Rights::NONE,
            Rights::WRITE,
            r.union(Rights::WRITE).union(Rights::EXECUTE),
            r.union(Rights::GRANT),
        ] {
            assert_eq!(page_rights(bad), Err(SyscallError::InvalidArgument));
        }
    }

    #[test]
    fn ranges_are_aligned_user_space() {
        assert_eq!(user_range(0x1000, 2), Ok(0x3000));
        assert_eq!(user_range(0x1004, 1), Err(SyscallError::Unaligned));
        assert_eq!(user_range(0x1000, 0), Err(SyscallError::InvalidArgument));
        assert_eq!(
            user_range(USER_TOP - PAGE_SIZE, 2),
            Err(SyscallError::KernelAddress)
        );
        assert_eq!(user_range(USER_TOP, 1), Err(SyscallError::KernelAddress));
        assert_eq!(user_range(0xFFFF_F000, 2), Err(SyscallError::KernelAddress));
        assert_eq!(user_range(USER_TOP - PAGE_SIZE, 1), Ok(USER_TOP));
    }
}
