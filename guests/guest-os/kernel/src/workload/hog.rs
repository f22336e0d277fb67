//! The memory hog: maps more anonymous memory than the guest has RAM and
//! sweeps it pass after pass. On every pass it reads each page, checks it
//! holds what the previous pass wrote (zeros on the first: demand-zero
//! memory), and writes the page's next version; a last sweep checks the
//! final version. Every page is evicted between its visits, so every
//! check after the first pass reads a page that came back from swap.

use guest_mm::{Page, ProcessId, PAGE_SIZE};

use super::pattern::{self, Expected};
use super::{as_process, load_and_check, WorkloadResult};
use crate::config::HogPlan;
use crate::machine::Machine;

/// Runs the hog as `process`; `page` is its buffer.
pub fn run(
    machine: &mut Machine<'_>,
    process: ProcessId,
    guest: u32,
    plan: HogPlan,
    page: &mut Page,
) -> WorkloadResult {
    as_process(machine, process, |machine, result| {
        let base = machine.mmap(process, plan.pages)?;
        let address = |index: u32| base + index * PAGE_SIZE as u32;
        for pass in 0..plan.passes {
            let expected = match pass {
                0 => Expected::Zero,
                _ => Expected::Version(pass),
            };
            for index in 0..plan.pages {
                let at = address(index);
                load_and_check(machine, process, guest, at, expected, page, result)?;
                pattern::fill(page, guest, at, pass + 1);
                machine.store(process, at, page)?;
            }
        }
        let last = Expected::Version(plan.passes);
        for index in 0..plan.pages {
            load_and_check(machine, process, guest, address(index), last, page, result)?;
        }
        machine.munmap(process, base, plan.pages)
    })
}

/// The pages the hog checks when it completes: one per page per pass,
/// and the last sweep.
pub const fn pages_checked(plan: HogPlan) -> u64 {
    plan.pages as u64 * (plan.passes as u64 + 1)
}
