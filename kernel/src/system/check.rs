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
//!   in the partition's address space;
//! - a blocked thread waits on exactly one thing — an endpoint queue, a
//!   reply, a notification — and is in that object's queue; a thread that
//!   is not blocked waits on nothing; everything queued is blocked on it;
//! - a caller awaiting a reply is answered by exactly one reply right.

use crate::cap::CapObject;
use crate::cap::EndpointId;
use crate::ipc::endpoint::IpcState;
use crate::ipc::ThreadId;
use crate::thread::ThreadState;

use super::System;

impl<'a> System<'a> {
    /// Checks every invariant; the first one broken, if any.
    pub fn check(&self) -> Result<(), &'static str> {
        self.objects.caps.check()?;
        self.objects.lending.check_consistent()?;
        self.objects.donations.check()?;
        self.check_mappings()?;
        for index in 0..self.threads.len() {
            self.check_thread(index)?;
        }
        self.check_queues()
    }

    fn check_mappings(&self) -> Result<(), &'static str> {
        let mut lent_but_empty = false;
        self.objects
            .lending
            .for_each_lent(|at| lent_but_empty |= self.objects.caps.get(at).is_err());
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
                let mapped = self.partitions[partition]
                    .space
                    .all()
                    .any(|region| region.virt == mapping.virt);
                if !mapped || usize::from(mapping.partition) != partition {
                    return Err("a mapping record has no region");
                }
            }
        }
        Ok(())
    }

    fn check_thread(&self, index: usize) -> Result<(), &'static str> {
        let id = ThreadId(index as u16);
        let thread = &self.threads[index];
        let ipc = self
            .objects
            .endpoints
            .state(id)
            .map_err(|_| "a thread has no IPC state")?;
        let notification = self
            .objects
            .notifications
            .waiting_on(id)
            .map_err(|_| "a thread has no notification state")?;
        // A thread on borrowed time can run: its chain of loans ends at a
        // thread on its own time.
        let donations = &self.objects.donations;
        let borrowing = donations.lender(id) != Ok(None);
        if borrowing && !matches!(donations.owner_of(id), Ok(Some(_))) {
            return Err("a thread borrows time that no thread owns");
        }
        let waits = usize::from(ipc != IpcState::Idle) + usize::from(notification.is_some());
        match thread.state {
            ThreadState::Blocked if waits != 1 => {
                Err("a blocked thread does not wait on exactly one object")
            }
            ThreadState::Blocked => match ipc {
                IpcState::AwaitingReply { server } => {
                    let held = self.objects.endpoints.held_reply(server);
                    if held.ok().flatten().map(|r| r.0) != Some(id.0) {
                        return Err("a caller awaits a reply nobody holds");
                    }
                    Ok(())
                }
                IpcState::Sending { endpoint, .. } | IpcState::Receiving { endpoint } => {
                    self.queued_on(endpoint, id)
                }
                IpcState::Idle => Ok(()),
            },
            _ if waits != 0 => Err("a thread that is not blocked waits on something"),
            _ => Ok(()),
        }
    }

    fn queued_on(&self, endpoint: EndpointId, thread: ThreadId) -> Result<(), &'static str> {
        let mut found = false;
        self.objects
            .endpoints
            .for_each_waiting(endpoint, |t| found |= t == thread)
            .map_err(|_| "a thread waits on an endpoint that does not exist")?;
        if found {
            Ok(())
        } else {
            Err("a thread waits on an endpoint whose queue lacks it")
        }
    }

    fn check_queues(&self) -> Result<(), &'static str> {
        for e in 0..self.objects.endpoints.count() {
            let endpoint = EndpointId(e as u16);
            let mut bad = None;
            self.objects
                .endpoints
                .for_each_waiting(endpoint, |t| {
                    let blocked = self
                        .threads
                        .get(t.index())
                        .is_some_and(|thread| thread.state == ThreadState::Blocked);
                    let waiting_here = match self.objects.endpoints.state(t) {
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
        Ok(())
    }
}
