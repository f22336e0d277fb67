//! Giving back what an unanswered call transferred. When a server leaves
//! IPC (its partition stops, or its thread exits) holding the reply to a
//! call that *transferred* a capability, the caller gets `PeerGone` — and,
//! if the capability is still where it landed, still the only authority
//! over what it names and not lent, the capability too: it is unmapped
//! from the server (grant window or guest address space) and moved into
//! the slot the caller sent it from if that is empty, else into the
//! call's receive slot if it offered one and it is empty. Otherwise it
//! stays with the server and the kernel reports that ([`Event`]); never
//! silently.
//!
//! What the caller learns is in its `r6` (`kernel_abi::syscall::Syscall::Call`):
//! every `call` that ends in `PeerGone` says there where the capability it
//! transferred is now, if the caller holds it.
//!
//! Validate, then commit: this runs inside the stop path, so every check
//! comes first and nothing after them can fail. It never gives back a
//! capability the server moved, split, copied or lent on: the server had
//! taken ownership (the record of a moved one ended when it left its slot,
//! [`crate::ipc::passing`]).

use kernel_abi::cap::{CapSlot, GrantDescriptor, GrantKind};
use kernel_abi::syscall::{MessageInfo, Syscall, SyscallError};

use super::System;
use crate::cap::layout::SlotRef;
use crate::cap::table::CapTable;
use crate::cap::CapError;
use crate::ipc::passing::Passed;
use crate::ipc::ThreadId;
use crate::machine::{Event, Machine};
use crate::thread::Thread;

/// Register of the grant descriptor a call passes.
const GRANT_REGISTER: usize = 5;
/// Register of the info word.
const INFO_REGISTER: usize = 6;

/// The `r6` of a call that ended in `PeerGone`: where the capability it
/// transferred is now, if the caller holds it (`None`: it transferred
/// none, or lost it).
pub(super) fn peer_gone_info(held: Option<CapSlot>) -> u32 {
    held.map_or(0, |slot| {
        MessageInfo {
            length: 0,
            granted: Some(GrantKind::Transfer),
            slot: Some(slot),
            buffer: false,
        }
        .encode()
    })
}

/// The slot of the capability `thread`'s call (still undelivered: it
/// never moved) transfers, if it is a call that transfers one.
fn undelivered_transfer(thread: &Thread) -> Option<CapSlot> {
    if thread.context.r[7] != Syscall::Call as u32 {
        return None;
    }
    match GrantDescriptor::decode(thread.context.r[GRANT_REGISTER]) {
        Ok(Some(grant)) if grant.kind == GrantKind::Transfer => Some(grant.slot),
        _ => None,
    }
}

/// Thread `index` of `threads`, in a call that never reached its server,
/// gets `PeerGone`: its `r6` says where the capability it would have
/// transferred is (it never moved), if it still holds it. A thread in
/// another call (a send, a fault, a guest thread's exception) is left
/// alone.
pub(super) fn note_undelivered_call(threads: &mut [Thread], caps: &CapTable<'_>, index: usize) {
    let Some(thread) = threads.get_mut(index) else {
        return;
    };
    let call = thread.context.r[7] == Syscall::Call as u32;
    if !call || thread.guest.is_some() || thread.fault.is_some() {
        return;
    }
    let held = undelivered_transfer(thread).filter(|slot| {
        caps.get(SlotRef::new(thread.partition as u8, slot.0))
            .is_ok()
    });
    thread.context.r[INFO_REGISTER] = peer_gone_info(held);
}

/// Why a transferred capability stayed with the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NotReturned {
    /// Another capability covers what it names (a copy, a split page), or
    /// it has descendants: the server shared it.
    Shared,
    /// It is lent for a call in progress.
    Lent,
    /// The caller's slot it came from is taken and the call offered no
    /// empty receive slot.
    NoEmptySlot,
}

impl NotReturned {
    fn describe(self) -> &'static str {
        match self {
            NotReturned::Shared => "the server shared it (a copy or a split page of it exists)",
            NotReturned::Lent => "it is lent for a call in progress",
            NotReturned::NoEmptySlot => {
                "the slot it came from is taken and the call offered no empty receive slot"
            }
        }
    }
}

impl<'a> System<'a> {
    /// `caller`'s call was answered or abandoned: what it transferred is no
    /// longer its business.
    pub(super) fn end_passed(&mut self, caller: usize) {
        self.objects
            .passing
            .end(&mut self.objects.threads, ThreadId(caller as u16));
    }

