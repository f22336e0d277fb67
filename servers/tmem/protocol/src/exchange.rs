//! How the 4 KiB page of a put or get moves between client and server: the
//! three exchange modes of the design brief, and what each passes besides
//! the message words.
//!
//! A client's mode is fixed by the system description; a put or get also
//! names it in its header (bits 17..16), and the server refuses a mode other
//! than the client's with [`Status::NotSupported`](crate::Status::NotSupported).
//!
//! | mode | put: request passes | put: reply passes | get: request passes | get: reply passes |
//! | --- | --- | --- | --- | --- |
//! | copy | nothing (page in the slot's page) | nothing | nothing | nothing (page in the slot's page) |
//! | grant-map | page frame, transient, read | nothing | destination frame, transient, read+write | nothing |
//! | transfer | page frame, transferred | a free frame, transferred | a free frame, transferred | the page's frame (a miss: the client's frame), transferred |
//!
//! A frame capability travels with the IPC itself, in the kernel's grant
//! descriptor (`r5`; `kernel_abi::cap::GrantKind::Transient` or
//! `Transfer`), and the receiver finds it in the slot its `MessageInfo`
//! names; no message word carries it. In transfer mode every call returns
//! exactly one frame for the one it took, success or failure, so a
//! client's frame count never changes. New pools, destroys, flushes and
//! control messages pass no frame in any mode.
//!
//! This module only describes; it must never decide a client's mode (that
//! comes from the server's configuration, not from the client).

/// How a client's pages move. In a partition's typed configuration it is
/// written `"copy"`, `"grant-map"` or `"transfer"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[repr(u8)]
pub enum ExchangeMode {
    /// Through a page slot of the shared window (two copies, no mapping
    /// changes).
    Copy = 1,
    /// The client grants its frame for one call; the server maps it and
    /// copies once.
    GrantMap = 2,
    /// Frames change owner (page flipping; no copy).
    Transfer = 3,
}

/// Which way a page goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PageDirection {
    /// Client to server.
    Put,
    /// Server to client.
    Get,
}

/// What capability passing goes with a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FramePassing {
    /// No capability.
    Nothing,
    /// A frame lent for the call, with these rights; the kernel takes it
    /// back (and its mappings) at the reply.
    Transient(FrameRights),
    /// A frame that changes owner.
    Transfer,
}

/// Rights on a lent frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FrameRights {
    /// The server may read the page (a put).
    Read,
    /// The server may write the page (a get).
    ReadWrite,
}

impl ExchangeMode {
    /// Every mode.
    pub const ALL: [ExchangeMode; 3] = [
        ExchangeMode::Copy,
        ExchangeMode::GrantMap,
        ExchangeMode::Transfer,
    ];

    /// The mode numbered `bits` (1..=3); 0 is no mode.
    pub const fn from_bits(bits: u32) -> Option<ExchangeMode> {
        match bits {
            1 => Some(ExchangeMode::Copy),
            2 => Some(ExchangeMode::GrantMap),
            3 => Some(ExchangeMode::Transfer),
            _ => None,
        }
    }

    /// The mode's number.
    pub const fn bits(self) -> u32 {
        self as u32
    }

    /// Whether the page travels in the slot's page of the window.
    pub const fn uses_page_slot(self) -> bool {
        matches!(self, ExchangeMode::Copy)
    }

    /// What the client passes with a put or get request.
    pub const fn request_passes(self, direction: PageDirection) -> FramePassing {
        match (self, direction) {
            (ExchangeMode::Copy, _) => FramePassing::Nothing,
            (ExchangeMode::GrantMap, PageDirection::Put) => {
                FramePassing::Transient(FrameRights::Read)
            }
            (ExchangeMode::GrantMap, PageDirection::Get) => {
                FramePassing::Transient(FrameRights::ReadWrite)
            }
            (ExchangeMode::Transfer, _) => FramePassing::Transfer,
        }
    }

    /// What the server passes with the reply to a put or get (whatever its
    /// status).
    pub const fn reply_passes(self, _direction: PageDirection) -> FramePassing {
        match self {
            ExchangeMode::Copy | ExchangeMode::GrantMap => FramePassing::Nothing,
            ExchangeMode::Transfer => FramePassing::Transfer,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_round_trip() {
        for mode in ExchangeMode::ALL {
            assert_eq!(ExchangeMode::from_bits(mode.bits()), Some(mode));
        }
        assert_eq!(ExchangeMode::from_bits(0), None);
        assert_eq!(ExchangeMode::from_bits(4), None);
    }

    #[test]
    fn transfer_keeps_frame_counts_and_the_others_pass_nothing_back() {
        for direction in [PageDirection::Put, PageDirection::Get] {
            for mode in ExchangeMode::ALL {
                let sent = mode.request_passes(direction) == FramePassing::Transfer;
                let returned = mode.reply_passes(direction) == FramePassing::Transfer;
                assert_eq!(sent, returned, "{mode:?} {direction:?}");
            }
            assert_eq!(
                ExchangeMode::Copy.request_passes(direction),
                FramePassing::Nothing
            );
        }
        assert_eq!(
            ExchangeMode::GrantMap.request_passes(PageDirection::Get),
            FramePassing::Transient(FrameRights::ReadWrite)
        );
        assert!(ExchangeMode::Copy.uses_page_slot());
        assert!(!ExchangeMode::Transfer.uses_page_slot());
    }
}
