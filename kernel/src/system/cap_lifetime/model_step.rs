//! How each step changes the model: [`Model::apply`] turns a step into the
//! kernel's expected outcome, refusing what the kernel must refuse before
//! anything changes; mapping into the grant window, the pool and the guest
//! address space.
//!
//! Part of the model: it must never call kernel code or read kernel state.

extern crate std;

use kernel_abi::cap::Rights;
use kernel_abi::user_layout::{GRANT_WINDOW, GRANT_WINDOW_SIZE, PAGE_SIZE, SECTION_SIZE};

use super::model::{CapId, Expectation, Holder, Mapped, Model, Outcome, Refusal};
use super::rig::{in_pool, pool_size, GUEST_BASE, GUEST_PAGES, PAGES_PER_SECTION, SLOTS};
use super::step::Step;

impl Model {
    /// Applies `step` to the model: what the kernel must do.
    pub(super) fn apply(&mut self, step: Step) -> Expectation {
        self.woken.clear();
        let outcome = self.apply_step(step).unwrap_or_else(Outcome::Refused);
        match outcome {
            Outcome::Refused(Refusal::Busy) => self.note("refused: the frame is lent (Busy)"),
            Outcome::Refused(Refusal::Shared) => self.note("refused: the frame is shared (Shared)"),
            _ => {}
        }
        Expectation {
            outcome,
            woken: core::mem::take(&mut self.woken),
        }
    }

    /// As [`Model::apply`]; a refusal changes nothing.
    fn apply_step(&mut self, step: Step) -> Result<Outcome, Refusal> {
        Ok(match step {
            Step::Copy {
                by,
                from,
                to,
                rights,
            } => {
                let id = self.frame_at(by, from)?;
                self.check_destination(by, to)?;
                if !rights.is_subset_of(self.cap(id).expect("live").rights) {
                    return Err(Refusal::MissingRights);
                }
                self.derive(
                    id,
                    Holder {
                        partition: by,
                        slot: to,
                    },
                    rights,
                    None,
                );
                Outcome::Done
            }
            Step::Split { by, from, page, to } => {
                let id = self.frame_at(by, from)?;
                let cap = *self.cap(id).expect("live");
                self.check_destination(by, to)?;
                if page >= cap.pages {
                    return Err(Refusal::OutOfRange);
                }
                self.derive(
                    id,
                    Holder {
                        partition: by,
                        slot: to,
                    },
                    cap.rights,
                    Some(page),
                );
                Outcome::Done
            }
            Step::Map {
                by,
                slot,
                va,
                rights,
            } => self.map(by, slot, va, rights)?,
            Step::SpaceMap {
                by,
                slot,
                va,
                rights,
            } => self.space_map(by, slot, va, rights)?,
            Step::Unmap { by, slot } => {
                let id = self.frame_at(by, slot)?;
                self.cap_mut(id).mapped.take().ok_or(Refusal::NotMapped)?;
                Outcome::Done
            }
            Step::Delete { by, slot } => {
                let id = self.frame_at(by, slot)?;
                if self.is_lent(id) {
                    return Err(Refusal::Busy);
                }
                self.delete(id);
                Outcome::Done
            }
            Step::Revoke { by, slot } => {
                let id = self.frame_at(by, slot)?;
                self.revoke(id);
                Outcome::Done
            }
            Step::Call {
                by,
                server,
                grant,
                reply_slot,
            } => self.send(by, server, true, grant, reply_slot)?,
            Step::Send { by, to, grant } => self.send(by, to, false, grant, None)?,
            Step::Recv { by, slot } => {
                if self.live_reply(by).is_some() {
                    return Err(Refusal::ReplyPending);
                }
                self.receive(by, slot)
            }
            Step::ReplyRecv { by, grant, slot } => self.reply_recv(by, grant, slot)?,
            Step::MalformedReplyRecv { .. } => return Err(Refusal::Malformed),
            Step::Stop { target } => {
                self.stop(target);
                Outcome::Done
            }
            Step::Fault { by } => {
                self.stop(by);
                Outcome::Stopped
            }
        })
    }

    fn check_destination(&self, by: usize, slot: u16) -> Result<(), Refusal> {
        if slot >= SLOTS {
            Err(Refusal::OutOfRange)
        } else if self.occupied(by, slot) {
            Err(Refusal::SlotOccupied)
        } else {
            Ok(())
        }
    }