    /// The server `server` left IPC without answering `caller`, who still
    /// awaits its reply: gives back the capability the call transferred, if
    /// it can (see the module's doc), and says in which of the caller's
    /// slots it now is. The record ends either way.
    pub(super) fn return_passed(
        &mut self,
        caller: usize,
        server: usize,
        machine: &mut impl Machine,
    ) -> Option<CapSlot> {
        let passed = self
            .objects
            .passing
            .end(&mut self.objects.threads, ThreadId(caller as u16))?;
        let (partition, thread) = (
            &self.partitions[self.threads[caller].partition].name,
            &self.threads[caller].name,
        );
        let server_name = &self.partitions[self.threads[server].partition].name;
        let dest = match self.return_slot(caller, passed) {
            Ok(dest) => dest,
            Err(why) => {
                machine.report(Event::TransferNotReturned {
                    partition,
                    thread,
                    server: server_name,
                    landed: passed.landed.slot.0,
                    reason: why.describe(),
                });
                return None;
            }
        };
        machine.report(Event::TransferReturned {
            partition,
            thread,
            server: server_name,
            slot: dest.slot.0,
        });
        // Point of no return: the capability is in its landing slot, the
        // only authority over what it names, and `dest` is empty.
        if let Some(mapping) = self.objects.mappings.take(passed.landed) {
            super::frames::unmap(self.partitions, &mut self.objects.guests, mapping, machine);
        }
        let moved = self.objects.caps.move_cap(passed.landed, dest);
        debug_assert!(moved.is_ok(), "checked by return_slot");
        Some(dest.slot)
    }

    /// Where the capability `caller` transferred (`passed`) may go back
    /// to, or why it may not.
    fn return_slot(&self, caller: usize, passed: Passed) -> Result<SlotRef, NotReturned> {
        let at = passed.landed;
        if self.objects.lending.is_lent(at) {
            return Err(NotReturned::Lent);
        }
        // A record ends when its capability leaves the slot: it is there.
        if !self.objects.caps.is_sole_authority(at).unwrap_or(false) {
            return Err(NotReturned::Shared);
        }
        let partition = self.threads[caller].partition as u8;
        let empty = |slot: CapSlot| {
            let at = SlotRef::new(partition, slot.0);
            matches!(self.objects.caps.get(at), Err(CapError::EmptySlot)).then_some(at)
        };
        let receive = MessageInfo::decode(self.threads[caller].context.r[INFO_REGISTER])
            .and_then(|info| info.slot);
        empty(CapSlot(passed.from))
            .or_else(|| receive.and_then(empty))
            .ok_or(NotReturned::NoEmptySlot)
    }

