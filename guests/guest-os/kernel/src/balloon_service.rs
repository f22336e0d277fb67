//! The guest's balloon service: once per balloon period (virtual time)
//! the single-threaded guest kernel calls the memory manager with its
//! pressure report and learns its target in frames; over target it frees
//! frames through the [`Vm`]'s balloon, scrubs them and gives each one
//! back (its one-page capability moves with the call); under target it
//! asks for frames one at a time, each filling a hole in guest RAM.
//!
//! The capability work is the [`ManagerLink`]'s (the partition's, on the
//! target; a model in host tests). A malformed or refused answer is
//! reported through the link and the guest goes on at the size it has: a
//! frame that did not leave is used again, a hole that was not filled
//! stays a hole. It must never touch a frame that is not the guest's.

use alloc::vec::Vec;

use guest_mm::{Backends, Frame, Vm};
use memory_manager_protocol::{Pressure, ProtocolError, Refusal, Reply};

/// Why a request to the manager did not do what was asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The manager refused.
    Refused(Refusal),
    /// The manager says the run is over.
    Stopped,
    /// The answer made no sense.
    Malformed(ProtocolError),
    /// The answer was not the one the request calls for.
    Unexpected,
    /// A system call failed (its name).
    Kernel(&'static str),
}

impl Failure {
    /// A short description for logs.
    pub const fn name(self) -> &'static str {
        match self {
            Failure::Refused(why) => why.name(),
            Failure::Stopped => "the run is over",
            Failure::Malformed(error) => error.name(),
            Failure::Unexpected => "an unexpected answer",
            Failure::Kernel(name) => name,
        }
    }
}

/// A give that did not happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GiveFailure {
    /// Why.
    pub failure: Failure,
    /// The frame is still the guest's, mapped at its place (false: it is
    /// gone from the guest and stays a hole).
    pub kept: bool,
}

/// The memory manager as the service reaches it.
pub trait ManagerLink {
    /// Virtual time now, in microseconds.
    fn now_us(&self) -> u64;
    /// Calls with `pressure`; the manager's answer.
    fn report(&mut self, pressure: &Pressure) -> Result<Reply, Failure>;
    /// Gives `frame` (unmapped, its capability moved with the call).
    fn give(&mut self, frame: Frame) -> Result<(), GiveFailure>;
    /// Asks for a frame for the hole `frame`; on success it is mapped
    /// there.
    fn take(&mut self, frame: Frame) -> Result<(), Failure>;
    /// Says that `what` failed (on the target: a log line).
    fn failed(&mut self, what: &'static str, failure: Failure);
}

/// What the service has done, for the guest's report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BalloonCounts {
    /// Reports answered with a target.
    pub periods: u64,
    /// Frames given back.
    pub given: u64,
    /// Frames taken in.
    pub taken: u64,
    /// Requests refused or failed.
    pub failures: u64,
}

/// The service.
pub struct BalloonService<L> {
    link: L,
    period_us: u64,
    next_us: u64,
    target: u32,
    stopped: bool,
    counts: BalloonCounts,
}

/// What the guest reports: the Vm's pressure report and counters.
pub fn pressure_of(vm: &Vm, busy: bool) -> Pressure {
    let p = vm.pressure();
    let swap = vm.stats().swap;
    Pressure {
        ram: p.total_frames,
        committed: p.committed,
        cache: p.page_cache,
        tmem: p.swap_in_tmem,
        sd: p.swap_used.saturating_sub(p.swap_in_tmem),
        refaults: p.refaults,
        ins_tmem: swap.ins_from_tmem,
        ins_sd: swap.ins_from_device,
        outs_tmem: swap.outs_to_tmem,
        outs_sd: swap.outs_to_device,
        faults: vm.stats().faults,
        busy,
    }
}

impl<L: ManagerLink> BalloonService<L> {
    /// Introduces the guest (booting with `frames` frames) to the manager
    /// behind `link`: `None` when there is none to reach or it refuses.
    pub fn connect(mut link: L, frames: u32) -> Option<BalloonService<L>> {
        let hello = Pressure {
            ram: frames,
            busy: true,
            ..Pressure::default()
        };
        match link.report(&hello) {
            Ok(Reply::Target {
                frames: target,
                period_ms,
            }) if period_ms > 0 => {
                let period_us = u64::from(period_ms) * 1000;
                let next_us = link.now_us() + period_us;
                Some(BalloonService {
                    link,
                    period_us,
                    next_us,
                    target,
                    stopped: false,
                    counts: BalloonCounts::default(),
                })
            }
            Ok(_) => {
                link.failed("connecting to the memory manager", Failure::Unexpected);
                None
            }
            Err(failure) => {
                link.failed("connecting to the memory manager", failure);
                None
            }
        }
    }

