//! Exception IPC: a guest thread never makes a kernel system call. Its
//! `svc`, its page faults and its undefined instructions become a call on
//! the exception endpoint its guest kernel bound it to — through the same
//! path as a pager's faults ([`System::fault_call`]) — and it waits.
//!
//! The message ([`kernel_abi::guest`]) carries the kind, the fault's
//! address and status, the pc, and all its registers in the receiver's
//! IPC buffer. The reply resumes it, or leaves it suspended, with the
//! registers the reply gives (a system call's result, a fixed-up pc). A
//! reply that would not make sense to a guest thread (a capability, an
//! unknown action, a register buffer of the wrong length) is refused
//! before anything of the `reply_recv` happens. A guest thread whose
//! exception endpoint is missing or closed is suspended, never its
//! partition: the guest kernel decides what becomes of its processes.

use kernel_abi::guest::{
    ExceptionHeader, ExceptionKind as Kind, FaultAccess, ReplyAction, REGISTER_BYTES,
    REPLY_REGISTERS,
};
use kernel_abi::syscall::{MessageInfo, SyscallError};

use super::System;
use crate::cap::layout::SlotRef;
use crate::exception::{ExceptionKind, REGISTER_WORDS};
use crate::fault::AccessKind;
use crate::ipc::message::{
    Message, SendRequest, FIRST_WORD_REGISTER, GRANT_REGISTER, INFO_REGISTER,
};
use crate::ipc::ThreadId;
use crate::machine::{Event, Machine, UserFault};
use crate::thread::ThreadState;

/// The kind, access, address and status an exception message reports.
fn describe(fault: &UserFault) -> (Kind, FaultAccess, u32, u32) {
    match (fault.exception, fault.fault) {
        (ExceptionKind::SupervisorCall, _) => (Kind::Syscall, FaultAccess::Read, 0, 0),
        (ExceptionKind::Undefined, _) => (Kind::Undefined, FaultAccess::Read, 0, 0),
        (_, Some(decoded)) => {
            let access = match decoded.access {
                AccessKind::Read => FaultAccess::Read,
                AccessKind::Write => FaultAccess::Write,
                AccessKind::Execute => FaultAccess::Execute,
            };
            (
                Kind::PageFault,
                access,
                decoded.address,
                u32::from(decoded.status),
            )
        }
        (_, None) => (Kind::PageFault, FaultAccess::Read, 0, 0),
    }
}

impl<'a> System<'a> {
    /// Guest thread `index` took `fault` (an `svc` is one of kind
    /// `SupervisorCall`): it calls its exception endpoint and waits. If it
    /// has no endpoint it can reach, it is suspended and the kernel says
    /// so.
    pub(super) fn exception_to_handler(
        &mut self,
        index: usize,
        fault: UserFault,
        machine: &mut impl Machine,
    ) {
        let thread = &self.threads[index];
        let handler = thread
            .guest
            .and_then(|guest| guest.exception)
            .map(|slot| SlotRef::new(thread.partition as u8, slot));
        if handler.is_some_and(|at| self.fault_call(index, at, fault, machine)) {
            return;
        }
        let thread = &mut self.threads[index];
        thread.state = ThreadState::Suspended;
        machine.report(Event::GuestThreadSuspended {
            partition: &self.partitions[thread.partition].name,
            thread: thread.guest.map_or(0, |guest| guest.number),
            fault,
        });
    }

