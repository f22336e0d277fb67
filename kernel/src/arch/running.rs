//! The system while it runs: built at boot from the embedded system image,
//! then driven by ticks, system calls and user faults from the vectors.
//!
//! Boot allocates every table from the RAM after the kernel image (sized by
//! the image), allocates shared regions, loads each partition, maps its
//! shared and device regions, sets up guest kernels' budgets (address
//! spaces with their first-level tables, page tables, suspended guest
//! threads in the same thread table, and the capabilities to them), and
//! hands the result to the core's [`System`]. After boot nothing is
//! allocated. The state lives in one
//! [`KernelCell`], touched only with interrupts masked on the one CPU.

use core::cell::UnsafeCell;
use core::mem::{align_of, size_of};

use boot_info::{ImageError, SystemImage};
use platform::BOARD;

use crate::cap::layout::SpaceLayout;
use crate::exception::TrapFrame;
use crate::machine::{Machine as _, UserFault};
use crate::mm::boot_alloc::{BootAllocator, OutOfMemory};
use crate::mm::descriptor::L1Entry;
use crate::mm::guest_space::{GuestSpace, L1_BYTES};
use crate::mm::kernel_space::L2Table;
use crate::mm::layout;
use crate::mm::table_pool::{PoolStorage, TABLE_BYTES};
use crate::mm::user_space::{Backing, Region, Rights, SpaceError, USER_L1_ENTRIES};
use crate::objects::{KernelObjects, ObjectError, ObjectStorage};
use crate::partition::{self, LoadError, Partition, PartitionState};
use crate::schedule::{Schedule, ScheduleError};
use crate::system::{Next, System};
use crate::thread::{Thread, ThreadStart};

use super::machine::HardwareMachine;
use super::{debug, user};

/// The system image xtask built for this kernel (empty: no partitions).
static SYSTEM_IMAGE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/system.img"));

/// Why the system could not be built at boot.
#[derive(Clone, Copy, Debug)]
pub enum BootError {
    /// The image is damaged.
    Image(ImageError),
    /// The schedule is invalid.
    Schedule(ScheduleError),
    /// RAM ran out.
    Memory(OutOfMemory),
    /// A partition could not be loaded.
    Load { partition: usize, error: LoadError },
    /// A partition's tables could not be built.
    Space { partition: usize, error: SpaceError },
    /// A partition has no threads.
    NoThreads { partition: usize },
    /// A partition has more threads (described, or guest) than a thread
    /// ID (`kernel_abi::user_layout::thread_id`, one byte) can number.
    TooManyThreads { partition: usize },
    /// The kernel image does not end inside RAM.
    NoFreeRam,
    /// Capabilities, endpoints or notifications could not be set up.
    Objects(ObjectError),
    /// More ASIDs than 8 bits hold (partitions and guest address spaces).
    TooManyAddressSpaces,
    /// A table the kernel reads and writes itself landed at `physical`,
    /// beyond its linear map of RAM (the partitions' memory and fixed
    /// frames before it took the linear map's room).
    TableBeyondLinearMap { physical: usize },
}

struct Running {
    system: System<'static>,
    machine: HardwareMachine,
    /// The ASID of the address space the MMU has loaded (0, the reserved
    /// ASID no thread that runs has: none yet).
    loaded: u8,
    /// What TPIDRURO holds while each thread runs (by index in the
    /// system's threads): `kernel_abi::user_layout::thread_id` of its index
    /// in its partition. Allocated at boot, one byte per thread.
    thread_ids: &'static [u8],
    /// The RAM the kernel uses, for its count of frames.
    ram: core::ops::Range<usize>,
}

/// The thread ID of the thread with index `index` in its partition, if it
/// fits the byte the kernel keeps for it.
fn thread_id_byte(index: usize) -> Option<u8> {
    let index = u32::try_from(index).ok()?;
    u8::try_from(kernel_abi::user_layout::thread_id(index)).ok()
}

