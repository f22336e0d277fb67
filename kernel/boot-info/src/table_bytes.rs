//! How much kernel memory a system's tables take: what the kernel reserves
//! at boot for each record of the description (bytes per partition, per
//! thread, per capability slot, ...), and the total for one boot table.
//!
//! The per-record costs are the sizes of the kernel's table entries on
//! ARMv7; the kernel asserts at compile time that its entries have exactly
//! these sizes, so the figure cannot drift from what boot allocates. This
//! only computes; it never allocates. Not counted: partitions' own memory,
//! IPC buffers, shared regions and frames (RAM the description sizes
//! itself), the second-level tables of a partition's mappings, and
//! alignment padding between tables.

use crate::BootInfo;

/// Bytes the kernel reserves per record of each kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableCosts {
    /// A partition: its entry, its end in the slot layout, its first-level
    /// table and its grant window's second-level table.
    pub partition: u64,
    /// Room for one region of a partition's address space (see
    /// [`crate::space_regions`]).
    pub region: u64,
    /// A thread (described or guest): its entry, its IPC and wait state,
    /// its thread ID byte.
    pub thread: u64,
    /// A capability slot: the slot, its derivation node, its mapping and
    /// its lender.
    pub slot: u64,
    /// An endpoint.
    pub endpoint: u64,
    /// A notification.
    pub notification: u64,
    /// A window of the schedule.
    pub window: u64,
    /// A shared region's physical address.
    pub shared: u64,
    /// A frame's base and size.
    pub frame: u64,
    /// One interrupt line of the table indexed by GIC ID (up to the
    /// highest bound one).
    pub irq_line: u64,
    /// A guest address space: its entry and first-level table.
    pub guest_space: u64,
    /// A guest page table: the table and its bookkeeping.
    pub guest_page_table: u64,
}

/// What the kernel reserves per record (ARMv7, 32-bit).
pub const KERNEL_TABLES: TableCosts = TableCosts {
    partition: PARTITION_ENTRY + 2 + USER_L1_BYTES + L2_TABLE_BYTES,
    region: REGION_ENTRY,
    thread: THREAD_ENTRY + THREAD_STATE + 1,
    slot: SLOT_ENTRY,
    endpoint: ENDPOINT_ENTRY,
    notification: NOTIFICATION_ENTRY,
    window: 8,
    shared: 4,
    frame: 8,
    irq_line: IRQ_LINE_ENTRY,
    guest_space: GUEST_SPACE_ENTRY + crate::GUEST_L1_BYTES as u64,
    guest_page_table: crate::GUEST_L2_BYTES as u64 + GUEST_TABLE_BOOKKEEPING,
};

/// `kernel::partition::Partition` on ARMv7.
pub const PARTITION_ENTRY: u64 = 4704;
/// `kernel::mm::user_space::Region` on ARMv7.
pub const REGION_ENTRY: u64 = 16;
/// `kernel::thread::Thread` on ARMv7.
pub const THREAD_ENTRY: u64 = 152;
/// Per thread besides its entry: its `kernel::ipc::thread_objects::ThreadObjects`
/// record (IPC state, reply right, wait-queue link, notification waited
/// on, loan, transient slot, transferred capability) on ARMv7.
pub const THREAD_STATE: u64 = 40;
/// Per slot: `Slot`, `Node`, `Option<Mapping>`, and two `Option<ThreadId>`
/// (the caller that lent, and the caller that transferred, what it holds).
pub const SLOT_ENTRY: u64 = 52;
/// `kernel::ipc::Endpoint` on ARMv7.
pub const ENDPOINT_ENTRY: u64 = 10;
/// `kernel::ipc::Notification` on ARMv7.
pub const NOTIFICATION_ENTRY: u64 = 12;
/// `Option<IrqBinding>` on ARMv7.
pub const IRQ_LINE_ENTRY: u64 = 12;
/// `GuestSpace` on ARMv7.
pub const GUEST_SPACE_ENTRY: u64 = 12;
/// Per guest page table: next link, user and the owners of its 256 pages.
pub const GUEST_TABLE_BOOKKEEPING: u64 = 520;
/// A partition's first-level table (2,048 entries for 2 GiB of user space).
pub const USER_L1_BYTES: u64 = 2048 * 4;
/// A second-level table (256 entries).
pub const L2_TABLE_BYTES: u64 = 1024;

