//! The model of IPC: which capability a message may pass, where a passed
//! capability lands, receiving, sending and calling, replying, a partition
//! stopping, and a transferred capability given back.
//!
//! Part of the model: it must never call kernel code or read kernel state.

extern crate std;

use std::vec::Vec;

use kernel_abi::cap::GrantKind;

use super::model::{Activity, CapId, Holder, Model, Outcome, Refusal, Wake};
use super::step::Grant;

impl Model {
    /// The frame capability `by` names with `slot`.
    pub(super) fn frame_at(&self, by: usize, slot: u16) -> Result<CapId, Refusal> {
        match self.id_at(by, slot) {
            Some(id) => Ok(id),
            None if self.occupied(by, slot) => Err(Refusal::WrongType),
            None => Err(Refusal::EmptySlot),
        }
    }

    /// Checks a capability the sender is about to pass, before anything
    /// moves.
    fn check_grant(&self, by: usize, grant: Grant, call: bool) -> Result<(), Refusal> {
        if grant.kind == GrantKind::Transient && !call {
            return Err(Refusal::TransientNeedsCall);
        }
        let id = self.frame_at(by, grant.slot)?;
        let cap = self.cap(id).expect("live");
        match grant.kind {
            GrantKind::Transfer if self.is_lent(id) => Err(Refusal::Busy),
            GrantKind::Transfer if self.shared(id) => Err(Refusal::Shared),
            GrantKind::Transfer => Ok(()),
            _ if !grant.rights.is_subset_of(cap.rights) => Err(Refusal::MissingRights),
            _ => Ok(()),
        }
    }

    /// A message from `from` reaches `to`, which offered `slot`: the
    /// capability it passes lands there if it can.
    fn land(
        &mut self,
        from: usize,
        to: usize,
        grant: Option<Grant>,
        call: bool,
        slot: Option<u16>,
    ) {
        let (Some(grant), Some(slot)) = (grant, slot) else {
            return;
        };
        if self.occupied(to, slot) {
            return;
        }
        let Some(source) = self.id_at(from, grant.slot) else {
            return;
        };
        let holder = Holder {
            partition: to,
            slot,
        };
        let rights = self.cap(source).expect("live").rights;
        match grant.kind {
            GrantKind::Transient if call && grant.rights.is_subset_of(rights) => {
                let lent = self.derive(source, holder, grant.rights, None);
                self.lent[from] = Some((lent, holder));
                self.note("a lent frame landed");
            }
            GrantKind::DerivedCopy if grant.rights.is_subset_of(rights) => {
                self.derive(source, holder, grant.rights, None);
                self.note("a derived copy landed");
            }
            GrantKind::Transfer => {
                // Handed on: whoever transferred it to `from` cannot have
                // it back any more.
                for passed in &mut self.passed {
                    if passed.is_some_and(|(id, _, _)| id == source) {
                        self.events
                            .entry("a transferred frame was handed on before its call ended")
                            .and_modify(|n| *n += 1)
                            .or_insert(1);
                        *passed = None;
                    }
                }
                if call {
                    self.passed[from] = Some((source, holder, grant.slot));
                }
                self.slots[from][usize::from(grant.slot)] = None;
                self.slots[to][usize::from(slot)] = Some(source);
                let cap = self.cap_mut(source);
                cap.holder = holder;
                cap.mapped = None;
                self.note("a transfer moved a frame");
            }
            _ => {}
        }
    }

    /// `receiver` receives on its endpoint, accepting a capability in
    /// `slot`: the first queued sender's message, or it blocks.
    pub(super) fn receive(&mut self, receiver: usize, slot: Option<u16>) -> Outcome {
        self.reply_to[receiver] = None;
        let Some(sender) = self.queues[receiver].pop_front() else {
            self.activity[receiver] = Activity::Receiving { slot };
            return Outcome::Blocks;
        };
        let Activity::Sending {
            call,
            grant,
            reply_slot,
            ..
        } = self.activity[sender]
        else {
            unreachable!("only senders are queued");
        };
        self.land(sender, receiver, grant, call, slot);
        if call {
            self.activity[sender] = Activity::AwaitingReply {
                server: receiver,
                reply_slot,
            };
            self.reply_to[receiver] = Some(sender);
        } else {
            self.wake(sender, Wake::Delivered);
        }
        Outcome::Done
    }

