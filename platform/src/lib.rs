//! Boards and their devices.
//!
//! This crate describes each supported board (memory map, console, interrupt
//! controller and timer bases, clocks) as plain data, and holds the drivers
//! for the devices the kernel drives: the PL011 and 16550 UARTs, the
//! Cortex-A9 MPCore GIC, private timer and global timer (shared by every
//! board), and Tegra20's legacy interrupt controller and TIMERUS.
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
pub mod sd;

pub use board::{Board, ConsoleUart, DebugExit, KernelLoadError, QemuMachine, Region};

/// The board this build targets, chosen by a `board-*` cargo feature.
#[cfg(feature = "board-vexpress-a9")]
pub const BOARD: &Board = &boards::VEXPRESS_A9;
/// The board this build targets, chosen by a `board-*` cargo feature.
#[cfg(feature = "board-tegra20-harmony")]
pub const BOARD: &Board = &boards::tegra20::HARMONY;
/// The board this build targets, chosen by a `board-*` cargo feature.
#[cfg(feature = "board-tegra20-seaboard")]
pub const BOARD: &Board = &boards::tegra20::SEABOARD;
/// The board this build targets, chosen by a `board-*` cargo feature.
#[cfg(feature = "board-tegra20-ventana")]
pub const BOARD: &Board = &boards::tegra20::VENTANA;
/// The board this build targets, chosen by a `board-*` cargo feature.
#[cfg(feature = "board-tegra20-trimslice")]
pub const BOARD: &Board = &boards::tegra20::TRIMSLICE;
/// The board this build targets, chosen by a `board-*` cargo feature.
#[cfg(feature = "board-tegra20-paz00")]
pub const BOARD: &Board = &boards::tegra20::PAZ00;
