//! Frame and capability-management system calls: mapping a frame
//! capability into the caller's grant window, unmapping it, copying a
//! capability with fewer rights, deleting one, and revoking everything
//! derived from one — with every mapping made through a removed capability
//! taken down, in whichever partition it was.
//!
//! Page-table entries are written through the machine's physical-memory
//! window into each partition's grant-window table (allocated at boot), and
//! every removed page's cached translation is invalidated by address and
//! ASID. A large frame may instead be mapped whole in the partition's pool
//! region (`user_layout::POOL_REGION`), one first-level section entry per
//! whole megabyte, written into the partition's first-level table; each
//! section's cached translation is invalidated the same way when it goes.
//! Nothing here maps outside those two places; mappings a guest
//! kernel made in its address spaces (`guest_space`) are recorded the same
//! way and taken down by the same [`unmap`], so a revoke reaches them too.

mod census;

use kernel_abi::cap::{CapKind, Rights};
use kernel_abi::syscall::SyscallError;
use kernel_abi::user_layout::{
    GRANT_WINDOW, GRANT_WINDOW_SIZE, PAGE_SIZE, POOL_REGION, POOL_REGION_SIZE, SECTION_SIZE,
};

use super::System;
use crate::cap::layout::SlotRef;
use crate::cap::mapping::Mapping;
use crate::cap::space::checked;
use crate::cap::{CapObject, CapSlot, Capability};
use crate::ipc::ThreadId;
use crate::machine::Machine;
use crate::mm::descriptor::{Access, Attributes, L1Entry, L2Entry, MemoryType};
use crate::mm::guest_space::GuestSpaces;
use crate::mm::user_space::{Region, Rights as RegionRights};
use crate::objects::KernelObjects;
use crate::partition::Partition;

/// Register of a call's second argument.
const ARG1: usize = 1;

impl<'a> System<'a> {
    /// Slot `slot` of thread `index`'s partition.
    pub(super) fn own_slot(&self, index: usize, slot: CapSlot) -> SlotRef {
        SlotRef::new(self.threads[index].partition as u8, slot.0)
    }

    /// `frame_map(frame, vaddr, rights)`: maps the whole frame at `vaddr`
    /// in the caller's grant window with `rights` (READ, optionally WRITE);
    /// tells the caller the frame's size in pages. A `vaddr` in the pool
    /// region maps a 1 MiB-aligned frame's whole megabytes as sections
    /// instead, and tells the caller how many pages that mapped.
    pub(super) fn frame_map(
        &mut self,
        index: usize,
        (frame, virt, rights): (CapSlot, u32, Rights),
        machine: &mut impl Machine,
    ) -> Result<(), SyscallError> {
        let at = self.own_slot(index, frame);
        let pages = self.map_at(at, virt, rights, machine)?;
        self.threads[index].context.r[ARG1] = pages;
        Ok(())
    }

    /// Maps the frame capability at `at` at `virt` in its partition's grant
    /// window with `rights`; returns the frame's size in pages.
    pub(super) fn map_at(
        &mut self,
        at: SlotRef,
        virt: u32,
        rights: Rights,
        machine: &mut impl Machine,
    ) -> Result<u32, SyscallError> {
        // One translation of the slot, shared by the capability and
        // mapping tables (they have one layout).
        let global = self.objects.caps.global(at)?;
        let cap = self.objects.caps.get_global(global)?;
        if (POOL_REGION..POOL_REGION + POOL_REGION_SIZE).contains(&virt) {
            let (base, pages) = frame_to_map(cap, rights)?;
            return self.map_pool(at, virt, base, pages, rights, machine);
        }
        let map = self.check_window_map(at.partition, cap, virt, rights)?;
        if self.objects.mappings.get_global(global).is_some() {
            return Err(SyscallError::SlotOccupied);
        }
        // Point of no return: the range was free and the capability unmapped.
        Ok(self.commit_window_map(global, map, machine))
    }

