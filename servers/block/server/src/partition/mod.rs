//! The block server partition: finds the card, maps each copy-mode
//! client's window, then serves requests for ever, holding each reply
//! until the device model says the operation would have finished.
//!
//! One thread serves one request at a time, so requests queue at the
//! endpoint as they would at one device. All its state is on the card, so
//! it can be stopped at any point and restarted (`restart = { max = N }`):
//! a write acknowledged before is on the card, a call in flight ends in
//! `PeerGone` for its client, which re-issues it. A missing card is reported once
//! and every request then gets `NoCard`; the server never stops serving.

mod caller;
mod serve_loop;
mod timer;

use block_protocol::config::{Config, ExchangeMode};
use block_server::layout::{window_address, MMCI_ADDRESS, WINDOWS, WINDOW_PAGES};
use block_server::CardDisk;
use sdmmc::pl181::Pl181;
use sdmmc::{Host, MmioBus};
use userlib::ipc::Frame;
use userlib::Start;

use timer::Timer;

userlib::entry!(main);

/// A mapped window: where, and how many pages of it may be used.
#[derive(Clone, Copy)]
pub struct Window {
    address: u32,
    pages: u32,
}

fn main(_start: Start) {
    let config: Config = match userlib::config() {
        Ok(config) => config,
        Err(error) => return defmt::error!("block server: {=str}", error.name()),
    };
    let mut windows = [None; block_protocol::config::MAX_CLIENTS];
    for (index, region) in config.regions.iter().enumerate() {
        let Some(region) = region else { continue };
        if region.mode != ExchangeMode::Copy {
            continue;
        }
        match Frame(WINDOWS + index as u16).map(window_address(index + 1), true) {
            Ok(pages) => {
                windows[index] = Some(Window {
                    address: window_address(index + 1),
                    pages: pages.min(WINDOW_PAGES),
                })
            }
            Err(error) => defmt::warn!(
                "block server: client {=usize}'s window does not map: {=str}",
                index + 1,
                error.name()
            ),
        }
    }
    // SAFETY: the description maps the MMCI's 4 KiB of registers at
    // MMCI_ADDRESS in this partition alone (xtask checks `[[disk]]`), and
    // only this driver touches them.
    let bus = unsafe { MmioBus::new(MMCI_ADDRESS as usize) };
    // Quiet both devices, then take their interrupt lines over: a
    // restarted server finds them as its killed run left them.
    let mut host = Pl181::new(bus, Timer::new());
    let _ = host.start();
    host.interrupt_mut().reclaim_lines();
    let disk = CardDisk::new(host);
    let clients = config.regions.iter().flatten().count();
    match disk.card() {
        Ok(card) => defmt::info!(
            "block server: card of {=u64} MiB ({=str}), {=usize} clients, model {=str}",
            card.sectors / 2048,
            if card.high_capacity { "SDHC" } else { "SDSC" },
            clients,
            config.model.name()
        ),
        Err(error) => defmt::warn!(
            "block server: no card ({=str}); every request will be refused",
            error.name()
        ),
    }
    if let Ok(card) = disk.card() {
        if card.sectors / 8 < config.disk_blocks() {
            defmt::warn!(
                "block server: the regions need {=u64} blocks but the card has {=u64}",
                config.disk_blocks(),
                card.sectors / 8
            );
        }
    }
    serve_loop::run(&config, &windows, disk);
}
