//! The kernel objects a running system has besides partitions and threads:
//! every capability (and how each was derived), endpoints, notifications,
//! who runs on whose time, and guest kernels' address spaces with their
//! page tables. All of it lives in storage sized from the system image at
//! boot; nothing here allocates.

use boot_info::{BootInfo, CapObjectInfo, GuestBudget};
use kernel_abi::cap::Rights;

use crate::cap::derivation::Node;
use crate::cap::frame_refs::FrameRefs;
use crate::cap::layout::{SlotRef, SpaceLayout};
use crate::cap::mapping::{Mapping, MappingTable};
use crate::cap::space::Slot;
use crate::cap::table::CapTable;
use crate::cap::{CapError, CapObject, Capability, EndpointId, NotificationId, SpaceId};
use crate::ipc::endpoint::{Endpoint, Endpoints};
use crate::ipc::irq::{IrqBinding, IrqBindings};
use crate::ipc::lending::Lending;
use crate::ipc::notification::{Notification, Notifications};
use crate::ipc::passing::Passing;
use crate::ipc::thread_objects::{ThreadObjects, ThreadTable};
use crate::ipc::ThreadId;
use crate::mm::guest_space::{GuestSpace, GuestSpaces};
use crate::mm::table_pool::{PoolStorage, TablePool};

/// Boot-sized storage for [`KernelObjects`]: one slice per table.
pub struct ObjectStorage<'a> {
    /// One per capability slot of every partition.
    pub slots: &'a mut [Slot],
    /// One per capability slot of every partition.
    pub nodes: &'a mut [Node],
    /// One per endpoint.
    pub endpoints: &'a mut [Endpoint],
    /// One per thread: everything the objects know about it.
    pub threads: &'a mut [ThreadObjects],
    /// One per notification.
    pub notifications: &'a mut [Notification],
    /// One per capability slot of every partition.
    pub mappings: &'a mut [Option<Mapping>],
    /// One per capability slot of every partition.
    pub lent_slots: &'a mut [Option<ThreadId>],
    /// One per capability slot of every partition.
    pub passed_slots: &'a mut [Option<ThreadId>],
    /// One per page of the frame span (see [`FrameRefs`]).
    pub frame_refs: &'a mut [u16],
    /// Physical address of the frame span's first page.
    pub frame_base: usize,
    /// One per interrupt ID up to the highest bound one.
    pub irq_lines: &'a mut [Option<IrqBinding>],
    /// One per guest address space, filled in by boot (owner, ASID,
    /// first-level table).
    pub guest_spaces: &'a mut [GuestSpace],
    /// The guest partitions' page-table budgets.
    pub page_tables: PoolStorage<'a>,
}

/// Why the objects could not be set up from a boot table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectError {
    /// Storage sizes do not match the layout or thread count.
    BadStorage,
    /// A boot capability could not be placed.
    Cap { index: usize, error: CapError },
    /// A boot capability names an object that does not exist.
    NoSuchObject { index: usize },
    /// An interrupt line cannot be bound (out of range, twice, no bits).
    BadIrq { number: u32 },
    /// A guest budget's capability could not be placed.
    GuestCap { partition: u8, error: CapError },
}

/// Every capability, endpoint, notification and loan.
pub struct KernelObjects<'a> {
    /// Capability spaces and derivation.
    pub caps: CapTable<'a>,
    /// One record per thread: what it waits for, the reply right it
    /// holds, the notification it waits on, whose time it runs on and
    /// what it lent for its call.
    pub threads: ThreadTable<'a>,
    /// Endpoints.
    pub endpoints: Endpoints<'a>,
    /// Notifications.
    pub notifications: Notifications<'a>,
    /// Mappings made through frame capabilities.
    pub mappings: MappingTable<'a>,
    /// The capabilities lent for the duration of a call (transient
    /// grants), destroyed when the call is answered.
    pub lending: Lending<'a>,
    /// The capabilities unanswered calls transferred, given back to their
    /// callers if the server stops first.
    pub passing: Passing<'a>,
    /// Which notification each interrupt line signals.
    pub irqs: IrqBindings<'a>,
    /// Guest address spaces and their page tables.
    pub guests: GuestSpaces<'a>,
}

