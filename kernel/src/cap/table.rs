//! Every partition's capability slots together with their derivation
//! tree: the only place capabilities are created, copied, moved and
//! destroyed after boot.
//!
//! Semantics (seL4's, as facts):
//! - a derived copy never has more rights than its source, keeps its
//!   badge, and may land in any partition's empty slot (that is how
//!   grants are made);
//! - `revoke(x)` destroys every capability derived from `x`, transitively,
//!   in any partition; `x` stays;
//! - `delete(x)` destroys `x` alone: capabilities derived from it stay and
//!   count as derived from `x`'s parent (so revoking that parent still
//!   reaches them);
//! - `move_cap(x, y)` puts `x` in slot `y`; what was derived from `x`
//!   stays derived from it.
//!
//! Destroying a capability does not unmap anything or wake anyone: every
//! operation that destroys one hands each destroyed slot and capability to
//! the caller, whose job is to remove mappings made through it
//! ([`super::mapping::MappingTable`]) and cancel what waits on it. No
//! operation leaves a slot and the tree disagreeing about whether it is
//! in use, and every frame capability created or destroyed is counted in
//! [`FrameRefs`], so the table can say whether a capability is the only
//! one over its memory.

use super::derivation::{DerivationTree, Node};
use super::frame_refs::FrameRefs;
use super::layout::{SlotRef, SpaceLayout};
use super::space::{self, Slot};
use super::{CapError, CapKind, Capability, Rights};

/// The system's capabilities.
#[derive(Debug)]
pub struct CapTable<'a> {
    layout: SpaceLayout<'a>,
    slots: &'a mut [Slot],
    tree: DerivationTree<'a>,
    refs: FrameRefs<'a>,
}

