//! The running system: partitions, threads and the schedule, and what the
//! kernel does on each event — a tick, a system call, a user fault.
//!
//! Every handler takes the interrupted thread's saved registers, updates
//! the state, picks what runs next and leaves its registers in the same
//! frame, so the entry code's return resumes it. The handlers are plain
//! Rust over a [`Machine`], tested on the host. They never panic on
//! anything a partition does.

use kernel_abi::exit;

use crate::exception::TrapFrame;
use crate::machine::{EndReason, Event, Machine, UserFault};
use crate::partition::{Partition, PartitionState};
use crate::schedule::Schedule;
use crate::syscall::{self, AfterCall};
use crate::thread::{Thread, ThreadState};

/// What the CPU runs after an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// A thread of this partition (its registers are in the frame).
    Partition(usize),
    /// Nothing can run: the idle loop (its registers are in the frame).
    Idle,
    /// The run is over, with this exit status.
    Shutdown(i32),
}

/// The system's state.
pub struct System<'a> {
    partitions: &'a mut [Partition],
    threads: &'a mut [Thread],
    schedule: Schedule,
    idle: TrapFrame,
    tick: u64,
    stop_after: u64,
    current: Option<usize>,
    last_run: [Option<usize>; boot_info::MAX_PARTITIONS],
}

