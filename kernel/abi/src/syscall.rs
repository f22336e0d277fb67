//! The system-call interface.
//!
//! A partition calls the kernel with `svc #0`: the call number in `r7`,
//! arguments in `r0`-`r6`. On return `r0` is 0 for success or a
//! [`SyscallError`] code, and `r1`-`r6` carry results; every register a
//! call does not name as a result is preserved. Pointer arguments always
//! come with a length and must lie wholly inside memory the caller may
//! access as the call needs.
//!
//! Capability calls name a slot of the caller's capability space
//! ([`crate::cap::CapSlot`]) in `r0`. The IPC calls share one layout:
//!
//! ```text
//!        sending side (send, call, reply_recv's reply)  receiving side (recv, call's reply, reply_recv)
//! r0     endpoint slot                                  on return: error code
//! r1-r4  message words                                  message words
//! r5     GrantDescriptor (0: pass no capability)        badge of the sender's endpoint capability
//! r6     MessageInfo: length, receive slot              MessageInfo: length, where a passed capability landed
//! ```

/// System-call numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Syscall {
    /// `log(frame: *const u8, len)`: emit one defmt frame (rzCOBS-encoded,
    /// terminated by its single zero byte) tagged with the caller's
    /// partition.
    Log = 1,
    /// `yield()`: let another thread of the same partition run.
    Yield = 2,
    /// `thread_exit()`: end the calling thread; never returns.
    ThreadExit = 3,
    /// `clock_read(out: *mut u64)`: microseconds since boot into `*out`
    /// (8-byte aligned).
    ClockRead = 4,
    /// `call(endpoint, words.., grant, info)`: send a message and wait for
    /// the answer. In: `r0` endpoint slot (needs `WRITE`; `GRANT` too if
    /// `r5` passes a capability), `r1`-`r4` words, `r5` grant descriptor,
    /// `r6` [`MessageInfo`] (length; slot for a capability the reply may
    /// pass). Out: `r0` error, `r1`-`r4` reply words, `r5` 0, `r6`
    /// [`MessageInfo`] of the reply. The receiver gets a one-shot reply
    /// right; a passive receiver runs on the caller's time until it
    /// replies. If the receiver is stopped first: `PeerGone` — and so
    /// when no running partition can receive on the endpoint any more (the
    /// last one that could stopped or finished, or its last capability
    /// with `READ` was deleted or revoked): the endpoint closes, whoever
    /// waits there gets `PeerGone`, and so does every later send or call.
    ///
    /// A capability the call *transfers* ([`crate::cap::GrantKind::Transfer`])
    /// is the server's once delivered — but if the server leaves IPC (its
    /// partition stops, or its thread exits) before it replies, the kernel
    /// gives it back when it still can: when it is still in the slot it
    /// landed in, the only capability to what it names and not lent. It is
    /// unmapped from the server and put in the slot it was sent from if
    /// that is empty, else in the call's receive slot (`r6`) if one was
    /// offered and is empty; otherwise it stays with the server and the
    /// kernel logs why. If the server had moved, split, copied or handed
    /// it on, it took ownership, and nothing comes back.
    ///
    /// On `PeerGone`, `r6` says where that capability is: a
    /// [`MessageInfo`] with `granted = Some(Transfer)` and `slot` = the
    /// caller's slot that holds it — it never left (the call was refused
    /// or the endpoint closed before delivery) or it was given back; `0`
    /// when the call transferred nothing or the capability stayed with the
    /// server.
    Call = 5,
    /// `reply_recv(endpoint, words.., grant, info)`: answer the call last
    /// received (if any, through the thread's one-shot reply right; a
    /// reply that cannot be delivered is dropped), then wait on
    /// `endpoint`. In: as [`Syscall::Call`], the words being the reply; the
    /// receive slot in `r6` is for the next message. Both halves are
    /// checked before either happens: a malformed reply (bad `r5` or
    /// `r6`, a grant that cannot be made) returns the error at once, with
    /// the caller still waiting and the reply right still held. Out: as
    /// [`Syscall::Recv`].
    ReplyRecv = 6,
    /// `send(endpoint, words.., grant, info)`: send a message, blocking
    /// until a receiver takes it. In: as [`Syscall::Call`]. Out: `r0`.
    Send = 7,
    /// `recv(endpoint, info)`: wait for a message. In: `r0` endpoint slot
    /// (needs `READ`), `r6` [`MessageInfo`] (receive slot; length
    /// ignored). Out: `r0` error, `r1`-`r4` words, `r5` the badge of the
    /// capability the sender used, `r6` [`MessageInfo`] (length, slot
    /// where a passed capability landed, and how it was passed).
    Recv = 8,
    /// `signal(notification, bits)`: OR `r1` into the notification's word
    /// (needs `WRITE`). Out: `r0`.
    Signal = 9,
    /// `wait(notification)`: wait until bits are pending (needs `READ`).
    /// Out: `r0` error, `r1` the pending bits, which are cleared.
    Wait = 10,
    /// `poll(notification)`: as [`Syscall::Wait`] but never blocks: `r0`
    /// is `WouldBlock` when no bit is pending.
    Poll = 11,
    /// `frame_map(frame, address, rights)`: map the whole frame capability
    /// in `r0` at page-aligned virtual `r1` with rights `r2`
    /// ([`crate::cap::Rights`] bits; `READ` needed, all a subset of the
    /// capability's). A frame capability is mapped at most once at a
    /// time. Out: `r0`; `r1` = the frame's size in pages.
    FrameMap = 12,
    /// `frame_unmap(frame)`: remove the mapping made through the frame
    /// capability in `r0`. Out: `r0`.
    FrameUnmap = 13,
    /// `cap_copy(source, destination, rights)`: derive a copy of the
    /// capability in slot `r0` into the caller's empty slot `r1` with
    /// rights `r2`, which must be a subset of the source's. The copy keeps
    /// the badge. Out: `r0`.
    CapCopy = 14,
    /// `cap_revoke(slot)`: delete every capability derived from the one in
    /// `r0`, in any partition, and every mapping made through them, however
    /// many there are; the capability itself stays. Out: `r0`.
    CapRevoke = 15,
    /// `cap_delete(slot)`: empty slot `r0` (and remove its mapping).
    /// Capabilities derived from it stay, now derived from its parent. A
    /// capability lent for a call in progress cannot be deleted (`Busy`):
    /// the kernel destroys it when the call is answered. Out: `r0`.
    CapDelete = 16,
    /// `irq_ack(irq)`: the driver has handled the interrupt behind the Irq
    /// capability in `r0`; the kernel unmasks the line (it masks it when
    /// it signals the bound notification). Out: `r0`.
    IrqAck = 17,
    /// `partition_status(control, partition)`: through a PartitionControl
    /// capability with READ, the state of partition `r1` — out `r1` =
    /// 0 running, 1 finished, 2 stopped; `r2`, `r3` = milliseconds of its
    /// windows and of running (low 32 bits); `r4` = how many frame
    /// capabilities it holds.
    PartitionStatus = 18,
    /// `partition_stop(control, partition)`: through a PartitionControl
    /// capability with WRITE, stops partition `r1` as if it had faulted
    /// (its callers and waiters get `PeerGone`). Out: `r0`.
    PartitionStop = 19,
    /// `frame_split(frame, page, destination)`: derive a one-page frame
    /// capability for page `r1` of the frame capability in slot `r0` into
    /// the caller's empty slot `r2`, with the same rights. Revoking the
    /// frame removes it; it can be passed on like any frame capability
    /// (one page at a time is how page flipping moves memory). Out: `r0`.
    FrameSplit = 20,
    /// `frame_reach(control, partition, slot)`: through a PartitionControl
    /// capability with READ, which partitions can reach any page of the
    /// frame capability partition `r1` holds in slot `r2`, through a frame
    /// capability of theirs or a mapping in their address space (an audit
    /// of isolation; costs a scan of every slot and region). Out: `r1`
    /// bit p for partition p < 32, `r2` bit p - 32 for the rest;
    /// `InvalidArgument` if a partition past 63 can reach it (no bit says
    /// so).
    FrameReach = 21,
    /// `space_map(space, frame, address, rights)`: map the whole frame
    /// capability in slot `r1` into the guest address space whose
    /// capability (`WRITE`) is in `r0`, at page-aligned virtual `r2`,
    /// with rights `r3` ([`crate::cap::Rights`]: `READ` needed, `WRITE` or
    /// `EXECUTE` but never both, all a subset of the frame capability's).
    /// The frame capability is then mapped (at most once at a time, as with
    /// `frame_map`); revoking or deleting it takes the mapping down. Page
    /// tables come from the partition's page-table budget (`NoPageTable`
    /// when it is used up). Out: `r0`.
    SpaceMap = 22,
    /// `space_unmap(space, address, pages)`: remove every mapping in the
    /// guest address space in `r0` that lies in the `r2` pages from
    /// page-aligned `r1` (one page or a range), dropping their cached
    /// translations by ASID. A mapping that lies only partly in the range
    /// refuses the call (`InvalidArgument`). Out: `r0`.
    SpaceUnmap = 23,
    /// `space_reset(space)`: remove every mapping of the guest address
    /// space in `r0`, give its page tables back to the budget and drop
    /// every translation cached under its ASID. Out: `r0`.
    SpaceReset = 24,
    /// `thread_bind(thread, space, exception)`: the suspended guest thread
    /// whose capability (`WRITE`) is in `r0` will run in the guest address
    /// space in `r1` (of the same partition), and its exceptions go to the
    /// endpoint capability in slot `r2` (`WRITE`; looked up again at each
    /// exception; `0xFFFF`: none, and any exception then suspends the
    /// thread). Out: `r0`.
    ThreadBind = 25,
    /// `thread_set_priority(thread, priority)`: the guest thread in `r0`
    /// gets priority `r1`, at most the highest of its partition's own
    /// threads. Out: `r0`.
    ThreadSetPriority = 26,
    /// `thread_read_registers(thread, out)`: the guest thread's saved
    /// registers (`READ`) into the [`crate::guest::REGISTER_BYTES`] bytes at
    /// `r1` (word aligned), laid out as [`crate::guest`] says. Out: `r0`.
    ThreadReadRegisters = 27,
    /// `thread_write_registers(thread, in)`: the suspended guest thread's
    /// registers (`WRITE`) from the bytes at `r1`; the status word keeps
    /// only the condition flags and the Thumb bit (the thread always runs
    /// in user mode). Out: `r0`.
    ThreadWriteRegisters = 28,
    /// `thread_resume(thread)`: the suspended, bound guest thread in `r0`
    /// runs again (`Busy` if it is not suspended). Out: `r0`.
    ThreadResume = 29,
    /// `thread_suspend(thread)`: the guest thread in `r0` stops running;
    /// an exception it was waiting on is abandoned (its handler's reply is
    /// then dropped). Out: `r0`.
    ThreadSuspend = 30,
    /// `partition_restart(control, partition)`: through a PartitionControl
    /// capability with RESTART, rebuilds stopped partition `r1` from its
    /// boot image: memory re-loaded from its ELF, capabilities as the
    /// description gives them, threads at their entry points. At most as
    /// often as its description's `restart.max` (`RestartLimit` past it);
    /// `NotStopped` for a partition that is running or finished. Out:
    /// `r0`, and in `r1` the restarts so far.
    PartitionRestart = 31,
    /// `tmem_baseline(op, ...)`: benchmark kernels only (the kernel's
    /// `tmem-baseline` feature; elsewhere `UnknownSyscall`): the tmem store
    /// inside the kernel, the baseline `cargo xtask bench` compares the
    /// user-level server with. Registers: `kernel/src/system/tmem_baseline.rs`.
    TmemBaseline = 63,
}

