//! The memory machine over the kernel's address spaces (a fake kernel):
//! a process's page faults, as exception IPC delivers them, end with the
//! page mapped in the kernel with the protection memory management chose
//! (read-only until written); a fault outside every area is refused and
//! maps nothing; unmapping and ending a process take the kernel's
//! mappings away; and a system call's buffer is read through the same
//! path.

mod fake_kernel;
mod rig;

use rig::{Quiet, FRAMES, LAYOUT};

use guest_mm::{Access, Page, ProcessId, Protection, SegfaultReason, VmError, Vpn, PAGE_SIZE};
use guest_os_kernel::no_swap::NoSwapDevice;
use guest_os_kernel::ram::GuestRam;
use guest_os_kernel::synthetic_files::SyntheticFiles;

const P: ProcessId = ProcessId(1);

#[test]
fn faults_map_pages_in_the_kernel_and_bad_ones_map_nothing() {
    let mut pages: Vec<Page> = vec![[0xA5; PAGE_SIZE]; FRAMES as usize];
    let mut memory = GuestRam::new(&mut pages);
    let mut files = SyntheticFiles::new(1, 1);
    let mut device = NoSwapDevice;
    let mut reporter = Quiet;
    let mut machine = rig::machine(&mut memory, &mut files, &mut device, &mut reporter);
    machine.create_process(P, 0x0001_0000).unwrap();
    let base = machine.mmap(P, 2).unwrap();
    let space = LAYOUT.first_space + 1;

    // A read maps the zero page read-only; a write then makes it writable.
    machine.fault(P, base + 12, Access::Read).unwrap();
    let (frame, protection) = machine.mmu().entry(P, Vpn::containing(base)).unwrap();
    assert_eq!(protection, Protection::Read);
    let cap = LAYOUT.frame(frame).unwrap();
    assert_eq!(
        machine.mmu().calls().tables.get(&(space, base)),
        Some(&(cap, Protection::Read))
    );
    machine.fault(P, base + 12, Access::Write).unwrap();
    assert_eq!(
        machine
            .mmu()
            .calls()
            .tables
            .get(&(space, base))
            .map(|e| e.1),
        Some(Protection::ReadWrite)
    );

    // A buffer is read through the fault path: the second page gets mapped.
    let mut buffer = [0xFFu8; 16];
    machine
        .copy_from_user(P, base + PAGE_SIZE as u32, &mut buffer)
        .unwrap();
    assert_eq!(buffer, [0; 16], "demand-zero");
    assert_eq!(machine.mmu().calls().tables.len(), 2);

    // Outside every area: refused, nothing mapped.
    let wild = machine.fault(P, 0x7000_0000, Access::Write);
    assert!(
        matches!(
            wild,
            Err(VmError::Segfault {
                reason: SegfaultReason::NoArea,
                ..
            })
        ),
        "{wild:?}"
    );
    assert_eq!(machine.mmu().calls().tables.len(), 2);

    // munmap of the first page, then the end of the process, leave the
    // kernel's tables empty and every frame free.
    machine.munmap(P, base, 1).unwrap();
    assert_eq!(machine.mmu().calls().tables.len(), 1);
    machine.destroy_process(P).unwrap();
    assert!(machine.mmu().calls().tables.is_empty());
    assert_eq!(machine.mmu().broken(), 0);
    assert_eq!(machine.vm().pressure().free_frames, FRAMES);
}
