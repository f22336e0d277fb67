//! The fastpath and the slow path must give identical results: the same
//! random steps (and steps biased towards call/reply round trips, where
//! the fastpath applies, or towards a guest thread's exceptions and their
//! replies) run on two systems, one with the fastpath and one without, and
//! after every step the next thing to run, the registers it runs with, and
//! every thread's state and saved registers must agree.

extern crate std;

use proptest::prelude::*;

use super::random_calls::{call, machine, rig, step, Cap, Step, CAPS};
use super::tests::{thread, Rig};
use super::{Next, System};
use crate::cap::layout::SlotRef;
use crate::cap::{CapKind, EndpointId};
use crate::exception::{ExceptionKind, TrapFrame};
use crate::fault::{AccessKind, Fault};
use crate::ipc::ThreadId;
use crate::machine::tests::FakeMachine;
use crate::machine::UserFault;
use crate::partition::PartitionState;
use crate::thread::ThreadState;
use boot_info::CapObjectInfo::{Endpoint as Ep, Frame};
use kernel_abi::cap::{CapSlot, GrantDescriptor, GrantKind, Rights};
use kernel_abi::syscall::{MessageInfo, Syscall};
use kernel_abi::user_layout::{GRANT_WINDOW, PAGE_SIZE};

/// Every right.
const ALL: u32 = Rights::READ
    .union(Rights::WRITE)
    .union(Rights::GRANT)
    .union(Rights::EXECUTE)
    .bits();

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

/// A step of a comparison: one of the random steps, or a page fault in
/// the grant window (the pager scenario's).
#[derive(Clone, Debug)]
enum Action {
    Step(Step),
    /// The running thread faults on page `page` of the grant window.
    PageFault {
        page: u32,
        write: bool,
    },
}

fn apply(
    system: &mut System<'_>,
    frame: &mut TrapFrame,
    m: &mut FakeMachine,
    action: &Action,
) -> Next {
    match action {
        Action::Step(Step::Call(registers)) => {
            frame.r[..8].copy_from_slice(registers);
            system.cpu_syscall(frame, m)
        }
        Action::Step(Step::Tick) => system.cpu_tick(frame, m),
        Action::Step(Step::Fault) => {
            let fault = UserFault {
                exception: ExceptionKind::DataAbort,
                pc: frame.pc,
                fault: None,
            };
            system.cpu_fault(frame, fault, m)
        }
        Action::PageFault { page, write } => {
            let fault = UserFault {
                exception: ExceptionKind::DataAbort,
                pc: frame.pc,
                fault: Some(Fault {
                    address: GRANT_WINDOW + page * PAGE_SIZE + 8,
                    // A translation fault (page), read or write.
                    status: if *write { 0x807 } else { 0x7 },
                    access: if *write {
                        AccessKind::Write
                    } else {
                        AccessKind::Read
                    },
                }),
            };
            system.cpu_fault(frame, fault, m)
        }
    }
}

/// Runs `steps` both ways on the random calls' rig; the first difference,
/// if any, and how many calls and replies the fastpath took.
fn compare(steps: &[Step]) -> Result<usize, std::string::String> {
    let actions: std::vec::Vec<Action> = steps.iter().cloned().map(Action::Step).collect();
    compare_on(rig, &CAPS, &actions)
}

