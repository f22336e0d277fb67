//! Threads: a saved user register context and a place in the schedule.
//!
//! Most threads come from the system description and run in their
//! partition's own address space. A guest kernel's partition also has
//! guest threads (from its `guest` budget): they start suspended, run in a
//! guest address space their partition binds them to, and never make
//! kernel system calls — their exceptions go to an endpoint instead (see
//! `system::exception`).
//!
//! Floating point: partitions are built for the soft-float
//! `armv7a-none-eabi` target and the kernel leaves VFP/NEON disabled
//! (CPACR), so there is no FP state to save; a VFP instruction in a
//! partition is an undefined instruction and stops that partition.

use boot_info::Name;

use crate::cap::SpaceId;
use crate::exception::TrapFrame;

/// CPSR of a fresh user thread: User mode, ARM state, IRQs enabled, FIQs
/// masked.
pub const USER_PSR: u32 = 0x10 | (1 << 6);

/// Where a thread is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadState {
    /// Can run when its partition's window is active (or, for a passive
    /// thread, when its time owner's is).
    Ready,
    /// Waiting in IPC: to send, to receive, for a reply, or on a
    /// notification.
    Blocked,
    /// Called `thread_exit`.
    Exited,
    /// Its partition was stopped.
    Stopped,
    /// A guest thread its partition has not started, or has suspended:
    /// it waits on nothing and runs only when resumed.
    Suspended,
}

/// What makes a thread a guest thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuestThread {
    /// Its number among its partition's guest threads.
    pub number: u16,
    /// The guest address space it runs in, once bound.
    pub space: Option<SpaceId>,
    /// The slot, in its partition's capability space, of the endpoint its
    /// exceptions go to (looked up at each exception).
    pub exception: Option<u16>,
}

/// A thread control block.
#[derive(Clone, Debug)]
pub struct Thread {
    /// Name, for reports.
    pub name: Name,
    /// Index of its partition.
    pub partition: usize,
    /// Higher runs first.
    pub priority: u8,
    /// Life state.
    pub state: ThreadState,
    /// Saved registers while it is not running.
    pub context: TrapFrame,
    /// Has blocked at least once (a passive thread initialises before the
    /// first major frame, until it first blocks).
    pub initialised: bool,
    /// The fault its pager (or, for a guest thread, its exception
    /// handler) is handling, while it waits for the answer.
    pub fault: Option<crate::machine::UserFault>,
    /// Physical address of its IPC buffer page (0: none).
    pub ipc_buffer: usize,
    /// Its last reply was not delivered (the caller was gone); the next
    /// message it receives says so.
    pub reply_dropped: bool,
    /// For a guest thread: its number, address space and exception
    /// endpoint.
    pub guest: Option<GuestThread>,
    /// The address space it runs in: the physical address of its
    /// first-level table and its ASID — its partition's, or a guest
    /// thread's guest address space's once bound. A copy, so the switch to
    /// it costs two loads; set by `System::new` and `thread_bind`.
    pub table: usize,
    /// The ASID of that address space (0 until set).
    pub asid: u8,
    /// The next thread of its partition (own or guest), in index order:
    /// the partition's thread list, linked by `System::new` so nothing
    /// that concerns one partition scans every thread.
    pub next_of_partition: Option<u16>,
    /// For a passive thread, the next passive thread in index order: the
    /// threads that may run in any window on borrowed time.
    pub next_passive: Option<u16>,
}

/// How a thread starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThreadStart {
    /// Entry point.
    pub entry: u32,
    /// Initial stack pointer (top of its stack).
    pub stack_top: u32,
    /// `r0`: the thread's index in its partition.
    pub index: u32,
    /// `r2`, `r3`: address and length of the partition's configuration
    /// bytes (`kernel_abi::user_layout`).
    pub config: (u32, u32),
}

impl Thread {
    /// A ready thread that will start as `start` says.
    pub fn new(name: Name, partition: usize, priority: u8, start: ThreadStart) -> Thread {
        let mut context = TrapFrame {
            sp_usr: start.stack_top,
            pc: start.entry,
            spsr: USER_PSR,
            ..TrapFrame::default()
        };
        context.r[0] = start.index;
        context.r[2] = start.config.0;
        context.r[3] = start.config.1;
        Thread {
            name,
            partition,
            priority,
            state: ThreadState::Ready,
            context,
            initialised: false,
            fault: None,
            ipc_buffer: 0,
            reply_dropped: false,
            guest: None,
            table: 0,
            asid: 0,
            next_of_partition: None,
            next_passive: None,
        }
    }

    /// Guest thread `number` of `partition`: suspended, unbound, with no
    /// exception endpoint, zeroed registers in user mode, priority 0.
    pub fn guest(name: Name, partition: usize, number: u16) -> Thread {
        let start = ThreadStart {
            entry: 0,
            stack_top: 0,
            index: 0,
            config: (0, 0),
        };
        Thread {
            state: ThreadState::Suspended,
            guest: Some(GuestThread {
                number,
                space: None,
                exception: None,
            }),
            ..Thread::new(name, partition, 0, start)
        }
    }
}
