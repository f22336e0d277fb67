//! The guest kernel's answers to a process, on the host with a fake
//! kernel under the memory machine: system calls do what guest-process's
//! table says and return errors as negative numbers (never killing for a
//! bad argument), page faults inside areas are served, and a fault
//! outside them or an undefined instruction kills the process.

mod fake_kernel;

use fake_kernel::FakeKernel;
use guest_mm::{Access, Page, ProcessId, SegfaultReason, VmError, PAGE_SIZE};
use guest_os_kernel::guest;
use guest_os_kernel::kernel_spaces::{KernelSpaces, SlotLayout};
use guest_os_kernel::no_swap::NoSwapDevice;
use guest_os_kernel::process_server::{serve, Answer, Event, Host, Kill, WRITE_MAX};
use guest_os_kernel::ram::GuestRam;
use guest_os_kernel::synthetic_files::SyntheticFiles;
use guest_os_kernel::{GuestReport, Machine, Ports, Reporter};
use guest_process::{Errno, SyscallNumber};

struct Quiet;

impl Reporter for Quiet {
    fn periodic(&mut self, _: &GuestReport) {}
}

#[derive(Default)]
struct Console(Vec<(ProcessId, Vec<u8>)>);

impl Host for Console {
    fn write(&mut self, process: ProcessId, text: &[u8]) {
        self.0.push((process, text.to_vec()));
    }
    fn now_us(&mut self) -> u64 {
        0x1_2345_6789
    }
}

const FRAMES: u32 = 8;
const P: ProcessId = ProcessId(0);

fn call(number: SyscallNumber, args: [u32; 4]) -> Event {
    Event::Syscall {
        number: number as u32,
        args,
    }
}

fn error(errno: Errno) -> Answer {
    Answer::Resume(Some(errno.encode()))
}

#[test]
fn a_process_is_served_and_killed_for_a_wild_fault() {
    let mut pages: Vec<Page> = vec![[0xA5; PAGE_SIZE]; FRAMES as usize];
    let mut memory = GuestRam::new(&mut pages);
    let mut files = SyntheticFiles::new(1, 1);
    let mut device = NoSwapDevice;
    let mut reporter = Quiet;
    let ports = Ports {
        memory: &mut memory,
        frontswap: None,
        cleancache: None,
        swap_device: &mut device,
        files: &mut files,
    };
    let layout = SlotLayout {
        first_space: 40,
        spaces: 1,
        first_frame: 100,
        frames: FRAMES,
    };
    let kernel = FakeKernel {
        budget: 64,
        ..FakeKernel::default()
    };
    let mut machine = Machine::with_spaces(
        guest::vm_config(FRAMES, guest::SWAP_SLOTS),
        KernelSpaces::new(kernel, layout),
        ports,
        &mut reporter,
        0,
    );
    machine.create_process(P, 0x0002_0000).unwrap();
    let mut console = Console::default();
    let mut run = |machine: &mut Machine<'_, _>, event| serve(machine, P, event, &mut console);

    // mmap of two read/write pages.
    let Answer::Resume(Some(base)) = run(&mut machine, call(SyscallNumber::Mmap, [8192, 3, 0, 0]))
    else {
        panic!("mmap refused");
    };
    assert_eq!(base % PAGE_SIZE as u32, 0);
    // The process writes "hello" there: a write fault, served.
    let fault = Event::PageFault {
        address: base,
        access: Access::Write,
    };
    assert_eq!(run(&mut machine, fault), Answer::Resume(None));
    // write(1, base, 5) copies from its memory (zeros, as nothing was
    // stored through the fake) and returns the count.
    assert_eq!(
        run(&mut machine, call(SyscallNumber::Write, [1, base, 5, 0])),
        Answer::Resume(Some(5))
    );
    // A long write is cut to WRITE_MAX.
    assert_eq!(
        run(&mut machine, call(SyscallNumber::Write, [2, base, 4000, 0])),
        Answer::Resume(Some(WRITE_MAX as u32))
    );
    // Bad arguments are errors, not kills.
    assert_eq!(
        run(&mut machine, call(SyscallNumber::Write, [7, base, 5, 0])),
        error(Errno::BadFd)
    );
    assert_eq!(
        run(
            &mut machine,
            call(SyscallNumber::Write, [1, 0x7000_0000, 5, 0])
        ),
        error(Errno::Fault)
    );
    assert_eq!(
        run(
            &mut machine,
            Event::Syscall {
                number: 99,
                args: [0; 4]
            }
        ),
        error(Errno::NoSys)
    );
    assert_eq!(
        run(&mut machine, call(SyscallNumber::Mmap, [4096, 7, 0, 0])),
        error(Errno::Invalid)
    );
    // brk: where it is, then one page up.
    assert_eq!(
        run(&mut machine, call(SyscallNumber::Brk, [0; 4])),
        Answer::Resume(Some(0x0002_0000))
    );
    assert_eq!(
        run(
            &mut machine,
            call(SyscallNumber::Brk, [0x0002_1000, 0, 0, 0])
        ),
        Answer::Resume(Some(0x0002_1000))
    );
    assert_eq!(
        run(&mut machine, call(SyscallNumber::Clock, [0; 4])),
        Answer::ResumeClock(0x1_2345_6789)
    );
    assert_eq!(
        run(&mut machine, call(SyscallNumber::Yield, [0; 4])),
        Answer::Yield
    );
    assert_eq!(
        run(
            &mut machine,
            call(SyscallNumber::Munmap, [base, 8192, 0, 0])
        ),
        Answer::Resume(Some(0))
    );
    // A fault outside every area, and an undefined instruction, kill.
    assert_eq!(
        run(
            &mut machine,
            Event::PageFault {
                address: 0x7000_0000,
                access: Access::Write
            }
        ),
        Answer::Killed(Kill::Fault {
            address: 0x7000_0000,
            error: VmError::Segfault {
                address: 0x7000_0000,
                reason: SegfaultReason::NoArea
            }
        })
    );
    assert_eq!(
        run(&mut machine, Event::Undefined { pc: 0x1_0040 }),
        Answer::Killed(Kill::Undefined { pc: 0x1_0040 })
    );
    assert_eq!(
        run(&mut machine, call(SyscallNumber::Exit, [3, 0, 0, 0])),
        Answer::Exited(3)
    );
    assert_eq!(
        console.0,
        vec![(P, vec![0; 5]), (P, vec![0; WRITE_MAX])],
        "what reached the console"
    );
    assert!(
        machine.mmu().calls().tables.is_empty(),
        "munmap took the pages"
    );
}
