//! The rig: the fixed system the property runs on — four partitions, the
//! described frames, slots and addresses — and a fresh boot of the real
//! [`System`] over a [`FakeMachine`] from it, with storage owned per run.
//!
//! It only describes and boots: it never runs a step, never consults the
//! model and never judges the kernel. The model may read its description
//! (constants, [`fixed_caps`]) but never the booted system.

extern crate std;

use std::vec;
use std::vec::Vec;

use boot_info::{CapInfo, CapObjectInfo};
use kernel_abi::cap::Rights;
use kernel_abi::user_layout::{
    GRANT_WINDOW, GRANT_WINDOW_SIZE, PAGE_SIZE, POOL_REGION, SECTION_SIZE,
};

use crate::cap::derivation::Node;
use crate::cap::layout::SpaceLayout;
use crate::cap::mapping::Mapping;
use crate::cap::space::Slot;
use crate::exception::TrapFrame;
use crate::ipc::endpoint::Endpoint;
use crate::ipc::irq::IrqBinding;
use crate::ipc::notification::Notification;
use crate::ipc::thread_objects::ThreadObjects;
use crate::ipc::ThreadId;
use crate::machine::tests::FakeMachine;
use crate::objects::{KernelObjects, ObjectStorage};
use crate::partition::Partition;
use crate::schedule::Schedule;
use crate::system::System;
use crate::thread::Thread;

/// Partitions: three peers that call each other, and a monitor.
pub(super) const PARTITIONS: usize = 4;
/// Partitions 0..PEERS receive on their own endpoint and call the others.
pub(super) const PEERS: usize = 3;
/// Holds the PartitionControl capability and frames; sends only to a peer
/// already waiting, so it never blocks and can always stop a partition.
pub(super) const MONITOR: usize = 3;
/// Capability slots per partition: room for more than 64 copies of one.
pub(super) const SLOTS: u16 = 160;
/// Each partition's own endpoint (receive right).
pub(super) const OWN_ENDPOINT: u16 = 0;
/// The monitor's PartitionControl capability.
pub(super) const CONTROL_SLOT: u16 = 5;
/// Start of the fake RAM: partition `p`'s grant-window table is at
/// `RAM + p * TABLE_STRIDE`.
pub(super) const RAM: usize = 0x6100_0000;
const TABLE_STRIDE: usize = 0x1000;
/// Frame `i` of the description starts at `FRAME_RAM + i * FRAME_STRIDE`.
const FRAME_RAM: usize = 0x6101_0000;
const FRAME_STRIDE: usize = 0x4000;
/// Each partition's own first-level table (8 KiB), after the guest page
/// tables: where pool-region sections are written.
const PARTITION_L1: usize = GUEST_TABLES
    + PARTITIONS * GUEST_BUDGET.page_tables as usize * crate::mm::table_pool::TABLE_BYTES;
pub(super) const RAM_SIZE: usize = PARTITION_L1 + PARTITIONS * 0x2000 - RAM;
/// The large frame (the last of [`FRAMES`]): a megabyte and a quarter on a
/// megabyte boundary, outside the fake RAM (nothing reads its contents),
/// so it maps as one section in the pool region.
const LARGE: usize = FRAMES.len() - 1;
const LARGE_BASE: usize = 0x6300_0000;
/// Pool-region sections the model places large frames in.
pub(super) const POOL_SECTIONS: u32 = 4;
/// Pages in a grant window.
pub(super) const WINDOW_PAGES: u32 = GRANT_WINDOW_SIZE / PAGE_SIZE;
/// Each partition's guest budget: one address space (capability in this
/// slot), no threads, two page tables.
pub(super) const SPACE_SLOT: u16 = SLOTS - 1;
const GUEST_BUDGET: boot_info::GuestBudget = boot_info::GuestBudget {
    address_spaces: 1,
    threads: 0,
    page_tables: 2,
    first_slot: SPACE_SLOT,
};
/// Where guest mappings go: `GUEST_PAGES` pages from `GUEST_BASE`, in one
/// megabyte (one page table).
pub(super) const GUEST_BASE: u32 = 0x40_0000;
pub(super) const GUEST_PAGES: u32 = 64;
/// The guest address spaces' first-level tables in the fake RAM (after
/// the frames), then their page tables.
const GUEST_L1: usize = FRAME_RAM + FRAMES.len() * FRAME_STRIDE;
const GUEST_TABLES: usize = GUEST_L1 + PARTITIONS * crate::mm::guest_space::L1_BYTES;

pub(super) const R: Rights = Rights::READ;
pub(super) const RW: Rights = Rights::READ.union(Rights::WRITE);
const RG: Rights = Rights::READ.union(Rights::GRANT);
const RWG: Rights = RW.union(Rights::GRANT);

/// A frame of the description: its size and who holds a capability to it
/// (partition, slot, rights).
pub(super) struct DescribedFrame {
    pub(super) pages: u32,
    pub(super) holders: &'static [(usize, u16, Rights)],
}

