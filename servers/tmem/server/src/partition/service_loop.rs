//! Thread 0's loop on the service endpoint: receive a call (accepting a
//! frame into a spare slot), map the frame if one came, let the service
//! answer, and reply — transferring a frame back when one was transferred
//! in, so a transfer-mode client always keeps its count of frames.
//!
//! A frame that cannot be given back (the caller was stopped mid-call: the
//! kernel says the reply was dropped) is kept and counted, and later calls
//! use a fresh spare slot and page.
//! This loop must never hold the lock across a system call that blocks.

use kernel_abi::cap::{GrantKind, Rights};
use tmem_protocol::{Opcode, Reply, Request, Status, MESSAGE_WORDS};
use userlib::ipc::{cap_delete, Endpoint, Frame, Grant, Message};

use super::client_pages::CallerPages;
use super::pool::Mapped;
use super::with_state;
use tmem_server::layout::{SERVICE, SPARE_BASE, SPARE_SLOTS};
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
        let (reply, give_back) = answer(&message, spares.current);
        let words = reply.encode();
        let grant = give_back.map(|frame| Grant {
            slot: frame.slot,
            kind: GrantKind::Transfer,
            rights: Rights::NONE,
        });
        if let Some(frame) = give_back {
            spares.current = frame;
        }
        received =
            endpoint.reply_recv_with(&words[..Reply::WORDS], grant, Some(spares.current.slot));
        if let (Ok(message), Some(frame)) = (received, give_back) {
            if message.reply_dropped {
                // The caller is gone and the frame stayed here: keep it and
                // count it. (The message just received could not land a
                // frame in the occupied slot; the service answers it as
                // one that brought none.)
                defmt::warn!(
                    "service: caller gone; keeping its frame (slot {=u16})",
                    frame.slot
                );
                with_state(|state| state.frames_held += 1);
                spares.retire();
            }
        }
    }
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

/// The reply to `message`, and the frame to transfer back with it.
fn answer(message: &Message, spare: Mapped) -> (Reply, Option<Mapped>) {
    let words: [u32; MESSAGE_WORDS] = message.words;
    let decoded = Request::decode(words, usize::from(message.len));
    let writes_page = decoded.is_ok_and(|request| request.opcode() == Opcode::GetPage);
    let frame = message
        .granted
        .and_then(|(slot, kind)| receive_frame(slot, kind, spare, writes_page));
    let transferred = matches!(message.granted, Some((_, GrantKind::Transfer)));
    let outcome = with_state(|state| {
        let mode = state.service.mode_of(message.badge)?;
        let index = message.badge as usize - 1;
        if transferred && frame.is_some() {
            state.service.store().provider().offer(spare);
        }
        let mut pages = CallerPages {
            window: state.windows[index],
            frame: frame.map(|frame| frame.address),
            mode,
        };
        let reply = state
            .service
            .serve(message.badge, words, decoded, &mut pages);
        let back = state.service.store().provider().settle();
        Some((reply, back))
    })
    .flatten();
    match outcome {
        Some((reply, back)) => (
            reply,
            if transferred {
                back.or(Some(spare))
            } else {
                None
            },
        ),
        // Not a client (or not set up): refuse; give back what came.
        None => (
            refusal(words, decoded, Status::UnknownClient),
            transferred.then_some(spare),
        ),
    }
}

/// Maps a frame that came with a call at the spare page, if it is one
/// page; a derived copy (never part of the protocol) is dropped at once.
fn receive_frame(slot: u16, kind: GrantKind, spare: Mapped, writes_page: bool) -> Option<Mapped> {
    if kind == GrantKind::DerivedCopy {
        let _ = cap_delete(slot);
        return None;
    }
    let writable = writes_page || kind == GrantKind::Transfer;
    match Frame(slot).map(spare.address, writable) {
        Ok(1) => Some(Mapped {
            slot,
            address: spare.address,
        }),
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
