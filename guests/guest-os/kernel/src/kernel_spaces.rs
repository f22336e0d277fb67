//! guest-mm's [`AddressSpaceOps`] over the kernel's address spaces (issue
//! 12): the seam through which the `Vm` maps guest RAM frames into guest
//! processes running on the CPU, each in its own kernel AddressSpace.
//!
//! A process is an address-space capability (`first_space + process`), a
//! guest frame is a page-sized frame capability (`first_frame + frame`,
//! the guest RAM frame split one capability per page), and the kernel
//! calls are behind [`SpaceCalls`] so the bookkeeping is tested on the
//! host. The kernel has no "protect" call: a protection change is an
//! unmap and a map of the same frame.
//!
//! This adapter must never keep a record of a mapping the kernel does not
//! have, nor map over a mapping; and since the trait's `unmap` cannot
//! fail, an unmap the kernel refuses is counted in
//! [`KernelSpaces::broken`], which the guest must check and stop on —
//! the frame is about to be reused while a process may still reach it.

use alloc::collections::BTreeMap;

use guest_mm::{AddressSpaceOps, Frame, MapError, ProcessId, Protection, Vpn};

/// Why the kernel refused a `space_map` or `space_unmap`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpaceCallError {
    /// The partition's page-table budget is spent.
    NoPageTable,
    /// Any other refusal, with the kernel's error code.
    Refused(u32),
}

/// The two kernel calls the adapter needs, on capability slots.
pub trait SpaceCalls {
    /// `space_map(space, frame, address, protection)` of one page.
    fn map(
        &mut self,
        space: u16,
        frame: u16,
        address: u32,
        protection: Protection,
    ) -> Result<(), SpaceCallError>;

    /// `space_unmap(space, address, 1)`.
    fn unmap(&mut self, space: u16, address: u32) -> Result<(), SpaceCallError>;
}

/// Where the capabilities are: processes' address spaces and guest
/// frames, each a run of consecutive slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotLayout {
    /// The slot of process 0's address space.
    pub first_space: u16,
    /// How many address spaces (processes) there are.
    pub spaces: u16,
    /// The slot of guest frame 0's capability.
    pub first_frame: u16,
    /// How many guest frames there are.
    pub frames: u32,
}

impl SlotLayout {
    /// The address-space slot of `process`, if it has one.
    pub fn space(&self, process: ProcessId) -> Option<u16> {
        let index = u16::try_from(process.0).ok()?;
        if index >= self.spaces {
            return None;
        }
        self.first_space.checked_add(index)
    }

    /// The frame-capability slot of `frame`, if it is a guest frame.
    pub fn frame(&self, frame: Frame) -> Option<u16> {
        if frame.0 >= self.frames {
            return None;
        }
        self.first_frame.checked_add(u16::try_from(frame.0).ok()?)
    }
}

/// The processes' mappings, kept in the kernel and recorded here.
#[derive(Debug)]
pub struct KernelSpaces<C> {
    calls: C,
    layout: SlotLayout,
    mapped: BTreeMap<(ProcessId, Vpn), (Frame, Protection)>,
    broken: u64,
}

impl<C: SpaceCalls> KernelSpaces<C> {
    /// No mappings yet, over `calls` with capabilities where `layout` says.
    pub fn new(calls: C, layout: SlotLayout) -> KernelSpaces<C> {
        KernelSpaces {
            calls,
            layout,
            mapped: BTreeMap::new(),
            broken: 0,
        }
    }

    /// The mapping at `page` of `process`, as the kernel has it.
    pub fn entry(&self, process: ProcessId, page: Vpn) -> Option<(Frame, Protection)> {
        self.mapped.get(&(process, page)).copied()
    }

    /// How many pages `process` has mapped.
    pub fn mapped_pages_of(&self, process: ProcessId) -> usize {
        self.mapped.keys().filter(|(p, _)| *p == process).count()
    }

