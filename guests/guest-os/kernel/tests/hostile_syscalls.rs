//! A process that makes random system calls with hostile arguments (wild
//! and kernel addresses, huge lengths, unknown numbers and flags, bad file
//! descriptors): the guest kernel answers every one with a result or an
//! error number, never kills the process for it and never panics; the
//! memory manager's invariants hold after each call, and a page the
//! process wrote before reads back unchanged unless a call of its own
//! unmapped it.

mod fake_kernel;
mod rig;

use rig::{Quiet, FRAMES};

use guest_mm::{Page, ProcessId, PAGE_SIZE};
use guest_os_kernel::file_calls::Caller;
use guest_os_kernel::no_swap::NoSwapDevice;
use guest_os_kernel::process_server::{serve, Answer, Event, Host};
use guest_os_kernel::ram::GuestRam;
use guest_os_kernel::synthetic_files::SyntheticFiles;
use guest_process::{Errno, ProcessTable, SyscallNumber};
use proptest::prelude::*;

/// A console that keeps nothing, a clock, and no program image.
struct Host0;

impl Host for Host0 {
    fn write(&mut self, _: ProcessId, _: &[u8]) {}
    fn now_us(&mut self) -> u64 {
        1_000
    }
    fn copy_from_image(&mut self, _: ProcessId, _: u32, _: &mut [u8]) -> bool {
        false
    }
}

const P: ProcessId = ProcessId(0);
const HEAP: u32 = 0x0002_0000;
/// The byte the process writes in its marker page.
const MARK: u8 = 0xC3;

/// Every error number the guest kernel returns.
const ERRNOS: [Errno; 9] = [
    Errno::NoEntry,
    Errno::Io,
    Errno::BadFd,
    Errno::NoMemory,
    Errno::Fault,
    Errno::Invalid,
    Errno::TooManyFiles,
    Errno::NameTooLong,
    Errno::NoSys,
];

fn argument() -> impl Strategy<Value = u32> {
    prop_oneof![
        Just(0u32),
        Just(1),
        Just(3),
        Just(7),
        Just(4096),
        Just(u32::MAX),
        Just(0x8000_0000),
        Just(0xFFFF_F000),
        Just(HEAP),
        0..0x0040_0000u32,
        any::<u32>(),
    ]
}

fn number() -> impl Strategy<Value = u32> {
    // Exit (0) ends the run: it is tested elsewhere.
    prop_oneof![8 => 1..SyscallNumber::ALL.len() as u32 + 2, 1 => any::<u32>().prop_map(|n| n.max(1))]
}

fn run(calls: Vec<(u32, [u32; 4])>) -> Result<(), TestCaseError> {
    let mut pages: Vec<Page> = vec![[0xA5; PAGE_SIZE]; FRAMES as usize];
    let mut memory = GuestRam::new(&mut pages);
    let mut files = SyntheticFiles::new(2, 3);
    let mut device = NoSwapDevice;
    let mut reporter = Quiet;
    let mut machine = rig::machine(&mut memory, &mut files, &mut device, &mut reporter);
    machine.create_process(P, HEAP).unwrap();
    let mut table = ProcessTable::new(1);
    let caller = Caller {
        space: P,
        id: table.spawn().unwrap(),
    };
    let mut host = Host0;
    let marker = machine.mmap(P, 1).unwrap();
    machine.copy_to_user(P, marker + 17, &[MARK]).unwrap();
    let mut marker_mapped = true;
    for (number, args) in calls {
        let event = Event::Syscall { number, args };
        let answer = serve(&mut machine, &mut table, caller, event, &mut host);
        match answer {
            Answer::Resume(Some(value)) => {
                let signed = value as i32;
                if (-4095..0).contains(&signed) {
                    prop_assert!(
                        ERRNOS.iter().any(|e| e.encode() == value),
                        "call {} {:x?}: error {}, which no Errno has",
                        number,
                        args,
                        signed
                    );
                }
            }
            Answer::ResumeClock(_) | Answer::Yield | Answer::Sleep { .. } => {}
            other => prop_assert!(false, "call {} {:x?}: {:?}", number, args, other),
        }
        if number == SyscallNumber::Munmap as u32 {
            let (start, len) = (u64::from(args[0]), u64::from(args[1]));
            let page = u64::from(marker);
            if start <= page && page < start + len.max(1) {
                marker_mapped = false;
            }
        }
        if let Err(broken) = machine.check_vm() {
            prop_assert!(false, "after call {} {:x?}: {}", number, args, broken);
        }
        if marker_mapped {
            let mut byte = [0u8];
            let read = machine.copy_from_user(P, marker + 17, &mut byte);
            prop_assert_eq!(
                read,
                Ok(()),
                "the marker page after call {} {:x?}",
                number,
                args
            );
            prop_assert_eq!(
                byte[0],
                MARK,
                "the marker after call {} {:x?}",
                number,
                args
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn hostile_system_calls_get_answers_not_kills(
        calls in prop::collection::vec((number(), [argument(), argument(), argument(), argument()]), 1..40),
    ) {
        run(calls)?;
    }
}