    /// Whether a period has ended and the manager should hear from us.
    pub fn due(&self) -> bool {
        !self.stopped && self.link.now_us() >= self.next_us
    }

    /// Whether the manager said the run is over.
    pub const fn stopped(&self) -> bool {
        self.stopped
    }

    /// The last target the manager set.
    pub const fn target(&self) -> u32 {
        self.target
    }

    /// What the service has done.
    pub const fn counts(&self) -> BalloonCounts {
        self.counts
    }

    /// One period: report, learn the target, give or take frames toward
    /// it. `busy`: the guest still has work to do.
    pub fn period(&mut self, vm: &mut Vm, backends: &mut Backends<'_>, busy: bool) {
        self.next_us = self.link.now_us() + self.period_us;
        match self.link.report(&pressure_of(vm, busy)) {
            Ok(Reply::Target { frames, .. }) => {
                self.counts.periods += 1;
                self.target = frames;
            }
            Ok(Reply::Stop) => {
                self.stopped = true;
                return;
            }
            Ok(Reply::Refused(why)) => return self.fail("a report", Failure::Refused(why)),
            Ok(Reply::Done) => return self.fail("a report", Failure::Unexpected),
            Err(failure) => {
                // The manager cannot be reached: nothing more will move.
                if matches!(failure, Failure::Kernel(_)) {
                    self.stopped = true;
                }
                return self.fail("a report", failure);
            }
        }
        let held = vm.pressure().total_frames;
        if held > self.target {
            self.shrink(vm, backends, held - self.target);
        } else if held < self.target {
            self.grow(vm, self.target - held);
        }
    }

    fn fail(&mut self, what: &'static str, failure: Failure) {
        self.counts.failures += 1;
        if failure == Failure::Stopped {
            self.stopped = true;
        }
        self.link.failed(what, failure);
    }

    /// Frees up to `count` frames and gives them back, scrubbed.
    fn shrink(&mut self, vm: &mut Vm, backends: &mut Backends<'_>, count: u32) {
        let frames = vm.balloon_out(count, backends);
        let mut back: Vec<Frame> = Vec::new();
        for (k, &frame) in frames.iter().enumerate() {
            // The guest's data must not reach the next holder.
            backends.memory.page_mut(frame).fill(0);
            match self.link.give(frame) {
                Ok(()) => self.counts.given += 1,
                Err(GiveFailure { failure, kept }) => {
                    if kept {
                        back.push(frame);
                    }
                    // The frames not yet offered are used again too.
                    back.extend_from_slice(&frames[k + 1..]);
                    self.fail("giving a frame back", failure);
                    break;
                }
            }
        }
        if vm.balloon_in(&back).is_err() {
            self.fail("taking back frames the balloon gave", Failure::Unexpected);
        }
    }

    /// Asks for up to `count` frames, one per hole.
    fn grow(&mut self, vm: &mut Vm, count: u32) {
        let holes: Vec<Frame> = vm.ballooned_frames().take(count as usize).collect();
        for frame in holes {
            match self.link.take(frame) {
                Ok(()) => {
                    if vm.balloon_in(&[frame]).is_err() {
                        return self.fail("using a frame taken in", Failure::Unexpected);
                    }
                    self.counts.taken += 1;
                }
                Err(Failure::Refused(Refusal::ReserveEmpty | Refusal::NotOwed)) => return,
                Err(failure) => return self.fail("taking a frame", failure),
            }
        }
    }

    /// The link, for the partition.
    pub fn link_mut(&mut self) -> &mut L {
        &mut self.link
    }
}

/// A periodic task the [`Machine`](crate::Machine) runs between accesses:
/// the balloon service, seen without its link's type.
pub trait Periodic {
    /// Whether it wants to run now.
    fn due(&self) -> bool;
    /// Runs it over the Vm and its ports.
    fn run(&mut self, vm: &mut Vm, backends: &mut Backends<'_>, busy: bool);
    /// Whether it has ended for good.
    fn ended(&self) -> bool;
}

impl<L: ManagerLink> Periodic for BalloonService<L> {
    fn due(&self) -> bool {
        BalloonService::due(self)
    }

    fn run(&mut self, vm: &mut Vm, backends: &mut Backends<'_>, busy: bool) {
        self.period(vm, backends, busy);
    }

    fn ended(&self) -> bool {
        self.stopped
    }
}