/// Multi-page and one-page frames; frame 3 is read-only; frames 6 and 7 are
/// given to two partitions each (two originals covering the same pages);
/// frame 9 ([`LARGE`]) is large enough for the pool region.
pub(super) const FRAMES: [DescribedFrame; 10] = [
    DescribedFrame {
        pages: 4,
        holders: &[(0, 8, RWG)],
    },
    DescribedFrame {
        pages: 1,
        holders: &[(0, 9, RWG)],
    },
    DescribedFrame {
        pages: 4,
        holders: &[(1, 8, RWG)],
    },
    DescribedFrame {
        pages: 1,
        holders: &[(1, 9, RG)],
    },
    DescribedFrame {
        pages: 2,
        holders: &[(2, 8, RWG)],
    },
    DescribedFrame {
        pages: 1,
        holders: &[(2, 9, RWG)],
    },
    DescribedFrame {
        pages: 1,
        holders: &[(0, 10, RWG), (1, 10, RWG)],
    },
    DescribedFrame {
        pages: 2,
        holders: &[(2, 10, RWG), (3, 8, RWG)],
    },
    DescribedFrame {
        pages: 1,
        holders: &[(3, 9, RWG)],
    },
    DescribedFrame {
        pages: 320,
        holders: &[(0, 11, RWG)],
    },
];

pub(super) const fn frame_base(index: usize) -> usize {
    if index == LARGE {
        return LARGE_BASE;
    }
    FRAME_RAM + index * FRAME_STRIDE
}

/// The slot of partition `from`'s capability to `to`'s endpoint.
pub(super) const fn endpoint_slot(to: usize) -> u16 {
    1 + to as u16
}

pub(super) const fn grant_table(partition: usize) -> usize {
    RAM + partition * TABLE_STRIDE
}

pub(super) const fn page_va(page: u32) -> u32 {
    GRANT_WINDOW + page * PAGE_SIZE
}

/// Every non-frame capability of the description: (partition, slot,
/// object, rights, badge). They never change.
pub(super) fn fixed_caps() -> Vec<(usize, u16, CapObjectInfo, Rights, u32)> {
    let mut caps = Vec::new();
    for p in 0..PARTITIONS {
        if p < PEERS {
            caps.push((p, OWN_ENDPOINT, CapObjectInfo::Endpoint(p as u16), R, 0));
        }
        for to in (0..PEERS).filter(|&to| to != p) {
            let rights = Rights::WRITE.union(Rights::GRANT);
            let badge = 0x10 * (p as u32 + 1) + to as u32;
            caps.push((
                p,
                endpoint_slot(to),
                CapObjectInfo::Endpoint(to as u16),
                rights,
                badge,
            ));
        }
    }
    caps.push((
        MONITOR,
        CONTROL_SLOT,
        CapObjectInfo::PartitionControl,
        RW,
        0,
    ));
    caps
}

/// Owned storage for the kernel objects of one run (nothing leaks, so
/// tens of thousands of runs fit in memory): a vector per field of
/// [`ObjectStorage`], which it must follow when that changes.
struct Storage {
    slots: Vec<Slot>,
    nodes: Vec<Node>,
    endpoints: Vec<Endpoint>,
    threads: Vec<ThreadObjects>,
    notifications: Vec<Notification>,
    mappings: Vec<Option<Mapping>>,
    lent_slots: Vec<Option<ThreadId>>,
    passed_slots: Vec<Option<ThreadId>>,
    frame_refs: Vec<u16>,
    irq_lines: Vec<Option<IrqBinding>>,
    guest_spaces: Vec<crate::mm::guest_space::GuestSpace>,
    table_next: Vec<u16>,
    table_users: Vec<Option<crate::mm::table_pool::TableUse>>,
    table_owners: Vec<u16>,
}

impl Storage {
    fn new(slots: usize, threads: usize) -> Storage {
        Storage {
            slots: vec![None; slots],
            nodes: vec![Node::default(); slots],
            endpoints: vec![Endpoint::default(); PARTITIONS],
            threads: vec![ThreadObjects::default(); threads],
            notifications: vec![Notification::default(); 1],
            mappings: vec![None; slots],
            lent_slots: vec![None; slots],
            passed_slots: vec![None; slots],
            // The frame span reaches to the end of the large frame.
            frame_refs: vec![
                0;
                (frame_base(LARGE) + (FRAMES[LARGE].pages * PAGE_SIZE) as usize
                    - FRAME_RAM)
                    / PAGE_SIZE as usize
            ],
            irq_lines: Vec::new(),
            guest_spaces: (0..PARTITIONS)
                .map(|p| crate::mm::guest_space::GuestSpace {
                    partition: p as u8,
                    asid: (PARTITIONS + p + 1) as u8,
                    table: GUEST_L1 + p * crate::mm::guest_space::L1_BYTES,
                    mapped: 0,
                })
                .collect(),
            table_next: vec![0; PARTITIONS * usize::from(GUEST_BUDGET.page_tables)],
            table_users: vec![None; PARTITIONS * usize::from(GUEST_BUDGET.page_tables)],
            table_owners: vec![
                0;
                PARTITIONS
                    * usize::from(GUEST_BUDGET.page_tables)
                    * crate::mm::L2_ENTRIES
            ],
        }
    }

