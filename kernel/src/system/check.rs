//! The system's invariants, stated once and checked as a whole: what every
//! handler must leave true, whatever a partition did. Host tests call
//! [`System::check`] after every step, and the kernel at the end of every
//! run; it only reads.
//!
//! - capability slots and the derivation tree agree, no copy has rights
//!   its source lacks, and every frame page's capability count is exact;
//! - every loan (transient grant) is recorded both ways and its slot
//!   holds a capability, and every thread's count of borrowers of its
//!   time is exact, and every chain of loans ends at a thread on its own
//!   time;
//! - every mapping record belongs to a frame capability and its region is
//!   in the partition's address space — or, for a mapping in a guest
//!   address space, every page of it is recorded in that space's page
//!   tables as mapped through that capability, and every page those tables
//!   record has such a mapping; guest page tables are free or used by one
//!   address space of their budget's partition;
//! - a guest thread is bound only to an address space of its partition,
//!   and a thread waiting on a fault handler is blocked;
//! - a blocked thread waits on exactly one thing — an endpoint queue, a
//!   reply, a notification — and is in that object's queue; a thread that
//!   is not blocked waits on nothing; everything queued on an endpoint or
//!   a notification is blocked on it, and a thread whose record says it
//!   is queued is in one of those queues;
//! - a caller awaiting a reply is answered by exactly one reply right;
//! - a capability recorded as transferred by an unanswered call is
//!   recorded both ways, is in the slot it landed in, and that slot is the
//!   server's: the caller awaits the reply of a thread of the partition
//!   it landed in;
//! - each partition's thread list holds exactly its threads, the passive
//!   list exactly the passive threads, each in index order; the count of
//!   running active partitions is exact, and each window's last runner
//!   is a thread of it.

use crate::cap::mapping::Mapping;
use crate::cap::{CapObject, EndpointId, NotificationId, SpaceId};
use crate::ipc::endpoint::IpcState;
use crate::ipc::ThreadId;
use crate::thread::ThreadState;

use super::System;

