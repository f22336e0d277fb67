//! Resolving an operation into steps against the current model: picking
//! ready partitions, slots, grants and free addresses, so that most drawn
//! operations are meaningful whatever state the sequence reached.
//!
//! It only reads the model (through `&self`): it never changes it and never
//! calls kernel code; the chosen steps are then applied to both.

extern crate std;

use std::vec::Vec;

use kernel_abi::cap::{GrantKind, Rights};
use kernel_abi::user_layout::{GRANT_WINDOW, PAGE_SIZE, POOL_REGION, SECTION_SIZE};

use super::model::{Activity, Model};
use super::op::{choose_rights, pick, GrantChoice, Op, SlotChoice, MALFORMED, RAW_RIGHTS};
use super::rig::{
    page_va, GUEST_BASE, GUEST_PAGES, MONITOR, OWN_ENDPOINT, PAGES_PER_SECTION, PARTITIONS, PEERS,
    POOL_SECTIONS, R, RW, WINDOW_PAGES,
};
use super::step::{Grant, Step};

impl Model {
    pub(super) fn ready_among(&self, partitions: core::ops::Range<usize>) -> Vec<usize> {
        partitions.filter(|&p| self.ready(p)).collect()
    }

    fn choose_slot(&self, partition: usize, choice: SlotChoice) -> Option<u16> {
        match choice {
            SlotChoice::Nothing => None,
            SlotChoice::Empty(n) => pick(&self.empty_slots(partition), n),
            SlotChoice::Occupied(n) => pick(&self.frame_slots(partition), n).or(Some(OWN_ENDPOINT)),
        }
    }

    /// A destination slot for a copy or split: usually empty, sometimes
    /// (choices from 248) one in use.
    fn choose_dest(&self, partition: usize, choice: u8) -> Option<u16> {
        if choice >= 248 {
            pick(&self.frame_slots(partition), choice)
        } else {
            pick(&self.empty_slots(partition), choice)
        }
    }

    fn choose_grant(&self, by: usize, choice: GrantChoice) -> Option<Grant> {
        match choice {
            GrantChoice::Nothing => None,
            GrantChoice::Lend { cap, rights } => {
                let slot = pick(&self.frame_slots(by), cap)?;
                Grant::lend(slot, choose_rights(rights, self.rights_at(by, slot)))
            }
            GrantChoice::Transfer { cap } => Grant::transfer(pick(&self.frame_slots(by), cap)?),
            GrantChoice::TransferLent { cap } => Grant::transfer(pick(&self.lent_family(by), cap)?),
            GrantChoice::Copy { cap, rights } => {
                let slot = pick(&self.frame_slots(by), cap)?;
                Grant::copy(slot, choose_rights(rights, self.rights_at(by, slot)))
            }
        }
    }

    /// Where to map a frame of `pages` pages in `partition`'s window: a
    /// free place, or (place % 16 == 15) over an existing mapping, or
    /// (== 14) the window's last page.
    fn choose_va(&self, partition: usize, pages: u32, place: u8) -> u32 {
        if pages >= PAGES_PER_SECTION && place.is_multiple_of(3) {
            // The pool region: one of its first sections, or (1 in 5) a
            // page past one.
            let section = u32::from(place / 3) % POOL_SECTIONS;
            let misaligned = if (place / 3) % 5 == 4 { PAGE_SIZE } else { 0 };
            return POOL_REGION + section * SECTION_SIZE + misaligned;
        }
        match place % 16 {
            15 => {
                let mapped: Vec<u32> = self
                    .live()
                    .filter(|(_, c)| c.holder.partition == partition)
                    .filter_map(|(_, c)| c.mapped.map(|m| m.va))
                    .collect();
                if let Some(va) = pick(&mapped, place) {
                    return va;
                }
            }
            14 => return page_va(WINDOW_PAGES - 1),
            _ => {}
        }
        let used = self.window_use(partition);
        let last = WINDOW_PAGES.checked_sub(pages);
        let starts: Vec<u32> = (0..last.map_or(0, |l| l + 1))
            .filter(|&s| (s..s + pages).all(|p| !used[p as usize]))
            .collect();
        pick(&starts, place / 16).map_or(GRANT_WINDOW, page_va)
    }

