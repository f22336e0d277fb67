//! The operation a request asks for, as the byte in bits 7..0 of its first
//! word.
//!
//! Numbers are part of the protocol: an opcode keeps its number for as long
//! as the protocol version does, and 0 is never an opcode (a reply to a
//! request whose opcode did not decode carries 0). This module must never
//! map an unknown byte to an operation.

/// What a request asks the server to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Opcode {
    /// Open a pool (private, or join a shared one by UUID).
    NewPool = 1,
    /// Close a pool; a private pool is destroyed with its pages.
    DestroyPool = 2,
    /// Store a page under a handle.
    PutPage = 3,
    /// Fetch the page under a handle.
    GetPage = 4,
    /// Remove the page under a handle.
    FlushPage = 5,
    /// Remove every page of an object.
    FlushObject = 6,
    /// A privileged control message, postcard-encoded in the caller's page
    /// slot.
    Control = 7,
    /// Store a run of pages of one object.
    PutRun = 8,
    /// Fetch a run of pages of one object.
    GetRun = 9,
}

impl Opcode {
    /// Every opcode, in number order.
    pub const ALL: [Opcode; 9] = [
        Opcode::NewPool,
        Opcode::DestroyPool,
        Opcode::PutPage,
        Opcode::GetPage,
        Opcode::FlushPage,
        Opcode::FlushObject,
        Opcode::Control,
        Opcode::PutRun,
        Opcode::GetRun,
    ];

    /// The opcode numbered `byte`, if there is one.
    pub const fn from_u8(byte: u8) -> Option<Opcode> {
        match byte {
            1 => Some(Opcode::NewPool),
            2 => Some(Opcode::DestroyPool),
            3 => Some(Opcode::PutPage),
            4 => Some(Opcode::GetPage),
            5 => Some(Opcode::FlushPage),
            6 => Some(Opcode::FlushObject),
            7 => Some(Opcode::Control),
            8 => Some(Opcode::PutRun),
            9 => Some(Opcode::GetRun),
            _ => None,
        }
    }

    /// The opcode's number.
    pub const fn to_u8(self) -> u8 {
        self as u8
    }

    /// How many message words a request with this opcode has (exactly;
    /// more and fewer are both refused).
    pub const fn request_words(self) -> usize {
        match self {
            Opcode::DestroyPool => 1,
            Opcode::NewPool | Opcode::Control => 2,
            Opcode::PutPage
            | Opcode::GetPage
            | Opcode::FlushPage
            | Opcode::FlushObject
            | Opcode::PutRun
            | Opcode::GetRun => 4,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip_and_never_change() {
        for (i, opcode) in Opcode::ALL.into_iter().enumerate() {
            assert_eq!(opcode.to_u8() as usize, i + 1);
            assert_eq!(Opcode::from_u8(opcode.to_u8()), Some(opcode));
        }
        assert_eq!(Opcode::from_u8(0), None);
        for byte in 10..=u8::MAX {
            assert_eq!(Opcode::from_u8(byte), None);
        }
        assert_eq!(Opcode::PutPage.to_u8(), 3);
        assert_eq!(Opcode::GetPage.to_u8(), 4);
    }
}
