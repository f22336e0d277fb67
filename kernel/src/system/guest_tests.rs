//! Host tests of guest kernels: address spaces (map, unmap, reset, the
//! page-table budget), thread control (bind, priority, registers, resume,
//! suspend), exception IPC (a guest thread's `svc`, page fault and
//! undefined instruction as messages, and the replies that resume or
//! suspend it), revocation reaching guest mappings, and what stopping or
//! finishing the guest partition leaves. Every error a guest kernel can
//! get from these calls is provoked here, and after every step the
//! kernel's invariants ([`System::check`]) and the page tables themselves
//! ([`crate::mm::guest_space`]'s records against the entries) must hold.
//!
//! The rig: partition `a` (index 0) is the guest kernel — one thread of
//! priority 5, an endpoint it receives exceptions on, a two-page frame
//! with every right, a read-only page — with a budget of three address
//! spaces, three guest threads and three page tables; partition `b` has one
//! thread and an endpoint of its own.

extern crate std;

use boot_info::CapObjectInfo::{Endpoint as Ep, Frame};
use boot_info::GuestBudget;
use kernel_abi::cap::Rights;
use kernel_abi::guest::{ExceptionHeader, ExceptionKind, FaultAccess, PC, REGISTER_BYTES, SP};
use kernel_abi::syscall::{MessageInfo, Syscall, SyscallError};
use std::vec::Vec;

use super::tests::{thread, Rig, GUEST_RAM, GUEST_RAM_SIZE};
use super::{Next, System};
use crate::cap::layout::SlotRef;
use crate::cap::SpaceId;
use crate::exception::{ExceptionKind as Vector, TrapFrame};
use crate::fault::{AccessKind, Fault, FaultKind, Level};
use crate::machine::tests::FakeMachine;
use crate::machine::{Machine, UserFault};
use crate::mm::descriptor::{L2Entry, SmallPageBits};
use crate::mm::user_space::{Region, Rights as RegionRights};
use crate::partition::PartitionState;
use crate::thread::ThreadState;

const KERNEL_PC: u32 = 0xA000;
const OTHER_PC: u32 = 0xB000;
const PROCESS_PC: u32 = 0x8000;
const PROCESS_SP: u32 = 0x4_0000;

const READ: u32 = Rights::READ.bits();
const RW: u32 = Rights::READ.bits() | Rights::WRITE.bits();
const RX: u32 = Rights::READ.bits() | Rights::EXECUTE.bits();
const RWX: u32 = RW | Rights::EXECUTE.bits();
const ALL: u32 = Rights::ALL.bits();

/// The guest kernel's endpoint (it receives exceptions on it), badge 77.
const ENDPOINT: u32 = 0;
const BADGE: u32 = 77;
/// Its two-page frame (at 0x6200_0000), with every right.
const FRAME: u32 = 3;
/// Its read-only one-page frame (at 0x6201_0000).
const READ_ONLY: u32 = 4;
/// `b`'s endpoint.
const B_ENDPOINT: u32 = 0;

const BUDGET: GuestBudget = GuestBudget {
    address_spaces: 3,
    threads: 3,
    page_tables: 3,
    first_slot: 10,
};

/// The slot of address space `k`'s capability.
fn space(k: u16) -> u32 {
    u32::from(BUDGET.space_slot(k))
}

/// The slot of guest thread `k`'s capability.
fn guest(k: u16) -> u32 {
    u32::from(BUDGET.thread_slot(k))
}

/// Guest thread `k`'s index in the thread table (after `a`'s and `b`'s).
fn index(k: u16) -> usize {
    2 + usize::from(k)
}

/// The guest kernel's IPC buffer, and the page of its own memory it passes
/// register frames in (at virtual `REGISTERS_VA`).
const KERNEL_BUFFER: usize = GUEST_RAM + 0x1_0000;
const REGISTERS_PA: usize = GUEST_RAM + 0x1_1000;
const REGISTERS_VA: u32 = 0x10_0000;

fn rig() -> Rig {
    let mut rig =
        Rig::new(std::vec![thread(0, 5, KERNEL_PC), thread(1, 1, OTHER_PC)]).with_guest(0, BUDGET);
    rig.threads[0].ipc_buffer = KERNEL_BUFFER;
    let page = Region::ram(REGISTERS_VA, 0x1000, REGISTERS_PA, RegionRights::ReadWrite);
    rig.partitions[0].space.add(page).unwrap();
    rig
}

const CAPS: [(u8, u16, boot_info::CapObjectInfo, u32, u32); 4] = [
    (0, 0, Ep(0), RW, BADGE),
    (0, 3, Frame(0), ALL, 0),
    (0, 4, Frame(1), READ, 0),
    (1, 0, Ep(1), ALL, 0),
];

/// A running rig: the system, the registers the CPU runs with, the
/// machine.
struct Guest<'r> {
    system: System<'r>,
    frame: TrapFrame,
    m: FakeMachine,
}

