//! The partition: maps the guest RAM frame the description gives, opens
//! the connection to the tmem server (when tmem is on) with frontswap and
//! cleancache over it, runs the workloads through the [`Machine`], and
//! logs what happened — periodic counter lines, one line per workload,
//! and a final counter line.
//!
//! ```text
//! capability slots  0 tmem endpoint, 1 window frame, 2 exchange frame
//!                   (tmem_client::ClientCaps::DEFAULT; only with tmem on)
//!                   3 guest RAM frame (read/write), at most 112 pages
//!                   4 block server endpoint, 5 block buffer frame
//!                   (only with swap on the SD card)
//!                   7 the memory manager's endpoint (with `balloon =
//!                   true` in the config: the balloon service calls it,
//!                   see `balloon_boot.rs`)
//! grant window      0x00000 window, 0x10000 guest RAM, 0x80000 exchange,
//!                   0xC0000 block buffer
//! ```
//!
//! It must never panic on anything the server or the workloads do: every
//! failure is logged and ends the guest cleanly.

extern crate alloc;

use alloc::boxed::Box;
use core::cell::RefCell;

use block_client::{BlockDevice as BlockConnection, ExchangeMode as BlockMode};
use guest_mm::{BlockDevice, Cleancache, FileStore, Frontswap, Page, PAGE_SIZE};
use guest_os_kernel::config::GuestPlan;
use guest_os_kernel::fat_files::FatFiles;
use guest_os_kernel::guest::{self, Workload};
use guest_os_kernel::kernel_spaces::{KernelSpaces, SlotLayout, Syscalls};
use guest_os_kernel::no_swap::NoSwapDevice;
use guest_os_kernel::program_args;
use guest_os_kernel::ram::GuestRam;
use guest_os_kernel::sd_swap::SdSwap;
use guest_os_kernel::service_time::{ServiceTime, Timed};
use guest_os_kernel::synthetic_files::SyntheticFiles;
use guest_os_kernel::tmem::{TmemCleancache, TmemFrontswap};
use guest_os_kernel::workload::{Ending, WorkloadResult};
use guest_os_kernel::{GuestReport, Machine, Ports, Reporter};
use kernel_abi::user_layout::GRANT_WINDOW;
use tmem_client::{ClientCaps, Connection, Slot};
use userlib::ipc::Frame;
use userlib::syscall::clock_us;
use userlib::Start;

use crate::balloon_boot;
use crate::manager_link::{self, KernelLink};
use crate::processes;
use guest_os_kernel::balloon_service::BalloonService;

userlib::entry!(main, heap_kib = 64);

/// The guest RAM frame's capability slot.
const RAM_FRAME: Frame = Frame(3);
/// Where guest RAM is mapped: between the tmem window and the exchange
/// frame.
const RAM_BASE: u32 = GRANT_WINDOW + 0x1_0000;
/// The most RAM pages that fit below the exchange frame.
const MAX_RAM_PAGES: u32 = 0x70;
/// The block server's endpoint, for swap on the SD card.
const BLOCK_ENDPOINT: u16 = 4;
/// The block buffer frame (the server's window onto it: copy mode).
const BLOCK_BUFFER: u16 = 5;
/// Where the block buffer is mapped.
const BLOCK_BUFFER_BASE: u32 = GRANT_WINDOW + 0xC_0000;

