//! Running the embedded programs as guest processes (`processes = true`):
//! each in its own kernel address space and guest thread, its page faults
//! and system calls arriving as exception IPC and answered by the
//! [`process_server`](guest_os_kernel::process_server) over a memory
//! machine whose page tables are the kernel's.
//!
//! ```text
//! capability slots  6 exception endpoint (read, write)
//!                   8.. guest budget: PROCESSES address spaces, then threads
//!                   16.. one page capability per Vm frame (split off the RAM frame)
//!                   IMAGE_SLOTS.. one page capability per image mapping
//! ```
//!
//! Program text and constants are loaded once into the top frames of
//! guest RAM ([`image_frames`]) and mapped into each process that runs
//! the program (never writable); everything writable goes through the Vm.
//! A program gets its argument words (from the plan's named parameters,
//! `program_args`) on top of its stack. Processes sleep and keep open
//! files in the process table ([`Running`]).
//! A process that faults outside its areas is killed and reported; the
//! others go on. It must never panic on what a process does.

extern crate alloc;

use alloc::vec::Vec;

use guest_mm::anon::AnonPage;
use guest_mm::{Access, ProcessId, Protection, VmError, PAGE_SIZE};
use guest_os_kernel::config::GuestPlan;
use guest_os_kernel::elf;
use guest_os_kernel::file_calls::Caller;
use guest_os_kernel::kernel_spaces::{KernelSpaces, Syscalls};
use guest_os_kernel::process_server::{serve, Answer, Event, Host, Kill};
use guest_os_kernel::Machine;
use guest_process::{KillReason, ProcessState, ProcessTable};
use userlib::guest::{
    AddressSpace, Exception, ExceptionMessage, FaultAccess, GuestThread, MapRights, Registers,
    Resume,
};
use userlib::ipc::{Endpoint, Frame, IpcBuffer};
use userlib::syscall::clock_us;

/// The exception endpoint.
pub const EXCEPTIONS: u16 = 6;
/// The guest budget's first slot (the description's `first_slot`).
pub const BUDGET: u16 = 8;
/// Processes (address spaces and threads in the budget).
pub const PROCESSES: u16 = 3;
const _: () = assert!(
    guest_os_config::MAX_PROGRAMS <= PROCESSES as usize,
    "every program the plan may list gets a process"
);
/// Vm frame `f`'s page capability is in slot `FIRST_FRAME + f`.
pub const FIRST_FRAME: u16 = 16;
/// Guest RAM frames kept for program images, at the top of RAM, at the
/// least (see [`image_frames`]).
pub const IMAGE_FRAMES: u32 = 8;

/// Guest RAM frames the plan's programs' images take: each program's
/// read-only pages, once however many processes run it; at least
/// [`IMAGE_FRAMES`]. A program that is not embedded or not loadable
/// counts nothing (it will not start, and says so then).
pub fn image_frames(plan: &GuestPlan) -> u32 {
    let mut names: Vec<&'static str> = Vec::new();
    for program in &plan.programs {
        if !names.contains(&program.name()) {
            names.push(program.name());
        }
    }
    let needed: u32 = names
        .iter()
        .filter_map(|&name| guest_os_kernel::programs::find(name))
        .filter_map(|bytes| elf::parse(bytes).ok())
        .map(|program| {
            program
                .segments
                .iter()
                .filter(|s| s.protection != Protection::ReadWrite)
                .map(|s| (s.end_page() - s.address) / PAGE_SIZE as u32)
                .sum::<u32>()
        })
        .sum();
    needed.max(IMAGE_FRAMES)
}
/// Image mappings' page capabilities, from here.
const IMAGE_SLOTS: u16 = FIRST_FRAME + 112;
/// Each process's stack: below this, demand-zero.
const STACK_TOP: u32 = 0x0800_0000;
const STACK_BYTES: u32 = 4 * PAGE_SIZE as u32;
/// The top of the stack holds the program's argument words.
const ARGUMENT_BYTES: u32 = guest_programs::rt::MAX_ARGUMENTS * 4;

fn space(k: u16) -> AddressSpace {
    AddressSpace(BUDGET + k)
}

fn thread(k: u16) -> GuestThread {
    GuestThread(BUDGET + PROCESSES + k)
}

/// Splits guest RAM frames `0..frames` into their page capabilities.
pub fn split_frames(ram: Frame, frames: u32) -> Result<(), &'static str> {
    for f in 0..frames {
        ram.split(f, FIRST_FRAME + f as u16).map_err(|e| e.name())?;
    }
    Ok(())
}

