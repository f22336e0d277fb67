//! A fake of the kernel's address-space calls for host tests: it enforces
//! what the real kernel does (a frame capability is mapped at most once,
//! no map over a mapping, a page-table budget) and keeps the tables so a
//! test can compare them with what the guest kernel believes.

use std::collections::BTreeMap;

use guest_mm::Protection;
use guest_os_kernel::kernel_spaces::{SpaceCallError, SpaceCalls};

/// A kernel's page tables: (space slot, address) → (frame slot, protection).
#[derive(Debug, Default)]
pub struct FakeKernel {
    pub tables: BTreeMap<(u16, u32), (u16, Protection)>,
    pub budget: usize,
    pub refuse_unmaps: bool,
}

impl SpaceCalls for FakeKernel {
    fn map(
        &mut self,
        space: u16,
        frame: u16,
        address: u32,
        protection: Protection,
    ) -> Result<(), SpaceCallError> {
        if self.tables.values().any(|(f, _)| *f == frame) {
            return Err(SpaceCallError::Refused(11));
        }
        if self.tables.contains_key(&(space, address)) {
            return Err(SpaceCallError::Refused(7));
        }
        if self.tables.len() >= self.budget {
            return Err(SpaceCallError::NoPageTable);
        }
        self.tables.insert((space, address), (frame, protection));
        Ok(())
    }

    fn unmap(&mut self, space: u16, address: u32) -> Result<(), SpaceCallError> {
        if self.refuse_unmaps {
            return Err(SpaceCallError::Refused(7));
        }
        self.tables.remove(&(space, address));
        Ok(())
    }
}