impl<'a> System<'a> {
    /// A system ready to start. `idle` is the register frame of the idle
    /// loop; `stop_after_ms` of 0 means run until every partition ends.
    pub fn new(
        partitions: &'a mut [Partition],
        threads: &'a mut [Thread],
        schedule: Schedule,
        idle: TrapFrame,
        stop_after_ms: u32,
    ) -> System<'a> {
        System {
            partitions,
            threads,
            schedule,
            idle,
            tick: 0,
            stop_after: u64::from(stop_after_ms),
            current: None,
            last_run: [None; boot_info::MAX_PARTITIONS],
        }
    }

    /// The partitions.
    pub fn partitions(&self) -> &[Partition] {
        self.partitions
    }

    /// Ticks since the first window began.
    pub fn ticks(&self) -> u64 {
        self.tick
    }

    /// Picks the first thing to run and puts its registers in `frame`.
    pub fn start(&mut self, frame: &mut TrapFrame, machine: &mut impl Machine) -> Next {
        self.current = None;
        self.dispatch(frame, machine)
    }

    /// A tick: account the elapsed millisecond, then run whatever owns the
    /// next one.
    pub fn on_tick(&mut self, frame: &mut TrapFrame, machine: &mut impl Machine) -> Next {
        self.save(frame);
        let owner = self.schedule.owner_at(self.tick);
        self.partitions[owner].window_ticks += 1;
        if let Some(thread) = self.current {
            self.partitions[self.threads[thread].partition].running_ticks += 1;
        }
        self.tick += 1;
        if self.stop_after != 0 && self.tick >= self.stop_after {
            return self.end(EndReason::TimeLimit, machine);
        }
        self.dispatch(frame, machine)
    }

    /// A system call from the current thread.
    pub fn on_syscall(&mut self, frame: &mut TrapFrame, machine: &mut impl Machine) -> Next {
        let Some(index) = self.current else {
            // Only user threads can make system calls.
            return self.dispatch(frame, machine);
        };
        let partition = self.threads[index].partition;
        let after = syscall::handle(
            frame,
            partition as u8,
            &self.partitions[partition].space,
            machine,
        );
        match after {
            AfterCall::Continue => Next::Partition(partition),
            AfterCall::Yield => {
                self.save(frame);
                self.dispatch(frame, machine)
            }
            AfterCall::Exit => {
                self.save(frame);
                let thread = &mut self.threads[index];
                thread.state = ThreadState::Exited;
                let p = &self.partitions[partition];
                machine.report(Event::ThreadExited {
                    partition: &p.name,
                    thread: &thread.name,
                });
                let any_left = self
                    .threads
                    .iter()
                    .any(|t| t.partition == partition && t.state == ThreadState::Ready);
                if !any_left {
                    self.partitions[partition].state = PartitionState::Finished;
                    machine.report(Event::PartitionFinished {
                        partition: &self.partitions[partition].name,
                    });
                }
                self.current = None;
                self.dispatch(frame, machine)
            }
        }
    }

    /// The current thread faulted: stop its whole partition and report it.
    pub fn on_user_fault(
        &mut self,
        frame: &mut TrapFrame,
        fault: UserFault,
        machine: &mut impl Machine,
    ) -> Next {
        let Some(index) = self.current else {
            return self.dispatch(frame, machine);
        };
        self.save(frame);
        let partition = self.threads[index].partition;
        self.partitions[partition].state = PartitionState::Stopped;
        for thread in self.threads.iter_mut().filter(|t| t.partition == partition) {
            if thread.state == ThreadState::Ready {
                thread.state = ThreadState::Stopped;
            }
        }
        machine.report(Event::PartitionStopped {
            partition: &self.partitions[partition].name,
            thread: &self.threads[index].name,
            fault,
        });
        self.current = None;
        self.dispatch(frame, machine)
    }

    fn save(&mut self, frame: &TrapFrame) {
        if let Some(index) = self.current {
            self.threads[index].context = *frame;
        }
    }

    fn end(&mut self, reason: EndReason, machine: &mut impl Machine) -> Next {
        let faulted = self
            .partitions
            .iter()
            .any(|p| p.state == PartitionState::Stopped);
        let status = if faulted {
            exit::PARTITION_FAULT
        } else {
            exit::CLEAN
        };
        machine.report(Event::RunEnded { reason, status });
        Next::Shutdown(status)
    }

    /// Chooses what runs in the current tick and loads it into `frame`.
    fn dispatch(&mut self, frame: &mut TrapFrame, machine: &mut impl Machine) -> Next {
        if self
            .partitions
            .iter()
            .all(|p| p.state != PartitionState::Running)
        {
            return self.end(EndReason::AllPartitionsEnded, machine);
        }
        let owner = self.schedule.owner_at(self.tick);
        match self.pick(owner) {
            Some(index) => {
                self.current = Some(index);
                self.last_run[owner] = Some(index);
                *frame = self.threads[index].context;
                Next::Partition(owner)
            }
            None => {
                self.current = None;
                *frame = self.idle;
                Next::Idle
            }
        }
    }

    /// The ready thread of `partition` with the highest priority; among
    /// equals, the first after the one that ran last (round robin).
    fn pick(&self, partition: usize) -> Option<usize> {
        let ready = |i: &usize| {
            let t = &self.threads[*i];
            t.partition == partition && t.state == ThreadState::Ready
        };
        let best = (0..self.threads.len())
            .filter(ready)
            .map(|i| self.threads[i].priority)
            .max()?;
        let start = self.last_run[partition].map_or(0, |last| last + 1);
        let n = self.threads.len();
        (0..n)
            .map(|k| (start + k) % n)
            .find(|i| ready(i) && self.threads[*i].priority == best)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::exception::ExceptionKind;
    use crate::machine::tests::FakeMachine;
    use crate::mm::user_space::UserSpace;
    use crate::thread::ThreadStart;
    use boot_info::{Name, Schedule as ScheduleInfo, Window};
    use kernel_abi::syscall::Syscall;
    use std::vec::Vec;

    const IDLE_PC: u32 = 0xC000_1000;

    fn partition(name: &str) -> Partition {
        Partition {
            name: Name::try_from(name).unwrap(),
            asid: 1,
            space: UserSpace::new(),
            table: 0,
            state: PartitionState::Running,
            window_ticks: 0,
            running_ticks: 0,
        }
    }

    fn thread(partition: usize, priority: u8, pc: u32) -> Thread {
        let start = ThreadStart {
            entry: pc,
            stack_top: 0x20_0000,
            index: 0,
            argument: 0,
        };
        Thread::new(Name::try_from("t").unwrap(), partition, priority, start)
    }

    fn schedule(windows: &[(u8, u32)]) -> Schedule {
        let info = ScheduleInfo {
            major_frame_ms: windows.iter().map(|w| w.1).sum(),
            windows: windows
                .iter()
                .map(|&(partition, duration_ms)| Window {
                    partition,
                    duration_ms,
                })
                .collect(),
            stop_after_ms: 0,
        };
        Schedule::new(&info, 2).unwrap()
    }

    fn idle() -> TrapFrame {
        TrapFrame {
            pc: IDLE_PC,
            spsr: 0x13,
            ..TrapFrame::default()
        }
    }

    struct Rig {
        partitions: Vec<Partition>,
        threads: Vec<Thread>,
    }

    impl Rig {
        fn new(threads: Vec<Thread>) -> Rig {
            Rig {
                partitions: std::vec![partition("a"), partition("b")],
                threads,
            }
        }
        fn system(&mut self, windows: &[(u8, u32)], stop: u32) -> System<'_> {
            System::new(
                &mut self.partitions,
                &mut self.threads,
                schedule(windows),
                idle(),
                stop,
            )
        }
    }

    #[test]
    fn windows_share_time_in_their_ratio() {
        let mut rig = Rig::new(std::vec![thread(0, 1, 0x10_0000), thread(1, 1, 0x20_0000)]);
        let mut system = rig.system(&[(0, 1), (1, 3)], 400);
        let mut m = FakeMachine::new(0, 0);
        let mut frame = TrapFrame::default();
        let mut next = system.start(&mut frame, &mut m);
        let mut ran = [0u32; 2];
        while let Next::Partition(p) = next {
            ran[p] += 1;
            next = system.on_tick(&mut frame, &mut m);
        }
        assert_eq!(next, Next::Shutdown(exit::CLEAN));
        assert_eq!(ran, [100, 300]);
        assert_eq!(system.partitions()[0].running_ticks, 100);
        assert_eq!(system.partitions()[1].window_ticks, 300);
    }

    #[test]
    fn context_is_saved_and_restored_across_switches() {
        let mut rig = Rig::new(std::vec![thread(0, 1, 0x10_0000), thread(1, 1, 0x20_0000)]);
        let mut system = rig.system(&[(0, 1), (1, 1)], 0);
        let mut m = FakeMachine::new(0, 0);
        let mut frame = TrapFrame::default();
        assert_eq!(system.start(&mut frame, &mut m), Next::Partition(0));
        assert_eq!(frame.pc, 0x10_0000);
        frame.r[4] = 44;
        frame.pc = 0x10_0040;
        assert_eq!(system.on_tick(&mut frame, &mut m), Next::Partition(1));
        assert_eq!(frame.pc, 0x20_0000);
        assert_eq!(system.on_tick(&mut frame, &mut m), Next::Partition(0));
        assert_eq!((frame.pc, frame.r[4]), (0x10_0040, 44));
    }

    #[test]
    fn higher_priority_runs_first_and_equals_take_turns_on_yield() {
        let mut rig = Rig::new(std::vec![
            thread(0, 1, 0x10_0000),
            thread(0, 5, 0x10_1000),
            thread(0, 5, 0x10_2000),
            thread(1, 1, 0x20_0000),
        ]);
        let mut system = rig.system(&[(0, 10), (1, 10)], 0);
        let mut m = FakeMachine::new(0, 0);
        let mut frame = TrapFrame::default();
        system.start(&mut frame, &mut m);
        assert_eq!(frame.pc, 0x10_1000);
        frame.r[7] = Syscall::Yield as u32;
        system.on_syscall(&mut frame, &mut m);
        assert_eq!(frame.pc, 0x10_2000);
        assert_eq!(frame.r[0], 0);
        frame.r[7] = Syscall::Yield as u32;
        system.on_syscall(&mut frame, &mut m);
        assert_eq!(frame.pc, 0x10_1000, "round robin among priority 5 only");
    }

    #[test]
    fn exits_finish_partitions_and_the_run() {
        let mut rig = Rig::new(std::vec![thread(0, 1, 0x10_0000), thread(1, 1, 0x20_0000)]);
        let mut system = rig.system(&[(0, 1), (1, 1)], 0);
        let mut m = FakeMachine::new(0, 0);
        let mut frame = TrapFrame::default();
        system.start(&mut frame, &mut m);
        frame.r[7] = Syscall::ThreadExit as u32;
        assert_eq!(
            system.on_syscall(&mut frame, &mut m),
            Next::Idle,
            "a's window, nothing left of a"
        );
        assert_eq!(frame.pc, IDLE_PC);
        assert_eq!(system.on_tick(&mut frame, &mut m), Next::Partition(1));
        frame.r[7] = Syscall::ThreadExit as u32;
        assert_eq!(
            system.on_syscall(&mut frame, &mut m),
            Next::Shutdown(exit::CLEAN)
        );
        assert_eq!(system.partitions()[0].state, PartitionState::Finished);
        assert!(m.events.iter().any(|e| e.contains("PartitionFinished")));
    }

    #[test]
    fn a_fault_stops_only_its_partition() {
        let mut rig = Rig::new(std::vec![
            thread(0, 1, 0x10_0000),
            thread(0, 1, 0x10_1000),
            thread(1, 1, 0x20_0000)
        ]);
        let mut system = rig.system(&[(0, 1), (1, 1)], 0);
        let mut m = FakeMachine::new(0, 0);
        let mut frame = TrapFrame::default();
        system.start(&mut frame, &mut m);
        let fault = UserFault {
            exception: ExceptionKind::DataAbort,
            pc: 0x10_0010,
            fault: None,
        };
        assert_eq!(system.on_user_fault(&mut frame, fault, &mut m), Next::Idle);
        assert_eq!(system.partitions()[0].state, PartitionState::Stopped);
        assert_eq!(system.on_tick(&mut frame, &mut m), Next::Partition(1));
        assert_eq!(
            system.on_tick(&mut frame, &mut m),
            Next::Idle,
            "a's window stays a's"
        );
        assert_eq!(system.on_tick(&mut frame, &mut m), Next::Partition(1));
        frame.r[7] = Syscall::ThreadExit as u32;
        assert_eq!(
            system.on_syscall(&mut frame, &mut m),
            Next::Shutdown(exit::PARTITION_FAULT)
        );
        assert!(m.events[0].contains("PartitionStopped"));
    }

    #[test]
    fn syscalls_and_faults_from_idle_are_ignored() {
        let mut rig = Rig::new(std::vec![thread(1, 1, 0x20_0000)]);
        let mut system = rig.system(&[(0, 1), (1, 1)], 0);
        rig_partition_a_finished(&mut system);
        let mut m = FakeMachine::new(0, 0);
        let mut frame = TrapFrame::default();
        assert_eq!(system.start(&mut frame, &mut m), Next::Idle);
        let fault = UserFault {
            exception: ExceptionKind::Undefined,
            pc: 0,
            fault: None,
        };
        assert_eq!(system.on_user_fault(&mut frame, fault, &mut m), Next::Idle);
        assert_eq!(system.on_syscall(&mut frame, &mut m), Next::Idle);
    }

    fn rig_partition_a_finished(system: &mut System<'_>) {
        system.partitions[0].state = PartitionState::Finished;
    }
}
