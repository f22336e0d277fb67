//! The multi-step operations: fan-outs past every bound then revoked, loans
//! revoked or spread over partitions then answered, and transfers whose
//! server stops before it answers — each resolved into a step sequence.
//!
//! Like `resolve`, it only reads the model and never calls kernel code.

extern crate std;

use std::vec;
use std::vec::Vec;

use kernel_abi::cap::Rights;
use kernel_abi::user_layout::GRANT_WINDOW;

use super::model::Model;
use super::op::pick;
use super::resolve::allocate;
use super::rig::{GUEST_BASE, PARTITIONS, PEERS, R, RW};
use super::step::{Grant, Step};

impl Model {
    /// A fan-out (see [`Op::FanOut`]).
    pub(super) fn fan_out(
        &self,
        actor: u8,
        cap: u8,
        copies: u8,
        granter: Option<u8>,
    ) -> Option<Vec<Step>> {
        let mut steps = Vec::new();
        let (by, source, received, revoker) = match granter {
            None => {
                let by = pick(&self.ready_among(0..PARTITIONS), actor)?;
                let slot = pick(&self.readable_frames(by), cap)?;
                (by, *self.at(by, slot)?, slot, None)
            }
            Some(granter) => {
                let waiting: Vec<usize> = (0..PEERS).filter(|&p| self.can_wait(p)).collect();
                let by = pick(&waiting, actor)?;
                let granters: Vec<usize> = self
                    .ready_among(0..PARTITIONS)
                    .into_iter()
                    .filter(|&g| g != by)
                    .collect();
                let g = pick(&granters, granter)?;
                let from = pick(&self.readable_frames(g), cap)?;
                let source = *self.at(g, from)?;
                let slot = *self.empty_slots(by).first()?;
                steps.push(Step::Recv {
                    by,
                    slot: Some(slot),
                });
                steps.push(Step::Send {
                    by: g,
                    to: by,
                    grant: Grant::copy(from, source.rights),
                });
                (by, source, slot, Some((g, from)))
            }
        };
        let mut empty = self.empty_slots(by).into_iter().filter(|&s| s != received);
        let one_page = if source.pages == 1 {
            received
        } else {
            let to = empty.next()?;
            steps.push(Step::Split {
                by,
                from: received,
                page: 0,
                to,
            });
            to
        };
        let mut used = self.window_use(by);
        let rights = if source.rights.contains(Rights::WRITE) {
            RW
        } else {
            R
        };
        for to in empty.take(usize::from(copies)) {
            steps.push(Step::Copy {
                by,
                from: one_page,
                to,
                rights: source.rights,
            });
            if let Some(va) = allocate(&mut used, 1) {
                steps.push(Step::Map {
                    by,
                    slot: to,
                    va,
                    rights,
                });
            }
        }
        steps.push(match revoker {
            Some((g, from)) => Step::Revoke { by: g, slot: from },
            None => Step::Revoke { by, slot: one_page },
        });
        Some(steps)
    }

    /// A loan whose frame a revoke takes before the reply (see
    /// [`Op::LendThenRevoke`]).
    pub(super) fn lend_then_revoke(
        &self,
        choices: [u8; 4],
        copy_lent: bool,
        reuse_slot: bool,
    ) -> Option<Vec<Step>> {
        let [lender, server, granter, cap] = choices;
        let waiting: Vec<usize> = (0..PEERS).filter(|&p| self.can_wait(p)).collect();
        let a = pick(&waiting, lender)?;
        let servers: Vec<usize> = waiting.iter().copied().filter(|&p| p != a).collect();
        let b = pick(&servers, server)?;
        let granters: Vec<usize> = self
            .ready_among(0..PARTITIONS)
            .into_iter()
            .filter(|&g| g != a)
            .collect();
        let g = pick(&granters, granter)?;
        let from = pick(&self.readable_frames(g), cap)?;
        let source = *self.at(g, from)?;
        let received = *self.empty_slots(a).first()?;
        let mut b_empty = self.empty_slots(b).into_iter();
        let lent = b_empty.next()?;
        let mut used = self.window_use(b);
        let mut steps = vec![
            Step::Recv {
                by: a,
                slot: Some(received),
            },
            Step::Send {
                by: g,
                to: a,
                grant: Grant::copy(from, source.rights),
            },
            Step::Recv {
                by: b,
                slot: Some(lent),
            },
            Step::Call {
                by: a,
                server: b,
                grant: Grant::lend(received, source.rights),
                reply_slot: None,
            },
        ];
        if copy_lent {
            let copy = b_empty.next()?;
            steps.push(Step::Copy {
                by: b,
                from: lent,
                to: copy,
                rights: source.rights,
            });
            if let Some(va) = allocate(&mut used, source.pages) {
                steps.push(Step::Map {
                    by: b,
                    slot: copy,
                    va,
                    rights: R,
                });
            }
        }
        steps.push(Step::Revoke { by: g, slot: from });
        if reuse_slot {
            // One of b's capabilities the revoke leaves alone, copied into
            // the lent capability's slot: the reply must not touch it.
            let doomed = self.descendants(self.id_at(g, from)?);
            let keep = self.readable_frames(b).into_iter().find(|&s| {
                self.id_at(b, s)
                    .is_some_and(|id| !doomed.contains(&id) && !self.is_lent(id))
            });
            if let Some(keep) = keep {
                steps.push(Step::Copy {
                    by: b,
                    from: keep,
                    to: lent,
                    rights: self.rights_at(b, keep),
                });
                if let Some(va) = allocate(&mut used, self.at(b, keep)?.pages) {
                    steps.push(Step::Map {
                        by: b,
                        slot: lent,
                        va,
                        rights: R,
                    });
                }
            }
        }
        steps.push(Step::ReplyRecv {
            by: b,
            grant: None,
            slot: None,
        });
        Some(steps)
    }
}

