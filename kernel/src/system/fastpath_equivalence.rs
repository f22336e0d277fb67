//! The fastpath and the slow path must give identical results: the same
//! random steps (and steps biased towards call/reply round trips, where
//! the fastpath applies, or towards a guest thread's exceptions and their
//! replies) run on two systems, one with the fastpath and one without, and
//! after every step the next thing to run, the registers it runs with, and
//! every thread's state and saved registers must agree.

extern crate std;

use proptest::prelude::*;

use super::random_calls::{call, machine, rig, step, Step, CAPS};
use super::{Next, System};
use crate::exception::{ExceptionKind, TrapFrame};
use crate::machine::tests::FakeMachine;
use crate::machine::UserFault;
use kernel_abi::syscall::{MessageInfo, Syscall};

/// A call on endpoint slot 0 or a `reply_recv` on it, with a few words:
/// what a client and a passive server do in a loop.
fn round_trip() -> impl Strategy<Value = Step> {
    (prop::bool::ANY, 0u8..=4, any::<[u32; 4]>()).prop_map(|(is_call, length, words)| {
        let number = if is_call {
            Syscall::Call
        } else {
            Syscall::ReplyRecv
        };
        let info = MessageInfo {
            buffer: false,
            length,
            granted: None,
            slot: None,
        }
        .encode();
        Step::Call([
            0,
            words[0],
            words[1],
            words[2],
            words[3],
            0,
            info,
            number as u32,
        ])
    })
}

fn steps() -> impl Strategy<Value = std::vec::Vec<Step>> {
    let mixed = prop_oneof![
        6 => round_trip(),
        3 => step(),
        1 => call().prop_map(Step::Call),
    ];
    proptest::collection::vec(mixed, 300)
}

fn apply(system: &mut System<'_>, frame: &mut TrapFrame, m: &mut FakeMachine, step: &Step) -> Next {
    match step {
        Step::Call(registers) => {
            frame.r[..8].copy_from_slice(registers);
            system.cpu_syscall(frame, m)
        }
        Step::Tick => system.cpu_tick(frame, m),
        Step::Fault => {
            let fault = UserFault {
                exception: ExceptionKind::DataAbort,
                pc: frame.pc,
                fault: None,
            };
            system.cpu_fault(frame, fault, m)
        }
    }
}

/// Runs `steps` both ways; the first difference, if any, and how many
/// calls and replies the fastpath took.
fn compare(steps: &[Step]) -> Result<usize, std::string::String> {
    let (mut fast_rig, mut slow_rig) = (rig(), rig());
    let mut fast = fast_rig.system_with_caps(&[(0, 1), (1, 1)], 0, &CAPS);
    let mut slow = slow_rig.system_with_caps(&[(0, 1), (1, 1)], 0, &CAPS);
    slow.fastpath = false;
    let (mut fm, mut sm) = (machine(), machine());
    let (mut ff, mut sf) = (TrapFrame::default(), TrapFrame::default());
    let mut next = fast.cpu_start(&mut ff, &mut fm);
    if next != slow.cpu_start(&mut sf, &mut sm) {
        return Err("different start".into());
    }
    let mut taken = 0;
    for (i, step) in steps.iter().enumerate() {
        if matches!(next, Next::Shutdown(_)) {
            break;
        }
        let before = fast.fast_call;
        next = apply(&mut fast, &mut ff, &mut fm, step);
        let slow_next = apply(&mut slow, &mut sf, &mut sm, step);
        if fast.fast_call != before || (before.is_some() && fast.fast_call.is_none()) {
            taken += 1;
        }
        if next != slow_next || ff != sf || fast.current != slow.current {
            return Err(std::format!(
                "step {i} ({step:x?}): fast {next:?} {ff:x?}, slow {slow_next:?} {sf:x?}"
            ));
        }
        for (t, (a, b)) in fast.threads.iter().zip(slow.threads.iter()).enumerate() {
            // The running thread's registers are the frame, compared above;
            // its saved copy is rewritten when it next enters the kernel.
            let running = fast.current == Some(t);
            let saved_differ = !running && a.context != b.context;
            if a.state != b.state || saved_differ || a.reply_dropped != b.reply_dropped {
                return Err(std::format!("step {i} ({step:x?}): thread {t} differs"));
            }
        }
        fast.check().map_err(|e| std::format!("step {i}: {e}"))?;
    }
    Ok(taken)
}

