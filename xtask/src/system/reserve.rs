//! The RAM xtask keeps back for the kernel ([`KERNEL_RESERVE`]), and
//! whether a system's kernel fits the RAM it is left: an upper bound on
//! what the kernel takes from RAM at boot besides the memory the
//! description sizes itself, refused naming the file, the field that
//! drives most of it and both sizes. It only computes from the boot table
//! and the kernel ELF's segments; it never builds, and it never changes
//! the description.
//!
//! How the kernel lays out RAM at boot (read from kernel/link.x and
//! kernel/src/arch/running.rs `boot`, `build_objects`,
//! `allocate_guest_budgets`, `build_tables`; kernel/src/mm/boot_alloc.rs):
//!
//! - RAM from its base to `board.kernel_load` is left alone (the boot
//!   loader's); the image is loaded there, `.boot` then the upper-half
//!   sections, `.bss` and the exception stacks (`.stacks`) to
//!   `__kernel_end`, page aligned: the end of the ELF's last loadable
//!   segment. The image holds the system image (boot table and the
//!   partitions' loadable ELFs) in `.rodata`.
//! - Everything after `__kernel_end` to the end of RAM is one bump
//!   allocator, handed out in increasing addresses, never freed. There is
//!   no separate region for tables: in order, the schedule's windows, the
//!   shared regions (description-sized) and their addresses, the partition
//!   and thread tables, thread ID bytes, the ELF slices; then per
//!   partition its memory (description-sized), its region room, its
//!   threads' IPC buffers (a page each), its first-level table (8 KiB
//!   aligned to 8 KiB), its second-level tables (one per megabyte its
//!   regions touch) and its grant window's table; then the slot-layout
//!   bounds, the frames' records, the fixed frames (description-sized),
//!   the guest address spaces and page-table pool (description-sized
//!   but for their records), the capability slots and their side tables,
//!   endpoints, thread IPC state, notifications, frame reference counts
//!   (two bytes per page from the first frame to the last, or to the end
//!   of RAM with a rest frame), interrupt lines; last the frame that takes
//!   the rest of RAM, on a 1 MiB boundary.
//! - Every table the kernel reads through a pointer must lie in the linear
//!   map (`TableBeyondLinearMap` otherwise).
//! - When an allocation does not fit, `boot` returns `BootError::Memory`
//!   and kernel/src/main.rs panics ("cannot start the system") before any
//!   partition runs.
//!
//! So xtask's split is an accounting one, and the kernel's share is not
//! a region of its own: `validate` lets the description's own memory take
//! all RAM (in the linear map) but [`KERNEL_RESERVE`], and [`check`]
//! refuses a system whose kernel needs — image from RAM's base, tables,
//! IPC buffers, second-level tables and alignment padding — more than
//! the RAM the description leaves (at least [`KERNEL_RESERVE`], more when
//! its partitions leave RAM unused; less [`REST_MINIMUM`] with a frame
//! that takes the rest). That is exactly when the kernel's allocator would
//! run past the end of RAM (or leave the rest frame too little): a
//! system whose tables exceed the reserve but whose partitions leave room
//! boots, and is not refused.
//!
//! The bound replays the kernel's allocations in its order with each
//! record's size from `boot_info::table_bytes` (which the kernel asserts
//! at compile time) and each array's alignment taken as 8 (the largest
//! any of them has on ARMv7): with sizes and alignments no smaller than
//! the kernel's, a bump allocator ends no lower, so the figure is never
//! below what boot takes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use boot_info::table_bytes::{
    GUEST_SPACE_ENTRY, GUEST_TABLE_BOOKKEEPING, IRQ_LINE_ENTRY, L2_TABLE_BYTES, PARTITION_ENTRY,
    REGION_ENTRY, SLOT_ENTRY, THREAD_ENTRY, THREAD_STATE, USER_L1_BYTES,
};
use boot_info::{BootInfo, FRAME_REST, GUEST_L1_BYTES, GUEST_L2_BOOKKEEPING_BYTES, GUEST_L2_BYTES};
use kernel_abi::syscall::IPC_BUFFERS;
use kernel_abi::user_layout::{PAGE_SIZE, SECTION_SIZE, USER_BASE};
use platform::Board;

