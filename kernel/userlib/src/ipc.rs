//! Typed IPC: endpoints and notifications named by the capability slots the
//! system description gives a partition.
//!
//! Messages are up to four words in registers (`kernel_abi::syscall`
//! describes the convention); the receiver also learns the badge of the
//! capability the message came through, which is how a server knows its
//! client. A message may carry one capability (a [`Grant`]): lent for the
//! call, moved, or copied revocably. What a message carries besides its
//! words is a [`Carry`]; each endpoint system call has one function that
//! takes it, and the short names are those calls carrying nothing.
//!
//! It must never hand the kernel a message longer than the message
//! registers (refused here as `InvalidArgument`), nor touch memory but
//! this thread's IPC buffer (the unsafe `raw_call` aside).

use kernel_abi::cap::{CapSlot, GrantDescriptor, GrantKind, Rights};
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
    /// A capability that came with it: where it landed and how.
    pub granted: Option<(u16, GrantKind)>,
    /// The sender's IPC buffer payload was copied into this thread's.
    pub buffer: bool,
    /// (`reply_recv`) The reply this thread sent before receiving went
    /// nowhere: its caller is gone, and a capability the reply passed is
    /// still in this thread's slot.
    pub reply_dropped: bool,
}

/// This thread's IPC buffer: a page the kernel copies between sender and
/// receiver when a message says it carries it. The first word is the
/// payload length; structured payloads use [`crate::message`].
pub struct IpcBuffer {
    page: *mut u8,
}

impl IpcBuffer {
    /// The IPC buffer of thread `thread` (its index in the partition, as
    /// [`Start`](crate::Start) gives it). Only that thread may use it.
    pub fn of_thread(thread: u32) -> IpcBuffer {
        IpcBuffer {
            page: (kernel_abi::syscall::IPC_BUFFERS + thread * 4096) as *mut u8,
        }
    }

    pub(crate) fn page(&mut self) -> &mut [u8] {
        // SAFETY: the kernel maps this page read/write for this thread
        // alone (`of_thread`'s contract), and `&mut self` makes the borrow
        // unique.
        unsafe { core::slice::from_raw_parts_mut(self.page, 4096) }
    }

    /// Encodes `value` as the payload; returns its length in bytes.
    pub fn write<T: serde::Serialize>(
        &mut self,
        value: &T,
    ) -> Result<usize, crate::message::MessageError> {
        let page = self.page();
        let len = crate::message::encode(value, &mut page[4..])?;
        page[..4].copy_from_slice(&(len as u32).to_le_bytes());
        Ok(len)
    }

    /// Decodes the payload (what the last message carrying the buffer
    /// left here).
    pub fn read<'a, T: serde::Deserialize<'a>>(
        &'a mut self,
    ) -> Result<T, crate::message::MessageError> {
        let page = self.page();
        let len = u32::from_le_bytes([page[0], page[1], page[2], page[3]]) as usize;
        let payload = page
            .get(4..4 + len)
            .ok_or(crate::message::MessageError::Malformed)?;
        crate::message::decode(payload)
    }
}

/// A capability passed along with a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grant {
    /// The sender's slot holding it.
    pub slot: u16,
    /// Lent for this call only, moved, or copied (revocably).
    pub kind: GrantKind,
    /// Rights the receiver gets (ignored for a transfer).
    pub rights: Rights,
}

/// A frame capability in this partition's capability space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame(pub u16);

/// A PartitionControl capability: a monitor's view of the other partitions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartitionControl(pub u16);

/// A partition's state as a monitor sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartitionStatus {
    /// 0 running, 1 finished, 2 stopped.
    pub state: u32,
    /// Milliseconds of its windows so far.
    pub window_ms: u32,
    /// Milliseconds it spent running.
    pub running_ms: u32,
    /// How many frame capabilities it holds.
    pub frames: u32,
}

/// An interrupt capability: the right to acknowledge one interrupt line
/// (whose arrivals signal the notification the system description binds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Irq(pub u16);

/// An endpoint capability in this partition's capability space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoint(pub u16);

/// A notification capability in this partition's capability space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Notification(pub u16);

/// What a message carries besides its words: a capability passed with
/// it, the empty slot a capability coming the other way may land in, and
/// whether it carries this thread's IPC buffer payload. The call and
/// reply-and-receive system calls take one; [`Carry::NONE`] is a message
/// of words alone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Carry {
    /// The capability passed with the message.
    pub grant: Option<Grant>,
    /// Where a capability passed by the answer (or, for
    /// reply-and-receive, the next message) lands.
    pub receive: Option<u16>,
    /// The message carries this thread's IPC buffer payload (and the
    /// answer may carry the other side's back).
    pub buffer: bool,
}

