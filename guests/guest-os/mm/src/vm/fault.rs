//! Page faults on anonymous memory: the one place a process's page becomes
//! present, mapped, or writable.
//!
//! | page is              | read or execute          | write                        |
//! |----------------------|--------------------------|------------------------------|
//! | untouched            | zeroed frame, clean, RO  | zeroed frame, dirty, RW      |
//! | in a swap slot       | swapped in, keeps slot   | swapped in, slot freed, RW   |
//! | resident, unmapped   | remapped, referenced     | remapped (dirtied if clean)  |
//! | resident, mapped RO  | spurious                 | dirtied: slot freed, RW      |
//!
//! "RO"/"RW" are the area's protection less or with the right to write.
//! A fault outside the process's areas or against an area's protection is
//! a segfault and changes nothing.

use crate::anon::AnonPage;
use crate::area::Area;
use crate::error::{SegfaultReason, VmError};
use crate::frame_table::FrameUse;
use crate::page::Vpn;
use crate::ports::{Access, Backends, ProcessId, Protection};
use crate::swap::SwapPlace;

use super::Vm;

/// What a fault did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// Gave a never-touched page a zeroed frame.
    DemandZero,
    /// Read the page back from swap.
    SwapIn(SwapPlace),
    /// Mapped a resident page the clock had unmapped.
    Refault,
    /// Made a clean mapped page writable.
    Dirtied,
    /// Nothing: the page was already mapped for this access.
    Spurious,
}

impl Vm {
    /// Handles `process`'s fault at `address` for `access`. On success the
    /// page is resident and mapped with a protection that allows the
    /// access.
    pub fn fault(
        &mut self,
        process: ProcessId,
        address: u32,
        access: Access,
        backends: &mut Backends<'_>,
    ) -> Result<FaultKind, VmError> {
        self.stats.faults += 1;
        let result = self.fault_page(process, address, access, backends);
        if let Err(VmError::Segfault { .. }) = result {
            self.stats.segfaults += 1;
        }
        result
    }

    fn fault_page(
        &mut self,
        process: ProcessId,
        address: u32,
        access: Access,
        backends: &mut Backends<'_>,
    ) -> Result<FaultKind, VmError> {
        let page = Vpn::containing(address);
        let area = self.areas(process)?.find(page).ok_or(VmError::Segfault {
            address,
            reason: SegfaultReason::NoArea,
        })?;
        if !area.protection.allows(access) {
            return Err(VmError::Segfault {
                address,
                reason: SegfaultReason::Protection,
            });
        }
        let write = access == Access::Write;
        match self.anon.get(process, page) {
            None => {
                let frame = self.allocate_frame(backends)?;
                backends.memory.page_mut(frame).fill(0);
                self.table.set(frame, FrameUse::Anonymous { process, page });
                self.anon.set(
                    process,
                    page,
                    AnonPage::Resident {
                        frame,
                        mapped: false,
                        dirty: write,
                        slot: None,
                    },
                );
                self.stats.demand_zero += 1;
                self.map_resident(process, page, area, backends)?;
                Ok(FaultKind::DemandZero)
            }
            Some(AnonPage::Swapped { slot }) => {
                let frame = self.allocate_frame(backends)?;
                let read = self.swap.read_in(
                    slot,
                    backends.memory.page_mut(frame),
                    backends.frontswap.as_deref_mut(),
                    backends.swap_device,
                );
                let place = match read {
                    Ok(place) => place,
                    Err(error) => {
                        let released = self.frames.release(frame);
                        debug_assert!(released.is_ok(), "a fresh frame was free");
                        return Err(VmError::Swap(error));
                    }
                };
                self.table.set(frame, FrameUse::Anonymous { process, page });
                self.anon.set(
                    process,
                    page,
                    AnonPage::Resident {
                        frame,
                        mapped: false,
                        dirty: false,
                        slot: Some(slot),
                    },
                );
                if write {
                    self.make_dirty(process, page, backends);
                }
                self.map_resident(process, page, area, backends)?;
                Ok(FaultKind::SwapIn(place))
            }
            Some(AnonPage::Resident {
                frame,
                mapped: false,
                ..
            }) => {
                if write {
                    self.make_dirty(process, page, backends);
                }
                self.table.touch(frame);
                self.stats.minor_refaults += 1;
                self.map_resident(process, page, area, backends)?;
                Ok(FaultKind::Refault)
            }
            Some(AnonPage::Resident {
                frame,
                mapped: true,
                dirty: false,
                ..
            }) if write => {
                self.make_dirty(process, page, backends);
                self.table.touch(frame);
                self.stats.dirtied += 1;
                backends
                    .spaces
                    .protect(process, page, area.protection)
                    .map_err(VmError::Map)?;
                Ok(FaultKind::Dirtied)
            }
            Some(AnonPage::Resident { frame, .. }) => {
                self.table.touch(frame);
                Ok(FaultKind::Spurious)
            }
        }
    }

    /// Maps the resident, unmapped `page` with the area's protection, less
    /// write while the page is clean.
    fn map_resident(
        &mut self,
        process: ProcessId,
        page: Vpn,
        area: Area,
        backends: &mut Backends<'_>,
    ) -> Result<(), VmError> {
        let Some(AnonPage::Resident {
            frame,
            dirty,
            slot,
            mapped: false,
        }) = self.anon.get(process, page)
        else {
            return Ok(());
        };
        let protection = mapping_protection(area.protection, dirty);
        backends
            .spaces
            .map(process, page, frame, protection)
            .map_err(VmError::Map)?;
        self.anon.set(
            process,
            page,
            AnonPage::Resident {
                frame,
                mapped: true,
                dirty,
                slot,
            },
        );
        Ok(())
    }

    /// Marks the resident `page` dirty: its swap copy (if any) is stale
    /// from now on, so the slot is freed.
    fn make_dirty(&mut self, process: ProcessId, page: Vpn, backends: &mut Backends<'_>) {
        if let Some(AnonPage::Resident {
            frame,
            mapped,
            slot,
            ..
        }) = self.anon.get(process, page)
        {
            if let Some(slot) = slot {
                self.release_slot(slot, backends);
            }
            self.anon.set(
                process,
                page,
                AnonPage::Resident {
                    frame,
                    mapped,
                    dirty: true,
                    slot: None,
                },
            );
        }
    }
}

/// A page's mapping: the area's protection, without write while clean.
pub const fn mapping_protection(area: Protection, dirty: bool) -> Protection {
    if dirty {
        area
    } else {
        area.without_write()
    }
}