impl<'a> KernelObjects<'a> {
    /// Empty objects laid out as `layout` over `storage`.
    pub fn new(
        layout: SpaceLayout<'a>,
        storage: ObjectStorage<'a>,
    ) -> Result<KernelObjects<'a>, ObjectError> {
        let mappings =
            MappingTable::new(layout, storage.mappings).ok_or(ObjectError::BadStorage)?;
        let threads = ThreadTable::new(storage.threads).ok_or(ObjectError::BadStorage)?;
        let lending = Lending::new(layout, storage.lent_slots).ok_or(ObjectError::BadStorage)?;
        let passing = Passing::new(layout, storage.passed_slots).ok_or(ObjectError::BadStorage)?;
        let refs = FrameRefs::new(storage.frame_base, storage.frame_refs)
            .ok_or(ObjectError::BadStorage)?;
        let caps = CapTable::new(layout, storage.slots, storage.nodes, refs)
            .ok_or(ObjectError::BadStorage)?;
        let pool = TablePool::new(storage.page_tables).ok_or(ObjectError::BadStorage)?;
        Ok(KernelObjects {
            caps,
            threads,
            endpoints: Endpoints::new(storage.endpoints),
            notifications: Notifications::new(storage.notifications),
            mappings,
            lending,
            passing,
            irqs: IrqBindings::new(storage.irq_lines),
            guests: GuestSpaces::new(storage.guest_spaces, pool),
        })
    }

    /// Gives `partition` the capabilities of its guest `budget`: address
    /// spaces `first_space..` and threads `first_thread..` (indices in the
    /// kernel's tables), in the budget's consecutive slots, with every
    /// right.
    pub fn grant_guest_caps(
        &mut self,
        partition: u8,
        budget: &GuestBudget,
        first_space: u16,
        first_thread: u16,
    ) -> Result<(), ObjectError> {
        let objects = (0..budget.address_spaces)
            .map(|k| {
                (
                    budget.space_slot(k),
                    CapObject::AddressSpace(SpaceId(first_space + k)),
                )
            })
            .chain((0..budget.threads).map(|k| {
                (
                    budget.thread_slot(k),
                    CapObject::Thread(ThreadId(first_thread + k)),
                )
            }));
        for (slot, object) in objects {
            let capability = Capability::new(object, Rights::READ.union(Rights::WRITE));
            self.caps
                .insert_root(SlotRef::new(partition, slot), capability)
                .map_err(|error| ObjectError::GuestCap { partition, error })?;
        }
        Ok(())
    }

    /// Binds the interrupt lines `info` names to their notifications.
    pub fn bind_irqs(&mut self, info: &BootInfo) -> Result<(), ObjectError> {
        for (index, irq) in info.irqs.iter().enumerate() {
            if irq.notification >= info.notifications {
                return Err(ObjectError::NoSuchObject { index });
            }
            self.irqs
                .bind(irq.number, NotificationId(irq.notification), irq.bits)
                .map_err(|_| ObjectError::BadIrq { number: irq.number })?;
        }
        Ok(())
    }

    /// How many interrupt lines the binding table needs for `info`.
    pub fn irq_lines(info: &BootInfo) -> usize {
        info.irqs
            .iter()
            .map(|irq| irq.number as usize + 1)
            .max()
            .unwrap_or(0)
    }

    /// Checks that `info`'s object counts fit their identifiers: a `u16`
    /// with `u16::MAX` kept for "none".
    pub fn check_counts(info: &BootInfo<'_>) -> Result<(), ObjectError> {
        if info.endpoints == u16::MAX || info.notifications == u16::MAX {
            return Err(ObjectError::BadStorage);
        }
        Ok(())
    }

    /// Places the capabilities `info` gives each partition; `frames` holds
    /// the physical base and the size in bytes of each of `info.frames`
    /// (the size the kernel gave a frame that takes the rest of RAM).
    pub fn grant_boot_caps(
        &mut self,
        info: &BootInfo,
        frames: &[(usize, u32)],
    ) -> Result<(), ObjectError> {
        for (index, cap) in info.caps.iter().enumerate() {
            let capability = boot_capability(info, frames, index, &cap)?;
            self.caps
                .insert_root(SlotRef::new(cap.partition, cap.slot), capability)
                .map_err(|error| ObjectError::Cap { index, error })?;
        }
        Ok(())
    }
}