    /// Where to map a frame of `pages` pages in `partition`'s guest region:
    /// a free place, or (place % 8 == 7) over an existing guest mapping.
    fn choose_guest_va(&self, partition: usize, pages: u32, place: u8) -> u32 {
        if place % 8 == 7 {
            let mapped: Vec<u32> = self
                .live()
                .filter(|(_, c)| c.holder.partition == partition)
                .filter_map(|(_, c)| c.mapped.filter(|m| m.guest).map(|m| m.va))
                .collect();
            if let Some(va) = pick(&mapped, place) {
                return va;
            }
        }
        let used = self.guest_use(partition);
        let last = GUEST_PAGES.checked_sub(pages);
        let starts: Vec<u32> = (0..last.map_or(0, |l| l + 1))
            .filter(|&s| (s..s + pages).all(|p| !used[p as usize]))
            .collect();
        pick(&starts, place / 8).map_or(GUEST_BASE, |s| GUEST_BASE + s * PAGE_SIZE)
    }

    /// The steps `op` stands for in the model's current state (none if
    /// nobody can do it).
    pub(super) fn resolve(&self, op: Op) -> Vec<Step> {
        match op {
            Op::FanOut { .. }
            | Op::LendThenRevoke { .. }
            | Op::LendAndSpread { .. }
            | Op::TransferThenStop { .. } => self.resolve_many(op),
            _ => self.resolve_one(op).into_iter().collect(),
        }
    }

    /// The step a single-call operation stands for, if anyone can make it.
    fn resolve_one(&self, op: Op) -> Option<Step> {
        let anyone = self.ready_among(0..PARTITIONS);
        let peers = self.ready_among(0..PEERS);
        Some(match op {
            Op::Copy {
                actor,
                cap,
                dest,
                rights,
            } => {
                let by = pick(&anyone, actor)?;
                let from = pick(&self.frame_slots(by), cap)?;
                let to = self.choose_dest(by, dest)?;
                let rights = choose_rights(rights, self.rights_at(by, from));
                Step::Copy {
                    by,
                    from,
                    to,
                    rights,
                }
            }
            Op::Split {
                actor,
                cap,
                page,
                dest,
            } => {
                let by = pick(&anyone, actor)?;
                let from = pick(&self.frame_slots(by), cap)?;
                let pages = self.at(by, from)?.pages;
                let page = if page >= 250 {
                    pages
                } else {
                    u32::from(page) % pages
                };
                Step::Split {
                    by,
                    from,
                    page,
                    to: self.choose_dest(by, dest)?,
                }
            }
            Op::Map {
                actor,
                cap,
                place,
                write,
                guest,
            } => {
                let by = pick(&anyone, actor)?;
                let slot = pick(&self.frame_slots(by), cap)?;
                let rights = if write { RW } else { R };
                let pages = self.at(by, slot)?.pages;
                // The large frame is never guest-mapped: the model keeps
                // guest mappings within one page table.
                if guest && pages <= GUEST_PAGES {
                    let va = self.choose_guest_va(by, pages, place);
                    return Some(Step::SpaceMap {
                        by,
                        slot,
                        va,
                        rights,
                    });
                }
                let va = self.choose_va(by, pages, place);
                Step::Map {
                    by,
                    slot,
                    va,
                    rights,
                }
            }
            Op::Unmap { actor, cap } => {
                let by = pick(&anyone, actor)?;
                Step::Unmap {
                    by,
                    slot: pick(&self.frame_slots(by), cap)?,
                }
            }
            Op::Delete { actor, cap } => {
                let by = pick(&anyone, actor)?;
                Step::Delete {
                    by,
                    slot: pick(&self.frame_slots(by), cap)?,
                }
            }
            Op::Revoke { actor, cap } => {
                let by = pick(&anyone, actor)?;
                Step::Revoke {
                    by,
                    slot: pick(&self.frame_slots(by), cap)?,
                }
            }
            Op::Call {
                actor,
                to,
                grant,
                reply_slot,
            } => {
                let by = pick(&peers, actor)?;
                let others: Vec<usize> = (0..PEERS).filter(|&p| p != by).collect();
                let server = pick(&others, to)?;
                let mut grant = self.choose_grant(by, grant);
                if grant.is_some_and(|g| g.kind == GrantKind::Transfer) && !self.receiving(server) {
                    // Transfers only to a receiver already waiting: the
                    // sharing check is then made once, at the call.
                    grant = None;
                }
                let reply_slot = self.choose_slot(by, reply_slot);
                Step::Call {
                    by,
                    server,
                    grant,
                    reply_slot,
                }
            }
            Op::Send { actor, to, grant } => {
                let by = pick(&anyone, actor)?;
                let targets: Vec<usize> = (0..PEERS)
                    .filter(|&p| p != by && (by != MONITOR || self.receiving(p)))
                    .collect();
                let to = pick(&targets, to)?;
                let mut grant = self.choose_grant(by, grant);
                if grant.is_some_and(|g| g.kind == GrantKind::Transfer) && !self.receiving(to) {
                    grant = None;
                }
                Step::Send { by, to, grant }
            }
            Op::Recv { actor, slot } => {
                let by = pick(&peers, actor)?;
                Step::Recv {
                    by,
                    slot: self.choose_slot(by, slot),
                }
            }
            Op::ReplyRecv { actor, grant, slot } => {
                let by = pick(&peers, actor)?;
                // A reply passes a capability only to a caller still
                // waiting, never lends one and never asks for more rights
                // than held: what the kernel does with such replies (drop
                // the capability, or refuse) is left open by issue 17.
                let grant = match grant {
                    GrantChoice::Lend { .. } => None,
                    _ if self.live_reply(by).is_none() => None,
                    GrantChoice::Copy { cap, rights } => self.choose_grant(
                        by,
                        GrantChoice::Copy {
                            cap,
                            rights: rights & !RAW_RIGHTS,
                        },
                    ),
                    choice => self.choose_grant(by, choice),
                };
                Step::ReplyRecv {
                    by,
                    grant,
                    slot: self.choose_slot(by, slot),
                }
            }
            Op::MalformedReply { actor, variant } => {
                let serving: Vec<usize> = peers
                    .iter()
                    .copied()
                    .filter(|&p| self.live_reply(p).is_some())
                    .collect();
                let by = pick(&serving, actor)?;
                let (r5, r6) = MALFORMED[usize::from(variant) % MALFORMED.len()];
                Step::MalformedReplyRecv { by, r5, r6 }
            }
            Op::Stop { target } => Step::Stop {
                target: usize::from(target) % PEERS,
            },
            Op::Fault { actor } => Step::Fault {
                by: pick(&peers, actor)?,
            },
            Op::FanOut { .. }
            | Op::LendThenRevoke { .. }
            | Op::LendAndSpread { .. }
            | Op::TransferThenStop { .. } => return None,
        })
    }

