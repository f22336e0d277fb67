//! Hostile system calls from random numbers.
//!
//! [`random_call`] picks a call number (now and then one that does not
//! exist) and fills every argument register from classes of hostile
//! values, then [`sanitize`] removes the few choices that would stop the
//! fuzzer from fuzzing (see the crate documentation for the list). The
//! kernel must answer every call it makes with a result code, and never
//! panic, hang or let the fuzzer reach memory it has no capability for.
//! This module only chooses numbers: it must never make a call itself.

use kernel_abi::cap::{GrantDescriptor, GrantKind};
use kernel_abi::syscall::{Syscall, IPC_BUFFERS, IPC_BUFFER_PAYLOAD};
use kernel_abi::user_layout::{GRANT_WINDOW, PAGE_SIZE, USER_BASE, USER_TOP};

use crate::layout::{self, slot, GRANT_WINDOW_END, RANDOM_MAPS, RESERVED_MAPS};
use crate::rng::Rng;

/// Addresses in the running fuzzer the generator may point the kernel at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Targets {
    /// 16 writable bytes, 8-aligned, that nothing else uses: the one place
    /// `clock_read` may write.
    pub scratch: u32,
    /// [`ZEROS_LEN`] zero bytes nothing writes: a log frame from them is
    /// always refused (its body holds a zero byte).
    pub zeros: u32,
    /// An address in the fuzzer's text; everything from the start of its
    /// memory up to here is text, which nobody may write.
    pub text: u32,
}

/// Size of [`Targets::zeros`].
pub const ZEROS_LEN: u32 = 512;
/// Size of [`Targets::scratch`].
pub const SCRATCH_LEN: u32 = 16;

/// Something to do just before a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prelude {
    /// Nothing.
    None,
    /// Signal the fuzzer's own notification with these (non-zero) bits, so
    /// that a `wait` on it returns at once.
    SignalOwn(u32),
    /// Put this payload length in the fuzzer's IPC buffer (for a message
    /// that says it carries the buffer).
    BufferLength(u32),
}

/// One system call: `svc #0` with `number` in `r7` and `regs` in `r0`-`r6`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Call {
    /// `r7`.
    pub number: u32,
    /// `r0`-`r6`.
    pub regs: [u32; 7],
    /// What to do first.
    pub prelude: Prelude,
}

/// The last few capability slots the fuzzer filled: good candidates for
/// using a capability after it was moved, deleted or revoked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recent {
    slots: [u16; 8],
    next: usize,
}

impl Recent {
    /// Remembers `slot`.
    pub fn push(&mut self, slot: u16) {
        self.slots[self.next] = slot;
        self.next = (self.next + 1) & 7;
    }

    fn pick(&self, rng: &mut Rng) -> u16 {
        self.slots[rng.below(8) as usize]
    }
}

const LOG: u32 = Syscall::Log as u32;
const THREAD_EXIT: u32 = Syscall::ThreadExit as u32;
const CLOCK_READ: u32 = Syscall::ClockRead as u32;
const CALL: u32 = Syscall::Call as u32;
const REPLY_RECV: u32 = Syscall::ReplyRecv as u32;
const SEND: u32 = Syscall::Send as u32;
const RECV: u32 = Syscall::Recv as u32;
const WAIT: u32 = Syscall::Wait as u32;
const FRAME_MAP: u32 = Syscall::FrameMap as u32;
const FRAME_UNMAP: u32 = Syscall::FrameUnmap as u32;
const CAP_COPY: u32 = Syscall::CapCopy as u32;
const CAP_DELETE: u32 = Syscall::CapDelete as u32;
const PARTITION_STATUS: u32 = Syscall::PartitionStatus as u32;
const PARTITION_STOP: u32 = Syscall::PartitionStop as u32;
const FRAME_SPLIT: u32 = Syscall::FrameSplit as u32;
/// The highest call number there is. (The guest calls, 22 to 30, get
/// random registers only: the fuzzer holds no address space or thread
/// capability, so they must fail, as every call through a slot that does
/// not hold the right kind; so does `partition_restart`, 31: the
/// fuzzer's control capability has no restart right.)
pub const LAST_CALL: u32 = Syscall::PartitionRestart as u32;
/// Of the IPC calls whose slot is the victim's endpoint, the share (in
/// percent) kept there.
const VICTIM_PERCENT: u32 = 25;
/// Rights bits for a readable mapping, and a writable one.
const READ: u32 = kernel_abi::cap::Rights::READ.bits();
const READ_WRITE: u32 = READ | kernel_abi::cap::Rights::WRITE.bits();
/// The number [`sanitize`] puts in place of `thread_exit` (no such call).
pub const NOT_A_CALL: u32 = 0;