    /// Checks, changing nothing, that the frame capability `cap` may be
    /// mapped at `virt` in the grant window of `partition` with `rights`:
    /// the mapping [`System::commit_window_map`] then makes through an
    /// unmapped slot of that partition holding it. (A caller may check
    /// before the capability is in that slot: a pager's frame.)
    #[inline(always)] // on a pager's fault path
    pub(super) fn check_window_map(
        &self,
        partition: u8,
        cap: &Capability,
        virt: u32,
        rights: Rights,
    ) -> Result<WindowMap, SyscallError> {
        let (base, pages) = frame_to_map(cap, rights)?;
        let size = pages
            .checked_mul(PAGE_SIZE)
            .ok_or(SyscallError::InvalidArgument)?;
        let in_window = virt >= GRANT_WINDOW
            && virt.is_multiple_of(PAGE_SIZE)
            && size <= GRANT_WINDOW_SIZE - (virt - GRANT_WINDOW).min(GRANT_WINDOW_SIZE);
        if !in_window || size == 0 {
            return Err(SyscallError::InvalidArgument);
        }
        self.partitions[usize::from(partition)]
            .space
            .check_add(&Region::ram(virt, size, base, region_rights(rights)))
            .map_err(|_| SyscallError::SlotOccupied)?;
        Ok(WindowMap {
            partition,
            virt,
            base,
            pages,
            rights,
        })
    }

    /// Makes the grant-window mapping `map` through the slot with global
    /// number `global` (of `map`'s partition, holding the frame capability
    /// checked, and unmapped); returns the frame's size in pages. Cannot
    /// fail.
    pub(super) fn commit_window_map(
        &mut self,
        global: usize,
        map: WindowMap,
        machine: &mut impl Machine,
    ) -> u32 {
        let WindowMap {
            partition,
            virt,
            base,
            pages,
            rights,
        } = map;
        let space = &mut self.partitions[usize::from(partition)];
        let size = pages * PAGE_SIZE;
        let region = Region::ram(virt, size, base, region_rights(rights));
        space.space.commit_add(region);
        let recorded = self
            .objects
            .mappings
            .record_global(global, partition, None, virt, pages);
        debug_assert!(
            recorded.is_ok(),
            "an unmapped slot, a frame of a window's pages"
        );
        let attrs = user_attributes(rights);
        let table = space.grant_table;
        for page in 0..pages {
            let va = virt + page * PAGE_SIZE;
            let entry = L2Entry::small_page(base + (page * PAGE_SIZE) as usize, attrs);
            machine.write_phys(entry_address(table, va), &entry.0.to_le_bytes());
        }
        machine.page_tables_changed(None);
        pages
    }

    /// Maps the frame (`pages` pages at `base`) through `at` at `virt` in
    /// its partition's pool region as one section per whole megabyte;
    /// returns how many pages that maps. The frame's base and `virt` must
    /// be 1 MiB aligned, the frame at least a megabyte, and the sections
    /// must end inside the pool region.
    fn map_pool(
        &mut self,
        at: SlotRef,
        virt: u32,
        base: usize,
        pages: u32,
        rights: Rights,
        machine: &mut impl Machine,
    ) -> Result<u32, SyscallError> {
        let pages_per_section = SECTION_SIZE / PAGE_SIZE;
        let sections = pages / pages_per_section;
        let size = sections * SECTION_SIZE;
        let aligned =
            virt.is_multiple_of(SECTION_SIZE) && base.is_multiple_of(SECTION_SIZE as usize);
        let fits = size <= POOL_REGION + POOL_REGION_SIZE - virt;
        if !aligned || sections == 0 || !fits {
            return Err(SyscallError::InvalidArgument);
        }
        if self.objects.mappings.get(at).is_some() {
            return Err(SyscallError::SlotOccupied);
        }
        let partition = &mut self.partitions[at.partition as usize];
        partition
            .space
            .add(Region::ram(virt, size, base, region_rights(rights)))
            .map_err(|_| SyscallError::SlotOccupied)?;
        // Point of no return: the range was free and the capability unmapped.
        self.objects.mappings.record_pool(at, virt, sections)?;
        let attrs = user_attributes(rights);
        let table = partition.table;
        for section in 0..sections {
            let va = virt + section * SECTION_SIZE;
            let entry = L1Entry::section(base + (section * SECTION_SIZE) as usize, attrs);
            machine.write_phys(section_address(table, va), &entry.0.to_le_bytes());
        }
        machine.page_tables_changed(None);
        Ok(sections * pages_per_section)
    }

    /// `frame_unmap(frame)`: takes down the mapping made through it (in
    /// the grant window or a guest address space).
    pub(super) fn frame_unmap(
        &mut self,
        index: usize,
        frame: CapSlot,
        machine: &mut impl Machine,
    ) -> Result<(), SyscallError> {
        let at = self.own_slot(index, frame);
        self.objects.caps.lookup(at, CapKind::Frame, Rights::NONE)?;
        let mapping = self
            .objects
            .mappings
            .take(at)
            .ok_or(SyscallError::InvalidArgument)?;
        unmap(self.partitions, &mut self.objects.guests, mapping, machine);
        Ok(())
    }