fn main(start: Start) {
    if start.thread != 0 {
        return;
    }
    let plan: GuestPlan = match userlib::config() {
        Ok(plan) => plan,
        Err(error) => return defmt::error!("guest: {=str}", error.name()),
    };
    let name = plan.tmem_name();
    let guest = plan.guest;
    let frames = match RAM_FRAME.map(RAM_BASE, true) {
        Ok(pages) if pages <= MAX_RAM_PAGES => pages,
        Ok(pages) => {
            return defmt::error!(
                "guest {=u32}: its RAM frame has {=u32} pages; at most {=u32} fit",
                guest,
                pages,
                MAX_RAM_PAGES
            )
        }
        Err(error) => {
            return defmt::error!(
                "guest {=u32}: cannot map its RAM frame: {=str}",
                guest,
                error.name()
            )
        }
    };
    // With a memory manager (and the workloads in the guest kernel), RAM
    // is the whole window below the exchange frame, the frames the guest
    // does not hold being holes in its balloon.
    if plan.balloon && (plan.processes || !manager_link::holds(manager_link::MANAGER)) {
        return defmt::error!(
            "guest {=u32}: balloon asked, but {=str}",
            guest,
            if plan.processes {
                "programs run as processes: the balloon works only with the workloads in the guest kernel"
            } else {
                "capability slot 7 holds no memory manager endpoint"
            }
        );
    }
    let mut balloon = plan
        .balloon
        .then(|| BalloonService::connect(KernelLink::new(guest, RAM_BASE, start.thread), frames))
        .flatten();
    let ram_pages = if balloon.is_some() {
        MAX_RAM_PAGES
    } else {
        frames
    };
    // SAFETY: the RAM frame is mapped read/write at RAM_BASE for `frames`
    // pages just above, nothing else in this partition maps or touches
    // that range, and the mapping lives as long as the partition. With
    // the balloon, the range is MAX_RAM_PAGES long and its holes are not
    // mapped: memory management touches only the frames it holds, each
    // mapped at its place (balloon_boot), never a frame in its balloon.
    let pages: &'static mut [Page] =
        unsafe { core::slice::from_raw_parts_mut(RAM_BASE as *mut Page, ram_pages as usize) };
    // With processes, the top frames hold the programs' images.
    let vm_frames = if plan.processes {
        frames.saturating_sub(processes::image_frames(&plan))
    } else {
        ram_pages
    };
    let (vm_pages, image_pages) = pages.split_at_mut(vm_frames as usize);
    let mut memory = GuestRam::new(vm_pages);
    defmt::info!(
        "guest {=u32} ({=str}): boots with {=u32} frames of guest RAM ({=u32} KiB); {=str}",
        guest,
        name,
        frames,
        frames * (PAGE_SIZE as u32 / 1024),
        if plan.processes {
            "programs run as processes"
        } else {
            "software MMU (workloads run in the guest kernel)"
        }
    );

    log_programs(guest);

    let connection = match plan.tmem {
        None => None,
        // SAFETY: this partition uses its window and exchange frames (slots
        // 1 and 2) and their addresses only through this connection.
        Some(mode) => match unsafe { Connection::open(ClientCaps::DEFAULT, mode, Slot::FIRST) } {
            Ok(connection) => Some(RefCell::new(connection)),
            Err(error) => {
                return defmt::error!(
                    "guest {=u32}: cannot open the tmem connection: {=str}",
                    guest,
                    error.name()
                )
            }
        },
    };
    let mut frontswap = None;
    let mut cleancache = None;
    if let Some(connection) = &connection {
        match (
            TmemFrontswap::open(connection, guest::SWAP_TYPE),
            match (plan.shared_files, plan.files) {
                (Some(uuid), Some(files)) => TmemCleancache::open_shared(connection, uuid, files),
                _ => TmemCleancache::open(connection),
            },
        ) {
            (Ok(swap), Ok(cache)) => {
                frontswap = Some(Timed::new(swap, clock_us));
                cleancache = Some(cache);
            }
            (Err(error), _) | (_, Err(error)) => {
                return defmt::error!(
                    "guest {=u32}: tmem refused a pool: {=str}",
                    guest,
                    error.name()
                )
            }
        }
    }

    let file_plan = plan.files;
    let mut synthetic_files = SyntheticFiles::new(
        file_plan.map_or(0, |f| f.files),
        file_plan.map_or(0, |f| f.pages_per_file),
    );
    let file_size = file_plan.map(|f| guest_os_config::file_set::file_size(&f));
    let mut card_files = None;
    if file_plan.is_some_and(|f| f.on_card) {
        match open_card_files() {
            Ok(files) => card_files = Some(files),
            Err(reason) => {
                return defmt::error!(
                    "guest {=u32}: cannot open its files on the SD card: {=str}",
                    guest,
                    reason
                )
            }
        }
        defmt::info!(
            "guest {=u32}: reads its files from the SD card (FAT)",
            guest
        );
    }
    let files: &mut dyn FileStore = match &mut card_files {
        Some(files) => files,
        None => &mut synthetic_files,
    };
    let mut sd_swap = None;
    if plan.sd_swap {
        let opened = BlockConnection::new(
            BlockMode::Copy,
            BLOCK_ENDPOINT,
            BLOCK_BUFFER,
            BLOCK_BUFFER_BASE,
        )
        .map_err(|error| error.name())
        .and_then(|connection| {
            SdSwap::open(connection, guest::SWAP_SLOTS).map_err(|error| error.name())
        });
        match opened {
            Ok(device) => sd_swap = Some(Timed::new(device, clock_us)),
            Err(reason) => {
                return defmt::error!(
                    "guest {=u32}: cannot open its swap region on the SD card: {=str}",
                    guest,
                    reason
                )
            }
        }
    }
    let swap_slots = sd_swap
        .as_ref()
        .map_or(guest::SWAP_SLOTS, |device| device.block_count());
    if let Some(device) = &sd_swap {
        defmt::info!(
            "guest {=u32}: swaps to its SD-card region: {=u32} blocks",
            guest,
            device.block_count()
        );
    }
    let mut no_swap = NoSwapDevice;
    let swap_device: &mut dyn BlockDevice = match &mut sd_swap {
        Some(device) => device,
        None => &mut no_swap,
    };
    let mut reporter = LogReporter { guest, name };
    let ports = Ports {
        memory: &mut memory,
        frontswap: frontswap.as_mut().map(|f| f as &mut dyn Frontswap),
        cleancache: cleancache.as_mut().map(|c| c as &mut dyn Cleancache),
        swap_device,
        files,
    };
    if plan.processes {
        return run_processes(
            &plan,
            name,
            Machine::with_spaces(
                guest::vm_config(vm_frames, swap_slots),
                KernelSpaces::new(
                    Syscalls,
                    SlotLayout {
                        first_space: processes::BUDGET,
                        spaces: processes::PROCESSES,
                        first_frame: processes::FIRST_FRAME,
                        frames: vm_frames,
                    },
                ),
                ports,
                &mut reporter,
                guest::REPORT_EVERY_FAULTS,
            ),
            processes::Images::new(image_pages, RAM_FRAME, vm_frames),
        );
    }
    let mut machine = Machine::new(
        guest::vm_config(vm_frames, swap_slots),
        ports,
        &mut reporter,
        guest::REPORT_EVERY_FAULTS,
    );
    if let Some(service) = balloon.as_mut() {
        if let Err(reason) =
            balloon_boot::place_ram(&mut machine, RAM_FRAME, frames, service.link_mut())
        {
            return defmt::error!(
                "guest {=u32}: cannot place its RAM frames: {=str}",
                guest,
                reason
            );
        }
        defmt::info!(
            "guest {=u32}: balloon: {=u32} frames held, {=u32} holes; the memory manager's first target is {=u32}",
            guest,
            frames,
            MAX_RAM_PAGES - frames,
            service.target()
        );
        machine.set_periodic(service);
    }
    let mut page: Box<Page> = Box::new([0; PAGE_SIZE]);
    let mut out_of_memory = false;
    let started_us = clock_us();
    let completed = guest::run(
        &mut machine,
        &plan,
        file_size,
        &mut page,
        |workload, result| {
            log_workload(guest, workload, result);
            out_of_memory |= result.ending == Ending::OutOfMemory;
        },
    );
    let run_us = clock_us().saturating_sub(started_us);
    // Idle until the memory manager ends the run, giving memory back.
    while machine.tick(false) {
        userlib::syscall::yield_now();
    }
    if plan.bench && completed {
        defmt::info!(
            "bench guest_os.swap.{=str}: {=u64} microseconds of virtual time for the workloads",
            plan.swap_series(),
            run_us
        );
    }
    let consistent = machine.check();
    let report = machine.report();
    drop(machine);
    log_report(guest, name, "final", &report);
    if let Some(service) = &balloon {
        let counts = service.counts();
        defmt::info!(
            "guest {=u32}: balloon: {=u64} periods, {=u64} frames given, {=u64} taken, {=u64} failures; ends with {=u32} frames",
            guest,
            counts.periods,
            counts.given,
            counts.taken,
            counts.failures,
            report.frames
        );
    }
    if balloon.is_some() {
        let time = |t: Option<ServiceTime>| t.unwrap_or_default();
        log_swap_time(
            guest,
            time(frontswap.as_ref().map(Timed::time)),
            time(sd_swap.as_ref().map(Timed::time)),
        );
    }
    if let Some(swap) = frontswap.as_ref().map(Timed::port) {
        if let Some(error) = swap.last_error() {
            defmt::info!(
                "guest {=u32}: frontswap: {=u64} stores failed, the last because: {=str}; {=u64} invalidates lost",
                guest,
                swap.stats().failed_stores,
                error.name(),
                swap.failed_invalidates()
            );
        }
    }

    if let Err(broken) = consistent {
        defmt::error!(
            "guest {=u32}: memory management is inconsistent: {=str}",
            guest,
            broken
        );
    } else if completed {
        defmt::info!(
            "guest {=u32}: every workload completed; memory management is consistent",
            guest
        );
    } else if out_of_memory {
        defmt::warn!(
            "guest {=u32}: out of memory: neither tmem nor a swap device took the pages it had to evict; no page was lost, the guest stops cleanly",
            guest
        );
    } else {
        defmt::error!("guest {=u32}: a workload failed; the guest stops", guest);
    }
}

