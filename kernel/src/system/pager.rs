//! Faults that become calls: a thread's fault is sent to an endpoint as a
//! call, the thread waits, and the handler's reply decides what happens.
//! Two kinds of thread use this one path ([`System::fault_call`]):
//!
//! - a partition may name a *pager* endpoint. A translation fault in the
//!   grant window then becomes a call to it — words `[fault address,
//!   access (0 read, 1 write, 2 execute), pc]`, the badge of the pager
//!   capability. If the pager's reply carries a frame (transfer or derived
//!   copy), the kernel puts it in the first free slot of the faulting
//!   partition, maps it at the faulting page, and the thread resumes at
//!   the faulting instruction. A reply without a usable frame stops the
//!   partition with the original fault, as if it had no pager, and a
//!   capability it carried that could not be mapped there stays with the
//!   pager;
//! - a guest thread's every exception goes to its exception endpoint
//!   (see [`super::exception`] for that message and its reply).
//!
//! The faulting thread's registers are never touched until the reply: the
//! message is built from the fault (and, for a guest thread, from its
//! saved registers).

use kernel_abi::cap::{GrantDescriptor, GrantKind, Rights};
use kernel_abi::user_layout::{GRANT_WINDOW, GRANT_WINDOW_SIZE, PAGE_SIZE};

use super::System;
use crate::cap::layout::SlotRef;
use crate::cap::Capability;
use crate::fault::{AccessKind, FaultKind};
use crate::ipc::endpoint::CallOutcome;
use crate::ipc::message::Message;
use crate::ipc::ThreadId;
use crate::machine::{Machine, UserFault};
use crate::thread::ThreadState;

impl<'a> System<'a> {
    /// Sends thread `index`'s `fault` to its partition's pager, if it has
    /// one and the fault is one a pager can fix. Returns whether it did.
    pub(super) fn page_fault_to_pager(
        &mut self,
        index: usize,
        fault: UserFault,
        machine: &mut impl Machine,
    ) -> bool {
        let Some(pager) = self.pager_of(index, fault) else {
            return false;
        };
        self.fault_call(index, pager, fault, machine)
    }

    /// The slot of thread `index`'s pager endpoint capability, if its
    /// partition has a pager and `fault` is one a pager can fix (a
    /// translation fault in the grant window).
    pub(super) fn pager_of(&self, index: usize, fault: UserFault) -> Option<SlotRef> {
        let partition = self.threads[index].partition;
        let slot = self.partitions[partition].pager?;
        let decoded = fault.fault?;
        let in_window =
            decoded.address >= GRANT_WINDOW && decoded.address - GRANT_WINDOW < GRANT_WINDOW_SIZE;
        if !matches!(decoded.kind(), FaultKind::Translation(_)) || !in_window {
            return None;
        }
        Some(SlotRef::new(partition as u8, slot))
    }

    /// Makes thread `index`'s `fault` a call on the endpoint capability at
    /// `at` (which needs `WRITE`): the message goes to a waiting receiver
    /// at once or the thread queues, and either way it waits for the
    /// reply. Returns whether the call was made (`false`, with nothing
    /// changed, if `at` holds no such capability or the endpoint is
    /// closed).
    pub(super) fn fault_call(
        &mut self,
        index: usize,
        at: SlotRef,
        fault: UserFault,
        machine: &mut impl Machine,
    ) -> bool {
        let Some((endpoint, badge)) = self.objects.caps.endpoint(at, Rights::WRITE) else {
            return false;
        };
        if self.objects.endpoints.is_closed(endpoint) {
            return false;
        }
        self.threads[index].fault = Some(fault);
        match self.objects.endpoints.call(
            &mut self.objects.threads,
            endpoint,
            ThreadId(index as u16),
            badge,
        ) {
            Ok(CallOutcome::Delivered { receiver, .. }) => {
                let to = receiver.index();
                self.deliver_fault(index, to, badge, machine);
                self.threads[to].state = ThreadState::Ready;
                self.lend_time(index, to, true);
            }
            Ok(CallOutcome::Blocked) => {}
            Err(_) => {
                self.threads[index].fault = None;
                return false;
            }
        }
        self.threads[index].state = ThreadState::Blocked;
        true
    }

    /// Writes what thread `from` sends while it waits on a fault handler
    /// into the registers (and IPC buffer) of `to`, who received it: a
    /// guest thread's exception, or a page fault for a pager. `false`,
    /// with nothing written, if `from` waits on no fault.
    pub(super) fn deliver_fault(
        &mut self,
        from: usize,
        to: usize,
        badge: u32,
        machine: &mut impl Machine,
    ) -> bool {
        let Some(fault) = self.threads[from].fault else {
            return false;
        };
        if self.threads[from].guest.is_some() {
            self.deliver_exception(from, to, fault, badge, machine);
        } else {
            fault_message(fault, badge).deliver(&mut self.threads[to].context, None);
        }
        self.note_dropped_reply(to);
        true
    }