    pub(super) fn receiving(&self, partition: usize) -> bool {
        matches!(self.activity[partition], Activity::Receiving { .. })
    }

    /// The steps of a compound operation (none if it cannot start).
    fn resolve_many(&self, op: Op) -> Vec<Step> {
        match op {
            Op::FanOut {
                actor,
                cap,
                copies,
                granter,
            } => self.fan_out(actor, cap, copies, granter),
            Op::LendThenRevoke {
                lender,
                server,
                granter,
                cap,
                copy_lent,
                reuse_slot,
            } => self.lend_then_revoke([lender, server, granter, cap], copy_lent, reuse_slot),
            Op::LendAndSpread {
                lender,
                server,
                cap,
                wide,
                end,
            } => self.lend_and_spread([lender, server, cap], wide, end),
            Op::TransferThenStop {
                caller,
                server,
                cap,
                offer,
                meddle,
                end,
            } => self.transfer_then_stop([caller, server, cap], offer, meddle, end),
            _ => None,
        }
        .unwrap_or_default()
    }

    /// Whether `partition` can `recv` now and will block there, so that
    /// a message sent next reaches it at once.
    pub(super) fn can_wait(&self, partition: usize) -> bool {
        partition < PEERS
            && self.ready(partition)
            && self.live_reply(partition).is_none()
            && self.queues[partition].is_empty()
    }

    pub(super) fn readable_frames(&self, partition: usize) -> Vec<u16> {
        self.frame_slots(partition)
            .into_iter()
            .filter(|&s| self.rights_at(partition, s).contains(Rights::READ))
            .collect()
    }
}

/// The address of the first run of `pages` free pages in a window whose
/// use is `used`, which it then marks used.
pub(super) fn allocate(used: &mut [bool], pages: u32) -> Option<u32> {
    let pages = pages as usize;
    let start =
        (0..=used.len().checked_sub(pages)?).find(|&s| used[s..s + pages].iter().all(|u| !u))?;
    used[start..start + pages].fill(true);
    Some(page_va(start as u32))
}
