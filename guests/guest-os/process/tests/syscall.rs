//! Decoding a process's registers into system calls, and errors into the
//! value a failed call returns.

use guest_mm::{AreaError, FileError, MapError, Protection, SegfaultReason, SwapError, VmError};
use guest_process::syscall::prot;
use guest_process::*;

#[test]
fn every_number_decodes_to_its_call() {
    for number in SyscallNumber::ALL {
        let call = Syscall::decode(number as u32, [0, 0, 0, 0])
            .or_else(|_| Syscall::decode(number as u32, [0x1000, prot::READ, 0, 0]));
        assert_eq!(call.unwrap().number(), number);
    }
}

#[test]
fn arguments_land_in_their_fields() {
    assert_eq!(
        Syscall::decode(0, [(-3i32) as u32, 9, 9, 9]),
        Ok(Syscall::Exit { code: -3 })
    );
    assert_eq!(
        Syscall::decode(1, [1, 0x8000, 12, 0]),
        Ok(Syscall::Write {
            fd: 1,
            buffer: 0x8000,
            len: 12
        })
    );
    assert_eq!(
        Syscall::decode(2, [0x3000, prot::READ | prot::WRITE, 0, 0]),
        Ok(Syscall::Mmap {
            len: 0x3000,
            protection: Protection::ReadWrite
        })
    );
    assert_eq!(
        Syscall::decode(3, [0x10_0000, 0x2000, 0, 0]),
        Ok(Syscall::Munmap {
            address: 0x10_0000,
            len: 0x2000
        })
    );
    assert_eq!(
        Syscall::decode(4, [0, 0, 0, 0]),
        Ok(Syscall::Brk { address: None })
    );
    assert_eq!(
        Syscall::decode(4, [0x2_1000, 0, 0, 0]),
        Ok(Syscall::Brk {
            address: Some(0x2_1000)
        })
    );
    assert_eq!(
        Syscall::decode(5, [0x9000, 7, 0, 0]),
        Ok(Syscall::Open {
            path: 0x9000,
            path_len: 7
        })
    );
    assert_eq!(
        Syscall::decode(6, [3, 0xA000, 100, 0]),
        Ok(Syscall::Read {
            fd: 3,
            buffer: 0xA000,
            len: 100
        })
    );
    assert_eq!(
        Syscall::decode(7, [3, 0, 0, 0]),
        Ok(Syscall::Close { fd: 3 })
    );
    assert_eq!(Syscall::decode(8, [1, 2, 3, 4]), Ok(Syscall::Clock));
    assert_eq!(
        Syscall::decode(9, [500, 0, 0, 0]),
        Ok(Syscall::Sleep { micros: 500 })
    );
    assert_eq!(Syscall::decode(10, [0, 0, 0, 0]), Ok(Syscall::Yield));
}

#[test]
fn unknown_numbers_and_bad_protections_are_refused() {
    assert_eq!(
        Syscall::decode(11, [0; 4]),
        Err(DecodeError::UnknownNumber(11))
    );
    assert_eq!(
        Syscall::decode(u32::MAX, [0; 4]),
        Err(DecodeError::UnknownNumber(u32::MAX))
    );
    for bits in [
        0,
        prot::WRITE,
        prot::EXEC,
        prot::WRITE | prot::EXEC,
        7,
        8,
        prot::READ | 8,
    ] {
        assert_eq!(
            Syscall::decode(2, [0x1000, bits, 0, 0]),
            Err(DecodeError::BadProtection(bits)),
            "bits {bits}"
        );
    }
    assert_eq!(
        Syscall::decode(2, [0x1000, prot::READ | prot::EXEC, 0, 0]),
        Ok(Syscall::Mmap {
            len: 0x1000,
            protection: Protection::ReadExecute
        })
    );
    assert_eq!(Errno::from(DecodeError::UnknownNumber(11)), Errno::NoSys);
    assert_eq!(Errno::from(DecodeError::BadProtection(6)), Errno::Invalid);
}

#[test]
fn errors_return_their_negated_number() {
    assert_eq!(Errno::Fault.encode() as i32, -14);
    assert_eq!(Errno::NoSys.encode() as i32, -38);
    assert_eq!(Errno::NoEntry.encode() as i32, -2);
}

#[test]
fn memory_errors_map_to_one_number_each() {
    let segfault = VmError::Segfault {
        address: 0,
        reason: SegfaultReason::NoArea,
    };
    let cases = [
        (segfault, Errno::Fault),
        (VmError::OutOfMemory, Errno::NoMemory),
        (VmError::Map(MapError::NoPageTables), Errno::NoMemory),
        (VmError::Area(AreaError::NoSpace), Errno::NoMemory),
        (VmError::Area(AreaError::TooManyAreas), Errno::NoMemory),
        (VmError::Area(AreaError::Unaligned), Errno::Invalid),
        (VmError::Area(AreaError::ZeroLength), Errno::Invalid),
        (VmError::Area(AreaError::NotAMapping), Errno::Invalid),
        (VmError::Swap(SwapError::TmemLost), Errno::Io),
        (VmError::File(FileError::Io), Errno::Io),
        (VmError::File(FileError::NoSuchFile), Errno::NoEntry),
    ];
    for (error, errno) in cases {
        assert_eq!(Errno::from(error), errno, "{error:?}");
    }
    assert_eq!(Errno::from(ProcessError::BadFd(4)), Errno::BadFd);
    assert_eq!(Errno::from(ProcessError::TooManyFiles), Errno::TooManyFiles);
}
