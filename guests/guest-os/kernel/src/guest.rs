//! The guest's run: memory management set up over the guest's RAM, then
//! the workloads its plan names, one process each, in order — the memory
//! hog, the phased program, the file reader. When one runs out of memory
//! the guest stops there: the process was destroyed (its frames, swap
//! slots and tmem pages freed) and the remaining workloads are skipped,
//! so the guest ends cleanly instead of losing data.

use guest_mm::{Layout, Page, ProcessId, VmConfig};

use crate::config::GuestPlan;
use crate::machine::Machine;
use crate::workload::{file_scan, hog, phased, Ending, WorkloadResult};

/// The most swap slots: the names frontswap gives pages (and the swap
/// device's blocks, when there is one: then its blocks, if fewer).
pub const SWAP_SLOTS: u32 = 1024;

/// The swap type the guest's pages are named by in frontswap.
pub const SWAP_TYPE: u32 = 0;

/// Faults between periodic reports.
pub const REPORT_EVERY_FAULTS: u64 = 256;

/// The process that runs the memory hog.
pub const HOG_PROCESS: ProcessId = ProcessId(1);

/// The process that runs the phased workload.
pub const PHASED_PROCESS: ProcessId = ProcessId(2);

/// Memory management's configuration for a guest of `frames` frames and
/// `swap_slots` swap slots.
pub const fn vm_config(frames: u32, swap_slots: u32) -> VmConfig {
    VmConfig {
        frames,
        swap_slots,
        swap_type: SWAP_TYPE,
        layout: Layout {
            user_base: 0x0001_0000,
            mmap_base: 0x1000_0000,
            user_top: 0x8000_0000,
            max_areas: 64,
        },
        max_processes: 4,
    }
}

/// Which workload a result is of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// The memory hog.
    Hog,
    /// The phased program.
    Phased,
    /// The file reader.
    Files,
}

impl Workload {
    /// Its name in logs.
    pub const fn name(self) -> &'static str {
        match self {
            Workload::Hog => "memory hog",
            Workload::Phased => "phased",
            Workload::Files => "file reader",
        }
    }
}

/// Runs the workloads `plan` names on `machine`, calling `done` with each
/// result as it ends; `file_size` is the size of each file (`None`: there
/// are no files, the file reader is skipped). Returns whether every
/// workload that ran completed.
pub fn run(
    machine: &mut Machine<'_>,
    plan: &GuestPlan,
    file_size: Option<u32>,
    page: &mut Page,
    mut done: impl FnMut(Workload, &WorkloadResult),
) -> bool {
    let mut report = |workload, result: WorkloadResult| {
        done(workload, &result);
        result.ending == Ending::Completed
    };
    if let Some(hog_plan) = plan.hog {
        let result = hog::run(machine, HOG_PROCESS, plan.guest, hog_plan, page);
        if !report(Workload::Hog, result) {
            return false;
        }
    }
    if let Some(phased_plan) = &plan.phased {
        let result = phased::run(machine, PHASED_PROCESS, plan.guest, phased_plan, page);
        if !report(Workload::Phased, result) {
            return false;
        }
    }
    if let (Some(files), Some(size)) = (plan.files, file_size) {
        let result = file_scan::run(machine, files, size, page);
        if !report(Workload::Files, result) {
            return false;
        }
    }
    true
}
