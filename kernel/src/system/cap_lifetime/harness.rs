//! The harness: the kernel and the model stepped together — each step run
//! on both, its result checked against the model's expectation, every
//! invariant checked after it — and the failure report and statistics of
//! a run.
//!
//! It must never change the kernel except through the driver, nor the
//! model except through [`Model::apply`].

extern crate std;

use core::cell::RefCell;
use std::collections::BTreeMap;
use std::format;
use std::string::{String, ToString};
use std::vec::Vec;

use kernel_abi::syscall::SyscallError;
use kernel_abi::user_layout::PAGE_SIZE;

use super::driver::Kernel;
use super::model::{refusal_matches, Expectation, Model, Outcome, Wake};
use super::op::Op;
use super::rig::{frame_base, World, FRAMES, RAM, RAM_SIZE};
use super::step::{RightsName, Step};
use crate::cap::{CapObject, Capability};
use crate::exception::TrapFrame;
use crate::machine::tests::FakeMachine;
use crate::thread::ThreadState;

fn code_name(r0: u32) -> String {
    if r0 == 0 {
        return "success".to_string();
    }
    match SyscallError::from_code(r0) {
        Some(error) => error.name().to_string(),
        None => format!("code {r0}"),
    }
}

/// Names a physical page by the described frame it belongs to.
pub(super) fn page_name(phys: usize) -> String {
    match (0..FRAMES.len()).find(|&i| {
        phys >= frame_base(i) && phys < frame_base(i) + (FRAMES[i].pages * PAGE_SIZE) as usize
    }) {
        Some(i) => format!(
            "frame {i} page {} ({phys:#x})",
            (phys - frame_base(i)) / PAGE_SIZE as usize
        ),
        None => format!("{phys:#x} (no frame of the description)"),
    }
}

pub(super) fn describe_cap(cap: &Capability) -> String {
    match cap.object {
        CapObject::Frame { base, pages } => {
            format!(
                "a {pages}-page frame capability at {} with {}",
                page_name(base),
                RightsName(cap.rights)
            )
        }
        object => format!(
            "{object:?} with {} badge {:#x}",
            RightsName(cap.rights),
            cap.badge
        ),
    }
}

/// One executed step, for the failure report.
struct Logged {
    step: Step,
    expected: Outcome,
    r0: Option<u32>,
    /// The calling thread's state afterwards (its `r0` is a result only if
    /// it is ready).
    state: ThreadState,
}

/// The kernel and the model, stepped together.
pub(super) struct Harness<'s> {
    pub(super) kernel: Kernel<'s>,
    pub(super) model: Model,
    log: Vec<Logged>,
}