/// A cell for kernel state shared between boot and exception handlers.
struct KernelCell<T>(UnsafeCell<Option<T>>);

// SAFETY: one CPU, and the kernel runs with interrupts masked whenever it
// touches the cell (boot before interrupts are on, and exception handlers),
// so there is never concurrent access.
unsafe impl<T> Sync for KernelCell<T> {}

static RUNNING: KernelCell<Running> = KernelCell(UnsafeCell::new(None));

/// The decoded system image, kept for the run: partition restarts reload
/// from it.
static BOOT_IMAGE: KernelCell<SystemImage<'static>> = KernelCell(UnsafeCell::new(None));

fn running() -> Option<&'static mut Running> {
    // SAFETY: see `KernelCell`; callers do not keep the reference across
    // another call that takes it.
    unsafe { (*RUNNING.0.get()).as_mut() }
}

/// Whether the kernel was built with a system to run.
pub fn has_system() -> bool {
    !SYSTEM_IMAGE.is_empty()
}

extern "C" {
    static __kernel_end: u8;
}

/// Builds the system from the image, on the RAM `detected` at boot (see
/// `arch::ram`). Must run once, at boot, before interrupts are enabled.
pub fn boot(detected: super::ram::Detected) -> Result<(), BootError> {
    let parsed = SystemImage::parse(SYSTEM_IMAGE).map_err(BootError::Image)?;
    // SAFETY: see `KernelCell`; boot runs once, before interrupts are
    // enabled, and nothing writes the cell again: the reference lives as
    // long as the kernel (restarts rebuild partitions from it).
    let image: &'static SystemImage<'static> = unsafe { (*BOOT_IMAGE.0.get()).insert(parsed) };
    let info = &image.info;

    // SAFETY: only the symbol's address is used.
    let kernel_end_va = unsafe { &__kernel_end as *const u8 as usize };
    let free_start = layout::ram_phys(BOARD, kernel_end_va).ok_or(BootError::NoFreeRam)?;
    if let (Some(end), false) = (detected.host_said, detected.believed()) {
        defmt::warn!(
            "RAM: the host says it ends at {=usize:#x}, which {=str} cannot have",
            end,
            BOARD.name
        );
    }
    let ram_end = detected.end;
    let reach = super::ram::reach();
    defmt::info!(
        "RAM: {=usize} MiB at {=usize:#x} ({=str}), {=usize} MiB of it in the kernel's linear map",
        (ram_end - BOARD.ram.base) >> 20,
        BOARD.ram.base,
        if detected.believed() {
            "as the host reports"
        } else {
            "the board's size"
        },
        (reach.linear_end() - BOARD.ram.base) >> 20
    );
    let mut ram = BootAllocator::new(free_start..ram_end);
    let mut machine = HardwareMachine;
    let windows = allocate_default(&mut ram, info.schedule.windows.len())?;
    let schedule = Schedule::new(&info.schedule, info.partitions.len(), windows)
        .map_err(BootError::Schedule)?;

    let shared_phys = allocate_default::<usize>(&mut ram, info.shared.len())?;
    for (slot, region) in shared_phys.iter_mut().zip(&info.shared) {
        *slot = ram
            .allocate(region.size as usize, 4096)
            .map_err(BootError::Memory)?;
        machine.zero_phys(*slot, region.size as usize);
    }

    let guest_threads =
        |p: &boot_info::PartitionInfo| p.guest.map_or(0, |g| usize::from(g.threads));
    let thread_count = info
        .partitions
        .iter()
        .map(|p| p.threads.len() + guest_threads(&p))
        .sum();
    if let Some(partition) = info
        .partitions
        .iter()
        .position(|p| thread_id_byte(p.threads.len().max(guest_threads(&p))).is_none())
    {
        return Err(BootError::TooManyThreads { partition });
    }
    let partitions = allocate_array::<Partition>(&mut ram, info.partitions.len())?;
    let threads = allocate_array::<Thread>(&mut ram, thread_count)?;
    let mut next_thread = 0;
    let thread_ids = allocate_default::<u8>(&mut ram, thread_count)?;
    let elfs = allocate_default::<&'static [u8]>(&mut ram, info.partitions.len())?;
    for (index, p) in info.partitions.iter().enumerate() {
        if p.threads.is_empty() {
            return Err(BootError::NoThreads { partition: index });
        }
        let elf = image.elf(index, &p).map_err(BootError::Image)?;
        elfs[index] = elf;
        let memory = ram
            .allocate(p.memory_size as usize, 4096)
            .map_err(BootError::Memory)?;
        let room = allocate_default(&mut ram, boot_info::space_regions(info, index, &p))?;
        let space = crate::mm::user_space::UserSpace::with_room(room);
        let mut loaded =
            partition::load(&p, elf, memory, space, &mut machine).map_err(|error| {
                BootError::Load {
                    partition: index,
                    error,
                }
            })?;
        let space_error = |error| BootError::Space {
            partition: index,
            error,
        };
        // One page per thread, in one run mapped as one region: thread
        // `t`'s is page `t`.
        let buffers_size = p.threads.len() * 4096;
        let ipc_buffers = ram
            .allocate(buffers_size, 4096)
            .map_err(BootError::Memory)?;
        machine.zero_phys(ipc_buffers, buffers_size);
        let region = Region::ram(
            kernel_abi::syscall::IPC_BUFFERS,
            buffers_size as u32,
            ipc_buffers,
            Rights::ReadWrite,
        );
        loaded.space.add(region).map_err(space_error)?;
        for (region, &phys) in info.shared.iter().zip(shared_phys.iter()) {
            for map in region
                .mappings
                .iter()
                .filter(|m| usize::from(m.partition) == index)
            {
                let rights = if map.writable {
                    Rights::ReadWrite
                } else {
                    Rights::Read
                };
                let mapped = Region::ram(map.address, region.size, phys, rights);
                loaded.space.add(mapped).map_err(space_error)?;
            }
        }
        for device in info
            .devices
            .iter()
            .filter(|d| usize::from(d.partition) == index)
        {
            let mapped = Region {
                backing: Backing::Device,
                ..Region::ram(
                    device.address,
                    device.size,
                    device.physical as usize,
                    Rights::ReadWrite,
                )
            };
            loaded.space.add(mapped).map_err(space_error)?;
        }
        let (table, grant_table) = build_tables(&mut ram, &loaded.space).map_err(|e| match e {
            TableError::Memory(m) => BootError::Memory(m),
            TableError::BeyondLinearMap(physical) => BootError::TableBeyondLinearMap { physical },
            TableError::Space(error) => BootError::Space {
                partition: index,
                error,
            },
        })?;
        let asid = index as u8 + 1;
        defmt::info!(
            "partition {=str}: {=u32} KiB at {=usize:#x}, asid {=u8}, {=usize} threads, entry {=u32:#x}",
            p.name.as_str(),
            p.memory_size / 1024,
            memory,
            asid,
            p.threads.len(),
            loaded.entry
        );
        // SAFETY: `partitions` has room for every partition; each slot is
        // written once before the slice is used.
        unsafe {
            partitions.add(index).write(Partition {
                name: p.name.clone(),
                asid,
                space: loaded.space,
                table,
                state: PartitionState::Running,
                window_ticks: 0,
                running_ticks: 0,
                passive: p.passive,
                service: p.service,
                grant_table,
                pager: p.pager,
                first_thread: None,
                last_run: None,
                memory,
                restarts: 0,
            })
        };
        for ((t_index, t), stack_top) in p.threads.iter().enumerate().zip(partition::stack_tops(&p))
        {
            let start = ThreadStart {
                entry: loaded.entry,
                // Thread 0's configuration sits at the top of its stack.
                stack_top: stack_top.min(loaded.config),
                index: t_index as u32,
                config: (loaded.config, p.config.len() as u32),
            };
            let mut thread = Thread::new(t.name.clone(), index, t.priority, start);
            thread.ipc_buffer = ipc_buffers + t_index * 4096;
            // SAFETY: as for partitions; `next_thread < thread_count`.
            unsafe { threads.add(next_thread).write(thread) };
            // Fits: checked against the partition's thread count above.
            thread_ids[next_thread] = thread_id_byte(t_index).unwrap_or(0);
            next_thread += 1;
        }
        for number in 0..p.guest.map_or(0, |g| g.threads) {
            let mut name = boot_info::Name::new();
            // "guest-" and at most three digits (a `u8`) fit a name.
            let written = core::fmt::Write::write_fmt(&mut name, format_args!("guest-{number}"));
            debug_assert!(written.is_ok());
            // SAFETY: as for the partition's own threads.
            unsafe {
                threads
                    .add(next_thread)
                    .write(Thread::guest(name, index, number))
            };
            thread_ids[next_thread] = thread_id_byte(usize::from(number)).unwrap_or(0);
            next_thread += 1;
        }
    }
    defmt::info!(
        "system {=str}: {=usize} partitions, major frame {=u32} ms, {=usize} KiB of RAM left",
        info.system.as_str(),
        info.partitions.len(),
        schedule.major_frame(),
        ram.remaining() / 1024
    );
    // SAFETY: every element was initialised above; the memory is used for
    // nothing else for the rest of the run.
    let (partitions, threads) = unsafe {
        (
            core::slice::from_raw_parts_mut(partitions, info.partitions.len()),
            core::slice::from_raw_parts_mut(threads, thread_count),
        )
    };
    let (objects, frames) = build_objects(&mut ram, info, thread_count)?;
    let mut system = System::new(
        partitions,
        threads,
        objects,
        schedule,
        user::idle_frame(),
        info.schedule.stop_after_ms,
    );
    system.set_boot_image(crate::system::BootImage { info, elfs, frames });
    let usable_ram = BOARD.ram.base..ram_end;
    log_frame_census(&system, &usable_ram, "at boot");
    // SAFETY: see `KernelCell`; boot runs before interrupts are enabled.
    unsafe {
        *RUNNING.0.get() = Some(Running {
            system,
            machine,
            loaded: 0,
            thread_ids,
            ram: usable_ram,
        })
    };
    Ok(())
}