/// A random, hostile, sanitized call.
pub fn random_call(rng: &mut Rng, targets: &Targets, recent: &Recent) -> Call {
    let mut call = raw_call(rng, targets, recent);
    sanitize(&mut call, targets);
    call
}

/// A random call before [`sanitize`].
pub fn raw_call(rng: &mut Rng, t: &Targets, recent: &Recent) -> Call {
    let number = if rng.chance(6) {
        unknown_number(rng)
    } else {
        1 + rng.below(LAST_CALL)
    };
    let mut regs = [0u32; 7];
    for r in regs.iter_mut() {
        *r = rng.next_u32();
    }
    let mut prelude = Prelude::None;
    if rng.chance(4) {
        // Random numbers in every register, nothing else.
        return Call {
            number,
            regs,
            prelude,
        };
    }
    match number {
        LOG => {
            regs[0] = pointer(rng, t);
            regs[1] = log_length(rng, regs[0]);
        }
        CLOCK_READ => regs[0] = pointer(rng, t),
        CALL | REPLY_RECV | SEND | RECV => {
            regs[0] = if rng.chance(50) {
                u32::from(rng.pick(&[slot::ENDPOINT, slot::FEEDER]))
            } else {
                cap_slot(rng, recent)
            };
            // The victim's server is passive and shared: a call it serves
            // on the fuzzer's time when the fuzzer's window ends keeps the
            // victim waiting a window, and vice versa. Calls to it stay
            // rare (one in about a thousand) so that the victim and the
            // fuzzer do not end up taking turns a window at a time.
            if regs[0] == u32::from(slot::VICTIM) && !rng.chance(VICTIM_PERCENT) {
                regs[0] = u32::from(slot::ENDPOINT);
            }
            regs[5] = grant_word(rng, recent);
            regs[6] = info_word(rng);
            if regs[6] & BUFFER_BIT != 0 {
                prelude = Prelude::BufferLength(buffer_length(rng));
            }
        }
        FRAME_MAP => {
            regs[0] = frame_slot(rng, recent);
            regs[1] = map_address(rng);
            regs[2] = if rng.chance(60) {
                rng.pick(&[READ, READ_WRITE])
            } else {
                rights(rng)
            };
        }
        FRAME_UNMAP => regs[0] = frame_slot(rng, recent),
        CAP_COPY => {
            regs[0] = match rng.below(10) {
                0..=4 => rng.below(u32::from(slot::FIRST_FREE)),
                5 | 6 => u32::from(recent.pick(rng)),
                _ => cap_slot(rng, recent),
            };
            regs[1] = free_slot(rng, recent);
            regs[2] = if rng.chance(50) {
                rng.below(8)
            } else {
                rights(rng)
            };
        }
        CAP_DELETE => {
            regs[0] = if rng.chance(50) {
                u32::from(recent.pick(rng))
            } else {
                cap_slot(rng, recent)
            };
        }
        PARTITION_STATUS | PARTITION_STOP => {
            regs[0] = if rng.chance(50) {
                u32::from(slot::CONTROL)
            } else {
                cap_slot(rng, recent)
            };
            regs[1] = if rng.chance(70) {
                rng.below(12)
            } else {
                rng.next_u32()
            };
        }
        FRAME_SPLIT => {
            regs[0] = frame_slot(rng, recent);
            regs[1] = if rng.chance(60) {
                rng.below(6)
            } else {
                rng.next_u32()
            };
            regs[2] = free_slot(rng, recent);
        }
        _ => regs[0] = cap_slot(rng, recent),
    }
    Call {
        number,
        regs,
        prelude,
    }
}

