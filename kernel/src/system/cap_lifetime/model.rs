//! The independent model's state: frame capabilities by identity, which
//! slot holds which, derivation, mappings, thread activity, loans and
//! transfers, and the bookkeeping that adds, removes, revokes and wakes.
//!
//! The model must never call kernel code (`cap::table`, `cap::derivation`,
//! `System`) or read the kernel's state: it is the second opinion the
//! kernel is compared with. Only kernel types as plain values are shared.

extern crate std;

use std::collections::{BTreeMap, VecDeque};
use std::vec;
use std::vec::Vec;

use boot_info::CapObjectInfo;
use kernel_abi::cap::Rights;
use kernel_abi::syscall::SyscallError;
use kernel_abi::user_layout::PAGE_SIZE;

use super::rig::{fixed_caps, frame_base, in_pool, FRAMES, PARTITIONS, RW, SLOTS, SPACE_SLOT};
use super::step::Grant;
use crate::cap::{CapObject, Capability, EndpointId};

/// A model capability's identity: never reused, so a capability later put
/// in a slot is never mistaken for the one that was there.
pub(super) type CapId = usize;

/// Where a frame capability is held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Holder {
    pub(super) partition: usize,
    pub(super) slot: u16,
}

/// A mapping made through a capability: in its holder's grant window, or
/// (`guest`) in its holder's guest address space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Mapped {
    pub(super) va: u32,
    pub(super) writable: bool,
    pub(super) guest: bool,
}

/// A frame capability in the model.
#[derive(Clone, Copy, Debug)]
pub(super) struct FrameCap {
    pub(super) holder: Holder,
    pub(super) base: usize,
    pub(super) pages: u32,
    pub(super) rights: Rights,
    pub(super) parent: Option<CapId>,
    pub(super) mapped: Option<Mapped>,
}

impl FrameCap {
    pub(super) fn end(&self) -> usize {
        self.base + (self.pages * PAGE_SIZE) as usize
    }

    pub(super) fn overlaps(&self, other: &FrameCap) -> bool {
        self.base < other.end() && other.base < self.end()
    }
}

/// What a thread is doing, in the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Activity {
    Ready,
    /// Blocked in `recv`/`reply_recv` on its own endpoint.
    Receiving {
        slot: Option<u16>,
    },
    /// Queued on `to`'s endpoint.
    Sending {
        to: usize,
        call: bool,
        grant: Option<Grant>,
        reply_slot: Option<u16>,
    },
    /// Its call was delivered to `server`.
    AwaitingReply {
        server: usize,
        reply_slot: Option<u16>,
    },
    Stopped,
}

/// Why the model expects a step to be refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Refusal {
    /// The capability is lent for an outstanding call (after the fix:
    /// `SyscallError::Busy`, 15).
    Busy,
    /// Another capability covers some of its pages (after the fix:
    /// `SyscallError::Shared`, 16).
    Shared,
    EmptySlot,
    WrongType,
    MissingRights,
    OutOfRange,
    SlotOccupied,
    AlreadyMapped,
    Overlap,
    BadAddress,
    NotMapped,
    PeerGone,
    ReplyPending,
    Malformed,
    TransientNeedsCall,
}

impl Refusal {
    pub(super) fn describe(self) -> &'static str {
        match self {
            Refusal::Busy => "Busy: the capability is lent for an outstanding call",
            Refusal::Shared => "Shared: another capability covers some of the frame's pages",
            Refusal::EmptySlot => "EmptySlot: no capability there",
            Refusal::WrongType => "WrongType: not a frame capability",
            Refusal::MissingRights => "MissingRights: more rights than the capability has",
            Refusal::OutOfRange => "InvalidArgument: page beyond the frame, or no such slot",
            Refusal::SlotOccupied => "SlotOccupied: the destination slot is in use",
            Refusal::AlreadyMapped => "SlotOccupied: the capability is already mapped",
            Refusal::Overlap => "the range overlaps another mapping",
            Refusal::BadAddress => "InvalidArgument: not wholly inside the grant window",
            Refusal::NotMapped => "InvalidArgument: nothing is mapped through it",
            Refusal::PeerGone => "PeerGone: the receiver was stopped",
            Refusal::ReplyPending => "the thread holds a reply it has not sent",
            Refusal::Malformed => "InvalidArgument: malformed grant descriptor or message info",
            Refusal::TransientNeedsCall => "InvalidArgument: a frame is lent only with call",
        }
    }
}

/// Whether `r0` is the refusal the model expects: `Busy` and `Shared` by
/// code, the others only as "refused" (which code a call with several
/// faults reports is not what this test is about).
pub(super) fn refusal_matches(why: Refusal, r0: u32) -> bool {
    match why {
        Refusal::Busy => r0 == SyscallError::Busy as u32,
        Refusal::Shared => r0 == SyscallError::Shared as u32,
        _ => r0 != 0,
    }
}

