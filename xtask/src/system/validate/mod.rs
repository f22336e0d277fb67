//! Checking a system description and turning it into the kernel's boot
//! table. Every rejection names the file, the field (as a path such as
//! `partition[1].threads[0].stack_kib`) and the reason.
//!
//! The rules: names unique, non-empty and short; every partition named
//! anywhere exists; memory and stacks in whole pages, stacks fit their
//! partition, everything fits the board's RAM; windows non-empty, each
//! partition scheduled, windows summing to the major frame; every passive
//! partition callable by another; shared and device regions page aligned,
//! inside user space and overlapping nothing else the partition maps;
//! devices outside RAM, below 4 GiB, clear of the devices the kernel
//! drives and of each other.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use boot_info::{
    BootInfo, CapInfo, CapObjectInfo, DeviceRegion, Name, PartitionInfo, Schedule, SharedMapping,
    SharedRegion, ThreadInfo, Window, MAX_NAME, MAX_PARTITIONS, MAX_THREADS,
};
use kernel_abi::user_layout::{PAGE_SIZE, USER_BASE, USER_TOP};
use platform::Board;

use super::description::{Access, Description, FrameSize, NamedObject, Right};
use super::reserve::KERNEL_RESERVE;

/// The least RAM the board must have left for a frame that takes the rest
/// (the kernel starts that frame on a 1 MiB boundary).
pub const REST_MINIMUM: u64 = 2 << 20;
/// The linear map's limit (kernel/src/mm/layout.rs: 0xC000_0000..0xF000_0000).
pub(super) const RAM_VIRT_MAX: u64 = 0x3000_0000;

/// A rejected description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DescriptionError {
    /// The file.
    pub file: PathBuf,
    /// Where in it.
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for DescriptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: {}",
            self.file.display(),
            self.field,
            self.reason
        )
    }
}

impl std::error::Error for DescriptionError {}

struct Checker<'a> {
    file: &'a Path,
}

impl Checker<'_> {
    fn err(&self, field: impl Into<String>, reason: impl Into<String>) -> DescriptionError {
        DescriptionError {
            file: self.file.to_path_buf(),
            field: field.into(),
            reason: reason.into(),
        }
    }

    fn name(&self, field: &str, name: &str) -> Result<Name, DescriptionError> {
        if name.is_empty() {
            return Err(self.err(field, "must not be empty"));
        }
        Name::try_from(name).map_err(|_| self.err(field, format!("longer than {MAX_NAME} bytes")))
    }

    fn pages(&self, field: &str, kib: u32) -> Result<u32, DescriptionError> {
        if kib == 0 {
            return Err(self.err(field, "must be greater than 0"));
        }
        if !kib.is_multiple_of(PAGE_SIZE / 1024) {
            return Err(self.err(field, "must be a multiple of 4 (whole 4 KiB pages)"));
        }
        kib.checked_mul(1024)
            .filter(|&bytes| bytes < USER_TOP - USER_BASE)
            .ok_or_else(|| self.err(field, "larger than user space"))
    }

    fn partition_index(
        &self,
        field: &str,
        name: &str,
        d: &Description,
    ) -> Result<u8, DescriptionError> {
        d.partitions
            .iter()
            .position(|p| p.name == name)
            .map(|i| i as u8)
            .ok_or_else(|| self.err(field, format!("unknown partition `{name}`")))
    }
}

/// Parses `text` (the contents of `file`).
pub fn parse(file: &Path, text: &str) -> Result<Description, DescriptionError> {
    toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|span| text[..span.start.min(text.len())].lines().count().max(1));
        DescriptionError {
            file: file.to_path_buf(),
            field: line.map_or_else(|| "(file)".to_string(), |l| format!("line {l}")),
            reason: e.message().trim().to_string(),
        }
    })
}

