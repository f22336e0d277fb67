//! The receive-serve-reply loop: map a frame lent with the call, serve the
//! request, hold the reply until the device model's completion time, and
//! reply while waiting for the next call. A lent frame is unmapped by the
//! kernel at the reply; any other capability a caller passes is deleted at
//! once. This loop never keeps one, so a caller cannot block the slot
//! where the next caller's loan lands.

use block_protocol::config::{Config, MAX_CLIENTS};
use block_protocol::{DeviceQueue, Status};
use block_server::layout::{LENT, SERVICE, SPARE_BASE, SPARE_PAGES};
use block_server::{serve, CardDisk, Outcome};
use kernel_abi::cap::GrantKind;
use sdmmc::pl181::Pl181;
use sdmmc::MmioBus;
use userlib::ipc::{cap_delete, Carry, Endpoint, Frame, Message};

use super::caller::Caller;
use super::timer::Timer;
use super::Window;

type Disk = CardDisk<Pl181<MmioBus, Timer>>;

/// Serves for ever.
pub fn run(config: &Config, windows: &[Option<Window>; MAX_CLIENTS], mut disk: Disk) -> ! {
    let endpoint = Endpoint(SERVICE);
    let mut queue = DeviceQueue::new();
    let mut received = endpoint.recv_into(Some(LENT));
    loop {
        let message = match received {
            Ok(message) => message,
            Err(error) => {
                defmt::warn!("block server: receive failed: {=str}", error.name());
                received = endpoint.recv_into(Some(LENT));
                continue;
            }
        };
        let arrived = userlib::syscall::clock_us();
        let outcome = answer(config, windows, &message, &mut disk);
        if let (Status::Ok, Some(opcode)) = (outcome.status, outcome.opcode) {
            let done = queue.admit(config.model, arrived, opcode, outcome.blocks);
            // The same timer the driver waits on: one owner of the SP804.
            disk.host_mut().interrupt_mut().sleep_until(done);
        }
        received = endpoint.reply_recv_with(&outcome.words(), Carry::receive(Some(LENT)));
    }
}

fn answer(
    config: &Config,
    windows: &[Option<Window>; MAX_CLIENTS],
    message: &Message,
    disk: &mut Disk,
) -> Outcome {
    let lent = message.granted.and_then(|(slot, kind)| {
        if kind != GrantKind::Transient {
            // Not part of the protocol: drop it, so the slot is free for
            // the next caller's loan.
            let _ = cap_delete(slot);
            return None;
        }
        // Map writable if the loan allows it (the service checks whether
        // the request needs it), else read-only.
        let frame = Frame(slot);
        let mapped = frame
            .map(SPARE_BASE, true)
            .map(|pages| (pages, true))
            .or_else(|_| frame.map(SPARE_BASE, false).map(|pages| (pages, false)));
        match mapped {
            Ok((pages, writable)) => Some((SPARE_BASE, pages.min(SPARE_PAGES), writable)),
            Err(error) => {
                defmt::warn!(
                    "block server: cannot map a lent frame: {=str}",
                    error.name()
                );
                None
            }
        }
    });
    let window = usize::try_from(message.badge)
        .ok()
        .and_then(|badge| badge.checked_sub(1))
        .and_then(|index| windows.get(index).copied().flatten());
    let mut caller = Caller { window, lent };
    serve(
        config,
        message.badge,
        message.words,
        usize::from(message.len),
        &mut caller,
        disk,
    )
}
