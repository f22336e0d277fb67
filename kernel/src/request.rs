//! A system call's registers decoded once, in one place, into a typed
//! [`Request`]: the call and each of its arguments as what it means — a
//! capability slot, a set of rights, a message — per the register
//! convention of `kernel_abi::syscall`. A register that does not encode
//! its argument (a slot number past the last, rights bits that do not
//! exist, a bad message info word or grant descriptor) makes the whole
//! call one `InvalidArgument` here, before any handler runs. (The call
//! number is looked up first, by `Syscall::from_number`: an unknown one is
//! `UnknownSyscall`.)
//!
//! Decoding only reads the saved registers: it never looks up a
//! capability, checks a pointer or reads any state, so what an argument
//! names (an empty slot, an address outside the caller's memory, a
//! partition that does not exist) is for the handler to refuse. The
//! fastpath (`system::fastpath`) reads the few registers it needs itself
//! and never comes here.

use kernel_abi::cap::{CapSlot, Rights};
use kernel_abi::syscall::{MessageInfo, Syscall, SyscallError};

use crate::exception::TrapFrame;
use crate::ipc::message::{SendRequest, INFO_REGISTER};

/// A system call and its arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    /// `log(frame, len)`: the defmt frame of `len` bytes at `frame`.
    Log { frame: u32, len: u32 },
    /// `yield()`.
    Yield,
    /// `thread_exit()`.
    ThreadExit,
    /// `clock_read(out)`: where the time goes.
    ClockRead { out: u32 },
    /// `call`: the message, its endpoint slot, grant and reply slot.
    Call(SendRequest),
    /// `reply_recv`: the reply (its slot is the endpoint received on next;
    /// its receive slot is for the next message).
    ReplyRecv(SendRequest),
    /// `send`: as a call.
    Send(SendRequest),
    /// `recv(endpoint, info)`: where a passed capability may land.
    Recv {
        endpoint: CapSlot,
        receive: Option<CapSlot>,
    },
    /// `signal(notification, bits)`.
    Signal { notification: CapSlot, bits: u32 },
    /// `wait(notification)`.
    Wait { notification: CapSlot },
    /// `poll(notification)`.
    Poll { notification: CapSlot },
    /// `frame_map(frame, address, rights)`.
    FrameMap {
        frame: CapSlot,
        address: u32,
        rights: Rights,
    },
    /// `frame_unmap(frame)`.
    FrameUnmap { frame: CapSlot },
    /// `cap_copy(source, destination, rights)`.
    CapCopy {
        source: CapSlot,
        destination: CapSlot,
        rights: Rights,
    },
    /// `cap_revoke(slot)`.
    CapRevoke { slot: CapSlot },
    /// `cap_delete(slot)`.
    CapDelete { slot: CapSlot },
    /// `irq_ack(irq)`.
    IrqAck { irq: CapSlot },
    /// `partition_status(control, partition)`.
    PartitionStatus { control: CapSlot, partition: u32 },
    /// `partition_stop(control, partition)`.
    PartitionStop { control: CapSlot, partition: u32 },
    /// `partition_restart(control, partition)`.
    PartitionRestart { control: CapSlot, partition: u32 },
    /// `frame_split(frame, page, destination)`.
    FrameSplit {
        frame: CapSlot,
        page: u32,
        destination: CapSlot,
    },
    /// `frame_reach(control, partition, slot)`: `slot` in `partition`'s
    /// space.
    FrameReach {
        control: CapSlot,
        partition: u32,
        slot: CapSlot,
    },
    /// `space_map(space, frame, address, rights)`.
    SpaceMap {
        space: CapSlot,
        frame: CapSlot,
        address: u32,
        rights: Rights,
    },
    /// `space_unmap(space, address, pages)`.
    SpaceUnmap {
        space: CapSlot,
        address: u32,
        pages: u32,
    },
    /// `space_reset(space)`.
    SpaceReset { space: CapSlot },
    /// `thread_bind(thread, space, exception)`: no exception endpoint if
    /// `r2` names no slot.
    ThreadBind {
        thread: CapSlot,
        space: CapSlot,
        exception: Option<CapSlot>,
    },
    /// `thread_set_priority(thread, priority)`.
    ThreadSetPriority { thread: CapSlot, priority: u32 },
    /// `thread_read_registers(thread, out)`.
    ThreadReadRegisters { thread: CapSlot, out: u32 },
    /// `thread_write_registers(thread, from)`.
    ThreadWriteRegisters { thread: CapSlot, from: u32 },
    /// `thread_resume(thread)`.
    ThreadResume { thread: CapSlot },
    /// `thread_suspend(thread)`.
    ThreadSuspend { thread: CapSlot },
    /// `tmem_baseline(op, ...)`: its six argument registers, which the
    /// benchmark store decodes itself.
    TmemBaseline { registers: [u32; 6] },
}

