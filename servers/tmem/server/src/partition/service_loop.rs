//! Thread 0's loop on the service endpoint: receive a call (accepting a
//! frame into a spare slot), map the frame if one came, let the service
//! answer, and reply — transferring a frame back when one was transferred
//! in, so a transfer-mode client always keeps its count of frames.
//!
//! A run's frame (up to 64 pages) is mapped at the run pages and never
//! flipped: the kernel passes one capability per message and the store's
//! frames are one page each, so the run's pages are copied and, in
//! transfer mode, the same frame goes back.
//!
//! A frame that cannot be given back (the caller was stopped mid-call: the
//! kernel says the reply was dropped) is kept and counted, and later calls
//! use a fresh spare slot and page.
//! This loop must never hold the lock across a system call that blocks.

use kernel_abi::cap::{GrantKind, Rights};
use tmem_protocol::{DecodeError, Opcode, Reply, Request, Status};
use userlib::ipc::{cap_delete, Carry, Endpoint, Frame, Grant, Message};

use super::client_pages::CallerPages;
use super::with_state;
use tmem_server::layout::{RUN_BASE, SERVICE, SPARE_BASE, SPARE_SLOTS};
use tmem_server::pool_moves::Place as Mapped;
use tmem_server::refusal;

/// Serves clients for ever.
pub fn run() {
    let endpoint = Endpoint(SERVICE);
    let mut spares = Spares::new();
    let mut received = endpoint.recv_into(Some(spares.current.slot));
    loop {
        let message = match received {
            Ok(message) => message,
            Err(error) => {
                defmt::warn!("service: receive failed: {=str}", error.name());
                received = endpoint.recv_into(Some(spares.current.slot));
                continue;
            }
        };
        let Answer {
            words,
            give_back,
            run,
        } = answer(&message, spares.current);
        let grant = give_back.map(|frame| Grant {
            slot: frame.slot,
            kind: GrantKind::Transfer,
            rights: Rights::NONE,
        });
        if let Some(frame) = give_back.filter(|_| !run) {
            spares.current = frame;
        }
        received = endpoint.reply_recv_with(
            &words,
            Carry {
                grant,
                receive: Some(spares.current.slot),
                buffer: false,
            },
        );
        if let (Ok(message), Some(frame)) = (&received, give_back) {
            if message.reply_dropped {
                keep_dropped(frame, run, &mut spares);
            }
        }
    }
}

/// The caller is gone and the frame the reply transferred stayed here:
/// keeps it and counts it. (The message just received could not land a
/// frame in the occupied slot; the service answers it as one that brought
/// none.)
#[cold]
#[inline(never)]
fn keep_dropped(frame: Mapped, run: bool, spares: &mut Spares) {
    defmt::warn!(
        "service: caller gone; keeping its frame (slot {=u16})",
        frame.slot
    );
    with_state(|state| state.frames_held += 1);
    if run {
        // Its mapping would be in the way of the next run.
        let _ = Frame(frame.slot).unmap();
    }
    spares.retire();
}

/// The spare slot and page where the next call's frame lands.
struct Spares {
    current: Mapped,
    retired: u16,
}

impl Spares {
    fn new() -> Spares {
        Spares {
            current: Mapped {
                slot: SPARE_SLOTS.start,
                address: SPARE_BASE,
            },
            retired: 0,
        }
    }

    /// Moves to an unused slot and page (the current ones hold a kept
    /// frame). After the last, frames are refused by the kernel (no empty
    /// slot), which callers see as a reply without a frame.
    fn retire(&mut self) {
        self.retired += 1;
        let next = SPARE_SLOTS.start + self.retired;
        if next < SPARE_SLOTS.end {
            self.current = Mapped {
                slot: next,
                address: SPARE_BASE + u32::from(self.retired) * 4096,
            };
        }
    }
}

/// What to answer a call with.
struct Answer {
    /// The reply's words (encoded where it is made: a word array moves
    /// cheaply, the reply enum's byte fields do not).
    words: [u32; Reply::WORDS],
    /// The frame to transfer back.
    give_back: Option<Mapped>,
    /// Whether the call was a run (its frame is not the spare page's).
    run: bool,
}

