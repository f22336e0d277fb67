//! Steps: the concrete system calls (and faults) a sequence is made of,
//! with their arguments resolved, and how they print in a failure report.
//!
//! Plain data shared by the model and the driver: it must never hold or
//! compute kernel state, and never decide what a step should do.

extern crate std;

use core::fmt;

use kernel_abi::cap::{CapSlot, GrantDescriptor, GrantKind, Rights};

use super::rig::MONITOR;

/// A capability passed with a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Grant {
    pub(super) kind: GrantKind,
    pub(super) slot: u16,
    pub(super) rights: Rights,
}

impl Grant {
    pub(super) const fn lend(slot: u16, rights: Rights) -> Option<Grant> {
        Some(Grant {
            kind: GrantKind::Transient,
            slot,
            rights,
        })
    }

    pub(super) const fn transfer(slot: u16) -> Option<Grant> {
        Some(Grant {
            kind: GrantKind::Transfer,
            slot,
            rights: Rights::NONE,
        })
    }

    pub(super) const fn copy(slot: u16, rights: Rights) -> Option<Grant> {
        Some(Grant {
            kind: GrantKind::DerivedCopy,
            slot,
            rights,
        })
    }

    pub(super) fn register(grant: Option<Grant>) -> u32 {
        grant.map_or(0, |g| {
            GrantDescriptor {
                slot: CapSlot(g.slot),
                kind: g.kind,
                rights: g.rights,
            }
            .encode()
        })
    }
}

/// One system call (or fault) of one partition, with its arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Step {
    Copy {
        by: usize,
        from: u16,
        to: u16,
        rights: Rights,
    },
    Split {
        by: usize,
        from: u16,
        page: u32,
        to: u16,
    },
    Map {
        by: usize,
        slot: u16,
        va: u32,
        rights: Rights,
    },
    /// `space_map` into the actor's guest address space.
    SpaceMap {
        by: usize,
        slot: u16,
        va: u32,
        rights: Rights,
    },
    Unmap {
        by: usize,
        slot: u16,
    },
    Delete {
        by: usize,
        slot: u16,
    },
    Revoke {
        by: usize,
        slot: u16,
    },
    /// `call` on `server`'s endpoint; a capability the reply passes may
    /// land in `reply_slot`.
    Call {
        by: usize,
        server: usize,
        grant: Option<Grant>,
        reply_slot: Option<u16>,
    },
    Send {
        by: usize,
        to: usize,
        grant: Option<Grant>,
    },
    /// `recv` on the caller's own endpoint, accepting a capability in `slot`.
    Recv {
        by: usize,
        slot: Option<u16>,
    },
    /// `reply_recv` on the caller's own endpoint.
    ReplyRecv {
        by: usize,
        grant: Option<Grant>,
        slot: Option<u16>,
    },
    /// `reply_recv` with a malformed grant descriptor (`r5`) or info (`r6`).
    MalformedReplyRecv {
        by: usize,
        r5: u32,
        r6: u32,
    },
    /// The monitor's `partition_stop(target)`.
    Stop {
        target: usize,
    },
    /// A data abort in `by`: its partition is stopped.
    Fault {
        by: usize,
    },
}

impl Step {
    /// The partition whose thread makes the call.
    pub(super) fn actor(self) -> usize {
        match self {
            Step::Copy { by, .. }
            | Step::Split { by, .. }
            | Step::Map { by, .. }
            | Step::SpaceMap { by, .. }
            | Step::Unmap { by, .. }
            | Step::Delete { by, .. }
            | Step::Revoke { by, .. }
            | Step::Call { by, .. }
            | Step::Send { by, .. }
            | Step::Recv { by, .. }
            | Step::ReplyRecv { by, .. }
            | Step::MalformedReplyRecv { by, .. }
            | Step::Fault { by } => by,
            Step::Stop { .. } => MONITOR,
        }
    }