use super::validate::{RAM_VIRT_MAX, REST_MINIMUM};
use super::DescriptionError;
use crate::elf::ElfInfo;

/// The least RAM `validate` keeps back for the kernel image and
/// everything the kernel allocates at boot that the description does not
/// size itself (see the module's documentation).
pub const KERNEL_RESERVE: u64 = 8 << 20;

/// The most any of the kernel's boot arrays is aligned to on ARMv7.
const ARRAY_ALIGN: u64 = 8;
const PAGE: u64 = PAGE_SIZE as u64;

/// What drives a part of the kernel's need: a field of the description,
/// or the kernel itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Driver {
    /// The kernel's own code, data and stacks, and the RAM below its load
    /// address.
    Kernel,
    /// The system image inside the kernel: the partitions' ELFs and the
    /// boot table.
    PartitionCrates,
    /// Per partition: its entry, region room, first- and second-level
    /// tables, grant-window table.
    Partitions,
    /// Per thread: its entry, IPC state, ID byte and IPC buffer.
    Threads,
    /// Capability slots and their side tables.
    CapSlots,
    /// Endpoints.
    Endpoints,
    /// Notifications.
    Notifications,
    /// Schedule windows.
    Windows,
    /// Shared regions' records.
    Shared,
    /// Frames' records and their pages' reference counts.
    Frames,
    /// Interrupt lines, up to the highest bound.
    Irqs,
    /// Guest budgets' records.
    Guests,
    /// Alignment padding between allocations.
    Alignment,
}

impl Driver {
    /// The description's field that drives it, as errors name fields.
    pub fn field(self) -> &'static str {
        match self {
            Driver::Kernel | Driver::Alignment => "partition",
            Driver::PartitionCrates => "partition[..].crate",
            Driver::Partitions => "partition",
            Driver::Threads => "partition[..].threads",
            Driver::CapSlots => "partition[..].cap_slots",
            Driver::Endpoints => "endpoint",
            Driver::Notifications => "notification",
            Driver::Windows => "schedule.windows",
            Driver::Shared => "shared",
            Driver::Frames => "frame",
            Driver::Irqs => "irq",
            Driver::Guests => "partition[..].guest",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Driver::Kernel => "the kernel image's own part, from RAM's base",
            Driver::PartitionCrates => "the partitions' ELFs and boot table in the image",
            Driver::Partitions => "partition tables",
            Driver::Threads => "threads and their IPC buffers",
            Driver::CapSlots => "capability slots",
            Driver::Endpoints => "endpoints",
            Driver::Notifications => "notifications",
            Driver::Windows => "windows",
            Driver::Shared => "shared-region records",
            Driver::Frames => "frame records and page counts",
            Driver::Irqs => "interrupt lines",
            Driver::Guests => "guest-budget records",
            Driver::Alignment => "alignment padding",
        }
    }
}

/// Where the kernel image ends and how much of it is the system image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Image {
    /// Bytes from RAM's base to the image's end (`__kernel_end`).
    pub end_offset: u64,
    /// Bytes of it that are the embedded system image.
    pub system_image: u64,
}

impl Image {
    /// The image of the kernel ELF `elf` for `board` holding a system
    /// image of `system_image` bytes: its loadable segments' physical end,
    /// rounded up to a page, from RAM's base.
    pub fn of_elf(elf: &ElfInfo, board: &Board, system_image: u64) -> Image {
        let end = elf
            .segments
            .iter()
            .map(|&(_, physical, size)| physical + size)
            .max()
            .unwrap_or(board.kernel_load as u64)
            .div_ceil(PAGE)
            * PAGE;
        Image {
            end_offset: end.saturating_sub(board.ram.base as u64),
            system_image,
        }
    }