/// Runs `actions` both ways on two systems built by `make` with `caps`.
fn compare_on(
    make: fn() -> Rig,
    caps: &[Cap],
    actions: &[Action],
) -> Result<usize, std::string::String> {
    let (mut fast_rig, mut slow_rig) = (make(), make());
    let mut fast = fast_rig.system_with_caps(&[(0, 1), (1, 1)], 0, caps);
    let mut slow = slow_rig.system_with_caps(&[(0, 1), (1, 1)], 0, caps);
    slow.fastpath = false;
    let (mut fm, mut sm) = (machine(), machine());
    let (mut ff, mut sf) = (TrapFrame::default(), TrapFrame::default());
    let mut next = fast.cpu_start(&mut ff, &mut fm);
    if next != slow.cpu_start(&mut sf, &mut sm) {
        return Err("different start".into());
    }
    let mut taken = 0;
    for (i, step) in actions.iter().enumerate() {
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
        for p in 0..fast.partitions().len() {
            if fast.partitions()[p].state != slow.partitions()[p].state {
                return Err(std::format!("step {i} ({step:x?}): partition {p} differs"));
            }
        }
        // Page tables, reports and TLB maintenance.
        if fm.memory != sm.memory
            || fm.events != sm.events
            || fm.tlb_invalidations != sm.tlb_invalidations
        {
            return Err(std::format!("step {i} ({step:x?}): the machine differs"));
        }
        fast.check().map_err(|e| std::format!("step {i}: {e}"))?;
    }
    Ok(taken)
}

/// The pager scenario: partition `a` (threads of priority 2 and 1) has a
/// pager (its slot 1, badge 9) — the passive partition `s`'s thread of
/// priority 5, which waits on endpoint 0 and passes copies of its frame
/// (slot 3); `b` has a thread that can call the pager's endpoint too.
fn pager_rig() -> Rig {
    let mut rig = Rig::new(std::vec![
        thread(0, 2, 0xA000),
        thread(0, 1, 0xA100),
        thread(1, 1, 0xB000),
        thread(2, 5, 0x5000),
    ])
    .with_passive_server();
    rig.partitions[0].pager = Some(1);
    rig
}

const PAGER_CAPS: [Cap; 5] = [
    (0, 1, Ep(0), Rights::WRITE.bits(), 9),
    (0, 2, Frame(1), ALL, 0),
    (1, 0, Ep(0), Rights::WRITE.bits(), 3),
    (2, 0, Ep(0), Rights::READ.bits(), 0),
    (2, 3, Frame(0), ALL, 0),
];

/// The pager's answer: mostly a derived read/write copy of its frame,
/// sometimes a transfer, no frame, or a malformed grant descriptor.
fn pager_reply() -> impl Strategy<Value = Action> {
    let copy = |kind: GrantKind, rights: Rights| {
        GrantDescriptor {
            slot: CapSlot(3),
            kind,
            rights,
        }
        .encode()
    };
    let grant = prop_oneof![
        8 => Just(copy(GrantKind::DerivedCopy, Rights::READ.union(Rights::WRITE))),
        1 => Just(copy(GrantKind::DerivedCopy, Rights::READ)),
        1 => Just(copy(GrantKind::Transfer, Rights::NONE)),
        1 => Just(0),
        1 => any::<u32>(),
    ];
    (grant, 0u8..=2).prop_map(|(grant, length)| {
        let info = MessageInfo {
            buffer: false,
            length,
            granted: None,
            slot: None,
        }
        .encode();
        let registers = [0, 0, 0, 0, 0, grant, info, Syscall::ReplyRecv as u32];
        Action::Step(Step::Call(registers))
    })
}

/// The faulting side: a page fault in the first pages of the window, or
/// deleting a capability (a mapped copy, which unmaps its page).
fn pager_client() -> impl Strategy<Value = Action> {
    let delete = (0u32..8).prop_map(|slot| {
        Action::Step(Step::Call([
            slot,
            0,
            0,
            0,
            0,
            0,
            0,
            Syscall::CapDelete as u32,
        ]))
    });
    prop_oneof![
        4 => (0u32..4, prop::bool::ANY).prop_map(|(page, write)| Action::PageFault { page, write }),
        2 => delete,
    ]
}

