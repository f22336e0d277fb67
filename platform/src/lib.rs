//! Boards and their devices.
//!
//! This crate describes each supported board (memory map, console, interrupt
//! controller and timer bases, clocks) as plain data, and holds the drivers
//! for devices that several boards share: the PL011 UART, the Cortex-A9
//! MPCore GIC, private timer and global timer.
//!
//! Drivers work through [`safe_mmio::UniqueMmioPointer`]s handed to them by
//! the kernel's `arch` layer, so they run unchanged against fake register
//! blocks in host tests. This crate must never decide where a device is
//! mapped in virtual memory (that is the kernel's layout) and never hold
//! global state.
#![no_std]

pub mod board;
pub mod boards;
pub mod drivers;

pub use board::{Board, ConsoleUart, DebugExit, QemuMachine, Region};

/// The board this build targets, chosen by a `board-*` cargo feature.
#[cfg(feature = "board-vexpress-a9")]
pub const BOARD: &Board = &boards::VEXPRESS_A9;
