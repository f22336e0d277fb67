//! What a guest's call brought besides its words, and what the manager
//! may do with it. Only a frame that *moved* here (a transfer: the guest
//! no longer reaches it) can be booked in the reserve or given back with
//! the answer. A derived copy leaves the original with the guest, which
//! can revoke the copy at any moment; a lent capability is destroyed by
//! the kernel at the reply. Booking either would put a frame in the
//! reserve that the guest still holds or that vanishes, so a later take
//! (by any guest) would pass nothing and the books would no longer match
//! the frames. This module only sorts; it must never book anything.

use kernel_abi::cap::GrantKind;

/// A capability that came with a call, sorted by how it came.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Carried {
    /// Nothing came.
    Nothing,
    /// A capability moved into `slot`: the manager's own now.
    Moved(u16),
    /// A derived copy in `slot`: the guest keeps the original. The
    /// manager deletes it at once.
    Copied(u16),
    /// A capability lent for the call, in `slot`: the kernel destroys it
    /// at the reply (and refuses its deletion or passing on before).
    Lent(u16),
}

impl Carried {
    /// How the capability the kernel reports (`granted`: the slot it
    /// landed in and how it came) came.
    pub const fn sort(granted: Option<(u16, GrantKind)>) -> Carried {
        match granted {
            None => Carried::Nothing,
            Some((slot, GrantKind::Transfer)) => Carried::Moved(slot),
            Some((slot, GrantKind::DerivedCopy)) => Carried::Copied(slot),
            Some((slot, GrantKind::Transient)) => Carried::Lent(slot),
        }
    }

    /// The slot of a frame that moved here: the only capability a give
    /// may book and the only one an answer may pass back.
    pub const fn moved(self) -> Option<u16> {
        match self {
            Carried::Moved(slot) => Some(slot),
            Carried::Nothing | Carried::Copied(_) | Carried::Lent(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_transferred_frame_can_be_booked_or_passed_back() {
        assert_eq!(Carried::sort(None).moved(), None);
        assert_eq!(
            Carried::sort(Some((20, GrantKind::Transfer))).moved(),
            Some(20)
        );
        assert_eq!(
            Carried::sort(Some((20, GrantKind::DerivedCopy))),
            Carried::Copied(20)
        );
        assert_eq!(
            Carried::sort(Some((20, GrantKind::DerivedCopy))).moved(),
            None
        );
        assert_eq!(
            Carried::sort(Some((20, GrantKind::Transient))),
            Carried::Lent(20)
        );
        assert_eq!(
            Carried::sort(Some((20, GrantKind::Transient))).moved(),
            None
        );
    }
}