    pub(super) fn send(
        &mut self,
        by: usize,
        to: usize,
        call: bool,
        grant: Option<Grant>,
        reply_slot: Option<u16>,
    ) -> Result<Outcome, Refusal> {
        if let Some(grant) = grant {
            self.check_grant(by, grant, call)?;
        }
        if self.closed[to] {
            return Err(Refusal::PeerGone);
        }
        let Activity::Receiving { slot } = self.activity[to] else {
            self.activity[by] = Activity::Sending {
                to,
                call,
                grant,
                reply_slot,
            };
            self.queues[to].push_back(by);
            return Ok(Outcome::Blocks);
        };
        self.land(by, to, grant, call, slot);
        self.wake(to, Wake::Delivered);
        if call {
            self.reply_to[to] = Some(by);
            self.activity[by] = Activity::AwaitingReply {
                server: to,
                reply_slot,
            };
            Ok(Outcome::Blocks)
        } else {
            Ok(Outcome::Done)
        }
    }

    pub(super) fn reply_recv(
        &mut self,
        server: usize,
        grant: Option<Grant>,
        slot: Option<u16>,
    ) -> Result<Outcome, Refusal> {
        let caller = self.live_reply(server);
        if let (Some(grant), Some(_)) = (grant, caller) {
            self.check_grant(server, grant, false)?;
        }
        if let Some(caller) = caller {
            let Activity::AwaitingReply { reply_slot, .. } = self.activity[caller] else {
                unreachable!("a live reply has a waiting caller");
            };
            self.passed[caller] = None;
            self.land(server, caller, grant, false, reply_slot);
            self.wake(caller, Wake::Delivered);
            self.note("a reply reached its caller");
            self.end_loan(caller, "a loan ended with the reply");
        }
        Ok(self.receive(server, slot))
    }

    /// `partition` is stopped: it leaves IPC, the loan of its own call and
    /// of the call it was serving end, its endpoint closes.
    pub(super) fn stop(&mut self, partition: usize) {
        if self.activity[partition] == Activity::Stopped {
            return;
        }
        self.end_loan(partition, "a loan ended with the caller's stop");
        // What its own unanswered call transferred stays with its server.
        self.passed[partition] = None;
        if let Activity::Sending { to, .. } = self.activity[partition] {
            self.queues[to].retain(|&t| t != partition);
        }
        if let Some(caller) = self.live_reply(partition) {
            self.give_back(caller);
            self.wake(caller, Wake::PeerGone);
            self.end_loan(caller, "a loan ended with the server's stop");
        }
        self.activity[partition] = Activity::Stopped;
        self.reply_to[partition] = None;
        self.closed[partition] = true;
        // Its guest address space is emptied; its grant window stays.
        let held: Vec<CapId> = self
            .live()
            .filter(|(_, c)| c.holder.partition == partition)
            .map(|(id, _)| id)
            .collect();
        for id in held {
            let cap = self.cap_mut(id);
            if cap.mapped.is_some_and(|m| m.guest) {
                cap.mapped = None;
            }
        }
        while let Some(sender) = self.queues[partition].pop_front() {
            self.wake(sender, Wake::PeerGone);
        }
    }

    /// `caller`'s server stopped without answering: the frame its call
    /// transferred goes back — to the slot it came from if that is empty,
    /// else to the call's receive slot if it is empty — unless another
    /// capability covers any of its pages (the server copied or split it)
    /// or it is gone (deleted, revoked, moved on: the record went with it).
    fn give_back(&mut self, caller: usize) {
        let Some((id, landed, from)) = self.passed[caller].take() else {
            return;
        };
        match self.cap(id) {
            Some(cap) if cap.holder == landed => {}
            _ => return self.note("a transferred frame was gone when its server stopped"),
        }
        if self.shared(id) {
            return self.note("a transferred frame stayed: the server shared it");
        }
        let reply_slot = match self.activity[caller] {
            Activity::AwaitingReply { reply_slot, .. } => reply_slot,
            _ => None,
        };
        let dest = if !self.occupied(caller, from) {
            self.note("a transferred frame went back to the slot it came from");
            from
        } else if let Some(slot) = reply_slot.filter(|&s| !self.occupied(caller, s)) {
            self.note("a transferred frame went back to the receive slot");
            slot
        } else {
            return self.note("a transferred frame stayed: no empty slot to go back to");
        };
        if self.cap(id).is_some_and(|c| c.mapped.is_some()) {
            self.note("a transferred frame went back unmapped from its server");
        }
        self.slots[landed.partition][usize::from(landed.slot)] = None;
        self.slots[caller][usize::from(dest)] = Some(id);
        let cap = self.cap_mut(id);
        cap.holder = Holder {
            partition: caller,
            slot: dest,
        };
        cap.mapped = None;
    }
}