/// Starts the first thread (or idles). Never returns.
pub fn start() -> ! {
    let Some(running) = running() else {
        panic!("start() before boot()");
    };
    let next = running.system.start(&mut running.machine);
    let frame = act(running, next);
    // SAFETY: `act` returned the running thread's saved registers (or the
    // idle loop's), which live in the system for the whole run.
    user::launch(unsafe { &mut *frame })
}

/// The running system, which every exception from a thread needs.
fn running_system() -> &'static mut Running {
    match running() {
        Some(running) => running,
        None => panic!("a thread's exception with no system running"),
    }
}

/// A tick arrived: returns the registers to resume.
pub fn on_tick() -> *mut TrapFrame {
    let running = running_system();
    let next = running.system.on_tick(&mut running.machine);
    act(running, next)
}

/// A device interrupt arrived (masked until its driver acknowledges it):
/// returns the registers to resume.
pub fn on_device_irq(irq: u32) -> *mut TrapFrame {
    let running = running_system();
    let next = running.system.on_irq(irq, &mut running.machine);
    act(running, next)
}

/// A user thread made a system call: returns the registers to resume.
#[inline(always)]
pub fn on_syscall() -> *mut TrapFrame {
    let running = running_system();
    let next = running.system.on_syscall(&mut running.machine);
    act(running, next)
}

