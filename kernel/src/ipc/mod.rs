//! Inter-partition communication: endpoints (synchronous messages with
//! one-shot replies), notifications (words of bits, IRQs), the scheduling
//! time a passive server borrows from its caller, and how a message
//! travels between two threads' registers.
//!
//! Each state machine here says what must happen — which thread to wake,
//! which to block, whose registers to copy — and leaves doing it to the
//! caller (`System`). None of them reads registers except [`message`],
//! allocates, or panics on anything a partition controls.

pub mod donation;
pub mod endpoint;
pub mod irq;
pub mod lending;
pub mod message;
pub mod notification;
pub mod passing;
pub mod queue;
pub mod thread_objects;

use kernel_abi::syscall::SyscallError;

/// A thread, by its index in the kernel's thread table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ThreadId(pub u16);

impl ThreadId {
    /// The index into the thread table.
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// Why an IPC operation was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpcError {
    /// No such thread, endpoint, notification or reply object.
    OutOfRange,
    /// The thread is already blocked (a kernel bug if it happens: a
    /// blocked thread makes no calls).
    AlreadyBlocked,
    /// The thread holds a reply right it has not used: reply first.
    ReplyPending,
    /// The reply right was already used, or never given to this thread.
    ReplyUsed,
    /// The thread waiting for the reply is gone (stopped or cancelled).
    CallerGone,
    /// A passive thread serves one call at a time; this one is busy.
    ServerBusy,
    /// The call would make a thread wait on itself.
    Cycle,
}

impl From<IpcError> for SyscallError {
    fn from(error: IpcError) -> SyscallError {
        match error {
            IpcError::OutOfRange
            | IpcError::AlreadyBlocked
            | IpcError::ReplyPending
            | IpcError::Cycle => SyscallError::InvalidArgument,
            IpcError::ReplyUsed => SyscallError::Revoked,
            IpcError::CallerGone | IpcError::ServerBusy => SyscallError::PeerGone,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_syscall_codes() {
        assert_eq!(
            SyscallError::from(IpcError::ReplyUsed),
            SyscallError::Revoked
        );
        assert_eq!(
            SyscallError::from(IpcError::CallerGone),
            SyscallError::PeerGone
        );
        assert_eq!(
            SyscallError::from(IpcError::OutOfRange),
            SyscallError::InvalidArgument
        );
        assert_eq!(ThreadId(3).index(), 3);
    }
}
