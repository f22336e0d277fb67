//! How an IPC message travels between two threads' saved registers, per
//! the register convention in `kernel_abi::syscall`:
//!
//! ```text
//! r0      capability slot (in) / error code (out)
//! r1-r4   message words
//! r5      grant descriptor (sending) / badge (receiving)
//! r6      MessageInfo: length and capability slot
//! ```
//!
//! Only the words the sender declares are copied; the receiver's other
//! message registers are zeroed, so nothing of the sender's leaks. This
//! module decodes and encodes registers and nothing else: it never looks
//! up capabilities or decides who receives.

use kernel_abi::cap::{CapSlot, GrantDescriptor, GrantKind};
use kernel_abi::syscall::{MessageInfo, SyscallError, MESSAGE_REGISTERS};

use crate::exception::TrapFrame;

/// Register with the capability slot on entry and the error code on exit.
pub const SLOT_REGISTER: usize = 0;
/// First message register.
pub const FIRST_WORD_REGISTER: usize = 1;
/// Register with the grant descriptor on entry and the badge on receipt.
pub const GRANT_REGISTER: usize = 5;
/// Alias of [`GRANT_REGISTER`] on the receiving side.
pub const BADGE_REGISTER: usize = 5;
/// Register with the [`MessageInfo`].
pub const INFO_REGISTER: usize = 6;

/// A message in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Message {
    /// The words; those from `len` on are 0.
    pub words: [u32; MESSAGE_REGISTERS],
    /// How many words are meaningful.
    pub len: u8,
    /// The badge of the capability it was sent through.
    pub badge: u32,
}

/// What a sending thread asked for, decoded from its registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SendRequest {
    /// The capability slot it sends through.
    pub slot: CapSlot,
    /// The message (badge still 0: the kernel sets it from the capability).
    pub message: Message,
    /// A capability it passes along, if any.
    pub grant: Option<GrantDescriptor>,
    /// Where a capability that comes back (in a reply) may land.
    pub receive_slot: Option<CapSlot>,
    /// Whether the sender's IPC buffer payload goes with the message.
    pub buffer: bool,
}

/// The capability slot named in `r0`.
fn slot_argument(frame: &TrapFrame) -> Result<CapSlot, SyscallError> {
    CapSlot::from_register(frame.r[SLOT_REGISTER]).ok_or(SyscallError::InvalidArgument)
}

impl SendRequest {
    /// Decodes a sender's registers: `InvalidArgument` for a bad slot,
    /// info word or grant descriptor.
    pub fn decode(frame: &TrapFrame) -> Result<SendRequest, SyscallError> {
        let slot = slot_argument(frame)?;
        let info =
            MessageInfo::decode(frame.r[INFO_REGISTER]).ok_or(SyscallError::InvalidArgument)?;
        let grant = GrantDescriptor::decode(frame.r[GRANT_REGISTER])
            .map_err(|_| SyscallError::InvalidArgument)?;
        let mut message = Message {
            len: info.length,
            ..Message::default()
        };
        let len = usize::from(info.length).min(MESSAGE_REGISTERS);
        message.words[..len]
            .copy_from_slice(&frame.r[FIRST_WORD_REGISTER..FIRST_WORD_REGISTER + len]);
        Ok(SendRequest {
            slot,
            message,
            grant,
            receive_slot: info.slot,
            buffer: info.buffer,
        })
    }
}

impl Message {
    /// The message with `badge`.
    pub fn with_badge(self, badge: u32) -> Message {
        Message { badge, ..self }
    }

    /// Writes it into a receiver's registers as a successful result;
    /// `landed` says where a passed capability was put and how.
    pub fn deliver(&self, frame: &mut TrapFrame, landed: Option<(CapSlot, GrantKind)>) {
        frame.r[SLOT_REGISTER] = 0;
        let len = usize::from(self.len).min(MESSAGE_REGISTERS);
        for (i, register) in frame.r[FIRST_WORD_REGISTER..FIRST_WORD_REGISTER + MESSAGE_REGISTERS]
            .iter_mut()
            .enumerate()
        {
            *register = if i < len { self.words[i] } else { 0 };
        }
        frame.r[BADGE_REGISTER] = self.badge;
        frame.r[INFO_REGISTER] = MessageInfo {
            buffer: false,
            length: len as u8,
            granted: landed.map(|(_, kind)| kind),
            slot: landed.map(|(slot, _)| slot),
        }
        .encode();
    }
}