impl Carry {
    /// Words alone.
    pub const NONE: Carry = Carry {
        grant: None,
        receive: None,
        buffer: false,
    };
    /// The IPC buffer payload with the words.
    pub const BUFFER: Carry = Carry {
        buffer: true,
        ..Carry::NONE
    };

    /// Passing `grant`, if given, and nothing else.
    pub const fn grant(grant: Option<Grant>) -> Carry {
        Carry {
            grant,
            ..Carry::NONE
        }
    }

    /// Accepting a capability into `receive`, if given, and nothing else.
    pub const fn receive(receive: Option<u16>) -> Carry {
        Carry {
            receive,
            ..Carry::NONE
        }
    }

    /// The `MessageInfo` word for a message of `len` words carrying this.
    #[inline(always)]
    pub fn info(&self, len: usize) -> Result<u32, SyscallError> {
        if len > MESSAGE_REGISTERS {
            return Err(SyscallError::InvalidArgument);
        }
        Ok(MessageInfo {
            buffer: self.buffer,
            length: len as u8,
            granted: None,
            slot: self.receive.map(CapSlot),
        }
        .encode())
    }

    /// The grant descriptor word (`r5`) for this message's grant (0 for
    /// none).
    #[inline(always)]
    pub fn grant_word(&self) -> u32 {
        self.grant.map_or(0, |g| {
            GrantDescriptor {
                slot: CapSlot(g.slot),
                kind: g.kind,
                rights: if g.kind == GrantKind::Transfer {
                    Rights::NONE
                } else {
                    g.rights
                },
            }
            .encode()
        })
    }
}

/// Makes system call `call` with `slot` in r0, `words` in r1-r4 (at most
/// four), `grant` in r5 and `info` in r6 exactly as given; returns r0-r6
/// as the kernel left them. The typed calls here are built on it; tests
/// use it to send the kernel malformed registers.
///
/// # Safety
///
/// Calls that take a pointer (`clock_read`, `log`) write or read the
/// memory it names, which the caller must not be using otherwise.
#[cfg(target_os = "none")]
pub unsafe fn raw_call(call: Syscall, slot: u32, words: &[u32], grant: u32, info: u32) -> [u32; 7] {
    raw(call, slot, words, grant, info)
}

/// Registers out of an IPC call: r0-r6.
#[cfg(target_os = "none")]
#[inline(always)]
fn raw(call: Syscall, slot: u32, words: &[u32], grant: u32, info: u32) -> [u32; 7] {
    let mut w = [0u32; MESSAGE_REGISTERS];
    w[..words.len()].copy_from_slice(words);
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
            inout("r5") grant => r5,
            in("r7") call as u32,
        );
    }
    [r0, r1, r2, r3, r4, r5, r6]
}

#[cfg(target_os = "none")]
#[inline(always)]
fn received(regs: [u32; 7]) -> Result<Message, SyscallError> {
    result(regs[0])?;
    let info = MessageInfo::decode(regs[6]);
    Ok(Message {
        words: [regs[1], regs[2], regs[3], regs[4]],
        len: info.map_or(0, |i| i.length),
        badge: regs[5],
        granted: info.and_then(|i| Some((i.slot?.0, i.granted?))),
        buffer: info.is_some_and(|i| i.buffer),
        reply_dropped: regs[6] & kernel_abi::syscall::INFO_REPLY_DROPPED != 0,
    })
}

/// The endpoint system calls, one function each ([`Endpoint::call_with`],
/// [`Endpoint::reply_recv_with`], [`Endpoint::send_granting`],
/// [`Endpoint::recv_into`]); the shorter names are those with nothing
/// carried.
#[cfg(target_os = "none")]
impl Endpoint {
    /// Makes IPC system call `call` on this endpoint with `words` and
    /// what `carry` says.
    #[inline(always)]
    fn message(self, call: Syscall, words: &[u32], carry: Carry) -> Result<[u32; 7], SyscallError> {
        let info = carry.info(words.len())?;
        Ok(raw(
            call,
            u32::from(self.0),
            words,
            carry.grant_word(),
            info,
        ))
    }

    /// Sends `words` and waits for the reply.
    #[inline]
    pub fn call(self, words: &[u32]) -> Result<Message, SyscallError> {
        self.call_with(words, Carry::NONE)
    }

