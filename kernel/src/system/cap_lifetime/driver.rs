//! The driver: runs one [`Step`] on the real [`System`] as the system call
//! (or fault) it names, ticking until the caller's thread runs.
//!
//! With the rig's boot, the only code that calls the kernel's entry points.
//! It never consults the model and never judges a result.

extern crate std;

use std::format;
use std::string::String;

use kernel_abi::cap::CapSlot;
use kernel_abi::syscall::{MessageInfo, Syscall};

use super::rig::{endpoint_slot, CONTROL_SLOT, MONITOR, OWN_ENDPOINT, PARTITIONS, SPACE_SLOT};
use super::step::{Grant, Step};
use crate::exception::{ExceptionKind, TrapFrame};
use crate::machine::tests::FakeMachine;
use crate::machine::UserFault;
use crate::system::System;

/// The kernel under test, the machine it runs on and the current frame.
/// With [`World::boot`], the only code that calls the [`System`]'s entry
/// points (start, tick, system call, fault).
pub(super) struct Kernel<'s> {
    pub(super) system: System<'s>,
    pub(super) machine: FakeMachine,
    pub(super) frame: TrapFrame,
}

impl Kernel<'_> {
    /// Ticks until partition `p`'s thread is the one running.
    fn run_as(&mut self, p: usize) -> Result<(), String> {
        for _ in 0..=2 * PARTITIONS {
            if self.system.current == Some(p) {
                return Ok(());
            }
            self.system.cpu_tick(&mut self.frame, &mut self.machine);
        }
        Err(format!(
            "the kernel never runs P{p}, which the model says is ready (its thread is {:?})",
            self.system.threads[p].state
        ))
    }

    fn syscall(&mut self, p: usize, call: Syscall, args: [u32; 7]) -> Result<u32, String> {
        self.run_as(p)?;
        self.frame.r[..7].copy_from_slice(&args);
        self.frame.r[7] = call as u32;
        self.system.cpu_syscall(&mut self.frame, &mut self.machine);
        Ok(self.system.threads[p].context.r[0])
    }

    /// Runs `step`; `r0` of the calling thread afterwards (none for a
    /// fault).
    pub(super) fn execute(&mut self, step: Step) -> Result<Option<u32>, String> {
        let info = |slot: Option<u16>| {
            MessageInfo {
                buffer: false,
                length: 0,
                granted: None,
                slot: slot.map(CapSlot),
            }
            .encode()
        };
        let (by, call, args) = match step {
            Step::Copy {
                by,
                from,
                to,
                rights,
            } => (
                by,
                Syscall::CapCopy,
                [from.into(), to.into(), rights.bits(), 0, 0, 0, 0],
            ),
            Step::Split { by, from, page, to } => (
                by,
                Syscall::FrameSplit,
                [from.into(), page, to.into(), 0, 0, 0, 0],
            ),
            Step::Map {
                by,
                slot,
                va,
                rights,
            } => (
                by,
                Syscall::FrameMap,
                [slot.into(), va, rights.bits(), 0, 0, 0, 0],
            ),
            Step::SpaceMap {
                by,
                slot,
                va,
                rights,
            } => (
                by,
                Syscall::SpaceMap,
                [SPACE_SLOT.into(), slot.into(), va, rights.bits(), 0, 0, 0],
            ),
            Step::Unmap { by, slot } => (by, Syscall::FrameUnmap, [slot.into(), 0, 0, 0, 0, 0, 0]),
            Step::Delete { by, slot } => (by, Syscall::CapDelete, [slot.into(), 0, 0, 0, 0, 0, 0]),
            Step::Revoke { by, slot } => (by, Syscall::CapRevoke, [slot.into(), 0, 0, 0, 0, 0, 0]),
            Step::Call {
                by,
                server,
                grant,
                reply_slot,
            } => {
                let r0 = endpoint_slot(server).into();
                (
                    by,
                    Syscall::Call,
                    [r0, 0, 0, 0, 0, Grant::register(grant), info(reply_slot)],
                )
            }
            Step::Send { by, to, grant } => {
                let r0 = endpoint_slot(to).into();
                (
                    by,
                    Syscall::Send,
                    [r0, 0, 0, 0, 0, Grant::register(grant), info(None)],
                )
            }
            Step::Recv { by, slot } => (
                by,
                Syscall::Recv,
                [OWN_ENDPOINT.into(), 0, 0, 0, 0, 0, info(slot)],
            ),
            Step::ReplyRecv { by, grant, slot } => {
                let r5 = Grant::register(grant);
                (
                    by,
                    Syscall::ReplyRecv,
                    [OWN_ENDPOINT.into(), 0, 0, 0, 0, r5, info(slot)],
                )
            }
            Step::MalformedReplyRecv { by, r5, r6 } => (
                by,
                Syscall::ReplyRecv,
                [OWN_ENDPOINT.into(), 0, 0, 0, 0, r5, r6],
            ),
            Step::Stop { target } => {
                let args = [CONTROL_SLOT.into(), target as u32, 0, 0, 0, 0, 0];
                (MONITOR, Syscall::PartitionStop, args)
            }
            Step::Fault { by } => {
                self.run_as(by)?;
                let fault = UserFault {
                    exception: ExceptionKind::DataAbort,
                    pc: self.frame.pc,
                    fault: None,
                };
                self.system
                    .cpu_fault(&mut self.frame, fault, &mut self.machine);
                return Ok(None);
            }
        };
        self.syscall(by, call, args).map(Some)
    }
}