/// One program image page: where, which RAM frame, how.
#[derive(Clone, Copy)]
struct ImagePage {
    address: u32,
    frame: u32,
    protection: Protection,
}

/// The programs' read-only pages in guest RAM, and the slots for mappings.
pub struct Images<'r> {
    ram: &'r mut [guest_mm::Page],
    first: u32,
    ram_frame: Frame,
    next_frame: u32,
    next_slot: u16,
    loaded: Vec<(&'static str, Vec<ImagePage>)>,
}

impl<'r> Images<'r> {
    /// Images in `ram` (the top frames of guest RAM, frame `first` on).
    pub fn new(ram: &'r mut [guest_mm::Page], ram_frame: Frame, first: u32) -> Images<'r> {
        Images {
            ram,
            first,
            ram_frame,
            next_frame: first,
            next_slot: IMAGE_SLOTS,
            loaded: Vec::new(),
        }
    }
}

impl Images<'_> {
    /// Copies `out.len()` bytes of program `name`'s read-only image from
    /// `address`; false unless every byte is in it.
    fn copy(&self, name: &str, address: u32, out: &mut [u8]) -> bool {
        let Some((_, pages)) = self.loaded.iter().find(|(n, _)| *n == name) else {
            return false;
        };
        let mut done = 0;
        while done < out.len() {
            let Some(at) = u32::try_from(done)
                .ok()
                .and_then(|d| address.checked_add(d))
            else {
                return false;
            };
            let base = at & !(PAGE_SIZE as u32 - 1);
            let Some(page) = pages
                .iter()
                .find(|p| p.address == base)
                .and_then(|p| self.ram.get((p.frame - self.first) as usize))
            else {
                return false;
            };
            let within = (at - base) as usize;
            let count = (PAGE_SIZE - within).min(out.len() - done);
            out[done..done + count].copy_from_slice(&page[within..within + count]);
            done += count;
        }
        true
    }
}

/// Counts what happened to the processes.
pub struct Outcome {
    /// Processes that exited with 0.
    pub clean: u32,
    /// Processes that exited with another status.
    pub failed: u32,
    /// Processes killed.
    pub killed: u32,
}

struct Console<'i, 'r> {
    guest: u32,
    images: &'i Images<'r>,
    /// The program each process runs, by thread.
    programs: [Option<&'static str>; PROCESSES as usize],
}

impl Host for Console<'_, '_> {
    fn write(&mut self, process: ProcessId, text: &[u8]) {
        let text = core::str::from_utf8(text).unwrap_or("(not UTF-8)");
        defmt::info!(
            "guest {=u32}: process {=u32}: {=str}",
            self.guest,
            process.0,
            text.trim_end()
        );
    }

    fn now_us(&mut self) -> u64 {
        clock_us()
    }