    /// `frame_split(frame, page, dest)`: a one-page capability for page
    /// `page` of the frame, derived into an empty slot of the caller's space.
    pub(super) fn frame_split(
        &mut self,
        index: usize,
        (frame, page, destination): (CapSlot, u32, CapSlot),
    ) -> Result<(), SyscallError> {
        let source = self.own_slot(index, frame);
        let dest = self.own_slot(index, destination);
        self.objects
            .caps
            .lookup(source, CapKind::Frame, Rights::NONE)?;
        Ok(self.objects.caps.derive_page(source, dest, page)?)
    }

    /// `cap_copy(source, dest, rights)`: a copy with `rights` (a subset)
    /// into an empty slot of the caller's own space, derived from the source.
    pub(super) fn cap_copy(
        &mut self,
        index: usize,
        (source, destination, rights): (CapSlot, CapSlot, Rights),
    ) -> Result<(), SyscallError> {
        let (source, dest) = (
            self.own_slot(index, source),
            self.own_slot(index, destination),
        );
        Ok(self.objects.caps.derive(source, dest, rights)?)
    }

    /// `cap_delete(slot)`: removes one capability (and its mapping). A
    /// capability lent for a call in progress stays until the call ends.
    pub(super) fn cap_delete(
        &mut self,
        index: usize,
        slot: CapSlot,
        machine: &mut impl Machine,
    ) -> Result<(), SyscallError> {
        // One translation of the slot to its global number, shared by the
        // capability, loan and mapping tables (they have one layout).
        let global = self.objects.caps.global(self.own_slot(index, slot))?;
        self.objects.caps.get_global(global)?;
        if self.objects.lending.is_lent_global(global) {
            return Err(SyscallError::Busy);
        }
        // Point of no return: the slot holds a capability nobody pinned.
        let deleted = self.objects.caps.delete_global(global)?;
        let passing = &mut self.objects.passing;
        passing.forget_global(&mut self.objects.threads, global);
        if let Some(mapping) = self.objects.mappings.take_global(global) {
            unmap(self.partitions, &mut self.objects.guests, mapping, machine);
        }
        if let Some(endpoint) = receive_right(&deleted) {
            self.close_if_unserved(endpoint);
        }
        Ok(())
    }

    /// `cap_revoke(slot)`: removes every capability derived from it, in any
    /// partition, and every mapping made through them.
    pub(super) fn cap_revoke(
        &mut self,
        index: usize,
        slot: CapSlot,
        machine: &mut impl Machine,
    ) -> Result<(), SyscallError> {
        let at = self.own_slot(index, slot);
        self.objects.caps.get(at)?;
        self.destroy_derived(at, false, machine)?;
        Ok(())
    }

    /// Revokes everything derived from `at` (and `at` itself if `including`),
    /// taking down each removed capability's mapping and ending its loan
    /// as it goes: however many there are, none is left behind.
    pub(super) fn destroy_derived(
        &mut self,
        at: SlotRef,
        including: bool,
        machine: &mut impl Machine,
    ) -> Result<usize, SyscallError> {
        let KernelObjects {
            caps,
            mappings,
            lending,
            passing,
            guests,
            threads,
            ..
        } = &mut self.objects;
        let partitions = &mut *self.partitions;
        let mut receive_rights_went = false;
        let mut release = |slot: SlotRef, cap: Capability| {
            lending.forget(threads, slot);
            passing.forget(threads, slot);
            if let Some(mapping) = mappings.take(slot) {
                unmap(partitions, guests, mapping, machine);
            }
            receive_rights_went |= receive_right(&cap).is_some();
        };
        let count = if including {
            caps.destroy(at, &mut release)?
        } else {
            caps.revoke(at, &mut release)?
        };
        // Any number went: every endpoint is looked at (O(endpoints ×
        // slots), only when a receive capability was destroyed).
        if receive_rights_went {
            for e in 0..self.objects.endpoints.count() {
                self.close_if_unserved(crate::cap::EndpointId(e as u16));
            }
        }
        Ok(count)
    }

