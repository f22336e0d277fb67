//! SD card drivers: the card's command protocol (identification,
//! initialisation, block reads and writes) once, over two host
//! controllers — ARM's PL181 MultiMedia Card Interface (QEMU's
//! `vexpress-a9`) and the SD Host Controller Interface of Tegra 2's SDMMC
//! blocks.
//!
//! Controllers are reached through a [`RegisterBus`] of 32-bit registers
//! rather than `safe-mmio` register structs: the controllers' registers
//! have side effects (writing the command register runs a command, reading
//! the FIFO pops it), so host tests need a fake that *behaves* like a
//! controller with a card behind it (`testing`), which plain memory cannot.
//!
//! Every wait is bounded: a missing card, a card error or a controller
//! that never answers becomes an [`SdError`], never a hang. This crate
//! must never map a device or decide how long a real wait takes: the
//! partition hands it a bus and an [`Interrupt`] to wait on.
#![cfg_attr(not(test), no_std)]

pub mod bus;
pub mod card;
pub mod command;
pub mod csd;
pub mod error;
pub mod pl181;
pub mod sdhci;

#[cfg(test)]
mod testing;

pub use bus::{Interrupt, MmioBus, RegisterBus};
pub use card::{Card, Host, SECTOR_SIZE};
pub use command::{Command, Response, ResponseKind};
pub use error::SdError;