/// Runs the plan's programs as processes, then reports.
fn run_processes(
    plan: &GuestPlan,
    name: &'static str,
    mut machine: Machine<'_, KernelSpaces<Syscalls>>,
    mut images: processes::Images<'_>,
) {
    let guest = plan.guest;
    if let Err(reason) = processes::split_frames(RAM_FRAME, machine.vm().pressure().free_frames) {
        return defmt::error!(
            "guest {=u32}: cannot split its RAM frame: {=str}",
            guest,
            reason
        );
    }
    let mut running = processes::Running::new();
    for (k, program) in (0u16..).zip(plan.programs.iter()) {
        let (program, words) = program_args::arguments(plan, program, k);
        match processes::start(&mut machine, &mut images, k, program, &words)
            .and_then(|()| running.add(k, program))
        {
            Ok(()) => {
                defmt::info!(
                    "guest {=u32}: process {=u16} runs {=str}",
                    guest,
                    k,
                    program
                );
            }
            Err(reason) => defmt::error!(
                "guest {=u32}: process {=u16} ({=str}) did not start: {=str}",
                guest,
                k,
                program,
                reason
            ),
        }
    }
    let outcome = processes::serve_all(&mut machine, &images, guest, &mut running);
    let consistent = machine.check_vm();
    let report = machine.report();
    let broken = machine.mmu().broken();
    drop(machine);
    log_report(guest, name, "final", &report);
    defmt::info!(
        "guest {=u32}: processes: {=u32} exited cleanly, {=u32} failed, {=u32} killed",
        guest,
        outcome.clean,
        outcome.failed,
        outcome.killed
    );
    match consistent {
        Ok(()) if broken == 0 => defmt::info!(
            "guest {=u32}: every process ended; memory management is consistent",
            guest
        ),
        Ok(()) => defmt::error!(
            "guest {=u32}: the kernel refused {=u64} unmaps",
            guest,
            broken
        ),
        Err(reason) => defmt::error!(
            "guest {=u32}: memory management is inconsistent: {=str}",
            guest,
            reason
        ),
    }
}