    /// Sends `words` with what `carry` says and waits for the reply (a
    /// capability it passes lands in `carry.receive`).
    #[inline]
    pub fn call_with(self, words: &[u32], carry: Carry) -> Result<Message, SyscallError> {
        received(self.message(Syscall::Call, words, carry)?)
    }

    /// As [`call_with`](Self::call_with); when the call ends in
    /// `PeerGone`, also the slot that holds the capability a transferring
    /// call passed, if this partition still (or again) holds it — `r6` as
    /// `kernel_abi::syscall::Syscall::Call` documents.
    pub fn call_with_held(
        self,
        words: &[u32],
        carry: Carry,
    ) -> Result<Message, (SyscallError, Option<u16>)> {
        let regs = self
            .message(Syscall::Call, words, carry)
            .map_err(|error| (error, None))?;
        received(regs).map_err(|error| {
            let info = MessageInfo::decode(regs[6]).filter(|_| error == SyscallError::PeerGone);
            let held = info.filter(|i| i.granted == Some(GrantKind::Transfer));
            (error, held.and_then(|i| i.slot).map(|slot| slot.0))
        })
    }

    /// Sends `words` without waiting for an answer (blocks until received).
    pub fn send(self, words: &[u32]) -> Result<(), SyscallError> {
        self.send_granting(words, None)
    }

    /// Sends `words` with a capability, without waiting for an answer.
    pub fn send_granting(self, words: &[u32], grant: Option<Grant>) -> Result<(), SyscallError> {
        result(self.message(Syscall::Send, words, Carry::grant(grant))?[0])
    }

    /// Waits for a message.
    #[inline]
    pub fn recv(self) -> Result<Message, SyscallError> {
        self.recv_into(None)
    }

    /// Waits for a message, accepting a capability into slot `receive`.
    #[inline]
    pub fn recv_into(self, receive: Option<u16>) -> Result<Message, SyscallError> {
        received(self.message(Syscall::Recv, &[], Carry::receive(receive))?)
    }

    /// Replies `words` to the caller being served, then waits for the next
    /// message.
    #[inline]
    pub fn reply_recv(self, words: &[u32]) -> Result<Message, SyscallError> {
        self.reply_recv_with(words, Carry::NONE)
    }

    /// Replies `words` with what `carry` says, then waits for the next
    /// message (a capability it passes lands in `carry.receive`).
    #[inline]
    pub fn reply_recv_with(self, words: &[u32], carry: Carry) -> Result<Message, SyscallError> {
        received(self.message(Syscall::ReplyRecv, words, carry)?)
    }
}

#[cfg(target_os = "none")]
impl Notification {
    /// ORs `bits` into the notification, waking a waiter.
    pub fn signal(self, bits: u32) -> Result<(), SyscallError> {
        result(raw(Syscall::Signal, u32::from(self.0), &[bits], 0, 0)[0])
    }

    /// Waits until bits are pending; returns and clears them.
    pub fn wait(self) -> Result<u32, SyscallError> {
        let regs = raw(Syscall::Wait, u32::from(self.0), &[], 0, 0);
        result(regs[0]).map(|()| regs[1])
    }

    /// Returns and clears pending bits; `WouldBlock` if there are none.
    pub fn poll(self) -> Result<u32, SyscallError> {
        let regs = raw(Syscall::Poll, u32::from(self.0), &[], 0, 0);
        result(regs[0]).map(|()| regs[1])
    }
}

#[cfg(target_os = "none")]
impl Frame {
    /// Maps the whole frame at `vaddr` (in the grant window), writable or
    /// not; returns its size in pages.
    pub fn map(self, vaddr: u32, writable: bool) -> Result<u32, SyscallError> {
        let rights = if writable {
            Rights::READ.union(Rights::WRITE)
        } else {
            Rights::READ
        };
        let regs = raw(
            Syscall::FrameMap,
            u32::from(self.0),
            &[vaddr, rights.bits()],
            0,
            0,
        );
        result(regs[0]).map(|()| regs[1])
    }

    /// Takes the frame's mapping down.
    pub fn unmap(self) -> Result<(), SyscallError> {
        result(raw(Syscall::FrameUnmap, u32::from(self.0), &[], 0, 0)[0])
    }

    /// Derives a one-page capability for page `page` of this frame into
    /// the empty slot `dest`.
    pub fn split(self, page: u32, dest: u16) -> Result<Frame, SyscallError> {
        let regs = raw(
            Syscall::FrameSplit,
            u32::from(self.0),
            &[page, u32::from(dest)],
            0,
            0,
        );
        result(regs[0]).map(|()| Frame(dest))
    }
}