    /// A lower bound before the kernel is built: the system image loaded
    /// where the kernel is, with no code of its own.
    pub fn at_least(board: &Board, system_image: u64) -> Image {
        let load = (board.kernel_load - board.ram.base) as u64;
        Image {
            end_offset: (load + system_image).div_ceil(PAGE) * PAGE,
            system_image,
        }
    }
}

/// What the kernel takes from RAM at boot beyond the description's own
/// memory, by what drives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Need {
    /// Bytes per driver.
    pub parts: BTreeMap<Driver, u64>,
    /// Bytes of the description's own memory (partitions, shared regions,
    /// fixed frames, guest page tables), which `validate` counts.
    pub described: u64,
    /// Whether a frame takes the rest of RAM after it all.
    pub rest_frame: bool,
}

impl Need {
    /// All of it.
    pub fn total(&self) -> u64 {
        self.parts.values().sum()
    }

    /// Bytes of it that are the kernel image, from RAM's base.
    pub fn image_bytes(&self) -> u64 {
        [Driver::Kernel, Driver::PartitionCrates]
            .iter()
            .filter_map(|d| self.parts.get(d))
            .sum()
    }

    /// The description-driven part that takes the most.
    pub fn largest(&self) -> Driver {
        self.parts
            .iter()
            .filter(|(d, _)| !matches!(d, Driver::Kernel | Driver::Alignment))
            .max_by_key(|(_, &bytes)| bytes)
            .map_or(Driver::Partitions, |(&d, _)| d)
    }
}

/// A replay of the kernel's bump allocator that files each allocation's
/// bytes under what drives them; memory the description sizes itself
/// moves the allocator but is not the kernel's.
struct Replay {
    next: u64,
    need: BTreeMap<Driver, u64>,
    described: u64,
}

impl Replay {
    fn aligned(&mut self, align: u64) {
        let start = self.next.next_multiple_of(align);
        *self.need.entry(Driver::Alignment).or_default() += start - self.next;
        self.next = start;
    }

    /// `bytes` of the kernel's, aligned to `align`.
    fn take(&mut self, driver: Driver, bytes: u64, align: u64) {
        self.aligned(align);
        *self.need.entry(driver).or_default() += bytes;
        self.next += bytes;
    }

    /// A boot array of `n` records of `size` bytes (the kernel allocates
    /// room for one when `n` is zero).
    fn array(&mut self, driver: Driver, n: u64, size: u64) {
        self.take(driver, n.max(1) * size, ARRAY_ALIGN);
    }

    /// `bytes` the description sizes (and `validate` counts) itself.
    fn described(&mut self, bytes: u64, align: u64) {
        self.aligned(align);
        self.next += bytes;
        self.described += bytes;
    }
}

/// Second-level tables partition `index`'s space needs: one per
/// megabyte its memory, IPC buffers, shared mappings or devices touch (its
/// image and stacks lie inside its memory).
fn partition_l2_tables(info: &BootInfo<'_>, index: usize, memory: u32, threads: usize) -> u64 {
    let mut sections = BTreeSet::new();
    let mut touch = |start: u32, size: u32| {
        if size > 0 {
            let (first, last) = (start / SECTION_SIZE, (start + (size - 1)) / SECTION_SIZE);
            sections.extend(first..=last);
        }
    };
    touch(USER_BASE, memory);
    touch(IPC_BUFFERS, threads as u32 * PAGE_SIZE);
    for region in info.shared.iter() {
        for m in region
            .mappings
            .iter()
            .filter(|m| usize::from(m.partition) == index)
        {
            touch(m.address, region.size);
        }
    }
    for device in info
        .devices
        .iter()
        .filter(|d| usize::from(d.partition) == index)
    {
        touch(device.address, device.size);
    }
    sections.len() as u64
}

