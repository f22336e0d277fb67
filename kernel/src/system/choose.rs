//! Choosing what runs: the highest-priority ready thread of the current
//! window, round robin among equals on ticks and yields only, passive
//! threads on borrowed time.
//!
//! Every decision costs the same however many partitions and threads the
//! system has: it looks only at the window owner's thread list and at the
//! passive threads (linked once, by [`System::new`]), and a count of the
//! active partitions still running says whether the run is over. It must
//! never scan all partitions or all threads.

use crate::ipc::ThreadId;
use crate::machine::{EndReason, Machine};
use crate::partition::{Partition, PartitionState};
use crate::thread::{Thread, ThreadState};

use super::{Next, System};

/// The thread indices of a list linked through `link`, from `first`.
pub(super) fn linked(
    threads: &[Thread],
    first: Option<u16>,
    link: fn(&Thread) -> Option<u16>,
) -> impl Iterator<Item = usize> + '_ {
    core::iter::successors(first, move |&t| link(&threads[usize::from(t)])).map(usize::from)
}

/// Whether a thread has no time of its own, as `partitions` say of
/// `threads`' partitions: passive is a partition's property, stored once,
/// in its [`Partition`].
pub(super) fn passive_of<'s>(
    partitions: &'s [Partition],
    threads: &'s [Thread],
) -> impl Fn(ThreadId) -> bool + 's {
    move |t| {
        threads
            .get(t.index())
            .and_then(|t| partitions.get(t.partition))
            .is_some_and(|p| p.passive)
    }
}

impl<'a> System<'a> {
    /// Whether thread `index` belongs to a passive partition: it has no
    /// time of its own.
    #[inline(always)]
    pub(super) fn is_passive(&self, index: usize) -> bool {
        self.partitions[self.threads[index].partition].passive
    }

    /// Links each partition's threads and the passive threads, each list
    /// in index order, and counts the active partitions still running.
    pub(super) fn link_threads(&mut self) {
        for partition in self.partitions.iter_mut() {
            partition.first_thread = None;
        }
        self.first_passive = None;
        // Backwards, so that each list comes out in index order.
        for index in (0..self.threads.len()).rev() {
            let id = Some(index as u16);
            let thread = &mut self.threads[index];
            let partition = &mut self.partitions[thread.partition];
            thread.next_of_partition = partition.first_thread.replace(index as u16);
            thread.next_passive = if partition.passive {
                core::mem::replace(&mut self.first_passive, id)
            } else {
                None
            };
        }
        self.active_running = self
            .partitions
            .iter()
            .filter(|p| p.keeps_run_alive() && p.state == PartitionState::Running)
            .count();
    }