/// How the model expects the calling thread to come out of a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Outcome {
    /// It runs on with `r0 = 0`.
    Done,
    /// It runs on with an error and nothing changed.
    Refused(Refusal),
    /// It blocks (its result comes later).
    Blocks,
    /// It faulted: its partition is stopped.
    Stopped,
}

/// How a thread woken by a step finds its result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Wake {
    /// A message or reply arrived, or its send completed: `r0 = 0`.
    Delivered,
    /// Its peer was stopped: `r0 = PeerGone`.
    PeerGone,
}

pub(super) struct Expectation {
    pub(super) outcome: Outcome,
    pub(super) woken: Vec<(usize, Wake)>,
}

/// The independent model: frame capabilities by identity, which slot holds
/// which, what each thread is doing, and the outstanding loans.
pub(super) struct Model {
    caps: Vec<Option<FrameCap>>,
    pub(super) slots: Vec<Vec<Option<CapId>>>,
    pub(super) fixed: Vec<Vec<Option<Capability>>>,
    pub(super) activity: [Activity; PARTITIONS],
    /// The caller whose reply the thread owes (live only while that caller
    /// still awaits it).
    pub(super) reply_to: [Option<usize>; PARTITIONS],
    /// Senders queued on each partition's endpoint, front first.
    pub(super) queues: [VecDeque<usize>; PARTITIONS],
    /// The capability each caller lent for its outstanding call, and
    /// where it landed.
    pub(super) lent: [Option<(CapId, Holder)>; PARTITIONS],
    /// The capability each caller's unanswered call transferred, where it
    /// landed and the caller's slot it came from: given back if the server
    /// stops first (unless the server shared it or moved it on).
    pub(super) passed: [Option<(CapId, Holder, u16)>; PARTITIONS],
    /// Endpoints whose only receiver was stopped.
    pub(super) closed: [bool; PARTITIONS],
    pub(super) woken: Vec<(usize, Wake)>,
    /// How often notable things happened (for `CAP_LIFETIME_STATS`).
    pub(super) events: BTreeMap<&'static str, u64>,
}

impl Model {
    pub(super) fn new() -> Model {
        let mut model = Model {
            caps: Vec::new(),
            slots: vec![vec![None; usize::from(SLOTS)]; PARTITIONS],
            fixed: vec![vec![None; usize::from(SLOTS)]; PARTITIONS],
            activity: [Activity::Ready; PARTITIONS],
            reply_to: [None; PARTITIONS],
            queues: Default::default(),
            lent: [None; PARTITIONS],
            passed: [None; PARTITIONS],
            closed: [false; PARTITIONS],
            woken: Vec::new(),
            events: BTreeMap::new(),
        };
        for (p, slot, object, rights, badge) in fixed_caps() {
            let object = match object {
                CapObjectInfo::Endpoint(e) => CapObject::Endpoint(EndpointId(e)),
                CapObjectInfo::PartitionControl => CapObject::PartitionControl,
                _ => unreachable!("only endpoints and control are fixed"),
            };
            model.fixed[p][usize::from(slot)] = Some(Capability {
                object,
                rights,
                badge,
            });
        }
        for (p, fixed) in model.fixed.iter_mut().enumerate() {
            fixed[usize::from(SPACE_SLOT)] = Some(Capability::new(
                CapObject::AddressSpace(crate::cap::SpaceId(p as u16)),
                RW,
            ));
        }
        for (index, frame) in FRAMES.iter().enumerate() {
            for &(partition, slot, rights) in frame.holders {
                let holder = Holder { partition, slot };
                model.add(holder, frame_base(index), frame.pages, rights, None);
            }
        }
        model
    }

    // --- Capabilities -------------------------------------------------

    pub(super) fn cap(&self, id: CapId) -> Option<&FrameCap> {
        self.caps.get(id).and_then(Option::as_ref)
    }

    pub(super) fn cap_mut(&mut self, id: CapId) -> &mut FrameCap {
        self.caps[id].as_mut().expect("a live capability")
    }

    pub(super) fn id_at(&self, partition: usize, slot: u16) -> Option<CapId> {
        *self.slots.get(partition)?.get(usize::from(slot))?
    }

    pub(super) fn at(&self, partition: usize, slot: u16) -> Option<&FrameCap> {
        self.id_at(partition, slot).and_then(|id| self.cap(id))
    }

    pub(super) fn occupied(&self, partition: usize, slot: u16) -> bool {
        slot >= SLOTS
            || self.id_at(partition, slot).is_some()
            || self.fixed[partition][usize::from(slot)].is_some()
    }

    pub(super) fn live(&self) -> impl Iterator<Item = (CapId, &FrameCap)> {
        self.caps
            .iter()
            .enumerate()
            .filter_map(|(id, cap)| cap.as_ref().map(|c| (id, c)))
    }

    fn add(
        &mut self,
        holder: Holder,
        base: usize,
        pages: u32,
        rights: Rights,
        parent: Option<CapId>,
    ) -> CapId {
        let id = self.caps.len();
        self.caps.push(Some(FrameCap {
            holder,
            base,
            pages,
            rights,
            parent,
            mapped: None,
        }));
        self.slots[holder.partition][usize::from(holder.slot)] = Some(id);
        id
    }

