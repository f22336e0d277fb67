//! One partition's capability space: a fixed table of slots, sized at boot.
//!
//! This is slot bookkeeping only: it checks indices, kinds and rights, and
//! fills or empties slots. It never records how a capability was derived
//! (that is [`super::table::CapTable`]'s job, which owns every space's
//! slots), so emptying a slot through a bare `CapSpace` is only right for
//! a capability that has no derivation links — one that never went into
//! a [`super::table::CapTable`].

use super::{CapError, CapKind, CapSlot, Capability, Rights};

/// A slot: empty or holding one capability.
pub type Slot = Option<Capability>;

/// The capability in `slot` of `slots`, if it is of `kind` and has every
/// right in `needed`.
pub fn find(
    slots: &[Slot],
    slot: CapSlot,
    kind: CapKind,
    needed: Rights,
) -> Result<&Capability, CapError> {
    checked(get(slots, slot)?, kind, needed)
}

/// `cap`, if it is of `kind` with the `needed` rights.
pub fn checked(cap: &Capability, kind: CapKind, needed: Rights) -> Result<&Capability, CapError> {
    if cap.object.kind() != kind {
        return Err(CapError::WrongType);
    }
    if !cap.rights.contains(needed) {
        return Err(CapError::MissingRights);
    }
    Ok(cap)
}

/// The capability in `slot` of `slots`, whatever it is.
pub fn get(slots: &[Slot], slot: CapSlot) -> Result<&Capability, CapError> {
    slots
        .get(usize::from(slot.0))
        .ok_or(CapError::OutOfRange)?
        .as_ref()
        .ok_or(CapError::EmptySlot)
}

/// A partition's slots.
#[derive(Debug)]
pub struct CapSpace<'s> {
    slots: &'s mut [Slot],
}

impl<'s> CapSpace<'s> {
    /// A space over `slots` (as they are: boot may have filled some).
    pub fn new(slots: &'s mut [Slot]) -> CapSpace<'s> {
        CapSpace { slots }
    }

    /// How many slots it has.
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// The capability in `slot`, whatever it is.
    pub fn get(&self, slot: CapSlot) -> Result<&Capability, CapError> {
        get(self.slots, slot)
    }

    /// The capability in `slot`, if it is of `kind` with the `needed`
    /// rights.
    pub fn lookup(
        &self,
        slot: CapSlot,
        kind: CapKind,
        needed: Rights,
    ) -> Result<&Capability, CapError> {
        find(self.slots, slot, kind, needed)
    }

    /// Whether `slot` exists and is empty.
    pub fn is_free(&self, slot: CapSlot) -> Result<bool, CapError> {
        self.slots
            .get(usize::from(slot.0))
            .map(Option::is_none)
            .ok_or(CapError::OutOfRange)
    }

    /// Puts `cap` into the empty `slot`.
    pub fn insert(&mut self, slot: CapSlot, cap: Capability) -> Result<(), CapError> {
        let entry = self
            .slots
            .get_mut(usize::from(slot.0))
            .ok_or(CapError::OutOfRange)?;
        if entry.is_some() {
            return Err(CapError::SlotOccupied);
        }
        *entry = Some(cap);
        Ok(())
    }

    /// Empties `slot`, returning what it held.
    pub fn remove(&mut self, slot: CapSlot) -> Result<Capability, CapError> {
        self.slots
            .get_mut(usize::from(slot.0))
            .ok_or(CapError::OutOfRange)?
            .take()
            .ok_or(CapError::EmptySlot)
    }

    /// The first empty slot, if any.
    pub fn first_free(&self) -> Option<CapSlot> {
        let index = self.slots.iter().position(Option::is_none)?;
        u16::try_from(index).ok().map(CapSlot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cap::{CapObject, EndpointId, NotificationId};

    fn endpoint(rights: Rights) -> Capability {
        Capability::new(CapObject::Endpoint(EndpointId(0)), rights)
    }

    #[test]
    fn lookup_reports_each_kind_of_failure() {
        let mut slots = [None; 4];
        let mut space = CapSpace::new(&mut slots);
        space.insert(CapSlot(1), endpoint(Rights::WRITE)).unwrap();
        assert_eq!(space.capacity(), 4);
        assert!(space
            .lookup(CapSlot(1), CapKind::Endpoint, Rights::WRITE)
            .is_ok());
        assert_eq!(
            space.lookup(CapSlot(0), CapKind::Endpoint, Rights::NONE),
            Err(CapError::EmptySlot)
        );
        assert_eq!(
            space.lookup(CapSlot(1), CapKind::Notification, Rights::NONE),
            Err(CapError::WrongType)
        );
        assert_eq!(
            space.lookup(CapSlot(1), CapKind::Endpoint, Rights::READ),
            Err(CapError::MissingRights)
        );
        assert_eq!(
            space.lookup(
                CapSlot(1),
                CapKind::Endpoint,
                Rights::WRITE.union(Rights::GRANT)
            ),
            Err(CapError::MissingRights)
        );
        assert_eq!(
            space.lookup(CapSlot(4), CapKind::Endpoint, Rights::NONE),
            Err(CapError::OutOfRange)
        );
        assert_eq!(space.get(CapSlot(u16::MAX)), Err(CapError::OutOfRange));
    }

    #[test]
    fn insert_refuses_occupied_slots_and_remove_empties() {
        let mut slots = [None; 2];
        let mut space = CapSpace::new(&mut slots);
        let note = Capability::new(CapObject::Notification(NotificationId(1)), Rights::READ);
        space.insert(CapSlot(0), note).unwrap();
        assert_eq!(
            space.insert(CapSlot(0), endpoint(Rights::ALL)),
            Err(CapError::SlotOccupied)
        );
        assert_eq!(space.insert(CapSlot(2), note), Err(CapError::OutOfRange));
        assert_eq!(space.is_free(CapSlot(0)), Ok(false));
        assert_eq!(space.is_free(CapSlot(1)), Ok(true));
        assert_eq!(space.is_free(CapSlot(2)), Err(CapError::OutOfRange));
        assert_eq!(space.first_free(), Some(CapSlot(1)));
        assert_eq!(space.remove(CapSlot(0)), Ok(note));
        assert_eq!(space.remove(CapSlot(0)), Err(CapError::EmptySlot));
        assert_eq!(space.remove(CapSlot(9)), Err(CapError::OutOfRange));
        assert_eq!(space.first_free(), Some(CapSlot(0)));
    }

    #[test]
    fn an_empty_space_has_no_slots_to_name() {
        let mut slots: [Slot; 0] = [];
        let space = CapSpace::new(&mut slots);
        assert_eq!(space.get(CapSlot(0)), Err(CapError::OutOfRange));
        assert_eq!(space.first_free(), None);
    }
}
