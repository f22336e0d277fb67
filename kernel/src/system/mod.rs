//! The running system: partitions, threads, kernel objects and the
//! schedule, and what the kernel does on each event — a tick, a system
//! call, a user fault. IPC system calls are in [`ipc`]; a guest kernel's
//! address spaces and threads in [`address_space`] and [`guest_thread`];
//! a guest thread's `svc` and faults never reach the system-call table:
//! they become exception IPC ([`exception`]).
//!
//! The entry code stores the interrupted thread's registers straight into
//! its thread control block (or the idle loop's frame) — see
//! [`System::resume`] — so every handler works on saved registers in
//! place: it updates the state, picks what runs next, and the exit code
//! resumes [`System::resume`]. No handler copies a whole register frame.
//! The handlers are plain Rust over a [`Machine`], tested on the host.
//! They never panic on anything a partition does.

mod address_space;
#[cfg(test)]
mod cap_lifetime;
mod check;
mod choose;
mod control;
mod exception;
mod fastpath;
#[cfg(test)]
mod fastpath_equivalence;
mod frame_return;
mod frames;
#[cfg(test)]
mod guest_tests;
mod guest_thread;
mod ipc;
mod irq;
mod pager;
#[cfg(test)]
mod random_calls;
mod restart;
mod stop_signal;
mod tmem_baseline;

pub use restart::BootImage;

use kernel_abi::exit;
use kernel_abi::syscall::{Syscall, SyscallError};

use crate::exception::{ExceptionKind, TrapFrame};
use crate::ipc::message;
use crate::ipc::ThreadId;
use crate::machine::{EndReason, Event, Machine, UserFault};
use crate::objects::KernelObjects;
use crate::partition::{Partition, PartitionState};
use crate::request::Request;
use crate::schedule::{Schedule, WindowCursor};
use crate::syscall;
use crate::thread::{Thread, ThreadState};

/// Who runs after a system call, as its handler says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum After {
    /// The caller, at once: the call woke and blocked nobody.
    Resume,
    /// Whoever the scheduler picks: the call may have blocked the caller or
    /// woken someone.
    Schedule,
    /// The next thread of equal priority (a yield).
    Rotate,
}

/// What the CPU runs after an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// A thread of this partition (its registers: [`System::resume`]).
    Partition(usize),
    /// Nothing can run: the idle loop (its registers: [`System::resume`]).
    Idle,
    /// The run is over, with this exit status.
    Shutdown(i32),
}

/// The system's state.
pub struct System<'a> {
    partitions: &'a mut [Partition],
    threads: &'a mut [Thread],
    objects: KernelObjects<'a>,
    schedule: Schedule<'a>,
    /// The partition whose window the current tick is in (moved on with
    /// the tick by `cursor`, never searched for).
    owner: usize,
    /// Where the current tick is in the schedule.
    cursor: WindowCursor,
    idle: TrapFrame,
    tick: u64,
    stop_after: u64,
    current: Option<usize>,
    /// The first passive thread: the head of the list of threads that may
    /// run in any window on borrowed time.
    first_passive: Option<u16>,
    /// How many partitions the run waits for (neither passive nor a
    /// service) are still running: the run ends at 0.
    active_running: usize,
    /// Every passive thread has blocked once: none runs ahead of the
    /// schedule any more.
    initialised: bool,
    /// The call the fastpath made last, `(caller, server)`, while nothing
    /// else has happened since; its reply may take the fastpath too.
    fast_call: Option<(usize, usize)>,
    /// Whether the fastpath is used (tests turn it off to compare).
    fastpath: bool,
    /// Some thread is a guest thread (what only guest kernels need costs
    /// the other systems one test of this).
    guests: bool,
    /// What a restart rebuilds a partition from (none: no restarts).
    image: Option<restart::BootImage<'a>>,
}