/// A user thread faulted: returns the registers to resume.
pub fn on_user_fault(fault: UserFault) -> *mut TrapFrame {
    let running = running_system();
    let next = running.system.on_user_fault(fault, &mut running.machine);
    act(running, next)
}

/// An interrupt the device layer handled itself, from a thread or the
/// idle loop: resumes what it interrupted.
pub fn resume() -> *mut TrapFrame {
    running_system().system.resume()
}

/// Carries out what the system chose and returns the registers to
/// resume. Every return to a user thread comes through here (or resumes
/// the thread that was interrupted, unchanged), the fastpath's included,
/// so the address space and TPIDRURO always belong to the thread that
/// runs.
#[inline(always)]
fn act(running: &mut Running, next: Next) -> *mut TrapFrame {
    if let Next::Shutdown(status) = next {
        shut_down(running, status);
    }
    // `Next::Idle` is exactly "no running thread".
    let Some((index, thread)) = running.system.running_thread() else {
        return running.system.resume();
    };
    // A thread runs in its partition's address space, or a guest thread in
    // its guest address space: ASIDs name them uniquely.
    if running.loaded != thread.asid {
        user::switch_address_space(thread.table, thread.asid);
        running.loaded = thread.asid;
    }
    // Written on every return to a user thread: cheaper than checking
    // whether it changed.
    if let Some(&id) = running.thread_ids.get(index) {
        user::set_thread_id(u32::from(id));
    }
    &mut thread.context
}