impl Model {
    /// A loan spread over partitions, then answered (see
    /// [`Op::LendAndSpread`]).
    pub(super) fn lend_and_spread(
        &self,
        choices: [u8; 3],
        wide: bool,
        end: u8,
    ) -> Option<Vec<Step>> {
        let [lender, server, cap] = choices;
        let a = pick(&self.ready_among(0..PEERS), lender)?;
        let servers: Vec<usize> = (0..PEERS).filter(|&p| p != a && self.can_wait(p)).collect();
        let b = pick(&servers, server)?;
        let from = pick(&self.readable_frames(a), cap)?;
        let source = *self.at(a, from)?;
        let mut b_empty = self.empty_slots(b).into_iter();
        let lent = b_empty.next()?;
        let mut b_used = self.window_use(b);
        let mut steps = vec![
            Step::Recv {
                by: b,
                slot: Some(lent),
            },
            Step::Call {
                by: a,
                server: b,
                grant: Grant::lend(from, source.rights),
                reply_slot: None,
            },
        ];
        let copies = if wide { 70 } else { 2 };
        let mut b_guest = self.guest_use(b);
        for (n, to) in b_empty.take(copies).enumerate() {
            steps.push(Step::Copy {
                by: b,
                from: lent,
                to,
                rights: source.rights,
            });
            // The first copy goes into the server's guest address space.
            let in_guest = (n == 0)
                .then(|| allocate(&mut b_guest, source.pages))
                .flatten();
            if let Some(va) = in_guest {
                steps.push(Step::SpaceMap {
                    by: b,
                    slot: to,
                    va: va - GRANT_WINDOW + GUEST_BASE,
                    rights: R,
                });
            } else if let Some(va) = allocate(&mut b_used, source.pages) {
                steps.push(Step::Map {
                    by: b,
                    slot: to,
                    va,
                    rights: R,
                });
            }
        }
        let third = (0..PEERS).find(|&c| c != a && c != b && self.can_wait(c));
        if let Some(c) = third {
            let slot = *self.empty_slots(c).first()?;
            let mut c_used = self.window_use(c);
            steps.push(Step::Recv {
                by: c,
                slot: Some(slot),
            });
            steps.push(Step::Send {
                by: b,
                to: c,
                grant: Grant::copy(lent, R),
            });
            if let Some(va) = allocate(&mut c_used, source.pages) {
                steps.push(Step::Map {
                    by: c,
                    slot,
                    va,
                    rights: R,
                });
            }
        }
        steps.push(match end % 4 {
            0 => Step::ReplyRecv {
                by: b,
                grant: None,
                slot: None,
            },
            1 => Step::Stop { target: a },
            2 => Step::Stop { target: b },
            _ => Step::Fault { by: b },
        });
        Some(steps)
    }
}

impl Model {
    /// A transferred frame whose server stops before it answers (see
    /// [`Op::TransferThenStop`]).
    pub(super) fn transfer_then_stop(
        &self,
        choices: [u8; 3],
        offer: bool,
        meddle: u8,
        end: u8,
    ) -> Option<Vec<Step>> {
        let [caller, server, cap] = choices;
        let a = pick(&self.ready_among(0..PEERS), caller)?;
        let servers: Vec<usize> = (0..PEERS).filter(|&p| p != a && self.can_wait(p)).collect();
        let b = pick(&servers, server)?;
        let movable: Vec<u16> = self
            .frame_slots(a)
            .into_iter()
            .filter(|&s| {
                self.id_at(a, s)
                    .is_some_and(|id| !self.shared(id) && !self.is_lent(id))
            })
            .collect();
        let from = pick(&movable, cap)?;
        let source = *self.at(a, from)?;
        let reply_slot = if offer {
            Some(*self.empty_slots(a).first()?)
        } else {
            None
        };
        let mut b_empty = self.empty_slots(b).into_iter();
        let lands = b_empty.next()?;
        let mut steps = vec![
            Step::Recv {
                by: b,
                slot: Some(lands),
            },
            Step::Call {
                by: a,
                server: b,
                grant: Grant::transfer(from),
                reply_slot,
            },
        ];
        match meddle % 6 {
            1 => {
                let va = allocate(&mut self.window_use(b), source.pages)?;
                steps.push(Step::Map {
                    by: b,
                    slot: lands,
                    va,
                    rights: R,
                });
            }
            2 => {
                let va = allocate(&mut self.guest_use(b), source.pages)?;
                steps.push(Step::SpaceMap {
                    by: b,
                    slot: lands,
                    va: va - GRANT_WINDOW + GUEST_BASE,
                    rights: R,
                });
            }
            3 => steps.push(Step::Copy {
                by: b,
                from: lands,
                to: b_empty.next()?,
                rights: source.rights,
            }),
            4 => steps.push(Step::Split {
                by: b,
                from: lands,
                page: 0,
                to: b_empty.next()?,
            }),
            5 => steps.push(Step::Delete { by: b, slot: lands }),
            _ => {}
        }
        match end % 3 {
            0 => steps.push(Step::Stop { target: b }),
            1 => steps.push(Step::Fault { by: b }),
            _ => {
                steps.push(Step::ReplyRecv {
                    by: b,
                    grant: None,
                    slot: None,
                });
                steps.push(Step::Stop { target: b });
            }
        }
        Some(steps)
    }
}
