//! The fuzzer's two other threads: the helper, which serves calls on the
//! fuzzer's own endpoint and checks every frame passed to it, and the
//! feeder, which keeps a message waiting for the fuzzer's own receives.
//!
//! Both are benign: they answer well-formed, pass no capability on and
//! keep none they were given. They must never block on anything but the
//! fuzzer's own endpoint, and must end once the fuzz thread is done, so
//! the partition finishes and the run can end.
//!
//! Why nothing blocks for ever: the helper (priority above the fuzzer's)
//! is back on the endpoint whenever the fuzzer runs, so the fuzzer's calls
//! and sends are taken at once; the feeder (lowest priority) runs only when
//! both others are blocked, and then sends — to the helper, which receives
//! again behind a receiving fuzzer, then to the fuzzer. After the fuzz
//! thread is done the feeder sends `BYE`, and the helper and feeder end.

use core::sync::atomic::{AtomicU32, Ordering};

use kernel_abi::cap::GrantKind;
use test_fuzzer::layout::{
    page_pattern, slot, BYE, FEED, FEEDER_BADGE, HELPER_VA, LEND_CHECK, MAX_FRAME_PAGES,
};
use test_victim::echo_reply;
use userlib::ipc::{cap_delete, Carry, Endpoint, Frame, Message};

/// What the helper thought of the last frame lent to it with
/// [`LEND_CHECK`] (the first word of its reply).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum FrameCheck {
    /// Every page started with the fuzzer's pattern.
    Good = 1,
    /// A page did not: the grant carried the wrong memory.
    WrongContents = 2,
    /// No capability came with the message.
    NothingPassed = 3,
    /// It came but could not be mapped.
    Unmappable = 4,
}

/// Frames given to the helper whose contents were wrong.
static WRONG_FRAMES: AtomicU32 = AtomicU32::new(0);

/// The helper thread.
pub fn helper() {
    let endpoint = Endpoint(slot::ENDPOINT);
    let receive = Some(slot::HELPER_RECEIVE);
    let (mut messages, mut frames, mut errors) = (0u32, 0u32, 0u32);
    let mut message = endpoint.recv_into(receive);
    loop {
        let m = match message {
            Ok(m) => m,
            Err(error) => {
                errors += 1;
                if errors <= 8 {
                    defmt::error!("fuzz helper: receive failed: {=str}", error.name());
                }
                message = endpoint.recv_into(receive);
                continue;
            }
        };
        messages += 1;
        if m.badge == FEEDER_BADGE && m.words[0] == BYE && super::done() {
            break;
        }
        let reply = serve(&m, &mut frames);
        message = endpoint.reply_recv_with(&reply, Carry::receive(receive));
    }
    defmt::info!(
        "fuzz helper: {=u32} messages, {=u32} frames passed to it, {=u32} with wrong contents, {=u32} receive errors",
        messages,
        frames,
        WRONG_FRAMES.load(Ordering::Relaxed),
        errors
    );
}

/// The reply to `m`: a check of the frame it lent for [`LEND_CHECK`],
/// else the echo. A capability that came with it is checked, and deleted
/// unless it was lent (the kernel ends a loan at the reply, mapping and
/// all, which the fuzzer then checks). When none came, whatever the
/// fuzzer put in the receive slot is deleted.
fn serve(m: &Message, frames: &mut u32) -> [u32; 4] {
    let Some((at, kind)) = m.granted else {
        // Nothing landed: perhaps the fuzzer filled the receive slot.
        // Empty it, so that the next capability passed can land.
        let _ = cap_delete(slot::HELPER_RECEIVE);
        if m.words[0] == LEND_CHECK {
            return [FrameCheck::NothingPassed as u32, 0, 0, 0];
        }
        return echo_reply(m.words, m.len, m.badge);
    };
    *frames += 1;
    let lent_for_check = kind == GrantKind::Transient && m.words[0] == LEND_CHECK;
    let (check, first, pages) = check_frame(Frame(at), !lent_for_check);
    if kind != GrantKind::Transient {
        let _ = cap_delete(at);
    }
    if m.words[0] == LEND_CHECK {
        [check as u32, first, pages, 0]
    } else {
        echo_reply(m.words, m.len, m.badge)
    }
}

/// Maps `frame` read-only at [`HELPER_VA`] and checks the first word of
/// each page: a frame of the fuzzer's size must be the fuzzer's frame
/// (page `p` starting with `page_pattern(p)`); a one-page frame must be
/// one of its pages or the zeroed read-only frame. Unmaps it again if
/// `unmap`. Returns the verdict, the first word and the size in pages.
fn check_frame(frame: Frame, unmap: bool) -> (FrameCheck, u32, u32) {
    let pages = match frame.map(HELPER_VA, false) {
        Ok(pages) => pages,
        Err(_) => return (FrameCheck::Unmappable, 0, 0),
    };
    let word = |page: u32| {
        // SAFETY: the frame was just mapped readable at HELPER_VA, `pages`
        // pages long, and only this thread uses that zone.
        unsafe { ((HELPER_VA + page * 4096) as *const u32).read_volatile() }
    };
    let first = word(0);
    let good = if pages == MAX_FRAME_PAGES {
        (0..pages).all(|p| word(p) == page_pattern(p))
    } else {
        pages == 1 && (first == 0 || (0..MAX_FRAME_PAGES).any(|p| first == page_pattern(p)))
    };
    if !good {
        let wrong = WRONG_FRAMES.fetch_add(1, Ordering::Relaxed) + 1;
        if wrong <= 8 {
            defmt::error!(
                "fuzz helper: a frame of {=u32} pages passed to it has wrong contents (first word {=u32:#x})",
                pages,
                first
            );
        }
    }
    if unmap {
        let _ = frame.unmap();
    }
    let verdict = if good {
        FrameCheck::Good
    } else {
        FrameCheck::WrongContents
    };
    (verdict, first, pages)
}

/// The feeder thread.
pub fn feeder() {
    let endpoint = Endpoint(slot::FEEDER);
    let mut sequence = 0u32;
    let mut errors = 0u32;
    loop {
        if super::done() {
            if let Err(error) = endpoint.send(&[BYE]) {
                defmt::error!("fuzz feeder: goodbye failed: {=str}", error.name());
            }
            return;
        }
        if let Err(error) = endpoint.send(&[FEED, sequence]) {
            errors += 1;
            if errors <= 8 {
                defmt::error!("fuzz feeder: send failed: {=str}", error.name());
            }
        }
        sequence = sequence.wrapping_add(1);
    }
}
