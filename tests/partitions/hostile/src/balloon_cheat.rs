//! Role `balloon-cheat`: a guest of the memory manager that tries to give
//! back memory it keeps. It holds four one-page frames (its "RAM", split
//! from the frame in slot 2 into slots 16..20) and calls the manager's
//! endpoint in slot 0 with badge 1 (guest 1). In order:
//!
//! 1. gives page Q honestly (transferred): the manager books it;
//! 2. gives a *derived copy* of page P, keeping P;
//! 3. *lends* P for the call;
//! 4. reads P back (it must still hold it, unchanged);
//! 5. takes a frame: it must be a one-page frame that is not P;
//! 6. takes again: it is owed nothing more (back at its boot frames).
//!
//! It logs the manager's answer to each (`balloon cheat: ...`) for
//! `tests/hostile.rs`. A manager that booked the copy would later hand
//! P's copy to a taker, or, once the cheat revokes it, hand nothing; one
//! that booked the lent frame would book a frame the kernel destroys at
//! the reply. It must never do anything but call the manager and use its
//! own frames.

use kernel_abi::cap::{GrantKind, Rights};
use kernel_abi::syscall::SyscallError;
use kernel_abi::user_layout::GRANT_WINDOW;
use memory_manager_protocol::{Reply, Request};
use userlib::ipc::{cap_delete, Carry, Endpoint, Frame, Grant, Message};

/// The manager's endpoint (badge 1).
const MANAGER: Endpoint = Endpoint(0);
/// The cheat's RAM before it is split.
const RAM: Frame = Frame(2);
/// Where its pages are split to: P, Q and two more.
const FIRST_PAGE: u16 = 16;
const P: u16 = FIRST_PAGE;
const Q: u16 = FIRST_PAGE + 1;
/// Where a taken frame lands.
const TAKEN: u16 = 30;
/// Where pages are mapped to be read or written.
const AT: u32 = GRANT_WINDOW;
/// What P holds.
const P_MARK: u32 = 0xC0DE_0001;
const RW: Rights = Rights::READ.union(Rights::WRITE);

pub fn run() {
    if let Err(error) = split_ram() {
        return defmt::error!("balloon cheat: cannot split its RAM: {=str}", error.name());
    }
    if write(P, P_MARK).is_err() {
        return defmt::error!("balloon cheat: cannot write its page");
    }
    let give = |kind| {
        let reply = MANAGER.call_with(
            &[Request::Give.word()],
            Carry::grant(Some(Grant {
                slot: if kind == GrantKind::Transfer { Q } else { P },
                kind,
                rights: RW,
            })),
        );
        answer(Request::Give, reply)
    };
    let honest = give(GrantKind::Transfer);
    let copy = give(GrantKind::DerivedCopy);
    let lent = give(GrantKind::Transient);
    defmt::info!(
        "balloon cheat: a transferred page: {=str}; a copy: {=str}; a lent page: {=str}",
        honest,
        copy,
        lent
    );
    let kept = read(P);
    defmt::info!(
        "balloon cheat: it still holds its page: {=bool}",
        kept == Ok(P_MARK)
    );
    let take = || MANAGER.call_with(&[Request::Take.word()], Carry::receive(Some(TAKEN)));
    let first = take();
    let came = first.is_ok_and(|m| m.granted.is_some_and(|(slot, _)| slot == TAKEN));
    let pages = if came {
        Frame(TAKEN).map(AT, true)
    } else {
        Err(SyscallError::EmptySlot)
    };
    // SAFETY: a mapped page at AT (checked just above), this thread's alone.
    let content = pages.map(|_| unsafe { core::ptr::read_volatile(AT as *const u32) });
    let _ = Frame(TAKEN).unmap();
    defmt::info!(
        "balloon cheat: a take: {=str}; a one-page frame came: {=bool}; it is not its own page: {=bool}",
        answer(Request::Take, first),
        pages == Ok(1),
        content.is_ok_and(|word| word != P_MARK)
    );
    let second = take();
    defmt::info!(
        "balloon cheat: a second take: {=str}",
        answer(Request::Take, second)
    );
}

/// Splits the RAM frame into one-page frames in slots from `FIRST_PAGE`
/// and deletes it, so each page is the sole capability over its memory
/// (and may move).
fn split_ram() -> Result<(), SyscallError> {
    let pages = RAM.map(AT, false)?;
    RAM.unmap()?;
    for page in 0..pages {
        RAM.split(page, FIRST_PAGE + page as u16)?;
    }
    cap_delete(RAM.0)
}

/// Writes `word` at the start of the page in `slot` (mapped and unmapped
/// again, so the page can move).
fn write(slot: u16, word: u32) -> Result<(), SyscallError> {
    Frame(slot).map(AT, true)?;
    // SAFETY: the page was just mapped read/write at AT.
    unsafe { core::ptr::write_volatile(AT as *mut u32, word) };
    Frame(slot).unmap()
}

/// The word at the start of the page in `slot`.
fn read(slot: u16) -> Result<u32, SyscallError> {
    Frame(slot).map(AT, false)?;
    // SAFETY: the page was just mapped at AT.
    let word = unsafe { core::ptr::read_volatile(AT as *const u32) };
    Frame(slot).unmap()?;
    Ok(word)
}

/// The manager's answer to `request`, as a name for the log.
fn answer(request: Request, reply: Result<Message, SyscallError>) -> &'static str {
    let message = match reply {
        Ok(message) => message,
        Err(error) => return error.name(),
    };
    let words = &message.words[..usize::from(message.len).min(4)];
    match Reply::decode(request, words) {
        Ok(Reply::Done) => "done",
        Ok(Reply::Refused(why)) => why.name(),
        Ok(Reply::Stop) => "stop",
        Ok(Reply::Target { .. }) => "a target",
        Err(error) => error.name(),
    }
}