    /// Ends the transient grant thread `caller` made for its call, if any:
    /// the lent capability goes, with everything derived from it wherever
    /// it went and every mapping made through them.
    pub(super) fn end_transient(&mut self, caller: usize, machine: &mut impl Machine) {
        if let Some(at) = self
            .objects
            .lending
            .end(&mut self.objects.threads, ThreadId(caller as u16))
        {
            let ended = self.destroy_derived(at, true, machine);
            debug_assert!(
                ended.is_ok(),
                "a lent capability stays in its slot until its loan ends"
            );
        }
    }

    /// Checks that the capability at `source` may move to another
    /// partition: it is not lent, and it is the only authority over what
    /// it names (so the sender keeps no access through a copy, a split
    /// page, an ancestor or a second capability to the same memory).
    pub(super) fn check_transfer(&self, source: SlotRef) -> Result<(), SyscallError> {
        if self.objects.lending.is_lent(source) {
            return Err(SyscallError::Busy);
        }
        if !self.objects.caps.is_sole_authority(source)? {
            return Err(SyscallError::Shared);
        }
        Ok(())
    }
}

/// Clears a mapping's entries and drops their cached translations: in the
/// guest address space it was made in, or in its partition's grant window.
pub(super) fn unmap(
    partitions: &mut [Partition],
    guests: &mut GuestSpaces<'_>,
    mapping: Mapping,
    machine: &mut impl Machine,
) {
    if let Some(space) = mapping.space() {
        guests.unmap(space, mapping.virt, u32::from(mapping.pages), machine);
        return;
    }
    let Some(partition) = partitions.get_mut(usize::from(mapping.partition)) else {
        return;
    };
    partition.space.remove(mapping.virt);
    if let Some(sections) = mapping.sections() {
        for section in 0..u32::from(sections) {
            let va = mapping.virt + section * SECTION_SIZE;
            machine.write_phys(
                section_address(partition.table, va),
                &L1Entry::FAULT.0.to_le_bytes(),
            );
            machine.page_tables_changed(Some((partition.asid, va)));
        }
        return;
    }
    for page in 0..u32::from(mapping.pages) {
        let va = mapping.virt + page * PAGE_SIZE;
        machine.write_phys(
            entry_address(partition.grant_table, va),
            &L2Entry::FAULT.0.to_le_bytes(),
        );
        machine.page_tables_changed(Some((partition.asid, va)));
    }
}

/// What a region mapped with capability rights `rights` may do.
fn region_rights(rights: Rights) -> RegionRights {
    if rights.contains(Rights::WRITE) {
        RegionRights::ReadWrite
    } else {
        RegionRights::Read
    }
}

/// The endpoint `cap` may receive on, if it is an endpoint capability
/// with `READ`: when one is destroyed, the endpoint may be left with no
/// receiver ([`System::close_if_unserved`]).
fn receive_right(cap: &Capability) -> Option<crate::cap::EndpointId> {
    match cap.object {
        CapObject::Endpoint(endpoint) if cap.rights.contains(Rights::READ) => Some(endpoint),
        _ => None,
    }
}

/// The frame (its base and pages) of `cap`, if it is a frame capability
/// that may be mapped with `rights`: `READ`, never `EXECUTE`, and no
/// right the capability lacks.
fn frame_to_map(cap: &Capability, rights: Rights) -> Result<(usize, u32), SyscallError> {
    checked(cap, CapKind::Frame, Rights::READ)?;
    if !rights.contains(Rights::READ)
        || !rights.is_subset_of(cap.rights)
        || rights.contains(Rights::EXECUTE)
    {
        return Err(SyscallError::MissingRights);
    }
    match cap.object {
        CapObject::Frame { base, pages } => Ok((base, pages)),
        _ => Err(SyscallError::WrongType),
    }
}

/// A grant-window mapping [`System::check_window_map`] accepted: the
/// frame's `pages` pages at `base`, at `virt` in `partition`'s window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct WindowMap {
    partition: u8,
    virt: u32,
    base: usize,
    pages: u32,
    rights: Rights,
}

/// Descriptor attributes of a frame mapped with `rights`: user access,
/// normal memory, never executable, tagged with the ASID.
fn user_attributes(rights: Rights) -> Attributes {
    Attributes {
        access: if rights.contains(Rights::WRITE) {
            Access::UserReadWrite
        } else {
            Access::UserReadOnly
        },
        memory: MemoryType::Normal,
        executable: false,
        global: false,
    }
}

/// Physical address of the first-level entry for `va` in the table at
/// `table`.
fn section_address(table: usize, va: u32) -> usize {
    table + (va / SECTION_SIZE) as usize * core::mem::size_of::<L1Entry>()
}

