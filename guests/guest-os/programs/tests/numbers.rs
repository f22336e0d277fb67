//! The programs' system-call numbers are guest-process's table: a program
//! built against other numbers would ask the guest kernel for the wrong
//! thing.

use guest_process::SyscallNumber;
use guest_programs::sys::number;

#[test]
fn the_numbers_are_the_decode_tables() {
    let pairs = [
        (number::EXIT, SyscallNumber::Exit),
        (number::WRITE, SyscallNumber::Write),
        (number::MMAP, SyscallNumber::Mmap),
        (number::MUNMAP, SyscallNumber::Munmap),
        (number::BRK, SyscallNumber::Brk),
        (number::OPEN, SyscallNumber::Open),
        (number::READ, SyscallNumber::Read),
        (number::CLOSE, SyscallNumber::Close),
        (number::SLEEP, SyscallNumber::Sleep),
        (number::CLOCK, SyscallNumber::Clock),
        (number::YIELD, SyscallNumber::Yield),
    ];
    for (ours, theirs) in pairs {
        assert_eq!(SyscallNumber::from_u32(ours), Some(theirs));
    }
    assert_eq!(
        guest_process::Syscall::decode(
            number::MMAP,
            [4096, guest_programs::sys::PROT_READ_WRITE, 0, 0]
        ),
        Ok(guest_process::Syscall::Mmap {
            len: 4096,
            protection: guest_mm_protection()
        })
    );
}

fn guest_mm_protection() -> guest_mm::Protection {
    guest_mm::Protection::ReadWrite
}
