//! Crafted scenarios: short sequences of hostile calls whose every result
//! the kernel's contract fixes, run between the random calls (so they meet
//! whatever state the random calls left behind). Each cleans up what it
//! needs first, then checks each step's result exactly.
//!
//! They transfer a frame away and keep using it, revoke twice, lend a
//! frame for one call and look for it afterwards, map a read-only frame
//! writable, pass kernel, wrapping, null and unaligned pointers, stop a
//! partition without the right, acknowledge an interrupt that never came,
//! send malformed messages, call and receive on their own endpoint, try
//! semihosting from user mode and map outside the grant window.
//!
//! A scenario may only map in the zone `layout::SCENARIO_VA` starts, may
//! only let the kernel write the scratch bytes or frame pages whose first
//! word nobody checks, and must never block on anything but the fuzzer's
//! own endpoint (served by its helper and feeder) or the victim server.

use kernel_abi::cap::{GrantDescriptor, GrantKind, Rights};
use kernel_abi::syscall::{MessageInfo, Syscall, SyscallError};
use kernel_abi::user_layout::{PAGE_SIZE, USER_BASE, USER_TOP};
use test_fuzzer::layout::{
    page_pattern, slot, FEED, FEEDER_BADGE, GRANT_WINDOW_END, HELPER_VA, LEND_CHECK,
    MAX_FRAME_PAGES, SCENARIO_VA,
};
use test_victim::{as_received, echo_reply, FUZZER_BADGE};

use super::svc::{semihosting_svc, Returned};
use super::threads::FrameCheck;
use super::Fuzzer;

use SyscallError::*;

const R: u32 = Rights::READ.bits();
const RW: u32 = Rights::READ.bits() | Rights::WRITE.bits();
const RWG: u32 = RW | Rights::GRANT.bits();
/// Where scenarios map a second frame.
const SECOND_VA: u32 = SCENARIO_VA + 0x1_0000;
/// An address in no partition's reach.
const UNMAPPED: u32 = 0x4000_0000;