impl<'a> System<'a> {
    /// A system ready to start. `idle` is the register frame of the idle
    /// loop; `stop_after_ms` of 0 means run until every active partition
    /// ends. (Whether a thread is passive is its partition's to say.)
    pub fn new(
        partitions: &'a mut [Partition],
        threads: &'a mut [Thread],
        objects: KernelObjects<'a>,
        schedule: Schedule<'a>,
        idle: TrapFrame,
        stop_after_ms: u32,
    ) -> System<'a> {
        for thread in threads.iter_mut() {
            if let (None, Some(partition)) = (thread.guest, partitions.get(thread.partition)) {
                (thread.table, thread.asid) = (partition.table, partition.asid);
            }
        }
        let guests = threads.iter().any(|t| t.guest.is_some());
        let mut system = System {
            partitions,
            threads,
            objects,
            owner: schedule.owner_at(0),
            cursor: WindowCursor::default(),
            schedule,
            idle,
            tick: 0,
            stop_after: u64::from(stop_after_ms),
            current: None,
            first_passive: None,
            active_running: 0,
            initialised: false,
            fast_call: None,
            fastpath: true,
            guests,
            image: None,
        };
        system.link_threads();
        system
    }

    /// The partitions.
    pub fn partitions(&self) -> &[Partition] {
        self.partitions
    }

    /// Ticks since the first window began.
    pub fn ticks(&self) -> u64 {
        self.tick
    }

    /// The thread that runs next, if a user thread does (its index in the
    /// system's threads).
    pub fn current_thread(&self) -> Option<usize> {
        self.current
    }

    /// The address space the thread that runs next runs in: the physical
    /// address of its first-level table and its ASID (its partition's, or
    /// for a guest thread its guest address space's).
    pub fn running_space(&self) -> Option<(usize, u8)> {
        let thread = &self.threads[self.current?];
        Some((thread.table, thread.asid))
    }

    /// The thread that runs next and its index, or `None` for the idle
    /// loop: what the CPU resumes and the address space it runs in.
    pub fn running_thread(&mut self) -> Option<(usize, &mut Thread)> {
        let index = self.current?;
        Some((index, &mut self.threads[index]))
    }

    /// Picks the first thing to run.
    pub fn start(&mut self, machine: &mut impl Machine) -> Next {
        self.current = None;
        self.dispatch(machine)
    }

    /// The registers the CPU resumes: the running thread's, or the idle
    /// loop's. The entry code stores the next exception's registers into
    /// the same place, so it must stay where it is until then.
    pub fn resume(&mut self) -> &mut TrapFrame {
        match self.current {
            Some(index) => &mut self.threads[index].context,
            None => &mut self.idle,
        }
    }

    /// A tick: account the elapsed millisecond, then run whatever owns the
    /// next one.
    pub fn on_tick(&mut self, machine: &mut impl Machine) -> Next {
        self.partitions[self.owner].window_ticks += 1;
        if let Some(thread) = self.current {
            self.partitions[self.threads[thread].partition].running_ticks += 1;
        }
        self.tick += 1;
        self.owner = self.schedule.advance(&mut self.cursor);
        if self.stop_after != 0 && self.tick >= self.stop_after {
            return self.end(EndReason::TimeLimit, machine);
        }
        self.fast_call = None;
        self.rotate(machine)
    }

    /// A system call from the current thread (its registers are saved in
    /// its thread control block): unless the fastpath takes it, decoded
    /// once into a [`Request`] (a register that encodes no argument refuses
    /// the call there), dispatched by one `match` to a handler that takes
    /// typed arguments, checks everything before it changes anything and
    /// says who runs next.
    #[inline(always)] // once, in the entry stub's handler: the hot path
    pub fn on_syscall(&mut self, machine: &mut impl Machine) -> Next {
        let Some(index) = self.current else {
            // Only user threads can make system calls.
            return self.dispatch(machine);
        };
        if self.guests && self.threads[index].guest.is_some() {
            return self.guest_exception(index, ExceptionKind::SupervisorCall, None, machine);
        }
        if let Some(next) = self.fastpath(index) {
            return next;
        }
        let thread = &mut self.threads[index];
        let Some(call) = Syscall::from_number(thread.context.r[7]) else {
            message::fail(&mut thread.context, SyscallError::UnknownSyscall);
            return Next::Partition(thread.partition);
        };
        if call == Syscall::ReplyRecv {
            if let Some(next) = self.fast_pager_reply(index, machine) {
                return next;
            }
        }
        if !fastpath::leaves_readiness(call) {
            self.fast_call = None;
        }
        let thread = &mut self.threads[index];
        let request = match Request::decode(call, &thread.context) {
            Ok(request) => request,
            Err(error) => {
                message::fail(&mut thread.context, error);
                return Next::Partition(thread.partition);
            }
        };
        let (result, after) = match request {
            Request::Log { frame, len } => (self.log(index, frame, len, machine), After::Resume),
            Request::Yield => (Ok(()), After::Rotate),
            Request::ThreadExit => return self.exit(index, machine),
            Request::ClockRead { out } => (self.clock_read(index, out, machine), After::Resume),
            Request::Call(request) => {
                let result = self.send(index, request, true, machine);
                self.note_refused_call(index, &result);
                (result, After::Schedule)
            }
            Request::ReplyRecv(reply) => (
                self.receive(index, reply.slot, Some(reply), machine),
                After::Schedule,
            ),
            Request::Send(request) => (self.send(index, request, false, machine), After::Schedule),
            // The receive slot was checked in decoding; it is read again
            // when a message arrives.
            Request::Recv { endpoint, .. } => (
                self.receive(index, endpoint, None, machine),
                After::Schedule,
            ),
            Request::Signal { notification, bits } => {
                (self.signal(index, (notification, bits)), After::Schedule)
            }
            Request::Wait { notification } => (self.wait(index, notification), After::Schedule),
            Request::Poll { notification } => (self.poll(index, notification), After::Resume),
            Request::FrameMap {
                frame,
                address,
                rights,
            } => (
                self.frame_map(index, (frame, address, rights), machine),
                After::Resume,
            ),
            Request::FrameUnmap { frame } => {
                (self.frame_unmap(index, frame, machine), After::Resume)
            }
            Request::CapCopy {
                source,
                destination,
                rights,
            } => (
                self.cap_copy(index, (source, destination, rights)),
                After::Resume,
            ),
            Request::CapRevoke { slot } => (self.cap_revoke(index, slot, machine), After::Resume),
            Request::CapDelete { slot } => (self.cap_delete(index, slot, machine), After::Resume),
            Request::IrqAck { irq } => (self.irq_ack(index, irq, machine), After::Resume),
            Request::PartitionStatus { control, partition } => (
                self.partition_status(index, (control, partition)),
                After::Resume,
            ),
            Request::PartitionStop { control, partition } => (
                self.partition_stop(index, (control, partition), machine),
                After::Schedule,
            ),
            Request::PartitionRestart { control, partition } => (
                self.partition_restart(index, (control, partition), machine),
                After::Schedule,
            ),
            Request::FrameSplit {
                frame,
                page,
                destination,
            } => (
                self.frame_split(index, (frame, page, destination)),
                After::Resume,
            ),
            Request::FrameReach {
                control,
                partition,
                slot,
            } => (
                self.frame_reach(index, ((control, partition), slot), machine),
                After::Resume,
            ),
            Request::SpaceMap {
                space,
                frame,
                address,
                rights,
            } => (
                self.space_map(index, (space, frame, address, rights), machine),
                After::Resume,
            ),
            Request::SpaceUnmap {
                space,
                address,
                pages,
            } => (
                self.space_unmap(index, (space, address, pages), machine),
                After::Resume,
            ),
            Request::SpaceReset { space } => {
                (self.space_reset(index, space, machine), After::Resume)
            }
            Request::ThreadBind {
                thread,
                space,
                exception,
            } => (
                self.thread_bind(index, (thread, space, exception)),
                After::Resume,
            ),
            Request::ThreadSetPriority { thread, priority } => (
                self.thread_set_priority(index, (thread, priority)),
                After::Schedule,
            ),
            Request::ThreadReadRegisters { thread, out } => (
                self.thread_read_registers(index, (thread, out), machine),
                After::Resume,
            ),
            Request::ThreadWriteRegisters { thread, from } => (
                self.thread_write_registers(index, (thread, from), machine),
                After::Resume,
            ),
            // A thread resumed below the caller's priority cannot preempt
            // it, and a suspend makes no thread ready: the caller runs on.
            Request::ThreadResume { thread } => match self.thread_resume(index, thread) {
                Ok(preempts) if preempts => (Ok(()), After::Schedule),
                result => (result.map(|_| ()), After::Resume),
            },
            Request::ThreadSuspend { thread } => {
                (self.thread_suspend(index, thread, machine), After::Resume)
            }
            Request::TmemBaseline { registers } => {
                (self.tmem_baseline(index, registers), After::Resume)
            }
        };
        let thread = &mut self.threads[index];
        set_result(thread, result);
        match after {
            After::Resume if thread.state == ThreadState::Ready => {
                Next::Partition(thread.partition)
            }
            After::Resume | After::Schedule => self.dispatch(machine),
            After::Rotate => self.rotate(machine),
        }
    }

    /// `log(frame, len)` from thread `index`.
    fn log(
        &mut self,
        index: usize,
        frame: u32,
        len: u32,
        machine: &mut impl Machine,
    ) -> Result<(), SyscallError> {
        let partition = self.threads[index].partition;
        let space = &self.partitions[partition].space;
        syscall::log(frame, len, partition as u8, space, machine)
    }

    /// `clock_read(out)` from thread `index`.
    fn clock_read(
        &mut self,
        index: usize,
        out: u32,
        machine: &mut impl Machine,
    ) -> Result<(), SyscallError> {
        let space = &self.partitions[self.threads[index].partition].space;
        syscall::clock_read(out, space, machine)
    }

    /// `thread_exit()` from thread `index`: it leaves IPC and ends; its
    /// partition finishes with its last thread, and the endpoints only it
    /// could receive on close.
    fn exit(&mut self, index: usize, machine: &mut impl Machine) -> Next {
        let partition = self.threads[index].partition;
        self.release_ipc(index, machine);
        let thread = &mut self.threads[index];
        thread.state = ThreadState::Exited;
        let p = &self.partitions[partition];
        machine.report(Event::ThreadExited {
            partition: &p.name,
            thread: &thread.name,
        });
        // A guest kernel's processes do not outlive it: the partition
        // finishes with its last own thread.
        let any_left = self.threads_of(partition).any(|t| {
            let t = &self.threads[t];
            t.guest.is_none() && matches!(t.state, ThreadState::Ready | ThreadState::Blocked)
        });
        if !any_left {
            self.end_partition(partition, PartitionState::Finished);
            self.end_guest_objects(partition, machine);
            // As on a stop: what only it received on closes, and whoever
            // waits there to send is woken (`PeerGone`), not left for ever.
            self.release_endpoints_of(partition);
            machine.report(Event::PartitionFinished {
                partition: &self.partitions[partition].name,
            });
        }
        self.current = None;
        self.dispatch(machine)
    }

    /// The current thread faulted: a guest thread's exception goes to its
    /// handler; a fault in the grant window to the partition's pager, if it
    /// has one; otherwise its whole partition stops, reported.
    pub fn on_user_fault(&mut self, fault: UserFault, machine: &mut impl Machine) -> Next {
        let Some(index) = self.current else {
            return self.dispatch(machine);
        };
        self.fast_call = None;
        if self.threads[index].guest.is_some() {
            return self.guest_exception(index, fault.exception, fault.fault, machine);
        }
        if let Some(next) = self.fast_page_fault(index, fault) {
            return next;
        }
        if self.page_fault_to_pager(index, fault, machine) {
            self.current = None;
            return self.dispatch(machine);
        }
        self.stop_partition_of(index, fault, machine);
        self.current = None;
        self.dispatch(machine)
    }

    /// Stops the partition of thread `index`, which took `fault`: every
    /// thread of it leaves IPC (its callers and waiters get `PeerGone`).
    fn stop_partition_of(&mut self, index: usize, fault: UserFault, machine: &mut impl Machine) {
        let partition = self.threads[index].partition;
        self.stop_partition(partition, machine);
        machine.report(Event::PartitionStopped {
            partition: &self.partitions[partition].name,
            thread: &self.threads[index].name,
            fault,
        });
    }

    /// Guest thread `index` executed `svc` or took a fault (`exception`,
    /// with the decoded abort if it was one): its handler gets it, and
    /// whatever can run next runs.
    fn guest_exception(
        &mut self,
        index: usize,
        exception: ExceptionKind,
        fault: Option<crate::fault::Fault>,
        machine: &mut impl Machine,
    ) -> Next {
        let fault = UserFault {
            exception,
            pc: self.threads[index].context.pc,
            fault,
        };
        if let Some(next) = self.fast_exception(index, fault, machine) {
            return next;
        }
        self.fast_call = None;
        self.exception_to_handler(index, fault, machine);
        self.current = None;
        self.dispatch(machine)
    }

    /// Stops `partition`: every thread of it leaves IPC (its callers and
    /// waiters get `PeerGone`), endpoints only it received on close, and
    /// its guest address spaces are emptied.
    fn stop_partition(&mut self, partition: usize, machine: &mut impl Machine) {
        self.end_partition(partition, PartitionState::Stopped);
        // Every loan its calls made ends first, so a capability one of its
        // threads lent on no longer keeps another's caller from getting
        // back what it transferred (`return_passed`).
        let mut next = self.partitions[partition].first_thread;
        while let Some(t) = next.map(usize::from) {
            next = self.threads[t].next_of_partition;
            self.end_transient(t, machine);
        }
        let mut next = self.partitions[partition].first_thread;
        while let Some(t) = next.map(usize::from) {
            next = self.threads[t].next_of_partition;
            let thread = &self.threads[t];
            if matches!(
                thread.state,
                ThreadState::Ready | ThreadState::Blocked | ThreadState::Suspended
            ) {
                self.release_ipc(t, machine);
                self.threads[t].fault = None;
                self.threads[t].state = ThreadState::Stopped;
            }
        }
        self.end_guest_objects(partition, machine);
        self.release_endpoints_of(partition);
        self.signal_stop(partition);
    }

    /// `partition` ended (stopped, or its last own thread exited): its
    /// guest threads stop and its guest address spaces are emptied, their
    /// page tables back in the budget and their mappings forgotten.
    fn end_guest_objects(&mut self, partition: usize, machine: &mut impl Machine) {
        let mut next = self.partitions[partition].first_thread;
        while let Some(t) = next.map(usize::from) {
            next = self.threads[t].next_of_partition;
            let thread = &self.threads[t];
            if thread.guest.is_some() && thread.state != ThreadState::Stopped {
                self.release_ipc(t, machine);
                self.threads[t].fault = None;
                self.threads[t].state = ThreadState::Stopped;
            }
        }
        for s in 0..self.objects.guests.count() {
            let space = crate::cap::SpaceId(s as u16);
            if self
                .objects
                .guests
                .get(space)
                .map(|g| usize::from(g.partition))
                == Some(partition)
            {
                self.reset_space(space, machine);
            }
        }
    }

    /// Takes thread `index` out of all IPC: whoever waits on it (a caller
    /// awaiting its reply, a caller whose time it was serving on) gets
    /// `PeerGone`.
    fn release_ipc(&mut self, index: usize, machine: &mut impl Machine) {
        self.end_transient(index, machine);
        // A capability its own unanswered call transferred stays with the
        // server.
        self.end_passed(index);
        let id = ThreadId(index as u16);
        // At most one caller waits on this thread: the one its reply right
        // answers (a thread whose time it borrows but that waits on
        // something else — it only sent — is not woken: nothing of its
        // own ended).
        let mut caller = None;
        let cancelled =
            self.objects
                .endpoints
                .cancel_thread(&mut self.objects.threads, id, |waiting| {
                    caller = Some(waiting)
                });
        let unqueued = self
            .objects
            .notifications
            .cancel_thread(&mut self.objects.threads, id);
        let unloaned = self.objects.threads.cancel_loans(id);
        debug_assert!(cancelled.is_ok() && unqueued.is_ok() && unloaned.is_ok());
        if let Some(caller) = caller.map(|c| c.index()) {
            self.end_transient(caller, machine);
            let returned = self.return_passed(caller, index, machine);
            let thread = &self.threads[caller];
            // Its `r6` says where what its call transferred is (a fault's
            // registers are the faulting thread's own, a guest thread's
            // its process's: left alone).
            let called = thread.fault.is_none() && thread.guest.is_none();
            self.fail_blocked(caller, SyscallError::PeerGone);
            if called {
                self.threads[caller].context.r[6] = frame_return::peer_gone_info(returned);
            }
        }
    }

    /// Whether `partition` holds a capability to receive on `endpoint`.
    fn can_receive(&self, partition: usize, endpoint: crate::cap::EndpointId) -> bool {
        self.objects.caps.space(partition as u8).is_ok_and(|space| {
            space.iter().flatten().any(|cap| {
                cap.object == crate::cap::CapObject::Endpoint(endpoint)
                    && cap.rights.contains(kernel_abi::cap::Rights::READ)
            })
        })
    }

    /// `partition` was stopped or finished: every endpoint it could
    /// receive on that no running partition can receive on is closed, and
    /// the threads queued on it are woken with `PeerGone`.
    /// O(endpoints × slots): a stop, not a hot path.
    fn release_endpoints_of(&mut self, partition: usize) {
        for e in 0..self.objects.endpoints.count() {
            let ep = crate::cap::EndpointId(e as u16);
            if self.can_receive(partition, ep) {
                self.close_if_unserved(ep);
            }
        }
    }

    /// Closes `ep` if no running partition can receive on it (its last
    /// receive capability went, or the last partition holding one stopped
    /// or finished), waking every thread queued there with `PeerGone`.
    /// O(slots).
    pub(super) fn close_if_unserved(&mut self, ep: crate::cap::EndpointId) {
        let served = (0..self.partitions.len()).any(|p| {
            self.partitions[p].state == PartitionState::Running && self.can_receive(p, ep)
        });
        if served || ep.0 as usize >= self.objects.endpoints.count() {
            return;
        }
        // The endpoint exists: it is below the count.
        let closed = self.objects.endpoints.close(ep);
        debug_assert!(closed.is_ok());
        // Every thread queued there is woken as it leaves the queue:
        // there is no list to overflow.
        let threads = &mut *self.threads;
        let caps = &self.objects.caps;
        let cancelled =
            self.objects
                .endpoints
                .cancel_endpoint(&mut self.objects.threads, ep, |t| {
                    frame_return::note_undelivered_call(threads, caps, t.index());
                    fail_blocked(threads, t.index(), SyscallError::PeerGone);
                });
        debug_assert!(cancelled.is_ok(), "endpoints below the count exist");
    }

    /// Makes a blocked thread runnable with `error` as its call's result.
    fn fail_blocked(&mut self, index: usize, error: SyscallError) {
        fail_blocked(self.threads, index, error);
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
}