/// The reply to `message`, and the frame to transfer back with it.
///
/// The message is decoded once, into a typed request; one that does not
/// decode is refused without taking the lock. The caller is found from the
/// badge once, under the lock. The common case (copy mode: no frame came)
/// maps nothing and leaves the frame provider alone.
fn answer(message: &Message, spare: Mapped) -> Answer {
    let transferred = matches!(message.granted, Some((_, GrantKind::Transfer)));
    // Borrowed from the decoder's result, not moved out of it: a move
    // copies the request byte by byte (its fields are not word-aligned).
    let decoded = Request::decode(message.words, usize::from(message.len));
    let request = match &decoded {
        Ok(request) => request,
        Err(error) => return rejected(message, *error, spare),
    };
    let opcode = request.opcode();
    let writes_page = matches!(opcode, Opcode::GetPage | Opcode::GetRun);
    let run = matches!(opcode, Opcode::PutRun | Opcode::GetRun);
    let at = if run {
        Mapped {
            slot: spare.slot,
            address: RUN_BASE,
        }
    } else {
        spare
    };
    let frame = match message.granted {
        None => None,
        Some((slot, kind)) => receive_frame(slot, kind, at, writes_page, run),
    };
    // Only a frame transferred in for one page can become a store frame.
    let offered = transferred && !run && frame.is_some();
    let outcome = with_state(|state| {
        let caller = state.service.caller(message.badge)?;
        if offered {
            state.service.store().provider().offer(spare);
        }
        let mut pages = CallerPages {
            window: state.windows[caller.index()],
            frame: frame.map(|(frame, pages)| (frame.address, pages)),
            mode: caller.mode(),
        };
        let reply = state.service.serve(caller, request, &mut pages);
        let back = if transferred {
            state.service.store().provider().settle()
        } else {
            None
        };
        Some((reply, back))
    })
    .flatten();
    let (reply, give_back) = match outcome {
        Some((reply, back)) => (reply, if transferred { back.or(Some(at)) } else { None }),
        // Not a client (or not set up): refuse; give back what came.
        None => (
            refusal(opcode, Status::UnknownClient),
            transferred.then_some(at),
        ),
    };
    Answer {
        words: reply_words(reply),
        give_back,
        run,
    }
}

/// The words a reply is sent as.
fn reply_words(reply: Reply) -> [u32; Reply::WORDS] {
    let [first, second, ..] = reply.encode();
    [first, second]
}

/// The answer to a message that did not decode: nothing is served, and
/// a frame that came is taken in as with any call (a derived copy
/// dropped, a transfer given back).
#[cold]
#[inline(never)]
fn rejected(message: &Message, error: DecodeError, spare: Mapped) -> Answer {
    if let Some((slot, kind)) = message.granted {
        let _ = receive_frame(slot, kind, spare, false, false);
    }
    Answer {
        words: reply_words(Reply::rejecting(message.words, error)),
        give_back: matches!(message.granted, Some((_, GrantKind::Transfer))).then_some(spare),
        run: false,
    }
}

/// Maps a frame that came with a call at `at` — one page, or for a run up
/// to a run's pages — and says how many pages it has; a derived copy
/// (never part of the protocol) is dropped at once.
#[inline(never)]
fn receive_frame(
    slot: u16,
    kind: GrantKind,
    at: Mapped,
    writes_page: bool,
    run: bool,
) -> Option<(Mapped, usize)> {
    if kind == GrantKind::DerivedCopy {
        let _ = cap_delete(slot);
        return None;
    }
    let writable = writes_page || kind == GrantKind::Transfer;
    let most = if run {
        tmem_protocol::MAX_RUN as u32
    } else {
        1
    };
    // A frame too big for the room at `at` overlaps what follows it, and
    // the kernel refuses the mapping; a run's room ends at the spare
    // pages, which are mapped only while a frame is kept.
    match Frame(slot).map(at.address, writable) {
        Ok(pages) if pages >= 1 && pages <= most => Some((
            Mapped {
                slot,
                address: at.address,
            },
            pages as usize,
        )),
        Ok(pages) => {
            defmt::warn!("service: a frame of {=u32} pages came with a call", pages);
            let _ = Frame(slot).unmap();
            None
        }
        Err(error) => {
            defmt::warn!("service: cannot map a call's frame: {=str}", error.name());
            None
        }
    }
}