    /// The handler (`server`) answered thread `caller`'s fault with a
    /// reply that grants `grant` (decoded and checked already): a guest
    /// thread takes the registers the reply gives, a paged thread gets the
    /// frame the reply passes mapped (or its partition is stopped).
    pub(super) fn resolve_fault(
        &mut self,
        server: usize,
        caller: usize,
        grant: Option<GrantDescriptor>,
        machine: &mut impl Machine,
    ) {
        if self.threads[caller].guest.is_some() {
            self.resume_from_exception(server, caller, machine);
        } else {
            self.resolve_page_fault(server, caller, grant, machine);
        }
    }

    /// The pager (`server`) answered thread `caller`'s fault with a reply
    /// that grants `grant` (decoded and checked already: the reply is not
    /// decoded twice): map the frame it sent, or stop the caller's
    /// partition.
    pub(super) fn resolve_page_fault(
        &mut self,
        server: usize,
        caller: usize,
        grant: Option<GrantDescriptor>,
        machine: &mut impl Machine,
    ) {
        let Some(fault) = self.threads[caller].fault.take() else {
            return;
        };
        if self
            .map_pager_frame(server, caller, fault, grant, machine)
            .is_some()
        {
            self.threads[caller].state = ThreadState::Ready;
        } else {
            self.stop_partition_of(caller, fault, machine);
        }
    }

    fn map_pager_frame(
        &mut self,
        server: usize,
        caller: usize,
        fault: UserFault,
        grant: Option<GrantDescriptor>,
        machine: &mut impl Machine,
    ) -> Option<()> {
        let grant = grant?;
        let partition = self.threads[caller].partition as u8;
        let free = self
            .objects
            .caps
            .space(partition)
            .ok()?
            .iter()
            .position(Option::is_none)?;
        let dest = SlotRef::new(partition, free as u16);
        let source = SlotRef::new(self.threads[server].partition as u8, grant.slot.0);
        let cap = *self.objects.caps.get(source).ok()?;
        // The rights the capability in `dest` ends with: a transfer keeps
        // the source's, a derived copy has exactly those asked for (no
        // second look-up of the slot just filled).
        let rights = match grant.kind {
            GrantKind::Transfer => cap.rights,
            GrantKind::DerivedCopy => grant.rights,
            GrantKind::Transient => return None,
        };
        let wanted = rights.intersection(Rights::READ.union(Rights::WRITE));
        let page = fault.fault?.address & !(PAGE_SIZE - 1);
        // Validate, then commit: a capability that could not be mapped
        // there (not a frame, too large, over another mapping) stays with
        // the pager, and the fault stays fatal.
        let landed = Capability { rights, ..cap };
        let map = self
            .check_window_map(partition, &landed, page, wanted)
            .ok()?;
        let global = self.objects.caps.global(dest).ok()?;
        // Point of no return: the capability may move and then be mapped.
        match grant.kind {
            GrantKind::Transfer => {
                if let Some(mapping) = self.objects.mappings.take(source) {
                    super::frames::unmap(
                        self.partitions,
                        &mut self.objects.guests,
                        mapping,
                        machine,
                    );
                }
                let passing = &mut self.objects.passing;
                passing.forget(&mut self.objects.threads, source);
                self.objects.caps.move_cap(source, dest).ok()?;
            }
            _ => self.objects.caps.derive(source, dest, grant.rights).ok()?,
        }
        self.commit_window_map(global, map, machine);
        Some(())
    }
}