    /// How many unmaps the kernel refused: not 0 means the guest must stop.
    pub const fn broken(&self) -> u64 {
        self.broken
    }

    /// The kernel calls (for tests and for the partition's own use).
    pub fn calls(&self) -> &C {
        &self.calls
    }

    fn kernel_map(
        &mut self,
        process: ProcessId,
        page: Vpn,
        frame: Frame,
        protection: Protection,
    ) -> Result<(), MapError> {
        let space = self.layout.space(process).ok_or(MapError::Refused)?;
        let cap = self.layout.frame(frame).ok_or(MapError::Refused)?;
        match self.calls.map(space, cap, page.base(), protection) {
            Ok(()) => {
                self.mapped.insert((process, page), (frame, protection));
                Ok(())
            }
            Err(SpaceCallError::NoPageTable) => Err(MapError::NoPageTables),
            Err(SpaceCallError::Refused(_)) => Err(MapError::Refused),
        }
    }

    /// Unmaps in the kernel; the record goes only if the kernel agreed.
    fn kernel_unmap(&mut self, process: ProcessId, page: Vpn) -> bool {
        let Some(space) = self.layout.space(process) else {
            return false;
        };
        match self.calls.unmap(space, page.base()) {
            Ok(()) => {
                self.mapped.remove(&(process, page));
                true
            }
            Err(_) => {
                self.broken += 1;
                false
            }
        }
    }
}

impl<C: SpaceCalls> AddressSpaceOps for KernelSpaces<C> {
    fn map(
        &mut self,
        process: ProcessId,
        page: Vpn,
        frame: Frame,
        protection: Protection,
    ) -> Result<(), MapError> {
        if self.mapped.contains_key(&(process, page)) {
            return Err(MapError::Refused);
        }
        self.kernel_map(process, page, frame, protection)
    }

    fn unmap(&mut self, process: ProcessId, page: Vpn) {
        if self.mapped.contains_key(&(process, page)) {
            self.kernel_unmap(process, page);
        }
    }

    fn protect(
        &mut self,
        process: ProcessId,
        page: Vpn,
        protection: Protection,
    ) -> Result<(), MapError> {
        let Some((frame, old)) = self.entry(process, page) else {
            return Err(MapError::Refused);
        };
        if old == protection {
            return Ok(());
        }
        if !self.kernel_unmap(process, page) {
            return Err(MapError::Refused);
        }
        // The page tables the unmap left stay allocated, so the map back
        // finds its table; should it still fail the page is unmapped and
        // the process faults on it again, which the Vm handles.
        self.kernel_map(process, page, frame, protection)
    }
}

/// [`SpaceCalls`] as real kernel calls, through userlib.
#[cfg(target_os = "none")]
#[derive(Debug, Default)]
pub struct Syscalls;

#[cfg(target_os = "none")]
impl SpaceCalls for Syscalls {
    fn map(
        &mut self,
        space: u16,
        frame: u16,
        address: u32,
        protection: Protection,
    ) -> Result<(), SpaceCallError> {
        use userlib::guest::{AddressSpace, MapRights};
        let rights = match protection {
            Protection::Read => MapRights::Read,
            Protection::ReadWrite => MapRights::ReadWrite,
            Protection::ReadExecute => MapRights::ReadExecute,
        };
        AddressSpace(space)
            .map(userlib::ipc::Frame(frame), address, rights)
            .map_err(refusal)
    }

    fn unmap(&mut self, space: u16, address: u32) -> Result<(), SpaceCallError> {
        userlib::guest::AddressSpace(space)
            .unmap(address, 1)
            .map_err(refusal)
    }
}

#[cfg(target_os = "none")]
fn refusal(error: kernel_abi::syscall::SyscallError) -> SpaceCallError {
    match error {
        kernel_abi::syscall::SyscallError::NoPageTable => SpaceCallError::NoPageTable,
        other => SpaceCallError::Refused(other as u32),
    }
}
