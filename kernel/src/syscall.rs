//! System calls: decoding the caller's registers, checking every argument
//! against the caller's address space, doing the work, and writing the
//! result registers.
//!
//! No argument value can make this code panic or touch memory the caller
//! may not: pointers are checked by the caller's [`UserSpace`] and then
//! accessed through the machine's physical-memory window.

use kernel_abi::log_stream::{Source, TERMINATOR};
use kernel_abi::syscall::{Syscall, SyscallError};

use crate::exception::TrapFrame;
use crate::machine::Machine;
use crate::mm::user_space::{Use, UserSpace};

/// The longest defmt frame a partition may log in one call.
pub const MAX_LOG_FRAME: usize = 256;

/// What the scheduler must do after a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterCall {
    /// Return to the caller.
    Continue,
    /// Let another thread of the partition run.
    Yield,
    /// The caller has exited.
    Exit,
}

/// Handles the call in `context` (the caller's saved registers) for the
/// thread of partition `partition` with address space `space`.
pub fn handle(
    context: &mut TrapFrame,
    partition: u8,
    space: &UserSpace,
    machine: &mut impl Machine,
) -> AfterCall {
    let number = context.r[7];
    let (result, after) = match Syscall::from_number(number) {
        None => (Err(SyscallError::UnknownSyscall), AfterCall::Continue),
        Some(Syscall::Log) => (
            log(context.r[0], context.r[1], partition, space, machine),
            AfterCall::Continue,
        ),
        Some(Syscall::Yield) => (Ok(()), AfterCall::Yield),
        Some(Syscall::ThreadExit) => (Ok(()), AfterCall::Exit),
        Some(Syscall::ClockRead) => (
            clock_read(context.r[0], space, machine),
            AfterCall::Continue,
        ),
        // IPC and capability calls: numbered in the ABI, not dispatched yet.
        Some(_) => (Err(SyscallError::UnknownSyscall), AfterCall::Continue),
    };
    context.r[0] = match result {
        Ok(()) => 0,
        Err(error) => error as u32,
    };
    after
}

fn log(
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

fn clock_read(out: u32, space: &UserSpace, machine: &mut impl Machine) -> Result<(), SyscallError> {
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

    fn call(
        number: u32,
        args: [u32; 2],
        space: &UserSpace,
        m: &mut FakeMachine,
    ) -> (u32, AfterCall) {
        let mut context = TrapFrame::default();
        context.r[7] = number;
        context.r[0] = args[0];
        context.r[1] = args[1];
        let after = handle(&mut context, 2, space, m);
        (context.r[0], after)
    }

    #[test]
    fn unknown_numbers_are_refused() {
        let (space, mut m) = setup();
        for number in [0, 99, 0x123456, u32::MAX] {
            assert_eq!(
                call(number, [0, 0], &space, &mut m),
                (SyscallError::UnknownSyscall as u32, AfterCall::Continue)
            );
        }
    }

    #[test]
    fn log_emits_one_well_formed_frame_tagged_with_the_caller() {
        let (space, mut m) = setup();
        m.write_phys(0x6100_1000, &[9, 8, 7, 0]);
        assert_eq!(call(1, [DATA, 4], &space, &mut m), (0, AfterCall::Continue));
        assert_eq!(m.logs, [(Source::Partition(2), std::vec![9, 8, 7, 0])]);
    }

    #[test]
    fn log_refuses_forged_or_oversized_frames() {
        let (space, mut m) = setup();
        m.write_phys(0x6100_1000, &[9, 0, 7, 0]);
        let invalid = SyscallError::InvalidArgument as u32;
        assert_eq!(
            call(1, [DATA, 4], &space, &mut m).0,
            invalid,
            "embedded terminator"
        );
        assert_eq!(
            call(1, [DATA, 3], &space, &mut m).0,
            invalid,
            "unterminated"
        );
        assert_eq!(call(1, [DATA, 1], &space, &mut m).0, invalid);
        assert_eq!(
            call(1, [DATA, MAX_LOG_FRAME as u32 + 1], &space, &mut m).0,
            invalid
        );
        assert_eq!(
            call(1, [0, 4], &space, &mut m).0,
            SyscallError::NullPointer as u32
        );
        assert_eq!(
            call(1, [0xC000_0000, 4], &space, &mut m).0,
            SyscallError::KernelAddress as u32
        );
        assert_eq!(
            call(1, [0x20_0000, 4], &space, &mut m).0,
            SyscallError::Unmapped as u32
        );
        assert!(m.logs.is_empty());
    }

    #[test]
    fn clock_read_writes_only_aligned_writable_user_memory() {
        let (space, mut m) = setup();
        m.now = 0x1122_3344_5566_7788;
        assert_eq!(call(4, [DATA + 8, 0], &space, &mut m).0, 0);
        let mut out = [0u8; 8];
        m.read_phys(0x6100_1008, &mut out);
        assert_eq!(u64::from_le_bytes(out), m.now);
        assert_eq!(
            call(4, [0, 0], &space, &mut m).0,
            SyscallError::NullPointer as u32
        );
        assert_eq!(
            call(4, [DATA + 4, 0], &space, &mut m).0,
            SyscallError::Unaligned as u32
        );
        assert_eq!(
            call(4, [0xC000_0000, 0], &space, &mut m).0,
            SyscallError::KernelAddress as u32
        );
        assert_eq!(
            call(4, [0x30_0000, 0], &space, &mut m).0,
            SyscallError::Unmapped as u32
        );
        assert_eq!(
            call(4, [TEXT, 0], &space, &mut m).0,
            SyscallError::ReadOnly as u32
        );
    }

    #[test]
    fn yield_and_exit_succeed_and_tell_the_scheduler() {
        let (space, mut m) = setup();
        assert_eq!(call(2, [0, 0], &space, &mut m), (0, AfterCall::Yield));
        assert_eq!(call(3, [0, 0], &space, &mut m), (0, AfterCall::Exit));
    }
}
