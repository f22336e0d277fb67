//! Capabilities: what a partition may name and do, held in per-partition
//! slot tables and tracked by how each was derived from another.
//!
//! A capability is an unforgeable reference to a kernel object plus the
//! rights its holder has over it. Partitions only ever name slots of their
//! own space; every operation here checks the slot, the kind and the
//! rights and returns a [`CapError`] otherwise. Nothing here allocates,
//! panics on a caller-supplied index, or touches hardware: unmapping and
//! waking threads is the caller's job, told by the values returned.

pub mod derivation;
pub mod frame_refs;
pub mod layout;
pub mod mapping;
pub mod space;
pub mod table;

pub use kernel_abi::cap::{CapKind, CapSlot, Rights};
use kernel_abi::syscall::SyscallError;

/// Index of an endpoint in the kernel's endpoint table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EndpointId(pub u16);

/// Index of a notification in the kernel's notification table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NotificationId(pub u16);

/// Index of a guest address space in the kernel's table of them (see
/// `mm::guest_space`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct SpaceId(pub u16);

/// Index of a one-shot reply object (see `ipc::endpoint`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReplyId(pub u16);

/// The kernel object a capability refers to.
///
/// A word-sized tag (`repr(u32)`): a copy of a capability whose rights
/// change (every derived copy) is then cheaper — `memcpy` of 7 bytes
/// instead of 9 (LLVM still splits the copy at the payloads' offsets) —
/// 4 instructions off the page-fault round trip, 2 off the null one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum CapObject {
    /// An IPC endpoint.
    Endpoint(EndpointId),
    /// A notification word.
    Notification(NotificationId),
    /// `pages` physical pages from `base` (page aligned).
    Frame { base: usize, pages: u32 },
    /// The right to answer one call.
    Reply(ReplyId),
    /// An interrupt line.
    Irq(u32),
    /// Control over partitions.
    PartitionControl,
    /// A guest address space.
    AddressSpace(SpaceId),
    /// A guest thread (by its index in the kernel's thread table).
    Thread(crate::ipc::ThreadId),
}

impl CapObject {
    /// The ABI's name for this kind of object.
    pub const fn kind(&self) -> CapKind {
        match self {
            CapObject::Endpoint(_) => CapKind::Endpoint,
            CapObject::Notification(_) => CapKind::Notification,
            CapObject::Frame { .. } => CapKind::Frame,
            CapObject::Reply(_) => CapKind::Reply,
            CapObject::Irq(_) => CapKind::Irq,
            CapObject::PartitionControl => CapKind::PartitionControl,
            CapObject::AddressSpace(_) => CapKind::AddressSpace,
            CapObject::Thread(_) => CapKind::Thread,
        }
    }
}

/// A capability: an object, the holder's rights over it, and (for
/// endpoints) the badge the receiver learns. Badges of other kinds are 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Capability {
    /// What it refers to.
    pub object: CapObject,
    /// What the holder may do.
    pub rights: Rights,
    /// Delivered to the receiver of a message sent through it.
    pub badge: u32,
}

impl Capability {
    /// An unbadged capability.
    pub const fn new(object: CapObject, rights: Rights) -> Capability {
        Capability {
            object,
            rights,
            badge: 0,
        }
    }

    /// A copy with `rights`, which must be a subset of this one's.
    pub fn derive(&self, rights: Rights) -> Result<Capability, CapError> {
        if !rights.is_subset_of(self.rights) {
            return Err(CapError::MissingRights);
        }
        let mut derived = *self;
        derived.rights = rights;
        Ok(derived)
    }

    /// A one-page frame capability for page `page` of this frame, with the
    /// same rights.
    pub fn page(&self, page: u32) -> Result<Capability, CapError> {
        match self.object {
            CapObject::Frame { base, pages } if page < pages => Ok(Capability {
                object: CapObject::Frame {
                    base: base + page as usize * kernel_abi::user_layout::PAGE_SIZE as usize,
                    pages: 1,
                },
                ..*self
            }),
            CapObject::Frame { .. } => Err(CapError::OutOfRange),
            _ => Err(CapError::WrongType),
        }
    }