impl Syscall {
    /// The call with number `number`, if there is one.
    pub const fn from_number(number: u32) -> Option<Syscall> {
        match number {
            1 => Some(Syscall::Log),
            2 => Some(Syscall::Yield),
            3 => Some(Syscall::ThreadExit),
            4 => Some(Syscall::ClockRead),
            5 => Some(Syscall::Call),
            6 => Some(Syscall::ReplyRecv),
            7 => Some(Syscall::Send),
            8 => Some(Syscall::Recv),
            9 => Some(Syscall::Signal),
            10 => Some(Syscall::Wait),
            11 => Some(Syscall::Poll),
            12 => Some(Syscall::FrameMap),
            13 => Some(Syscall::FrameUnmap),
            14 => Some(Syscall::CapCopy),
            15 => Some(Syscall::CapRevoke),
            16 => Some(Syscall::CapDelete),
            17 => Some(Syscall::IrqAck),
            18 => Some(Syscall::PartitionStatus),
            19 => Some(Syscall::PartitionStop),
            20 => Some(Syscall::FrameSplit),
            21 => Some(Syscall::FrameReach),
            22 => Some(Syscall::SpaceMap),
            23 => Some(Syscall::SpaceUnmap),
            24 => Some(Syscall::SpaceReset),
            25 => Some(Syscall::ThreadBind),
            26 => Some(Syscall::ThreadSetPriority),
            27 => Some(Syscall::ThreadReadRegisters),
            28 => Some(Syscall::ThreadWriteRegisters),
            29 => Some(Syscall::ThreadResume),
            30 => Some(Syscall::ThreadSuspend),
            31 => Some(Syscall::PartitionRestart),
            63 => Some(Syscall::TmemBaseline),
            _ => None,
        }
    }
}

