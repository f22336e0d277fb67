//! The comparison of the kernel with the model after every step: thread
//! and IPC state, endpoint queues and live replies; (a) the capability
//! slots; (b) reachability through the grant window, the pool and the
//! guest address spaces, read from the page tables in the fake machine's
//! memory and from the kernel's own view.
//!
//! Checks only read: they never change the kernel or the model.

extern crate std;

use std::format;
use std::string::{String, ToString};
use std::vec;
use std::vec::Vec;

use kernel_abi::user_layout::{PAGE_SIZE, POOL_REGION, SECTION_SIZE, USER_TOP};

use super::harness::{describe_cap, page_name, Harness};
use super::model::Activity;
use super::rig::{
    grant_table, page_va, GUEST_BASE, GUEST_PAGES, PARTITIONS, PEERS, POOL_SECTIONS, SLOTS,
    WINDOW_PAGES,
};
use crate::cap::{CapObject, Capability, EndpointId};
use crate::ipc::endpoint::IpcState;
use crate::ipc::ThreadId;
use crate::machine::Machine;
use crate::mm::descriptor::{L1Entry, L1Kind, L2Entry, SectionBits, SmallPageBits};
use crate::mm::user_space::Use;
use crate::thread::ThreadState;

impl Harness<'_> {
    /// Thread states, IPC states, live reply rights and endpoint queues.
    pub(super) fn check_threads(&self) -> Result<(), String> {
        let system = &self.kernel.system;
        let endpoints = &system.objects.endpoints;
        let records = &system.objects.threads;
        for t in 0..PARTITIONS {
            let state = system.threads[t].state;
            let ipc = records
                .state(ThreadId(t as u16))
                .map_err(|e| format!("{e:?}"))?;
            let activity = self.model.activity[t];
            let agrees = match activity {
                Activity::Ready => state == ThreadState::Ready && ipc == IpcState::Idle,
                Activity::Receiving { .. } => {
                    state == ThreadState::Blocked
                        && ipc
                            == IpcState::Receiving {
                                endpoint: EndpointId(t as u16),
                            }
                }
                Activity::Sending { to, call, .. } => {
                    state == ThreadState::Blocked
                        && matches!(ipc, IpcState::Sending { endpoint, call: c, .. }
                            if endpoint == EndpointId(to as u16) && c == call)
                }
                Activity::AwaitingReply { server, .. } => {
                    state == ThreadState::Blocked
                        && ipc
                            == IpcState::AwaitingReply {
                                server: ThreadId(server as u16),
                            }
                }
                Activity::Stopped => state == ThreadState::Stopped,
            };
            if !agrees {
                return Err(format!(
                    "IPC state: P{t}'s thread is {state:?} with {ipc:?} in the kernel, \
                     but the model says {activity:?}"
                ));
            }
            if let Some(caller) = self.model.live_reply(t) {
                let held = records
                    .held_reply(ThreadId(t as u16))
                    .map_err(|e| format!("{e:?}"))?;
                if held.map(|r| r.0) != Some(caller as u16) {
                    return Err(format!(
                        "IPC state: P{t} should hold the reply right for P{caller}'s call, \
                         the kernel says it holds {held:?}"
                    ));
                }
            }
        }
        for q in 0..PEERS {
            let mut waiting = Vec::new();
            endpoints
                .for_each_waiting(records, EndpointId(q as u16), |t| waiting.push(t.index()))
                .map_err(|e| format!("{e:?}"))?;
            let expected: Vec<usize> = if self.model.receiving(q) {
                vec![q]
            } else {
                self.model.queues[q].iter().copied().collect()
            };
            if waiting != expected {
                return Err(format!(
                    "IPC state: P{q}'s endpoint has threads {waiting:?} queued in the kernel, \
                     the model says {expected:?}"
                ));
            }
        }
        Ok(())
    }

    /// (a) Every slot of every partition holds what the model says.
    pub(super) fn check_slots(&self) -> Result<(), String> {
        let caps = &self.kernel.system.objects.caps;
        for p in 0..PARTITIONS {
            let space = caps.space(p as u8).map_err(|e| format!("{e:?}"))?;
            for slot in 0..SLOTS {
                let kernel = space[usize::from(slot)];
                let expected = match self.model.at(p, slot) {
                    Some(cap) => Some(Capability {
                        object: CapObject::Frame {
                            base: cap.base,
                            pages: cap.pages,
                        },
                        rights: cap.rights,
                        badge: 0,
                    }),
                    None => self.model.fixed[p][usize::from(slot)],
                };
                let same = match (kernel, expected) {
                    (Some(k), Some(e)) => {
                        k.object == e.object
                            && k.rights == e.rights
                            && (matches!(e.object, CapObject::Frame { .. }) || k.badge == e.badge)
                    }
                    (None, None) => true,
                    _ => false,
                };
                if !same {
                    let show = |cap: Option<Capability>| {
                        cap.map_or("nothing".to_string(), |c| describe_cap(&c))
                    };
                    return Err(format!(
                        "(a) capability slots: P{p} slot {slot} holds {} in the kernel, \
                         but the model says {}",
                        show(kernel),
                        show(expected)
                    ));
                }
            }
        }
        Ok(())
    }

    /// (b) Every section a partition can reach through its pool region is
    /// mapped through a capability it holds now, as the model recorded.
    fn check_pool_reachability(&self) -> Result<(), String> {
        let machine = &self.kernel.machine;
        for p in 0..PARTITIONS {
            let expected = self.model.expected_pool(p);
            let table = self.kernel.system.partitions[p].table;
            for s in 0..POOL_SECTIONS {
                let va = POOL_REGION + s * SECTION_SIZE;
                let mut bytes = [0u8; 4];
                machine.read_phys(table + (va / SECTION_SIZE) as usize * 4, &mut bytes);
                let entry = L1Entry(u32::from_le_bytes(bytes));
                let kernel = match entry.kind() {
                    L1Kind::Section { base } => {
                        Some((base, !entry.section_bits().contains(SectionBits::AP2)))
                    }
                    _ => None,
                };
                let model = expected[s as usize].map(|(phys, writable, _)| (phys, writable));
                if kernel != model {
                    return Err(format!(
                        "(b) POOL: P{p} reaches {kernel:x?} at {va:#x} (entry {:#010x}); the \
                         model says {:x?}",
                        entry.0, expected[s as usize]
                    ));
                }
            }
        }
        Ok(())
    }

    /// (b) Every page a partition can reach through its grant window is
    /// mapped through a capability it holds now, as the model recorded.
    pub(super) fn check_reachability(&self) -> Result<(), String> {
        self.check_pool_reachability()?;
        let machine = &self.kernel.machine;
        let mut table = vec![0u8; WINDOW_PAGES as usize * 4];
        for p in 0..PARTITIONS {
            machine.read_phys(grant_table(p), &mut table);
            let expected = self.model.expected_window(p);
            let space = &self.kernel.system.partitions[p].space;
            for page in 0..WINDOW_PAGES {
                let va = page_va(page);
                let at = page as usize * 4;
                let entry = L2Entry(u32::from_le_bytes(
                    table[at..at + 4].try_into().expect("4 bytes"),
                ));
                let kernel = entry
                    .page()
                    .map(|phys| (phys, !entry.bits().contains(SmallPageBits::AP2)));
                let model = expected[page as usize];
                if let Some((phys, writable)) = kernel {
                    match model {
                        None => {
                            let holds = self.model.live().any(|(_, c)| {
                                c.holder.partition == p && phys >= c.base && phys < c.end()
                            });
                            return Err(format!(
                                "(b) REACHABILITY: P{p} can reach {} {} at {va:#x}, but in the \
                                 model no mapping through a capability it holds is there ({})",
                                page_name(phys),
                                if writable { "read-write" } else { "read-only" },
                                if holds {
                                    "it holds a capability to that page, not mapped there"
                                } else {
                                    "it holds no capability to that page at all"
                                }
                            ));
                        }
                        Some((want, may_write, slot))
                            if want != phys || (writable && !may_write) =>
                        {
                            return Err(format!(
                                "(b) REACHABILITY: P{p} reaches {} {} at {va:#x}; the model's \
                                 mapping there (through slot {slot}) is {} {}",
                                page_name(phys),
                                if writable { "read-write" } else { "read-only" },
                                page_name(want),
                                if may_write { "read-write" } else { "read-only" },
                            ));
                        }
                        _ => {}
                    }
                }
                if let Some((want, may_write, slot)) = model {
                    if kernel != Some((want, may_write)) {
                        return Err(format!(
                            "(b) mappings: P{p}'s mapping through slot {slot} should map {} {} \
                             at {va:#x}; the page table has {:#010x}",
                            page_name(want),
                            if may_write { "read-write" } else { "read-only" },
                            entry.0
                        ));
                    }
                }
                // The address space system-call buffers are checked
                // against must agree with the page table.
                let readable = space.check_buffer(va, 4, Use::Read, 4).ok();
                let writable = space.check_buffer(va, 4, Use::Write, 4).is_ok();
                let wanted = model.map(|(phys, _, _)| phys);
                let may_write = model.is_some_and(|(_, w, _)| w);
                if readable != wanted || writable != may_write {
                    return Err(format!(
                        "(b) REACHABILITY: through system-call buffers P{p} can {} at {va:#x} \
                         ({}), but the model has {}",
                        if writable {
                            "read and write"
                        } else if readable.is_some() {
                            "read"
                        } else {
                            "not read"
                        },
                        readable.map_or("nothing".to_string(), page_name),
                        wanted.map_or("no mapping there".to_string(), page_name),
                    ));
                }
            }
        }
        self.check_guest_reachability()
    }

    /// (b) in guest address spaces: every page a partition's guest address
    /// space maps is mapped through a capability it holds now, where and as
    /// the model recorded, and nothing is mapped outside the guest region.
    fn check_guest_reachability(&self) -> Result<(), String> {
        let machine = &self.kernel.machine;
        let guests = &self.kernel.system.objects.guests;
        let end = GUEST_BASE + GUEST_PAGES * PAGE_SIZE;
        for p in 0..PARTITIONS {
            let space = crate::cap::SpaceId(p as u16);
            let expected = self.model.expected_guest(p);
            for page in 0..GUEST_PAGES {
                let va = GUEST_BASE + page * PAGE_SIZE;
                let entry = guests.entry_at(space, va, machine);
                let kernel = entry.and_then(|e| {
                    e.page()
                        .map(|phys| (phys, !e.bits().contains(SmallPageBits::AP2)))
                });
                let model = expected[page as usize];
                if kernel != model.map(|(phys, writable, _)| (phys, writable)) {
                    let show = |mapped: Option<(usize, bool)>| {
                        mapped.map_or("nothing".to_string(), |(phys, writable)| {
                            format!(
                                "{} {}",
                                page_name(phys),
                                if writable { "read-write" } else { "read-only" }
                            )
                        })
                    };
                    return Err(format!(
                        "(b) REACHABILITY: P{p}'s guest address space maps {} at {va:#x}, \
                         but the model has {}{}",
                        show(kernel),
                        show(model.map(|(phys, writable, _)| (phys, writable))),
                        model.map_or(String::new(), |(_, _, slot)| format!(
                            " (through slot {slot})"
                        )),
                    ));
                }
            }
            // Nothing beyond the region: the space counts its pages.
            let mapped = guests.get(space).map_or(0, |s| s.mapped);
            let expected_pages = expected.iter().flatten().count() as u32;
            if mapped != expected_pages {
                let outside = guests
                    .next_owner(space, 0, GUEST_BASE, machine)
                    .or_else(|| guests.next_owner(space, end, USER_TOP, machine));
                return Err(format!(
                    "(b) REACHABILITY: P{p}'s guest address space maps {mapped} pages, the \
                     model {expected_pages} (first outside the region: {outside:x?})"
                ));
            }
        }
        Ok(())
    }
}
