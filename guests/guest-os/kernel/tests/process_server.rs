//! The guest kernel's answers to a process, on the host with a fake
//! kernel under the memory machine: system calls do what guest-process's
//! table says and return errors as negative numbers (never killing for a
//! bad argument), page faults inside areas are served, and a fault
//! outside them or an undefined instruction kills the process.

mod fake_kernel;
mod rig;

use rig::{Quiet, FRAMES};

use guest_mm::{Access, Page, ProcessId, SegfaultReason, VmError, PAGE_SIZE};
use guest_os_config::file_set::{file_byte, file_name};
use guest_os_kernel::file_calls::{Caller, FIRST_FILE_FD, READ_MAX};
use guest_os_kernel::no_swap::NoSwapDevice;
use guest_os_kernel::process_server::{serve, Answer, Event, Host, Kill, WRITE_MAX};
use guest_os_kernel::ram::GuestRam;
use guest_os_kernel::synthetic_files::SyntheticFiles;
use guest_os_kernel::Machine;
use guest_process::{Errno, ProcessState, ProcessTable, SyscallNumber, MAX_OPEN_FILES};

/// The console, the clock and one read-only image page of process `P`.
#[derive(Default)]
struct Console(Vec<(ProcessId, Vec<u8>)>);

/// Where the fake program image's page is, and what it holds.
const IMAGE_PAGE: u32 = 0x0001_0000;
const IMAGE_TEXT: &[u8] = b"F0001.DAT from the image";

impl Host for Console {
    fn write(&mut self, process: ProcessId, text: &[u8]) {
        self.0.push((process, text.to_vec()));
    }
    fn now_us(&mut self) -> u64 {
        0x1_2345_6789
    }
    fn copy_from_image(&mut self, process: ProcessId, address: u32, out: &mut [u8]) -> bool {
        let mut page = vec![0u8; PAGE_SIZE];
        page[..IMAGE_TEXT.len()].copy_from_slice(IMAGE_TEXT);
        let Some(start) = address.checked_sub(IMAGE_PAGE) else {
            return false;
        };
        match page.get(start as usize..start as usize + out.len()) {
            Some(bytes) if process == P => {
                out.copy_from_slice(bytes);
                true
            }
            _ => false,
        }
    }
}

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
    let mut machine = rig::machine(&mut memory, &mut files, &mut device, &mut reporter);
    machine.create_process(P, 0x0002_0000).unwrap();
    let mut console = Console::default();
    let mut table = ProcessTable::new(1);
    let caller = Caller {
        space: P,
        id: table.spawn().unwrap(),
    };
    let mut run = |machine: &mut Machine<'_, _>, event| {
        serve(machine, &mut table, caller, event, &mut console)
    };

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

/// The file's bytes `[offset, offset + len)`.
fn file_bytes(file: u32, offset: u32, len: u32) -> Vec<u8> {
    (offset..offset + len)
        .map(|at| file_byte(file, at))
        .collect()
}