/// Makes `call` safe for the fuzzer to make (see the crate documentation).
pub fn sanitize(call: &mut Call, t: &Targets) {
    let regs = &mut call.regs;
    match call.number {
        THREAD_EXIT => call.number = NOT_A_CALL,
        LOG => {
            let zeros = t.zeros..t.zeros + ZEROS_LEN;
            let accepted_length = (2..=256).contains(&regs[1]);
            if accepted_length
                && layout::touches_own(regs[0], regs[1])
                && !layout::inside(regs[0], regs[1], &zeros)
            {
                regs[0] = t.zeros + (regs[0] & 7);
            }
        }
        CLOCK_READ => {
            let scratch = t.scratch..t.scratch + SCRATCH_LEN;
            let text = USER_BASE..t.text;
            if layout::touches_own(regs[0], 8)
                && !layout::inside(regs[0], 8, &scratch)
                && !layout::inside(regs[0], 8, &text)
            {
                regs[0] = t.scratch + (regs[0] & 7);
            }
        }
        CALL | REPLY_RECV | SEND => {
            if let Ok(Some(grant)) = GrantDescriptor::decode(regs[5]) {
                if grant.kind == GrantKind::Transfer && grant.slot.0 < slot::FIRST_FREE {
                    regs[5] = (regs[5] & !0xFFFF) | u32::from(grant.slot.0 + slot::FIRST_FREE);
                }
            }
        }
        WAIT => call.prelude = Prelude::SignalOwn(regs[1] | 1),
        // Below the reserved zone: into the random zone or just below the
        // window (refused).
        FRAME_MAP if RESERVED_MAPS.contains(&regs[1]) => {
            regs[1] -= RESERVED_MAPS.end - RESERVED_MAPS.start;
        }
        CAP_DELETE if regs[0] < u32::from(slot::FIRST_FREE) => {
            regs[0] += u32::from(slot::FIRST_FREE);
        }
        _ => {}
    }
}

/// A number that names no call.
fn unknown_number(rng: &mut Rng) -> u32 {
    match rng.below(6) {
        0 => 0,
        1 => LAST_CALL + 1 + rng.below(64),
        2 => 0x0012_3456,
        3 => 0xAB,
        4 => u32::MAX,
        _ => rng.next_u32() | 0x100,
    }
}

/// A slot: mostly the fuzzer's own (filled or empty), else one it
/// recently filled, one out of range, the "no slot" value or anything.
fn cap_slot(rng: &mut Rng, recent: &Recent) -> u32 {
    u32::from(match rng.below(100) {
        0..=44 => rng.below(u32::from(slot::COUNT)) as u16,
        45..=59 => rng.below(u32::from(slot::FIRST_FREE)) as u16,
        60..=69 => recent.pick(rng),
        70..=79 => slot::COUNT + rng.below(0xFFFE - u32::from(slot::COUNT)) as u16,
        80..=84 => 0xFFFF,
        _ => return rng.next_u32(),
    })
}

/// A slot likely to hold a frame: the description's two, one recently
/// filled (perhaps a copy or a page of one), or any slot.
fn frame_slot(rng: &mut Rng, recent: &Recent) -> u32 {
    match rng.below(10) {
        0..=3 => u32::from(rng.pick(&[slot::FRAME, slot::READ_ONLY_FRAME])),
        4..=6 => u32::from(recent.pick(rng)),
        _ => cap_slot(rng, recent),
    }
}

/// A slot likely to be free for a new capability: one the description
/// left empty, or any slot.
fn free_slot(rng: &mut Rng, recent: &Recent) -> u32 {
    if rng.chance(60) {
        u32::from(slot::FIRST_FREE) + rng.below(u32::from(slot::COUNT - slot::FIRST_FREE))
    } else {
        cap_slot(rng, recent)
    }
}

/// A pointer: null, low, kernel-half, unaligned, read-only, unmapped, at
/// the top of user space, wrapping, the grant window, IPC buffers, the
/// zero block, the scratch bytes, or anything.
fn pointer(rng: &mut Rng, t: &Targets) -> u32 {
    match rng.below(13) {
        0 => 0,
        1 => rng.below(USER_BASE),
        2 => 0x8000_0000 | rng.next_u32(),
        3 => t.scratch + rng.below(SCRATCH_LEN),
        4 => USER_BASE + (rng.below(t.text - USER_BASE) & !7),
        5 => 0x0100_0000 + rng.below(IPC_BUFFERS - 0x0100_0000),
        6 => USER_TOP - 16 + rng.below(16),
        7 => 0xFFFF_FF00 + rng.below(256),
        8 => GRANT_WINDOW + rng.below(GRANT_WINDOW_END - GRANT_WINDOW),
        9 => IPC_BUFFERS + rng.below(3 * PAGE_SIZE),
        10 => t.zeros + rng.below(256),
        11 => t.scratch,
        _ => rng.next_u32(),
    }
}

/// A log length: empty, too short, acceptable, too long, huge, or one
/// that wraps the address space from `pointer`.
fn log_length(rng: &mut Rng, pointer: u32) -> u32 {
    match rng.below(9) {
        0 => 0,
        1 => 1,
        2 | 3 => 2 + rng.below(255),
        4 => 256,
        5 => 257,
        6 => u32::MAX,
        7 => 0u32.wrapping_sub(pointer).wrapping_add(1 + rng.below(64)),
        _ => rng.next_u32(),
    }
}

