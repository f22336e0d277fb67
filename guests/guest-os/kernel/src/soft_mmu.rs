//! The interim "software MMU": the page tables of the guest's processes,
//! kept by the guest kernel in a map instead of in hardware.
//!
//! Programs run as processes in the kernel's address spaces
//! (`kernel_spaces`); the workloads that are not programs yet (the phased
//! program and the file reader, which need files served to processes) run
//! inside the guest kernel and reach their memory only through
//! [`SoftMmu::translate`] — a miss there is a page fault the
//! [`Vm`](guest_mm::Vm) handles, as exception IPC delivers it to
//! processes. Both implement guest-mm's [`AddressSpaceOps`]; this one goes
//! when the last workload becomes a program.
//!
//! It must follow the trait's protocol strictly — never map over a
//! mapping, never keep a mapping after `unmap` — and it refuses (rather
//! than panics on) a request that breaks it.

use alloc::collections::BTreeMap;

use guest_mm::{Access, AddressSpaceOps, Frame, MapError, ProcessId, Protection, Vpn};

/// The processes' page tables.
#[derive(Debug, Default)]
pub struct SoftMmu {
    entries: BTreeMap<(ProcessId, Vpn), (Frame, Protection)>,
    maps: u64,
    unmaps: u64,
}

impl SoftMmu {
    /// Empty page tables.
    pub fn new() -> SoftMmu {
        SoftMmu::default()
    }

    /// The frame `process`'s `access` to `page` reaches, if its mapping
    /// allows the access (`None` is a page fault).
    pub fn translate(&self, process: ProcessId, page: Vpn, access: Access) -> Option<Frame> {
        match self.entries.get(&(process, page)) {
            Some(&(frame, protection)) if protection.allows(access) => Some(frame),
            _ => None,
        }
    }

    /// The mapping at `page` of `process`, if any.
    pub fn entry(&self, process: ProcessId, page: Vpn) -> Option<(Frame, Protection)> {
        self.entries.get(&(process, page)).copied()
    }

    /// How many pages are mapped, over all processes.
    pub fn mapped_pages(&self) -> usize {
        self.entries.len()
    }

    /// How many pages `process` has mapped.
    pub fn mapped_pages_of(&self, process: ProcessId) -> usize {
        self.entries.keys().filter(|(p, _)| *p == process).count()
    }

    /// Maps and unmaps done since boot.
    pub const fn counts(&self) -> (u64, u64) {
        (self.maps, self.unmaps)
    }
}

impl AddressSpaceOps for SoftMmu {
    fn map(
        &mut self,
        process: ProcessId,
        page: Vpn,
        frame: Frame,
        protection: Protection,
    ) -> Result<(), MapError> {
        if self.entries.contains_key(&(process, page)) {
            return Err(MapError::Refused);
        }
        self.entries.insert((process, page), (frame, protection));
        self.maps += 1;
        Ok(())
    }

    fn unmap(&mut self, process: ProcessId, page: Vpn) {
        if self.entries.remove(&(process, page)).is_some() {
            self.unmaps += 1;
        }
    }

    fn protect(
        &mut self,
        process: ProcessId,
        page: Vpn,
        protection: Protection,
    ) -> Result<(), MapError> {
        match self.entries.get_mut(&(process, page)) {
            Some(entry) => {
                entry.1 = protection;
                Ok(())
            }
            None => Err(MapError::Refused),
        }
    }
}
