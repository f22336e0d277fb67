//! The workloads the guest runs as its processes (in the interim
//! software-MMU mode, inside the guest kernel; see [`crate::machine`]):
//! a memory hog, a phased program whose demand rises and falls, and a
//! file reader. Each checks every byte it reads against what it wrote
//! ([`pattern`]) and ends with a [`WorkloadResult`]; a workload that runs
//! out of memory stops, has its process destroyed (freeing its frames,
//! swap slots and tmem pages) and says so — it never panics and never
//! takes the guest down.

pub mod file_scan;
pub mod hog;
pub mod pattern;
pub mod phased;

use guest_mm::{Page, ProcessId, VmError};

use crate::machine::Machine;
use pattern::Expected;

/// How a workload ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// It did everything it was asked.
    Completed,
    /// Memory ran out: nothing could be evicted (tmem refused and there is
    /// no room on a swap device).
    OutOfMemory,
    /// Memory management failed it otherwise.
    Failed(VmError),
}

impl Ending {
    /// A short name for logs.
    pub const fn name(&self) -> &'static str {
        match self {
            Ending::Completed => "completed",
            Ending::OutOfMemory => "out of memory",
            Ending::Failed(VmError::Swap(_)) => "failed: a swapped page was lost",
            Ending::Failed(VmError::Segfault { .. }) => "failed: segfault",
            Ending::Failed(VmError::File(_)) => "failed: file read error",
            Ending::Failed(_) => "failed",
        }
    }
}

impl From<VmError> for Ending {
    fn from(error: VmError) -> Ending {
        match error {
            VmError::OutOfMemory => Ending::OutOfMemory,
            other => Ending::Failed(other),
        }
    }
}

/// The first wrong byte a workload read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// Its address (a file offset for the file reader).
    pub address: u32,
    /// What was read there.
    pub found: u8,
}

/// What a workload did and found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkloadResult {
    /// Pages read back and checked whole.
    pub pages_checked: u64,
    /// Pages whose contents were wrong.
    pub mismatches: u64,
    /// The first wrong byte.
    pub first_mismatch: Option<Mismatch>,
    /// How it ended.
    pub ending: Ending,
}

impl Default for WorkloadResult {
    fn default() -> WorkloadResult {
        WorkloadResult {
            pages_checked: 0,
            mismatches: 0,
            first_mismatch: None,
            ending: Ending::Completed,
        }
    }
}

impl WorkloadResult {
    /// Counts one checked page whose first wrong byte (if any) is at
    /// `wrong` of the page at `address`.
    fn checked(&mut self, address: u32, page: &Page, wrong: Option<usize>) {
        self.pages_checked += 1;
        if let Some(offset) = wrong {
            self.mismatches += 1;
            self.first_mismatch.get_or_insert(Mismatch {
                address: address.wrapping_add(offset as u32),
                found: page[offset],
            });
        }
    }
}

/// Loads the page at `address` of `process` into `page` and checks it
/// against `expected`.
fn load_and_check(
    machine: &mut Machine<'_>,
    process: ProcessId,
    guest: u32,
    address: u32,
    expected: Expected,
    page: &mut Page,
    result: &mut WorkloadResult,
) -> Result<(), VmError> {
    machine.load(process, address, page)?;
    let wrong = pattern::first_mismatch(page, guest, address, expected);
    result.checked(address, page, wrong);
    Ok(())
}

/// Runs `body` as process `process` (heap empty at 64 KiB) and destroys
/// the process afterwards, whatever happened; the body's error becomes
/// the result's ending.
fn as_process(
    machine: &mut Machine<'_>,
    process: ProcessId,
    body: impl FnOnce(&mut Machine<'_>, &mut WorkloadResult) -> Result<(), VmError>,
) -> WorkloadResult {
    let mut result = WorkloadResult::default();
    if let Err(error) = machine.create_process(process, 0x0001_0000) {
        result.ending = error.into();
        return result;
    }
    if let Err(error) = body(machine, &mut result) {
        result.ending = error.into();
    }
    if let Err(error) = machine.destroy_process(process) {
        if result.ending == Ending::Completed {
            result.ending = error.into();
        }
    }
    result
}