/// Physical address of the grant-window entry for `va`.
fn entry_address(table: usize, va: u32) -> usize {
    table + ((va - GRANT_WINDOW) / PAGE_SIZE) as usize * core::mem::size_of::<L2Entry>()
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::super::tests::{thread, Rig};
    use super::super::Next;
    use super::*;
    use crate::exception::TrapFrame;
    use crate::machine::tests::FakeMachine;
    use crate::mm::user_space::Use;
    use boot_info::CapObjectInfo::{Endpoint as Ep, Frame};
    use kernel_abi::cap::{GrantDescriptor, GrantKind};
    use kernel_abi::syscall::{MessageInfo, Syscall};

    const RW: u32 = Rights::READ.bits() | Rights::WRITE.bits();
    const RWG: u32 = RW | Rights::GRANT.bits();
    const TABLE: usize = 0x6100_0000;
    const FRAME: usize = 0x6200_0000;
    const AT: u32 = GRANT_WINDOW + 0x1000;

    fn syscall(frame: &mut TrapFrame, call: Syscall, args: [u32; 3]) {
        frame.r[7] = call as u32;
        frame.r[..3].copy_from_slice(&args);
    }

    fn entry(m: &FakeMachine, va: u32) -> u32 {
        let mut bytes = [0; 4];
        m.read_phys(entry_address(TABLE, va), &mut bytes);
        u32::from_le_bytes(bytes)
    }

    fn machine() -> FakeMachine {
        FakeMachine::new(TABLE, 0x1000)
    }

    #[test]
    fn map_writes_user_entries_and_unmap_clears_them_and_the_tlb() {
        let mut rig = Rig::new(std::vec![thread(0, 1, 0xA000), thread(1, 1, 0xB000)]);
        let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &[(0, 3, Frame(0), RWG, 0)]);
        let mut m = machine();
        let mut frame = TrapFrame::default();
        system.cpu_start(&mut frame, &mut m);
        syscall(&mut frame, Syscall::FrameMap, [3, AT, RW]);
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!(frame.r[0], 0);
        assert_eq!(frame.r[1], 2, "the caller learns the frame's size in pages");
        assert_eq!(L2Entry(entry(&m, AT)).page(), Some(FRAME));
        assert_eq!(L2Entry(entry(&m, AT + 0x1000)).page(), Some(FRAME + 0x1000));
        assert_eq!(entry(&m, AT + 0x2000), 0, "a two-page frame maps two pages");
        let space = &system.partitions()[0].space;
        assert_eq!(
            space.check_buffer(AT + 8, 8, Use::Write, 8),
            Ok(FRAME + 8),
            "usable as a syscall buffer"
        );
        syscall(&mut frame, Syscall::FrameMap, [3, AT + 0x4000, RW]);
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!(
            frame.r[0],
            SyscallError::SlotOccupied as u32,
            "one mapping per capability"
        );
        syscall(&mut frame, Syscall::FrameUnmap, [3, 0, 0]);
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!(frame.r[0], 0);
        assert_eq!((entry(&m, AT), entry(&m, AT + 0x1000)), (0, 0));
        assert_eq!(m.tlb_invalidations, [(1, AT), (1, AT + 0x1000)]);
        assert!(system.partitions()[0]
            .space
            .check_buffer(AT, 4, Use::Read, 1)
            .is_err());
    }

    #[test]
    fn a_split_page_maps_its_own_page_and_is_revoked_with_its_frame() {
        let mut rig = Rig::new(std::vec![thread(0, 1, 0xA000), thread(1, 1, 0xB000)]);
        let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &[(0, 3, Frame(0), RWG, 0)]);
        let mut m = machine();
        let mut frame = TrapFrame::default();
        system.cpu_start(&mut frame, &mut m);
        syscall(&mut frame, Syscall::FrameSplit, [3, 2, 6]);
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!(
            frame.r[0],
            SyscallError::InvalidArgument as u32,
            "page 2 of a two-page frame"
        );
        syscall(&mut frame, Syscall::FrameSplit, [3, 1, 6]);
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!(frame.r[0], 0);
        syscall(&mut frame, Syscall::FrameMap, [6, AT, RW]);
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!(frame.r[0], 0);
        assert_eq!(L2Entry(entry(&m, AT)).page(), Some(FRAME + 0x1000));
        assert_eq!(entry(&m, AT + 0x1000), 0, "one page");
        syscall(&mut frame, Syscall::FrameSplit, [6, 0, 7]);
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!(frame.r[0], 0, "a page of a page");
        syscall(&mut frame, Syscall::CapRevoke, [3, 0, 0]);
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!(frame.r[0], 0);
        assert_eq!(entry(&m, AT), 0, "revoking the frame unmaps its pages");
        syscall(&mut frame, Syscall::FrameMap, [6, AT, RW]);
        system.cpu_syscall(&mut frame, &mut m);
        assert_ne!(frame.r[0], 0, "the split capability is gone");
    }

    #[test]
    fn bad_mappings_are_refused() {
        let mut rig = Rig::new(std::vec![thread(0, 1, 0xA000), thread(1, 1, 0xB000)]);
        let read_only = Rights::READ.bits();
        let caps = [(0, 3, Frame(0), read_only, 0), (0, 4, Ep(0), RW, 0)];
        let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &caps);
        let mut m = machine();
        let mut frame = TrapFrame::default();
        system.cpu_start(&mut frame, &mut m);
        let mut expect = |args: [u32; 3], error: SyscallError| {
            syscall(&mut frame, Syscall::FrameMap, args);
            system.cpu_syscall(&mut frame, &mut m);
            assert_eq!(frame.r[0], error as u32, "{args:x?}");
        };
        expect([3, AT, RW], SyscallError::MissingRights);
        expect([3, AT + 4, read_only], SyscallError::InvalidArgument);
        expect([3, 0x0010_0000, read_only], SyscallError::InvalidArgument);
        expect(
            [3, GRANT_WINDOW + GRANT_WINDOW_SIZE - 0x1000, read_only],
            SyscallError::InvalidArgument,
        );
        expect([4, AT, read_only], SyscallError::WrongType);
        expect([7, AT, read_only], SyscallError::EmptySlot);
        expect([99, AT, read_only], SyscallError::InvalidArgument);
        assert!(m.memory.iter().all(|&b| b == 0), "nothing was mapped");
    }

    /// Partition a's first-level table in the fake RAM of [`pool_machine`].
    const L1: usize = 0x6100_2000;
    const POOL: u32 = POOL_REGION + 0x30_0000;

    fn pool_machine() -> FakeMachine {
        FakeMachine::new(TABLE, 0x4000)
    }

    fn section_entry(m: &FakeMachine, va: u32) -> L1Entry {
        let mut bytes = [0; 4];
        m.read_phys(section_address(L1, va), &mut bytes);
        L1Entry(u32::from_le_bytes(bytes))
    }

    #[test]
    fn a_large_frame_maps_whole_megabytes_as_sections_and_unmaps_on_delete() {
        use crate::mm::descriptor::L1Kind;
        let mut rig = Rig::new(std::vec![thread(0, 1, 0xA000), thread(1, 1, 0xB000)]);
        rig.partitions[0].table = L1;
        let caps = [(0, 3, Frame(2), RWG, 0), (0, 4, Frame(2), RWG, 0)];
        let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &caps);
        let mut m = pool_machine();
        let mut frame = TrapFrame::default();
        system.cpu_start(&mut frame, &mut m);
        syscall(&mut frame, Syscall::FrameMap, [3, POOL, RW]);
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!(frame.r[0], 0);
        assert_eq!(frame.r[1], 512, "two whole megabytes; the half is left out");
        let big = 0x6300_0000;
        for (k, va) in [POOL, POOL + 0x10_0000].into_iter().enumerate() {
            let entry = section_entry(&m, va);
            assert_eq!(
                entry.kind(),
                L1Kind::Section {
                    base: big + k * 0x10_0000
                }
            );
            let bits = entry.section_bits();
            assert!(bits.contains(
                crate::mm::descriptor::SectionBits::NG | crate::mm::descriptor::SectionBits::XN
            ));
        }
        assert_eq!(section_entry(&m, POOL + 0x20_0000), L1Entry::FAULT);
        let space = &system.partitions()[0].space;
        assert_eq!(
            space.check_buffer(POOL + 0x1F_FFF8, 8, Use::Write, 8),
            Ok(big + 0x1F_FFF8),
            "usable as a syscall buffer to its last byte"
        );
        assert!(space
            .check_buffer(POOL + 0x20_0000, 4, Use::Read, 1)
            .is_err());
        assert_eq!(system.check(), Ok(()));
        syscall(&mut frame, Syscall::FrameMap, [4, POOL + 0x10_0000, RW]);
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!(
            frame.r[0],
            SyscallError::SlotOccupied as u32,
            "the range is taken"
        );
        syscall(&mut frame, Syscall::CapDelete, [3, 0, 0]);
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!(frame.r[0], 0);
        assert_eq!(section_entry(&m, POOL), L1Entry::FAULT);
        assert_eq!(section_entry(&m, POOL + 0x10_0000), L1Entry::FAULT);
        assert_eq!(m.tlb_invalidations, [(1, POOL), (1, POOL + 0x10_0000)]);
        assert!(system.partitions()[0]
            .space
            .check_buffer(POOL, 4, Use::Read, 1)
            .is_err());
        assert_eq!(system.check(), Ok(()));
        syscall(&mut frame, Syscall::FrameMap, [4, POOL + 0x10_0000, RW]);
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!(frame.r[0], 0, "the range is free again");
    }

    #[test]
    fn bad_pool_mappings_are_refused_and_change_nothing() {
        let mut rig = Rig::new(std::vec![thread(0, 1, 0xA000), thread(1, 1, 0xB000)]);
        rig.partitions[0].table = L1;
        let read_only = Rights::READ.bits();
        let caps = [
            (0, 3, Frame(2), read_only, 0),
            (0, 4, Frame(3), RW, 0),
            (0, 5, Frame(0), RW, 0),
        ];
        let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &caps);
        let mut m = pool_machine();
        let mut frame = TrapFrame::default();
        system.cpu_start(&mut frame, &mut m);
        let last = POOL_REGION + POOL_REGION_SIZE - SECTION_SIZE;
        let mut expect = |args: [u32; 3], error: Option<SyscallError>| {
            syscall(&mut frame, Syscall::FrameMap, args);
            system.cpu_syscall(&mut frame, &mut m);
            assert_eq!(frame.r[0], error.map_or(0, |e| e as u32), "{args:x?}");
            m.memory.iter().any(|&b| b != 0)
        };
        use SyscallError::{InvalidArgument, MissingRights};
        let refused = [
            ([3, POOL, RW], MissingRights),
            ([3, POOL + 0x1000, read_only], InvalidArgument),
            ([4, POOL, RW], InvalidArgument),
            ([5, POOL, RW], InvalidArgument),
            ([3, last, read_only], InvalidArgument),
            ([3, POOL, RW | Rights::EXECUTE.bits()], MissingRights),
        ];
        for (args, error) in refused {
            assert!(!expect(args, Some(error)), "nothing was mapped");
        }
        assert!(expect([3, last - SECTION_SIZE, read_only], None));
    }

    /// Client a (frame in slot 3, endpoint slot 0 with grant right) and
    /// server b (endpoint slot 0, receive slot 5).
    fn grant_rig() -> Rig {
        Rig::new(std::vec![thread(0, 1, 0xA000), thread(1, 1, 0xB000)])
    }
    const GRANT_CAPS: [(u8, u16, boot_info::CapObjectInfo, u32, u32); 3] = [
        (0, 3, Frame(0), RWG, 0),
        (0, 0, Ep(0), RWG, 1),
        (1, 0, Ep(0), Rights::READ.bits(), 0),
    ];

    fn grant(kind: GrantKind) -> u32 {
        GrantDescriptor {
            slot: CapSlot(3),
            kind,
            rights: Rights::READ.union(Rights::WRITE),
        }
        .encode()
    }

    fn receive_into(slot: u16) -> u32 {
        MessageInfo {
            buffer: false,
            length: 0,
            granted: None,
            slot: Some(CapSlot(slot)),
        }
        .encode()
    }

    #[test]
    fn a_transient_grant_lets_the_server_map_the_page_until_it_replies() {
        let mut rig = grant_rig();
        let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &GRANT_CAPS);
        let mut m = machine();
        let mut frame = TrapFrame::default();
        system.cpu_start(&mut frame, &mut m);
        system.cpu_tick(&mut frame, &mut m); // b's window: the server waits
        syscall(&mut frame, Syscall::Recv, [0, 0, 0]);
        frame.r[6] = receive_into(5);
        assert_eq!(system.cpu_syscall(&mut frame, &mut m), Next::Idle);
        system.cpu_tick(&mut frame, &mut m); // a's window: the client calls
        syscall(&mut frame, Syscall::Call, [0, 0, 0]);
        frame.r[5] = grant(GrantKind::Transient);
        frame.r[6] = 0;
        system.cpu_syscall(&mut frame, &mut m);
        system.cpu_tick(&mut frame, &mut m); // b's window: the server has it
        let info = MessageInfo::decode(frame.r[6]).unwrap();
        assert_eq!(
            (info.slot, info.granted),
            (Some(CapSlot(5)), Some(GrantKind::Transient))
        );
        syscall(&mut frame, Syscall::FrameMap, [5, AT, RW]);
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!(frame.r[0], 0);
        assert_eq!(
            L2Entry(entry(&m, AT)).page(),
            Some(FRAME),
            "the server sees the client's page"
        );
        syscall(&mut frame, Syscall::ReplyRecv, [0, 0, 0]);
        frame.r[5] = 0;
        frame.r[6] = receive_into(5);
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!(
            entry(&m, AT),
            0,
            "the grant ended at the reply and took the mapping with it"
        );
        let server_asid = system.partitions()[1].asid;
        assert!(m.tlb_invalidations.contains(&(server_asid, AT)));
        assert!(system.objects.caps.get(SlotRef::new(1, 5)).is_err());
        assert!(
            system.objects.caps.get(SlotRef::new(0, 3)).is_ok(),
            "the client keeps its frame"
        );
    }

    #[test]
    fn revoking_a_derived_copy_unmaps_it_in_the_other_partition() {
        let mut rig = grant_rig();
        let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &GRANT_CAPS);
        let mut m = machine();
        let mut frame = TrapFrame::default();
        system.cpu_start(&mut frame, &mut m);
        system.cpu_tick(&mut frame, &mut m);
        syscall(&mut frame, Syscall::Recv, [0, 0, 0]);
        frame.r[6] = receive_into(5);
        system.cpu_syscall(&mut frame, &mut m);
        system.cpu_tick(&mut frame, &mut m);
        syscall(&mut frame, Syscall::Send, [0, 0, 0]);
        frame.r[5] = grant(GrantKind::DerivedCopy);
        frame.r[6] = 0;
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!(frame.r[0], 0);
        system.cpu_tick(&mut frame, &mut m);
        syscall(&mut frame, Syscall::FrameMap, [5, AT, RW]);
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!(L2Entry(entry(&m, AT)).page(), Some(FRAME));
        syscall(&mut frame, Syscall::Recv, [0, 0, 0]);
        frame.r[6] = receive_into(6);
        system.cpu_syscall(&mut frame, &mut m);
        system.cpu_tick(&mut frame, &mut m); // the client revokes
        syscall(&mut frame, Syscall::CapRevoke, [3, 0, 0]);
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!(frame.r[0], 0);
        assert_eq!(entry(&m, AT), 0, "the server's mapping is gone");
        assert!(
            system.objects.caps.get(SlotRef::new(1, 5)).is_err(),
            "and so is its copy"
        );
        assert!(system.objects.caps.get(SlotRef::new(0, 3)).is_ok());
    }

    #[test]
    fn a_transfer_leaves_the_sender_without_the_frame_or_its_mapping() {
        let mut rig = grant_rig();
        let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &GRANT_CAPS);
        let mut m = machine();
        let mut frame = TrapFrame::default();
        system.cpu_start(&mut frame, &mut m);
        syscall(&mut frame, Syscall::FrameMap, [3, AT, RW]);
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!(L2Entry(entry(&m, AT)).page(), Some(FRAME));
        system.cpu_tick(&mut frame, &mut m);
        syscall(&mut frame, Syscall::Recv, [0, 0, 0]);
        frame.r[6] = receive_into(5);
        system.cpu_syscall(&mut frame, &mut m);
        system.cpu_tick(&mut frame, &mut m);
        syscall(&mut frame, Syscall::Send, [0, 0, 0]);
        frame.r[5] = GrantDescriptor {
            slot: CapSlot(3),
            kind: GrantKind::Transfer,
            rights: Rights::NONE,
        }
        .encode();
        frame.r[6] = 0;
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!(frame.r[0], 0);
        assert_eq!(entry(&m, AT), 0, "the sender's mapping went with the frame");
        assert!(system.objects.caps.get(SlotRef::new(0, 3)).is_err());
        assert!(system.objects.caps.get(SlotRef::new(1, 5)).is_ok());
        assert!(system.partitions()[0]
            .space
            .check_buffer(AT, 4, Use::Read, 1)
            .is_err());
    }
}
