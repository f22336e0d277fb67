//! Attacks the kernel core on the host: random registers from whichever
//! thread runs, fed into `on_syscall`, mixed with random ticks and faults,
//! with [`System::check`] after every step. Nothing a partition puts in its
//! registers may break an invariant, panic, or leave a thread blocked with
//! nothing that can wake it.
//!
//! The registers are drawn to hit the interesting cases often: the slots
//! that hold capabilities (and some that do not), grant descriptors of
//! every kind, info words that are valid, malformed or offer a receive
//! slot, addresses in and out of the grant window, page-aligned user
//! addresses and megabyte boundaries, the page that holds a register
//! frame, and plain random words. Partition `a` is a guest kernel: its
//! guest threads, once bound and resumed by random calls, run too, and
//! their random `svc`s and faults become exception messages that its
//! threads answer with random replies. `KERNEL_FUZZ_CASES` raises the
//! number of sequences.

extern crate std;

use proptest::prelude::*;

use super::tests::{thread, Rig, GUEST_RAM, GUEST_RAM_SIZE};
use super::{Next, System};
use crate::exception::{ExceptionKind, TrapFrame};
use crate::machine::tests::FakeMachine;
use crate::machine::UserFault;
use boot_info::CapObjectInfo::{Endpoint as Ep, Frame, Notification as Nt, PartitionControl};
use kernel_abi::cap::{CapSlot, GrantDescriptor, GrantKind, Rights};
use kernel_abi::syscall::{MessageInfo, Syscall, SyscallError};
use kernel_abi::user_layout::{GRANT_WINDOW, PAGE_SIZE};

use crate::mm::user_space::{Region, Rights as RegionRights};

const ALL: u32 = Rights::ALL.bits();

/// One step of a run.
#[derive(Clone, Debug)]
pub(super) enum Step {
    /// The running thread makes call `r7` with registers `r0`-`r6`.
    Call([u32; 8]),
    /// A tick.
    Tick,
    /// The running thread faults.
    Fault,
}

fn slot() -> impl Strategy<Value = u32> {
    prop_oneof![8 => 0u32..10, 1 => Just(0xFFFF), 1 => any::<u32>()]
}

fn grant() -> impl Strategy<Value = u32> {
    let kind = prop_oneof![
        Just(GrantKind::Transient),
        Just(GrantKind::Transfer),
        Just(GrantKind::DerivedCopy)
    ];
    let descriptor = (0u16..10, kind, 0u32..16).prop_map(|(slot, kind, rights)| {
        let rights = if kind == GrantKind::Transfer {
            Rights::NONE
        } else {
            Rights::from_bits(rights & ALL).unwrap_or(Rights::NONE)
        };
        GrantDescriptor {
            slot: CapSlot(slot),
            kind,
            rights,
        }
        .encode()
    });
    prop_oneof![4 => Just(0), 4 => descriptor, 1 => any::<u32>()]
}

fn info() -> impl Strategy<Value = u32> {
    let valid = (0u8..=4, proptest::option::of(0u16..10)).prop_map(|(length, slot)| {
        MessageInfo {
            buffer: false,
            length,
            granted: None,
            slot: slot.map(CapSlot),
        }
        .encode()
    });
    prop_oneof![6 => valid, 1 => Just(5), 1 => any::<u32>()]
}

fn word() -> impl Strategy<Value = u32> {
    prop_oneof![
        3 => 0u32..8,
        2 => (0u32..256).prop_map(|page| GRANT_WINDOW + page * 0x1000),
        1 => Just(GRANT_WINDOW + 4),
        2 => (0u32..64).prop_map(|page| page * PAGE_SIZE),
        1 => (0u32..0x800).prop_map(|megabyte| (megabyte << 20).wrapping_sub(PAGE_SIZE)),
        1 => Just(REGISTERS_VA),
        2 => any::<u32>(),
    ]
}