/// The most message words that travel in registers (`r1`-`r4`).
pub const MESSAGE_REGISTERS: usize = 4;

/// The `r6` word of the IPC calls.
///
/// ```text
/// bits 2..0    length: message words that are meaningful (0..=4)
/// bits 9..8    on receipt: GrantKind of the capability that was passed,
///              0 if none (ignored when sending)
/// bits 31..16  slot + 1: sending, the caller's empty slot where a
///              capability passed to it may land; on receipt, where one
///              landed (0: none, so a zero word accepts nothing)
/// other bits   0
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessageInfo {
    /// Meaningful message words.
    pub length: u8,
    /// How a passed capability came (on receipt only).
    pub granted: Option<crate::cap::GrantKind>,
    /// The receive slot, or where a passed capability landed.
    pub slot: Option<crate::cap::CapSlot>,
    /// The message carries the sender's IPC buffer payload.
    pub buffer: bool,
}

const INFO_LENGTH_MASK: u32 = 0b111;
const INFO_GRANT_SHIFT: u32 = 8;
const INFO_SLOT_SHIFT: u32 = 16;
/// Set when the sender's IPC buffer carries a payload (see [`IPC_BUFFERS`]).
const INFO_BUFFER_BIT: u32 = 1 << 3;
/// Set by the kernel in a message received by `reply_recv` when the reply
/// that call sent was not delivered because its caller is gone; a
/// capability the reply passed is still in the server's slot.
pub const INFO_REPLY_DROPPED: u32 = 1 << 4;
const INFO_USED_BITS: u32 = INFO_LENGTH_MASK
    | INFO_BUFFER_BIT
    | INFO_REPLY_DROPPED
    | (0b11 << INFO_GRANT_SHIFT)
    | (0xFFFF << INFO_SLOT_SHIFT);

