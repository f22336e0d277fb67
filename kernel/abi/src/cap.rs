//! Capabilities as partitions name them: rights, slot indices, kinds, and
//! the grant descriptor that asks the kernel to pass a capability along
//! with a message.
//!
//! Plain data and `const fn`s only. The kernel decides what a capability
//! may do; nothing here grants anything by itself, and nothing here may
//! depend on the kernel's tables.
//!
//! What each right means, by kind:
//!
//! | kind | `READ` | `WRITE` | `GRANT` | `EXECUTE` |
//! | --- | --- | --- | --- | --- |
//! | Endpoint | `recv`, `reply_recv` | `send`, `call` | pass a capability in a message | - |
//! | Notification | `wait`, `poll` | `signal` | - | - |
//! | Frame | map readable | map writable | pass it on in a message | map executable |
//! | Reply | - | `reply` | pass a capability in the reply | - |
//! | AddressSpace | - | map, unmap, reset | - | - |
//! | Thread | read its registers | bind, priority, registers, resume, suspend | - | - |

/// A set of rights, a bit each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Rights(u32);

impl Rights {
    /// No rights.
    pub const NONE: Rights = Rights(0);
    /// Receive on an endpoint, wait on a notification, map a frame readable.
    pub const READ: Rights = Rights(1 << 0);
    /// Send on an endpoint, signal a notification, map a frame writable.
    pub const WRITE: Rights = Rights(1 << 1);
    /// Pass capabilities (frames) along with a message.
    pub const GRANT: Rights = Rights(1 << 2);
    /// Map a frame executable.
    pub const EXECUTE: Rights = Rights(1 << 3);
    /// On a partition-control capability, the same bit means: restart a
    /// stopped partition (no other kind of capability has a use for it).
    pub const RESTART: Rights = Rights::EXECUTE;
    /// Every right there is.
    pub const ALL: Rights = Rights(0b1111);

    /// The set with exactly these bits, or `None` if a bit names no right.
    pub const fn from_bits(bits: u32) -> Option<Rights> {
        if bits & !Rights::ALL.0 == 0 {
            Some(Rights(bits))
        } else {
            None
        }
    }

    /// The bits of this set.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Whether every right in `other` is in `self`.
    pub const fn contains(self, other: Rights) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether every right in `self` is in `other`.
    pub const fn is_subset_of(self, other: Rights) -> bool {
        other.contains(self)
    }

    /// Rights in either set.
    pub const fn union(self, other: Rights) -> Rights {
        Rights(self.0 | other.0)
    }