/// A grant descriptor: none, a well-formed one, a malformed one, anything.
fn grant_word(rng: &mut Rng, recent: &Recent) -> u32 {
    match rng.below(10) {
        0..=3 => 0,
        4..=7 => {
            (frame_slot(rng, recent) & 0xFFFF) | ((1 + rng.below(3)) << 16) | (rng.below(16) << 20)
        }
        8 => (rng.next_u32() & 0x00F0_FFFF) | 1, // kind 0 with other bits: malformed
        _ => rng.next_u32(),
    }
}

/// The info word's "carries the IPC buffer" bit.
const BUFFER_BIT: u32 = 1 << 3;

/// A message info word: well-formed (length, receive slot, buffer bit),
/// too long, zero, or anything.
fn info_word(rng: &mut Rng) -> u32 {
    match rng.below(10) {
        0..=4 => {
            let mut word = rng.below(5);
            if rng.chance(30) {
                word |= (1 + rng.below(u32::from(slot::COUNT) + 4)) << 16;
            }
            if rng.chance(10) {
                word |= BUFFER_BIT;
            }
            word
        }
        5 | 6 => 5 + rng.below(3),
        7 => 0,
        _ => rng.next_u32(),
    }
}

/// An IPC buffer payload length: empty, small, the largest, one too many,
/// or anything.
fn buffer_length(rng: &mut Rng) -> u32 {
    match rng.below(6) {
        0 => 0,
        1 => rng.below(64),
        2 => IPC_BUFFER_PAYLOAD,
        3 => IPC_BUFFER_PAYLOAD + 1,
        4 => u32::MAX,
        _ => rng.next_u32(),
    }
}

/// Where to map a frame: a page of the random zone, anywhere in the window
/// (unaligned, or so near its end that the frame overflows it), outside
/// the window, or anything.
fn map_address(rng: &mut Rng) -> u32 {
    let random_pages = (RANDOM_MAPS.end - RANDOM_MAPS.start) / PAGE_SIZE;
    match rng.below(10) {
        0..=4 => RANDOM_MAPS.start + rng.below(random_pages) * PAGE_SIZE,
        5 => GRANT_WINDOW + rng.below(GRANT_WINDOW_END - GRANT_WINDOW),
        6 => GRANT_WINDOW_END - PAGE_SIZE * (1 + rng.below(4)),
        7 => rng.pick(&[
            0,
            USER_BASE,
            0xFFFF_F000,
            USER_TOP - PAGE_SIZE,
            GRANT_WINDOW - PAGE_SIZE,
        ]),
        _ => rng.next_u32(),
    }
}