impl<'a> CapTable<'a> {
    /// An empty table laid out as `layout`, over `slots` and `nodes` with
    /// exactly `layout.total()` entries each (`None` otherwise), counting
    /// frame capabilities in `refs`.
    pub fn new(
        layout: SpaceLayout<'a>,
        slots: &'a mut [Slot],
        nodes: &'a mut [Node],
        refs: FrameRefs<'a>,
    ) -> Option<CapTable<'a>> {
        if slots.len() != layout.total() || nodes.len() != layout.total() {
            return None;
        }
        slots.fill(None);
        Some(CapTable {
            layout,
            slots,
            tree: DerivationTree::new(nodes),
            refs,
        })
    }

    /// How the slots are shared among partitions.
    pub fn layout(&self) -> &SpaceLayout<'a> {
        &self.layout
    }

    /// Partition `partition`'s slots, for reading.
    pub fn space(&self, partition: u8) -> Result<&[Slot], CapError> {
        Ok(&self.slots[self.layout.range(partition)?])
    }

    /// The global number of `at` (the index every per-slot table shares:
    /// an operation on one slot translates it once and passes it down).
    pub fn global(&self, at: SlotRef) -> Result<usize, CapError> {
        self.layout.global(at)
    }

    /// The capability at `at`, whatever it is.
    pub fn get(&self, at: SlotRef) -> Result<&Capability, CapError> {
        // Through the global number, not `space(..)`: one bounds check
        // instead of a sub-slice's three (every look-up of a slot).
        self.get_global(self.layout.global(at)?)
    }

    /// The capability in the slot with global number `index`.
    pub fn get_global(&self, index: usize) -> Result<&Capability, CapError> {
        self.slots
            .get(index)
            .ok_or(CapError::OutOfRange)?
            .as_ref()
            .ok_or(CapError::EmptySlot)
    }

    /// The capability at `at`, if it is of `kind` with the `needed` rights.
    pub fn lookup(
        &self,
        at: SlotRef,
        kind: CapKind,
        needed: Rights,
    ) -> Result<&Capability, CapError> {
        space::checked(self.get(at)?, kind, needed)
    }

    /// The endpoint and badge of the capability at `at`, if it is an
    /// endpoint capability with the `needed` rights (the fastpath's lookup:
    /// one index computation, no kind table). O(1).
    pub fn endpoint(&self, at: SlotRef, needed: Rights) -> Option<(super::EndpointId, u32)> {
        let index = self.layout.global(at).ok()?;
        match self.slots.get(index)? {
            Some(Capability {
                object: super::CapObject::Endpoint(endpoint),
                rights,
                badge,
            }) if rights.contains(needed) => Some((*endpoint, *badge)),
            _ => None,
        }
    }

    /// The capability `at` was derived from, if any.
    pub fn parent(&self, at: SlotRef) -> Result<Option<SlotRef>, CapError> {
        let index = self.layout.global(at)?;
        match self.tree.parent(index)? {
            Some(parent) => self.layout.slot_ref(parent).map(Some),
            None => Ok(None),
        }
    }

    /// Whether `descendant` was derived, directly or not, from `ancestor`.
    pub fn is_derived_from(
        &self,
        descendant: SlotRef,
        ancestor: SlotRef,
    ) -> Result<bool, CapError> {
        let d = self.layout.global(descendant)?;
        let a = self.layout.global(ancestor)?;
        self.tree.is_descendant(d, a)
    }

    /// Puts `cap` into the empty slot `at` as an original (a capability the
    /// system description gives; boot only).
    pub fn insert_root(&mut self, at: SlotRef, cap: Capability) -> Result<(), CapError> {
        let index = self.layout.global(at)?;
        self.tree.insert_root(index)?;
        self.refs.add(&cap);
        self.slots[index] = Some(cap);
        Ok(())
    }

    /// Copies the capability at `source` into the empty slot `dest` (of any
    /// partition) with `rights`, which must be a subset of the source's.
    pub fn derive(
        &mut self,
        source: SlotRef,
        dest: SlotRef,
        rights: Rights,
    ) -> Result<(), CapError> {
        let cap = self.get(source)?.derive(rights)?;
        self.attach(source, dest, cap)
    }

    /// Derives a one-page frame capability for page `page` of the frame at
    /// `source` into the empty slot `dest` (see [`Capability::page`]).
    pub fn derive_page(
        &mut self,
        source: SlotRef,
        dest: SlotRef,
        page: u32,
    ) -> Result<(), CapError> {
        let cap = self.get(source)?.page(page)?;
        self.attach(source, dest, cap)
    }

    /// How many frame capabilities partition `partition` holds.
    pub fn frame_count(&self, partition: u8) -> Result<u32, CapError> {
        let frames = self.space(partition)?.iter().flatten();
        Ok(frames
            .filter(|cap| matches!(cap.object, super::CapObject::Frame { .. }))
            .count() as u32)
    }

    /// As [`CapTable::derive`], setting `badge` on a copy of an unbadged
    /// endpoint capability.
    pub fn mint(
        &mut self,
        source: SlotRef,
        dest: SlotRef,
        rights: Rights,
        badge: u32,
    ) -> Result<(), CapError> {
        let cap = self.get(source)?.mint(rights, badge)?;
        self.attach(source, dest, cap)
    }

    fn attach(&mut self, source: SlotRef, dest: SlotRef, cap: Capability) -> Result<(), CapError> {
        let parent = self.layout.global(source)?;
        let child = self.layout.global(dest)?;
        if parent == child {
            return Err(CapError::SameSlot);
        }
        self.tree.insert_child(parent, child)?;
        self.refs.add(&cap);
        self.slots[child] = Some(cap);
        Ok(())
    }

    /// Destroys every capability derived from the one at `at` (which
    /// stays), calling `destroyed` with each slot and what it held, parents
    /// first. Returns how many were destroyed. O(that many).
    pub fn revoke(
        &mut self,
        at: SlotRef,
        mut destroyed: impl FnMut(SlotRef, Capability),
    ) -> Result<usize, CapError> {
        let index = self.layout.global(at)?;
        let mut count = 0;
        let slots = &mut *self.slots;
        let refs = &mut self.refs;
        let layout = &self.layout;
        self.tree.remove_descendants(index, |i| {
            if let (Some(cap), Ok(slot)) = (slots[i].take(), layout.slot_ref(i)) {
                count += 1;
                refs.remove(&cap);
                destroyed(slot, cap);
            }
        })?;
        Ok(count)
    }

    /// Destroys the capability at `at` alone and returns it; what was
    /// derived from it is now derived from its parent. O(its descendants).
    pub fn delete(&mut self, at: SlotRef) -> Result<Capability, CapError> {
        self.delete_global(self.layout.global(at)?)
    }

    /// [`CapTable::delete`] of the slot with global number `index`.
    pub fn delete_global(&mut self, index: usize) -> Result<Capability, CapError> {
        self.tree.remove(index)?;
        let cap = self.slots[index].take().ok_or(CapError::EmptySlot)?;
        self.refs.remove(&cap);
        Ok(cap)
    }

    /// Whether anything was derived from the capability at `at`. O(1).
    pub fn has_descendants(&self, at: SlotRef) -> Result<bool, CapError> {
        self.tree.has_descendants(self.layout.global(at)?)
    }

    /// Whether the capability at `at` is the only authority over what it
    /// names: for a frame, no other capability anywhere covers any of its
    /// pages (O(pages)); for anything else, nothing was derived from it.
    /// Always inlined: it is on every transfer's path (`check_grant`).
    #[inline(always)]
    pub fn is_sole_authority(&self, at: SlotRef) -> Result<bool, CapError> {
        let cap = self.get(at)?;
        match cap.object {
            super::CapObject::Frame { .. } => Ok(self.refs.is_sole(cap)),
            _ => Ok(!self.has_descendants(at)?),
        }
    }

    /// Every slot of every partition with what it holds, in slot order.
    pub fn for_each(&self, mut visit: impl FnMut(SlotRef, &Capability)) {
        for (index, slot) in self.slots.iter().enumerate() {
            if let (Some(cap), Ok(at)) = (slot, self.layout.slot_ref(index)) {
                visit(at, cap);
            }
        }
    }

    /// Destroys the capability at `at` and everything derived from it (the
    /// end of a transient grant), calling `destroyed` with each, `at` last.
    pub fn destroy(
        &mut self,
        at: SlotRef,
        mut destroyed: impl FnMut(SlotRef, Capability),
    ) -> Result<usize, CapError> {
        let count = self.revoke(at, &mut destroyed)?;
        let cap = self.delete(at)?;
        destroyed(at, cap);
        Ok(count + 1)
    }

    /// Moves the capability at `from` into the empty slot `to` (of any
    /// partition); its derivation links move with it. O(1).
    pub fn move_cap(&mut self, from: SlotRef, to: SlotRef) -> Result<(), CapError> {
        let source = self.layout.global(from)?;
        let dest = self.layout.global(to)?;
        if source == dest {
            return Err(CapError::SameSlot);
        }
        self.tree.relocate(source, dest)?;
        self.slots[dest] = self.slots[source].take();
        Ok(())
    }

    /// Checks that slots and tree agree and that no capability has rights
    /// its parent lacks (for tests; O(n²) at worst).
    pub fn check(&self) -> Result<(), &'static str> {
        self.tree.check()?;
        for (index, slot) in self.slots.iter().enumerate() {
            if slot.is_some() != self.tree.contains(index) {
                return Err("slot and tree disagree");
            }
            let (Some(cap), Ok(Some(parent))) = (slot, self.tree.parent(index)) else {
                continue;
            };
            let parent = self.slots[parent].as_ref().ok_or("parent slot empty")?;
            if !cap.rights.is_subset_of(parent.rights) {
                return Err("child has rights its parent lacks");
            }
            let inside = match (cap.object, parent.object) {
                (
                    super::CapObject::Frame { base, pages },
                    super::CapObject::Frame {
                        base: outer,
                        pages: outer_pages,
                    },
                ) => {
                    base >= outer
                        && base + pages as usize * 4096 <= outer + outer_pages as usize * 4096
                }
                (object, parent) => object == parent,
            };
            if !inside {
                return Err("child refers to another object");
            }
        }
        for page in self.refs.pages_counted() {
            let covering = self
                .slots
                .iter()
                .flatten()
                .filter(|cap| match cap.object {
                    super::CapObject::Frame { base, pages } => {
                        page >= base && page - base < pages as usize * 4096
                    }
                    _ => false,
                })
                .count();
            if usize::from(self.refs.count_at(page)) != covering {
                return Err("a frame page's capability count is wrong");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::cap::mapping::{Mapping, MappingTable};
    use crate::cap::{CapObject, EndpointId};
    use std::vec::Vec;

    const RW: Rights = Rights::READ.union(Rights::WRITE);
    const RWG: Rights = RW.union(Rights::GRANT);

    struct Rig {
        layout: SpaceLayout<'static>,
        slots: Vec<Slot>,
        nodes: Vec<Node>,
        mappings: Vec<Option<Mapping>>,
    }

    impl Rig {
        /// Three partitions of four slots.
        fn new() -> Rig {
            let layout = SpaceLayout::of_sizes(&[4, 4, 4]).unwrap();
            Rig {
                layout,
                slots: std::vec![None; 12],
                nodes: std::vec![Node::FREE; 12],
                mappings: std::vec![None; 12],
            }
        }
        fn parts(&mut self) -> (CapTable<'_>, MappingTable<'_>) {
            (
                CapTable::new(
                    self.layout,
                    &mut self.slots,
                    &mut self.nodes,
                    FrameRefs::empty(),
                )
                .unwrap(),
                MappingTable::new(self.layout, &mut self.mappings).unwrap(),
            )
        }
    }

    fn frame() -> Capability {
        Capability::new(
            CapObject::Frame {
                base: 0x6200_0000,
                pages: 1,
            },
            RWG,
        )
    }

    fn at(p: u8, s: u16) -> SlotRef {
        SlotRef::new(p, s)
    }

    #[test]
    fn tables_must_match_their_layout() {
        let layout = SpaceLayout::of_sizes(&[2]).unwrap();
        let mut slots = [None; 3];
        let mut nodes = [Node::FREE; 2];
        assert!(CapTable::new(layout, &mut slots, &mut nodes, FrameRefs::empty()).is_none());
    }

    #[test]
    fn lookups_check_partition_slot_kind_and_rights() {
        let mut rig = Rig::new();
        let (mut caps, _) = rig.parts();
        caps.insert_root(at(0, 0), frame()).unwrap();
        assert!(caps.lookup(at(0, 0), CapKind::Frame, RW).is_ok());
        assert_eq!(
            caps.lookup(at(0, 1), CapKind::Frame, RW),
            Err(CapError::EmptySlot)
        );
        assert_eq!(
            caps.lookup(at(0, 0), CapKind::Endpoint, RW),
            Err(CapError::WrongType)
        );
        assert_eq!(
            caps.lookup(at(0, 0), CapKind::Frame, Rights::EXECUTE),
            Err(CapError::MissingRights)
        );
        assert_eq!(
            caps.lookup(at(0, 4), CapKind::Frame, RW),
            Err(CapError::OutOfRange)
        );
        assert_eq!(
            caps.lookup(at(3, 0), CapKind::Frame, RW),
            Err(CapError::OutOfRange)
        );
        assert_eq!(caps.space(1).unwrap().len(), 4);
    }

    #[test]
    fn derive_refuses_more_rights_and_occupied_slots() {
        let mut rig = Rig::new();
        let (mut caps, _) = rig.parts();
        caps.insert_root(at(0, 0), frame().derive(RW).unwrap())
            .unwrap();
        assert_eq!(
            caps.derive(at(0, 0), at(1, 0), RWG),
            Err(CapError::MissingRights)
        );
        assert_eq!(
            caps.derive(at(0, 1), at(1, 0), RW),
            Err(CapError::EmptySlot)
        );
        caps.derive(at(0, 0), at(1, 0), Rights::READ).unwrap();
        assert_eq!(
            caps.derive(at(0, 0), at(1, 0), Rights::READ),
            Err(CapError::SlotOccupied)
        );
        assert_eq!(
            caps.derive(at(0, 0), at(0, 0), Rights::READ),
            Err(CapError::SameSlot)
        );
        assert_eq!(
            caps.derive(at(1, 0), at(2, 0), RW),
            Err(CapError::MissingRights)
        );
        assert_eq!(caps.get(at(1, 0)).unwrap().rights, Rights::READ);
        assert_eq!(caps.parent(at(1, 0)), Ok(Some(at(0, 0))));
        assert!(
            caps.get(at(2, 0)).is_err(),
            "a refused derive leaves no trace"
        );
        caps.check().unwrap();
    }

    #[test]
    fn mint_badges_copies_of_an_unbadged_endpoint() {
        let mut rig = Rig::new();
        let (mut caps, _) = rig.parts();
        let endpoint = Capability::new(CapObject::Endpoint(EndpointId(0)), Rights::ALL);
        caps.insert_root(at(0, 0), endpoint).unwrap();
        caps.mint(at(0, 0), at(1, 0), Rights::WRITE, 11).unwrap();
        caps.mint(at(0, 0), at(2, 0), Rights::WRITE, 22).unwrap();
        assert_eq!(caps.get(at(1, 0)).unwrap().badge, 11);
        assert_eq!(
            caps.mint(at(1, 0), at(1, 1), Rights::WRITE, 5),
            Err(CapError::AlreadyBadged)
        );
        caps.derive(at(1, 0), at(1, 1), Rights::WRITE).unwrap();
        assert_eq!(caps.get(at(1, 1)).unwrap().badge, 11);
        caps.check().unwrap();
    }

    #[test]
    fn revoke_reaches_other_partitions_transitively_and_yields_their_mappings() {
        let mut rig = Rig::new();
        let (mut caps, mut maps) = rig.parts();
        caps.insert_root(at(0, 0), frame()).unwrap();
        caps.derive(at(0, 0), at(1, 2), RW).unwrap();
        caps.derive(at(1, 2), at(2, 3), Rights::READ).unwrap();
        caps.derive(at(0, 0), at(0, 1), Rights::READ).unwrap();
        let unrelated = Capability::new(
            CapObject::Frame {
                base: 0x6300_0000,
                pages: 1,
            },
            RW,
        );
        caps.insert_root(at(2, 0), unrelated).unwrap();
        maps.record(at(0, 0), None, 0x40_0000, 1).unwrap();
        maps.record(at(1, 2), None, 0x50_0000, 1).unwrap();
        maps.record(at(2, 3), None, 0x60_0000, 1).unwrap();
        maps.record(at(2, 0), None, 0x70_0000, 1).unwrap();

        let mut destroyed = Vec::new();
        let mut unmapped = Vec::new();
        let count = caps
            .revoke(at(0, 0), |slot, cap| {
                destroyed.push((slot, cap.rights));
                unmapped.extend(maps.take(slot));
            })
            .unwrap();
        assert_eq!(count, 3);
        assert_eq!(
            destroyed,
            [
                (at(0, 1), Rights::READ),
                (at(1, 2), RW),
                (at(2, 3), Rights::READ)
            ]
        );
        assert_eq!(
            unmapped,
            [
                Mapping::new(1, None, 0x50_0000, 1),
                Mapping::new(2, None, 0x60_0000, 1),
            ]
        );
        assert!(caps.get(at(0, 0)).is_ok(), "the revoked capability stays");
        assert!(maps.get(at(0, 0)).is_some(), "and so does its own mapping");
        assert!(caps.get(at(2, 0)).is_ok() && maps.get(at(2, 0)).is_some());
        for slot in [at(0, 1), at(1, 2), at(2, 3)] {
            assert_eq!(caps.get(slot), Err(CapError::EmptySlot));
        }
        assert_eq!(caps.revoke(at(0, 0), |_, _| {}), Ok(0));
        assert_eq!(caps.revoke(at(0, 1), |_, _| {}), Err(CapError::EmptySlot));
        caps.check().unwrap();
    }

    #[test]
    fn delete_reparents_so_a_later_revoke_still_reaches_grandchildren() {
        let mut rig = Rig::new();
        let (mut caps, _) = rig.parts();
        caps.insert_root(at(0, 0), frame()).unwrap();
        caps.derive(at(0, 0), at(1, 0), RW).unwrap();
        caps.derive(at(1, 0), at(2, 0), Rights::READ).unwrap();
        caps.derive(at(1, 0), at(2, 1), RW).unwrap();
        assert_eq!(caps.delete(at(1, 0)).unwrap().rights, RW);
        assert_eq!(caps.parent(at(2, 0)), Ok(Some(at(0, 0))));
        assert_eq!(caps.parent(at(2, 1)), Ok(Some(at(0, 0))));
        assert_eq!(caps.delete(at(1, 0)), Err(CapError::EmptySlot));
        caps.check().unwrap();
        assert_eq!(caps.revoke(at(0, 0), |_, _| {}), Ok(2));
        caps.check().unwrap();
    }

    #[test]
    fn move_takes_derived_capabilities_along_and_frees_the_source() {
        let mut rig = Rig::new();
        let (mut caps, mut maps) = rig.parts();
        caps.insert_root(at(0, 0), frame()).unwrap();
        caps.derive(at(0, 0), at(0, 1), RWG).unwrap();
        caps.derive(at(0, 1), at(2, 2), Rights::READ).unwrap();
        maps.record(at(0, 1), None, 0x40_0000, 1).unwrap();
        // A transfer: the sender loses the capability and its mapping.
        caps.move_cap(at(0, 1), at(1, 3)).unwrap();
        let gone = maps.take(at(0, 1));
        assert_eq!(gone, Some(Mapping::new(0, None, 0x40_0000, 1)));
        assert_eq!(caps.get(at(0, 1)), Err(CapError::EmptySlot));
        assert_eq!(caps.get(at(1, 3)).unwrap().rights, RWG);
        assert_eq!(caps.parent(at(1, 3)), Ok(Some(at(0, 0))));
        assert_eq!(caps.parent(at(2, 2)), Ok(Some(at(1, 3))));
        assert_eq!(caps.is_derived_from(at(2, 2), at(0, 0)), Ok(true));
        assert_eq!(
            caps.move_cap(at(1, 3), at(2, 2)),
            Err(CapError::SlotOccupied)
        );
        assert_eq!(caps.move_cap(at(1, 3), at(1, 3)), Err(CapError::SameSlot));
        assert_eq!(caps.move_cap(at(0, 1), at(0, 2)), Err(CapError::EmptySlot));
        caps.check().unwrap();
    }

    #[test]
    fn destroy_ends_a_transient_grant_with_everything_made_from_it() {
        let mut rig = Rig::new();
        let (mut caps, _) = rig.parts();
        caps.insert_root(at(0, 0), frame()).unwrap();
        caps.derive(at(0, 0), at(1, 0), RW).unwrap();
        caps.derive(at(1, 0), at(1, 1), Rights::READ).unwrap();
        let mut destroyed = Vec::new();
        assert_eq!(
            caps.destroy(at(1, 0), |slot, _| destroyed.push(slot)),
            Ok(2)
        );
        assert_eq!(destroyed, [at(1, 1), at(1, 0)]);
        assert!(caps.get(at(0, 0)).is_ok());
        caps.check().unwrap();
    }
}

#[cfg(test)]
mod properties {
    extern crate std;
    use super::*;
    use crate::cap::CapObject;
    use proptest::prelude::*;
    use std::collections::BTreeMap;
    use std::vec::Vec;

    const PARTITIONS: u8 = 3;
    const SLOTS: u16 = 6;

    #[derive(Clone, Debug)]
    enum Op {
        Root(SlotRef, u32),
        Derive(SlotRef, SlotRef, u32),
        Revoke(SlotRef),
        Delete(SlotRef),
        Move(SlotRef, SlotRef),
    }

    fn slot() -> impl Strategy<Value = SlotRef> {
        // One beyond the last slot and partition, to exercise refusals.
        (0..=PARTITIONS, 0..=SLOTS).prop_map(|(p, s)| SlotRef::new(p, s))
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            1 => (slot(), 0u32..16).prop_map(|(a, r)| Op::Root(a, r)),
            5 => (slot(), slot(), 0u32..16).prop_map(|(a, b, r)| Op::Derive(a, b, r)),
            1 => slot().prop_map(Op::Revoke),
            2 => slot().prop_map(Op::Delete),
            2 => (slot(), slot()).prop_map(|(a, b)| Op::Move(a, b)),
        ]
    }

    /// The obvious model: a parent map.
    #[derive(Default)]
    struct Model {
        caps: BTreeMap<SlotRef, (Rights, Option<SlotRef>)>,
    }

    impl Model {
        fn valid(a: SlotRef) -> bool {
            a.partition < PARTITIONS && a.slot.0 < SLOTS
        }
        fn descendants(&self, a: SlotRef) -> Vec<SlotRef> {
            let mut out = Vec::new();
            let mut frontier = std::vec![a];
            while let Some(x) = frontier.pop() {
                for (&c, &(_, parent)) in &self.caps {
                    if parent == Some(x) {
                        out.push(c);
                        frontier.push(c);
                    }
                }
            }
            out
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn derivation_stays_sound_under_random_operations(ops in proptest::collection::vec(op(), 1..80)) {
            let layout = SpaceLayout::of_sizes(&[SLOTS; PARTITIONS as usize]).unwrap();
            let total = layout.total();
            let mut slots = std::vec![None; total];
            let mut nodes = std::vec![Node::FREE; total];
            let mut caps = CapTable::new(layout, &mut slots, &mut nodes, FrameRefs::empty()).unwrap();
            let mut model = Model::default();
            let object = CapObject::Frame { base: 0x6000_0000, pages: 1 };
            for op in ops {
                match op {
                    Op::Root(a, r) => {
                        let rights = Rights::from_bits(r).unwrap();
                        let ok = caps.insert_root(a, Capability::new(object, rights)).is_ok();
                        prop_assert_eq!(ok, Model::valid(a) && !model.caps.contains_key(&a));
                        if ok {
                            model.caps.insert(a, (rights, None));
                        }
                    }
                    Op::Derive(a, b, r) => {
                        let rights = Rights::from_bits(r).unwrap();
                        let ok = caps.derive(a, b, rights).is_ok();
                        let expected = Model::valid(b)
                            && a != b
                            && !model.caps.contains_key(&b)
                            && model.caps.get(&a).is_some_and(|&(ra, _)| rights.is_subset_of(ra));
                        prop_assert_eq!(ok, expected);
                        if ok {
                            model.caps.insert(b, (rights, Some(a)));
                        }
                    }
                    Op::Revoke(a) => {
                        let mut destroyed = Vec::new();
                        let result = caps.revoke(a, |slot, _| destroyed.push(slot));
                        prop_assert_eq!(result.is_ok(), model.caps.contains_key(&a));
                        let mut expected = model.descendants(a);
                        expected.sort();
                        destroyed.sort();
                        prop_assert_eq!(&destroyed, &expected);
                        for d in &expected {
                            model.caps.remove(d);
                        }
                        if result.is_ok() {
                            prop_assert!(model.descendants(a).is_empty());
                            for slot in &destroyed {
                                prop_assert_eq!(caps.get(*slot), Err(CapError::EmptySlot));
                            }
                        }
                    }
                    Op::Delete(a) => {
                        let ok = caps.delete(a).is_ok();
                        prop_assert_eq!(ok, model.caps.contains_key(&a));
                        if let Some((_, parent)) = model.caps.remove(&a) {
                            for entry in model.caps.values_mut() {
                                if entry.1 == Some(a) {
                                    entry.1 = parent;
                                }
                            }
                        }
                    }
                    Op::Move(a, b) => {
                        let ok = caps.move_cap(a, b).is_ok();
                        let expected = Model::valid(b)
                            && a != b
                            && model.caps.contains_key(&a)
                            && !model.caps.contains_key(&b);
                        prop_assert_eq!(ok, expected);
                        if ok {
                            let entry = model.caps.remove(&a).unwrap();
                            model.caps.insert(b, entry);
                            for entry in model.caps.values_mut() {
                                if entry.1 == Some(a) {
                                    entry.1 = Some(b);
                                }
                            }
                        }
                    }
                }
                prop_assert_eq!(caps.check(), Ok(()));
                for p in 0..PARTITIONS {
                    for s in 0..SLOTS {
                        let a = SlotRef::new(p, s);
                        match model.caps.get(&a) {
                            None => prop_assert_eq!(caps.get(a), Err(CapError::EmptySlot)),
                            Some(&(rights, parent)) => {
                                prop_assert_eq!(caps.get(a).map(|c| c.rights), Ok(rights));
                                prop_assert_eq!(caps.parent(a), Ok(parent));
                                if let Some(parent) = parent {
                                    let parent_rights = model.caps.get(&parent).map(|e| e.0);
                                    prop_assert!(parent_rights.is_some(), "dangling parent");
                                    prop_assert!(rights.is_subset_of(parent_rights.unwrap()));
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