/// Logs reports as they come.
struct LogReporter {
    guest: u32,
    name: &'static str,
}

impl Reporter for LogReporter {
    fn periodic(&mut self, report: &GuestReport) {
        log_report(self.guest, self.name, "report", report);
    }
}

/// Checks every embedded program's ELF file and says what it would load
/// (the programs do not run as processes yet).
fn log_programs(guest: u32) {
    for &(name, bytes) in guest_os_kernel::programs::EMBEDDED {
        match guest_os_kernel::elf::parse(bytes) {
            Ok(program) => defmt::info!(
                "guest {=u32}: program {=str}: entry {=u32:#x}, {=usize} segments, image ends at {=u32:#x}",
                guest,
                name,
                program.entry,
                program.segments.len(),
                program.image_end()
            ),
            Err(error) => defmt::error!(
                "guest {=u32}: program {=str} is not loadable: {=str}",
                guest,
                name,
                error.name()
            ),
        }
    }
}

/// What a swapped page cost the guest in tmem and on the SD card: a
/// `demo swap` line for the demo's summary (`xtask::demo`).
fn log_swap_time(guest: u32, tmem: ServiceTime, sd: ServiceTime) {
    defmt::info!(
        "demo swap guest=guest{=u32} tmem_pages={=u64} tmem_us={=u64} sd_pages={=u64} sd_us={=u64}",
        guest,
        tmem.pages,
        tmem.micros,
        sd.pages,
        sd.micros
    );
}