    /// Rights in both sets.
    pub const fn intersection(self, other: Rights) -> Rights {
        Rights(self.0 & other.0)
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// The index of a slot in the calling partition's capability space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CapSlot(pub u16);

impl CapSlot {
    /// The register value that means "no slot" (e.g. no capability may be
    /// received).
    pub const NONE_REGISTER: u32 = 0xFFFF;

    /// The slot a register names: `None` for [`CapSlot::NONE_REGISTER`] or
    /// a value that does not fit a slot index.
    pub const fn from_register(value: u32) -> Option<CapSlot> {
        if value < CapSlot::NONE_REGISTER {
            Some(CapSlot(value as u16))
        } else {
            None
        }
    }

    /// The register value that names this slot.
    pub const fn to_register(self) -> u32 {
        self.0 as u32
    }
}

/// What a capability refers to, as numbered in the ABI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum CapKind {
    /// A synchronous IPC endpoint.
    Endpoint = 1,
    /// A word of notification bits.
    Notification = 2,
    /// A range of physical pages.
    Frame = 3,
    /// The one-shot right to answer a call.
    Reply = 4,
    /// An interrupt line.
    Irq = 5,
    /// Control over partitions (for a privileged monitor).
    PartitionControl = 6,
    /// A guest address space (a guest kernel's process).
    AddressSpace = 7,
    /// A guest thread (one of a guest kernel's processes' threads).
    Thread = 8,
}

impl CapKind {
    /// The kind numbered `value`, if any.
    pub const fn from_u32(value: u32) -> Option<CapKind> {
        match value {
            1 => Some(CapKind::Endpoint),
            2 => Some(CapKind::Notification),
            3 => Some(CapKind::Frame),
            4 => Some(CapKind::Reply),
            5 => Some(CapKind::Irq),
            6 => Some(CapKind::PartitionControl),
            7 => Some(CapKind::AddressSpace),
            8 => Some(CapKind::Thread),
            _ => None,
        }
    }
}

/// How a capability passed with a message reaches the receiver.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum GrantKind {
    /// The receiver gets a derived copy (the *lent* capability) that the
    /// kernel destroys when the call is answered or abandoned — together
    /// with everything derived from it, wherever it went, and every
    /// mapping made through them. Until then the receiver can neither
    /// delete nor pass on the lent capability itself (`Busy`). Only with
    /// `call`.
    Transient = 1,
    /// The capability moves: the sender loses it and every mapping made
    /// through it. Only the sole authority over an object moves: a frame
    /// capability must be the only capability anywhere covering any of its
    /// pages (no copy, split page, ancestor, or second capability from the
    /// description; otherwise `Shared`), any other capability must have
    /// nothing derived from it, and a lent capability never moves (`Busy`).
    /// So after a transfer the sender reaches nothing of what it gave.
    Transfer = 2,
    /// The receiver keeps a derived copy; the sender can revoke it.
    DerivedCopy = 3,
}

impl GrantKind {
    /// The kind numbered `value`, if any.
    pub const fn from_u32(value: u32) -> Option<GrantKind> {
        match value {
            1 => Some(GrantKind::Transient),
            2 => Some(GrantKind::Transfer),
            3 => Some(GrantKind::DerivedCopy),
            _ => None,
        }
    }
}

/// A request to pass one of the sender's capabilities with a message.
///
/// In a register (`r5` of `send`, `call`, `reply_recv`):
///
/// ```text
/// bits 15..0   slot of the capability to pass
/// bits 17..16  GrantKind (0: nothing is passed, the whole word must be 0)
/// bits 23..20  rights the receiver gets (Transient, DerivedCopy: must be
///              a subset of the sender's; Transfer: must be 0, rights are
///              kept)
/// other bits   0
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GrantDescriptor {
    /// The sender's slot holding the capability.
    pub slot: CapSlot,
    /// How it is passed.
    pub kind: GrantKind,
    /// The receiver's rights (ignored, and encoded as 0, for a transfer).
    pub rights: Rights,
}

/// Why a grant-descriptor register is malformed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadGrantDescriptor;

const GRANT_KIND_SHIFT: u32 = 16;
const GRANT_RIGHTS_SHIFT: u32 = 20;
const GRANT_USED_BITS: u32 = 0xFFFF | (0b11 << GRANT_KIND_SHIFT) | (0b1111 << GRANT_RIGHTS_SHIFT);

impl GrantDescriptor {
    /// Decodes a register: `Ok(None)` for 0 (nothing passed).
    pub const fn decode(value: u32) -> Result<Option<GrantDescriptor>, BadGrantDescriptor> {
        if value == 0 {
            return Ok(None);
        }
        if value & !GRANT_USED_BITS != 0 {
            return Err(BadGrantDescriptor);
        }
        let Some(kind) = GrantKind::from_u32((value >> GRANT_KIND_SHIFT) & 0b11) else {
            return Err(BadGrantDescriptor);
        };
        let Some(slot) = CapSlot::from_register(value & 0xFFFF) else {
            return Err(BadGrantDescriptor);
        };
        let rights = Rights((value >> GRANT_RIGHTS_SHIFT) & 0b1111);
        if matches!(kind, GrantKind::Transfer) && !rights.is_empty() {
            return Err(BadGrantDescriptor);
        }
        Ok(Some(GrantDescriptor { slot, kind, rights }))
    }