/// The run is over: report every partition and exit with `status`.
#[cold]
fn shut_down(running: &mut Running, status: i32) -> ! {
    // The run is over: a last look at every invariant the kernel keeps
    // (O(n²) at worst, once). A broken one is a kernel bug, reported as
    // such whatever the partitions did.
    let status = match running.system.check() {
        Ok(()) => {
            defmt::info!("kernel invariants hold");
            status
        }
        Err(broken) => {
            defmt::error!("kernel invariant broken: {=str}", broken);
            kernel_abi::exit::KERNEL_PANIC
        }
    };
    log_frame_census(&running.system, &running.ram, "at the end");
    for p in running.system.partitions() {
        let state = match p.state {
            PartitionState::Running => "running",
            PartitionState::Finished => "finished",
            PartitionState::Stopped => "stopped",
        };
        defmt::info!(
            "partition {=str}: {=str}, {=u64} ms of windows, {=u64} ms running",
            p.name.as_str(),
            state,
            p.window_ticks,
            p.running_ticks
        );
    }
    debug::exit(status)
}

/// Logs the kernel's count of `ram`'s pages: each partition's, and those
/// no partition owns (`System::owned_pages`).
fn log_frame_census(system: &System<'_>, ram: &core::ops::Range<usize>, when: &str) {
    let mut owned = 0;
    for (index, p) in system.partitions().iter().enumerate() {
        let pages = system.owned_pages(index, ram);
        owned += pages;
        defmt::info!(
            "frames {=str}: partition {=str} owns {=u32} pages of RAM",
            when,
            p.name.as_str(),
            pages
        );
    }
    let total = ((ram.end - ram.start) / 4096) as u32;
    defmt::info!(
        "frames {=str}: {=u32} pages of RAM, {=u32} owned by partitions, {=u32} by none",
        when,
        total,
        owned,
        total.saturating_sub(owned)
    );
}

/// Where the frame that takes the rest of RAM starts: a 1 MiB boundary, so
/// that it can be mapped in sections.
const REST_ALIGN: usize = 1 << 20;

/// Each boot frame's physical base and size, as boot placed them.
type BootFrames = &'static [(usize, u32)];