/// Checks `d` for `board`, with `crates` the packages that can be
/// partitions, and returns the boot table (ELF offsets still zero).
pub fn validate(
    file: &Path,
    system_name: &str,
    d: &Description,
    board: &Board,
    crates: &BTreeSet<String>,
) -> Result<BootInfo<'static>, DescriptionError> {
    let c = Checker { file };
    let system = c.name("(file name)", system_name)?;
    if d.partitions.is_empty() {
        return Err(c.err("partition", "a system needs at least one partition"));
    }
    if d.partitions.len() > MAX_PARTITIONS {
        return Err(c.err(
            "partition",
            format!("at most {MAX_PARTITIONS} partitions: each needs an ASID of its own, and ARMv7 has {MAX_PARTITIONS}"),
        ));
    }
    let mut partitions = Vec::new();
    let mut names = BTreeSet::new();
    let mut total_memory: u64 = 0;
    for (i, p) in d.partitions.iter().enumerate() {
        let at = |field: &str| format!("partition[{i}].{field}");
        let name = c.name(&at("name"), &p.name)?;
        if !names.insert(p.name.as_str()) {
            return Err(c.err(at("name"), format!("duplicate partition name `{}`", p.name)));
        }
        if !crates.contains(&p.krate) {
            return Err(c.err(
                at("crate"),
                format!("no package `{}` in the workspace", p.krate),
            ));
        }
        let memory = c.pages(&at("memory_kib"), p.memory_kib)?;
        if u64::from(USER_BASE) + u64::from(memory)
            > u64::from(kernel_abi::user_layout::POOL_REGION)
        {
            return Err(c.err(
                at("memory_kib"),
                "the partition's memory would reach the pool region, IPC buffers and grant window",
            ));
        }
        total_memory += u64::from(memory);
        if p.threads.is_empty() || p.threads.len() > MAX_THREADS {
            return Err(c.err(
                at("threads"),
                format!("between 1 and {MAX_THREADS} threads: a thread's ID in its partition is one byte"),
            ));
        }
        let mut threads = Vec::new();
        let mut thread_names = BTreeSet::new();
        let mut stacks: u64 = 0;
        for (t, thread) in p.threads.iter().enumerate() {
            let at_t = |field: &str| format!("partition[{i}].threads[{t}].{field}");
            let name = c.name(&at_t("name"), &thread.name)?;
            if !thread_names.insert(thread.name.as_str()) {
                return Err(c.err(
                    at_t("name"),
                    format!("duplicate thread name `{}`", thread.name),
                ));
            }
            let stack_size = c.pages(&at_t("stack_kib"), thread.stack_kib)?;
            stacks += u64::from(stack_size + PAGE_SIZE);
            threads.push(ThreadInfo {
                name,
                priority: thread.priority,
                stack_size,
            });
        }
        if stacks >= u64::from(memory) {
            return Err(c.err(
                at("memory_kib"),
                format!(
                    "{} KiB cannot hold the threads' stacks and guard pages ({} KiB) and any code",
                    p.memory_kib,
                    stacks / 1024
                ),
            ));
        }
        if p.cap_slots == 0 || p.cap_slots > 256 {
            return Err(c.err(at("cap_slots"), "between 1 and 256 slots"));
        }
        partitions.push(PartitionInfo {
            name,
            memory_size: memory,
            elf_offset: 0,
            elf_size: 0,
            config: super::config::bytes(file, i, p)?.leak(),
            threads: threads.into_iter().collect(),
            passive: p.passive,
            service: p.service,
            cap_slots: p.cap_slots,
            pager: p.pager,
            guest: super::guest::budget(file, i, p)?,
            restart_max: super::restart::restart_max(file, i, p)?,
        });
    }

    let schedule = schedule(&c, d)?;
    let caps = caps(&c, d)?;
    passive_callers(&c, d)?;
    for (i, p) in d.partitions.iter().enumerate() {
        let Some(slot) = p.pager else { continue };
        let is_pager_cap = |cap: &CapInfo| {
            usize::from(cap.partition) == i
                && cap.slot == slot
                && matches!(cap.object, CapObjectInfo::Endpoint(_))
                && cap.rights & kernel_abi::cap::Rights::WRITE.bits() != 0
        };
        if !caps.iter().any(is_pager_cap) {
            return Err(c.err(
                format!("partition[{i}].pager"),
                format!("slot {slot} holds no endpoint capability with `write`"),
            ));
        }
    }
    total_memory += super::guest::check_system(file, &partitions, &caps)?;
    let mut taken = Vec::new();
    let shared = shared(&c, d, &mut total_memory, &mut taken)?;
    let devices = devices(&c, d, board, &mut taken)?;

    total_memory += d
        .frames
        .iter()
        .map(|f| u64::from(f.size_kib.fixed_kib()) * 1024)
        .sum::<u64>();
    let budget = (board.ram.size as u64)
        .min(RAM_VIRT_MAX)
        .saturating_sub(KERNEL_RESERVE);
    if total_memory > budget {
        return Err(c.err(
            "partition",
            format!(
                "partitions and shared memory need {} KiB, but {} has only {} KiB for them",
                total_memory / 1024,
                board.name,
                budget / 1024
            ),
        ));
    }
    if let Some(i) = d.frames.iter().position(|f| f.size_kib == FrameSize::Rest) {
        if total_memory + REST_MINIMUM > budget {
            return Err(c.err(
                format!("frame[{i}].size_kib"),
                format!(
                    "\"rest\" needs at least {} KiB left on {}, and only {} KiB are",
                    REST_MINIMUM / 1024,
                    board.name,
                    budget - total_memory
                ),
            ));
        }
    }
    if let Some((server, config)) = super::tmem::server_config(file, d)? {
        let bytes = postcard::to_allocvec(&config).map_err(|e| {
            c.err(
                "tmem",
                format!("the server's configuration does not encode: {e}"),
            )
        })?;
        partitions[server].config = bytes.leak();
    }
    if let Some(disk) = super::disk::check(file, d)? {
        let bytes = postcard::to_allocvec(&disk.config).map_err(|e| {
            c.err(
                "disk",
                format!("the server's configuration does not encode: {e}"),
            )
        })?;
        partitions[disk.server].config = bytes.leak();
    }
    Ok(BootInfo {
        system,
        partitions: partitions.into_iter().collect(),
        schedule,
        shared: shared.into_iter().collect(),
        devices: devices.into_iter().collect(),
        endpoints: d.endpoints.len() as u16,
        notifications: d.notifications.len() as u16,
        caps: caps.into_iter().collect(),
        frames: d
            .frames
            .iter()
            .map(|f| match f.size_kib {
                FrameSize::Kib(kib) => kib * 1024,
                FrameSize::Rest => boot_info::FRAME_REST,
            })
            .collect(),
        irqs: irqs(&c, d)?.into_iter().collect(),
        stop_notification: stop_notification(&c, d)?,
    })
}

/// Checks `[system] stop_notification`: a declared `[[notification]]`
/// that no `[[irq]]` signals (a stop's bits would read as interrupts) and
/// that some partition holds with the read right, to wait on it (else a
/// stop wakes nobody). The kernel trusts the index it is given: this is
/// the only check.
fn stop_notification(c: &Checker<'_>, d: &Description) -> Result<Option<u16>, DescriptionError> {
    const FIELD: &str = "system.stop_notification";
    let Some(name) = &d.system.stop_notification else {
        return Ok(None);
    };
    let index = d.notifications.iter().position(|n| &n.name == name);
    let index = index.ok_or_else(|| {
        c.err(
            FIELD,
            format!("unknown notification `{name}` (declare it as a [[notification]])"),
        )
    })?;
    if let Some(irq) = d.irqs.iter().find(|irq| &irq.notification == name) {
        return Err(c.err(
            FIELD,
            format!(
                "notification `{name}` is signalled by interrupt {}: a stop's bits would read as its interrupts",
                irq.number
            ),
        ));
    }
    let waited_on = d.partitions.iter().flat_map(|p| &p.caps).any(|cap| {
        cap.notification.as_deref() == Some(name.as_str()) && cap.rights.contains(&Right::Read)
    });
    if !waited_on {
        return Err(c.err(
            FIELD,
            format!(
                "no partition holds notification `{name}` with the `read` right to wait on it: a stop would wake nobody"
            ),
        ));
    }
    Ok(Some(index as u16))
}

/// Checks `[[irq]]`: shared peripheral interrupts the kernel does not use,
/// each bound once, to a known notification, with some bits, acknowledged
/// by some partition (an `irq` capability) and waited for by some
/// partition (the notification with `read`).
fn irqs(c: &Checker<'_>, d: &Description) -> Result<Vec<boot_info::IrqInfo>, DescriptionError> {
    let mut out = Vec::new();
    for (i, irq) in d.irqs.iter().enumerate() {
        let at = |field: &str| format!("irq[{i}].{field}");
        if !(32..1020).contains(&irq.number) {
            return Err(c.err(
                at("number"),
                "must be a shared peripheral interrupt, 32 to 1019",
            ));
        }
        if d.irqs[..i].iter().any(|other| other.number == irq.number) {
            return Err(c.err(
                at("number"),
                format!("interrupt {} is bound twice", irq.number),
            ));
        }
        if irq.bits == 0 {
            return Err(c.err(at("bits"), "must signal at least one bit"));
        }
        let notification = d
            .notifications
            .iter()
            .position(|n| n.name == irq.notification)
            .ok_or_else(|| {
                c.err(
                    at("notification"),
                    format!("unknown notification `{}`", irq.notification),
                )
            })?;
        let caps = || d.partitions.iter().flat_map(|p| &p.caps);
        if !caps().any(|cap| cap.irq == Some(irq.number)) {
            return Err(c.err(
                at("number"),
                format!(
                    "no partition holds `irq = {}` to acknowledge it: the kernel masks the line at its first interrupt and it would stay masked",
                    irq.number
                ),
            ));
        }
        let waited_on = caps().any(|cap| {
            cap.notification.as_deref() == Some(irq.notification.as_str())
                && cap.rights.contains(&Right::Read)
        });
        if !waited_on {
            return Err(c.err(
                at("notification"),
                format!(
                    "no partition holds notification `{}` with `read` to wait on it: its interrupts would wake nobody",
                    irq.notification
                ),
            ));
        }
        out.push(boot_info::IrqInfo {
            number: irq.number,
            notification: notification as u16,
            bits: irq.bits,
        });
    }
    Ok(out)
}