/// Rights bits: mostly some of the four, sometimes anything.
fn rights(rng: &mut Rng) -> u32 {
    if rng.chance(80) {
        rng.below(16)
    } else {
        rng.next_u32()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{touches_own, HELPER_VA, MAX_FRAME_PAGES, SCENARIO_VA};
    use kernel_abi::syscall::MessageInfo;

    const TARGETS: Targets = Targets {
        scratch: 0x0011_2000,
        zeros: 0x0011_3000,
        text: 0x0010_8000,
    };

    fn calls(seed: u32, count: usize) -> std::vec::Vec<Call> {
        let mut rng = Rng::new(seed);
        let mut recent = Recent::default();
        (0..count)
            .map(|i| {
                let call = random_call(&mut rng, &TARGETS, &recent);
                recent.push((i % 48) as u16);
                call
            })
            .collect()
    }

    #[test]
    fn a_seed_replays_the_same_calls() {
        assert_eq!(calls(0x1E18, 5000), calls(0x1E18, 5000));
        assert_ne!(calls(0x1E18, 50), calls(0x1E19, 50));
    }

    #[test]
    fn the_fuzzer_never_exits_deletes_or_gives_away_what_it_must_keep() {
        for call in calls(1, 200_000) {
            assert_ne!(call.number, THREAD_EXIT);
            if call.number == CAP_DELETE {
                assert!(call.regs[0] >= u32::from(slot::FIRST_FREE), "{call:x?}");
            }
            if matches!(call.number, CALL | SEND | REPLY_RECV) {
                if let Ok(Some(grant)) = GrantDescriptor::decode(call.regs[5]) {
                    assert!(
                        grant.kind != GrantKind::Transfer || grant.slot.0 >= slot::FIRST_FREE,
                        "{call:x?}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_kernel_is_never_asked_to_write_into_the_fuzzer_or_accept_its_log_frames() {
        let scratch = TARGETS.scratch..TARGETS.scratch + SCRATCH_LEN;
        let zeros = TARGETS.zeros..TARGETS.zeros + ZEROS_LEN;
        let text = USER_BASE..TARGETS.text;
        for call in calls(2, 300_000) {
            let [ptr, len, ..] = call.regs;
            if call.number == CLOCK_READ && touches_own(ptr, 8) {
                assert!(
                    layout::inside(ptr, 8, &scratch) || layout::inside(ptr, 8, &text),
                    "clock_read into {ptr:#x}"
                );
            }
            if call.number == LOG && (2..=256).contains(&len) && touches_own(ptr, len) {
                assert!(layout::inside(ptr, len, &zeros), "log from {ptr:#x}+{len}");
            }
        }
    }

    #[test]
    fn random_mappings_stay_out_of_the_reserved_zone() {
        for call in calls(3, 300_000) {
            if call.number == FRAME_MAP {
                let at = call.regs[1];
                let end = u64::from(at) + u64::from(MAX_FRAME_PAGES * PAGE_SIZE);
                let in_window = (GRANT_WINDOW..GRANT_WINDOW_END).contains(&at);
                assert!(
                    !in_window || !RESERVED_MAPS.contains(&at) && end <= u64::from(SCENARIO_VA),
                    "frame_map at {at:#x}"
                );
            }
        }
        assert!(RESERVED_MAPS.contains(&HELPER_VA));
    }

    #[test]
    fn every_wait_is_preceded_by_a_signal_of_the_fuzzers_own_notification() {
        for call in calls(4, 100_000) {
            if call.number == WAIT {
                assert!(
                    matches!(call.prelude, Prelude::SignalOwn(bits) if bits != 0),
                    "{call:x?}"
                );
            }
        }
    }

    #[test]
    fn the_calls_cover_every_number_and_every_hostile_class() {
        let all = calls(5, 200_000);
        for number in (1..=LAST_CALL).filter(|&n| n != THREAD_EXIT) {
            assert!(all.iter().any(|c| c.number == number), "call {number}");
        }
        let has = |test: &dyn Fn(&Call) -> bool| all.iter().any(test);
        assert!(has(&|c| c.number > LAST_CALL), "unknown numbers");
        assert!(
            has(&|c| c.number == CLOCK_READ && c.regs[0] >= USER_TOP),
            "kernel pointers"
        );
        assert!(has(&|c| c.number == CLOCK_READ && c.regs[0] == 0), "null");
        assert!(
            has(&|c| c.number == CLOCK_READ && c.regs[0] & 7 != 0),
            "unaligned"
        );
        assert!(
            has(&|c| c.number == CLOCK_READ && (USER_BASE..TARGETS.text).contains(&c.regs[0])),
            "read-only"
        );
        assert!(
            has(&|c| c.number == LOG && c.regs[0].checked_add(c.regs[1]).is_none()),
            "wrapping lengths"
        );
        assert!(has(&|c| c.number == LOG && c.regs[1] == 0), "empty lengths");
        assert!(
            has(&|c| c.number == CALL
                && matches!(GrantDescriptor::decode(c.regs[5]), Ok(Some(g)) if g.kind == GrantKind::Transfer)),
            "transfers"
        );
        assert!(
            has(&|c| c.number == SEND && GrantDescriptor::decode(c.regs[5]).is_err()),
            "bad grants"
        );
        assert!(
            has(&|c| c.number == CALL && MessageInfo::decode(c.regs[6]).is_none()),
            "bad infos"
        );
        assert!(
            has(&|c| matches!(c.prelude, Prelude::BufferLength(n) if n > IPC_BUFFER_PAYLOAD)),
            "oversized buffer payloads"
        );
        assert!(
            has(&|c| c.number == RECV && c.regs[0] == u32::from(slot::ENDPOINT)),
            "self receives"
        );
        assert!(
            has(&|c| c.number == CALL && c.regs[0] == u32::from(slot::ENDPOINT)),
            "self calls"
        );
        assert!(
            has(&|c| c.number == PARTITION_STOP && c.regs[0] == u32::from(slot::CONTROL)),
            "stops"
        );
        assert!(
            has(&|c| c.number == Syscall::IrqAck as u32 && c.regs[0] == u32::from(slot::IRQ)),
            "irq acks"
        );
        assert!(
            has(&|c| c.number == Syscall::CapRevoke as u32 && c.regs[0] == u32::from(slot::FRAME)),
            "revokes"
        );
        assert!(
            has(&|c| c.number == CAP_COPY && c.regs[0] >= 0x1_0000),
            "slots beyond 16 bits"
        );
        assert!(
            has(&|c| c.number == FRAME_MAP && c.regs[1] & 0xFFF != 0),
            "unaligned maps"
        );
    }
}