    /// The threads of `partition` (own and guest), in index order.
    pub(super) fn threads_of(&self, partition: usize) -> impl Iterator<Item = usize> + '_ {
        linked(self.threads, self.partitions[partition].first_thread, |t| {
            t.next_of_partition
        })
    }

    /// `partition` ends (`Finished` or `Stopped`); the run is over when no
    /// active partition is left running.
    pub(super) fn end_partition(&mut self, partition: usize, state: PartitionState) {
        let p = &mut self.partitions[partition];
        if p.state == PartitionState::Running && p.keeps_run_alive() {
            self.active_running -= 1;
        }
        p.state = state;
    }

    /// Chooses what runs in the current tick; the thread that ran last
    /// keeps the CPU against equal priorities.
    pub(super) fn dispatch(&mut self, machine: &mut impl Machine) -> Next {
        self.choose(machine, false)
    }

    /// As [`System::dispatch`], but the turn passes to the next of equal
    /// priority (a tick or a yield).
    pub(super) fn rotate(&mut self, machine: &mut impl Machine) -> Next {
        self.choose(machine, true)
    }

    fn choose(&mut self, machine: &mut impl Machine, rotate: bool) -> Next {
        if self.active_running == 0 {
            return self.end(EndReason::AllPartitionsEnded, machine);
        }
        let owner = self.owner;
        // Passive threads initialise first, until each has blocked once.
        if !self.initialised {
            let initialising =
                linked(self.threads, self.first_passive, |t| t.next_passive).find(|&t| {
                    let thread = &self.threads[t];
                    !thread.initialised && thread.state == ThreadState::Ready
                });
            if let Some(index) = initialising {
                self.current = Some(index);
                return Next::Partition(self.threads[index].partition);
            }
            self.initialised = true;
        }
        match self.pick(owner, rotate) {
            Some(index) => {
                self.current = Some(index);
                self.partitions[owner].last_run = self.turn_of(index);
                Next::Partition(self.threads[index].partition)
            }
            None => {
                self.current = None;
                Next::Idle
            }
        }
    }

    /// The partition whose window thread `index` runs in: its own, or for
    /// a passive thread the partition of its time owner (none if it has
    /// borrowed no time).
    fn runs_in(&self, index: usize) -> Option<usize> {
        let owner = self.time_owner(index)?;
        self.threads.get(owner).map(|t| t.partition)
    }

    /// Whose turn among equal priorities thread `index` runs on: its time
    /// owner's, or — when it answers the exception of a guest thread of its
    /// partition — that thread's, so a guest thread keeps its turn across
    /// its exceptions as a caller keeps it across a passive server's work.
    pub(super) fn turn_of(&self, index: usize) -> Option<usize> {
        let owner = self.time_owner(index)?;
        if !self.guests {
            return Some(owner);
        }
        let served = self.objects.threads.reply_target(ThreadId(owner as u16));
        match served.map(|caller| &self.threads[caller.index()]) {
            Some(caller)
                if caller.guest.is_some()
                    && caller.fault.is_some()
                    && caller.partition == self.threads[owner].partition =>
            {
                served.map(|caller| caller.index())
            }
            _ => Some(owner),
        }
    }

    /// The thread whose time thread `index` runs on: itself, or for a
    /// passive thread the end of its chain of loans (none if it has
    /// borrowed no time).
    #[inline(always)] // in the scheduler's loop
    pub(super) fn time_owner(&self, index: usize) -> Option<usize> {
        if !self.is_passive(index) {
            return Some(index);
        }
        let owner = self
            .objects
            .threads
            .owner_of(
                ThreadId(index as u16),
                passive_of(self.partitions, self.threads),
            )
            .ok()??;
        Some(owner.index())
    }

    /// The ready thread that runs in `partition`'s window with the highest
    /// priority; among equals, the first in round-robin order from the one
    /// that ran last (or, when `rotate`, after it). The candidates are the
    /// partition's own threads and the passive ones; a thread's place in
    /// the round is its index counted from the start, wrapping.
    fn pick(&self, partition: usize, rotate: bool) -> Option<usize> {
        let n = self.threads.len();
        let start = self.partitions[partition]
            .last_run
            .map_or(0, |last| last + usize::from(rotate))
            .min(n);
        // No division: the Cortex-A9 has none in ARM state.
        let place = |i: usize| if i >= start { i - start } else { i + n - start };
        // A passive partition's threads are all passive: they are
        // candidates on the passive list, not as its own.
        let p = &self.partitions[partition];
        let first_own = if p.passive { None } else { p.first_thread };
        let own = linked(self.threads, first_own, |t| t.next_of_partition).map(|i| (i, true));
        let passive = linked(self.threads, self.first_passive, |t| t.next_passive);
        // The highest priority wins, and among equals the earliest place.
        let mut best: Option<(u8, usize, usize)> = None;
        for (i, own) in own.chain(passive.map(|i| (i, false))) {
            let thread = &self.threads[i];
            if thread.state != ThreadState::Ready {
                continue;
            }
            let better = best.is_none_or(|(priority, at, _)| {
                thread.priority > priority || (thread.priority == priority && place(i) < at)
            });
            // An own thread is active: it runs on its own time, in this
            // window. A passive one runs in its time owner's.
            if better && (own || self.runs_in(i) == Some(partition)) {
                best = Some((thread.priority, place(i), i));
            }
        }
        best.map(|(_, _, i)| i)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::super::tests::{partition, thread, Rig};
    use super::*;
    use std::vec::Vec;

    /// A small xorshift generator: the same cases on every run.
    struct Random(u32);

    impl Random {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 17;
            self.0 ^= self.0 << 5;
            self.0 as usize % n
        }
    }

    /// The model: one pass over every thread in round-robin order from the
    /// window's last runner, the first ready one seen at the highest
    /// priority that runs in the window wins.
    fn model(system: &System<'_>, partition: usize, rotate: bool) -> Option<usize> {
        let n = system.threads.len();
        let start = system.partitions[partition]
            .last_run
            .map_or(0, |last| last + usize::from(rotate))
            .min(n);
        let mut best: Option<(u8, usize)> = None;
        for i in (start..n).chain(0..start) {
            let thread = &system.threads[i];
            if thread.state == ThreadState::Ready
                && best.is_none_or(|(p, _)| thread.priority > p)
                && system.runs_in(i) == Some(partition)
            {
                best = Some((thread.priority, i));
            }
        }
        best.map(|(_, i)| i)
    }

    #[test]
    fn the_choice_from_the_windows_threads_is_the_choice_from_all_threads() {
        let mut random = Random(0x5EED_1919);
        for _ in 0..300 {
            let partitions = 2 + random.below(63);
            let threads: Vec<_> = (0..1 + random.below(40))
                .map(|_| thread(random.below(partitions), random.below(4) as u8, 0x10_0000))
                .collect();
            let mut rig = Rig::new(threads);
            while rig.partitions.len() < partitions {
                rig.partitions.push(partition("p"));
            }
            let system = rig.system(&[(0, 1)], 0);
            system.check().unwrap();
            for _ in 0..20 {
                for t in system.threads.iter_mut() {
                    t.state = [
                        ThreadState::Ready,
                        ThreadState::Ready,
                        ThreadState::Blocked,
                        ThreadState::Exited,
                    ][random.below(4)];
                }
                let p = random.below(partitions);
                let own: Vec<usize> = system.threads_of(p).collect();
                system.partitions[p].last_run =
                    (!own.is_empty() && random.below(4) != 0).then(|| own[random.below(own.len())]);
                for rotate in [false, true] {
                    assert_eq!(system.pick(p, rotate), model(&system, p, rotate));
                }
            }
        }
    }
}