#[cfg(target_os = "none")]
impl Irq {
    /// The device has been dealt with: let the line interrupt again.
    pub fn ack(self) -> Result<(), SyscallError> {
        result(raw(Syscall::IrqAck, u32::from(self.0), &[], 0, 0)[0])
    }
}

#[cfg(target_os = "none")]
impl PartitionControl {
    /// The state of partition `partition` (its index in the description).
    pub fn status(self, partition: u32) -> Result<PartitionStatus, SyscallError> {
        let regs = raw(
            Syscall::PartitionStatus,
            u32::from(self.0),
            &[partition],
            0,
            0,
        );
        result(regs[0])?;
        Ok(PartitionStatus {
            state: regs[1],
            window_ms: regs[2],
            running_ms: regs[3],
            frames: regs[4],
        })
    }

    /// The partitions (bit p: partition p) that can reach a page of the
    /// frame partition `partition` holds in `slot`, through a capability
    /// or a mapping.
    pub fn frame_reach(self, partition: u32, slot: u16) -> Result<u64, SyscallError> {
        let regs = raw(
            Syscall::FrameReach,
            u32::from(self.0),
            &[partition, u32::from(slot)],
            0,
            0,
        );
        result(regs[0])?;
        Ok(u64::from(regs[1]) | u64::from(regs[2]) << 32)
    }

    /// Stops partition `partition`.
    pub fn stop(self, partition: u32) -> Result<(), SyscallError> {
        result(
            raw(
                Syscall::PartitionStop,
                u32::from(self.0),
                &[partition],
                0,
                0,
            )[0],
        )
    }

    /// Restarts stopped partition `partition` from its boot image (the
    /// capability needs the restart right): the restarts so far, or
    /// `NotStopped`, `RestartLimit`, ….
    pub fn restart(self, partition: u32) -> Result<u32, SyscallError> {
        let regs = raw(
            Syscall::PartitionRestart,
            u32::from(self.0),
            &[partition],
            0,
            0,
        );
        result(regs[0])?;
        Ok(regs[1])
    }
}

/// Copies the capability in `source` into the empty slot `dest` with
/// `rights` (a subset of its own).
#[cfg(target_os = "none")]
pub fn cap_copy(source: u16, dest: u16, rights: Rights) -> Result<(), SyscallError> {
    result(
        raw(
            Syscall::CapCopy,
            u32::from(source),
            &[u32::from(dest), rights.bits()],
            0,
            0,
        )[0],
    )
}

/// Removes every capability derived from the one in `slot`, in any
/// partition, and every mapping made through them.
#[cfg(target_os = "none")]
pub fn cap_revoke(slot: u16) -> Result<(), SyscallError> {
    result(raw(Syscall::CapRevoke, u32::from(slot), &[], 0, 0)[0])
}

/// Removes the capability in `slot` (and its mapping).
#[cfg(target_os = "none")]
pub fn cap_delete(slot: u16) -> Result<(), SyscallError> {
    result(raw(Syscall::CapDelete, u32::from(slot), &[], 0, 0)[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_info_carries_the_length_slot_and_buffer_and_refuses_too_many_words() {
        let word = Carry::receive(Some(5)).info(3).unwrap();
        let decoded = MessageInfo::decode(word).unwrap();
        assert_eq!(
            (decoded.length, decoded.slot, decoded.buffer),
            (3, Some(CapSlot(5)), false)
        );
        let buffered = MessageInfo::decode(Carry::BUFFER.info(0).unwrap()).unwrap();
        assert_eq!(
            (buffered.length, buffered.slot, buffered.buffer),
            (0, None, true)
        );
        assert_eq!(Carry::NONE.info(5), Err(SyscallError::InvalidArgument));
    }

    #[test]
    fn grant_words_encode_the_descriptor() {
        assert_eq!(Carry::NONE.grant_word(), 0);
        let grant = Grant {
            slot: 3,
            kind: GrantKind::Transient,
            rights: Rights::READ,
        };
        let decoded = GrantDescriptor::decode(Carry::grant(Some(grant)).grant_word())
            .unwrap()
            .unwrap();
        assert_eq!(
            (decoded.slot, decoded.kind, decoded.rights),
            (CapSlot(3), GrantKind::Transient, Rights::READ)
        );
        let moved = Grant {
            kind: GrantKind::Transfer,
            ..grant
        };
        let decoded = GrantDescriptor::decode(Carry::grant(Some(moved)).grant_word())
            .unwrap()
            .unwrap();
        assert_eq!(decoded.rights, Rights::NONE, "a transfer passes no rights");
    }
}