    /// Whether `result`, the outcome of thread `index`'s `call`, is
    /// `PeerGone`: then its `r6` says where the capability it would have
    /// transferred is.
    pub(super) fn note_refused_call(&mut self, index: usize, result: &Result<(), SyscallError>) {
        if *result == Err(SyscallError::PeerGone) {
            note_undelivered_call(self.threads, &self.objects.caps, index);
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::super::tests::{thread, Rig};
    use super::super::Next;
    use super::*;
    use crate::exception::TrapFrame;
    use crate::machine::tests::FakeMachine;
    use crate::mm::descriptor::L2Entry;
    use boot_info::CapObjectInfo::{Endpoint as Ep, Frame};
    use kernel_abi::cap::Rights;
    use kernel_abi::user_layout::GRANT_WINDOW;
    use std::vec::Vec;

    const RW: u32 = Rights::READ.bits() | Rights::WRITE.bits();
    const RWG: u32 = RW | Rights::GRANT.bits();
    /// The grant-window table every rig partition shares.
    const TABLE: usize = 0x6100_0000;
    /// Where the server maps what it gets.
    const AT: u32 = GRANT_WINDOW + 0x3000;
    /// The client's frame (boot frame 1, one page), endpoint, spare frame
    /// and receive slot; the server's receive slot.
    const FRAME: u16 = 3;
    const SPARE: u16 = 6;
    const RECEIVE: u16 = 4;
    const LANDS: u16 = 5;
    const CLIENT: usize = 0;
    const SERVER: usize = 1;
    const SERVER_PARTITION: usize = 2;

    /// Client a (partition 0: its frame in slot 3, another in slot 6,
    /// the server's endpoint in slot 0) and a passive server s (partition
    /// 2: receives on endpoint 0 in slot 0 into slot 5; endpoint 1 in slot
    /// 1 leads to a second receiver, b's thread). `frame` is the CPU's
    /// registers, as the rig's `cpu_*` calls use them.
    struct Test {
        frame: TrapFrame,
        m: FakeMachine,
    }

    const WG: u32 = Rights::WRITE.bits() | Rights::GRANT.bits();
    const CAPS: [(u8, u16, boot_info::CapObjectInfo, u32, u32); 6] = [
        (0, FRAME, Frame(1), RWG, 0),
        (0, SPARE, Frame(0), RWG, 0),
        (0, 0, Ep(0), WG, 1),
        (2, 0, Ep(0), Rights::READ.bits(), 0),
        (2, 1, Ep(1), RWG, 0),
        (1, 0, Ep(1), Rights::READ.bits(), 0),
    ];

    fn rig() -> Rig {
        Rig::new(std::vec![
            thread(0, 1, 0xA000),
            thread(2, 5, 0x5000),
            thread(1, 1, 0xB000),
        ])
        .with_passive_server()
    }

    fn syscall(frame: &mut TrapFrame, call: Syscall, r: [u32; 3]) {
        frame.r[7] = call as u32;
        frame.r[..3].copy_from_slice(&r);
        frame.r[5] = 0;
        frame.r[6] = 0;
    }

    fn receive_into(slot: u16) -> u32 {
        MessageInfo {
            buffer: false,
            length: 1,
            granted: None,
            slot: Some(CapSlot(slot)),
        }
        .encode()
    }

    fn transfer(slot: u16) -> u32 {
        GrantDescriptor {
            slot: CapSlot(slot),
            kind: GrantKind::Transfer,
            rights: Rights::NONE,
        }
        .encode()
    }

    fn slot(p: u8, s: u16) -> SlotRef {
        SlotRef::new(p, s)
    }

    impl Test {
        /// The server waits; the client calls, transferring its frame and
        /// offering `receive` for the reply's; the server runs with it.
        fn start(system: &mut System<'_>, receive: Option<u16>) -> Test {
            let mut t = Test {
                frame: TrapFrame::default(),
                m: FakeMachine::new(TABLE, 0x1000),
            };
            assert_eq!(
                system.cpu_start(&mut t.frame, &mut t.m),
                Next::Partition(SERVER_PARTITION)
            );
            syscall(&mut t.frame, Syscall::Recv, [0, 0, 0]);
            t.frame.r[6] = receive_into(LANDS);
            assert_eq!(
                system.cpu_syscall(&mut t.frame, &mut t.m),
                Next::Partition(CLIENT)
            );
            syscall(&mut t.frame, Syscall::Call, [0, 7, 0]);
            t.frame.r[5] = transfer(FRAME);
            t.frame.r[6] = receive.map_or(1, receive_into);
            assert_eq!(
                system.cpu_syscall(&mut t.frame, &mut t.m),
                Next::Partition(SERVER_PARTITION),
                "the passive server runs the call"
            );
            let info = MessageInfo::decode(t.frame.r[6]).unwrap();
            assert_eq!(
                (info.granted, info.slot),
                (Some(GrantKind::Transfer), Some(CapSlot(LANDS)))
            );
            assert!(system.objects.caps.get(slot(0, FRAME)).is_err());
            assert_eq!(system.check(), Ok(()));
            t
        }

        fn server_call(&mut self, system: &mut System<'_>, call: Syscall, r: [u32; 3]) -> u32 {
            syscall(&mut self.frame, call, r);
            system.cpu_syscall(&mut self.frame, &mut self.m);
            self.frame.r[0]
        }

        /// What the client found when it woke: `r0` and where `r6` says
        /// its frame is.
        fn client_result(system: &System<'_>) -> (u32, Option<(CapSlot, GrantKind)>) {
            let context = &system.threads[CLIENT].context;
            let info = MessageInfo::decode(context.r[6]).unwrap();
            (context.r[0], info.slot.zip(info.granted))
        }

        fn events(&self, word: &str) -> Vec<&std::string::String> {
            self.m.events.iter().filter(|e| e.contains(word)).collect()
        }
    }

    fn frame_cap(system: &System<'_>, at: SlotRef) -> Option<crate::cap::CapObject> {
        system.objects.caps.get(at).ok().map(|c| c.object)
    }

    const PEER_GONE: u32 = SyscallError::PeerGone as u32;

    #[test]
    fn a_stopped_server_gives_the_frame_back_to_the_empty_slot_it_came_from() {
        let mut rig = rig();
        let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &CAPS);
        let mut t = Test::start(&mut system, Some(RECEIVE));
        let object = frame_cap(&system, slot(2, LANDS));
        system.stop_partition(SERVER_PARTITION, &mut t.m);
        assert_eq!(
            system.threads[CLIENT].state,
            crate::thread::ThreadState::Ready
        );
        assert_eq!(
            Test::client_result(&system),
            (PEER_GONE, Some((CapSlot(FRAME), GrantKind::Transfer))),
            "PeerGone, and r6 says the frame is back in slot 3"
        );
        assert_eq!(frame_cap(&system, slot(0, FRAME)), object);
        assert_eq!(frame_cap(&system, slot(2, LANDS)), None);
        assert_eq!(system.objects.threads.passed(ThreadId(CLIENT as u16)), None);
        assert_eq!(t.events("TransferReturned").len(), 1);
        assert_eq!(system.check(), Ok(()));
    }

    #[test]
    fn a_frame_the_server_mapped_is_unmapped_from_it_as_it_goes_back() {
        let mut rig = rig();
        let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &CAPS);
        let mut t = Test::start(&mut system, None);
        assert_eq!(
            t.server_call(&mut system, Syscall::FrameMap, [u32::from(LANDS), AT, RW]),
            0
        );
        let entry = |m: &FakeMachine| {
            let mut bytes = [0; 4];
            m.read_phys(
                TABLE + ((AT - GRANT_WINDOW) / 4096) as usize * 4,
                &mut bytes,
            );
            L2Entry(u32::from_le_bytes(bytes))
        };
        assert!(entry(&t.m).page().is_some(), "the server sees the page");
        system.stop_partition(SERVER_PARTITION, &mut t.m);
        assert_eq!(entry(&t.m).page(), None, "and no longer");
        let asid = system.partitions[SERVER_PARTITION].asid;
        assert!(t.m.tlb_invalidations.contains(&(asid, AT)));
        assert!(system.objects.mappings.get(slot(0, FRAME)).is_none());
        assert_eq!(
            Test::client_result(&system).1,
            Some((CapSlot(FRAME), GrantKind::Transfer))
        );
        // The client can map it again.
        system.cpu_tick(&mut t.frame, &mut t.m);
        while system.current_thread() != Some(CLIENT) {
            system.cpu_tick(&mut t.frame, &mut t.m);
        }
        syscall(&mut t.frame, Syscall::FrameMap, [u32::from(FRAME), AT, RW]);
        system.cpu_syscall(&mut t.frame, &mut t.m);
        assert_eq!(t.frame.r[0], 0);
        assert_eq!(system.check(), Ok(()));
    }