/// Moves the message in `from` (a sender's registers) to `to` (a
/// receiver's) with `badge`; returns what was sent.
pub fn transfer(
    from: &TrapFrame,
    to: &mut TrapFrame,
    badge: u32,
) -> Result<SendRequest, SyscallError> {
    let request = SendRequest::decode(from)?;
    request.message.with_badge(badge).deliver(to, None);
    Ok(request)
}

/// Puts the success code (0) in `frame`'s result register.
pub fn succeed(frame: &mut TrapFrame) {
    frame.r[SLOT_REGISTER] = 0;
}

/// Puts `error` in `frame`'s result register.
pub fn fail(frame: &mut TrapFrame, error: SyscallError) {
    frame.r[SLOT_REGISTER] = error as u32;
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernel_abi::cap::Rights;

    fn sender(len: u8, grant: u32) -> TrapFrame {
        let mut frame = TrapFrame {
            r: [3, 11, 22, 33, 44, grant, 0, 0, 0, 0, 0, 0, 0],
            ..TrapFrame::default()
        };
        frame.r[INFO_REGISTER] = MessageInfo {
            buffer: false,
            length: len,
            granted: None,
            slot: Some(CapSlot(9)),
        }
        .encode();
        frame
    }

    #[test]
    fn words_and_badge_move_and_nothing_else_leaks() {
        let from = sender(2, 0);
        let mut to = TrapFrame {
            r: [0xEE; 13],
            ..TrapFrame::default()
        };
        let request = transfer(&from, &mut to, 0xBADE).unwrap();
        assert_eq!(request.slot, CapSlot(3));
        assert_eq!(request.receive_slot, Some(CapSlot(9)));
        assert_eq!(request.grant, None);
        assert_eq!(&to.r[..7], &[0, 11, 22, 0, 0, 0xBADE, 2]);
        assert_eq!(to.r[7], 0xEE, "registers beyond the convention untouched");
    }

    #[test]
    fn a_grant_descriptor_and_where_it_landed_are_reported() {
        let grant = GrantDescriptor {
            slot: CapSlot(4),
            kind: GrantKind::Transient,
            rights: Rights::READ,
        };
        let from = sender(4, grant.encode());
        let request = SendRequest::decode(&from).unwrap();
        assert_eq!(request.grant, Some(grant));
        assert_eq!(request.message.words, [11, 22, 33, 44]);
        let mut to = TrapFrame::default();
        request
            .message
            .deliver(&mut to, Some((CapSlot(7), GrantKind::Transient)));
        let info = MessageInfo::decode(to.r[INFO_REGISTER]).unwrap();
        assert_eq!(info.slot, Some(CapSlot(7)));
        assert_eq!(info.granted, Some(GrantKind::Transient));
        assert_eq!(info.length, 4);
    }

    #[test]
    fn malformed_registers_are_invalid_arguments() {
        let mut bad_slot = sender(1, 0);
        bad_slot.r[SLOT_REGISTER] = 0x1_0000;
        assert_eq!(
            SendRequest::decode(&bad_slot),
            Err(SyscallError::InvalidArgument)
        );
        let mut bad_info = sender(1, 0);
        bad_info.r[INFO_REGISTER] = 5;
        assert_eq!(
            SendRequest::decode(&bad_info),
            Err(SyscallError::InvalidArgument)
        );
        let bad_grant = sender(1, 1 << 31);
        assert_eq!(
            SendRequest::decode(&bad_grant),
            Err(SyscallError::InvalidArgument)
        );
        let mut frame = TrapFrame::default();
        fail(&mut frame, SyscallError::PeerGone);
        assert_eq!(frame.r[0], SyscallError::PeerGone as u32);
    }
}