impl TableCosts {
    /// Bytes of kernel tables for the system `info` describes.
    pub fn total(&self, info: &BootInfo<'_>) -> u64 {
        let count = |n: usize| n as u64;
        let mut bytes = count(info.partitions.len()) * self.partition
            + count(info.schedule.windows.len()) * self.window
            + count(info.shared.len()) * self.shared
            + count(info.frames.len()) * self.frame
            + u64::from(info.endpoints) * self.endpoint
            + u64::from(info.notifications) * self.notification;
        for (index, p) in info.partitions.iter().enumerate() {
            let guest = p
                .guest
                .map_or((0, 0, 0), |g| (g.threads, g.address_spaces, g.page_tables));
            bytes += count(p.threads.len() + usize::from(guest.0)) * self.thread
                + u64::from(p.cap_slots) * self.slot
                + u64::from(guest.1) * self.guest_space
                + u64::from(guest.2) * self.guest_page_table
                + count(crate::space_regions(info, index, &p)) * self.region;
        }
        let irq_lines = info.irqs.iter().map(|irq| u64::from(irq.number) + 1).max();
        bytes + irq_lines.unwrap_or(0) * self.irq_line
    }
}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    extern crate std;
    use super::*;
    use crate::{GuestBudget, IrqInfo, PartitionInfo, Records, Schedule, ThreadInfo, Window};

    fn system(partitions: usize, threads: usize, guest: Option<GuestBudget>) -> BootInfo<'static> {
        let thread = ThreadInfo {
            name: crate::Name::new(),
            priority: 1,
            stack_size: 4096,
        };
        let partition = PartitionInfo {
            name: crate::Name::new(),
            memory_size: 64 * 1024,
            elf_offset: 0,
            elf_size: 0,
            config: &[],
            threads: std::vec![thread; threads].into_iter().collect(),
            passive: false,
            service: false,
            cap_slots: 16,
            pager: None,
            guest,
            restart_max: 0,
        };
        let window = Window {
            partition: 0,
            duration_ms: 1,
        };
        BootInfo {
            system: crate::Name::new(),
            partitions: std::vec![partition; partitions].into_iter().collect(),
            schedule: Schedule {
                major_frame_ms: partitions as u32,
                windows: std::vec![window; partitions].into_iter().collect(),
                stop_after_ms: 0,
            },
            shared: Records::default(),
            devices: Records::default(),
            endpoints: 3,
            notifications: 2,
            caps: Records::default(),
            frames: [4096u32].into_iter().collect(),
            irqs: [IrqInfo {
                number: 40,
                notification: 0,
                bits: 1,
            }]
            .into_iter()
            .collect(),
            stop_notification: Some(1),
        }
    }

    #[test]
    fn each_record_adds_its_cost() {
        let costs = KERNEL_TABLES;
        let base = costs.total(&system(1, 1, None));
        // One stack, the image, the IPC buffers and the room for runtime.
        let regions = (1 + crate::MAX_IMAGE_SEGMENTS + 1 + crate::RUNTIME_SPACE_REGIONS) as u64;
        let expected = costs.partition
            + regions * costs.region
            + costs.window
            + costs.thread
            + 16 * costs.slot
            + 3 * costs.endpoint
            + 2 * costs.notification
            + costs.frame
            + 41 * costs.irq_line;
        assert_eq!(base, expected);
        let more_threads = costs.total(&system(1, 5, None));
        assert_eq!(more_threads - base, 4 * (costs.thread + costs.region));
        let more_partitions = costs.total(&system(3, 1, None));
        assert_eq!(
            more_partitions - base,
            2 * (costs.partition
                + regions * costs.region
                + costs.window
                + costs.thread
                + 16 * costs.slot)
        );
    }

    #[test]
    fn each_partition_gets_room_for_its_stacks_image_mappings_and_runtime() {
        use crate::{space_regions, DeviceRegion, SharedMapping, SharedRegion};
        let mut info = system(2, 3, None);
        let mapping = |partition| SharedMapping {
            partition,
            address: 0x4000_0000,
            writable: true,
        };
        info.shared = [SharedRegion {
            name: crate::Name::new(),
            size: 4096,
            mappings: [mapping(0), mapping(1), mapping(1)].into_iter().collect(),
        }]
        .into_iter()
        .collect();
        info.devices = [DeviceRegion {
            name: crate::Name::new(),
            partition: 1,
            physical: 0x1000_0000,
            size: 4096,
            address: 0x3000_0000,
        }]
        .into_iter()
        .collect();
        let fixed = crate::MAX_IMAGE_SEGMENTS + 1 + crate::RUNTIME_SPACE_REGIONS;
        let partitions: std::vec::Vec<_> = info.partitions.iter().collect();
        assert_eq!(space_regions(&info, 0, &partitions[0]), 3 + fixed + 1);
        assert_eq!(space_regions(&info, 1, &partitions[1]), 3 + fixed + 2 + 1);
        let without = KERNEL_TABLES.total(&system(2, 3, None));
        assert_eq!(
            KERNEL_TABLES.total(&info) - without,
            KERNEL_TABLES.shared + 4 * KERNEL_TABLES.region
        );
    }

    #[test]
    fn guest_budgets_count_their_threads_spaces_and_tables() {
        let costs = KERNEL_TABLES;
        let budget = GuestBudget {
            address_spaces: 2,
            threads: 7,
            page_tables: 5,
            first_slot: 0,
        };
        let difference =
            costs.total(&system(1, 1, Some(budget))) - costs.total(&system(1, 1, None));
        assert_eq!(
            difference,
            7 * costs.thread + 2 * costs.guest_space + 5 * costs.guest_page_table
        );
    }

    #[test]
    fn sixty_four_partitions_take_more_than_eight() {
        let small = KERNEL_TABLES.total(&system(8, 4, None));
        let large = KERNEL_TABLES.total(&system(64, 4, None));
        assert!(large > 7 * small, "{small} vs {large}");
    }
}