    /// Removes one capability and the mapping made through it.
    fn remove(&mut self, id: CapId) {
        if self.caps[id].is_some_and(|c| c.mapped.is_some_and(|m| !m.guest && in_pool(m.va))) {
            self.note("a capability mapped in the pool region went");
        }
        if let Some(cap) = self.caps[id].take() {
            self.slots[cap.holder.partition][usize::from(cap.holder.slot)] = None;
        }
    }

    /// Everything derived from `id`, transitively.
    pub(super) fn descendants(&self, id: CapId) -> Vec<CapId> {
        let mut found = Vec::new();
        let mut frontier = vec![id];
        while let Some(parent) = frontier.pop() {
            for (child, cap) in self.live() {
                if cap.parent == Some(parent) {
                    found.push(child);
                    frontier.push(child);
                }
            }
        }
        found
    }

    pub(super) fn revoke(&mut self, id: CapId) {
        let descendants = self.descendants(id);
        let holder = self.cap(id).map(|c| c.holder.partition);
        let mapped: Vec<CapId> = descendants
            .iter()
            .copied()
            .filter(|&d| self.caps[d].is_some_and(|c| c.mapped.is_some()))
            .collect();
        if mapped.len() > 64 {
            self.note("a revoke took down more than 64 mappings");
        }
        if mapped
            .iter()
            .any(|&d| self.caps[d].map(|c| c.holder.partition) != holder)
        {
            self.note("a revoke took down a mapping in another partition");
        }
        if descendants.len() > 64 {
            self.note("a revoke removed more than 64 capabilities");
        }
        for descendant in descendants {
            self.remove(descendant);
        }
    }

    /// Removes `id` alone; its children are now its parent's.
    pub(super) fn delete(&mut self, id: CapId) {
        let parent = self.cap(id).and_then(|c| c.parent);
        for cap in self.caps.iter_mut().flatten() {
            if cap.parent == Some(id) {
                cap.parent = parent;
            }
        }
        self.remove(id);
    }

    pub(super) fn is_lent(&self, id: CapId) -> bool {
        self.lent.iter().flatten().any(|&(lent, _)| lent == id)
    }

    pub(super) fn note(&mut self, event: &'static str) {
        *self.events.entry(event).or_default() += 1;
    }

    /// Whether another capability anywhere covers one of `id`'s pages.
    pub(super) fn shared(&self, id: CapId) -> bool {
        let Some(cap) = self.cap(id) else {
            return false;
        };
        self.live().any(|(other, c)| other != id && c.overlaps(cap))
    }

    /// The call `caller` lent a frame for is answered (`how`: by a reply
    /// or a stop): the lent capability and everything derived from it go,
    /// unless a revoke has taken it already.
    pub(super) fn end_loan(&mut self, caller: usize, how: &'static str) {
        let Some((id, landed)) = self.lent[caller].take() else {
            return;
        };
        self.note(how);
        if self.cap(id).is_none() {
            self.note("a loan ended after a revoke had taken the lent frame");
            if self.id_at(landed.partition, landed.slot).is_some() {
                self.note("... and another capability in its slot survived");
            }
            return;
        }
        let mut gone = self.descendants(id);
        gone.push(id);
        if gone
            .iter()
            .any(|&g| self.caps[g].is_some_and(|c| c.holder.partition != landed.partition))
        {
            self.note("a loan's end destroyed a copy in a third partition");
        }
        if gone
            .iter()
            .any(|&g| self.caps[g].is_some_and(|c| c.mapped.is_some()))
        {
            self.note("a loan's end took down a mapping");
        }
        for g in gone {
            self.remove(g);
        }
    }

    /// A child of `parent` with `rights` (and `page` alone, if given) in
    /// `holder`'s slot.
    pub(super) fn derive(
        &mut self,
        parent: CapId,
        holder: Holder,
        rights: Rights,
        page: Option<u32>,
    ) -> CapId {
        let cap = *self.cap(parent).expect("a live parent");
        let (base, pages) = match page {
            Some(page) => (cap.base + (page * PAGE_SIZE) as usize, 1),
            None => (cap.base, cap.pages),
        };
        self.add(holder, base, pages, rights, Some(parent))
    }

    // --- Threads ------------------------------------------------------

    pub(super) fn ready(&self, partition: usize) -> bool {
        self.activity[partition] == Activity::Ready
    }

    /// The caller whose reply `server` owes and who still waits for it.
    pub(super) fn live_reply(&self, server: usize) -> Option<usize> {
        let caller = self.reply_to[server]?;
        match self.activity[caller] {
            Activity::AwaitingReply { server: s, .. } if s == server => Some(caller),
            _ => None,
        }
    }

    pub(super) fn wake(&mut self, thread: usize, wake: Wake) {
        if wake == Wake::PeerGone {
            self.note("a blocked thread got PeerGone");
        }
        self.activity[thread] = Activity::Ready;
        self.woken.push((thread, wake));
    }
}