/// What a step should return.
type Expected = Result<(), SyscallError>;
/// A step: what it checks, the call, its first three arguments, the result.
type Check = (&'static str, Syscall, [u32; 3], Expected);
/// A step with a pointer and a length.
type PointerCheck = (&'static str, Syscall, u32, u32, Expected);
/// An IPC step: its seven registers.
type MessageCheck = (&'static str, Syscall, [u32; 7], Expected);

/// How many scenarios there are.
pub const COUNT: u32 = 10;

/// Runs scenario `index` (modulo [`COUNT`]).
pub fn run(index: u32, f: &mut Fuzzer) {
    match index % COUNT {
        0 => transfer_then_reuse(f),
        1 => revoke_twice(f),
        2 => lend_for_one_call(f),
        3 => read_only_frame(f),
        4 => bad_pointers(f),
        5 => rights_and_types(f),
        6 => bad_messages(f),
        7 => own_endpoint_and_notification(f),
        8 => semihosting_from_user_mode(f),
        _ => map_bounds_and_split(f),
    }
}

fn call(f: &mut Fuzzer, call: Syscall, regs: [u32; 7]) -> Returned {
    f.call(call as u32, regs)
}

fn args(a: u32, b: u32, c: u32) -> [u32; 7] {
    [a, b, c, 0, 0, 0, 0]
}

fn slot(s: u16) -> u32 {
    u32::from(s)
}

fn info(length: u8) -> u32 {
    MessageInfo {
        length,
        granted: None,
        slot: None,
        buffer: false,
    }
    .encode()
}

fn grant(from: u16, kind: GrantKind, rights: u32) -> u32 {
    GrantDescriptor {
        slot: kernel_abi::cap::CapSlot(from),
        kind,
        rights: Rights::from_bits(rights).unwrap_or(Rights::NONE),
    }
    .encode()
}

/// An IPC call's registers.
fn ipc(endpoint: u16, words: [u32; 4], grant: u32, info: u32) -> [u32; 7] {
    [
        slot(endpoint),
        words[0],
        words[1],
        words[2],
        words[3],
        grant,
        info,
    ]
}

/// Empties `s` (it may already be empty).
fn clear(f: &mut Fuzzer, s: u16) {
    let _ = call(f, Syscall::CapDelete, args(slot(s), 0, 0));
}

fn step(
    f: &mut Fuzzer,
    what: &str,
    call_: Syscall,
    regs: [u32; 7],
    want: Result<(), SyscallError>,
) -> Returned {
    let returned = call(f, call_, regs);
    f.expect(what, returned, want);
    returned
}

/// Once, before fuzzing: each page of the fuzzer's frame starts with its
/// pattern, which the helper checks in every frame passed to it.
pub fn prepare(f: &mut Fuzzer) {
    let mapped = step(
        f,
        "prepare: map the frame",
        Syscall::FrameMap,
        args(slot(slot::FRAME), SCENARIO_VA, RW),
        Ok(()),
    );
    if mapped.code() != 0 || mapped.r[1] != MAX_FRAME_PAGES {
        return f.unexpected("prepare: the frame is not mapped whole", 12, mapped.r[1]);
    }
    for page in 0..MAX_FRAME_PAGES {
        // SAFETY: the frame was just mapped read-write at SCENARIO_VA,
        // MAX_FRAME_PAGES pages long; nothing else uses that zone yet.
        unsafe {
            ((SCENARIO_VA + page * PAGE_SIZE) as *mut u32).write_volatile(page_pattern(page))
        };
    }
    step(
        f,
        "prepare: unmap the frame",
        Syscall::FrameUnmap,
        args(slot(slot::FRAME), 0, 0),
        Ok(()),
    );
}

/// A copy of a frame the fuzzer still holds cannot be transferred (the
/// original covers the same memory: the kernel moves only a frame's sole
/// capability) and stays mapped; once deleted it cannot be mapped, passed
/// or revoked any more, and its mapping went with it.
fn transfer_then_reuse(f: &mut Fuzzer) {
    clear(f, slot::SCENARIO);
    clear(f, slot::HELPER_RECEIVE);
    let s = slot(slot::SCENARIO);
    step(
        f,
        "transfer: copy",
        Syscall::CapCopy,
        args(slot(slot::FRAME), s, RWG),
        Ok(()),
    );
    step(
        f,
        "transfer: map",
        Syscall::FrameMap,
        args(s, SCENARIO_VA, R),
        Ok(()),
    );
    let moved = grant(slot::SCENARIO, GrantKind::Transfer, 0);
    step(
        f,
        "transfer: send a copy",
        Syscall::Send,
        ipc(slot::ENDPOINT, [0x7AA5, 0, 0, 0], moved, info(1)),
        Err(Shared),
    );
    step(
        f,
        "transfer: the refused copy stays mapped (read-only)",
        Syscall::ClockRead,
        args(SCENARIO_VA, 0, 0),
        Err(ReadOnly),
    );
    step(
        f,
        "transfer: delete the copy",
        Syscall::CapDelete,
        args(s, 0, 0),
        Ok(()),
    );
    step(
        f,
        "transfer: the mapping left with it",
        Syscall::ClockRead,
        args(SCENARIO_VA, 0, 0),
        Err(Unmapped),
    );
    step(
        f,
        "transfer: map it again",
        Syscall::FrameMap,
        args(s, SCENARIO_VA, R),
        Err(EmptySlot),
    );
    step(
        f,
        "transfer: transfer it again",
        Syscall::Send,
        ipc(slot::ENDPOINT, [1, 0, 0, 0], moved, info(1)),
        Err(EmptySlot),
    );
    let lent = grant(slot::SCENARIO, GrantKind::Transient, R);
    step(
        f,
        "transfer: lend it",
        Syscall::Call,
        ipc(slot::ENDPOINT, [1, 0, 0, 0], lent, info(1)),
        Err(EmptySlot),
    );
    step(
        f,
        "transfer: revoke it",
        Syscall::CapRevoke,
        args(s, 0, 0),
        Err(EmptySlot),
    );
}

/// Revoking removes every copy and its mapping; revoking again is fine.
fn revoke_twice(f: &mut Fuzzer) {
    clear(f, slot::SCENARIO);
    let s = slot(slot::SCENARIO);
    step(
        f,
        "revoke: copy",
        Syscall::CapCopy,
        args(slot(slot::FRAME), s, RW),
        Ok(()),
    );
    step(
        f,
        "revoke: map",
        Syscall::FrameMap,
        args(s, SCENARIO_VA, RW),
        Ok(()),
    );
    step(
        f,
        "revoke: use",
        Syscall::ClockRead,
        args(SCENARIO_VA + 8, 0, 0),
        Ok(()),
    );
    step(
        f,
        "revoke: first",
        Syscall::CapRevoke,
        args(slot(slot::FRAME), 0, 0),
        Ok(()),
    );
    step(
        f,
        "revoke: second",
        Syscall::CapRevoke,
        args(slot(slot::FRAME), 0, 0),
        Ok(()),
    );
    step(
        f,
        "revoke: the mapping is gone",
        Syscall::ClockRead,
        args(SCENARIO_VA + 8, 0, 0),
        Err(Unmapped),
    );
    step(
        f,
        "revoke: the copy is gone",
        Syscall::FrameMap,
        args(s, SCENARIO_VA, R),
        Err(EmptySlot),
    );
}

/// A frame lent for one call is usable by the callee during the call (it
/// checks the contents) and gone from it, mapping and all, after the
/// reply.
fn lend_for_one_call(f: &mut Fuzzer) {
    clear(f, slot::HELPER_RECEIVE);
    let lent = grant(slot::FRAME, GrantKind::Transient, R);
    let reply = step(
        f,
        "lend: call",
        Syscall::Call,
        ipc(slot::ENDPOINT, [LEND_CHECK, 0, 0, 0], lent, info(1)),
        Ok(()),
    );
    if reply.code() == 0
        && (reply.r[1] != FrameCheck::Good as u32
            || reply.r[2] != page_pattern(0)
            || reply.r[3] != MAX_FRAME_PAGES)
    {
        f.unexpected(
            "lend: the helper saw the wrong frame",
            reply.r[1],
            reply.r[2],
        );
    }
    let rx = slot(slot::HELPER_RECEIVE);
    step(
        f,
        "lend: the loan ended at the reply",
        Syscall::FrameMap,
        args(rx, SECOND_VA, R),
        Err(EmptySlot),
    );
    step(
        f,
        "lend: its mapping ended too",
        Syscall::ClockRead,
        args(HELPER_VA, 0, 0),
        Err(Unmapped),
    );
}

/// A read-only frame maps only readable, and the kernel writes nothing
/// into it.
fn read_only_frame(f: &mut Fuzzer) {
    let ro = slot(slot::READ_ONLY_FRAME);
    let _ = call(f, Syscall::FrameUnmap, args(ro, 0, 0));
    step(
        f,
        "read-only: map writable",
        Syscall::FrameMap,
        args(ro, SECOND_VA, RW),
        Err(MissingRights),
    );
    step(
        f,
        "read-only: map",
        Syscall::FrameMap,
        args(ro, SECOND_VA, R),
        Ok(()),
    );
    step(
        f,
        "read-only: write through the kernel",
        Syscall::ClockRead,
        args(SECOND_VA, 0, 0),
        Err(ReadOnly),
    );
    step(
        f,
        "read-only: unmap",
        Syscall::FrameUnmap,
        args(ro, 0, 0),
        Ok(()),
    );
    step(
        f,
        "read-only: gone",
        Syscall::ClockRead,
        args(SECOND_VA, 0, 0),
        Err(Unmapped),
    );
    step(
        f,
        "read-only: unmap again",
        Syscall::FrameUnmap,
        args(ro, 0, 0),
        Err(InvalidArgument),
    );
}

/// Null, unaligned, kernel, wrapping, read-only and unmapped pointers, and
/// log lengths that are empty, too long or forged.
fn bad_pointers(f: &mut Fuzzer) {
    let scratch = f.targets().scratch;
    let zeros = f.targets().zeros;
    let checks: [PointerCheck; 15] = [
        ("pointers: null", Syscall::ClockRead, 0, 0, Err(NullPointer)),
        (
            "pointers: unaligned",
            Syscall::ClockRead,
            scratch + 4,
            0,
            Err(Unaligned),
        ),
        ("pointers: scratch", Syscall::ClockRead, scratch, 0, Ok(())),
        (
            "pointers: kernel",
            Syscall::ClockRead,
            0x8000_0000,
            0,
            Err(KernelAddress),
        ),
        (
            "pointers: top",
            Syscall::ClockRead,
            0xFFFF_FFF8,
            0,
            Err(KernelAddress),
        ),
        (
            "pointers: last user bytes",
            Syscall::ClockRead,
            USER_TOP - 8,
            0,
            Err(Unmapped),
        ),
        (
            "pointers: text",
            Syscall::ClockRead,
            USER_BASE,
            0,
            Err(ReadOnly),
        ),
        (
            "pointers: unmapped",
            Syscall::ClockRead,
            UNMAPPED,
            0,
            Err(Unmapped),
        ),
        (
            "pointers: log into the kernel",
            Syscall::Log,
            USER_TOP - 16,
            0x100,
            Err(KernelAddress),
        ),
        (
            "pointers: log wrapping",
            Syscall::Log,
            0xFFFF_FF80,
            0x100,
            Err(KernelAddress),
        ),
        (
            "pointers: log unmapped",
            Syscall::Log,
            USER_TOP - 0x100,
            0x100,
            Err(Unmapped),
        ),
        (
            "pointers: log empty",
            Syscall::Log,
            zeros,
            0,
            Err(InvalidArgument),
        ),
        (
            "pointers: log too long",
            Syscall::Log,
            zeros,
            257,
            Err(InvalidArgument),
        ),
        (
            "pointers: log forged",
            Syscall::Log,
            zeros,
            16,
            Err(InvalidArgument),
        ),
        ("pointers: log null", Syscall::Log, 0, 16, Err(NullPointer)),
    ];
    for (what, number, a, b, want) in checks {
        step(f, what, number, args(a, b, 0), want);
    }
}

/// Capabilities of the wrong type, missing rights, slots out of range,
/// acknowledging an interrupt that never came, stopping without the right.
fn rights_and_types(f: &mut Fuzzer) {
    clear(f, slot::SCENARIO);
    let (control, note, irq) = (
        slot(slot::CONTROL),
        slot(slot::NOTIFICATION),
        slot(slot::IRQ),
    );
    let s = slot(slot::SCENARIO);
    let checks: [Check; 15] = [
        (
            "rights: stop",
            Syscall::PartitionStop,
            [control, 0, 0],
            Err(MissingRights),
        ),
        (
            "rights: stop nobody",
            Syscall::PartitionStop,
            [control, u32::MAX, 0],
            Err(MissingRights),
        ),
        (
            "rights: status",
            Syscall::PartitionStatus,
            [control, 0, 0],
            Ok(()),
        ),
        (
            "rights: status of nobody",
            Syscall::PartitionStatus,
            [control, u32::MAX, 0],
            Err(InvalidArgument),
        ),
        (
            "rights: stop through a notification",
            Syscall::PartitionStop,
            [note, 0, 0],
            Err(WrongType),
        ),
        (
            "rights: irq ack without an irq",
            Syscall::IrqAck,
            [irq, 0, 0],
            Ok(()),
        ),
        (
            "rights: irq ack again",
            Syscall::IrqAck,
            [irq, 0, 0],
            Ok(()),
        ),
        (
            "rights: irq ack through a notification",
            Syscall::IrqAck,
            [note, 0, 0],
            Err(WrongType),
        ),
        (
            "rights: slot out of range",
            Syscall::IrqAck,
            [slot(slot::COUNT), 0, 0],
            Err(InvalidArgument),
        ),
        (
            "rights: no slot",
            Syscall::IrqAck,
            [0xFFFF, 0, 0],
            Err(InvalidArgument),
        ),
        (
            "rights: copy with more rights",
            Syscall::CapCopy,
            [control, s, RW],
            Err(MissingRights),
        ),
        (
            "rights: receive right from a send-only cap",
            Syscall::CapCopy,
            [slot(slot::VICTIM), s, R],
            Err(MissingRights),
        ),
        (
            "rights: wait on an irq",
            Syscall::Wait,
            [irq, 0, 0],
            Err(WrongType),
        ),
        (
            "rights: signal an endpoint",
            Syscall::Signal,
            [slot(slot::VICTIM), 1, 0],
            Err(WrongType),
        ),
        (
            "rights: map an endpoint",
            Syscall::FrameMap,
            [slot(slot::VICTIM), SCENARIO_VA, R],
            Err(WrongType),
        ),
    ];
    for (what, number, [a, b, c], want) in checks {
        step(f, what, number, args(a, b, c), want);
    }
}

/// Malformed messages are refused before anything moves; a well-formed
/// one to the victim is answered exactly.
fn bad_messages(f: &mut Fuzzer) {
    clear(f, slot::SCENARIO);
    let v = slot::VICTIM;
    let frame = grant(slot::FRAME, GrantKind::Transient, R);
    let empty = grant(slot::SCENARIO, GrantKind::DerivedCopy, R);
    let too_rich = grant(slot::READ_ONLY_FRAME, GrantKind::DerivedCopy, RW);
    let transfer_with_rights =
        grant(slot::FRAME, GrantKind::Transient, R) & !(0b11 << 16) | (2 << 16);
    let checks: [MessageCheck; 10] = [
        (
            "messages: five words",
            Syscall::Call,
            ipc(v, [1; 4], 0, 5),
            Err(InvalidArgument),
        ),
        (
            "messages: reserved info bit",
            Syscall::Call,
            ipc(v, [1; 4], 0, 1 << 5),
            Err(InvalidArgument),
        ),
        (
            "messages: reserved grant bits",
            Syscall::Call,
            ipc(v, [1; 4], 0x0F01_0000, 1),
            Err(InvalidArgument),
        ),
        (
            "messages: transfer with rights",
            Syscall::Call,
            ipc(v, [1; 4], transfer_with_rights, 1),
            Err(InvalidArgument),
        ),
        (
            "messages: lend on a send",
            Syscall::Send,
            ipc(v, [1; 4], frame, 1),
            Err(InvalidArgument),
        ),
        (
            "messages: receive without the right",
            Syscall::Recv,
            ipc(v, [0; 4], 0, 0),
            Err(MissingRights),
        ),
        (
            "messages: call a frame",
            Syscall::Call,
            ipc(slot::READ_ONLY_FRAME, [1; 4], 0, 1),
            Err(WrongType),
        ),
        (
            "messages: call a notification",
            Syscall::Call,
            ipc(slot::NOTIFICATION, [1; 4], 0, 1),
            Err(WrongType),
        ),
        (
            "messages: pass an empty slot",
            Syscall::Call,
            ipc(v, [1; 4], empty, 1),
            Err(EmptySlot),
        ),
        (
            "messages: pass more rights",
            Syscall::Call,
            ipc(v, [1; 4], too_rich, 1),
            Err(MissingRights),
        ),
    ];
    for (what, number, regs, want) in checks {
        step(f, what, number, regs, want);
    }
    let words = [0xA1, 0xB2, 0xC3, 0xD4];
    let copy = grant(slot::READ_ONLY_FRAME, GrantKind::DerivedCopy, R);
    let reply = step(
        f,
        "messages: a good call",
        Syscall::Call,
        ipc(v, words, copy, info(4)),
        Ok(()),
    );
    if reply.code() == 0 && reply.r[1..5] != echo_reply(words, 4, FUZZER_BADGE) {
        f.unexpected(
            "messages: the victim's reply is not its echo",
            reply.r[1],
            reply.r[2],
        );
    }
}

/// Calls on the fuzzer's own endpoint come back as the helper's echo;
/// receives on it get the feeder's messages and nothing else; the
/// notification keeps and clears bits.
fn own_endpoint_and_notification(f: &mut Fuzzer) {
    let words = [f.calls, 0x0BAD_F00D, u32::MAX, 7];
    let reply = step(
        f,
        "self: call",
        Syscall::Call,
        ipc(slot::ENDPOINT, words, 0, info(4)),
        Ok(()),
    );
    if reply.code() == 0 && reply.r[1..5] != echo_reply(words, 4, 0) {
        f.unexpected(
            "self: the helper's reply is not its echo",
            reply.r[1],
            reply.r[2],
        );
    }
    let reply = step(
        f,
        "self: call as the feeder",
        Syscall::Call,
        ipc(slot::FEEDER, words, 0, info(1)),
        Ok(()),
    );
    if reply.code() == 0 && reply.r[1..5] != echo_reply(as_received(words, 1), 1, FEEDER_BADGE) {
        f.unexpected(
            "self: the helper's reply to the feeder's badge",
            reply.r[1],
            reply.r[2],
        );
    }
    for (what, number) in [
        ("self: recv", Syscall::Recv),
        ("self: reply_recv without a caller", Syscall::ReplyRecv),
    ] {
        let got = step(
            f,
            what,
            number,
            ipc(slot::ENDPOINT, [9; 4], 0, info(2)),
            Ok(()),
        );
        if got.code() == 0 && (got.r[5] != FEEDER_BADGE || got.r[1] != FEED) {
            f.unexpected(
                "self: received something the feeder did not send",
                got.r[5],
                got.r[1],
            );
        }
    }
    let note = slot(slot::NOTIFICATION);
    let _ = call(f, Syscall::Poll, args(note, 0, 0));
    step(
        f,
        "notification: signal",
        Syscall::Signal,
        args(note, 0x40, 0),
        Ok(()),
    );
    let got = step(
        f,
        "notification: poll",
        Syscall::Poll,
        args(note, 0, 0),
        Ok(()),
    );
    if got.code() == 0 && got.r[1] & 0x40 == 0 {
        f.unexpected("notification: the bit did not arrive", 11, got.r[1]);
    }
    step(
        f,
        "notification: poll again",
        Syscall::Poll,
        args(note, 0, 0),
        Err(WouldBlock),
    );
    step(
        f,
        "notification: signal nothing",
        Syscall::Signal,
        args(note, 0, 0),
        Ok(()),
    );
    step(
        f,
        "notification: signal",
        Syscall::Signal,
        args(note, 0x80, 0),
        Ok(()),
    );
    let got = step(
        f,
        "notification: wait",
        Syscall::Wait,
        args(note, 0, 0),
        Ok(()),
    );
    if got.code() == 0 && got.r[1] & 0x80 == 0 {
        f.unexpected(
            "notification: the waited-for bit did not arrive",
            10,
            got.r[1],
        );
    }
}

/// Arm's semihosting call from user mode must reach the kernel as an
/// ordinary system call, never QEMU: `SYS_EXIT` would end the run, and
/// `SYS_WRITE0` would print from this partition's memory.
fn semihosting_from_user_mode(f: &mut Fuzzer) {
    const SYS_EXIT: u32 = 0x18;
    const SYS_WRITE0: u32 = 0x04;
    const RUN_TIME_ERROR: u32 = 0x2_0024;
    for (what, operation, parameter, want) in [
        ("semihosting: exit", SYS_EXIT, RUN_TIME_ERROR, Unmapped),
        (
            "semihosting: write",
            SYS_WRITE0,
            f.targets().zeros,
            Unaligned,
        ),
    ] {
        // SAFETY: the kernel reads r0 as `clock_read`'s pointer: 0x18 is
        // unmapped and 0x4 unaligned, so it writes nothing.
        let returned = unsafe { semihosting_svc(Syscall::ClockRead as u32, operation, parameter) };
        f.calls += 1;
        f.expect(what, returned, Err(want));
    }
}

/// Mappings outside the window, past its end, unaligned, with unknown or
/// too many rights; splitting a frame into pages and mapping one.
fn map_bounds_and_split(f: &mut Fuzzer) {
    clear(f, slot::SCENARIO);
    let (frame, s) = (slot(slot::FRAME), slot(slot::SCENARIO));
    let x = Rights::EXECUTE.bits();
    let checks: [Check; 12] = [
        (
            "maps: past the window's end",
            Syscall::FrameMap,
            [frame, GRANT_WINDOW_END - PAGE_SIZE, R],
            Err(InvalidArgument),
        ),
        (
            "maps: unaligned",
            Syscall::FrameMap,
            [frame, SCENARIO_VA + 0x800, R],
            Err(InvalidArgument),
        ),
        (
            "maps: over the partition's text",
            Syscall::FrameMap,
            [frame, USER_BASE, R],
            Err(InvalidArgument),
        ),
        (
            "maps: into the kernel",
            Syscall::FrameMap,
            [frame, 0xFFFF_F000, R],
            Err(InvalidArgument),
        ),
        (
            "maps: unknown rights",
            Syscall::FrameMap,
            [frame, SCENARIO_VA, 0x10],
            Err(InvalidArgument),
        ),
        (
            "maps: executable",
            Syscall::FrameMap,
            [frame, SCENARIO_VA, R | x],
            Err(MissingRights),
        ),
        (
            "maps: write without read",
            Syscall::FrameMap,
            [frame, SCENARIO_VA, Rights::WRITE.bits()],
            Err(MissingRights),
        ),
        (
            "split: page past the end",
            Syscall::FrameSplit,
            [frame, MAX_FRAME_PAGES, s],
            Err(InvalidArgument),
        ),
        (
            "split: huge page",
            Syscall::FrameSplit,
            [frame, u32::MAX, s],
            Err(InvalidArgument),
        ),
        (
            "split: last page",
            Syscall::FrameSplit,
            [frame, MAX_FRAME_PAGES - 1, s],
            Ok(()),
        ),
        (
            "split: into a full slot",
            Syscall::FrameSplit,
            [frame, 0, s],
            Err(SlotOccupied),
        ),
        (
            "split: out of range",
            Syscall::FrameSplit,
            [frame, 0, slot(slot::COUNT)],
            Err(InvalidArgument),
        ),
    ];
    for (what, number, [a, b, c], want) in checks {
        step(f, what, number, args(a, b, c), want);
    }
    let mapped = step(
        f,
        "split: map the page",
        Syscall::FrameMap,
        args(s, SCENARIO_VA, RW),
        Ok(()),
    );
    if mapped.code() == 0 && mapped.r[1] != 1 {
        f.unexpected("split: a page maps as more than one", 12, mapped.r[1]);
    }
    step(
        f,
        "split: use it",
        Syscall::ClockRead,
        args(SCENARIO_VA + 8, 0, 0),
        Ok(()),
    );
    step(
        f,
        "split: one page only",
        Syscall::ClockRead,
        args(SCENARIO_VA + PAGE_SIZE, 0, 0),
        Err(Unmapped),
    );
    step(
        f,
        "split: delete",
        Syscall::CapDelete,
        args(s, 0, 0),
        Ok(()),
    );
    step(
        f,
        "split: unmapped with it",
        Syscall::ClockRead,
        args(SCENARIO_VA + 8, 0, 0),
        Err(Unmapped),
    );
    step(
        f,
        "split: delete again",
        Syscall::CapDelete,
        args(s, 0, 0),
        Err(EmptySlot),
    );
}