/// The capability slot in register `n`.
fn slot(frame: &TrapFrame, n: usize) -> Result<CapSlot, SyscallError> {
    CapSlot::from_register(frame.r[n]).ok_or(SyscallError::InvalidArgument)
}

/// The rights in register `n`.
fn rights(frame: &TrapFrame, n: usize) -> Result<Rights, SyscallError> {
    Rights::from_bits(frame.r[n]).ok_or(SyscallError::InvalidArgument)
}

impl Request {
    /// Call `call` as `frame`'s argument registers make it.
    #[inline(always)] // once, in `System::on_syscall`: the hot path
    pub fn decode(call: Syscall, frame: &TrapFrame) -> Result<Request, SyscallError> {
        let r = &frame.r;
        Ok(match call {
            Syscall::Log => Request::Log {
                frame: r[0],
                len: r[1],
            },
            Syscall::Yield => Request::Yield,
            Syscall::ThreadExit => Request::ThreadExit,
            Syscall::ClockRead => Request::ClockRead { out: r[0] },
            Syscall::Call => Request::Call(SendRequest::decode(frame)?),
            Syscall::ReplyRecv => Request::ReplyRecv(SendRequest::decode(frame)?),
            Syscall::Send => Request::Send(SendRequest::decode(frame)?),
            Syscall::Recv => Request::Recv {
                endpoint: slot(frame, 0)?,
                receive: MessageInfo::decode(r[INFO_REGISTER])
                    .ok_or(SyscallError::InvalidArgument)?
                    .slot,
            },
            Syscall::Signal => Request::Signal {
                notification: slot(frame, 0)?,
                bits: r[1],
            },
            Syscall::Wait => Request::Wait {
                notification: slot(frame, 0)?,
            },
            Syscall::Poll => Request::Poll {
                notification: slot(frame, 0)?,
            },
            Syscall::FrameMap => Request::FrameMap {
                frame: slot(frame, 0)?,
                address: r[1],
                rights: rights(frame, 2)?,
            },
            Syscall::FrameUnmap => Request::FrameUnmap {
                frame: slot(frame, 0)?,
            },
            Syscall::CapCopy => Request::CapCopy {
                source: slot(frame, 0)?,
                destination: slot(frame, 1)?,
                rights: rights(frame, 2)?,
            },
            Syscall::CapRevoke => Request::CapRevoke {
                slot: slot(frame, 0)?,
            },
            Syscall::CapDelete => Request::CapDelete {
                slot: slot(frame, 0)?,
            },
            Syscall::IrqAck => Request::IrqAck {
                irq: slot(frame, 0)?,
            },
            Syscall::PartitionStatus => Request::PartitionStatus {
                control: slot(frame, 0)?,
                partition: r[1],
            },
            Syscall::PartitionStop => Request::PartitionStop {
                control: slot(frame, 0)?,
                partition: r[1],
            },
            Syscall::PartitionRestart => Request::PartitionRestart {
                control: slot(frame, 0)?,
                partition: r[1],
            },
            Syscall::FrameSplit => Request::FrameSplit {
                frame: slot(frame, 0)?,
                page: r[1],
                destination: slot(frame, 2)?,
            },
            Syscall::FrameReach => Request::FrameReach {
                control: slot(frame, 0)?,
                partition: r[1],
                slot: slot(frame, 2)?,
            },
            Syscall::SpaceMap => Request::SpaceMap {
                space: slot(frame, 0)?,
                frame: slot(frame, 1)?,
                address: r[2],
                rights: rights(frame, 3)?,
            },
            Syscall::SpaceUnmap => Request::SpaceUnmap {
                space: slot(frame, 0)?,
                address: r[1],
                pages: r[2],
            },
            Syscall::SpaceReset => Request::SpaceReset {
                space: slot(frame, 0)?,
            },
            Syscall::ThreadBind => Request::ThreadBind {
                thread: slot(frame, 0)?,
                space: slot(frame, 1)?,
                exception: CapSlot::from_register(r[2]),
            },
            Syscall::ThreadSetPriority => Request::ThreadSetPriority {
                thread: slot(frame, 0)?,
                priority: r[1],
            },
            Syscall::ThreadReadRegisters => Request::ThreadReadRegisters {
                thread: slot(frame, 0)?,
                out: r[1],
            },
            Syscall::ThreadWriteRegisters => Request::ThreadWriteRegisters {
                thread: slot(frame, 0)?,
                from: r[1],
            },
            Syscall::ThreadResume => Request::ThreadResume {
                thread: slot(frame, 0)?,
            },
            Syscall::ThreadSuspend => Request::ThreadSuspend {
                thread: slot(frame, 0)?,
            },
            Syscall::TmemBaseline => {
                let mut registers = [0; 6];
                registers.copy_from_slice(&r[..6]);
                Request::TmemBaseline { registers }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernel_abi::cap::{GrantDescriptor, GrantKind};

    fn frame(args: &[u32]) -> TrapFrame {
        let mut frame = TrapFrame::default();
        frame.r[..args.len()].copy_from_slice(args);
        frame
    }

    fn decode(call: Syscall, args: &[u32]) -> Result<Request, SyscallError> {
        Request::decode(call, &frame(args))
    }

    #[test]
    fn each_argument_is_decoded_as_what_it_means() {
        assert_eq!(
            decode(Syscall::CapCopy, &[3, 4, 0b11]),
            Ok(Request::CapCopy {
                source: CapSlot(3),
                destination: CapSlot(4),
                rights: Rights::READ.union(Rights::WRITE),
            })
        );
        assert_eq!(
            decode(Syscall::SpaceMap, &[1, 2, 0x4000, 1]),
            Ok(Request::SpaceMap {
                space: CapSlot(1),
                frame: CapSlot(2),
                address: 0x4000,
                rights: Rights::READ,
            })
        );
        assert_eq!(
            decode(Syscall::Signal, &[7, 0x8000_0001]),
            Ok(Request::Signal {
                notification: CapSlot(7),
                bits: 0x8000_0001,
            })
        );
    }

    #[test]
    fn a_register_that_encodes_nothing_refuses_the_whole_call() {
        let bad_slot = CapSlot::NONE_REGISTER;
        for (call, args) in [
            (Syscall::Wait, [bad_slot, 0, 0, 0]),
            (Syscall::CapCopy, [0, bad_slot, 1, 0]),
            (Syscall::CapCopy, [0, 1, 0xFFFF_FFFF, 0]),
            (Syscall::FrameSplit, [0, 0, bad_slot, 0]),
            (Syscall::SpaceMap, [0, 1, 0, 1 << 20]),
            (Syscall::FrameReach, [0, 0, u32::MAX, 0]),
        ] {
            assert_eq!(
                decode(call, &args),
                Err(SyscallError::InvalidArgument),
                "{call:?} {args:x?}"
            );
        }
        let mut recv = frame(&[0]);
        recv.r[INFO_REGISTER] = u32::MAX;
        assert_eq!(
            Request::decode(Syscall::Recv, &recv),
            Err(SyscallError::InvalidArgument)
        );
    }

    #[test]
    fn messages_decode_whole() {
        let grant = GrantDescriptor {
            slot: CapSlot(5),
            kind: GrantKind::DerivedCopy,
            rights: Rights::READ,
        };
        let info = MessageInfo {
            buffer: false,
            length: 2,
            granted: None,
            slot: Some(CapSlot(9)),
        };
        let call = frame(&[1, 10, 20, 30, 40, grant.encode(), info.encode()]);
        let Ok(Request::Call(request)) = Request::decode(Syscall::Call, &call) else {
            panic!("a call");
        };
        assert_eq!(request.slot, CapSlot(1));
        assert_eq!(request.message.words, [10, 20, 0, 0], "only two words");
        assert_eq!(request.grant, Some(grant));
        assert_eq!(request.receive_slot, Some(CapSlot(9)));
        let mut bad = call;
        bad.r[5] = u32::MAX;
        assert_eq!(
            Request::decode(Syscall::Call, &bad),
            Err(SyscallError::InvalidArgument)
        );
    }

    #[test]
    fn an_exception_slot_that_names_nothing_means_none() {
        assert_eq!(
            decode(Syscall::ThreadBind, &[0, 1, 0xFFFF]),
            Ok(Request::ThreadBind {
                thread: CapSlot(0),
                space: CapSlot(1),
                exception: None,
            })
        );
    }
}