    fn map(&mut self, by: usize, slot: u16, va: u32, rights: Rights) -> Result<Outcome, Refusal> {
        let id = self.frame_at(by, slot)?;
        let cap = *self.cap(id).expect("live");
        let allowed = cap.rights.contains(Rights::READ)
            && rights.contains(Rights::READ)
            && rights.is_subset_of(cap.rights)
            && !rights.contains(Rights::EXECUTE);
        if !allowed {
            return Err(Refusal::MissingRights);
        }
        if in_pool(va) {
            return self.map_pool(by, id, va, rights);
        }
        let size = cap.pages * PAGE_SIZE;
        let inside = va >= GRANT_WINDOW
            && va.is_multiple_of(PAGE_SIZE)
            && GRANT_WINDOW_SIZE
                .checked_sub(size)
                .is_some_and(|room| va - GRANT_WINDOW <= room);
        if !inside {
            return Err(Refusal::BadAddress);
        }
        if cap.mapped.is_some() {
            return Err(Refusal::AlreadyMapped);
        }
        let first = (va - GRANT_WINDOW) / PAGE_SIZE;
        let used = self.window_use(by);
        if (first..first + cap.pages).any(|page| used[page as usize]) {
            return Err(Refusal::Overlap);
        }
        self.cap_mut(id).mapped = Some(Mapped {
            va,
            writable: rights.contains(Rights::WRITE),
            guest: false,
        });
        Ok(Outcome::Done)
    }

    /// `frame_map` of capability `id` at `va` in `by`'s pool region: its
    /// whole megabytes, if its base and `va` are on megabyte boundaries.
    fn map_pool(
        &mut self,
        by: usize,
        id: CapId,
        va: u32,
        rights: Rights,
    ) -> Result<Outcome, Refusal> {
        let cap = *self.cap(id).expect("live");
        let sections = cap.pages / PAGES_PER_SECTION;
        let aligned =
            va.is_multiple_of(SECTION_SIZE) && cap.base.is_multiple_of(SECTION_SIZE as usize);
        if !aligned || sections == 0 {
            return Err(Refusal::BadAddress);
        }
        if cap.mapped.is_some() {
            return Err(Refusal::AlreadyMapped);
        }
        let end = va + sections * SECTION_SIZE;
        let taken = self.live().any(|(_, c)| {
            c.holder.partition == by
                && c.mapped.is_some_and(|m| {
                    !m.guest && in_pool(m.va) && m.va < end && va < m.va + pool_size(c.pages)
                })
        });
        if taken {
            return Err(Refusal::Overlap);
        }
        self.cap_mut(id).mapped = Some(Mapped {
            va,
            writable: rights.contains(Rights::WRITE),
            guest: false,
        });
        self.note("a large frame was mapped in the pool region");
        Ok(Outcome::Done)
    }
}

impl Model {
    /// `space_map` of the capability in `slot` at `va` of `by`'s guest
    /// address space (arguments are chosen inside [`GUEST_BASE`]'s
    /// megabyte, so the page-table budget always suffices).
    fn space_map(
        &mut self,
        by: usize,
        slot: u16,
        va: u32,
        rights: Rights,
    ) -> Result<Outcome, Refusal> {
        let id = self.frame_at(by, slot)?;
        let cap = *self.cap(id).expect("live");
        let allowed = cap.rights.contains(Rights::READ)
            && rights.contains(Rights::READ)
            && rights.is_subset_of(cap.rights);
        if !allowed {
            return Err(Refusal::MissingRights);
        }
        let inside = va >= GUEST_BASE
            && va.is_multiple_of(PAGE_SIZE)
            && (va - GUEST_BASE) / PAGE_SIZE + cap.pages <= GUEST_PAGES;
        if !inside {
            return Err(Refusal::BadAddress);
        }
        if cap.mapped.is_some() {
            return Err(Refusal::AlreadyMapped);
        }
        let first = (va - GUEST_BASE) / PAGE_SIZE;
        let used = self.guest_use(by);
        if (first..first + cap.pages).any(|page| used[page as usize]) {
            return Err(Refusal::Overlap);
        }
        self.cap_mut(id).mapped = Some(Mapped {
            va,
            writable: rights.contains(Rights::WRITE),
            guest: true,
        });
        Ok(Outcome::Done)
    }
}
