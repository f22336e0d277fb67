//! The phased workload: a program whose working set rises and falls on a
//! schedule. Its memory is a stack of mappings ("steps"); each phase maps
//! or unmaps steps until it holds the phase's number, then touches every
//! page it holds: checks the page's current version (zeros when never
//! written) and writes the next. A step is checked whole before it is
//! unmapped, so nothing written is left unverified; unmapping frees the
//! step's frames, swap slots and tmem pages.

use alloc::vec::Vec;

use guest_mm::{Page, ProcessId, VmError, PAGE_SIZE};

use super::pattern::{self, Expected};
use super::{as_process, load_and_check, WorkloadResult};
use crate::config::PhasedPlan;
use crate::machine::Machine;

/// One mapping and the version its pages hold (0: never written).
struct Step {
    base: u32,
    version: u32,
}

/// Runs the phased workload as `process`; `page` is its buffer.
pub fn run(
    machine: &mut Machine<'_>,
    process: ProcessId,
    guest: u32,
    plan: &PhasedPlan,
    page: &mut Page,
) -> WorkloadResult {
    as_process(machine, process, |machine, result| {
        let mut steps: Vec<Step> = Vec::new();
        for &target in plan.schedule.iter() {
            while (steps.len() as u32) < target {
                let base = machine.mmap(process, plan.step_pages)?;
                steps.push(Step { base, version: 0 });
            }
            while (steps.len() as u32) > target {
                if let Some(step) = steps.pop() {
                    release(machine, process, guest, plan, &step, page, result)?;
                }
            }
            for step in &mut steps {
                for index in 0..plan.step_pages {
                    let at = step.base + index * PAGE_SIZE as u32;
                    let expected = expected(step.version);
                    load_and_check(machine, process, guest, at, expected, page, result)?;
                    pattern::fill(page, guest, at, step.version + 1);
                    machine.store(process, at, page)?;
                }
                step.version += 1;
            }
        }
        while let Some(step) = steps.pop() {
            release(machine, process, guest, plan, &step, page, result)?;
        }
        Ok(())
    })
}

fn expected(version: u32) -> Expected {
    match version {
        0 => Expected::Zero,
        version => Expected::Version(version),
    }
}

/// Checks every page of `step`, then unmaps it.
fn release(
    machine: &mut Machine<'_>,
    process: ProcessId,
    guest: u32,
    plan: &PhasedPlan,
    step: &Step,
    page: &mut Page,
    result: &mut WorkloadResult,
) -> Result<(), VmError> {
    for index in 0..plan.step_pages {
        let at = step.base + index * PAGE_SIZE as u32;
        load_and_check(
            machine,
            process,
            guest,
            at,
            expected(step.version),
            page,
            result,
        )?;
    }
    machine.munmap(process, step.base, plan.step_pages)
}