fn log_report(guest: u32, name: &str, what: &str, r: &GuestReport) {
    defmt::info!(
        "guest {=u32} ({=str}) {=str}: RAM {=u32} frames free {=u32} anonymous {=u32} page cache {=u32}; swap-outs to tmem {=u64} to device {=u64}; swap-ins from tmem {=u64} from device {=u64}; tmem refusals {=u64} write-out failures {=u64} in tmem now {=u32}; cleancache puts {=u64} hits {=u64} misses {=u64}; faults {=u64}",
        guest,
        name,
        what,
        r.frames,
        r.free,
        r.anon_resident,
        r.page_cache,
        r.outs_to_tmem,
        r.outs_to_device,
        r.ins_from_tmem,
        r.ins_from_device,
        r.tmem_refusals,
        r.out_failures,
        r.in_tmem_now,
        r.cleancache_puts,
        r.cleancache_hits,
        r.cleancache_misses,
        r.faults
    );
}

fn log_workload(guest: u32, workload: Workload, result: &WorkloadResult) {
    defmt::info!(
        "guest {=u32}: {=str} {=str}: pages checked {=u64} mismatches {=u64}",
        guest,
        workload.name(),
        result.ending.name(),
        result.pages_checked,
        result.mismatches
    );
    if let Some(first) = result.first_mismatch {
        defmt::error!(
            "guest {=u32}: {=str}: first wrong byte at {=u32:#x} reads {=u8:#x}",
            guest,
            workload.name(),
            first.address,
            first.found
        );
    }
}

/// The most 4 KiB blocks a files region is looked for in (256 MiB).
const MAX_FILES_BLOCKS: u32 = 1 << 16;

/// The guest's files region of the SD card (its block connection; the
/// description gives it no swap region then) as FAT files.
fn open_card_files() -> Result<FatFiles<SdSwap<BlockConnection>>, &'static str> {
    let connection = BlockConnection::new(
        BlockMode::Copy,
        BLOCK_ENDPOINT,
        BLOCK_BUFFER,
        BLOCK_BUFFER_BASE,
    )
    .map_err(|error| error.name())?;
    let region = SdSwap::open(connection, MAX_FILES_BLOCKS).map_err(|error| error.name())?;
    FatFiles::open(region).map_err(|error| error.name())
}