/// Where each thread's IPC buffer is mapped: thread `n` of a partition has
/// the page at `IPC_BUFFERS + n * 4096`. The first word is the payload
/// length in bytes (at most [`IPC_BUFFER_PAYLOAD`]); the payload follows.
/// When a message's info word says it carries the buffer, the kernel
/// copies the sender's length word and payload into the receiver's buffer.
pub const IPC_BUFFERS: u32 = 0x7E00_0000;
/// Largest payload an IPC buffer carries.
pub const IPC_BUFFER_PAYLOAD: u32 = 4096 - 4;

impl MessageInfo {
    /// Decodes `r6`; `None` if a reserved bit is set, the length exceeds
    /// [`MESSAGE_REGISTERS`] or the grant kind is unknown.
    pub const fn decode(value: u32) -> Option<MessageInfo> {
        if value & !INFO_USED_BITS != 0 {
            return None;
        }
        let length = (value & INFO_LENGTH_MASK) as u8;
        if length as usize > MESSAGE_REGISTERS {
            return None;
        }
        let grant_bits = (value >> INFO_GRANT_SHIFT) & 0b11;
        let granted = if grant_bits == 0 {
            None
        } else {
            match crate::cap::GrantKind::from_u32(grant_bits) {
                Some(kind) => Some(kind),
                None => return None,
            }
        };
        Some(MessageInfo {
            length,
            buffer: value & INFO_BUFFER_BIT != 0,
            granted,
            slot: match value >> INFO_SLOT_SHIFT {
                0 => None,
                plus_one => Some(crate::cap::CapSlot((plus_one - 1) as u16)),
            },
        })
    }

    /// Encodes for `r6`. A length beyond [`MESSAGE_REGISTERS`] is clamped;
    /// slot `0xFFFF` cannot be named and encodes as none.
    pub const fn encode(self) -> u32 {
        let length = if self.length as usize > MESSAGE_REGISTERS {
            MESSAGE_REGISTERS as u32
        } else {
            self.length as u32
        };
        let grant = match self.granted {
            Some(kind) => kind as u32,
            None => 0,
        };
        let slot = match self.slot {
            Some(slot) if slot.0 != u16::MAX => slot.0 as u32 + 1,
            _ => 0,
        };
        let buffer = if self.buffer { INFO_BUFFER_BIT } else { 0 };
        length | buffer | (grant << INFO_GRANT_SHIFT) | (slot << INFO_SLOT_SHIFT)
    }
}