pub(super) fn fault_message(fault: UserFault, badge: u32) -> Message {
    let (address, access) = match fault.fault {
        Some(f) => (
            f.address,
            match f.access {
                AccessKind::Read => 0,
                AccessKind::Write => 1,
                AccessKind::Execute => 2,
            },
        ),
        None => (0, 0),
    };
    Message {
        words: [address, access, fault.pc, 0],
        len: 3,
        badge,
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::super::tests::{thread, Rig};
    use super::super::Next;
    use super::*;
    use crate::cap::CapObject;
    use crate::exception::{ExceptionKind, TrapFrame};
    use crate::fault::Fault;
    use crate::machine::tests::FakeMachine;
    use crate::mm::descriptor::L2Entry;
    use crate::partition::PartitionState;
    use boot_info::CapObjectInfo::{Endpoint as Ep, Frame};
    use kernel_abi::cap::{CapSlot, GrantDescriptor};
    use kernel_abi::syscall::Syscall;

    const TABLE: usize = 0x6100_0000;
    const ADDRESS: u32 = GRANT_WINDOW + 0x2010;

    fn fault() -> UserFault {
        UserFault {
            exception: ExceptionKind::DataAbort,
            pc: 0xA040,
            fault: Some(Fault {
                access: AccessKind::Write,
                address: ADDRESS,
                status: 0x807,
            }),
        }
    }

    /// What a run left: the machine, the fault message the pager got,
    /// the client's state, whether it resumed where it faulted, and every
    /// capability the two partitions hold (slot, object).
    struct Outcome {
        m: FakeMachine,
        message: std::vec::Vec<u32>,
        state: PartitionState,
        resumed: Option<usize>,
        caps: std::vec::Vec<(SlotRef, CapObject)>,
    }

    /// A reply granting the pager's slot `slot` as `kind` (a copy with
    /// `rights`).
    fn granting(slot: u16, kind: GrantKind, rights: Rights) -> u32 {
        GrantDescriptor {
            slot: CapSlot(slot),
            kind,
            rights,
        }
        .encode()
    }

    /// Client a has a pager (slot 1); server b pages it, replying with
    /// grant descriptor `grant` (0: none). b holds a two-page frame in
    /// slot 3, a frame it may not read in slot 4 and its endpoint
    /// capability in slot 0.
    fn run(grant: u32) -> Outcome {
        let mut rig = Rig::new(std::vec![thread(0, 1, 0xA000), thread(1, 1, 0xB000)]);
        rig.partitions[0].pager = Some(1);
        let rw = Rights::READ.union(Rights::WRITE).bits();
        let caps = [
            (0, 1, Ep(0), Rights::WRITE.bits(), 9),
            (1, 0, Ep(0), Rights::READ.bits() | Rights::GRANT.bits(), 0),
            (1, 3, Frame(0), rw, 0),
            (1, 4, Frame(1), Rights::WRITE.bits(), 0),
        ];
        let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &caps);
        let mut m = FakeMachine::new(TABLE, 0x1000);
        let mut frame = TrapFrame::default();
        system.cpu_start(&mut frame, &mut m);
        system.cpu_tick(&mut frame, &mut m);
        frame.r[7] = Syscall::Recv as u32;
        frame.r[0] = 0;
        frame.r[6] = 0;
        system.cpu_syscall(&mut frame, &mut m);
        system.cpu_tick(&mut frame, &mut m); // a's window
        frame.r[4] = 0x4444;
        frame.pc = 0xA040;
        assert_eq!(
            system.cpu_fault(&mut frame, fault(), &mut m),
            Next::Idle,
            "the client waits for its pager"
        );
        system.cpu_tick(&mut frame, &mut m); // b's window: the pager has the fault
        let message = std::vec![frame.r[1], frame.r[2], frame.r[3], frame.r[5]];
        frame.r[7] = Syscall::ReplyRecv as u32;
        frame.r[0] = 0;
        frame.r[5] = grant;
        frame.r[6] = 0;
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!(system.check(), Ok(()));
        system.cpu_tick(&mut frame, &mut m); // a's window again
        let resumed = (frame.r[4] == 0x4444 && frame.pc == 0xA040).then_some(0);
        let state = system.partitions()[0].state;
        let mut caps = std::vec::Vec::new();
        system
            .objects
            .caps
            .for_each(|at, cap| caps.push((at, cap.object)));
        Outcome {
            m,
            message,
            state,
            resumed,
            caps,
        }
    }

    #[test]
    fn a_fault_in_the_grant_window_goes_to_the_pager_and_resumes_once_mapped() {
        let Outcome {
            m,
            message,
            state,
            resumed,
            ..
        } = run(granting(3, GrantKind::Transfer, Rights::NONE));
        assert_eq!(
            message,
            [ADDRESS, 1, 0xA040, 9],
            "address, write, pc, badge"
        );
        assert_eq!(state, PartitionState::Running);
        assert_eq!(
            resumed,
            Some(0),
            "same registers, back at the faulting instruction"
        );
        let mut entry = [0u8; 4];
        m.read_phys(TABLE + 2 * 4, &mut entry);
        assert_eq!(
            L2Entry(u32::from_le_bytes(entry)).page(),
            Some(0x6200_0000),
            "the page is mapped"
        );
    }

    #[test]
    fn a_pager_that_sends_no_frame_leaves_the_fault_fatal() {
        assert_eq!(run(0).state, PartitionState::Stopped);
    }

    /// A frame the pager may not read (transferred, or copied without
    /// `READ`), or a capability that is no frame, cannot be mapped at the
    /// fault: the fault stays fatal, as
    /// with no frame, and the pager keeps what it sent — the bug was that
    /// the capability moved (or was copied) into the stopped partition
    /// first and was lost to the pager there.
    #[test]
    fn a_frame_the_fault_cannot_use_stays_with_the_pager() {
        let before = run(0).caps;
        for grant in [
            granting(4, GrantKind::Transfer, Rights::NONE),
            granting(3, GrantKind::DerivedCopy, Rights::WRITE),
            granting(0, GrantKind::Transfer, Rights::NONE),
        ] {
            let outcome = run(grant);
            assert_eq!(outcome.state, PartitionState::Stopped, "{grant:x}");
            assert_eq!(outcome.caps, before, "nothing moved or copied: {grant:x}");
        }
    }
}