/// The capability boot capability `index` of `info` (`cap`) stands for;
/// `frames` as for [`KernelObjects::grant_boot_caps`].
pub fn boot_capability(
    info: &BootInfo,
    frames: &[(usize, u32)],
    index: usize,
    cap: &boot_info::CapInfo,
) -> Result<Capability, ObjectError> {
    let object = match cap.object {
        CapObjectInfo::Endpoint(e) if e < info.endpoints => CapObject::Endpoint(EndpointId(e)),
        CapObjectInfo::Notification(n) if n < info.notifications => {
            CapObject::Notification(NotificationId(n))
        }
        CapObjectInfo::Frame(f) => match frames.get(usize::from(f)) {
            Some(&(base, size)) if size > 0 => CapObject::Frame {
                base,
                pages: size / kernel_abi::user_layout::PAGE_SIZE,
            },
            _ => return Err(ObjectError::NoSuchObject { index }),
        },
        CapObjectInfo::Irq(number) if info.irqs.iter().any(|irq| irq.number == number) => {
            CapObject::Irq(number)
        }
        CapObjectInfo::PartitionControl => CapObject::PartitionControl,
        _ => return Err(ObjectError::NoSuchObject { index }),
    };
    let rights = Rights::from_bits(cap.rights).ok_or(ObjectError::Cap {
        index,
        error: CapError::MissingRights,
    })?;
    Ok(Capability {
        object,
        rights,
        badge: cap.badge,
    })
}

/// Host-test storage: owned vectors, leaked for `'static`.
#[cfg(test)]
pub(crate) mod tests {
    extern crate std;
    use super::*;
    use std::boxed::Box;
    use std::vec;

    fn leak<T: Clone + Default>(n: usize) -> &'static mut [T] {
        Box::leak(vec![T::default(); n].into_boxed_slice())
    }

    /// Where host tests' frames live (the test rigs place theirs at
    /// 0x6200_0000 and 0x6201_0000).
    pub(crate) const FRAME_SPAN_BASE: usize = 0x6200_0000;
    /// Pages the host tests' frame span covers.
    pub(crate) const FRAME_SPAN_PAGES: usize = 0x40;

    /// Objects for `threads` threads, partitions with `slots` each, two
    /// endpoints and two notifications, the guest address spaces `spaces`
    /// (their first-level tables first in the fake RAM at
    /// `system::tests::GUEST_RAM`) and, if given, one partition's budget
    /// of page tables (right after the first-level tables).
    pub(crate) fn objects_with_guests(
        slots: &[u16],
        threads: usize,
        spaces: std::vec::Vec<GuestSpace>,
        tables: Option<(u8, u16)>,
    ) -> KernelObjects<'static> {
        let layout = SpaceLayout::of_sizes(slots).unwrap();
        let total = layout.total();
        let mut budgets = [0u16; crate::cap::layout::MAX_LAYOUT_PARTITIONS];
        if let Some((partition, count)) = tables {
            budgets[usize::from(partition)] = count;
        }
        let count: usize = budgets.iter().map(|&b| usize::from(b)).sum();
        let base =
            crate::system::tests::GUEST_RAM + spaces.len() * crate::mm::guest_space::L1_BYTES;
        KernelObjects::new(
            layout,
            ObjectStorage {
                slots: leak(total),
                nodes: leak(total),
                endpoints: leak(2),
                threads: leak(threads),
                notifications: leak(2),
                mappings: leak(total),
                lent_slots: leak(total),
                passed_slots: leak(total),
                frame_refs: leak(FRAME_SPAN_PAGES),
                frame_base: FRAME_SPAN_BASE,
                irq_lines: leak(64),
                guest_spaces: Box::leak(spaces.into_boxed_slice()),
                page_tables: PoolStorage {
                    base,
                    budgets,
                    next: leak(count),
                    users: leak(count),
                    owners: leak(count * crate::mm::L2_ENTRIES),
                },
            },
        )
        .unwrap()
    }
}