    /// A copy with `rights` and `badge`: allowed only from an unbadged
    /// endpoint capability (a badge, once set, is never changed).
    pub fn mint(&self, rights: Rights, badge: u32) -> Result<Capability, CapError> {
        let derived = self.derive(rights)?;
        match self.object {
            CapObject::Endpoint(_) if self.badge == 0 => Ok(Capability { badge, ..derived }),
            CapObject::Endpoint(_) => Err(CapError::AlreadyBadged),
            _ => Err(CapError::WrongType),
        }
    }
}

/// Why a capability operation was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CapError {
    /// The slot index or partition is beyond its table.
    OutOfRange,
    /// The slot holds no capability.
    EmptySlot,
    /// The capability is of another kind.
    WrongType,
    /// The capability lacks a needed right, or a copy would exceed it.
    MissingRights,
    /// The destination slot is not empty.
    SlotOccupied,
    /// A badge cannot be set on a capability that already has one.
    AlreadyBadged,
    /// The operation names the same slot twice where two are needed.
    SameSlot,
}

impl From<CapError> for SyscallError {
    fn from(error: CapError) -> SyscallError {
        match error {
            CapError::OutOfRange | CapError::SameSlot | CapError::AlreadyBadged => {
                SyscallError::InvalidArgument
            }
            CapError::EmptySlot => SyscallError::EmptySlot,
            CapError::WrongType => SyscallError::WrongType,
            CapError::MissingRights => SyscallError::MissingRights,
            CapError::SlotOccupied => SyscallError::SlotOccupied,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RW: Rights = Rights::READ.union(Rights::WRITE);

    #[test]
    fn derive_never_adds_rights() {
        let frame = Capability::new(
            CapObject::Frame {
                base: 0x6100_0000,
                pages: 2,
            },
            RW,
        );
        assert_eq!(frame.derive(Rights::READ).unwrap().rights, Rights::READ);
        assert_eq!(frame.derive(RW).unwrap(), frame);
        assert_eq!(
            frame.derive(Rights::READ.union(Rights::EXECUTE)),
            Err(CapError::MissingRights)
        );
        assert_eq!(frame.object.kind(), CapKind::Frame);
    }

    #[test]
    fn only_unbadged_endpoints_can_be_minted() {
        let endpoint = Capability::new(CapObject::Endpoint(EndpointId(3)), Rights::ALL);
        let badged = endpoint.mint(Rights::WRITE, 42).unwrap();
        assert_eq!((badged.badge, badged.rights), (42, Rights::WRITE));
        assert_eq!(badged.mint(Rights::WRITE, 7), Err(CapError::AlreadyBadged));
        assert_eq!(
            badged.derive(Rights::WRITE).unwrap().badge,
            42,
            "copies keep the badge"
        );
        let note = Capability::new(CapObject::Notification(NotificationId(0)), Rights::ALL);
        assert_eq!(note.mint(Rights::WRITE, 1), Err(CapError::WrongType));
        assert_eq!(
            endpoint
                .mint(Rights::ALL.union(Rights::READ), 1)
                .unwrap()
                .rights,
            Rights::ALL
        );
    }

    #[test]
    fn errors_map_to_syscall_codes() {
        assert_eq!(
            SyscallError::from(CapError::OutOfRange),
            SyscallError::InvalidArgument
        );
        assert_eq!(
            SyscallError::from(CapError::EmptySlot),
            SyscallError::EmptySlot
        );
        assert_eq!(
            SyscallError::from(CapError::WrongType),
            SyscallError::WrongType
        );
        assert_eq!(
            SyscallError::from(CapError::MissingRights),
            SyscallError::MissingRights
        );
        assert_eq!(
            SyscallError::from(CapError::SlotOccupied),
            SyscallError::SlotOccupied
        );
    }
}