/// The steps that start partition `a`'s guest thread 0 (slot 8) in
/// address space 0 (slot 6) at priority 1, its exceptions going to
/// endpoint 1 (slot 1), on which `a`'s first thread (priority 2) then
/// waits; `a`'s second thread waits on endpoint 0. The guest thread is
/// then what runs in `a`'s window.
fn guest_setup() -> std::vec::Vec<Step> {
    let call = |number: Syscall, args: [u32; 3]| {
        Step::Call([args[0], args[1], args[2], 0, 0, 0, 0, number as u32])
    };
    std::vec![
        // The passive server's two threads initialise and wait.
        call(Syscall::Recv, [0, 0, 0]),
        call(Syscall::Recv, [0, 0, 0]),
        call(Syscall::ThreadBind, [8, 6, 1]),
        call(Syscall::ThreadSetPriority, [8, 1, 0]),
        call(Syscall::ThreadResume, [8, 0, 0]),
        call(Syscall::Recv, [1, 0, 0]),
        call(Syscall::Recv, [0, 0, 0]),
    ]
}

/// The guest kernel's answer to an exception on endpoint slot 1: mostly a
/// resume with up to three register words, sometimes a suspend or a bad
/// action.
fn exception_reply() -> impl Strategy<Value = Step> {
    let action = prop_oneof![6 => Just(0u32), 1 => Just(1), 1 => 2u32..8];
    (action, 0u8..=4, any::<[u32; 3]>()).prop_map(|(action, length, words)| {
        let info = MessageInfo {
            buffer: false,
            length,
            granted: None,
            slot: None,
        }
        .encode();
        Step::Call([
            1,
            action,
            words[0],
            words[1],
            words[2],
            0,
            info,
            Syscall::ReplyRecv as u32,
        ])
    })
}

/// A guest thread's system call (what any call step is when it runs).
fn guest_syscall() -> impl Strategy<Value = Step> {
    any::<[u32; 8]>().prop_map(Step::Call)
}

fn guest_steps() -> impl Strategy<Value = std::vec::Vec<Step>> {
    let mixed = prop_oneof![
        4 => guest_syscall(),
        4 => exception_reply(),
        1 => step(),
    ];
    proptest::collection::vec(mixed, 200).prop_map(|random| {
        let mut steps = guest_setup();
        steps.extend(random);
        steps
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn fastpath_and_slow_path_agree(steps in steps()) {
        if let Err(difference) = compare(&steps) {
            prop_assert!(false, "{}", difference);
        }
    }

    #[test]
    fn fastpath_and_slow_path_agree_on_guest_exceptions(steps in guest_steps()) {
        if let Err(difference) = compare(&steps) {
            prop_assert!(false, "{}", difference);
        }
    }
}

/// A process that makes system calls its guest kernel answers: the
/// exception and its reply take the fastpath every time.
#[test]
fn an_exception_loop_takes_the_fastpath_both_ways() {
    let mut steps = guest_setup();
    for n in 0..20 {
        steps.push(Step::Call([n, 0, 0, 0, 0, 0, 0, 9]));
        let info = MessageInfo {
            buffer: false,
            length: 2,
            granted: None,
            slot: None,
        }
        .encode();
        steps.push(Step::Call([
            1,
            0,
            n + 100,
            0,
            0,
            0,
            info,
            Syscall::ReplyRecv as u32,
        ]));
    }
    let taken = compare(&steps).unwrap();
    assert!(taken >= 39, "the fastpath took {taken} of 40 steps");
}

/// The comparison is only worth something if the fastpath runs: a plain
/// client/server loop takes it on every call and reply.
#[test]
fn a_round_trip_loop_takes_the_fastpath_both_ways() {
    let info = MessageInfo {
        buffer: false,
        length: 2,
        granted: None,
        slot: None,
    }
    .encode();
    // The server's two threads initialise first and wait on the endpoint;
    // then the client (thread 0, priority 2) runs in its window.
    let wait = Step::Call([0, 0, 0, 0, 0, 0, 0, Syscall::Recv as u32]);
    let mut steps = std::vec![wait.clone(), wait];
    for n in 0..20 {
        steps.push(Step::Call([
            0,
            n,
            n + 1,
            0,
            0,
            0,
            info,
            Syscall::Call as u32,
        ]));
        steps.push(Step::Call([
            0,
            n + 7,
            0,
            0,
            0,
            0,
            info,
            Syscall::ReplyRecv as u32,
        ]));
    }
    let taken = compare(&steps).unwrap();
    assert!(taken >= 30, "the fastpath took {taken} of 40 steps");
}
