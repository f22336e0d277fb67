//! What the model says the kernel should show: the pages reachable in each
//! partition's grant window, pool and guest space, slot lists the
//! generators choose from, and the wording of an expected refusal.
//!
//! Read-only queries of the model: they never change it, never call
//! kernel code and never read kernel state.

extern crate std;

use std::format;
use std::string::String;
use std::vec;
use std::vec::Vec;

use kernel_abi::cap::Rights;
use kernel_abi::user_layout::{GRANT_WINDOW, PAGE_SIZE, POOL_REGION, SECTION_SIZE};

use super::model::{CapId, Model, Refusal};
use super::rig::{
    in_pool, GUEST_BASE, GUEST_PAGES, PAGES_PER_SECTION, PARTITIONS, POOL_SECTIONS, SLOTS,
    WINDOW_PAGES,
};
use super::step::Step;

impl Model {
    /// What `partition` should reach at each of the first
    /// [`POOL_SECTIONS`] sections of its pool region: (physical base,
    /// writable, slot).
    pub(super) fn expected_pool(&self, partition: usize) -> Vec<Option<(usize, bool, u16)>> {
        let mut pool = vec![None; POOL_SECTIONS as usize];
        for (_, cap) in self.live().filter(|(_, c)| c.holder.partition == partition) {
            if let Some(mapped) = cap.mapped.filter(|m| !m.guest && in_pool(m.va)) {
                let first = (mapped.va - POOL_REGION) / SECTION_SIZE;
                for s in 0..cap.pages / PAGES_PER_SECTION {
                    let phys = cap.base + (s * SECTION_SIZE) as usize;
                    pool[(first + s) as usize] = Some((phys, mapped.writable, cap.holder.slot));
                }
            }
        }
        pool
    }
}

impl Model {
    /// Which pages of `partition`'s guest region are mapped.
    pub(super) fn guest_use(&self, partition: usize) -> Vec<bool> {
        let mut used = vec![false; GUEST_PAGES as usize];
        for (_, cap) in self.live().filter(|(_, c)| c.holder.partition == partition) {
            if let Some(mapped) = cap.mapped.filter(|m| m.guest) {
                let first = (mapped.va - GUEST_BASE) / PAGE_SIZE;
                for page in first..first + cap.pages {
                    used[page as usize] = true;
                }
            }
        }
        used
    }

    /// What `partition`'s guest address space should map at each page of
    /// the guest region: (physical page, writable, slot).
    pub(super) fn expected_guest(&self, partition: usize) -> Vec<Option<(usize, bool, u16)>> {
        let mut pages = vec![None; GUEST_PAGES as usize];
        for (_, cap) in self.live().filter(|(_, c)| c.holder.partition == partition) {
            if let Some(mapped) = cap.mapped.filter(|m| m.guest) {
                let first = (mapped.va - GUEST_BASE) / PAGE_SIZE;
                for page in 0..cap.pages {
                    let phys = cap.base + (page * PAGE_SIZE) as usize;
                    pages[(first + page) as usize] = Some((phys, mapped.writable, cap.holder.slot));
                }
            }
        }
        pages
    }

    /// Which pages of `partition`'s grant window are mapped.
    pub(super) fn window_use(&self, partition: usize) -> Vec<bool> {
        let mut used = vec![false; WINDOW_PAGES as usize];
        for (_, cap) in self.live().filter(|(_, c)| c.holder.partition == partition) {
            if let Some(mapped) = cap.mapped.filter(|m| !m.guest && !in_pool(m.va)) {
                let first = (mapped.va - GRANT_WINDOW) / PAGE_SIZE;
                for page in first..first + cap.pages {
                    used[page as usize] = true;
                }
            }
        }
        used
    }

    /// What `partition` should reach at each page of its grant window:
    /// (physical page, writable, slot of the capability mapped there).
    pub(super) fn expected_window(&self, partition: usize) -> Vec<Option<(usize, bool, u16)>> {
        let mut window = vec![None; WINDOW_PAGES as usize];
        for (_, cap) in self.live().filter(|(_, c)| c.holder.partition == partition) {
            if let Some(mapped) = cap.mapped.filter(|m| !m.guest && !in_pool(m.va)) {
                let first = (mapped.va - GRANT_WINDOW) / PAGE_SIZE;
                for page in 0..cap.pages {
                    let phys = cap.base + (page * PAGE_SIZE) as usize;
                    window[(first + page) as usize] =
                        Some((phys, mapped.writable, cap.holder.slot));
                }
            }
        }
        window
    }

    // --- Choosing arguments ---------------------------------------------

    /// Slots of `partition` holding frame capabilities.
    pub(super) fn frame_slots(&self, partition: usize) -> Vec<u16> {
        (0..SLOTS)
            .filter(|&s| self.id_at(partition, s).is_some())
            .collect()
    }

    /// Why `step` is refused for `why`, in terms of the model's state (for
    /// reports).
    pub(super) fn explain(&self, step: Step, why: Refusal) -> String {
        let slot = match step {
            Step::Delete { slot, .. } => slot,
            Step::Call { grant: Some(g), .. }
            | Step::Send { grant: Some(g), .. }
            | Step::ReplyRecv { grant: Some(g), .. } => g.slot,
            _ => return String::new(),
        };
        let Some(id) = self.id_at(step.actor(), slot) else {
            return String::new();
        };
        let related = |other: CapId| {
            if self.descendants(id).contains(&other) {
                "derived from it"
            } else if self.descendants(other).contains(&id) {
                "an ancestor"
            } else {
                "an unrelated capability to the same pages"
            }
        };
        match why {
            Refusal::Busy => {
                let lender = (0..PARTITIONS).find(|&c| self.lent[c].is_some_and(|(l, _)| l == id));
                lender.map_or(String::new(), |c| format!("; P{c} lent it for its call"))
            }
            Refusal::Shared => {
                let cap = self.cap(id).expect("live");
                let others: Vec<String> = self
                    .live()
                    .filter(|&(other, c)| other != id && c.overlaps(cap))
                    .map(|(other, c)| {
                        format!(
                            "P{} slot {} ({})",
                            c.holder.partition,
                            c.holder.slot,
                            related(other)
                        )
                    })
                    .collect();
                format!("; also covered by {}", others.join(", "))
            }
            _ => String::new(),
        }
    }

    /// Slots of `partition` holding a lent capability or one derived from
    /// a lent capability.
    pub(super) fn lent_family(&self, partition: usize) -> Vec<u16> {
        self.frame_slots(partition)
            .into_iter()
            .filter(|&s| {
                let mut next = self.id_at(partition, s);
                while let Some(id) = next {
                    if self.is_lent(id) {
                        return true;
                    }
                    next = self.cap(id).and_then(|c| c.parent);
                }
                false
            })
            .collect()
    }

    pub(super) fn empty_slots(&self, partition: usize) -> Vec<u16> {
        (0..SLOTS)
            .filter(|&s| !self.occupied(partition, s))
            .collect()
    }

    pub(super) fn rights_at(&self, partition: usize, slot: u16) -> Rights {
        self.at(partition, slot).map_or(Rights::NONE, |c| c.rights)
    }
}