/// Capability spaces sized per partition, endpoints, notifications and
/// per-thread IPC state, with the description's capabilities in place.
fn build_objects(
    ram: &mut BootAllocator,
    info: &boot_info::BootInfo,
    threads: usize,
) -> Result<(KernelObjects<'static>, BootFrames), BootError> {
    KernelObjects::check_counts(info).map_err(BootError::Objects)?;
    // One entry more than there are partitions (see `SpaceLayout::new`).
    let bounds = allocate_default::<u16>(ram, info.partitions.len() + 1)?;
    for (size, p) in bounds[1..].iter_mut().zip(&info.partitions) {
        *size = p.cap_slots;
    }
    let layout = SpaceLayout::new(bounds).ok_or(BootError::Objects(ObjectError::BadStorage))?;
    let slots = layout.total();
    // The frames of fixed size come first, one after another; the frame
    // that takes the rest of RAM (`boot_info::FRAME_REST`) comes after
    // every other allocation. One span of page counters covers them all
    // (see `cap::frame_refs`): from the first fixed frame (or wherever
    // the counters go, with none) to the end of RAM when a rest frame
    // exists.
    let frames = allocate_default::<(usize, u32)>(ram, info.frames.len())?;
    for (frame, size) in frames.iter_mut().zip(&info.frames) {
        if size != boot_info::FRAME_REST {
            let base = ram
                .allocate(size as usize, 4096)
                .map_err(BootError::Memory)?;
            HardwareMachine.zero_phys(base, size as usize);
            *frame = (base, size);
        }
    }
    let rest = info.frames.iter().position(|s| s == boot_info::FRAME_REST);
    let fixed = || frames.iter().filter(|&&(_, size)| size != 0);
    let frame_base = fixed()
        .map(|&(base, _)| base)
        .min()
        .unwrap_or(ram.next_free() & !4095);
    let frame_end = match rest {
        Some(_) => ram.end_page(),
        None => fixed()
            .map(|&(base, size)| base + size as usize)
            .max()
            .unwrap_or(frame_base),
    };
    let frame_pages = (frame_end - frame_base).div_ceil(4096);
    let (guest_spaces, page_tables) = allocate_guest_budgets(ram, info)?;
    let storage = ObjectStorage {
        slots: allocate_default(ram, slots)?,
        nodes: allocate_default(ram, slots)?,
        endpoints: allocate_default(ram, usize::from(info.endpoints))?,
        threads: allocate_default(ram, threads)?,
        notifications: allocate_default(ram, usize::from(info.notifications))?,
        mappings: allocate_default(ram, slots)?,
        lent_slots: allocate_default(ram, slots)?,
        passed_slots: allocate_default(ram, slots)?,
        frame_refs: allocate_default(ram, frame_pages)?,
        frame_base,
        irq_lines: allocate_default(ram, KernelObjects::irq_lines(info))?,
        guest_spaces,
        page_tables,
    };
    if let Some(index) = rest {
        let (base, size) = ram.take_rest(REST_ALIGN).map_err(BootError::Memory)?;
        HardwareMachine.zero_phys(base, size);
        frames[index] = (base, size as u32);
        defmt::info!(
            "frame {=usize} takes the rest of RAM: {=usize} KiB ({=usize} MiB) at {=usize:#x}",
            index,
            size / 1024,
            size >> 20,
            base
        );
    }
    let mut objects = KernelObjects::new(layout, storage).map_err(BootError::Objects)?;
    objects
        .grant_boot_caps(info, frames)
        .map_err(BootError::Objects)?;
    let (mut first_space, mut first_thread) = (0u16, 0u16);
    for (index, p) in info.partitions.iter().enumerate() {
        first_thread += p.threads.len() as u16;
        if let Some(budget) = &p.guest {
            objects
                .grant_guest_caps(index as u8, budget, first_space, first_thread)
                .map_err(BootError::Objects)?;
            first_space += budget.address_spaces;
            first_thread += budget.threads;
        }
    }
    objects.bind_irqs(info).map_err(BootError::Objects)?;
    for irq in &info.irqs {
        super::devices::enable_interrupt(irq.number)
            .map_err(|_| BootError::Objects(ObjectError::BadIrq { number: irq.number }))?;
    }
    Ok((objects, frames))
}