    /// A short name, for statistics.
    pub(super) fn name(self) -> &'static str {
        match self {
            Step::Copy { .. } => "cap_copy",
            Step::Split { .. } => "frame_split",
            Step::Map { .. } => "frame_map",
            Step::SpaceMap { .. } => "space_map",
            Step::Unmap { .. } => "frame_unmap",
            Step::Delete { .. } => "cap_delete",
            Step::Revoke { .. } => "cap_revoke",
            Step::Call { grant: None, .. } => "call",
            Step::Call { grant: Some(g), .. } => match g.kind {
                GrantKind::Transient => "call lending",
                GrantKind::Transfer => "call transferring",
                GrantKind::DerivedCopy => "call granting a copy",
            },
            Step::Send { grant: None, .. } => "send",
            Step::Send { grant: Some(g), .. } => match g.kind {
                GrantKind::Transient => "send lending (invalid)",
                GrantKind::Transfer => "send transferring",
                GrantKind::DerivedCopy => "send granting a copy",
            },
            Step::Recv { .. } => "recv",
            Step::ReplyRecv { grant: None, .. } => "reply_recv",
            Step::ReplyRecv { grant: Some(g), .. } => match g.kind {
                GrantKind::Transient => "reply_recv lending (invalid)",
                GrantKind::Transfer => "reply_recv transferring",
                GrantKind::DerivedCopy => "reply_recv granting a copy",
            },
            Step::MalformedReplyRecv { .. } => "malformed reply_recv",
            Step::Stop { .. } => "partition_stop",
            Step::Fault { .. } => "fault",
        }
    }
}

pub(super) struct RightsName(pub(super) Rights);

impl fmt::Display for RightsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("none");
        }
        for (right, letter) in [
            (Rights::READ, "R"),
            (Rights::WRITE, "W"),
            (Rights::GRANT, "G"),
            (Rights::EXECUTE, "X"),
        ] {
            if self.0.contains(right) {
                f.write_str(letter)?;
            }
        }
        Ok(())
    }
}

struct SlotName(Option<u16>);

impl fmt::Display for SlotName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(slot) => write!(f, "slot {slot}"),
            None => f.write_str("no slot"),
        }
    }
}

struct GrantName(Option<Grant>);

impl fmt::Display for GrantName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str("no grant"),
            Some(g) => match g.kind {
                GrantKind::Transient => {
                    write!(f, "lending slot {} {}", g.slot, RightsName(g.rights))
                }
                GrantKind::Transfer => write!(f, "transferring slot {}", g.slot),
                GrantKind::DerivedCopy => {
                    write!(
                        f,
                        "granting a copy of slot {} {}",
                        g.slot,
                        RightsName(g.rights)
                    )
                }
            },
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "P{} ", self.actor())?;
        match *self {
            Step::Copy {
                from, to, rights, ..
            } => {
                write!(f, "cap_copy({from} -> {to}, {})", RightsName(rights))
            }
            Step::Split { from, page, to, .. } => {
                write!(f, "frame_split({from}, page {page} -> {to})")
            }
            Step::Map {
                slot, va, rights, ..
            } => {
                write!(f, "frame_map({slot} at {va:#x}, {})", RightsName(rights))
            }
            Step::SpaceMap {
                slot, va, rights, ..
            } => {
                write!(f, "space_map({slot} at {va:#x}, {})", RightsName(rights))
            }
            Step::Unmap { slot, .. } => write!(f, "frame_unmap({slot})"),
            Step::Delete { slot, .. } => write!(f, "cap_delete({slot})"),
            Step::Revoke { slot, .. } => write!(f, "cap_revoke({slot})"),
            Step::Call {
                server,
                grant,
                reply_slot,
                ..
            } => write!(
                f,
                "call P{server} {}, reply into {}",
                GrantName(grant),
                SlotName(reply_slot)
            ),
            Step::Send { to, grant, .. } => write!(f, "send P{to} {}", GrantName(grant)),
            Step::Recv { slot, .. } => write!(f, "recv into {}", SlotName(slot)),
            Step::ReplyRecv { grant, slot, .. } => {
                write!(
                    f,
                    "reply_recv {}, receive into {}",
                    GrantName(grant),
                    SlotName(slot)
                )
            }
            Step::MalformedReplyRecv { r5, r6, .. } => {
                write!(f, "reply_recv with r5={r5:#x} r6={r6:#x}")
            }
            Step::Stop { target } => write!(f, "partition_stop(P{target})"),
            Step::Fault { .. } => f.write_str("data abort"),
        }
    }
}