/// What the kernel built with `image` takes from RAM at boot for the
/// system `info` on `board`, besides the description's own memory.
pub fn need(info: &BootInfo<'_>, board: &Board, image: Image) -> Need {
    use Driver::*;
    let own = image.end_offset.saturating_sub(image.system_image);
    let mut r = Replay {
        next: board.ram.base as u64 + image.end_offset,
        need: [(Kernel, own), (PartitionCrates, image.system_image)]
            .into_iter()
            .collect(),
        described: 0,
    };
    let partitions = info.partitions.len() as u64;
    let guest_threads = |p: &boot_info::PartitionInfo| p.guest.map_or(0, |g| u64::from(g.threads));
    let threads: u64 = info
        .partitions
        .iter()
        .map(|p| p.threads.len() as u64 + guest_threads(&p))
        .sum();

    // `boot`.
    r.array(Windows, info.schedule.windows.len() as u64, 8);
    r.array(Shared, info.shared.len() as u64, 4);
    for region in info.shared.iter() {
        r.described(u64::from(region.size), PAGE);
    }
    r.array(Partitions, partitions, PARTITION_ENTRY);
    r.array(Threads, threads, THREAD_ENTRY);
    r.array(Threads, threads, 1);
    r.array(Partitions, partitions, 8);
    for (index, p) in info.partitions.iter().enumerate() {
        r.described(u64::from(p.memory_size), PAGE);
        let regions = boot_info::space_regions(info, index, &p) as u64;
        r.array(Partitions, regions, REGION_ENTRY);
        r.take(Threads, p.threads.len() as u64 * PAGE, PAGE);
        r.take(Partitions, USER_L1_BYTES, USER_L1_BYTES);
        let l2 = partition_l2_tables(info, index, p.memory_size, p.threads.len());
        r.take(Partitions, l2.max(1) * L2_TABLE_BYTES, L2_TABLE_BYTES);
        r.take(Partitions, L2_TABLE_BYTES, L2_TABLE_BYTES);
    }

    // `build_objects`.
    r.array(Partitions, partitions + 1, 2);
    r.array(Frames, info.frames.len() as u64, 8);
    let mut first_frame = None;
    let mut last_frame_end = None;
    for size in info.frames.iter().filter(|&s| s != FRAME_REST) {
        r.aligned(PAGE);
        first_frame.get_or_insert(r.next);
        r.described(u64::from(size), PAGE);
        last_frame_end = Some(r.next);
    }
    let ram_end = (board.ram.base + board.ram.size) as u64;
    let frame_base = first_frame.unwrap_or(r.next / PAGE * PAGE);
    let frame_end = if info.frames.iter().any(|s| s == FRAME_REST) {
        ram_end / PAGE * PAGE
    } else {
        last_frame_end.unwrap_or(frame_base)
    };
    // The kernel's frame base may lie below this replay's (which never
    // ends lower): its counts are then longer by two bytes a page of the
    // difference, never more than the replay's allocator ran ahead.
    let frame_pages = frame_end.saturating_sub(frame_base).div_ceil(PAGE);

    // `allocate_guest_budgets`.
    let budgets: Vec<_> = info.partitions.iter().filter_map(|p| p.guest).collect();
    let spaces: u64 = budgets.iter().map(|g| u64::from(g.address_spaces)).sum();
    let tables: u64 = budgets.iter().map(|g| u64::from(g.page_tables)).sum();
    r.array(Guests, spaces, GUEST_SPACE_ENTRY);
    let l1 = u64::from(GUEST_L1_BYTES);
    for _ in 0..spaces {
        r.described(l1, l1);
    }
    let l2 = u64::from(GUEST_L2_BYTES);
    r.described(tables * l2, l2);
    r.take(Guests, (1 - tables.min(1)) * l2, 1);
    // The pool's bookkeeping: each table's next link (2 bytes) and user,
    // then the owners of its pages (GUEST_L2_BOOKKEEPING_BYTES, which
    // `validate` counts).
    let owners = u64::from(GUEST_L2_BOOKKEEPING_BYTES);
    r.array(Guests, tables, 2);
    r.array(Guests, tables, GUEST_TABLE_BOOKKEEPING - 2 - owners);
    r.aligned(ARRAY_ALIGN);
    r.described(tables * owners, 1);
    r.take(Guests, (1 - tables.min(1)) * 2, 1);

    // The object storage: the slots' five arrays (as one, with their
    // padding), then the rest.
    let slots: u64 = info.partitions.iter().map(|p| u64::from(p.cap_slots)).sum();
    r.take(CapSlots, slots * SLOT_ENTRY + 4 * ARRAY_ALIGN, ARRAY_ALIGN);
    r.array(
        Endpoints,
        u64::from(info.endpoints),
        boot_info::table_bytes::ENDPOINT_ENTRY,
    );
    r.array(Threads, threads, THREAD_STATE);
    r.array(
        Notifications,
        u64::from(info.notifications),
        boot_info::table_bytes::NOTIFICATION_ENTRY,
    );
    r.array(Frames, frame_pages, 2);
    let irq_lines = info
        .irqs
        .iter()
        .map(|irq| u64::from(irq.number) + 1)
        .max()
        .unwrap_or(0);
    r.array(Irqs, irq_lines, IRQ_LINE_ENTRY);
    r.need.retain(|_, &mut bytes| bytes > 0);
    Need {
        parts: r.need,
        described: r.described,
        rest_frame: info.frames.iter().any(|s| s == FRAME_REST),
    }
}