    fn copy_from_image(&mut self, process: ProcessId, address: u32, out: &mut [u8]) -> bool {
        let program = usize::try_from(process.0)
            .ok()
            .and_then(|k| self.programs.get(k).copied().flatten());
        program.is_some_and(|name| self.images.copy(name, address, out))
    }
}

/// Loads `name` into process `k` (image pages mapped, writable segments
/// and the stack in the Vm) and starts it with its argument `words` on
/// top of its stack, `r0` their address and `r1` their count.
pub fn start(
    machine: &mut Machine<'_, KernelSpaces<Syscalls>>,
    images: &mut Images<'_>,
    k: u16,
    name: &'static str,
    words: &[u32],
) -> Result<(), &'static str> {
    if words.len() > guest_programs::rt::MAX_ARGUMENTS as usize {
        return Err("too many argument words");
    }
    let bytes = guest_os_kernel::programs::find(name).ok_or("no such program")?;
    let program = elf::parse(bytes).map_err(|e| e.name())?;
    let process = ProcessId(u32::from(k));
    machine
        .create_process(process, program.image_end())
        .map_err(|_| "no process slot")?;
    if !images.loaded.iter().any(|(n, _)| *n == name) {
        let mut pages = Vec::new();
        for segment in program
            .segments
            .iter()
            .filter(|s| s.protection != Protection::ReadWrite)
        {
            let count = (segment.end_page() - segment.address) / PAGE_SIZE as u32;
            for n in 0..count {
                let frame = images.next_frame;
                let page = images
                    .ram
                    .get_mut((frame - images.first) as usize)
                    .ok_or("no image frames left")?;
                images.next_frame += 1;
                page.fill(0);
                let from = (n as usize) * PAGE_SIZE;
                if let Some(data) = segment.data.get(from..) {
                    let len = data.len().min(PAGE_SIZE);
                    page[..len].copy_from_slice(&data[..len]);
                }
                pages.push(ImagePage {
                    address: segment.address + n * PAGE_SIZE as u32,
                    frame,
                    protection: segment.protection,
                });
            }
        }
        images.loaded.push((name, pages));
    }
    let pages = images
        .loaded
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, pages)| pages.clone())
        .unwrap_or_default();
    for page in pages {
        let slot = images.next_slot;
        images.next_slot += 1;
        let cap = images
            .ram_frame
            .split(page.frame, slot)
            .map_err(|e| e.name())?;
        let rights = match page.protection {
            Protection::ReadExecute => MapRights::ReadExecute,
            _ => MapRights::Read,
        };
        space(k)
            .map(cap, page.address, rights)
            .map_err(|e| e.name())?;
    }
    for segment in program
        .segments
        .iter()
        .filter(|s| s.protection == Protection::ReadWrite)
    {
        let len = segment.end_page() - segment.address;
        machine
            .map_image(process, segment.address, len, segment.data)
            .map_err(|_| "cannot load a writable segment")?;
    }
    machine
        .map_stack(process, STACK_TOP, STACK_BYTES)
        .map_err(|_| "cannot map the stack")?;
    let arguments = STACK_TOP - ARGUMENT_BYTES;
    let bytes: Vec<u8> = words.iter().flat_map(|word| word.to_le_bytes()).collect();
    machine
        .copy_to_user(process, arguments, &bytes)
        .map_err(|_| "cannot write the arguments on the stack")?;
    let mut registers = Registers::start(program.entry, arguments, arguments);
    registers.0[1] = words.len() as u32;
    thread(k).bind(space(k), EXCEPTIONS).map_err(|e| e.name())?;
    thread(k).set_priority(1).map_err(|e| e.name())?;
    thread(k).set_registers(&registers).map_err(|e| e.name())?;
    thread(k).resume().map_err(|e| e.name())
}

/// The processes started: each thread `k`'s entry in the process table
/// (its state and open files).
pub struct Running {
    table: ProcessTable,
    ids: [Option<ProcessId>; PROCESSES as usize],
    programs: [Option<&'static str>; PROCESSES as usize],
}

impl Running {
    /// None yet.
    pub fn new() -> Running {
        Running {
            table: ProcessTable::new(usize::from(PROCESSES)),
            ids: [None; PROCESSES as usize],
            programs: [None; PROCESSES as usize],
        }
    }