    /// Writes guest thread `from`'s exception (`fault`) into `to`, who
    /// received it: the message words and `badge` in its registers, and
    /// `from`'s registers in its IPC buffer (if it has one).
    pub(super) fn deliver_exception(
        &mut self,
        from: usize,
        to: usize,
        fault: UserFault,
        badge: u32,
        machine: &mut impl Machine,
    ) {
        let (kind, access, address, status) = describe(&fault);
        let header = ExceptionHeader {
            kind,
            access,
            thread: self.threads[from].guest.map_or(0, |guest| guest.number),
        };
        let message = Message {
            words: [header.encode(), address, status, fault.pc],
            len: 4,
            badge,
        };
        message.deliver(&mut self.threads[to].context, None);
        let buffer = self.threads[to].ipc_buffer;
        if buffer == 0 {
            return;
        }
        let mut registers = [0u32; REGISTER_WORDS];
        self.threads[from]
            .context
            .copy_guest_registers(&mut registers);
        machine.write_phys_words(buffer, &[REGISTER_BYTES]);
        machine.write_phys_words(buffer + 4, &registers);
        self.threads[to].context.r[INFO_REGISTER] |= MessageInfo {
            buffer: true,
            length: 0,
            granted: None,
            slot: None,
        }
        .encode();
    }

    /// Checks, before any of thread `server`'s `reply_recv` happens, that
    /// the reply in its registers (already decoded and checked as a
    /// message) can answer the exception of the guest thread its reply
    /// right answers, if that is what it answers: no capability, a known
    /// action, and if it carries the IPC buffer, a whole register frame
    /// there. Most replies are what any caller can take: only for the
    /// others is the caller looked up, and only in a system with guest
    /// threads.
    pub(super) fn check_fault_reply(
        &self,
        server: usize,
        machine: &impl Machine,
    ) -> Result<(), SyscallError> {
        if !self.guests {
            return Ok(());
        }
        let registers = &self.threads[server].context.r;
        let info = MessageInfo::decode(registers[INFO_REGISTER]);
        let length = info.map_or(0, |info| info.length);
        let buffer = info.is_some_and(|info| info.buffer);
        let action = registers[FIRST_WORD_REGISTER];
        let bad_words = registers[GRANT_REGISTER] != 0
            || (length > 0 && ReplyAction::from_u32(action).is_none());
        if !bad_words && !buffer {
            return Ok(());
        }
        let Some(caller) = self.objects.threads.reply_target(ThreadId(server as u16)) else {
            return Ok(());
        };
        let waiting = &self.threads[caller.index()];
        if waiting.fault.is_none() || waiting.guest.is_none() {
            return Ok(());
        }
        if bad_words {
            return Err(SyscallError::InvalidArgument);
        }
        if buffer {
            let buffer = self.threads[server].ipc_buffer;
            let mut length = [0u8; 4];
            if buffer != 0 {
                machine.read_phys(buffer, &mut length);
            }
            if buffer == 0 || u32::from_le_bytes(length) != REGISTER_BYTES {
                return Err(SyscallError::InvalidArgument);
            }
        }
        Ok(())
    }

    /// `server` answered guest thread `caller`'s exception with a reply
    /// [`System::check_fault_reply`] accepted: the registers it gives (the
    /// buffer's, then the words'), and the thread runs or stays suspended.
    pub(super) fn resume_from_exception(
        &mut self,
        server: usize,
        caller: usize,
        machine: &mut impl Machine,
    ) {
        self.threads[caller].fault = None;
        let request = match SendRequest::decode(&self.threads[server].context) {
            Ok(request) => request,
            Err(_) => {
                debug_assert!(false, "the reply was checked before it was sent");
                self.threads[caller].state = ThreadState::Suspended;
                return;
            }
        };
        if request.buffer {
            let mut words = [0u32; REGISTER_WORDS];
            machine.read_phys_words(self.threads[server].ipc_buffer + 4, &mut words);
            self.threads[caller].context.set_guest_registers(&words);
        }
        let words = request.message.words;
        let length = usize::from(request.message.len).min(words.len());
        let action = match length {
            0 => Some(ReplyAction::Resume),
            _ => ReplyAction::from_u32(words[0]),
        };
        let thread = &mut self.threads[caller];
        // Register by register, not a slice copy of run-time length (a
        // `memcpy` call): r0.. take the words after the action.
        for register in 0..REPLY_REGISTERS {
            if register + 1 < length {
                thread.context.r[register] = words[register + 1];
            }
        }
        thread.state = match action {
            Some(ReplyAction::Resume) => ThreadState::Ready,
            _ => ThreadState::Suspended,
        };
    }
}