/// Every guest partition's address spaces — each with the next ASID after
/// the partitions' and a cleared first-level table — and its page-table
/// budget, one run of tables per partition.
fn allocate_guest_budgets(
    ram: &mut BootAllocator,
    info: &boot_info::BootInfo,
) -> Result<(&'static mut [GuestSpace], PoolStorage<'static>), BootError> {
    let count: usize = info
        .partitions
        .iter()
        .filter_map(|p| p.guest)
        .map(|g| usize::from(g.address_spaces))
        .sum();
    if info.partitions.len() + count > boot_info::MAX_ASIDS {
        return Err(BootError::TooManyAddressSpaces);
    }
    let spaces = allocate_default::<GuestSpace>(ram, count)?;
    let mut budgets = [0u16; crate::cap::layout::MAX_LAYOUT_PARTITIONS];
    let mut next = 0;
    for (index, p) in info.partitions.iter().enumerate() {
        let Some(budget) = p.guest else { continue };
        budgets[index] = budget.page_tables;
        defmt::info!(
            "partition {=str}: guest budget of {=u16} address spaces (ASIDs from {=usize}), {=u16} threads, {=u16} page tables",
            p.name.as_str(),
            budget.address_spaces,
            info.partitions.len() + next + 1,
            budget.threads,
            budget.page_tables
        );
        for _ in 0..budget.address_spaces {
            let table = ram
                .allocate(L1_BYTES, L1_BYTES)
                .map_err(BootError::Memory)?;
            HardwareMachine.zero_phys(table, L1_BYTES);
            spaces[next] = GuestSpace {
                partition: index as u8,
                // At most MAX_ASIDS in all, checked above.
                asid: (info.partitions.len() + next + 1) as u8,
                table,
                mapped: 0,
            };
            next += 1;
        }
    }
    let tables: usize = budgets.iter().map(|&b| usize::from(b)).sum();
    let base = ram
        .allocate(tables.max(1) * TABLE_BYTES, TABLE_BYTES)
        .map_err(BootError::Memory)?;
    let page_tables = PoolStorage {
        base,
        budgets,
        next: allocate_default(ram, tables)?,
        users: allocate_default(ram, tables)?,
        owners: allocate_default(ram, tables * crate::mm::L2_ENTRIES)?,
    };
    Ok((spaces, page_tables))
}

/// `n` default values of `T` in memory of their own for the whole run.
fn allocate_default<T: Default>(
    ram: &mut BootAllocator,
    n: usize,
) -> Result<&'static mut [T], BootError> {
    let base = allocate_array::<T>(ram, n)?;
    for i in 0..n {
        // SAFETY: `base` has room for `n` values, just allocated for this.
        unsafe { base.add(i).write(T::default()) };
    }
    // SAFETY: all `n` elements were initialised above; the memory is used
    // for nothing else.
    Ok(unsafe { core::slice::from_raw_parts_mut(base, n) })
}

/// Uninitialised room for `n` values of `T`.
fn allocate_array<T>(ram: &mut BootAllocator, n: usize) -> Result<*mut T, BootError> {
    let size = size_of::<T>() * n.max(1);
    let pa = ram
        .allocate(size, align_of::<T>())
        .map_err(BootError::Memory)?;
    linear(pa, size)
        .map(|va| va as *mut T)
        .map_err(|physical| BootError::TableBeyondLinearMap { physical })
}

/// The kernel address of the `size` bytes at `pa` in the linear map, or
/// `pa` if they are not all in it.
fn linear(pa: usize, size: usize) -> Result<usize, usize> {
    if pa < super::ram::reach().linear_end() && size <= super::ram::reach().linear_end() - pa {
        layout::ram_virt(BOARD, pa).ok_or(pa)
    } else {
        Err(pa)
    }
}

enum TableError {
    Memory(OutOfMemory),
    Space(SpaceError),
    BeyondLinearMap(usize),
}