impl Harness<'_> {
    /// Runs one step on both and checks everything.
    fn step(&mut self, step: Step) -> Result<(), String> {
        let expected = self.model.apply(step);
        let r0 = self.kernel.execute(step)?;
        let state = self.kernel.system.threads[step.actor()].state;
        self.log.push(Logged {
            step,
            expected: expected.outcome,
            r0,
            state,
        });
        self.check_result(step, &expected, r0, state)?;
        self.check_threads()?;
        self.check_slots()?;
        self.check_reachability()
    }

    /// The caller's result, and the results of the threads it woke.
    fn check_result(
        &self,
        step: Step,
        expected: &Expectation,
        r0: Option<u32>,
        state: ThreadState,
    ) -> Result<(), String> {
        let ran_on = state == ThreadState::Ready;
        match (expected.outcome, r0) {
            (Outcome::Done, Some(r0)) if !ran_on || r0 != 0 => {
                return Err(format!(
                    "{step} {} but the model expects it to succeed",
                    if ran_on {
                        format!("was refused with {}", code_name(r0))
                    } else {
                        format!("left the thread {state:?}")
                    }
                ));
            }
            (Outcome::Refused(why), Some(r0)) if !ran_on || !refusal_matches(why, r0) => {
                return Err(format!(
                    "{step} {} but the model expects it refused ({}{})",
                    if ran_on {
                        "succeeded".to_string()
                    } else {
                        format!("was accepted (the thread is {state:?})")
                    },
                    why.describe(),
                    self.model.explain(step, why),
                ));
            }
            (Outcome::Blocks, Some(r0)) if state != ThreadState::Blocked => {
                return Err(format!(
                    "{step} left the thread {state:?} (r0: {}) but the model expects it to block",
                    code_name(r0)
                ));
            }
            _ => {}
        }
        for &(thread, wake) in &expected.woken {
            let r0 = self.kernel.system.threads[thread].context.r[0];
            let wanted = match wake {
                Wake::Delivered => 0,
                Wake::PeerGone => SyscallError::PeerGone as u32,
            };
            if r0 != wanted {
                return Err(format!(
                    "after {step}, P{thread} woke with {} but the model expects {}",
                    if r0 == 0 {
                        "success".to_string()
                    } else {
                        code_name(r0)
                    },
                    if wanted == 0 {
                        "success".to_string()
                    } else {
                        code_name(wanted)
                    },
                ));
            }
        }
        Ok(())
    }

    /// The report of a failure: every step so far and what broke.
    fn report(&self, problem: &str) -> String {
        let lines: Vec<(String, bool)> = self
            .log
            .iter()
            .enumerate()
            .map(|(n, logged)| {
                let result = match (logged.r0, logged.state) {
                    (Some(0), ThreadState::Ready) => "ok".to_string(),
                    (Some(r0), ThreadState::Ready) => code_name(r0),
                    (_, ThreadState::Blocked) => "blocked".to_string(),
                    (_, state) => format!("{state:?}"),
                };
                let expected = match logged.expected {
                    Outcome::Done => "ok".to_string(),
                    Outcome::Refused(why) => format!("refused, {}", why.describe()),
                    Outcome::Blocks => "blocks".to_string(),
                    Outcome::Stopped => "partition stopped".to_string(),
                };
                let routine = result == "ok"
                    && expected == "ok"
                    && matches!(logged.step, Step::Copy { .. } | Step::Map { .. });
                let line = format!(
                    "  #{n:<3} {}  -> {result}; model: {expected}\n",
                    logged.step
                );
                (line, routine)
            })
            .collect();
        let mut out = String::from("steps run (kernel result; model's expectation):\n");
        let mut at = 0;
        while at < lines.len() {
            // Long runs of successful copies and mappings (fan-outs) are
            // shortened to their first and last steps.
            let run = lines[at..]
                .iter()
                .take_while(|(_, routine)| *routine)
                .count();
            if run > 12 {
                lines[at..at + 4].iter().for_each(|(line, _)| out += line);
                out += &format!("  ... {} more copies and mappings, all ok ...\n", run - 8);
                lines[at + run - 4..at + run]
                    .iter()
                    .for_each(|(line, _)| out += line);
                at += run;
            } else {
                out += &lines[at].0;
                at += 1;
            }
        }
        out += &format!("broken after the last step: {problem}\n");
        out
    }
}

/// Statistics over a property's runs: per step name, how many succeeded,
/// were refused, blocked; and how often notable things happened.
#[derive(Default)]
pub(super) struct Stats {
    pub(super) steps: BTreeMap<&'static str, [u64; 3]>,
    pub(super) events: BTreeMap<&'static str, u64>,
}

/// Runs `ops` from a fresh boot, checking after every step.
/// On failure: the index of the operation whose step broke, and the report.
pub(super) fn run_ops(ops: &[Op], stats: Option<&RefCell<Stats>>) -> Result<(), (usize, String)> {
    let mut failed_at = 0;
    run(stats, |harness| {
        for (index, &op) in ops.iter().enumerate() {
            failed_at = index;
            for step in harness.model.resolve(op) {
                harness.step(step)?;
            }
        }
        Ok(())
    })
    .map_err(|report| (failed_at, report))
}

/// Runs fixed `steps` from a fresh boot, checking after every step.
pub(super) fn run_steps(steps: &[Step]) -> Result<(), String> {
    run(None, |harness| {
        steps.iter().try_for_each(|&step| harness.step(step))
    })
}

fn run(
    stats: Option<&RefCell<Stats>>,
    body: impl FnOnce(&mut Harness<'_>) -> Result<(), String>,
) -> Result<(), String> {
    let mut world = World::new();
    let mut machine = FakeMachine::new(RAM, RAM_SIZE);
    let mut frame = TrapFrame::default();
    let system = world.boot(&mut machine, &mut frame);
    let mut harness = Harness {
        kernel: Kernel {
            system,
            machine,
            frame,
        },
        model: Model::new(),
        log: Vec::new(),
    };
    let result = harness.check_slots().and_then(|()| body(&mut harness));
    if let Some(stats) = stats {
        let mut stats = stats.borrow_mut();
        for logged in &harness.log {
            let counts = stats.steps.entry(logged.step.name()).or_default();
            match logged.expected {
                Outcome::Done | Outcome::Stopped => counts[0] += 1,
                Outcome::Refused(_) => counts[1] += 1,
                Outcome::Blocks => counts[2] += 1,
            }
        }
        for (&event, &count) in &harness.model.events {
            *stats.events.entry(event).or_default() += count;
        }
    }
    result.map_err(|problem| harness.report(&problem))
}