#[test]
fn a_process_opens_reads_and_closes_files_by_name() {
    const SIZE: u32 = 2 * PAGE_SIZE as u32 - guest_os_config::file_set::LAST_PAGE_SHORT_BY;
    let mut pages: Vec<Page> = vec![[0; PAGE_SIZE]; FRAMES as usize];
    let mut memory = GuestRam::new(&mut pages);
    let mut files = SyntheticFiles::new(2, 2);
    let (mut device, mut reporter) = (NoSwapDevice, Quiet);
    let mut machine = rig::machine(&mut memory, &mut files, &mut device, &mut reporter);
    machine.create_process(P, 0x0002_0000).unwrap();
    let mut console = Console::default();
    let mut table = ProcessTable::new(1);
    let caller = Caller {
        space: P,
        id: table.spawn().unwrap(),
    };
    let mut run = |machine: &mut Machine<'_, _>, table: &mut ProcessTable, event| {
        serve(machine, table, caller, event, &mut console)
    };
    let Answer::Resume(Some(base)) = run(
        &mut machine,
        &mut table,
        call(SyscallNumber::Mmap, [3 * PAGE_SIZE as u32, 3, 0, 0]),
    ) else {
        panic!("mmap refused");
    };
    let Answer::Resume(Some(read_only)) = run(
        &mut machine,
        &mut table,
        call(SyscallNumber::Mmap, [PAGE_SIZE as u32, 1, 0, 0]),
    ) else {
        panic!("mmap refused");
    };
    let name = file_name(1);
    machine.copy_to_user(P, base, name.as_bytes()).unwrap();
    let buffer = base + PAGE_SIZE as u32;
    let open = call(SyscallNumber::Open, [base, name.len() as u32, 0, 0]);
    let read = |fd: u32, at: u32, len: u32| call(SyscallNumber::Read, [fd, at, len, 0]);

    // open gives the first descriptor after the standard streams.
    let fd = FIRST_FILE_FD;
    assert_eq!(
        run(&mut machine, &mut table, open),
        Answer::Resume(Some(fd))
    );
    // Reads go on from the offset, the last one short, then 0 at the end.
    let mut seen = vec![0u8; READ_MAX as usize];
    for (offset, want) in [(0, READ_MAX), (READ_MAX, SIZE - READ_MAX), (SIZE, 0)] {
        assert_eq!(
            run(&mut machine, &mut table, read(fd, buffer, 2 * READ_MAX)),
            Answer::Resume(Some(want)),
            "read at {offset}"
        );
        machine
            .copy_from_user(P, buffer, &mut seen[..want as usize])
            .unwrap();
        assert_eq!(seen[..want as usize], file_bytes(1, offset, want)[..]);
    }
    // A second descriptor of the same file reads from its own offset 0;
    // its pages are in the page cache now.
    let hits = machine.vm().stats().page_cache_hits;
    assert_eq!(
        run(&mut machine, &mut table, open),
        Answer::Resume(Some(fd + 1))
    );
    // A buffer outside the process's memory, or read-only, or running off
    // the end of its area, is EFAULT; nothing is consumed.
    for (at, len) in [
        (0x7000_0000, 16),
        (read_only, 16),
        (base + 2 * PAGE_SIZE as u32 + 100, READ_MAX),
    ] {
        assert_eq!(
            run(&mut machine, &mut table, read(fd + 1, at, len)),
            error(Errno::Fault),
            "read into {at:#x}"
        );
    }
    assert_eq!(
        run(&mut machine, &mut table, read(fd + 1, buffer, 10)),
        Answer::Resume(Some(10))
    );
    machine.copy_from_user(P, buffer, &mut seen[..10]).unwrap();
    assert_eq!(seen[..10], file_bytes(1, 0, 10)[..], "still from offset 0");
    assert!(
        machine.vm().stats().page_cache_hits > hits,
        "the re-read hit the page cache"
    );
    // Names that are no file, too long, or not in the process's memory.
    for (name, errno) in [
        (&b"F0002.DAT"[..], Errno::NoEntry),
        (b"f0001.dat", Errno::NoEntry),
        (b"", Errno::NoEntry),
    ] {
        machine.copy_to_user(P, base, name).unwrap();
        assert_eq!(
            run(
                &mut machine,
                &mut table,
                call(SyscallNumber::Open, [base, name.len() as u32, 0, 0])
            ),
            error(errno),
            "open {:?}",
            String::from_utf8_lossy(name)
        );
    }
    assert_eq!(
        run(
            &mut machine,
            &mut table,
            call(SyscallNumber::Open, [base, 13, 0, 0])
        ),
        error(Errno::NameTooLong)
    );
    // A name, or text to write, may be a constant of the program image
    // (outside memory management's areas); one running past the image is
    // EFAULT.
    assert_eq!(
        run(
            &mut machine,
            &mut table,
            call(SyscallNumber::Open, [IMAGE_PAGE, 9, 0, 0])
        ),
        Answer::Resume(Some(fd + 2))
    );
    assert_eq!(
        run(
            &mut machine,
            &mut table,
            call(SyscallNumber::Close, [fd + 2, 0, 0, 0])
        ),
        Answer::Resume(Some(0))
    );
    assert_eq!(
        run(
            &mut machine,
            &mut table,
            call(
                SyscallNumber::Write,
                [1, IMAGE_PAGE, IMAGE_TEXT.len() as u32, 0]
            )
        ),
        Answer::Resume(Some(IMAGE_TEXT.len() as u32))
    );
    assert_eq!(
        run(
            &mut machine,
            &mut table,
            call(
                SyscallNumber::Write,
                [1, IMAGE_PAGE + PAGE_SIZE as u32 - 4, 8, 0]
            )
        ),
        error(Errno::Fault)
    );
    assert_eq!(
        run(
            &mut machine,
            &mut table,
            call(SyscallNumber::Open, [0x7000_0000, 9, 0, 0])
        ),
        error(Errno::Fault)
    );
    // close; a closed or never-opened descriptor, or a standard stream,
    // is EBADF for read and close.
    let close = |fd: u32| call(SyscallNumber::Close, [fd, 0, 0, 0]);
    assert_eq!(
        run(&mut machine, &mut table, close(fd)),
        Answer::Resume(Some(0))
    );
    for bad in [fd, 0, 1, 2, fd + 5, u32::MAX] {
        assert_eq!(
            run(&mut machine, &mut table, close(bad)),
            error(Errno::BadFd),
            "close {bad}"
        );
        assert_eq!(
            run(&mut machine, &mut table, read(bad, buffer, 4)),
            error(Errno::BadFd),
            "read {bad}"
        );
    }
    // The descriptor table is bounded; a freed descriptor is reused first.
    machine.copy_to_user(P, base, b"F0000.DAT").unwrap();
    let opened: Vec<Answer> = (0..MAX_OPEN_FILES)
        .map(|_| run(&mut machine, &mut table, open))
        .collect();
    assert_eq!(opened[0], Answer::Resume(Some(fd)), "the closed one first");
    assert_eq!(
        opened[MAX_OPEN_FILES - 2],
        Answer::Resume(Some(fd + MAX_OPEN_FILES as u32 - 1))
    );
    assert_eq!(opened[MAX_OPEN_FILES - 1], error(Errno::TooManyFiles));
    // Exiting closes every file.
    assert_eq!(
        run(&mut machine, &mut table, call(SyscallNumber::Exit, [0; 4])),
        Answer::Exited(0)
    );
    table.exit(caller.id, 0).unwrap();
    assert!(
        table.file(caller.id, 0).is_err(),
        "no file is open after exit"
    );
}

#[test]
fn sleep_asks_not_to_run_before_its_time() {
    let mut pages: Vec<Page> = vec![[0; PAGE_SIZE]; FRAMES as usize];
    let mut memory = GuestRam::new(&mut pages);
    let mut files = SyntheticFiles::new(1, 1);
    let (mut device, mut reporter) = (NoSwapDevice, Quiet);
    let mut machine = rig::machine(&mut memory, &mut files, &mut device, &mut reporter);
    machine.create_process(P, 0x0002_0000).unwrap();
    let mut console = Console::default();
    let mut table = ProcessTable::new(1);
    let caller = Caller {
        space: P,
        id: table.spawn().unwrap(),
    };
    let now = console.now_us();
    for micros in [0, 2500, u32::MAX] {
        assert_eq!(
            serve(
                &mut machine,
                &mut table,
                caller,
                call(SyscallNumber::Sleep, [micros, 0, 0, 0]),
                &mut console
            ),
            Answer::Sleep {
                until: now + u64::from(micros)
            }
        );
    }
    assert_eq!(
        table.state(caller.id),
        Ok(ProcessState::Ready),
        "the caller of serve puts it to sleep"
    );
}