/// A guest kernel's call with arguments that name its own address spaces,
/// threads, frames and endpoints, so the calls get past the capability
/// checks and build guest state for the random ones to attack.
fn guest_call() -> impl Strategy<Value = [u32; 8]> {
    let space = BUDGET.first_slot as u32..BUDGET.first_slot as u32 + 2;
    let thread = BUDGET.first_slot as u32 + 2..BUDGET.first_slot as u32 + 4;
    let frame = 3u32..5;
    let address = prop_oneof![
        3 => (0u32..16).prop_map(|page| page * PAGE_SIZE),
        1 => (1u32..4).prop_map(|megabyte| (megabyte << 20) - PAGE_SIZE),
    ];
    let rights = prop_oneof![Just(1u32), Just(3), Just(9), Just(11)];
    let call =
        |number: Syscall, args: [u32; 3]| [args[0], args[1], args[2], 0, 0, 0, 0, number as u32];
    prop_oneof![
        4 => (space.clone(), frame, address.clone(), rights).prop_map(|(s, f, a, r)| {
            [s, f, a, r, 0, 0, 0, Syscall::SpaceMap as u32]
        }),
        1 => (space.clone(), address, 1u32..4)
            .prop_map(move |(s, a, n)| call(Syscall::SpaceUnmap, [s, a, n])),
        1 => space.clone().prop_map(move |s| call(Syscall::SpaceReset, [s, 0, 0])),
        3 => (thread.clone(), space, prop_oneof![0u32..2, Just(0xFFFF)])
            .prop_map(move |(t, s, e)| call(Syscall::ThreadBind, [t, s, e])),
        2 => (thread.clone(), 0u32..4)
            .prop_map(move |(t, p)| call(Syscall::ThreadSetPriority, [t, p, 0])),
        1 => thread.clone()
            .prop_map(move |t| call(Syscall::ThreadReadRegisters, [t, REGISTERS_VA, 0])),
        1 => thread.clone()
            .prop_map(move |t| call(Syscall::ThreadWriteRegisters, [t, REGISTERS_VA, 0])),
        3 => thread.clone().prop_map(move |t| call(Syscall::ThreadResume, [t, 0, 0])),
        1 => thread.prop_map(move |t| call(Syscall::ThreadSuspend, [t, 0, 0])),
    ]
}

pub(super) fn call() -> impl Strategy<Value = [u32; 8]> {
    prop_oneof![5 => random_call(), 1 => guest_call()]
}

fn random_call() -> impl Strategy<Value = [u32; 8]> {
    // Thread exit is rare, so runs go on long enough to matter.
    let number = prop_oneof![120 => 4u32..=30, 1 => Just(3), 2 => any::<u32>()];
    (
        slot(),
        word(),
        word(),
        word(),
        word(),
        grant(),
        info(),
        number,
    )
        .prop_map(|(r0, r1, r2, r3, r4, r5, r6, r7)| [r0, r1, r2, r3, r4, r5, r6, r7])
}

pub(super) fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        160 => call().prop_map(Step::Call),
        24 => Just(Step::Tick),
        1 => Just(Step::Fault),
    ]
}

/// Where partition `a` keeps a page it may pass register frames in.
const REGISTERS_VA: u32 = 0x10_0000;

/// `a`'s guest budget: two address spaces (slots 6, 7), two guest threads
/// (8, 9), two page tables.
const BUDGET: boot_info::GuestBudget = boot_info::GuestBudget {
    address_spaces: 2,
    threads: 2,
    page_tables: 2,
    first_slot: 6,
};

/// The fake RAM every run uses: the grant-window tables at its start,
/// then the guest budget's tables and a page of `a`'s.
pub(super) fn machine() -> FakeMachine {
    FakeMachine::new(0x6100_0000, GUEST_RAM - 0x6100_0000 + GUEST_RAM_SIZE)
}

/// Two active partitions of two threads and a passive server of two;
/// endpoints, notifications, frames and a PartitionControl spread so that
/// every call has something real to act on; `a` is also a guest kernel.
pub(super) fn rig() -> Rig {
    let mut rig = Rig::new(std::vec![
        thread(0, 2, 0xA000),
        thread(0, 1, 0xA100),
        thread(1, 1, 0xB000),
        thread(1, 1, 0xB100),
        thread(2, 5, 0x5000),
        thread(2, 5, 0x5100),
    ])
    .with_passive_server()
    .with_guest(0, BUDGET);
    let page = Region::ram(
        REGISTERS_VA,
        PAGE_SIZE,
        GUEST_RAM + GUEST_RAM_SIZE - PAGE_SIZE as usize,
        RegionRights::ReadWrite,
    );
    rig.partitions[0].space.add(page).unwrap();
    rig
}

pub(super) type Cap = (u8, u16, boot_info::CapObjectInfo, u32, u32);

pub(super) const CAPS: [Cap; 13] = [
    (0, 0, Ep(0), ALL, 1),
    (0, 1, Ep(1), ALL, 0),
    (0, 2, Nt(0), ALL, 0),
    (0, 3, Frame(0), ALL, 0),
    (0, 4, Frame(1), ALL, 0),
    (0, 5, PartitionControl, ALL, 0),
    (1, 0, Ep(0), ALL, 2),
    (1, 1, Ep(1), ALL, 0),
    (1, 2, Nt(0), ALL, 0),
    (1, 3, Frame(1), ALL, 0),
    (2, 0, Ep(0), ALL, 0),
    (2, 1, Nt(1), ALL, 0),
    (2, 2, Ep(1), Rights::READ.bits(), 0),
];

