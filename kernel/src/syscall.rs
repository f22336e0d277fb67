//! The system calls that touch only the caller's own memory — `log` and
//! `clock_read` — with every pointer checked against the caller's address
//! space. (`System::on_syscall` decodes and dispatches every call.)
//!
//! No argument value can make this code panic or touch memory the caller
//! may not: pointers are checked by the caller's [`UserSpace`] and then
//! accessed through the machine's physical-memory window.

use kernel_abi::log_stream::{Source, TERMINATOR};
use kernel_abi::syscall::SyscallError;

use crate::machine::Machine;
use crate::mm::user_space::{Use, UserSpace};

/// The longest defmt frame a partition may log in one call.
pub const MAX_LOG_FRAME: usize = 256;

/// `log(frame, len)`: emits the defmt frame at `ptr` in the caller's
/// memory, tagged with `partition`.
pub fn log(
    ptr: u32,
    len: u32,
    partition: u8,
    space: &UserSpace,
    machine: &mut impl Machine,
) -> Result<(), SyscallError> {
    let len_usize = len as usize;
    if !(2..=MAX_LOG_FRAME).contains(&len_usize) {
        return Err(SyscallError::InvalidArgument);
    }
    let pa = space.check_buffer(ptr, len, Use::Read, 1)?;
    let mut frame = [0u8; MAX_LOG_FRAME];
    let frame = &mut frame[..len_usize];
    machine.read_phys(pa, frame);
    // One frame, terminated once: a partition cannot forge records for
    // another source by embedding terminators.
    let (last, body) = frame.split_last().ok_or(SyscallError::InvalidArgument)?;
    if *last != TERMINATOR || body.contains(&TERMINATOR) {
        return Err(SyscallError::InvalidArgument);
    }
    machine.emit_log(Source::Partition(partition), frame);
    Ok(())
}

/// `clock_read(out)`: microseconds since boot into the caller's `out`.
pub fn clock_read(
    out: u32,
    space: &UserSpace,
    machine: &mut impl Machine,
) -> Result<(), SyscallError> {
    let pa = space.check_buffer(out, 8, Use::Write, 8)?;
    let now = machine.now_us();
    machine.write_phys(pa, &now.to_le_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::machine::tests::FakeMachine;
    use crate::mm::user_space::{Region, Rights};

    const TEXT: u32 = 0x10_0000;
    const DATA: u32 = 0x10_1000;

    fn setup() -> (UserSpace, FakeMachine) {
        let mut space = UserSpace::new();
        space
            .add(Region::ram(TEXT, 0x1000, 0x6100_0000, Rights::ReadExecute))
            .unwrap();
        space
            .add(Region::ram(DATA, 0x1000, 0x6100_1000, Rights::ReadWrite))
            .unwrap();
        (space, FakeMachine::new(0x6100_0000, 0x2000))
    }

    /// Runs call `number` (1 log, 4 clock_read) for partition 2; its code.
    fn call(number: u32, args: [u32; 2], space: &UserSpace, m: &mut FakeMachine) -> u32 {
        let result = match number {
            1 => log(args[0], args[1], 2, space, m),
            4 => clock_read(args[0], space, m),
            _ => unreachable!("only log and clock_read are here"),
        };
        result.err().map_or(0, |error| error as u32)
    }

    #[test]
    fn log_emits_one_well_formed_frame_tagged_with_the_caller() {
        let (space, mut m) = setup();
        m.write_phys(0x6100_1000, &[9, 8, 7, 0]);
        assert_eq!(call(1, [DATA, 4], &space, &mut m), 0);
        assert_eq!(m.logs, [(Source::Partition(2), std::vec![9, 8, 7, 0])]);
    }

    #[test]
    fn log_refuses_forged_or_oversized_frames() {
        let (space, mut m) = setup();
        m.write_phys(0x6100_1000, &[9, 0, 7, 0]);
        let invalid = SyscallError::InvalidArgument as u32;
        assert_eq!(
            call(1, [DATA, 4], &space, &mut m),
            invalid,
            "embedded terminator"
        );
        assert_eq!(call(1, [DATA, 3], &space, &mut m), invalid, "unterminated");
        assert_eq!(call(1, [DATA, 1], &space, &mut m), invalid);
        assert_eq!(
            call(1, [DATA, MAX_LOG_FRAME as u32 + 1], &space, &mut m),
            invalid
        );
        assert_eq!(
            call(1, [0, 4], &space, &mut m),
            SyscallError::NullPointer as u32
        );
        assert_eq!(
            call(1, [0xC000_0000, 4], &space, &mut m),
            SyscallError::KernelAddress as u32
        );
        assert_eq!(
            call(1, [0x20_0000, 4], &space, &mut m),
            SyscallError::Unmapped as u32
        );
        assert!(m.logs.is_empty());
    }

    #[test]
    fn clock_read_writes_only_aligned_writable_user_memory() {
        let (space, mut m) = setup();
        m.now = 0x1122_3344_5566_7788;
        assert_eq!(call(4, [DATA + 8, 0], &space, &mut m), 0);
        let mut out = [0u8; 8];
        m.read_phys(0x6100_1008, &mut out);
        assert_eq!(u64::from_le_bytes(out), m.now);
        assert_eq!(
            call(4, [0, 0], &space, &mut m),
            SyscallError::NullPointer as u32
        );
        assert_eq!(
            call(4, [DATA + 4, 0], &space, &mut m),
            SyscallError::Unaligned as u32
        );
        assert_eq!(
            call(4, [0xC000_0000, 0], &space, &mut m),
            SyscallError::KernelAddress as u32
        );
        assert_eq!(
            call(4, [0x30_0000, 0], &space, &mut m),
            SyscallError::Unmapped as u32
        );
        assert_eq!(
            call(4, [TEXT, 0], &space, &mut m),
            SyscallError::ReadOnly as u32
        );
    }
}
