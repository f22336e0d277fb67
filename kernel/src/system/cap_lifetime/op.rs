//! Operations: what the generator draws — abstract choices (which
//! capability, which slot, which rights) that the model resolves into
//! steps when the operation runs, plus the malformed message words.
//!
//! Plain data: it must never look at the model or the kernel itself.

extern crate std;

use kernel_abi::cap::Rights;

/// Which capability a message passes; the numbers pick among what the
/// sender holds when the operation runs.
#[derive(Clone, Copy, Debug)]
pub(super) enum GrantChoice {
    Nothing,
    Lend {
        cap: u8,
        rights: u8,
    },
    Transfer {
        cap: u8,
    },
    Copy {
        cap: u8,
        rights: u8,
    },
    /// A transfer of a lent capability, or of one derived from it.
    TransferLent {
        cap: u8,
    },
}

/// Which receive slot a receiver offers.
#[derive(Clone, Copy, Debug)]
pub(super) enum SlotChoice {
    Nothing,
    /// One of its empty slots.
    Empty(u8),
    /// One of its occupied slots (the capability then cannot land).
    Occupied(u8),
}

/// One generated operation. The numbers are resolved against the model's
/// state when the operation runs (the acting partition among those ready,
/// a capability among those it holds, ...), so every sequence is
/// meaningful and shrinks well; an operation nobody can do is skipped.
#[derive(Clone, Copy, Debug)]
pub(super) enum Op {
    Copy {
        actor: u8,
        cap: u8,
        dest: u8,
        rights: u8,
    },
    Split {
        actor: u8,
        cap: u8,
        page: u8,
        dest: u8,
    },
    /// `frame_map`, or (`guest`) `space_map` into the actor's guest
    /// address space.
    Map {
        actor: u8,
        cap: u8,
        place: u8,
        write: bool,
        guest: bool,
    },
    Unmap {
        actor: u8,
        cap: u8,
    },
    Delete {
        actor: u8,
        cap: u8,
    },
    Revoke {
        actor: u8,
        cap: u8,
    },
    Call {
        actor: u8,
        to: u8,
        grant: GrantChoice,
        reply_slot: SlotChoice,
    },
    Send {
        actor: u8,
        to: u8,
        grant: GrantChoice,
    },
    Recv {
        actor: u8,
        slot: SlotChoice,
    },
    ReplyRecv {
        actor: u8,
        grant: GrantChoice,
        slot: SlotChoice,
    },
    MalformedReply {
        actor: u8,
        variant: u8,
    },
    Stop {
        target: u8,
    },
    Fault {
        actor: u8,
    },
    /// Copies one one-page capability `copies` times, maps every copy,
    /// then revokes. Without a granter the actor fans out a page of its
    /// own and revokes it; with one, the page comes as a derived copy from
    /// the granter, which revokes its own capability at the end.
    FanOut {
        actor: u8,
        cap: u8,
        copies: u8,
        granter: Option<u8>,
    },
    /// A granter gives the lender a derived copy; the lender lends it to a
    /// server for a call; the server (optionally) copies and maps the lent
    /// frame; the granter revokes; the server (optionally) puts another
    /// capability in the lent one's slot and maps it; the server replies.
    LendThenRevoke {
        lender: u8,
        server: u8,
        granter: u8,
        cap: u8,
        copy_lent: bool,
        reuse_slot: bool,
    },
    /// A lender lends a frame to a server for a call; the server maps
    /// copies of it (70 if `wide`) and, if the third peer can receive,
    /// grants it a derived copy, which it maps; then the call is answered:
    /// `end` % 4 = reply, the monitor stops the lender, or the server, or
    /// the server faults.
    LendAndSpread {
        lender: u8,
        server: u8,
        cap: u8,
        wide: bool,
        end: u8,
    },
    /// A caller transfers a frame it alone holds to a waiting server with
    /// a call (offering a receive slot if `offer`); the server meddles
    /// with it (`meddle` % 6: nothing, maps it, maps it in its guest
    /// address space, copies it, splits off a page, deletes it); then
    /// `end` % 3: the monitor stops the server, the server faults, or the
    /// server replies first and is stopped after.
    TransferThenStop {
        caller: u8,
        server: u8,
        cap: u8,
        offer: bool,
        meddle: u8,
        end: u8,
    },
}

pub(super) fn pick<T: Copy>(items: &[T], choice: u8) -> Option<T> {
    if items.is_empty() {
        None
    } else {
        Some(items[usize::from(choice) % items.len()])
    }
}

/// The bit of a rights choice that asks for rights even beyond the
/// capability's (see [`choose_rights`]).
pub(super) const RAW_RIGHTS: u8 = 0b1000;

/// Rights for a copy or grant of a capability with `of`: the low three bits
/// drop READ, WRITE, GRANT (0 keeps all); [`RAW_RIGHTS`] asks for them even
/// beyond `of` (to be refused).
pub(super) fn choose_rights(choice: u8, of: Rights) -> Rights {
    let wanted = Rights::from_bits(u32::from(!choice & 0b111)).expect("three rights");
    if choice & RAW_RIGHTS != 0 {
        wanted
    } else {
        wanted.intersection(of)
    }
}

/// Malformed `reply_recv` registers (r5, r6).
pub(super) const MALFORMED: [(u32, u32); 4] = [
    (0, 5),           // five message words
    (0x8000_0000, 0), // a reserved grant-descriptor bit
    (0, 1 << 5),      // a reserved message-info bit
    (5, 0),           // a slot but no grant kind
];