/// Checks `[[endpoint]]`/`[[notification]]` names and every partition's
/// `caps`.
fn caps(c: &Checker<'_>, d: &Description) -> Result<Vec<CapInfo>, DescriptionError> {
    let names = |kind: &str, objects: &[NamedObject]| -> Result<(), DescriptionError> {
        let mut seen = BTreeSet::new();
        for (i, o) in objects.iter().enumerate() {
            c.name(&format!("{kind}[{i}].name"), &o.name)?;
            if !seen.insert(o.name.as_str()) {
                return Err(c.err(
                    format!("{kind}[{i}].name"),
                    format!("duplicate {kind} name `{}`", o.name),
                ));
            }
        }
        if objects.len() > boot_info::MAX_ENDPOINTS {
            return Err(c.err(
                kind,
                format!(
                    "at most {} of them: their identifiers are 16 bits",
                    boot_info::MAX_ENDPOINTS
                ),
            ));
        }
        Ok(())
    };
    names("endpoint", &d.endpoints)?;
    names("notification", &d.notifications)?;
    let mut frame_names = BTreeSet::new();
    for (i, f) in d.frames.iter().enumerate() {
        c.name(&format!("frame[{i}].name"), &f.name)?;
        if !frame_names.insert(f.name.as_str()) {
            return Err(c.err(
                format!("frame[{i}].name"),
                format!("duplicate frame name `{}`", f.name),
            ));
        }
        let FrameSize::Kib(kib) = f.size_kib else {
            if d.frames[..i].iter().any(|f| f.size_kib == FrameSize::Rest) {
                return Err(c.err(
                    format!("frame[{i}].size_kib"),
                    "only one frame may take the rest of RAM",
                ));
            }
            continue;
        };
        let size = c.pages(&format!("frame[{i}].size_kib"), kib)?;
        if size > kernel_abi::user_layout::GRANT_WINDOW_SIZE {
            return Err(c.err(
                format!("frame[{i}].size_kib"),
                "larger than the 1 MiB grant window it is mapped in",
            ));
        }
    }
    if d.frames.len() > boot_info::MAX_FRAMES {
        return Err(c.err(
            "frame",
            format!(
                "at most {} frames: a capability names its frame with 16 bits",
                boot_info::MAX_FRAMES
            ),
        ));
    }
    let index_of = |objects: &[NamedObject], name: &str| {
        objects
            .iter()
            .position(|o| o.name == name)
            .map(|i| i as u16)
    };
    let mut out = Vec::new();
    for (p_index, p) in d.partitions.iter().enumerate() {
        let mut slots = BTreeSet::new();
        for (k, cap) in p.caps.iter().enumerate() {
            let at = |field: &str| format!("partition[{p_index}].caps[{k}].{field}");
            if cap.slot >= p.cap_slots {
                return Err(c.err(
                    at("slot"),
                    format!(
                        "slot {} is beyond the {} slots of the capability space",
                        cap.slot, p.cap_slots
                    ),
                ));
            }
            if !slots.insert(cap.slot) {
                return Err(c.err(at("slot"), format!("slot {} is given twice", cap.slot)));
            }
            if cap.objects_named() != 1 {
                return Err(c.err(
                    format!("partition[{p_index}].caps[{k}]"),
                    "give exactly one of `endpoint`, `notification`, `frame`, `irq` or `partition_control`",
                ));
            }
            if cap.endpoint.is_none() && cap.badge != 0 {
                return Err(c.err(at("badge"), "only endpoint capabilities carry a badge"));
            }
            let object =
                if let Some(name) = &cap.endpoint {
                    CapObjectInfo::Endpoint(index_of(&d.endpoints, name).ok_or_else(|| {
                        c.err(at("endpoint"), format!("unknown endpoint `{name}`"))
                    })?)
                } else if let Some(name) = &cap.notification {
                    CapObjectInfo::Notification(index_of(&d.notifications, name).ok_or_else(
                        || c.err(at("notification"), format!("unknown notification `{name}`")),
                    )?)
                } else if let Some(number) = cap.irq {
                    if !d.irqs.iter().any(|irq| irq.number == number) {
                        return Err(c.err(
                            at("irq"),
                            format!("interrupt {number} is not bound in any `[[irq]]`"),
                        ));
                    }
                    CapObjectInfo::Irq(number)
                } else if cap.partition_control {
                    CapObjectInfo::PartitionControl
                } else {
                    let name = cap.frame.as_deref().unwrap_or_default();
                    let index = d.frames.iter().position(|f| f.name == name);
                    CapObjectInfo::Frame(
                        index
                            .map(|i| i as u16)
                            .ok_or_else(|| c.err(at("frame"), format!("unknown frame `{name}`")))?,
                    )
                };
            if cap.rights.is_empty() {
                return Err(c.err(at("rights"), "a capability with no rights is useless"));
            }
            if cap.frame.is_none() && cap.rights.contains(&Right::Execute) {
                return Err(c.err(at("rights"), "only frame capabilities carry `execute`"));
            }
            if !cap.partition_control && cap.rights.contains(&Right::Restart) {
                return Err(c.err(
                    at("rights"),
                    "only partition_control capabilities carry `restart`",
                ));
            }
            let rights = cap.rights.iter().fold(0, |bits, right| {
                bits | match right {
                    Right::Read => kernel_abi::cap::Rights::READ.bits(),
                    Right::Write => kernel_abi::cap::Rights::WRITE.bits(),
                    Right::Grant => kernel_abi::cap::Rights::GRANT.bits(),
                    Right::Execute => kernel_abi::cap::Rights::EXECUTE.bits(),
                    Right::Restart => kernel_abi::cap::Rights::RESTART.bits(),
                }
            });
            out.push(CapInfo {
                partition: p_index as u8,
                slot: cap.slot,
                object,
                rights,
                badge: cap.badge,
            });
        }
    }
    Ok(out)
}