    /// Encodes for a register.
    pub const fn encode(self) -> u32 {
        let rights = match self.kind {
            GrantKind::Transfer => 0,
            _ => self.rights.bits() & Rights::ALL.bits(),
        };
        self.slot.0 as u32
            | ((self.kind as u32) << GRANT_KIND_SHIFT)
            | (rights << GRANT_RIGHTS_SHIFT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rights_set_algebra() {
        let rw = Rights::READ.union(Rights::WRITE);
        assert!(rw.contains(Rights::READ));
        assert!(!rw.contains(Rights::GRANT));
        assert!(Rights::READ.is_subset_of(rw));
        assert!(!rw.is_subset_of(Rights::READ));
        assert!(Rights::NONE.is_subset_of(Rights::NONE));
        assert_eq!(
            rw.intersection(Rights::WRITE.union(Rights::GRANT)),
            Rights::WRITE
        );
        assert!(Rights::NONE.is_empty());
        assert_eq!(Rights::from_bits(0b1111), Some(Rights::ALL));
        assert_eq!(Rights::from_bits(0b1_0000), None);
        assert_eq!(Rights::default(), Rights::NONE);
    }

    #[test]
    fn slots_and_kinds_round_trip() {
        assert_eq!(CapSlot::from_register(7), Some(CapSlot(7)));
        assert_eq!(CapSlot::from_register(0xFFFE), Some(CapSlot(0xFFFE)));
        assert_eq!(CapSlot::from_register(CapSlot::NONE_REGISTER), None);
        assert_eq!(CapSlot::from_register(u32::MAX), None);
        assert_eq!(CapSlot(9).to_register(), 9);
        for kind in [
            CapKind::Endpoint,
            CapKind::Notification,
            CapKind::Frame,
            CapKind::Reply,
            CapKind::Irq,
            CapKind::PartitionControl,
            CapKind::AddressSpace,
            CapKind::Thread,
        ] {
            assert_eq!(CapKind::from_u32(kind as u32), Some(kind));
        }
        assert_eq!(CapKind::from_u32(0), None);
        assert_eq!(CapKind::from_u32(9), None);
        for kind in [
            GrantKind::Transient,
            GrantKind::Transfer,
            GrantKind::DerivedCopy,
        ] {
            assert_eq!(GrantKind::from_u32(kind as u32), Some(kind));
        }
        assert_eq!(GrantKind::from_u32(0), None);
    }

    #[test]
    fn grant_descriptors_round_trip_and_reject_junk() {
        let copy = GrantDescriptor {
            slot: CapSlot(12),
            kind: GrantKind::DerivedCopy,
            rights: Rights::READ.union(Rights::WRITE),
        };
        assert_eq!(copy.encode(), 12 | (3 << 16) | (0b11 << 20));
        assert_eq!(GrantDescriptor::decode(copy.encode()), Ok(Some(copy)));
        let transfer = GrantDescriptor {
            slot: CapSlot(1),
            kind: GrantKind::Transfer,
            rights: Rights::NONE,
        };
        assert_eq!(
            GrantDescriptor::decode(transfer.encode()),
            Ok(Some(transfer))
        );
        assert_eq!(GrantDescriptor::decode(0), Ok(None));
        let bad = Err(BadGrantDescriptor);
        assert_eq!(GrantDescriptor::decode(5), bad, "slot without kind");
        assert_eq!(GrantDescriptor::decode(1 << 31), bad, "stray bit");
        assert_eq!(GrantDescriptor::decode(0xFFFF | (1 << 16)), bad, "no slot");
        assert_eq!(
            GrantDescriptor::decode(1 | (2 << 16) | (1 << 20)),
            bad,
            "rights on a transfer"
        );
    }
}