/// Why a system call failed. The code is what `r0` holds on return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum SyscallError {
    /// No system call has this number.
    UnknownSyscall = 1,
    /// A pointer argument is null.
    NullPointer = 2,
    /// A pointer argument is not aligned as the call needs.
    Unaligned = 3,
    /// A buffer reaches into kernel space.
    KernelAddress = 4,
    /// A buffer is not wholly inside one of the caller's mappings.
    Unmapped = 5,
    /// The call would write to memory the caller may only read.
    ReadOnly = 6,
    /// An argument is out of range or malformed.
    InvalidArgument = 7,
    /// The named capability slot is empty.
    EmptySlot = 8,
    /// The capability is of another kind than the call needs.
    WrongType = 9,
    /// The capability lacks a right the call needs, or a derived copy
    /// would have more rights than its source.
    MissingRights = 10,
    /// The destination slot already holds a capability (or a frame
    /// capability is already mapped).
    SlotOccupied = 11,
    /// The right was revoked or already used (a one-shot reply).
    Revoked = 12,
    /// The other side of an IPC was stopped or went away.
    PeerGone = 13,
    /// Nothing is pending and the call does not block.
    WouldBlock = 14,
    /// The capability is lent for a call still in progress: it can be
    /// neither deleted nor passed on until the call is answered.
    Busy = 15,
    /// A transfer needs the only capability to its object: another
    /// capability covers the same memory (a copy, a split page, an
    /// ancestor, or a second capability from the description), or, for
    /// other kinds, something was derived from it.
    Shared = 16,
    /// The partition's page-table budget (its description's
    /// `guest.page_table_kib`) is used up: unmap or reset an address space
    /// to give tables back.
    NoPageTable = 17,
    /// The address space or thread belongs to another partition (a
    /// capability to it was passed on): only its own partition may use it.
    WrongPartition = 18,
    /// A restart names a partition that is running or finished: only a
    /// stopped partition restarts.
    NotStopped = 19,
    /// The partition has been restarted as often as its description
    /// allows (or may not be restarted at all): it stays stopped.
    RestartLimit = 20,
}

impl SyscallError {
    /// The error a return code stands for (`None` for 0, success, or an
    /// unknown code).
    pub const fn from_code(code: u32) -> Option<SyscallError> {
        match code {
            1 => Some(SyscallError::UnknownSyscall),
            2 => Some(SyscallError::NullPointer),
            3 => Some(SyscallError::Unaligned),
            4 => Some(SyscallError::KernelAddress),
            5 => Some(SyscallError::Unmapped),
            6 => Some(SyscallError::ReadOnly),
            7 => Some(SyscallError::InvalidArgument),
            8 => Some(SyscallError::EmptySlot),
            9 => Some(SyscallError::WrongType),
            10 => Some(SyscallError::MissingRights),
            11 => Some(SyscallError::SlotOccupied),
            12 => Some(SyscallError::Revoked),
            13 => Some(SyscallError::PeerGone),
            14 => Some(SyscallError::WouldBlock),
            15 => Some(SyscallError::Busy),
            16 => Some(SyscallError::Shared),
            17 => Some(SyscallError::NoPageTable),
            18 => Some(SyscallError::WrongPartition),
            19 => Some(SyscallError::NotStopped),
            20 => Some(SyscallError::RestartLimit),
            _ => None,
        }
    }

    /// A short name for logs.
    pub const fn name(self) -> &'static str {
        match self {
            SyscallError::UnknownSyscall => "UnknownSyscall",
            SyscallError::NullPointer => "NullPointer",
            SyscallError::Unaligned => "Unaligned",
            SyscallError::KernelAddress => "KernelAddress",
            SyscallError::Unmapped => "Unmapped",
            SyscallError::ReadOnly => "ReadOnly",
            SyscallError::InvalidArgument => "InvalidArgument",
            SyscallError::EmptySlot => "EmptySlot",
            SyscallError::WrongType => "WrongType",
            SyscallError::MissingRights => "MissingRights",
            SyscallError::SlotOccupied => "SlotOccupied",
            SyscallError::Revoked => "Revoked",
            SyscallError::PeerGone => "PeerGone",
            SyscallError::WouldBlock => "WouldBlock",
            SyscallError::Busy => "Busy",
            SyscallError::Shared => "Shared",
            SyscallError::NoPageTable => "NoPageTable",
            SyscallError::WrongPartition => "WrongPartition",
            SyscallError::NotStopped => "NotStopped",
            SyscallError::RestartLimit => "RestartLimit",
        }
    }
}

