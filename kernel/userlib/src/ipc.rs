//! Typed IPC: endpoints and notifications named by the capability slots the
//! system description gives a partition.
//!
//! Messages are up to four words in registers (`kernel_abi::syscall`
//! describes the convention); the receiver also learns the badge of the
//! capability the message came through, which is how a server knows its
//! client. Capability passing is not offered here yet.

#[cfg(target_os = "none")]
use kernel_abi::syscall::Syscall;
use kernel_abi::syscall::{MessageInfo, SyscallError, MESSAGE_REGISTERS};

#[cfg(target_os = "none")]
use crate::syscall::result;

/// A received message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Message {
    /// The words; those past `len` are 0.
    pub words: [u32; MESSAGE_REGISTERS],
    /// How many words the sender sent.
    pub len: u8,
    /// The badge of the sender's capability (0 for replies).
    pub badge: u32,
}

/// An endpoint capability in this partition's capability space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoint(pub u16);

/// A notification capability in this partition's capability space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Notification(pub u16);

/// The `MessageInfo` word for a message of `len` words.
pub fn info(len: usize) -> Result<u32, SyscallError> {
    if len > MESSAGE_REGISTERS {
        return Err(SyscallError::InvalidArgument);
    }
    Ok(MessageInfo {
        length: len as u8,
        granted: None,
        slot: None,
    }
    .encode())
}

/// Registers out of an IPC call: r0-r6.
#[cfg(target_os = "none")]
fn raw(call: Syscall, slot: u32, words: &[u32], info: u32) -> [u32; 7] {
    let mut w = [0u32; MESSAGE_REGISTERS];
    w[..words.len()].copy_from_slice(words);
    let out: [u32; 7];
    let (r0, r1, r2, r3, r4, r5, r6): (u32, u32, u32, u32, u32, u32, u32);
    // SAFETY: `svc #0` enters the kernel, which returns results in r0-r6 and
    // preserves every other register. r6 may be LLVM's base pointer and
    // cannot be named as an operand, so the info word travels through r8
    // and r6 is saved around the call by hand.
    unsafe {
        core::arch::asm!(
            "push {{r6}}",
            "mov r6, r8",
            "svc #0",
            "mov r8, r6",
            "pop {{r6}}",
            inout("r8") info => r6,
            inout("r0") slot => r0,
            inout("r1") w[0] => r1,
            inout("r2") w[1] => r2,
            inout("r3") w[2] => r3,
            inout("r4") w[3] => r4,
            inout("r5") 0u32 => r5,
            in("r7") call as u32,
        );
    }
    out = [r0, r1, r2, r3, r4, r5, r6];
    out
}

#[cfg(target_os = "none")]
fn received(regs: [u32; 7]) -> Result<Message, SyscallError> {
    result(regs[0])?;
    let len = MessageInfo::decode(regs[6]).map_or(0, |i| i.length);
    Ok(Message {
        words: [regs[1], regs[2], regs[3], regs[4]],
        len,
        badge: regs[5],
    })
}

#[cfg(target_os = "none")]
impl Endpoint {
    /// Sends `words` and waits for the reply.
    pub fn call(self, words: &[u32]) -> Result<Message, SyscallError> {
        received(raw(
            Syscall::Call,
            u32::from(self.0),
            words,
            info(words.len())?,
        ))
    }

    /// Sends `words` without waiting for an answer (blocks until received).
    pub fn send(self, words: &[u32]) -> Result<(), SyscallError> {
        result(raw(Syscall::Send, u32::from(self.0), words, info(words.len())?)[0])
    }

    /// Waits for a message.
    pub fn recv(self) -> Result<Message, SyscallError> {
        received(raw(Syscall::Recv, u32::from(self.0), &[], 0))
    }

    /// Replies `words` to the caller being served, then waits for the next
    /// message.
    pub fn reply_recv(self, words: &[u32]) -> Result<Message, SyscallError> {
        received(raw(
            Syscall::ReplyRecv,
            u32::from(self.0),
            words,
            info(words.len())?,
        ))
    }
}

#[cfg(target_os = "none")]
impl Notification {
    /// ORs `bits` into the notification, waking a waiter.
    pub fn signal(self, bits: u32) -> Result<(), SyscallError> {
        result(raw(Syscall::Signal, u32::from(self.0), &[bits], 0)[0])
    }

    /// Waits until bits are pending; returns and clears them.
    pub fn wait(self) -> Result<u32, SyscallError> {
        let regs = raw(Syscall::Wait, u32::from(self.0), &[], 0);
        result(regs[0]).map(|()| regs[1])
    }

    /// Returns and clears pending bits; `WouldBlock` if there are none.
    pub fn poll(self) -> Result<u32, SyscallError> {
        let regs = raw(Syscall::Poll, u32::from(self.0), &[], 0);
        result(regs[0]).map(|()| regs[1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_info_carries_the_length_and_refuses_too_many_words() {
        let word = info(3).unwrap();
        assert_eq!(MessageInfo::decode(word).unwrap().length, 3);
        assert_eq!(info(5), Err(SyscallError::InvalidArgument));
    }
}