fn pager_steps() -> impl Strategy<Value = std::vec::Vec<Action>> {
    let mixed = prop_oneof![
        4 => pager_client(),
        4 => pager_reply(),
        1 => step().prop_map(Action::Step),
    ];
    proptest::collection::vec(mixed, 200).prop_map(|random| {
        // The pager initialises and waits first.
        let wait = Step::Call([0, 0, 0, 0, 0, 0, 0, Syscall::Recv as u32]);
        let mut steps = std::vec![Action::Step(wait)];
        steps.extend(random);
        steps
    })
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

    #[test]
    fn fastpath_and_slow_path_agree_on_page_faults(actions in pager_steps()) {
        if let Err(difference) = compare_on(pager_rig, &PAGER_CAPS, &actions) {
            prop_assert!(false, "{}", difference);
        }
    }
}

/// A thread that faults on a page, is given a copy of the pager's frame
/// mapped there, and deletes the copy again (the benchmark's loop): the
/// fault and the pager's reply take the fastpath every time.
#[test]
fn a_page_fault_loop_takes_the_fastpath_both_ways() {
    let wait = Step::Call([0, 0, 0, 0, 0, 0, 0, Syscall::Recv as u32]);
    let reply = GrantDescriptor {
        slot: CapSlot(3),
        kind: GrantKind::DerivedCopy,
        rights: Rights::READ.union(Rights::WRITE),
    }
    .encode();
    let mut actions = std::vec![Action::Step(wait)];
    for n in 0..20 {
        actions.push(Action::PageFault {
            page: n % 3,
            write: n % 2 == 0,
        });
        actions.push(Action::Step(Step::Call([
            0,
            0,
            0,
            0,
            0,
            reply,
            0,
            Syscall::ReplyRecv as u32,
        ])));
        // The copy lands in the first free slot: 0 (slots 1 and 2 hold
        // the pager endpoint and a frame).
        actions.push(Action::Step(Step::Call([
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            Syscall::CapDelete as u32,
        ])));
    }
    let taken = compare_on(pager_rig, &PAGER_CAPS, &actions).unwrap();
    assert!(
        taken >= 40,
        "the fastpath took {taken} of 40 faults and replies"
    );
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

/// A pager that answers a fault with its own receive capability instead of
/// a frame: the capability cannot be mapped at the fault, so it stays with
/// the pager (it once moved into the faulting partition, which then held
/// the endpoint's only receive right, and its stop closed the endpoint
/// under the pager). The faulting partition stops, as with no frame, and
/// the pager waits on its endpoint again — the same both ways.
#[test]
fn a_pager_that_answers_with_its_endpoint_keeps_it_and_waits_on_it() {
    let wait = Action::Step(Step::Call([0, 0, 0, 0, 0, 0, 0, Syscall::Recv as u32]));
    let fault = Action::PageFault {
        page: 0,
        write: false,
    };
    let endpoint = GrantDescriptor {
        slot: CapSlot(0),
        kind: GrantKind::Transfer,
        rights: Rights::NONE,
    }
    .encode();
    let reply = Action::Step(Step::Call([
        0,
        0,
        0,
        0,
        0,
        endpoint,
        0,
        Syscall::ReplyRecv as u32,
    ]));
    let actions = [wait, fault, reply];
    // The fastpath system is checked after every step.
    compare_on(pager_rig, &PAGER_CAPS, &actions).unwrap();
    let mut rig = pager_rig();
    let mut slow = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &PAGER_CAPS);
    slow.fastpath = false;
    let (mut m, mut frame) = (machine(), TrapFrame::default());
    slow.cpu_start(&mut frame, &mut m);
    for action in &actions {
        apply(&mut slow, &mut frame, &mut m, action);
        slow.check().unwrap();
    }
    assert_eq!(slow.threads[3].state, ThreadState::Blocked);
    assert_eq!(
        slow.objects.endpoints.waiting_receiver(EndpointId(0)),
        Some(ThreadId(3)),
        "the pager waits on its endpoint, still open"
    );
    assert!(slow
        .objects
        .caps
        .lookup(SlotRef::new(2, 0), CapKind::Endpoint, Rights::READ)
        .is_ok());
    assert_eq!(slow.partitions()[0].state, PartitionState::Stopped);
}