/// The highest error code.
pub const LAST_ERROR_CODE: u32 = SyscallError::RestartLimit as u32;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cap::{CapSlot, GrantKind};

    const CALLS: [Syscall; 31] = [
        Syscall::Log,
        Syscall::Yield,
        Syscall::ThreadExit,
        Syscall::ClockRead,
        Syscall::Call,
        Syscall::ReplyRecv,
        Syscall::Send,
        Syscall::Recv,
        Syscall::Signal,
        Syscall::Wait,
        Syscall::Poll,
        Syscall::FrameMap,
        Syscall::FrameUnmap,
        Syscall::CapCopy,
        Syscall::CapRevoke,
        Syscall::CapDelete,
        Syscall::IrqAck,
        Syscall::PartitionStatus,
        Syscall::PartitionStop,
        Syscall::FrameSplit,
        Syscall::FrameReach,
        Syscall::SpaceMap,
        Syscall::SpaceUnmap,
        Syscall::SpaceReset,
        Syscall::ThreadBind,
        Syscall::ThreadSetPriority,
        Syscall::ThreadReadRegisters,
        Syscall::ThreadWriteRegisters,
        Syscall::ThreadResume,
        Syscall::ThreadSuspend,
        Syscall::PartitionRestart,
    ];

    #[test]
    fn numbers_and_codes_round_trip() {
        for call in CALLS {
            assert_eq!(Syscall::from_number(call as u32), Some(call));
        }
        assert_eq!(Syscall::from_number(0), None);
        assert_eq!(Syscall::from_number(CALLS.len() as u32 + 1), None);
        assert_eq!(Syscall::from_number(0xFFFF_FFFF), None);
        for code in 1..=LAST_ERROR_CODE {
            let error = SyscallError::from_code(code).unwrap();
            assert_eq!(error as u32, code);
            assert!(!error.name().is_empty());
        }
        assert_eq!(SyscallError::from_code(0), None);
        assert_eq!(SyscallError::from_code(LAST_ERROR_CODE + 1), None);
    }

    #[test]
    fn the_benchmark_call_is_far_from_the_others() {
        assert_eq!(Syscall::from_number(63), Some(Syscall::TmemBaseline));
        assert_eq!(Syscall::from_number(62), None);
    }

    #[test]
    fn existing_numbers_never_change() {
        assert_eq!(Syscall::Log as u32, 1);
        assert_eq!(Syscall::ClockRead as u32, 4);
        assert_eq!(SyscallError::InvalidArgument as u32, 7);
        assert_eq!(SyscallError::EmptySlot as u32, 8);
    }

    #[test]
    fn message_info_round_trips_and_rejects_junk() {
        let info = MessageInfo {
            buffer: false,
            length: 3,
            granted: Some(GrantKind::Transient),
            slot: Some(CapSlot(40)),
        };
        assert_eq!(info.encode(), 3 | (1 << 8) | (41 << 16));
        assert_eq!(MessageInfo::decode(info.encode()), Some(info));
        let none = MessageInfo {
            buffer: false,
            length: 0,
            granted: None,
            slot: None,
        };
        assert_eq!(none.encode(), 0, "a zero word accepts nothing");
        assert_eq!(MessageInfo::decode(0), Some(none));
        let zero = MessageInfo {
            buffer: false,
            slot: Some(CapSlot(0)),
            ..none
        };
        assert_eq!(MessageInfo::decode(zero.encode()), Some(zero));
        let top = MessageInfo {
            buffer: false,
            slot: Some(CapSlot(0xFFFE)),
            ..none
        };
        assert_eq!(MessageInfo::decode(top.encode()), Some(top));
        assert_eq!(MessageInfo::decode(5), None, "five words");
        assert_eq!(MessageInfo::decode(1 << 5), None, "reserved bit");
        assert_eq!(
            MessageInfo::decode(1 | INFO_REPLY_DROPPED).map(|i| i.length),
            Some(1),
            "the kernel's dropped-reply notice is not a reserved bit"
        );
        let long = MessageInfo { length: 9, ..none };
        assert_eq!(long.encode() & 0b111, 4, "clamped");
    }

    #[test]
    fn the_buffer_bit_round_trips_and_unknown_bits_are_refused() {
        let info = MessageInfo {
            length: 2,
            buffer: true,
            granted: None,
            slot: None,
        };
        assert_eq!(MessageInfo::decode(info.encode()), Some(info));
        assert_eq!(MessageInfo::decode(1 << 5), None);
    }
}