fn schedule(c: &Checker<'_>, d: &Description) -> Result<Schedule<'static>, DescriptionError> {
    let s = &d.schedule;
    if s.major_frame_ms == 0 {
        return Err(c.err("schedule.major_frame_ms", "must be greater than 0"));
    }
    if s.windows.is_empty() {
        return Err(c.err("schedule.windows", "at least one window"));
    }
    let mut windows = Vec::new();
    let mut total: u64 = 0;
    for (i, w) in s.windows.iter().enumerate() {
        let partition =
            c.partition_index(&format!("schedule.windows[{i}].partition"), &w.partition, d)?;
        if w.duration_ms == 0 {
            return Err(c.err(
                format!("schedule.windows[{i}].duration_ms"),
                "must be greater than 0",
            ));
        }
        total += u64::from(w.duration_ms);
        windows.push(Window {
            partition,
            duration_ms: w.duration_ms,
        });
    }
    if total != u64::from(s.major_frame_ms) {
        return Err(c.err(
            "schedule.windows",
            format!(
                "windows sum to {total} ms but the major frame is {} ms",
                s.major_frame_ms
            ),
        ));
    }
    for (i, p) in d.partitions.iter().enumerate() {
        let scheduled = windows
            .iter()
            .any(|w: &Window| usize::from(w.partition) == i);
        if p.passive && p.service {
            return Err(c.err(
                format!("partition[{i}].service"),
                format!(
                    "passive partition `{}` never keeps the run going; `service` is for partitions with windows",
                    p.name
                ),
            ));
        }
        if p.passive {
            if scheduled {
                return Err(c.err(
                    format!("partition[{i}].passive"),
                    format!(
                        "passive partition `{}` runs on its callers' time and must have no window",
                        p.name
                    ),
                ));
            }
            continue;
        }
        if !scheduled {
            return Err(c.err(
                format!("partition[{i}]"),
                format!(
                    "partition `{}` has no window in the schedule, so it would never run",
                    p.name
                ),
            ));
        }
    }
    if d.partitions.iter().all(|p| p.passive || p.service) {
        return Err(c.err(
            "partition",
            "every partition is passive or a service: the run would end before anything ran",
        ));
    }
    Ok(Schedule {
        major_frame_ms: s.major_frame_ms,
        windows: windows.into_iter().collect(),
        stop_after_ms: d.system.stop_after_ms,
    })
}

/// Checks that every passive partition can be called: it runs only on its
/// callers' time, so it must receive (`read`) on an endpoint that some
/// other partition holds with `write` (no capability can gain a right, so
/// without one at boot nobody could ever call it and its threads would
/// wait for ever). Runs after `caps`, so every name is known.
fn passive_callers(c: &Checker<'_>, d: &Description) -> Result<(), DescriptionError> {
    for (i, p) in d.partitions.iter().enumerate().filter(|(_, p)| p.passive) {
        let served = |name: &str| {
            p.caps.iter().any(|cap| {
                cap.endpoint.as_deref() == Some(name) && cap.rights.contains(&Right::Read)
            })
        };
        let called = d
            .partitions
            .iter()
            .enumerate()
            .filter(|&(k, _)| k != i)
            .flat_map(|(_, other)| &other.caps)
            .any(|cap| {
                cap.rights.contains(&Right::Write) && cap.endpoint.as_deref().is_some_and(served)
            });
        if !called {
            return Err(c.err(
                format!("partition[{i}].passive"),
                format!(
                    "passive partition `{}` runs only on its callers' time, but no other partition can call it: none holds `write` on an endpoint it receives on",
                    p.name
                ),
            ));
        }
    }
    Ok(())
}

/// A mapping a partition already has, to check new ones against.
struct Taken {
    partition: u8,
    start: u64,
    end: u64,
    what: String,
}

#[allow(clippy::too_many_arguments)]
fn check_mapping(
    c: &Checker<'_>,
    field: &str,
    d: &Description,
    taken: &mut Vec<Taken>,
    partition: u8,
    address: u32,
    size: u32,
    what: String,
) -> Result<(), DescriptionError> {
    if !address.is_multiple_of(PAGE_SIZE) {
        return Err(c.err(
            format!("{field}.address"),
            "must be page aligned (a multiple of 0x1000)",
        ));
    }
    let start = u64::from(address);
    let end = start + u64::from(size);
    let buffers = u64::from(kernel_abi::syscall::IPC_BUFFERS);
    if start < buffers + u64::from(PAGE_SIZE) * boot_info::MAX_THREADS as u64 && buffers < end {
        return Err(c.err(
            format!("{field}.address"),
            format!("overlaps the threads' IPC buffers at {buffers:#x}"),
        ));
    }
    let pool = u64::from(kernel_abi::user_layout::POOL_REGION);
    if start < pool + u64::from(kernel_abi::user_layout::POOL_REGION_SIZE) && pool < end {
        return Err(c.err(
            format!("{field}.address"),
            format!("overlaps the pool region at {pool:#x}, where large frames are mapped"),
        ));
    }
    let window = u64::from(kernel_abi::user_layout::GRANT_WINDOW);
    if start < window + u64::from(kernel_abi::user_layout::GRANT_WINDOW_SIZE) && window < end {
        return Err(c.err(
            format!("{field}.address"),
            format!("overlaps the grant window at {window:#x}, where frames are mapped"),
        ));
    }
    if start < u64::from(USER_BASE) || end > u64::from(USER_TOP) {
        return Err(c.err(
            format!("{field}.address"),
            format!("must lie in user space, {USER_BASE:#x}..{USER_TOP:#x}"),
        ));
    }
    let own = &d.partitions[usize::from(partition)];
    let own_end = u64::from(USER_BASE) + u64::from(own.memory_kib) * 1024;
    if start < own_end {
        return Err(c.err(
            format!("{field}.address"),
            format!(
                "overlaps the memory of partition `{}` ({USER_BASE:#x}..{own_end:#x})",
                own.name
            ),
        ));
    }
    if let Some(other) = taken
        .iter()
        .find(|t| t.partition == partition && start < t.end && t.start < end)
    {
        return Err(c.err(
            format!("{field}.address"),
            format!("overlaps {}", other.what),
        ));
    }
    taken.push(Taken {
        partition,
        start,
        end,
        what,
    });
    Ok(())
}

fn shared(
    c: &Checker<'_>,
    d: &Description,
    total: &mut u64,
    taken: &mut Vec<Taken>,
) -> Result<Vec<SharedRegion<'static>>, DescriptionError> {
    let mut out = Vec::new();
    let mut names = BTreeSet::new();
    for (i, s) in d.shared.iter().enumerate() {
        let at = |field: &str| format!("shared_memory[{i}].{field}");
        let name = c.name(&at("name"), &s.name)?;
        if !names.insert(s.name.as_str()) {
            return Err(c.err(
                at("name"),
                format!("duplicate shared region name `{}`", s.name),
            ));
        }
        let size = c.pages(&at("size_kib"), s.size_kib)?;
        *total += u64::from(size);
        if s.map.is_empty() {
            return Err(c.err(at("map"), "a shared region must be mapped somewhere"));
        }
        let mut mappings = Vec::new();
        for (m, map) in s.map.iter().enumerate() {
            let field = format!("shared_memory[{i}].map[{m}]");
            let partition = c.partition_index(&format!("{field}.partition"), &map.partition, d)?;
            if mappings
                .iter()
                .any(|x: &SharedMapping| x.partition == partition)
            {
                return Err(c.err(
                    format!("{field}.partition"),
                    format!("`{}` maps this region twice", map.partition),
                ));
            }
            let what = format!("shared region `{}`", s.name);
            check_mapping(c, &field, d, taken, partition, map.address, size, what)?;
            mappings.push(SharedMapping {
                partition,
                address: map.address,
                writable: map.access == Access::ReadWrite,
            });
        }
        out.push(SharedRegion {
            name,
            size,
            mappings: mappings.into_iter().collect(),
        });
    }
    Ok(out)
}