    #[test]
    fn a_taken_slot_sends_the_frame_to_the_receive_slot_and_no_empty_slot_keeps_it_reported() {
        for receive in [Some(RECEIVE), None] {
            let mut rig = rig();
            let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &CAPS);
            let mut t = Test::start(&mut system, receive);
            // Meanwhile the client's slot 3 was filled (as another thread's
            // cap_copy would).
            let rw = Rights::READ.union(Rights::WRITE);
            system
                .objects
                .caps
                .derive(slot(0, SPARE), slot(0, FRAME), rw)
                .unwrap();
            system.stop_partition(SERVER_PARTITION, &mut t.m);
            let (r0, info) = Test::client_result(&system);
            assert_eq!(r0, PEER_GONE);
            match receive {
                Some(receive) => {
                    assert_eq!(info, Some((CapSlot(receive), GrantKind::Transfer)));
                    assert!(frame_cap(&system, slot(0, receive)).is_some());
                    assert!(frame_cap(&system, slot(2, LANDS)).is_none());
                }
                None => {
                    assert_eq!(info, None, "r6 says the frame did not come back");
                    assert!(frame_cap(&system, slot(2, LANDS)).is_some(), "it stays");
                    let kept = t.events("TransferNotReturned");
                    assert_eq!(kept.len(), 1, "reported, never silently");
                    assert!(kept[0].contains("no empty receive slot"), "{kept:?}");
                }
            }
            assert_eq!(system.check(), Ok(()));
        }
    }

    #[test]
    fn a_frame_the_server_copied_or_split_stays_with_it_reported() {
        for call in [Syscall::CapCopy, Syscall::FrameSplit] {
            let mut rig = rig();
            let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &CAPS);
            let mut t = Test::start(&mut system, Some(RECEIVE));
            let args = match call {
                Syscall::CapCopy => [u32::from(LANDS), 7, RW],
                _ => [u32::from(LANDS), 0, 7],
            };
            assert_eq!(t.server_call(&mut system, call, args), 0, "{call:?}");
            system.stop_partition(SERVER_PARTITION, &mut t.m);
            assert_eq!(Test::client_result(&system), (PEER_GONE, None), "{call:?}");
            assert!(frame_cap(&system, slot(2, LANDS)).is_some());
            assert!(frame_cap(&system, slot(0, FRAME)).is_none());
            let kept = t.events("TransferNotReturned");
            assert_eq!(kept.len(), 1);
            assert!(kept[0].contains("shared"), "{kept:?}");
            assert_eq!(system.check(), Ok(()));
        }
    }

    #[test]
    fn a_frame_the_server_deleted_or_handed_on_is_its_own_and_nothing_comes_back() {
        for hand_on in [false, true] {
            let mut rig = rig();
            let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &CAPS);
            let mut t = Test::start(&mut system, Some(RECEIVE));
            if hand_on {
                // b waits on endpoint 1 (set up directly: its window is
                // not the point); the server sends it the frame, then
                // copies its endpoint capability into the emptied slot,
                // which must not go to the client at the stop.
                system.threads[2].state = crate::thread::ThreadState::Blocked;
                let id = ThreadId(2);
                let objects = &mut system.objects;
                let waiting =
                    objects
                        .endpoints
                        .recv(&mut objects.threads, crate::cap::EndpointId(1), id);
                assert!(waiting.is_ok());
                system.threads[2].context.r[6] = receive_into(2);
                syscall(&mut t.frame, Syscall::Send, [1, 0, 0]);
                t.frame.r[5] = transfer(LANDS);
                system.cpu_syscall(&mut t.frame, &mut t.m);
                assert_eq!(t.frame.r[0], 0);
                assert!(frame_cap(&system, slot(1, 2)).is_some(), "b has it");
                assert_eq!(
                    t.server_call(&mut system, Syscall::CapCopy, [1, u32::from(LANDS), RW]),
                    0
                );
            } else {
                assert_eq!(
                    t.server_call(&mut system, Syscall::CapDelete, [u32::from(LANDS), 0, 0]),
                    0
                );
            }
            assert_eq!(system.objects.threads.passed(ThreadId(CLIENT as u16)), None);
            assert_eq!(system.check(), Ok(()));
            system.stop_partition(SERVER_PARTITION, &mut t.m);
            assert_eq!(Test::client_result(&system), (PEER_GONE, None));
            assert!(frame_cap(&system, slot(0, FRAME)).is_none());
            assert!(t.events("Transfer").is_empty(), "nothing was recorded");
            assert_eq!(system.check(), Ok(()));
        }
    }

    #[test]
    fn a_reply_before_the_stop_ends_the_record_whatever_it_passes() {
        for give_back in [false, true] {
            let mut rig = rig();
            let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &CAPS);
            let mut t = Test::start(&mut system, Some(RECEIVE));
            syscall(&mut t.frame, Syscall::ReplyRecv, [0, 1, 0]);
            if give_back {
                t.frame.r[5] = transfer(LANDS);
            }
            t.frame.r[6] = receive_into(LANDS + 1);
            system.cpu_syscall(&mut t.frame, &mut t.m);
            assert_eq!(system.objects.threads.passed(ThreadId(CLIENT as u16)), None);
            assert_eq!(system.check(), Ok(()));
            let (client_has, server_has) = (
                frame_cap(&system, slot(0, RECEIVE)).is_some(),
                frame_cap(&system, slot(2, LANDS)).is_some(),
            );
            assert_eq!((client_has, server_has), (give_back, !give_back));
            system.stop_partition(SERVER_PARTITION, &mut t.m);
            assert!(t.events("Transfer").is_empty());
            assert_eq!(frame_cap(&system, slot(0, RECEIVE)).is_some(), give_back);
            assert!(frame_cap(&system, slot(0, FRAME)).is_none());
            assert_eq!(system.check(), Ok(()));
        }
    }

    #[test]
    fn a_caller_stopped_first_leaves_its_frame_with_the_server() {
        let mut rig = rig();
        let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &CAPS);
        let mut t = Test::start(&mut system, Some(RECEIVE));
        system.stop_partition(CLIENT, &mut t.m);
        assert_eq!(system.objects.threads.passed(ThreadId(CLIENT as u16)), None);
        assert_eq!(system.check(), Ok(()));
        // The reply is dropped; the server keeps the frame, and its own
        // stop later gives nothing to anyone.
        syscall(&mut t.frame, Syscall::ReplyRecv, [0, 1, 0]);
        t.frame.r[5] = transfer(LANDS);
        t.frame.r[6] = receive_into(LANDS + 1);
        system.cpu_syscall(&mut t.frame, &mut t.m);
        assert!(frame_cap(&system, slot(2, LANDS)).is_some());
        assert!(system.threads[SERVER].reply_dropped);
        system.stop_partition(SERVER_PARTITION, &mut t.m);
        assert!(t.events("Transfer").is_empty());
        assert!(frame_cap(&system, slot(2, LANDS)).is_some());
        assert!(frame_cap(&system, slot(0, FRAME)).is_none());
        assert_eq!(system.check(), Ok(()));
    }

    #[test]
    fn a_server_thread_that_exits_mid_call_gives_the_frame_back_too() {
        let mut rig = rig();
        let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &CAPS);
        let mut t = Test::start(&mut system, Some(RECEIVE));
        syscall(&mut t.frame, Syscall::ThreadExit, [0, 0, 0]);
        system.cpu_syscall(&mut t.frame, &mut t.m);
        assert_eq!(
            Test::client_result(&system),
            (PEER_GONE, Some((CapSlot(FRAME), GrantKind::Transfer)))
        );
        assert!(frame_cap(&system, slot(0, FRAME)).is_some());
        assert_eq!(system.check(), Ok(()));
    }

    #[test]
    fn a_call_that_never_reached_the_server_says_its_frame_never_moved() {
        // The server never waits: the client's call queues, then the
        // server's stop closes the endpoint.
        let mut rig = Rig::new(std::vec![thread(0, 1, 0xA000), thread(1, 1, 0xB000)]);
        let wg = Rights::WRITE.bits() | Rights::GRANT.bits();
        let caps = [
            (0, FRAME, Frame(1), RWG, 0),
            (0, 0, Ep(0), wg, 1),
            (1, 0, Ep(0), Rights::READ.bits(), 0),
        ];
        let mut system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &caps);
        let mut m = FakeMachine::new(TABLE, 0x1000);
        let mut frame = TrapFrame::default();
        system.cpu_start(&mut frame, &mut m);
        syscall(&mut frame, Syscall::Call, [0, 7, 0]);
        frame.r[5] = transfer(FRAME);
        frame.r[6] = receive_into(RECEIVE);
        system.cpu_syscall(&mut frame, &mut m);
        system.stop_partition(1, &mut m);
        assert_eq!(
            Test::client_result(&system),
            (PEER_GONE, Some((CapSlot(FRAME), GrantKind::Transfer)))
        );
        // Called again, it is refused at once, and says the same.
        system.cpu_tick(&mut frame, &mut m);
        while system.current_thread() != Some(0) {
            system.cpu_tick(&mut frame, &mut m);
        }
        syscall(&mut frame, Syscall::Call, [0, 7, 0]);
        frame.r[5] = transfer(FRAME);
        frame.r[6] = receive_into(RECEIVE);
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!(frame.r[0], PEER_GONE);
        let info = MessageInfo::decode(frame.r[6]).unwrap();
        assert_eq!(
            (info.slot, info.granted),
            (Some(CapSlot(FRAME)), Some(GrantKind::Transfer))
        );
        // A call that transferred nothing says nothing.
        syscall(&mut frame, Syscall::Call, [0, 7, 0]);
        frame.r[6] = receive_into(RECEIVE);
        system.cpu_syscall(&mut frame, &mut m);
        assert_eq!((frame.r[0], frame.r[6]), (PEER_GONE, 0));
        assert_eq!(system.check(), Ok(()));
    }
}