/// Gives `thread` the result of the system call it made (the fastpath's
/// and the slow path's one way): a thread that now waits gets its code
/// from whoever wakes it.
fn set_result(thread: &mut Thread, result: Result<(), SyscallError>) {
    match result {
        Ok(()) if thread.state == ThreadState::Blocked => thread.initialised = true,
        Ok(()) => message::succeed(&mut thread.context),
        Err(error) => message::fail(&mut thread.context, error),
    }
}

/// Makes blocked thread `index` of `threads` runnable with `error` as its
/// call's result — or, for a guest thread (whose only calls are its
/// exceptions, and whose registers are its process's), suspends it as it
/// is: its guest kernel decides what becomes of it. A fault it waited on
/// is forgotten either way.
fn fail_blocked(threads: &mut [Thread], index: usize, error: SyscallError) {
    if let Some(thread) = threads.get_mut(index) {
        if thread.state == ThreadState::Blocked {
            thread.fault = None;
            if thread.guest.is_some() {
                thread.state = ThreadState::Suspended;
                return;
            }
            crate::ipc::message::fail(&mut thread.context, error);
            thread.state = ThreadState::Ready;
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
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

    pub(super) fn partition(name: &str) -> Partition {
        Partition {
            name: Name::try_from(name).unwrap(),
            asid: 1,
            space: UserSpace::new(),
            table: 0,
            state: PartitionState::Running,
            window_ticks: 0,
            running_ticks: 0,
            passive: false,
            service: false,
            grant_table: 0x6100_0000,
            pager: None,
            first_thread: None,
            last_run: None,
            memory: 0,
            restarts: 0,
        }
    }

    pub(super) fn thread(partition: usize, priority: u8, pc: u32) -> Thread {
        let start = ThreadStart {
            entry: pc,
            stack_top: 0x20_0000,
            index: 0,
            config: (0, 0),
        };
        Thread::new(Name::try_from("t").unwrap(), partition, priority, start)
    }

    fn schedule(windows: &[(u8, u32)]) -> Schedule<'static> {
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
        Schedule::new(&info, 3, std::vec![(0, 0); info.windows.len()].leak()).unwrap()
    }

    fn idle() -> TrapFrame {
        TrapFrame {
            pc: IDLE_PC,
            spsr: 0x13,
            ..TrapFrame::default()
        }
    }

    pub(super) struct Rig {
        pub partitions: Vec<Partition>,
        pub threads: Vec<Thread>,
        /// A guest budget: the partition, the budget, and the index of its
        /// first guest thread.
        pub guest: Option<(u8, boot_info::GuestBudget, u16)>,
    }

    /// The frames a rig's boot capabilities may name, as (base, bytes):
    /// `Frame(0)` two pages, `Frame(1)` one, `Frame(2)` two and a half
    /// megabytes on a megabyte boundary, `Frame(3)` two megabytes that
    /// start half-way through one.
    pub(crate) const BOOT_FRAMES: [(usize, u32); 4] = [
        (0x6200_0000, 0x2000),
        (0x6201_0000, 0x1000),
        (0x6300_0000, 0x28_0000),
        (0x6388_0000, 0x20_0000),
    ];

    /// Where a rig's guest first-level tables start in fake RAM (a
    /// machine over [`GUEST_RAM`]`..+`[`GUEST_RAM_SIZE`] holds them, the
    /// page tables after them, and room for IPC buffers at the end).
    pub(crate) const GUEST_RAM: usize = 0x6101_0000;
    /// Bytes of fake RAM a guest rig's tables need, with room to spare.
    pub(super) const GUEST_RAM_SIZE: usize = 0x2_0000;

    impl Rig {
        pub fn new(threads: Vec<Thread>) -> Rig {
            Rig {
                partitions: std::vec![partition("a"), partition("b")],
                threads,
                guest: None,
            }
        }

        /// Partition `partition` becomes a guest kernel with `budget`: its
        /// guest threads join the end of the thread table.
        pub fn with_guest(mut self, partition: u8, budget: boot_info::GuestBudget) -> Rig {
            let first = self.threads.len() as u16;
            for number in 0..budget.threads {
                let name = Name::try_from("g").unwrap();
                self.threads
                    .push(Thread::guest(name, usize::from(partition), number));
            }
            self.guest = Some((partition, budget, first));
            self
        }

        /// A third partition, `s`, passive.
        pub fn with_passive_server(mut self) -> Rig {
            let mut server = partition("s");
            server.passive = true;
            self.partitions.push(server);
            self
        }

        /// With interrupt line `irq.0` bound to notification `irq.1`, bits `irq.2`.
        pub fn system_with_irq(
            &mut self,
            windows: &[(u8, u32)],
            caps: &[(u8, u16, boot_info::CapObjectInfo, u32, u32)],
            irq: (u32, u16, u32),
        ) -> System<'_> {
            let mut system = self.system_with_caps_and_irqs(windows, 0, caps, &[irq]);
            system.objects.bind_irqs(&irq_info(&[irq])).unwrap();
            system
        }

        pub fn system(&mut self, windows: &[(u8, u32)], stop: u32) -> System<'_> {
            self.system_with_caps(windows, stop, &[])
        }

        /// With endpoints 0 and 1, notifications 0 and 1, and `caps` as
        /// (partition, slot, object, rights, badge).
        pub fn system_with_caps(
            &mut self,
            windows: &[(u8, u32)],
            stop: u32,
            caps: &[(u8, u16, boot_info::CapObjectInfo, u32, u32)],
        ) -> System<'_> {
            self.system_with_caps_and_irqs(windows, stop, caps, &[])
        }

        fn system_with_caps_and_irqs(
            &mut self,
            windows: &[(u8, u32)],
            stop: u32,
            caps: &[(u8, u16, boot_info::CapObjectInfo, u32, u32)],
            irqs: &[(u32, u16, u32)],
        ) -> System<'_> {
            let slot_count = self.guest.map_or(8, |(_, b, _)| 8.max(b.end_slot() as u16));
            let slots = std::vec![slot_count; self.partitions.len()];
            let spaces = self.guest_spaces();
            let mut objects = crate::objects::tests::objects_with_guests(
                &slots,
                self.threads.len(),
                spaces,
                self.guest.map(|(p, b, _)| (p, b.page_tables)),
            );
            if let Some((partition, budget, first)) = self.guest {
                objects
                    .grant_guest_caps(partition, &budget, 0, first)
                    .unwrap();
            }
            let mut info = irq_info(irqs);
            info.caps = caps
                .iter()
                .map(
                    |&(partition, slot, object, rights, badge)| boot_info::CapInfo {
                        partition,
                        slot,
                        object,
                        rights,
                        badge,
                    },
                )
                .collect();
            objects.grant_boot_caps(&info, &BOOT_FRAMES).unwrap();
            System::new(
                &mut self.partitions,
                &mut self.threads,
                objects,
                schedule(windows),
                idle(),
                stop,
            )
        }
    }

    impl Rig {
        /// The guest budget's address spaces: ASIDs after the
        /// partitions', first-level tables from [`GUEST_RAM`], 8 KiB each.
        fn guest_spaces(&self) -> Vec<crate::mm::guest_space::GuestSpace> {
            let Some((partition, budget, _)) = self.guest else {
                return Vec::new();
            };
            (0..usize::from(budget.address_spaces))
                .map(|k| crate::mm::guest_space::GuestSpace {
                    partition,
                    asid: (self.partitions.len() + k + 1) as u8,
                    table: GUEST_RAM + k * crate::mm::guest_space::L1_BYTES,
                    mapped: 0,
                })
                .collect()
        }
    }

    /// Host tests drive the system as the CPU does: `frame` holds the
    /// registers the CPU runs with. Each event stores them where the entry
    /// code would (the running thread's control block, or the idle loop's
    /// frame), runs the handler, and loads what the exit code resumes.
    impl<'a> System<'a> {
        pub(crate) fn cpu_start(&mut self, frame: &mut TrapFrame, m: &mut FakeMachine) -> Next {
            let next = self.start(m);
            *frame = *self.resume();
            next
        }

        pub(crate) fn cpu_syscall(&mut self, frame: &mut TrapFrame, m: &mut FakeMachine) -> Next {
            *self.resume() = *frame;
            let next = self.on_syscall(m);
            *frame = *self.resume();
            next
        }

        pub(crate) fn cpu_tick(&mut self, frame: &mut TrapFrame, m: &mut FakeMachine) -> Next {
            *self.resume() = *frame;
            let next = self.on_tick(m);
            *frame = *self.resume();
            next
        }

        pub(crate) fn cpu_fault(
            &mut self,
            frame: &mut TrapFrame,
            fault: UserFault,
            m: &mut FakeMachine,
        ) -> Next {
            *self.resume() = *frame;
            let next = self.on_user_fault(fault, m);
            *frame = *self.resume();
            next
        }

        pub(crate) fn cpu_irq(
            &mut self,
            irq: u32,
            frame: &mut TrapFrame,
            m: &mut FakeMachine,
        ) -> Next {
            *self.resume() = *frame;
            let next = self.on_irq(irq, m);
            *frame = *self.resume();
            next
        }
    }

    fn irq_info(irqs: &[(u32, u16, u32)]) -> boot_info::BootInfo<'static> {
        let mut info = empty_info();
        info.irqs = irqs
            .iter()
            .map(|&(number, notification, bits)| boot_info::IrqInfo {
                number,
                notification,
                bits,
            })
            .collect();
        info
    }

    /// Makes system call `n` from the running thread with `r` in r0...
    pub(super) fn call(
        system: &mut System<'_>,
        frame: &mut TrapFrame,
        m: &mut FakeMachine,
        n: Syscall,
        r: &[u32],
    ) {
        frame.r[7] = n as u32;
        frame.r[..r.len()].copy_from_slice(r);
        system.cpu_syscall(frame, m);
    }

    /// The data abort the rigs' partition b takes to be stopped.
    pub(super) const B_FAULT: UserFault = UserFault {
        exception: ExceptionKind::DataAbort,
        pc: 0xB010,
        fault: None,
    };

    pub(super) fn empty_info() -> boot_info::BootInfo<'static> {
        boot_info::BootInfo {
            system: Name::new(),
            partitions: Default::default(),
            schedule: ScheduleInfo {
                major_frame_ms: 1,
                windows: Default::default(),
                stop_after_ms: 0,
            },
            shared: Default::default(),
            devices: Default::default(),
            endpoints: 2,
            notifications: 2,
            caps: Default::default(),
            frames: [0x2000, 0x1000].into_iter().collect(),
            irqs: Default::default(),
            stop_notification: None,
        }
    }

    #[test]
    fn windows_share_time_in_their_ratio() {
        let mut rig = Rig::new(std::vec![thread(0, 1, 0x10_0000), thread(1, 1, 0x20_0000)]);
        let mut system = rig.system(&[(0, 1), (1, 3)], 400);
        let mut m = FakeMachine::new(0, 0);
        let mut frame = TrapFrame::default();
        let mut next = system.cpu_start(&mut frame, &mut m);
        let mut ran = [0u32; 2];
        while let Next::Partition(p) = next {
            ran[p] += 1;
            next = system.cpu_tick(&mut frame, &mut m);
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
        assert_eq!(system.cpu_start(&mut frame, &mut m), Next::Partition(0));
        assert_eq!(frame.pc, 0x10_0000);
        frame.r[4] = 44;
        frame.pc = 0x10_0040;
        assert_eq!(system.cpu_tick(&mut frame, &mut m), Next::Partition(1));
        assert_eq!(frame.pc, 0x20_0000);
        assert_eq!(system.cpu_tick(&mut frame, &mut m), Next::Partition(0));
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
        system.cpu_start(&mut frame, &mut m);
        assert_eq!(frame.pc, 0x10_1000);
        frame.r[7] = Syscall::Yield as u32;
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!(frame.pc, 0x10_2000);
        assert_eq!(frame.r[0], 0);
        frame.r[7] = Syscall::Yield as u32;
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!(frame.pc, 0x10_1000, "round robin among priority 5 only");
    }

    #[test]
    fn unknown_call_numbers_are_refused_and_the_caller_runs_on() {
        let mut rig = Rig::new(std::vec![thread(0, 1, 0x10_0000), thread(1, 1, 0x20_0000)]);
        let mut system = rig.system(&[(0, 1), (1, 1)], 0);
        let mut m = FakeMachine::new(0, 0);
        let mut frame = TrapFrame::default();
        system.cpu_start(&mut frame, &mut m);
        for number in [0, 32, 99, 0x123456, u32::MAX] {
            frame.r[7] = number;
            assert_eq!(system.cpu_syscall(&mut frame, &mut m), Next::Partition(0));
            assert_eq!(frame.r[0], SyscallError::UnknownSyscall as u32);
            assert_eq!(frame.pc, 0x10_0000);
        }
    }

    #[test]
    fn exits_finish_partitions_and_the_run() {
        let mut rig = Rig::new(std::vec![thread(0, 1, 0x10_0000), thread(1, 1, 0x20_0000)]);
        let mut system = rig.system(&[(0, 1), (1, 1)], 0);
        let mut m = FakeMachine::new(0, 0);
        let mut frame = TrapFrame::default();
        system.cpu_start(&mut frame, &mut m);
        frame.r[7] = Syscall::ThreadExit as u32;
        assert_eq!(
            system.cpu_syscall(&mut frame, &mut m),
            Next::Idle,
            "a's window, nothing left of a"
        );
        assert_eq!(frame.pc, IDLE_PC);
        assert_eq!(system.cpu_tick(&mut frame, &mut m), Next::Partition(1));
        frame.r[7] = Syscall::ThreadExit as u32;
        assert_eq!(
            system.cpu_syscall(&mut frame, &mut m),
            Next::Shutdown(exit::CLEAN)
        );
        assert_eq!(system.partitions()[0].state, PartitionState::Finished);
        assert!(m.events.iter().any(|e| e.contains("PartitionFinished")));
    }

    #[test]
    fn the_run_does_not_wait_for_a_service() {
        let mut rig = Rig::new(std::vec![thread(0, 1, 0x10_0000), thread(1, 1, 0x20_0000)]);
        rig.partitions[1].service = true;
        let mut system = rig.system(&[(0, 1), (1, 1)], 0);
        let mut m = FakeMachine::new(0, 0);
        let mut frame = TrapFrame::default();
        system.cpu_start(&mut frame, &mut m);
        assert_eq!(system.check(), Ok(()));
        frame.r[7] = Syscall::ThreadExit as u32;
        assert_eq!(
            system.cpu_syscall(&mut frame, &mut m),
            Next::Shutdown(exit::CLEAN),
            "a was the only partition the run waited for"
        );
        assert_eq!(system.partitions()[1].state, PartitionState::Running);
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
        system.cpu_start(&mut frame, &mut m);
        let fault = UserFault {
            exception: ExceptionKind::DataAbort,
            pc: 0x10_0010,
            fault: None,
        };
        assert_eq!(system.cpu_fault(&mut frame, fault, &mut m), Next::Idle);
        assert_eq!(system.partitions()[0].state, PartitionState::Stopped);
        assert_eq!(system.cpu_tick(&mut frame, &mut m), Next::Partition(1));
        assert_eq!(
            system.cpu_tick(&mut frame, &mut m),
            Next::Idle,
            "a's window stays a's"
        );
        assert_eq!(system.cpu_tick(&mut frame, &mut m), Next::Partition(1));
        frame.r[7] = Syscall::ThreadExit as u32;
        assert_eq!(
            system.cpu_syscall(&mut frame, &mut m),
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
        assert_eq!(system.cpu_start(&mut frame, &mut m), Next::Idle);
        let fault = UserFault {
            exception: ExceptionKind::Undefined,
            pc: 0,
            fault: None,
        };
        assert_eq!(system.cpu_fault(&mut frame, fault, &mut m), Next::Idle);
        assert_eq!(system.cpu_syscall(&mut frame, &mut m), Next::Idle);
    }

    fn rig_partition_a_finished(system: &mut System<'_>) {
        system.end_partition(0, PartitionState::Finished);
    }
}