    fn objects(&mut self, layout: SpaceLayout<'static>) -> KernelObjects<'_> {
        let storage = ObjectStorage {
            slots: &mut self.slots,
            nodes: &mut self.nodes,
            endpoints: &mut self.endpoints,
            threads: &mut self.threads,
            notifications: &mut self.notifications,
            mappings: &mut self.mappings,
            lent_slots: &mut self.lent_slots,
            passed_slots: &mut self.passed_slots,
            frame_refs: &mut self.frame_refs,
            frame_base: FRAME_RAM,
            irq_lines: &mut self.irq_lines,
            guest_spaces: &mut self.guest_spaces,
            page_tables: crate::mm::table_pool::PoolStorage {
                base: GUEST_TABLES,
                budgets: core::array::from_fn(|p| {
                    if p < PARTITIONS {
                        GUEST_BUDGET.page_tables
                    } else {
                        0
                    }
                }),
                next: &mut self.table_next,
                users: &mut self.table_users,
                owners: &mut self.table_owners,
            },
        };
        KernelObjects::new(layout, storage).expect("storage sized for the layout")
    }
}

/// What a run's [`System`] borrows.
pub(super) struct World {
    partitions: Vec<Partition>,
    threads: Vec<Thread>,
    storage: Storage,
}

impl World {
    pub(super) fn new() -> World {
        let names = ["p0", "p1", "p2", "monitor"];
        let partitions = (0..PARTITIONS)
            .map(|p| {
                let mut partition = crate::system::tests::partition(names[p]);
                partition.asid = p as u8 + 1;
                partition.grant_table = grant_table(p);
                partition.table = PARTITION_L1 + p * 0x2000;
                partition
            })
            .collect();
        let threads = (0..PARTITIONS)
            .map(|p| crate::system::tests::thread(p, 1, 0x10_0000 + p as u32 * 0x1000))
            .collect();
        World {
            partitions,
            threads,
            storage: Storage::new(PARTITIONS * usize::from(SLOTS), PARTITIONS),
        }
    }

    /// The system of the description above, started (partition 0 runs).
    pub(super) fn boot(&mut self, machine: &mut FakeMachine, frame: &mut TrapFrame) -> System<'_> {
        let layout = SpaceLayout::of_sizes(&[SLOTS; PARTITIONS]).expect("layout");
        let mut objects = self.storage.objects(layout);
        let mut info = crate::system::tests::empty_info();
        info.endpoints = PARTITIONS as u16;
        info.notifications = 1;
        info.frames = FRAMES.iter().map(|f| f.pages * PAGE_SIZE).collect();
        let mut caps = Vec::new();
        let mut push = |partition: usize, slot, object, rights: Rights, badge| {
            caps.push(CapInfo {
                partition: partition as u8,
                slot,
                object,
                rights: rights.bits(),
                badge,
            });
        };
        for (p, slot, object, rights, badge) in fixed_caps() {
            push(p, slot, object, rights, badge);
        }
        for (index, frame) in FRAMES.iter().enumerate() {
            for &(p, slot, rights) in frame.holders {
                push(p, slot, CapObjectInfo::Frame(index as u16), rights, 0);
            }
        }
        info.caps = caps.into_iter().collect();
        let bases: Vec<(usize, u32)> = (0..FRAMES.len())
            .map(|index| (frame_base(index), FRAMES[index].pages * PAGE_SIZE))
            .collect();
        objects
            .grant_boot_caps(&info, &bases)
            .expect("boot capabilities");
        for p in 0..PARTITIONS {
            objects
                .grant_guest_caps(p as u8, &GUEST_BUDGET, p as u16, PARTITIONS as u16)
                .expect("guest capabilities");
        }
        let windows = (0..PARTITIONS)
            .map(|p| boot_info::Window {
                partition: p as u8,
                duration_ms: 1,
            })
            .collect();
        let schedule = boot_info::Schedule {
            major_frame_ms: PARTITIONS as u32,
            windows,
            stop_after_ms: 0,
        };
        let ends = std::vec![(0, 0); schedule.windows.len()].leak();
        let schedule = Schedule::new(&schedule, PARTITIONS, ends).expect("schedule");
        let idle = TrapFrame {
            pc: 0xC000_1000,
            spsr: 0x13,
            ..TrapFrame::default()
        };
        let mut system = System::new(
            &mut self.partitions,
            &mut self.threads,
            objects,
            schedule,
            idle,
            0,
        );
        system.cpu_start(frame, machine);
        system
    }
}

/// Pages in a section.
pub(super) const PAGES_PER_SECTION: u32 = SECTION_SIZE / PAGE_SIZE;

/// Whether `va` is in the pool region (where large frames map).
pub(super) fn in_pool(va: u32) -> bool {
    (POOL_REGION..GRANT_WINDOW - 0x100_0000).contains(&va)
}

/// Bytes a frame of `pages` pages takes mapped in the pool region.
pub(super) fn pool_size(pages: u32) -> u32 {
    pages / PAGES_PER_SECTION * SECTION_SIZE
}