/// Runs `steps`, checking the invariants after each; the first broken one.
fn run(system: &mut System<'_>, steps: &[Step]) -> Result<(), std::string::String> {
    let mut m = machine();
    let mut frame = TrapFrame::default();
    let mut next = system.cpu_start(&mut frame, &mut m);
    system.check().map_err(|e| std::format!("at start: {e}"))?;
    for (i, step) in steps.iter().enumerate() {
        if matches!(next, Next::Shutdown(_)) {
            break;
        }
        next = match step {
            Step::Call(registers) => {
                frame.r[..7].copy_from_slice(&registers[..7]);
                frame.r[7] = registers[7];
                system.cpu_syscall(&mut frame, &mut m)
            }
            Step::Tick => system.cpu_tick(&mut frame, &mut m),
            Step::Fault => {
                let fault = UserFault {
                    exception: ExceptionKind::DataAbort,
                    pc: frame.pc,
                    fault: None,
                };
                system.cpu_fault(&mut frame, fault, &mut m)
            }
        };
        system
            .check()
            .map_err(|e| std::format!("after step {i} ({step:x?}): {e}"))?;
        system
            .objects
            .guests
            .check_tables(&m)
            .map_err(|e| std::format!("after step {i} ({step:x?}): {e}"))?;
        // A guest thread's registers are what its guest kernel made them.
        let guest_runs = system
            .current_thread()
            .is_some_and(|t| system.threads[t].guest.is_some());
        if let Step::Call(registers) = step {
            let code = frame.r[0];
            let known = code == 0 || SyscallError::from_code(code).is_some();
            if matches!(next, Next::Partition(_)) && registers[7] != 5 && !known && !guest_runs {
                // Only a call's own result is in r0 when the caller runs on
                // at once; anything else must be a defined error code.
                return Err(std::format!("after step {i}: r0 = {code:#x}"));
            }
        }
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("KERNEL_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// 300 runs of up to 500 steps (a run ends early when every active
    /// partition has faulted or exited): about 1.2 x 10^5 steps per test run.
    #[test]
    fn random_registers_never_break_an_invariant(steps in proptest::collection::vec(step(), 500)) {
        let mut rig = rig();
        let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &CAPS);
        if let Err(broken) = run(&mut system, &steps) {
            prop_assert!(false, "{}", broken);
        }
    }
}

/// Issue 11's case: a server answers with a bad `r5`. Its caller must
/// still wait for (and then get) the real reply, and the server must not
/// be left queued as a receiver while it runs.
#[test]
fn a_malformed_reply_changes_nothing() {
    let mut rig = rig();
    let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &CAPS);
    let mut m = machine();
    let mut frame = TrapFrame::default();
    system.cpu_start(&mut frame, &mut m);
    let call = |frame: &mut TrapFrame, number: u32, r5: u32, r6: u32, word: u32| {
        frame.r[..7].copy_from_slice(&[0, word, 0, 0, 0, r5, r6]);
        frame.r[7] = number;
    };
    // The server initialises and waits; the client calls.
    while frame.pc != 0x5000 && frame.pc != 0x5100 {
        system.cpu_tick(&mut frame, &mut m);
    }
    call(&mut frame, 8, 0, 0, 0);
    system.cpu_syscall(&mut frame, &mut m);
    call(&mut frame, 8, 0, 0, 0);
    system.cpu_syscall(&mut frame, &mut m);
    while frame.pc != 0xA000 {
        system.cpu_tick(&mut frame, &mut m);
    }
    call(&mut frame, 5, 0, 1, 41);
    system.cpu_syscall(&mut frame, &mut m);
    let server_pc = frame.pc;
    assert!(
        server_pc == 0x5000 || server_pc == 0x5100,
        "the server runs"
    );
    for (r5, r6) in [(0xFFFF_FFFF, 1), (0x8000_0000, 1), (0, 5)] {
        call(&mut frame, 6, r5, r6, 42);
        assert!(matches!(
            system.cpu_syscall(&mut frame, &mut m),
            Next::Partition(2)
        ));
        assert_eq!(frame.r[0], SyscallError::InvalidArgument as u32);
        assert_eq!(frame.pc, server_pc, "the server runs on, refused");
        system.check().unwrap();
    }
    call(&mut frame, 6, 0, 1, 42);
    system.cpu_syscall(&mut frame, &mut m);
    system.check().unwrap();
    assert_eq!(
        (frame.pc, frame.r[0], frame.r[1]),
        (0xA000, 0, 42),
        "the real reply"
    );
}