/// Allocates and fills a partition's first- and second-level tables, and
/// an empty second-level table for its grant window; returns the physical
/// addresses of the first-level table and of the grant-window table.
fn build_tables(
    ram: &mut BootAllocator,
    space: &crate::mm::user_space::UserSpace,
) -> Result<(usize, usize), TableError> {
    let l1_size = USER_L1_ENTRIES * size_of::<L1Entry>();
    let l1_pa = ram.allocate(l1_size, l1_size).map_err(TableError::Memory)?;
    let tables = space.tables_needed();
    let l2_pa = ram
        .allocate(tables.max(1) * size_of::<L2Table>(), size_of::<L2Table>())
        .map_err(TableError::Memory)?;
    let l1_va = linear(l1_pa, l1_size).map_err(TableError::BeyondLinearMap)?;
    let l2_va =
        linear(l2_pa, tables.max(1) * size_of::<L2Table>()).map_err(TableError::BeyondLinearMap)?;
    // SAFETY: both ranges were just allocated from free RAM for this alone;
    // zeroing them makes every entry a valid (fault) descriptor before the
    // references are formed.
    let (l1, l2) = unsafe {
        core::ptr::write_bytes(l1_va as *mut u8, 0, l1_size);
        core::ptr::write_bytes(l2_va as *mut u8, 0, tables * size_of::<L2Table>());
        (
            &mut *(l1_va as *mut [L1Entry; USER_L1_ENTRIES]),
            core::slice::from_raw_parts_mut(l2_va as *mut L2Table, tables),
        )
    };
    space
        .build_tables(l1, l2, l2_pa)
        .map_err(TableError::Space)?;
    let grant_size = size_of::<L2Table>();
    let grant_pa = ram
        .allocate(grant_size, grant_size)
        .map_err(TableError::Memory)?;
    let grant_va = linear(grant_pa, grant_size).map_err(TableError::BeyondLinearMap)?;
    // SAFETY: just allocated for this table alone; all-zero entries fault.
    unsafe { core::ptr::write_bytes(grant_va as *mut u8, 0, grant_size) };
    let window = kernel_abi::user_layout::GRANT_WINDOW as usize / crate::mm::SECTION_SIZE;
    l1[window] = L1Entry::page_table(grant_pa);
    aarch32_cpu::asm::dsb();
    Ok((l1_pa, grant_pa))
}

// The kernel memory xtask reports for a system (`boot_info::table_bytes`)
// is computed from these entry sizes: they must be the ones boot
// allocates.
const _: () = {
    use boot_info::table_bytes as cost;
    assert!(size_of::<Partition>() as u64 == cost::PARTITION_ENTRY);
    assert!(size_of::<Thread>() as u64 == cost::THREAD_ENTRY);
    assert!(size_of::<crate::mm::user_space::Region>() as u64 == cost::REGION_ENTRY);
    assert!(size_of::<crate::ipc::thread_objects::ThreadObjects>() as u64 == cost::THREAD_STATE);
    assert!(
        (size_of::<crate::cap::space::Slot>()
            + size_of::<crate::cap::derivation::Node>()
            + size_of::<Option<crate::cap::mapping::Mapping>>()
            + 2 * size_of::<Option<crate::ipc::ThreadId>>()) as u64
            == cost::SLOT_ENTRY
    );
    assert!(size_of::<crate::ipc::endpoint::Endpoint>() as u64 == cost::ENDPOINT_ENTRY);
    assert!(size_of::<crate::ipc::notification::Notification>() as u64 == cost::NOTIFICATION_ENTRY);
    assert!(size_of::<Option<crate::ipc::irq::IrqBinding>>() as u64 == cost::IRQ_LINE_ENTRY);
    assert!(size_of::<GuestSpace>() as u64 == cost::GUEST_SPACE_ENTRY);
    assert!(
        (size_of::<u16>()
            + size_of::<Option<crate::mm::table_pool::TableUse>>()
            + crate::mm::L2_ENTRIES * size_of::<u16>()) as u64
            == cost::GUEST_TABLE_BOOKKEEPING
    );
    assert!(size_of::<(u32, usize)>() as u64 == cost::KERNEL_TABLES.window);
    assert!(size_of::<(usize, u32)>() as u64 == cost::KERNEL_TABLES.frame);
    assert!((USER_L1_ENTRIES * size_of::<L1Entry>()) as u64 == cost::USER_L1_BYTES);
    assert!(size_of::<L2Table>() as u64 == cost::L2_TABLE_BYTES);
};