    /// Enters the process just started on thread `k`, running
    /// `program`, in the table.
    pub fn add(&mut self, k: u16, program: &'static str) -> Result<(), &'static str> {
        let (Some(slot), Some(name)) = (
            self.ids.get_mut(usize::from(k)),
            self.programs.get_mut(usize::from(k)),
        ) else {
            return Err("no such thread");
        };
        *slot = Some(
            self.table
                .spawn()
                .map_err(|_| "the process table is full")?,
        );
        *name = Some(program);
        Ok(())
    }

    /// How many have not ended.
    pub fn live(&self) -> usize {
        self.table.live()
    }

    fn caller(&self, k: u16) -> Option<Caller> {
        let id = (*self.ids.get(usize::from(k))?)?;
        Some(Caller {
            space: ProcessId(u32::from(k)),
            id,
        })
    }

    fn any_ready(&self) -> bool {
        self.ids
            .iter()
            .flatten()
            .any(|&id| self.table.state(id) == Ok(ProcessState::Ready))
    }
}

impl Default for Running {
    fn default() -> Running {
        Running::new()
    }
}

/// Serves the `running` processes' exceptions until every one has ended.
/// A sleeping process's thread is suspended; it is resumed (with `r0` =
/// 0) the first time the guest kernel looks after its time has come —
/// at once when every other process sleeps too, else at the next
/// exception of one that runs.
pub fn serve_all(
    machine: &mut Machine<'_, KernelSpaces<Syscalls>>,
    images: &Images<'_>,
    guest: u32,
    running: &mut Running,
) -> Outcome {
    let mut outcome = Outcome {
        clean: 0,
        failed: 0,
        killed: 0,
    };
    let mut console = Console {
        guest,
        images,
        programs: running.programs,
    };
    let endpoint = Endpoint(EXCEPTIONS);
    let mut buffer = IpcBuffer::of_thread(0);
    let mut reply: Option<Resume> = None;
    loop {
        wake_sleepers(machine, guest, running, &mut outcome);
        if running.live() == 0 {
            break;
        }
        let received = match reply.take() {
            Some(resume) => endpoint.reply_exception(resume),
            None if running.any_ready() => endpoint.recv(),
            None => {
                // Every live process sleeps: nothing can send.
                userlib::syscall::yield_now();
                continue;
            }
        };
        let message = match received {
            Ok(message) => message,
            Err(error) => {
                defmt::error!(
                    "guest {=u32}: exception receive failed: {=str}",
                    guest,
                    error.name()
                );
                break;
            }
        };
        let registers = message.buffer.then(|| buffer.registers()).flatten();
        let Ok(decoded) = ExceptionMessage::decode(&message, registers) else {
            defmt::error!("guest {=u32}: not an exception message", guest);
            continue;
        };
        let k = decoded.thread;
        let Some(caller) = running.caller(k) else {
            defmt::error!(
                "guest {=u32}: an exception from thread {=u16}, which runs no process",
                guest,
                k
            );
            continue;
        };
        let event = match decoded.exception {
            Exception::Syscall { number, args } => Event::Syscall {
                number,
                args: [args[0], args[1], args[2], args[3]],
            },
            Exception::PageFault {
                address, access, ..
            } => Event::PageFault {
                address,
                access: match access {
                    FaultAccess::Read => Access::Read,
                    FaultAccess::Write => Access::Write,
                    FaultAccess::Execute => Access::Execute,
                },
            },
            Exception::Undefined { pc } => Event::Undefined { pc },
        };
        reply = match serve(machine, &mut running.table, caller, event, &mut console) {
            Answer::Resume(None) => Some(Resume::UNCHANGED),
            Answer::Resume(Some(value)) => Some(Resume::returning(value)),
            Answer::ResumeClock(now) => Some(Resume::With {
                results: [now as u32, (now >> 32) as u32, 0],
                count: 2,
            }),
            Answer::Yield => Some(Resume::returning(0)),
            Answer::Sleep { until } => {
                // Suspended directly: no reply is owed, and the thread is
                // resumed by wake_sleepers.
                match (thread(k).suspend(), running.table.sleep(caller.id, until)) {
                    (Ok(()), Ok(())) => None,
                    _ => {
                        defmt::error!(
                            "guest {=u32}: process {=u16} cannot be put to sleep",
                            guest,
                            k
                        );
                        kill(
                            machine,
                            guest,
                            running,
                            k,
                            KillReason::Requested,
                            &mut outcome,
                        );
                        None
                    }
                }
            }
            Answer::Exited(code) => {
                defmt::info!(
                    "guest {=u32}: process {=u16} exited with status {=i32}",
                    guest,
                    k,
                    code
                );
                if code == 0 {
                    outcome.clean += 1;
                } else {
                    outcome.failed += 1;
                }
                if running.table.exit(caller.id, code).is_err() {
                    defmt::error!("guest {=u32}: process {=u16} had already ended", guest, k);
                }
                end(machine, guest, running, k);
                None
            }
            Answer::Killed(why) => {
                let reason = match why {
                    Kill::Fault {
                        address,
                        error: VmError::Segfault { .. },
                    } => {
                        defmt::info!(
                            "guest {=u32}: process {=u16} killed: fault at {=u32:#x} outside its areas or rights (pc {=u32:#x})",
                            guest,
                            k,
                            address,
                            decoded.pc
                        );
                        KillReason::Fault { address }
                    }
                    Kill::Fault { address, error } => {
                        defmt::warn!(
                            "guest {=u32}: process {=u16} killed: its page at {=u32:#x} cannot be made resident: {=str}",
                            guest,
                            k,
                            address,
                            match error {
                                VmError::OutOfMemory => "out of memory",
                                VmError::Swap(_) => "swap-in failed",
                                VmError::Map(_) => "the kernel refused the mapping",
                                _ => "memory management refused",
                            }
                        );
                        match error {
                            VmError::Swap(_) => KillReason::LostPage,
                            _ => KillReason::OutOfMemory,
                        }
                    }
                    Kill::Undefined { pc } => {
                        defmt::info!(
                            "guest {=u32}: process {=u16} killed: undefined instruction at {=u32:#x}",
                            guest,
                            k,
                            pc
                        );
                        KillReason::Undefined { pc }
                    }
                };
                kill(machine, guest, running, k, reason, &mut outcome);
                None
            }
        };
    }
    outcome
}

/// Resumes, with `r0` = 0, every sleeping process whose time has come.
fn wake_sleepers(
    machine: &mut Machine<'_, KernelSpaces<Syscalls>>,
    guest: u32,
    running: &mut Running,
    outcome: &mut Outcome,
) {
    let now = clock_us();
    if running.table.next_wakeup().is_none_or(|first| first > now) {
        return;
    }
    for k in 0..PROCESSES {
        let Some(caller) = running.caller(k) else {
            continue;
        };
        if !matches!(
            running.table.state(caller.id),
            Ok(ProcessState::Sleeping { until }) if until <= now
        ) {
            continue;
        }
        let resumed = thread(k).registers().and_then(|mut registers| {
            registers.0[0] = 0;
            thread(k).set_registers(&registers)?;
            thread(k).resume()
        });
        match resumed {
            Ok(()) => {}
            Err(error) => {
                defmt::error!(
                    "guest {=u32}: process {=u16} cannot be woken: {=str}",
                    guest,
                    k,
                    error.name()
                );
                kill(machine, guest, running, k, KillReason::Requested, outcome);
            }
        }
    }
    running.table.wake(now);
}

/// Kills the process on thread `k` (suspending the thread) for `reason`.
fn kill(
    machine: &mut Machine<'_, KernelSpaces<Syscalls>>,
    guest: u32,
    running: &mut Running,
    k: u16,
    reason: KillReason,
    outcome: &mut Outcome,
) {
    outcome.killed += 1;
    if let Some(caller) = running.caller(k) {
        if running.table.kill(caller.id, reason).is_err() {
            defmt::error!("guest {=u32}: process {=u16} had already ended", guest, k);
        }
    }
    end(machine, guest, running, k);
}

/// Stops an ended process's thread, frees its memory (frames, swap
/// slots, tmem pages), its address space's mappings and its table entry
/// (its open files were closed when it ended).
fn end(
    machine: &mut Machine<'_, KernelSpaces<Syscalls>>,
    guest: u32,
    running: &mut Running,
    k: u16,
) {
    if let Err(error) = thread(k).suspend() {
        defmt::warn!(
            "guest {=u32}: suspending process {=u16}'s thread: {=str}",
            guest,
            k,
            error.name()
        );
    }
    if let Some(slot) = running.ids.get_mut(usize::from(k)) {
        if let Some(id) = slot.take() {
            if running.table.reap(id).is_err() {
                defmt::error!("guest {=u32}: process {=u16} was still live", guest, k);
            }
        }
    }
    let process = ProcessId(u32::from(k));
    let (mut frames, mut slots) = (0u32, 0u32);
    for (_, _, page) in machine
        .vm()
        .pages()
        .filter(|(owner, _, _)| *owner == process)
    {
        match page {
            AnonPage::Resident { slot, .. } => {
                frames += 1;
                slots += u32::from(slot.is_some());
            }
            AnonPage::Swapped { .. } => slots += 1,
        }
    }
    let before = machine.vm().pressure();
    let destroyed = machine.destroy_process(process);
    let after = machine.vm().pressure();
    if destroyed.is_ok() {
        // What it held, and what its end gave back: equal, or memory
        // management lost track of something.
        defmt::info!(
            "guest {=u32}: process {=u16} held {=u32} frames and {=u32} swap slots; its end freed {=u32} frames, {=u32} swap slots, {=u32} tmem pages",
            guest,
            k,
            frames,
            slots,
            after.free_frames.saturating_sub(before.free_frames),
            before.swap_used.saturating_sub(after.swap_used),
            before.swap_in_tmem.saturating_sub(after.swap_in_tmem)
        );
    }
    if destroyed.is_err() {
        defmt::error!(
            "guest {=u32}: process {=u16} was not known to memory management",
            guest,
            k
        );
    }
    if let Err(error) = space(k).reset() {
        defmt::error!(
            "guest {=u32}: resetting process {=u16}'s space: {=str}",
            guest,
            k,
            error.name()
        );
    }
}