impl<'r> Guest<'r> {
    fn start(rig: &'r mut Rig) -> Guest<'r> {
        let system = rig.system_with_caps(&[(0, 1), (1, 1)], 0, &CAPS);
        let mut guest = Guest {
            system,
            frame: TrapFrame::default(),
            m: FakeMachine::new(GUEST_RAM, GUEST_RAM_SIZE),
        };
        assert_eq!(
            guest.system.cpu_start(&mut guest.frame, &mut guest.m),
            Next::Partition(0)
        );
        assert_eq!(guest.frame.pc, KERNEL_PC, "the guest kernel runs first");
        guest
    }

    fn check(&self) {
        self.system.check().unwrap();
        self.system.objects.guests.check_tables(&self.m).unwrap();
    }

    /// The running thread makes `call` with `args` in r0..; returns r0.
    fn call(&mut self, call: Syscall, args: &[u32]) -> u32 {
        self.frame.r[..args.len()].copy_from_slice(args);
        self.frame.r[7] = call as u32;
        self.system.cpu_syscall(&mut self.frame, &mut self.m);
        self.check();
        self.frame.r[0]
    }

    fn expect(&mut self, call: Syscall, args: &[u32], error: SyscallError) {
        let code = self.call(call, args);
        assert_eq!(code, error as u32, "{call:?} {args:x?}");
    }

    fn ok(&mut self, call: Syscall, args: &[u32]) {
        let code = self.call(call, args);
        assert_eq!(
            code,
            0,
            "{call:?} {args:x?}: {:?}",
            SyscallError::from_code(code)
        );
    }

    /// Writes `words` as the register frame the guest kernel passes.
    fn put_registers(&mut self, pc: u32, sp: u32) {
        let mut bytes = [0u8; REGISTER_BYTES as usize];
        let mut words = [0u32; 17];
        words[PC] = pc;
        words[SP] = sp;
        words[16] = 0x10;
        for (chunk, word) in bytes.chunks_exact_mut(4).zip(words) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        self.m.write_phys(REGISTERS_PA, &bytes);
    }

    /// Starts guest thread `k` in address space `s` at the process entry.
    fn launch(&mut self, k: u16, s: u16) {
        self.put_registers(PROCESS_PC, PROCESS_SP);
        self.ok(Syscall::ThreadWriteRegisters, &[guest(k), REGISTERS_VA]);
        self.ok(Syscall::ThreadBind, &[guest(k), space(s), ENDPOINT]);
        self.ok(Syscall::ThreadSetPriority, &[guest(k), 3]);
        self.ok(Syscall::ThreadResume, &[guest(k)]);
    }

    /// The guest kernel waits for an exception; the next thing runs.
    fn receive(&mut self) -> Next {
        self.frame.r[0] = ENDPOINT;
        self.frame.r[6] = 0;
        self.frame.r[7] = Syscall::Recv as u32;
        let next = self.system.cpu_syscall(&mut self.frame, &mut self.m);
        self.check();
        next
    }

    /// The guest kernel replies `words` (with its IPC buffer if `buffer`),
    /// then waits again; returns r0 and what runs next.
    fn reply(&mut self, words: &[u32], buffer: bool) -> (u32, Next) {
        self.frame.r[0] = ENDPOINT;
        self.frame.r[1..1 + words.len()].copy_from_slice(words);
        self.frame.r[5] = 0;
        self.frame.r[6] = MessageInfo {
            buffer,
            length: words.len() as u8,
            granted: None,
            slot: None,
        }
        .encode();
        self.frame.r[7] = Syscall::ReplyRecv as u32;
        let next = self.system.cpu_syscall(&mut self.frame, &mut self.m);
        self.check();
        (self.frame.r[0], next)
    }

    fn state(&self, k: u16) -> ThreadState {
        self.system.threads[index(k)].state
    }

    /// The page the entry for `va` in address space `s` maps, and its bits.
    fn page(&self, s: u16, va: u32) -> Option<(usize, SmallPageBits)> {
        let guests = &self.system.objects.guests;
        guests.owner_at(SpaceId(s), va, &self.m)?;
        let pool = guests.pool();
        let (table, _) = pool
            .tables_of(SpaceId(s))
            .find(|(_, used)| usize::from(used.section) == va as usize >> 20)?;
        let mut bytes = [0u8; 4];
        let entry = pool.address(table) + ((va as usize >> 12) & 0xFF) * 4;
        self.m.read_phys(entry, &mut bytes);
        let entry = L2Entry(u32::from_le_bytes(bytes));
        Some((entry.page()?, entry.bits()))
    }

    /// The 17 registers the guest kernel found in its IPC buffer.
    fn buffer_registers(&self) -> (u32, Vec<u32>) {
        let mut bytes = [0u8; 4 + REGISTER_BYTES as usize];
        self.m.read_phys(KERNEL_BUFFER, &mut bytes);
        let words: Vec<u32> = bytes
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        (words[0], words[1..].to_vec())
    }
}

fn user_fault(vector: Vector, pc: u32, fault: Option<Fault>) -> UserFault {
    UserFault {
        exception: vector,
        pc,
        fault,
    }
}

fn write_fault(address: u32) -> Option<Fault> {
    let fault = Fault {
        access: AccessKind::Write,
        address,
        status: 0x805,
    };
    assert_eq!(fault.kind(), FaultKind::Translation(Level::First));
    Some(fault)
}

#[test]
fn a_guest_kernel_maps_its_frames_into_an_address_space_with_the_rights_it_asks() {
    let mut rig = rig();
    let mut g = Guest::start(&mut rig);
    g.ok(Syscall::SpaceMap, &[space(0), FRAME, 0x40_0000, RX]);
    let (page, bits) = g.page(0, 0x40_1000).unwrap();
    assert_eq!(page, 0x6200_1000, "both pages of the frame");
    assert!(!bits.contains(SmallPageBits::XN), "executable");
    assert!(bits.contains(SmallPageBits::AP2), "read only");
    assert!(bits.contains(SmallPageBits::NG), "tagged with the ASID");
    assert_eq!(g.page(1, 0x40_0000), None, "only in that space");
    g.ok(Syscall::FrameUnmap, &[FRAME]);
    assert_eq!(g.page(0, 0x40_0000), None, "frame_unmap reaches it too");
    let asid = g.system.objects.guests.get(SpaceId(0)).unwrap().asid;
    assert!(g.m.tlb_invalidations.contains(&(asid, 0x40_1000)));
    g.ok(Syscall::SpaceMap, &[space(0), FRAME, 0x40_0000, RW]);
    let (_, bits) = g.page(0, 0x40_0000).unwrap();
    assert!(bits.contains(SmallPageBits::XN) && !bits.contains(SmallPageBits::AP2));
}

#[test]
fn bad_mappings_are_refused_and_change_nothing() {
    let mut rig = rig();
    let mut g = Guest::start(&mut rig);
    let before = g.m.memory.clone();
    let bad: [(&[u32], SyscallError); 12] = [
        (
            &[space(0), FRAME, 0x40_0000, RWX],
            SyscallError::InvalidArgument,
        ),
        (
            &[space(0), FRAME, 0x40_0000, Rights::WRITE.bits()],
            SyscallError::InvalidArgument,
        ),
        (
            &[space(0), FRAME, 0x40_0000, RW | Rights::GRANT.bits()],
            SyscallError::InvalidArgument,
        ),
        (
            &[space(0), READ_ONLY, 0x40_0000, RW],
            SyscallError::MissingRights,
        ),
        (&[space(0), FRAME, 0x40_0800, RW], SyscallError::Unaligned),
        (
            &[space(0), FRAME, 0x7FFF_F000, RW],
            SyscallError::KernelAddress,
        ),
        (
            &[space(0), FRAME, 0xC000_0000, RW],
            SyscallError::KernelAddress,
        ),
        (&[space(0), 9, 0x40_0000, RW], SyscallError::EmptySlot),
        (
            &[space(0), ENDPOINT, 0x40_0000, RW],
            SyscallError::WrongType,
        ),
        (&[FRAME, FRAME, 0x40_0000, RW], SyscallError::WrongType),
        (
            &[space(0), guest(0), 0x40_0000, RW],
            SyscallError::WrongType,
        ),
        (
            &[space(0), 0xFFFF, 0x40_0000, RW],
            SyscallError::InvalidArgument,
        ),
    ];
    for (args, error) in bad {
        g.expect(Syscall::SpaceMap, args, error);
    }
    assert_eq!(g.m.memory, before, "no table was touched");
    g.ok(Syscall::SpaceMap, &[space(0), READ_ONLY, 0x40_0000, READ]);
    g.expect(
        Syscall::SpaceMap,
        &[space(1), READ_ONLY, 0x50_0000, READ],
        SyscallError::SlotOccupied,
    );
    g.ok(Syscall::CapCopy, &[READ_ONLY, 5, READ]);
    g.expect(
        Syscall::SpaceMap,
        &[space(0), 5, 0x40_0000, READ],
        SyscallError::SlotOccupied,
    );
    g.ok(Syscall::CapRevoke, &[READ_ONLY]);
    g.expect(
        Syscall::SpaceMap,
        &[space(1), 5, 0x50_0000, READ],
        SyscallError::EmptySlot,
    );
}

#[test]
fn the_page_table_budget_runs_out_with_an_error_and_a_reset_gives_it_back() {
    let mut rig = rig();
    let mut g = Guest::start(&mut rig);
    for (slot, page) in [(5, 0), (6, 1)] {
        g.ok(Syscall::FrameSplit, &[FRAME, page, slot]);
    }
    g.ok(Syscall::CapCopy, &[READ_ONLY, 7, READ]);
    g.ok(Syscall::SpaceMap, &[space(0), 5, 0x0010_0000, RW]);
    g.ok(Syscall::SpaceMap, &[space(1), 6, 0x0010_0000, RW]);
    g.ok(Syscall::SpaceMap, &[space(2), READ_ONLY, 0x0010_0000, READ]);
    assert_eq!(g.system.objects.guests.pool().free_count(0), 0);
    let before = g.m.memory.clone();
    g.expect(
        Syscall::SpaceMap,
        &[space(0), 7, 0x0020_0000, READ],
        SyscallError::NoPageTable,
    );
    assert_eq!(g.m.memory, before, "nothing written");
    g.ok(Syscall::SpaceMap, &[space(0), 7, 0x0010_1000, READ]);
    g.ok(Syscall::SpaceReset, &[space(0)]);
    assert_eq!(g.page(0, 0x0010_0000), None);
    assert_eq!(g.page(0, 0x0010_1000), None);
    assert_eq!(g.system.objects.guests.pool().free_count(0), 1);
    let asid = g.system.objects.guests.get(SpaceId(0)).unwrap().asid;
    assert_eq!(g.m.asid_resets, [asid]);
    assert!(
        g.system.objects.mappings.get(SlotRef::new(0, 5)).is_none(),
        "the capability may be mapped again"
    );
    g.ok(Syscall::SpaceMap, &[space(2), 5, 0x0020_0000, RW]);
    g.expect(Syscall::SpaceReset, &[FRAME], SyscallError::WrongType);
}

#[test]
fn unmapping_a_range_takes_whole_mappings_and_refuses_to_cut_one() {
    let mut rig = rig();
    let mut g = Guest::start(&mut rig);
    g.ok(Syscall::SpaceMap, &[space(0), FRAME, 0x40_0000, RW]);
    g.ok(Syscall::SpaceMap, &[space(0), READ_ONLY, 0x40_3000, READ]);
    g.expect(
        Syscall::SpaceUnmap,
        &[space(0), 0x40_1000, 4],
        SyscallError::InvalidArgument,
    );
    assert!(g.page(0, 0x40_1000).is_some(), "refused whole");
    g.expect(
        Syscall::SpaceUnmap,
        &[space(0), 0x40_0010, 1],
        SyscallError::Unaligned,
    );
    g.expect(
        Syscall::SpaceUnmap,
        &[space(0), 0x40_0000, 0],
        SyscallError::InvalidArgument,
    );
    g.expect(
        Syscall::SpaceUnmap,
        &[space(0), 0x7FFF_F000, 2],
        SyscallError::KernelAddress,
    );
    g.ok(Syscall::SpaceUnmap, &[space(0), 0x40_3000, 1]);
    assert_eq!(g.page(0, 0x40_3000), None, "one page");
    assert!(g.page(0, 0x40_0000).is_some());
    g.ok(Syscall::SpaceUnmap, &[space(0), 0, 0x8_0000]);
    assert_eq!(g.page(0, 0x40_0000), None, "the whole of user space");
    g.ok(Syscall::SpaceMap, &[space(1), FRAME, 0x40_0000, RW]);
}

#[test]
fn only_the_owning_partition_uses_an_address_space_or_a_guest_thread() {
    let mut rig = rig();
    let mut g = Guest::start(&mut rig);
    let caps = &mut g.system.objects.caps;
    // As a grant would, give `b` copies of `a`'s capabilities.
    let rw = Rights::READ.union(Rights::WRITE);
    caps.derive(SlotRef::new(0, space(0) as u16), SlotRef::new(1, 5), rw)
        .unwrap();
    caps.derive(SlotRef::new(0, guest(0) as u16), SlotRef::new(1, 6), rw)
        .unwrap();
    caps.derive(
        SlotRef::new(0, FRAME as u16),
        SlotRef::new(1, 7),
        Rights::ALL,
    )
    .unwrap();
    g.system.cpu_tick(&mut g.frame, &mut g.m);
    assert_eq!(g.frame.pc, OTHER_PC, "b runs");
    g.expect(
        Syscall::SpaceMap,
        &[5, 7, 0x40_0000, RW],
        SyscallError::WrongPartition,
    );
    g.expect(Syscall::SpaceReset, &[5], SyscallError::WrongPartition);
    g.expect(Syscall::ThreadResume, &[6], SyscallError::WrongPartition);
    g.expect(Syscall::ThreadSuspend, &[6], SyscallError::WrongPartition);
    g.expect(
        Syscall::ThreadReadRegisters,
        &[6, REGISTERS_VA],
        SyscallError::WrongPartition,
    );
    g.system.cpu_tick(&mut g.frame, &mut g.m);
    assert_eq!(g.frame.pc, KERNEL_PC);
    // `a` cannot bind its thread to a space it does not own either: a
    // space capability of `b`'s would be one of another partition's.
    g.system
        .objects
        .guests
        .space_mut(SpaceId(2))
        .unwrap()
        .partition = 1;
    g.expect(
        Syscall::ThreadBind,
        &[guest(0), space(2), ENDPOINT],
        SyscallError::WrongPartition,
    );
}

#[test]
fn thread_control_checks_its_arguments_and_the_threads_state() {
    let mut rig = rig();
    let mut g = Guest::start(&mut rig);
    g.expect(
        Syscall::ThreadResume,
        &[guest(0)],
        SyscallError::InvalidArgument,
    );
    g.expect(
        Syscall::ThreadSetPriority,
        &[guest(0), 6],
        SyscallError::InvalidArgument,
    );
    g.expect(
        Syscall::ThreadSetPriority,
        &[guest(0), 256],
        SyscallError::InvalidArgument,
    );
    g.ok(Syscall::ThreadSetPriority, &[guest(0), 5]);
    g.expect(
        Syscall::ThreadBind,
        &[guest(0), space(0), FRAME],
        SyscallError::WrongType,
    );
    g.expect(
        Syscall::ThreadBind,
        &[guest(0), FRAME, ENDPOINT],
        SyscallError::WrongType,
    );
    g.expect(
        Syscall::ThreadBind,
        &[space(0), space(0), ENDPOINT],
        SyscallError::WrongType,
    );
    g.expect(
        Syscall::ThreadBind,
        &[guest(0), space(0), 9],
        SyscallError::EmptySlot,
    );
    g.expect(
        Syscall::ThreadReadRegisters,
        &[guest(0), 0x20_0000],
        SyscallError::Unmapped,
    );
    g.expect(
        Syscall::ThreadWriteRegisters,
        &[guest(0), REGISTERS_VA + 2],
        SyscallError::Unaligned,
    );
    g.expect(
        Syscall::ThreadWriteRegisters,
        &[guest(0), 0xC000_0000],
        SyscallError::KernelAddress,
    );
    g.launch(0, 0);
    assert_eq!(g.state(0), ThreadState::Ready);
    g.expect(Syscall::ThreadResume, &[guest(0)], SyscallError::Busy);
    g.expect(
        Syscall::ThreadBind,
        &[guest(0), space(1), ENDPOINT],
        SyscallError::Busy,
    );
    g.expect(
        Syscall::ThreadWriteRegisters,
        &[guest(0), REGISTERS_VA],
        SyscallError::Busy,
    );
    g.ok(Syscall::ThreadReadRegisters, &[guest(0), REGISTERS_VA]);
    let mut bytes = [0u8; 4];
    g.m.read_phys(REGISTERS_PA + PC * 4, &mut bytes);
    assert_eq!(u32::from_le_bytes(bytes), PROCESS_PC);
    g.ok(Syscall::ThreadSuspend, &[guest(0)]);
    g.ok(Syscall::ThreadSuspend, &[guest(0)]);
    assert_eq!(g.state(0), ThreadState::Suspended);
}

#[test]
fn a_guest_thread_runs_in_its_own_address_space_in_its_partitions_windows() {
    let mut rig = rig();
    let mut g = Guest::start(&mut rig);
    g.launch(0, 1);
    g.receive();
    assert_eq!((g.frame.pc, g.frame.sp_usr), (PROCESS_PC, PROCESS_SP));
    let space = g.system.objects.guests.get(SpaceId(1)).copied().unwrap();
    assert_eq!(g.system.running_space(), Some((space.table, space.asid)));
    assert_eq!(g.frame.interrupted_mode(), crate::exception::Mode::User);
    // It loops; the other partition keeps its windows.
    for _ in 0..4 {
        assert_eq!(
            g.system.cpu_tick(&mut g.frame, &mut g.m),
            Next::Partition(1)
        );
        assert_eq!(g.frame.pc, OTHER_PC);
        assert_eq!(
            g.system.cpu_tick(&mut g.frame, &mut g.m),
            Next::Partition(0)
        );
        assert_eq!(g.frame.pc, PROCESS_PC);
    }
    let b = &g.system.partitions()[1];
    assert_eq!(b.running_ticks, 4);
}

#[test]
fn a_system_call_becomes_a_message_and_the_reply_sets_its_result() {
    let mut rig = rig();
    let mut g = Guest::start(&mut rig);
    g.launch(1, 0);
    g.receive();
    // The process asks for system call 42 with arguments in r0-r6.
    g.frame.r[..7].copy_from_slice(&[10, 11, 12, 13, 14, 15, 16]);
    g.frame.r[7] = 42;
    g.frame.pc = PROCESS_PC + 8;
    assert_eq!(
        g.system.cpu_syscall(&mut g.frame, &mut g.m),
        Next::Partition(0)
    );
    g.check();
    assert_eq!(g.frame.pc, KERNEL_PC, "the guest kernel has it");
    let header = ExceptionHeader::decode(g.frame.r[1]).unwrap();
    assert_eq!(
        (header.kind, header.thread),
        (ExceptionKind::Syscall, 1),
        "from guest thread 1"
    );
    assert_eq!(
        (g.frame.r[2], g.frame.r[3], g.frame.r[4]),
        (0, 0, PROCESS_PC + 8)
    );
    assert_eq!(g.frame.r[5], BADGE);
    let info = MessageInfo::decode(g.frame.r[6]).unwrap();
    assert_eq!((info.length, info.buffer), (4, true));
    let (length, registers) = g.buffer_registers();
    assert_eq!(length, REGISTER_BYTES);
    assert_eq!(&registers[..8], &[10, 11, 12, 13, 14, 15, 16, 42]);
    assert_eq!((registers[SP], registers[PC]), (PROCESS_SP, PROCESS_PC + 8));
    assert_eq!(g.state(1), ThreadState::Blocked);
    let (_, next) = g.reply(&[0, 100, 101], false);
    assert_eq!(next, Next::Partition(0));
    assert_eq!(
        g.frame.pc,
        PROCESS_PC + 8,
        "the process resumes after its svc"
    );
    assert_eq!(
        &g.frame.r[..4],
        &[100, 101, 12, 13],
        "r0, r1 set; the rest kept"
    );
}

#[test]
fn a_page_fault_is_fixed_by_a_mapping_and_the_process_retries() {
    let mut rig = rig();
    let mut g = Guest::start(&mut rig);
    g.launch(0, 0);
    g.receive();
    let fault = user_fault(Vector::DataAbort, PROCESS_PC + 4, write_fault(0x5_0010));
    g.frame.pc = PROCESS_PC + 4;
    g.frame.r[3] = 0x33;
    assert_eq!(
        g.system.cpu_fault(&mut g.frame, fault, &mut g.m),
        Next::Partition(0)
    );
    g.check();
    let header = ExceptionHeader::decode(g.frame.r[1]).unwrap();
    assert_eq!(
        (header.kind, header.access),
        (ExceptionKind::PageFault, FaultAccess::Write)
    );
    assert_eq!(
        (g.frame.r[2], g.frame.r[3], g.frame.r[4]),
        (0x5_0010, 0x805, PROCESS_PC + 4)
    );
    g.ok(Syscall::FrameSplit, &[FRAME, 0, 5]);
    g.ok(Syscall::SpaceMap, &[space(0), 5, 0x5_0000, RW]);
    g.reply(&[], false);
    assert_eq!(
        (g.frame.pc, g.frame.r[3]),
        (PROCESS_PC + 4, 0x33),
        "retries as it was"
    );
    assert!(g.page(0, 0x5_0000).is_some());
    // An undefined instruction and a prefetch abort come the same way.
    let undefined = user_fault(Vector::Undefined, PROCESS_PC + 12, None);
    g.frame.pc = PROCESS_PC + 12;
    g.system.cpu_fault(&mut g.frame, undefined, &mut g.m);
    let header = ExceptionHeader::decode(g.frame.r[1]).unwrap();
    assert_eq!(header.kind, ExceptionKind::Undefined);
    assert_eq!(g.frame.r[4], PROCESS_PC + 12);
    // The guest kernel skips the instruction through the register buffer.
    let mut words = g.buffer_registers().1;
    words[PC] += 4;
    let mut bytes = std::vec::Vec::new();
    bytes.extend_from_slice(&REGISTER_BYTES.to_le_bytes());
    for word in &words {
        bytes.extend_from_slice(&word.to_le_bytes());
    }
    g.m.write_phys(KERNEL_BUFFER, &bytes);
    g.reply(&[], true);
    assert_eq!(g.frame.pc, PROCESS_PC + 16, "resumed past it");
    let fetch = Some(Fault {
        access: AccessKind::Execute,
        address: 0x9000,
        status: 0x7,
    });
    g.frame.pc = 0x9000;
    g.system.cpu_fault(
        &mut g.frame,
        user_fault(Vector::PrefetchAbort, 0x9000, fetch),
        &mut g.m,
    );
    let header = ExceptionHeader::decode(g.frame.r[1]).unwrap();
    assert_eq!(
        (header.kind, header.access, g.frame.r[2]),
        (ExceptionKind::PageFault, FaultAccess::Execute, 0x9000)
    );
}

#[test]
fn a_malformed_reply_is_refused_and_the_process_still_waits() {
    let mut rig = rig();
    let mut g = Guest::start(&mut rig);
    g.launch(0, 0);
    g.receive();
    g.frame.r[7] = 1;
    g.system.cpu_syscall(&mut g.frame, &mut g.m);
    assert_eq!(g.frame.pc, KERNEL_PC);
    // A reply with a capability, an unknown action, a short buffer.
    g.frame.r[5] = kernel_abi::cap::GrantDescriptor {
        slot: kernel_abi::cap::CapSlot(FRAME as u16),
        kind: kernel_abi::cap::GrantKind::DerivedCopy,
        rights: Rights::READ,
    }
    .encode();
    g.frame.r[0] = ENDPOINT;
    g.frame.r[6] = 0;
    g.frame.r[7] = Syscall::ReplyRecv as u32;
    g.system.cpu_syscall(&mut g.frame, &mut g.m);
    assert_eq!(g.frame.r[0], SyscallError::InvalidArgument as u32);
    let (code, _) = g.reply(&[7], false);
    assert_eq!(code, SyscallError::InvalidArgument as u32);
    g.m.write_phys(KERNEL_BUFFER, &8u32.to_le_bytes());
    let (code, _) = g.reply(&[0], true);
    assert_eq!(code, SyscallError::InvalidArgument as u32);
    assert_eq!(g.frame.pc, KERNEL_PC, "the guest kernel runs on, refused");
    assert_eq!(g.state(0), ThreadState::Blocked, "the process still waits");
    g.reply(&[0, 5], false);
    assert_eq!(
        (g.frame.pc, g.frame.r[0]),
        (PROCESS_PC, 5),
        "a good reply goes through"
    );
}

#[test]
fn a_reply_can_leave_the_process_suspended_until_it_is_resumed() {
    let mut rig = rig();
    let mut g = Guest::start(&mut rig);
    g.launch(0, 0);
    g.launch(1, 1);
    g.receive();
    let first = g.system.current_thread().unwrap();
    g.frame.r[7] = 2;
    g.system.cpu_syscall(&mut g.frame, &mut g.m);
    let number = ExceptionHeader::decode(g.frame.r[1]).unwrap().thread;
    assert_eq!(index(number), first);
    // Switch processes: the one that asked stays suspended with r0 = 0.
    let (_, next) = g.reply(&[1, 0], false);
    assert_eq!(next, Next::Partition(0));
    assert_eq!(g.state(number), ThreadState::Suspended);
    assert_ne!(
        g.system.current_thread(),
        Some(first),
        "the other process runs"
    );
    let other = 1 - number;
    assert_eq!(g.state(other), ThreadState::Ready);
    // The other asks too and is suspended: nothing is left to run.
    g.frame.r[0] = 0x5555;
    g.frame.r[7] = 2;
    g.system.cpu_syscall(&mut g.frame, &mut g.m);
    let (_, next) = g.reply(&[1], false);
    assert_eq!(next, Next::Idle, "both suspended, the kernel waits");
    assert_eq!(g.state(other), ThreadState::Suspended);
    assert_eq!(
        g.system.threads[first].context.r[0], 0,
        "its result was set"
    );
    assert_eq!(
        g.system.threads[index(other)].context.r[0],
        0x5555,
        "a one-word reply sets no register"
    );
}

#[test]
fn without_a_reachable_exception_endpoint_the_thread_is_suspended_not_the_partition() {
    let mut rig = rig();
    let mut g = Guest::start(&mut rig);
    g.put_registers(PROCESS_PC, PROCESS_SP);
    g.ok(Syscall::ThreadWriteRegisters, &[guest(0), REGISTERS_VA]);
    g.ok(Syscall::ThreadBind, &[guest(0), space(0), 0xFFFF]);
    g.ok(Syscall::ThreadResume, &[guest(0)]);
    g.receive();
    assert_eq!(g.frame.pc, PROCESS_PC);
    g.frame.r[7] = 3;
    assert_eq!(g.system.cpu_syscall(&mut g.frame, &mut g.m), Next::Idle);
    assert_eq!(g.state(0), ThreadState::Suspended);
    assert!(g
        .m
        .events
        .iter()
        .any(|e| e.contains("GuestThreadSuspended")));
    assert_eq!(g.system.partitions()[0].state, PartitionState::Running);
    g.check();
}

#[test]
fn suspending_a_waiting_thread_drops_its_handlers_reply() {
    let mut rig = rig();
    let mut g = Guest::start(&mut rig);
    g.launch(0, 0);
    g.receive();
    g.frame.r[7] = 9;
    g.system.cpu_syscall(&mut g.frame, &mut g.m);
    g.ok(Syscall::ThreadSuspend, &[guest(0)]);
    assert_eq!(g.state(0), ThreadState::Suspended);
    assert!(g.system.threads[index(0)].fault.is_none());
    g.ok(Syscall::ThreadResume, &[guest(0)]);
    g.reply(&[0, 1], false);
    assert_eq!(
        g.frame.pc, PROCESS_PC,
        "the process was resumed by the kernel"
    );
    assert_eq!(g.frame.r[0], 0, "not by the dropped reply");
    g.frame.r[7] = 9;
    g.system.cpu_syscall(&mut g.frame, &mut g.m);
    assert_ne!(
        g.frame.r[6] & kernel_abi::syscall::INFO_REPLY_DROPPED,
        0,
        "the guest kernel learns its reply went nowhere"
    );
}

#[test]
fn revoking_a_frame_mapped_into_three_processes_unmaps_it_from_all_three() {
    let mut rig = rig();
    let mut g = Guest::start(&mut rig);
    g.ok(Syscall::FrameSplit, &[FRAME, 1, 5]);
    for (k, copy) in [(0u16, 6u32), (1, 7), (2, 8)] {
        g.ok(Syscall::CapCopy, &[5, copy, RW]);
        g.ok(Syscall::SpaceMap, &[space(k), copy, 0x6_0000, RW]);
        assert_eq!(g.page(k, 0x6_0000).map(|p| p.0), Some(0x6200_1000));
    }
    g.ok(Syscall::CapRevoke, &[FRAME]);
    let asids: Vec<u8> = (0..3)
        .map(|k| g.system.objects.guests.get(SpaceId(k)).unwrap().asid)
        .collect();
    for k in 0..3 {
        assert_eq!(g.page(k, 0x6_0000), None, "gone from process {k}");
        assert!(g
            .m
            .tlb_invalidations
            .contains(&(asids[usize::from(k)], 0x6_0000)));
    }
    for slot in 5..=8 {
        assert!(g.system.objects.caps.get(SlotRef::new(0, slot)).is_err());
    }
    g.ok(Syscall::SpaceMap, &[space(0), FRAME, 0x6_0000, RW]);
}

#[test]
fn stopping_the_guest_kernel_stops_its_threads_and_empties_its_spaces() {
    let mut rig = rig();
    let mut g = Guest::start(&mut rig);
    g.ok(Syscall::SpaceMap, &[space(0), FRAME, 0x40_0000, RW]);
    g.ok(Syscall::SpaceMap, &[space(1), READ_ONLY, 0x40_0000, READ]);
    g.launch(0, 0);
    g.launch(1, 1);
    g.receive();
    g.frame.r[7] = 1;
    g.system.cpu_syscall(&mut g.frame, &mut g.m);
    let kernel_fault = user_fault(Vector::DataAbort, KERNEL_PC, None);
    g.system.cpu_fault(&mut g.frame, kernel_fault, &mut g.m);
    g.check();
    assert_eq!(g.system.partitions()[0].state, PartitionState::Stopped);
    for k in 0..3 {
        assert_eq!(g.state(k), ThreadState::Stopped);
    }
    assert_eq!(g.system.objects.guests.pool().free_count(0), 3);
    assert_eq!(g.page(0, 0x40_0000), None);
    assert!(g
        .system
        .objects
        .mappings
        .get(SlotRef::new(0, FRAME as u16))
        .is_none());
    assert_eq!(
        g.system.cpu_tick(&mut g.frame, &mut g.m),
        Next::Partition(1)
    );
    assert_eq!(g.frame.pc, OTHER_PC, "b runs on");
}

#[test]
fn a_guest_kernel_that_exits_takes_its_processes_with_it() {
    let mut rig = rig();
    let mut g = Guest::start(&mut rig);
    g.ok(Syscall::SpaceMap, &[space(0), FRAME, 0x40_0000, RW]);
    g.launch(0, 0);
    g.frame.r[7] = Syscall::ThreadExit as u32;
    g.system.cpu_syscall(&mut g.frame, &mut g.m);
    g.check();
    assert_eq!(g.system.partitions()[0].state, PartitionState::Finished);
    assert_eq!(g.state(0), ThreadState::Stopped);
    assert_eq!(g.page(0, 0x40_0000), None);
}

#[test]
fn a_process_whose_handler_goes_away_is_suspended_with_its_registers_untouched() {
    let mut rig = rig();
    let mut g = Guest::start(&mut rig);
    // b handles guest thread 0's exceptions (it may receive on a's
    // endpoint), and a may call b.
    let caps = &mut g.system.objects.caps;
    caps.derive(
        SlotRef::new(0, ENDPOINT as u16),
        SlotRef::new(1, 4),
        Rights::READ,
    )
    .unwrap();
    caps.derive(
        SlotRef::new(1, B_ENDPOINT as u16),
        SlotRef::new(0, 6),
        Rights::WRITE,
    )
    .unwrap();
    g.launch(0, 0);
    // a calls b and waits; the process runs and asks something.
    g.frame.r[..7].copy_from_slice(&[6, 0, 0, 0, 0, 0, 0]);
    g.frame.r[7] = Syscall::Call as u32;
    g.system.cpu_syscall(&mut g.frame, &mut g.m);
    assert_eq!(g.frame.pc, PROCESS_PC);
    g.frame.r[0] = 0x1234;
    g.frame.r[7] = 5;
    assert_eq!(g.system.cpu_syscall(&mut g.frame, &mut g.m), Next::Idle);
    // b takes the exception in its window, then faults holding the reply.
    g.system.cpu_tick(&mut g.frame, &mut g.m);
    assert_eq!(g.frame.pc, OTHER_PC);
    g.frame.r[0] = 4;
    g.frame.r[6] = 0;
    g.frame.r[7] = Syscall::Recv as u32;
    g.system.cpu_syscall(&mut g.frame, &mut g.m);
    assert_eq!(
        ExceptionHeader::decode(g.frame.r[1]).map(|h| h.kind),
        Some(ExceptionKind::Syscall)
    );
    let b_fault = user_fault(Vector::DataAbort, OTHER_PC, None);
    g.system.cpu_fault(&mut g.frame, b_fault, &mut g.m);
    g.check();
    assert_eq!(
        g.state(0),
        ThreadState::Suspended,
        "not resumed with an error"
    );
    let process = &g.system.threads[index(0)];
    assert_eq!(process.context.r[0], 0x1234, "its r0 is its own");
    assert!(process.fault.is_none());
    assert_eq!(
        g.system.threads[0].context.r[0],
        SyscallError::PeerGone as u32,
        "a's call to the stopped b failed as IPC calls do"
    );
}

#[test]
fn the_isolation_audit_sees_a_frame_mapped_only_in_a_guest_address_space() {
    let mut rig = rig();
    let mut g = Guest::start(&mut rig);
    // b's monitor view: a PartitionControl capability for a.
    let control =
        crate::cap::Capability::new(crate::cap::CapObject::PartitionControl, Rights::READ);
    g.system
        .objects
        .caps
        .insert_root(SlotRef::new(0, 9), control)
        .unwrap();
    g.ok(Syscall::FrameSplit, &[FRAME, 0, 5]);
    g.ok(Syscall::SpaceMap, &[space(0), 5, 0x40_0000, RW]);
    // The audit of frame 5 (held by a) reads a's guest page tables: were
    // the capability gone but the page still mapped, a would still show.
    g.ok(Syscall::FrameReach, &[9, 0, 5]);
    assert_eq!(
        g.frame.r[1], 0b1,
        "a, through its capabilities and its process"
    );
    let owner = g.system.objects.mappings.take(SlotRef::new(0, 5));
    assert!(owner.is_some());
    g.system.objects.caps.delete(SlotRef::new(0, 5)).unwrap();
    g.system
        .objects
        .caps
        .delete(SlotRef::new(0, FRAME as u16))
        .unwrap();
    g.frame.r[..3].copy_from_slice(&[9, 0, READ_ONLY]);
    g.frame.r[7] = Syscall::FrameReach as u32;
    g.system.cpu_syscall(&mut g.frame, &mut g.m);
    assert_eq!(g.frame.r[1], 0b1, "its own read-only page");
    // The stale page (forced here, as a kernel bug would leave it) shows
    // up in an audit of any frame covering it.
    let stale = crate::cap::Capability::new(
        crate::cap::CapObject::Frame {
            base: 0x6200_0000,
            pages: 1,
        },
        Rights::READ,
    );
    g.system
        .objects
        .caps
        .insert_root(SlotRef::new(1, 5), stale)
        .unwrap();
    g.frame.r[..3].copy_from_slice(&[9, 1, 5]);
    g.frame.r[7] = Syscall::FrameReach as u32;
    g.system.cpu_syscall(&mut g.frame, &mut g.m);
    assert_eq!(
        (g.frame.r[0], g.frame.r[1]),
        (0, 0b11),
        "b holds it; a's process still maps it"
    );
}