/// The physical ranges, page-rounded, of the devices the kernel drives
/// itself: a partition that mapped one could mask the scheduler's timer
/// interrupt or write the console under the kernel.
fn kernel_devices(board: &Board) -> Vec<(&'static str, u64, u64)> {
    let page = u64::from(PAGE_SIZE);
    let pages = |what, base: usize, size: u64| {
        let start = base as u64 & !(page - 1);
        (what, start, (base as u64 + size).next_multiple_of(page))
    };
    let mut out = vec![
        pages("the console UART", board.console.base(), page),
        // SCU, GIC CPU interface, timers and GIC distributor: 8 KiB.
        pages("the MPCore private region", board.mpcore_base, 2 * page),
    ];
    if let Some(base) = board.legacy_ictlr {
        out.push(pages("the legacy interrupt controller", base, page));
    }
    if let Some(base) = board.us_timer {
        out.push(pages("the microsecond timer", base, 4));
    }
    out
}

fn devices(
    c: &Checker<'_>,
    d: &Description,
    board: &Board,
    taken: &mut Vec<Taken>,
) -> Result<Vec<DeviceRegion>, DescriptionError> {
    let mut out = Vec::new();
    let mut names = BTreeSet::new();
    for (i, dev) in d.devices.iter().enumerate() {
        let at = |field: &str| format!("device[{i}].{field}");
        let name = c.name(&at("name"), &dev.name)?;
        if !names.insert(dev.name.as_str()) {
            return Err(c.err(at("name"), format!("duplicate device name `{}`", dev.name)));
        }
        let partition = c.partition_index(&at("partition"), &dev.partition, d)?;
        let size = c.pages(&at("size_kib"), dev.size_kib)?;
        if !dev.physical.is_multiple_of(PAGE_SIZE) {
            return Err(c.err(
                at("physical"),
                "must be page aligned (a multiple of 0x1000)",
            ));
        }
        let phys_start = u64::from(dev.physical);
        let phys_end = phys_start + u64::from(size);
        if phys_end > 1 << 32 {
            return Err(c.err(
                at("size_kib"),
                format!(
                    "the registers would end at {phys_end:#x}, beyond the 32-bit physical address space"
                ),
            ));
        }
        if let Some((what, start, _)) = kernel_devices(board)
            .into_iter()
            .find(|&(_, start, end)| phys_start < end && start < phys_end)
        {
            return Err(c.err(
                at("physical"),
                format!(
                    "overlaps {what} at {start:#x}, which the kernel drives: no partition may map it"
                ),
            ));
        }
        if let Some(other) = d.devices[..i].iter().find(|other| {
            let start = u64::from(other.physical);
            phys_start < start + u64::from(other.size_kib) * 1024 && start < phys_end
        }) {
            return Err(c.err(
                at("physical"),
                format!(
                    "overlaps the registers of device `{}` (of partition `{}`): a device has one driver",
                    other.name, other.partition
                ),
            ));
        }
        // The most RAM the board can have: QEMU `-m 1G` puts RAM there.
        let ram_end = board.ram_max_end() as u64;
        if u64::from(dev.physical) < ram_end && (board.ram.base as u64) < phys_end {
            return Err(c.err(
                at("physical"),
                format!("lies in {}'s RAM, not in device space", board.name),
            ));
        }
        let what = format!("device `{}`", dev.name);
        check_mapping(
            c,
            &format!("device[{i}]"),
            d,
            taken,
            partition,
            dev.address,
            size,
            what,
        )?;
        out.push(DeviceRegion {
            name,
            partition,
            physical: dev.physical,
            size,
            address: dev.address,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use platform::boards::VEXPRESS_A9;

    const GOOD: &str = r#"
[system]
stop_after_ms = 500

[schedule]
major_frame_ms = 4
windows = [
    { partition = "a", duration_ms = 1 },
    { partition = "b", duration_ms = 3 },
]

[[partition]]
name = "a"
crate = "guest-counter"
memory_kib = 64
config = { run_ms = 7 }
threads = [{ name = "main", priority = 2, stack_kib = 8 }, { name = "helper", priority = 1, stack_kib = 4 }]

[[partition]]
name = "b"
crate = "guest-counter"
config = { run_ms = 1 }
memory_kib = 64
threads = [{ name = "main", priority = 1, stack_kib = 8 }]
caps = [{ slot = 0, endpoint = "service", rights = ["write"] }]

[[shared_memory]]
name = "ring"
size_kib = 8
map = [
    { partition = "a", address = 0x10000000, access = "read-write" },
    { partition = "b", address = 0x20000000, access = "read" },
]

[[device]]
name = "uart1"
partition = "b"
physical = 0x1000a000
size_kib = 4
address = 0x30000000

[[endpoint]]
name = "service"

[[notification]]
name = "bell"

[[partition]]
name = "server"
crate = "guest-counter"
config = { run_ms = 1 }
memory_kib = 64
passive = true
threads = [{ name = "main", priority = 9, stack_kib = 8 }]
caps = [
    { slot = 0, endpoint = "service", rights = ["read"] },
    { slot = 1, notification = "bell", rights = ["read", "write"] },
]
"#;

    /// Interrupt 40 bound to the good description's notification `bell`.
    const IRQ_ON_BELL: &str = "\n[[irq]]\nnumber = 40\nnotification = \"bell\"\nbits = 1\n";

    /// `text` (the good description or a change of it) with
    /// [`IRQ_ON_BELL`] and the server holding interrupt 40 to acknowledge it.
    fn with_irq_on_bell(text: &str) -> String {
        let server_cap = r#"    { slot = 0, endpoint = "service", rights = ["read"] },
"#;
        assert!(text.contains(server_cap), "test bug: no server capability");
        text.replacen(
            server_cap,
            &format!("{server_cap}    {{ slot = 2, irq = 40, rights = [\"read\"] }},\n"),
            1,
        ) + IRQ_ON_BELL
    }

    fn crates() -> BTreeSet<String> {
        ["guest-counter".to_string()].into_iter().collect()
    }

    fn check(text: &str) -> Result<BootInfo<'static>, DescriptionError> {
        let file = Path::new("systems/test.toml");
        let d = parse(file, text)?;
        validate(file, "test", &d, &VEXPRESS_A9, &crates())
    }

    /// Replaces `from` with `to` in the good description and expects the
    /// result to be rejected at `field` with a reason containing `reason`.
    fn rejected(from: &str, to: &str, field: &str, reason: &str) {
        assert!(GOOD.contains(from), "test bug: {from:?} not in GOOD");
        let error = check(&GOOD.replacen(from, to, 1)).unwrap_err();
        assert_eq!(error.file, Path::new("systems/test.toml"));
        assert_eq!(error.field, field, "{error}");
        assert!(error.reason.contains(reason), "{error}");
    }

    #[test]
    fn a_good_description_becomes_a_boot_table() {
        let info = check(GOOD).unwrap();
        assert_eq!(info.system, "test");
        assert_eq!(info.partitions.len(), 3);
        assert_eq!(info.partitions.get(0).unwrap().memory_size, 64 * 1024);
        let config = info.partitions.get(0).unwrap().config;
        assert_eq!(
            postcard::from_bytes::<guest_counter::config::Config>(config).unwrap(),
            guest_counter::config::Config { run_ms: 7 }
        );
        assert_eq!(
            info.partitions
                .get(0)
                .unwrap()
                .threads
                .get(1)
                .unwrap()
                .stack_size,
            4096
        );
        assert_eq!(
            info.schedule.windows.get(1).unwrap(),
            Window {
                partition: 1,
                duration_ms: 3
            }
        );
        assert_eq!(info.schedule.stop_after_ms, 500);
        assert_eq!(
            info.shared.get(0).unwrap().mappings.get(1).unwrap(),
            SharedMapping {
                partition: 1,
                address: 0x2000_0000,
                writable: false
            }
        );
        assert_eq!(info.devices.get(0).unwrap().physical, 0x1000_a000);
        assert_eq!((info.endpoints, info.notifications), (1, 1));
        assert!(info.partitions.get(2).unwrap().passive);
        assert_eq!(
            info.caps.len(),
            3,
            "b's call capability and the server's two"
        );
        assert_eq!(info.caps.get(1).unwrap().object, CapObjectInfo::Endpoint(0));
        assert_eq!(
            info.caps.get(2).unwrap().object,
            CapObjectInfo::Notification(0)
        );
        assert_eq!(info.caps.get(2).unwrap().rights, 0b11);
    }

    #[test]
    fn rejects_bad_capabilities() {
        let ep = r#"{ slot = 0, endpoint = "service", rights = ["read"] }"#;
        rejected(
            ep,
            r#"{ slot = 0, endpoint = "nope", rights = ["read"] }"#,
            "partition[2].caps[0].endpoint",
            "unknown endpoint `nope`",
        );
        rejected(
            ep,
            r#"{ slot = 1, endpoint = "service", rights = ["read"] }"#,
            "partition[2].caps[1].slot",
            "given twice",
        );
        rejected(
            ep,
            r#"{ slot = 16, endpoint = "service", rights = ["read"] }"#,
            "partition[2].caps[0].slot",
            "beyond the 16 slots",
        );
        rejected(
            ep,
            r#"{ slot = 0, endpoint = "service", notification = "bell", rights = ["read"] }"#,
            "partition[2].caps[0]",
            "exactly one",
        );
        rejected(
            ep,
            r#"{ slot = 0, endpoint = "service", rights = [] }"#,
            "partition[2].caps[0].rights",
            "no rights",
        );
        rejected(
            r#"notification = "bell", rights = ["read", "write"] }"#,
            r#"notification = "bell", rights = ["read"], badge = 3 }"#,
            "partition[2].caps[1].badge",
            "only endpoint",
        );
        rejected(
            "[[endpoint]]\nname = \"service\"",
            "[[endpoint]]\nname = \"bell\"\n[[endpoint]]\nname = \"bell\"",
            "endpoint[1].name",
            "duplicate endpoint name",
        );
    }

    #[test]
    fn the_stop_notification_names_a_declared_notification() {
        assert_eq!(check(GOOD).unwrap().stop_notification, None);
        let with = |name: &str| {
            GOOD.replacen(
                "stop_after_ms = 500\n",
                &format!("stop_after_ms = 500\nstop_notification = \"{name}\"\n"),
                1,
            )
        };
        assert_eq!(check(&with("bell")).unwrap().stop_notification, Some(0));
        let error = check(&with("gong")).unwrap_err();
        assert_eq!(error.file, Path::new("systems/test.toml"));
        assert_eq!(error.field, "system.stop_notification");
        assert!(
            error.reason.contains("unknown notification `gong`"),
            "{error}"
        );
    }

    #[test]
    fn a_stop_notification_an_interrupt_signals_or_nobody_waits_on_is_rejected() {
        let stops_on_bell = GOOD.replacen(
            "stop_after_ms = 500\n",
            "stop_after_ms = 500\nstop_notification = \"bell\"\n",
            1,
        );
        let error = check(&with_irq_on_bell(&stops_on_bell)).unwrap_err();
        assert_eq!(error.file, Path::new("systems/test.toml"));
        assert_eq!(error.field, "system.stop_notification");
        assert!(
            error.reason.contains("signalled by interrupt 40"),
            "{error}"
        );
        let write_only = stops_on_bell.replacen(
            r#"notification = "bell", rights = ["read", "write"]"#,
            r#"notification = "bell", rights = ["write"]"#,
            1,
        );
        assert_ne!(write_only, stops_on_bell, "test bug: no cap to change");
        let error = check(&write_only).unwrap_err();
        assert_eq!(error.file, Path::new("systems/test.toml"));
        assert_eq!(error.field, "system.stop_notification");
        assert!(error.reason.contains("wake nobody"), "{error}");
    }

    #[test]
    fn rejects_bad_interrupt_bindings() {
        let base = with_irq_on_bell(GOOD);
        let check_with = |from: &str, to: &str| check(&base.replacen(from, to, 1));
        assert!(check_with("", "").is_ok());
        let error = check(
            &base
                .replace("number = 40", "number = 29")
                .replace("irq = 40", "irq = 29"),
        )
        .unwrap_err();
        assert_eq!(
            (
                error.field.as_str(),
                error.reason.contains("shared peripheral")
            ),
            ("irq[0].number", true)
        );
        let error = check_with("bits = 1\n", "bits = 0\n").unwrap_err();
        assert_eq!(error.field, "irq[0].bits");
        let error = check_with(
            "notification = \"bell\"\nbits",
            "notification = \"gong\"\nbits",
        )
        .unwrap_err();
        assert_eq!(error.field, "irq[0].notification");
        let with_cap = base.replacen(
            r#"{ slot = 1, notification = "bell", rights = ["read", "write"] },"#,
            r#"{ slot = 1, notification = "bell", rights = ["read", "write"] },
    { slot = 3, irq = 41, rights = ["read"] },"#,
            1,
        );
        let error = check(&with_cap).unwrap_err();
        assert_eq!(error.field, "partition[2].caps[3].irq", "{error}");
    }

    #[test]
    fn an_interrupt_nobody_acknowledges_or_waits_for_is_rejected() {
        let error = check(&(GOOD.to_string() + IRQ_ON_BELL)).unwrap_err();
        assert_eq!(error.field, "irq[0].number", "{error}");
        assert!(error.reason.contains("acknowledge"), "{error}");
        let unwaited = with_irq_on_bell(&GOOD.replacen(
            r#"notification = "bell", rights = ["read", "write"]"#,
            r#"notification = "bell", rights = ["write"]"#,
            1,
        ));
        let error = check(&unwaited).unwrap_err();
        assert_eq!(error.field, "irq[0].notification", "{error}");
        assert!(error.reason.contains("wake nobody"), "{error}");
    }

    #[test]
    fn rejects_a_passive_partition_with_a_window() {
        rejected(
            r#"    { partition = "b", duration_ms = 3 },"#,
            r#"    { partition = "b", duration_ms = 2 },
    { partition = "server", duration_ms = 1 },"#,
            "partition[2].passive",
            "must have no window",
        );
    }

    #[test]
    fn a_service_does_not_keep_the_run_going_and_cannot_be_all_there_is() {
        let b_service =
            "memory_kib = 64\nservice = true\nthreads = [{ name = \"main\", priority = 1";
        let from = "memory_kib = 64\nthreads = [{ name = \"main\", priority = 1";
        let info = check(&GOOD.replacen(from, b_service, 1)).unwrap();
        assert!(info.partitions.get(1).unwrap().service);
        assert!(!info.partitions.get(0).unwrap().service);
        let a_service = "config = { run_ms = 7 }\nservice = true";
        let both =
            GOOD.replacen(from, b_service, 1)
                .replacen("config = { run_ms = 7 }", a_service, 1);
        let error = check(&both).unwrap_err();
        assert_eq!(error.field, "partition", "{error}");
        assert!(error.reason.contains("would end before"), "{error}");
        rejected(
            "passive = true\n",
            "passive = true\nservice = true\n",
            "partition[2].service",
            "never keeps the run going",
        );
    }

    #[test]
    fn syntax_errors_and_unknown_fields_name_the_line() {
        let error = check("[schedule\n").unwrap_err();
        assert!(error.field.starts_with("line 1"), "{error}");
        let error = check(&GOOD.replacen("config = {", "confg = {", 1)).unwrap_err();
        assert!(error.reason.contains("unknown field `confg`"), "{error}");
        assert!(error.field.starts_with("line "), "{error}");
        assert!(
            error.to_string().starts_with("systems/test.toml: line "),
            "{error}"
        );
    }

    /// `GOOD` with `extra` more passive partitions of `threads` threads,
    /// receiving on the endpoint `b` calls.
    fn with_partitions(extra: usize, threads: usize) -> String {
        let thread = |t: usize| format!("{{ name = \"t{t}\", priority = 1, stack_kib = 4 }}");
        let threads: Vec<String> = (0..threads).map(thread).collect();
        let mut text = GOOD.to_string();
        for p in 0..extra {
            text += &format!(
                "\n[[partition]]\nname = \"extra-{p}\"\ncrate = \"guest-counter\"\nconfig = {{ run_ms = 1 }}\nmemory_kib = {}\npassive = true\nthreads = [{}]\ncaps = [{{ slot = 0, endpoint = \"service\", rights = [\"read\"] }}]\n",
                (threads.len() as u32 + 2) * 8,
                threads.join(", ")
            );
        }
        text
    }

    #[test]
    fn sizes_are_limited_only_by_asids_and_thread_ids() {
        let many = check(&with_partitions(MAX_PARTITIONS - 3, 1)).unwrap();
        assert_eq!(many.partitions.len(), MAX_PARTITIONS);
        let error = check(&with_partitions(MAX_PARTITIONS - 2, 1)).unwrap_err();
        assert_eq!(error.file, Path::new("systems/test.toml"));
        assert_eq!(error.field, "partition");
        assert!(error.reason.contains("needs an ASID"), "{error}");

        let threads = check(&with_partitions(1, MAX_THREADS)).unwrap();
        assert_eq!(
            threads.partitions.get(3).unwrap().threads.len(),
            MAX_THREADS
        );
        let error = check(&with_partitions(1, MAX_THREADS + 1)).unwrap_err();
        assert_eq!(error.field, "partition[3].threads");
        assert!(error.reason.contains("one byte"), "{error}");
    }

    #[test]
    fn rejects_unknown_partitions() {
        rejected(
            r#"{ partition = "b", duration_ms = 3 }"#,
            r#"{ partition = "c", duration_ms = 3 }"#,
            "schedule.windows[1].partition",
            "unknown partition `c`",
        );
        rejected(
            r#"{ partition = "b", address = 0x20000000"#,
            r#"{ partition = "z", address = 0x20000000"#,
            "shared_memory[0].map[1].partition",
            "unknown partition `z`",
        );
        rejected(
            r#"partition = "b"
physical"#,
            r#"partition = "q"
physical"#,
            "device[0].partition",
            "unknown partition `q`",
        );
    }

    #[test]
    fn rejects_duplicate_names() {
        rejected(
            r#"name = "b"
crate"#,
            r#"name = "a"
crate"#,
            "partition[1].name",
            "duplicate partition name `a`",
        );
        rejected(
            r#"{ name = "helper""#,
            r#"{ name = "main""#,
            "partition[0].threads[1].name",
            "duplicate thread name",
        );
    }

    #[test]
    fn rejects_bad_names() {
        rejected(
            r#"name = "a""#,
            r#"name = """#,
            "partition[0].name",
            "must not be empty",
        );
        rejected(
            r#"name = "a""#,
            r#"name = "a-name-that-is-far-too-long-to-keep""#,
            "partition[0].name",
            "longer than 24",
        );
    }

    #[test]
    fn rejects_unknown_crates() {
        rejected(
            r#"crate = "guest-counter"
memory_kib = 64
config"#,
            r#"crate = "no-such-guest"
memory_kib = 64
config"#,
            "partition[0].crate",
            "no package `no-such-guest`",
        );
    }

    #[test]
    fn rejects_zero_and_unaligned_sizes() {
        rejected(
            r#"priority = 2, stack_kib = 8"#,
            r#"priority = 2, stack_kib = 0"#,
            "partition[0].threads[0].stack_kib",
            "greater than 0",
        );
        rejected(
            r#"priority = 2, stack_kib = 8"#,
            r#"priority = 2, stack_kib = 6"#,
            "partition[0].threads[0].stack_kib",
            "multiple of 4",
        );
        rejected(
            "memory_kib = 64\nconfig",
            "memory_kib = 0\nconfig",
            "partition[0].memory_kib",
            "greater than 0",
        );
        rejected(
            "size_kib = 8",
            "size_kib = 3",
            "shared_memory[0].size_kib",
            "multiple of 4",
        );
    }

    #[test]
    fn rejects_stacks_that_do_not_fit() {
        rejected(
            "memory_kib = 64\nconfig",
            "memory_kib = 20\nconfig",
            "partition[0].memory_kib",
            "cannot hold the threads' stacks",
        );
    }

    #[test]
    fn rejects_oversized_memory() {
        rejected(
            "memory_kib = 64\nthreads",
            "memory_kib = 300000\nthreads",
            "partition",
            "has only",
        );
    }

    #[test]
    fn one_frame_may_take_the_rest_of_ram() {
        let frame =
            |name: &str, size: &str| format!("\n[[frame]]\nname = \"{name}\"\nsize_kib = {size}\n");
        let text = format!("{GOOD}{}{}", frame("small", "8"), frame("pool", "\"rest\""));
        let info = check(&text).unwrap();
        assert_eq!(
            info.frames.iter().collect::<Vec<_>>(),
            [8 * 1024, boot_info::FRAME_REST]
        );

        let two = format!("{text}{}", frame("again", "\"rest\""));
        let error = check(&two).unwrap_err();
        assert_eq!(error.field, "frame[2].size_kib", "{error}");
        assert!(error.reason.contains("only one"), "{error}");

        let word = format!("{GOOD}{}", frame("pool", "\"all\""));
        let error = check(&word).unwrap_err();
        assert!(error.reason.contains("\"rest\""), "{error}");

        // Everything else takes all but 1 MiB of what the board has for
        // partitions: too little is left for the rest.
        let budget_kib = (256 << 10) - (KERNEL_RESERVE >> 10) as u32;
        let others = 2 * 64 + 8;
        let big = GOOD.replacen(
            "memory_kib = 64\nconfig",
            &format!("memory_kib = {}\nconfig", budget_kib - others - 1024),
            1,
        );
        assert!(check(&big).is_ok(), "test bug: the big system must fit");
        let error = check(&format!("{big}{}", frame("pool", "\"rest\""))).unwrap_err();
        assert_eq!(error.field, "frame[0].size_kib", "{error}");
        assert!(error.reason.contains("left"), "{error}");
    }

    #[test]
    fn rejects_windows_not_summing_to_the_major_frame() {
        rejected(
            "major_frame_ms = 4",
            "major_frame_ms = 5",
            "schedule.windows",
            "sum to 4 ms but the major frame is 5 ms",
        );
        rejected(
            "major_frame_ms = 4",
            "major_frame_ms = 0",
            "schedule.major_frame_ms",
            "greater than 0",
        );
        rejected(
            r#"{ partition = "a", duration_ms = 1 }"#,
            r#"{ partition = "a", duration_ms = 0 }"#,
            "schedule.windows[0].duration_ms",
            "greater than 0",
        );
    }

    #[test]
    fn rejects_partitions_without_a_window() {
        rejected(
            r#"    { partition = "a", duration_ms = 1 },
    { partition = "b", duration_ms = 3 },"#,
            r#"    { partition = "b", duration_ms = 4 },"#,
            "partition[0]",
            "no window",
        );
    }

    #[test]
    fn rejects_overlapping_and_misplaced_regions() {
        rejected(
            "address = 0x10000000",
            "address = 0x00108000",
            "shared_memory[0].map[0].address",
            "overlaps the memory of partition `a`",
        );
        rejected(
            "address = 0x10000000",
            "address = 0x10000800",
            "shared_memory[0].map[0].address",
            "page aligned",
        );
        rejected(
            "address = 0x30000000",
            "address = 0x20001000",
            "device[0].address",
            "overlaps shared region `ring`",
        );
        rejected(
            "address = 0x30000000",
            "address = 0x90000000",
            "device[0].address",
            "user space",
        );
        rejected(
            "address = 0x30000000",
            "address = 0x7DFFF000",
            "device[0].address",
            "overlaps the pool region",
        );
        rejected(
            "physical = 0x1000a000",
            "physical = 0x60000000",
            "device[0].physical",
            "RAM",
        );
        rejected(
            "physical = 0x1000a000",
            "physical = 0x1000a010",
            "device[0].physical",
            "page aligned",
        );
    }

    #[test]
    fn rejects_devices_the_kernel_drives_shares_or_that_wrap() {
        rejected(
            "physical = 0x1000a000",
            "physical = 0x10009000",
            "device[0].physical",
            "the console UART",
        );
        rejected(
            "physical = 0x1000a000",
            "physical = 0x1E001000",
            "device[0].physical",
            "the MPCore private region",
        );
        rejected(
            "physical = 0x1000a000\nsize_kib = 4",
            "physical = 0xFFFFF000\nsize_kib = 8",
            "device[0].size_kib",
            "beyond the 32-bit physical address space",
        );
        let twin = "\n[[device]]\nname = \"uart1-again\"\npartition = \"a\"\nphysical = 0x1000a000\nsize_kib = 4\naddress = 0x30000000\n";
        let error = check(&format!("{GOOD}{twin}")).unwrap_err();
        assert_eq!(error.field, "device[1].physical", "{error}");
        assert!(error.reason.contains("device `uart1`"), "{error}");
    }

    #[test]
    fn rejects_a_passive_partition_nobody_can_call() {
        rejected(
            r#"caps = [{ slot = 0, endpoint = "service", rights = ["write"] }]"#,
            r#"caps = [{ slot = 0, endpoint = "service", rights = ["read"] }]"#,
            "partition[2].passive",
            "no other partition can call",
        );
        rejected(
            r#"caps = [{ slot = 0, endpoint = "service", rights = ["write"] }]"#,
            "",
            "partition[2].passive",
            "no other partition can call",
        );
    }

    #[test]
    fn rejects_a_system_without_partitions() {
        let file = Path::new("systems/empty.toml");
        let d = parse(file, "[schedule]\nmajor_frame_ms = 1\nwindows = []\n").unwrap();
        let error = validate(file, "empty", &d, &VEXPRESS_A9, &crates()).unwrap_err();
        assert_eq!(error.field, "partition");
    }

    #[test]
    fn the_shipped_descriptions_are_valid() {
        let root = crate::workspace::root();
        let crates = crate::system::build::workspace_crates().unwrap();
        for dir in [root.join("systems"), root.join("tests/systems")] {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "toml") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    let d = parse(&path, &text).unwrap_or_else(|e| panic!("{e}"));
                    let name = path.file_stem().unwrap().to_string_lossy();
                    validate(&path, &name, &d, &VEXPRESS_A9, crates)
                        .unwrap_or_else(|e| panic!("{e}"));
                }
            }
        }
    }
}