impl<'a> System<'a> {
    /// Checks every invariant; the first one broken, if any.
    pub fn check(&self) -> Result<(), &'static str> {
        self.objects.caps.check()?;
        self.objects
            .lending
            .check_consistent(&self.objects.threads)?;
        self.objects.threads.check_loans()?;
        self.objects
            .passing
            .check_consistent(&self.objects.threads)?;
        self.check_passed()?;
        self.objects.guests.check()?;
        self.check_mappings()?;
        self.check_guest_tables()?;
        for index in 0..self.threads.len() {
            self.check_thread(index)?;
        }
        self.check_queues()?;
        self.check_run_lists()
    }

    /// Every recorded transfer is in its landing slot, in the partition of
    /// the server whose reply its caller awaits.
    fn check_passed(&self) -> Result<(), &'static str> {
        let mut broken = None;
        self.objects
            .passing
            .for_each(&self.objects.threads, |caller, passed| {
                let server = match self.objects.threads.state(caller) {
                    Ok(IpcState::AwaitingReply { server }) => server,
                    _ => {
                        broken = Some("a transfer is recorded for a caller awaiting no reply");
                        return;
                    }
                };
                let partition = self.threads.get(server.index()).map(|t| t.partition);
                if partition != Some(usize::from(passed.landed.partition)) {
                    broken = Some("a transfer is recorded in another partition than its server's");
                } else if self.objects.caps.get(passed.landed).is_err() {
                    broken = Some("a transfer is recorded in an empty slot");
                }
            });
        broken.map_or(Ok(()), Err)
    }

    fn check_run_lists(&self) -> Result<(), &'static str> {
        let mut listed = 0;
        for partition in 0..self.partitions.len() {
            let mut previous = None;
            for t in self.threads_of(partition) {
                if self.threads.get(t).map(|t| t.partition) != Some(partition)
                    || previous.is_some_and(|p| p >= t)
                {
                    return Err("a partition's thread list is not its threads in order");
                }
                previous = Some(t);
                listed += 1;
            }
            let last = self.partitions[partition].last_run;
            if last.is_some_and(|t| self.threads.get(t).map(|t| t.partition) != Some(partition)) {
                return Err("a window's last runner is not a thread of it");
            }
        }
        if listed != self.threads.len() {
            return Err("a thread is in no partition's list");
        }
        let passive = super::choose::linked(self.threads, self.first_passive, |t| t.next_passive);
        let expected = (0..self.threads.len()).filter(|&t| self.is_passive(t));
        if !passive.eq(expected) {
            return Err("the passive list is not the passive threads in order");
        }
        let running = self
            .partitions
            .iter()
            .filter(|p| p.keeps_run_alive() && p.state == crate::partition::PartitionState::Running)
            .count();
        if running != self.active_running {
            return Err("the count of running active partitions is wrong");
        }
        Ok(())
    }

    fn check_mappings(&self) -> Result<(), &'static str> {
        let mut lent_but_empty = false;
        self.objects
            .lending
            .for_each_lent(&self.objects.threads, |at| {
                lent_but_empty |= self.objects.caps.get(at).is_err()
            });
        if lent_but_empty {
            return Err("a loan names an empty slot");
        }
        for partition in 0..self.partitions.len() {
            let Ok(space) = self.objects.caps.space(partition as u8) else {
                return Err("a partition has no capability space");
            };
            for (slot, cap) in space.iter().enumerate() {
                let at = crate::cap::layout::SlotRef::new(partition as u8, slot as u16);
                let Some(mapping) = self.objects.mappings.get(at) else {
                    continue;
                };
                if !matches!(cap, Some(c) if matches!(c.object, CapObject::Frame { .. })) {
                    return Err("a mapping outlives its frame capability");
                }
                if let Some(space) = mapping.space() {
                    self.check_guest_mapping(at, space, mapping)?;
                    continue;
                }
                let region = self.partitions[partition]
                    .space
                    .all()
                    .find(|region| region.virt == mapping.virt);
                if region.is_none() || usize::from(mapping.partition) != partition {
                    return Err("a mapping record has no region");
                }
                let pool = kernel_abi::user_layout::POOL_REGION
                    ..kernel_abi::user_layout::POOL_REGION
                        + kernel_abi::user_layout::POOL_REGION_SIZE;
                let sections_fit = match (mapping.sections(), region) {
                    (Some(sections), Some(region)) => {
                        pool.contains(&mapping.virt)
                            && region.size
                                == u32::from(sections) * kernel_abi::user_layout::SECTION_SIZE
                    }
                    (None, _) => !pool.contains(&mapping.virt),
                    (Some(_), None) => false,
                };
                if !sections_fit {
                    return Err("a pool-region mapping and its region disagree");
                }
            }
        }
        Ok(())
    }

    /// A mapping `at` made in guest address space `space`: the space is its
    /// partition's, and its pages are exactly the pages the space's tables
    /// record as mapped through `at`.
    fn check_guest_mapping(
        &self,
        at: crate::cap::layout::SlotRef,
        space: SpaceId,
        mapping: Mapping,
    ) -> Result<(), &'static str> {
        let owner = self.objects.guests.get(space).map(|s| s.partition);
        if owner != Some(at.partition) || mapping.partition != at.partition {
            return Err("a guest mapping is in another partition's address space");
        }
        let global = self
            .objects
            .mappings
            .global(at)
            .ok_or("a mapping's slot has no number")?;
        let pool = self.objects.guests.pool();
        let mut pages = 0u32;
        for (table, used) in pool.tables_of(space) {
            for page in 0..crate::mm::L2_ENTRIES {
                if pool.owner(table, page).map(usize::from) == Some(global) {
                    let va = u32::from(used.section) * crate::mm::SECTION_SIZE as u32
                        + page as u32 * kernel_abi::user_layout::PAGE_SIZE;
                    let end = u64::from(mapping.virt)
                        + u64::from(mapping.pages) * u64::from(kernel_abi::user_layout::PAGE_SIZE);
                    if va < mapping.virt || u64::from(va) >= end {
                        return Err("a guest page is mapped outside its capability's mapping");
                    }
                    pages += 1;
                }
            }
        }
        if pages != u32::from(mapping.pages) {
            return Err("a guest mapping's pages are not all in its page tables");
        }
        Ok(())
    }

    /// Every page a guest address space's tables record as mapped was
    /// mapped through a capability whose record says so.
    fn check_guest_tables(&self) -> Result<(), &'static str> {
        let pool = self.objects.guests.pool();
        for s in 0..self.objects.guests.count() {
            let space = SpaceId(s as u16);
            for (table, _) in pool.tables_of(space) {
                for page in 0..crate::mm::L2_ENTRIES {
                    let Some(owner) = pool.owner(table, page) else {
                        continue;
                    };
                    let recorded = self.objects.mappings.get_global(usize::from(owner));
                    if recorded.and_then(|m| m.space()) != Some(space) {
                        return Err("a guest page is mapped through no recorded mapping");
                    }
                }
            }
        }
        Ok(())
    }

    fn check_thread(&self, index: usize) -> Result<(), &'static str> {
        let id = ThreadId(index as u16);
        let thread = &self.threads[index];
        if thread.fault.is_some() && thread.state != ThreadState::Blocked {
            return Err("a thread waits on a fault handler without being blocked");
        }
        if let Some(space) = thread.guest.and_then(|guest| guest.space) {
            let owner = self
                .objects
                .guests
                .get(space)
                .map(|s| usize::from(s.partition));
            if owner != Some(thread.partition) {
                return Err("a guest thread is bound to another partition's address space");
            }
        }
        let ipc = self
            .objects
            .threads
            .state(id)
            .map_err(|_| "a thread has no IPC state")?;
        let notification = self
            .objects
            .threads
            .waiting_on(id)
            .map_err(|_| "a thread has no notification state")?;
        // A thread on borrowed time can run: its chain of loans ends at a
        // thread on its own time.
        let donations = &self.objects.threads;
        let borrowing = donations.lender(id) != Ok(None);
        let passive = super::choose::passive_of(self.partitions, self.threads);
        if borrowing && !matches!(donations.owner_of(id, passive), Ok(Some(_))) {
            return Err("a thread borrows time that no thread owns");
        }
        let waits = usize::from(ipc != IpcState::Idle) + usize::from(notification.is_some());
        match thread.state {
            ThreadState::Blocked if waits != 1 => {
                Err("a blocked thread does not wait on exactly one object")
            }
            ThreadState::Blocked => match ipc {
                IpcState::AwaitingReply { server } => {
                    let held = self.objects.threads.held_reply(server);
                    if held.ok().flatten().map(|r| r.0) != Some(id.0) {
                        return Err("a caller awaits a reply nobody holds");
                    }
                    Ok(())
                }
                IpcState::Sending { endpoint, .. } | IpcState::Receiving { endpoint } => {
                    self.queued_on(endpoint, id)
                }
                IpcState::Idle => match notification {
                    Some(notification) => self.queued_on_notification(notification, id),
                    None => Ok(()),
                },
            },
            _ if waits != 0 => Err("a thread that is not blocked waits on something"),
            _ => Ok(()),
        }
    }

    fn queued_on(&self, endpoint: EndpointId, thread: ThreadId) -> Result<(), &'static str> {
        let mut found = false;
        self.objects
            .endpoints
            .for_each_waiting(&self.objects.threads, endpoint, |t| found |= t == thread)
            .map_err(|_| "a thread waits on an endpoint that does not exist")?;
        if found {
            Ok(())
        } else {
            Err("a thread waits on an endpoint whose queue lacks it")
        }
    }

    fn check_queues(&self) -> Result<(), &'static str> {
        // Every thread whose record says it is queued is in one queue.
        let mut in_queues = 0;
        for e in 0..self.objects.endpoints.count() {
            let endpoint = EndpointId(e as u16);
            let mut bad = None;
            self.objects
                .endpoints
                .for_each_waiting(&self.objects.threads, endpoint, |t| {
                    in_queues += 1;
                    let blocked = self
                        .threads
                        .get(t.index())
                        .is_some_and(|thread| thread.state == ThreadState::Blocked);
                    let waiting_here = match self.objects.threads.state(t) {
                        Ok(IpcState::Sending { endpoint: on, .. })
                        | Ok(IpcState::Receiving { endpoint: on }) => on == endpoint,
                        _ => false,
                    };
                    if !blocked || !waiting_here {
                        bad = Some("a queued thread is not blocked on that endpoint");
                    }
                })
                .map_err(|_| "an endpoint vanished")?;
            if let Some(error) = bad {
                return Err(error);
            }
        }
        for n in 0..self.objects.notifications.count() {
            let notification = NotificationId(n as u16);
            let mut bad = None;
            self.objects
                .notifications
                .for_each_waiting(&self.objects.threads, notification, |t| {
                    in_queues += 1;
                    let blocked = self
                        .threads
                        .get(t.index())
                        .is_some_and(|thread| thread.state == ThreadState::Blocked);
                    let waiting_here = self.objects.threads.waiting_on(t) == Ok(Some(notification));
                    if !blocked || !waiting_here {
                        bad = Some("a queued thread is not blocked on that notification");
                    }
                })
                .map_err(|_| "a notification vanished")?;
            if let Some(error) = bad {
                return Err(error);
            }
        }
        let linked = (0..self.threads.len())
            .filter(|&t| self.objects.threads.is_queued(ThreadId(t as u16)))
            .count();
        if linked != in_queues {
            return Err("a thread's record says it is queued, but no queue holds it");
        }
        Ok(())
    }

    fn queued_on_notification(
        &self,
        notification: NotificationId,
        thread: ThreadId,
    ) -> Result<(), &'static str> {
        let mut found = false;
        self.objects
            .notifications
            .for_each_waiting(&self.objects.threads, notification, |t| {
                found |= t == thread
            })
            .map_err(|_| "a thread waits on a notification that does not exist")?;
        if found {
            Ok(())
        } else {
            Err("a thread waits on a notification whose queue lacks it")
        }
    }
}