/// The RAM `board` leaves the kernel beside the description's own memory:
/// what `validate` gives the description, less its memory, plus the
/// reserve, less the least a rest frame must keep.
pub fn room(board: &Board, need: &Need) -> u64 {
    let usable = (board.ram.size as u64).min(RAM_VIRT_MAX);
    let rest = if need.rest_frame { REST_MINIMUM } else { 0 };
    usable.saturating_sub(need.described + rest)
}

/// Refuses `file`'s system if the kernel's `need` does not fit the
/// [`room`] `board` leaves it, naming the field that drives most of it.
pub fn check(file: &Path, board: &Board, need: &Need) -> Result<(), DescriptionError> {
    let total = need.total();
    let room = room(board, need);
    if total <= room {
        return Ok(());
    }
    let kib = |bytes: u64| bytes.div_ceil(1024);
    let mut parts: Vec<(Driver, u64)> = need.parts.iter().map(|(&d, &b)| (d, b)).collect();
    parts.sort_by_key(|&(_, bytes)| std::cmp::Reverse(bytes));
    let listed: Vec<String> = parts
        .iter()
        .map(|(d, bytes)| format!("{} {} KiB", d.what(), kib(*bytes)))
        .collect();
    let largest = need.largest();
    Err(DescriptionError {
        file: file.to_path_buf(),
        field: largest.field().to_string(),
        reason: format!(
            "the kernel needs {} KiB of RAM at boot besides the description's {} KiB ({}), but {} has only {} KiB left for it; reduce {} ({} KiB)",
            kib(total),
            kib(need.described),
            listed.join(", "),
            board.name,
            room / 1024,
            largest.what(),
            kib(need.parts[&largest])
        ),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::PathBuf;

    use platform::boards::VEXPRESS_A9;

    use super::*;
    use crate::system::validate::{parse, validate};

    /// A kernel image as large as a release kernel with a few partitions
    /// (its own 420 KiB and a 600 KiB system image).
    const IMAGE: Image = Image {
        end_offset: 64 * 1024 + 1020 * 1024,
        system_image: 600 * 1024,
    };

    /// How much memory the generated partitions get.
    #[derive(Clone, Copy)]
    enum Memory {
        /// Just their stacks and some code.
        Least,
        /// All `validate` lets them have: everything but the reserve.
        All,
    }

    /// A description of `partitions` scheduled partitions, each with
    /// `threads` threads of 4 KiB stacks and `slots` capability slots, and
    /// `endpoints` endpoints; checked by `validate` on the vexpress-a9.
    fn system(
        partitions: usize,
        threads: usize,
        slots: u16,
        endpoints: usize,
        memory: Memory,
    ) -> BootInfo<'static> {
        let windows: Vec<String> = (0..partitions)
            .map(|p| format!("{{ partition = \"p{p}\", duration_ms = 1 }}"))
            .collect();
        let mut text = format!(
            "[schedule]\nmajor_frame_ms = {partitions}\nwindows = [{}]\n",
            windows.join(", ")
        );
        for e in 0..endpoints {
            text += &format!("\n[[endpoint]]\nname = \"e{e}\"\n");
        }
        let thread_list: Vec<String> = (0..threads)
            .map(|t| format!("{{ name = \"t{t}\", priority = 1, stack_kib = 4 }}"))
            .collect();
        let memory_kib = match memory {
            Memory::Least => (threads as u64 + 2) * 8,
            Memory::All => {
                (VEXPRESS_A9.ram.size as u64 - KERNEL_RESERVE) / 1024 / partitions as u64 / 4 * 4
            }
        };
        for p in 0..partitions {
            text += &format!(
                "\n[[partition]]\nname = \"p{p}\"\ncrate = \"guest-counter\"\nconfig = {{ run_ms = 1 }}\nmemory_kib = {memory_kib}\ncap_slots = {slots}\nthreads = [{}]\n",
                thread_list.join(", ")
            );
        }
        let file = Path::new("systems/extreme.toml");
        let d = parse(file, &text).unwrap();
        let crates: BTreeSet<String> = ["guest-counter".to_string()].into();
        validate(file, "extreme", &d, &VEXPRESS_A9, &crates).unwrap()
    }

    fn checked(info: &BootInfo<'_>) -> Result<(), DescriptionError> {
        let need = need(info, &VEXPRESS_A9, IMAGE);
        check(Path::new("systems/extreme.toml"), &VEXPRESS_A9, &need)
    }

    #[test]
    fn the_most_partitions_with_the_most_slots_are_refused_when_ram_is_full() {
        // Legal in every other respect (`system` validates it): 255
        // partitions of 256 slots, 1000 endpoints, partitions taking all
        // RAM but the reserve.
        let partitions = boot_info::MAX_PARTITIONS;
        let info = system(partitions, 1, 256, 1000, Memory::All);
        let error = checked(&info).unwrap_err();
        assert_eq!(error.file, PathBuf::from("systems/extreme.toml"));
        assert_eq!(error.field, "partition", "{error}");
        let slots = (partitions as u64 * 256 * SLOT_ENTRY + 4 * ARRAY_ALIGN).div_ceil(1024);
        assert!(
            error
                .reason
                .contains(&format!("capability slots {slots} KiB")),
            "{error}"
        );
        let room =
            (VEXPRESS_A9.ram.size as u64 - need(&info, &VEXPRESS_A9, IMAGE).described) / 1024;
        assert!(
            error.reason.contains(&format!("has only {room} KiB left")),
            "{error}"
        );
        assert!(
            room < 9 * 1024,
            "the partitions leave about the reserve: {room}"
        );
        // The same tables fit beside small partitions: the kernel boots it.
        let small = system(partitions, 1, 256, 1000, Memory::Least);
        assert!(checked(&small).is_ok());
    }

    #[test]
    fn ipc_buffers_of_many_threads_are_refused_naming_the_threads() {
        let info = system(8, boot_info::MAX_THREADS, 16, 1, Memory::All);
        let error = checked(&info).unwrap_err();
        assert_eq!(error.field, "partition[..].threads", "{error}");
        assert!(
            error
                .reason
                .contains("reduce threads and their IPC buffers"),
            "{error}"
        );
        // Each thread costs its IPC buffer page and its records.
        let at = |threads| {
            need(
                &system(8, threads, 16, 1, Memory::Least),
                &VEXPRESS_A9,
                IMAGE,
            )
        };
        let (fewer, more) = (at(100), at(101));
        let per_thread = PAGE + THREAD_ENTRY + THREAD_STATE + 1;
        assert_eq!(
            more.parts[&Driver::Threads] - fewer.parts[&Driver::Threads],
            8 * per_thread,
            "{fewer:?} {more:?}"
        );
        // Fewer threads fit beside the same partitions.
        assert!(checked(&system(8, 64, 16, 1, Memory::All)).is_ok());
    }

    #[test]
    fn the_image_counts_from_rams_base_and_a_large_one_is_refused() {
        let info = system(2, 1, 16, 1, Memory::All);
        let small = need(&info, &VEXPRESS_A9, IMAGE);
        assert!(check(Path::new("x.toml"), &VEXPRESS_A9, &small).is_ok());
        // 7 MiB more of partitions' ELFs (a whole number of megabytes, so
        // every alignment after it is the same).
        let image = Image {
            end_offset: IMAGE.end_offset + (7 << 20),
            system_image: IMAGE.system_image + (7 << 20),
        };
        let large = need(&info, &VEXPRESS_A9, image);
        assert_eq!(
            large.total() - small.total(),
            7 << 20,
            "the tables do not depend on the image's size"
        );
        let error = check(Path::new("x.toml"), &VEXPRESS_A9, &large).unwrap_err();
        assert_eq!(error.field, "partition[..].crate", "{error}");
        // Before the kernel is built: the load offset and the system image.
        let before = Image::at_least(&VEXPRESS_A9, 5000);
        assert_eq!(before.end_offset, 0x10000 + 8192);
    }

    /// The replay never counts less than the kernel's per-record costs
    /// (`boot_info::table_bytes`, asserted by the kernel) less what
    /// `validate` counts as the description's memory (guest tables); and
    /// every shipped system leaves room for a kernel image of 4 MiB.
    #[test]
    fn the_replay_covers_the_kernels_table_costs() {
        let root = crate::workspace::root();
        let crates = crate::system::build::workspace_crates().unwrap();
        let mut largest = (0, String::new());
        for dir in [root.join("systems"), root.join("tests/systems")] {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_none_or(|e| e != "toml") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let d = parse(&path, &text).unwrap();
                let name = path.file_stem().unwrap().to_string_lossy();
                let info = validate(&path, &name, &d, &VEXPRESS_A9, crates).unwrap();
                let none = Image {
                    end_offset: 0,
                    system_image: 0,
                };
                let replayed = need(&info, &VEXPRESS_A9, none);
                let guests: u64 = info
                    .partitions
                    .iter()
                    .filter_map(|p| p.guest)
                    .map(|g| {
                        u64::from(g.address_spaces) * u64::from(GUEST_L1_BYTES)
                            + u64::from(g.page_tables)
                                * u64::from(GUEST_L2_BYTES + GUEST_L2_BOOKKEEPING_BYTES)
                    })
                    .sum();
                let tables = boot_info::table_bytes::KERNEL_TABLES.total(&info) - guests;
                let total = replayed.total();
                assert!(total >= tables, "{}: {total} < {tables}", path.display());
                let with_image = Image {
                    end_offset: 4 << 20,
                    system_image: 0,
                };
                let file = path.as_path();
                check(file, &VEXPRESS_A9, &need(&info, &VEXPRESS_A9, with_image))
                    .unwrap_or_else(|e| panic!("{e}"));
                println!(
                    "{}: tables {} KiB, room {} KiB",
                    path.display(),
                    total.div_ceil(1024),
                    room(&VEXPRESS_A9, &replayed) / 1024
                );
                largest = largest.max((total, path.display().to_string()));
            }
        }
        println!("largest: {} ({} KiB)", largest.1, largest.0.div_ceil(1024));
    }
}
