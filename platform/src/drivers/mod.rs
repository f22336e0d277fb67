//! Drivers for devices shared by several boards.
//!
//! Each driver owns a [`safe_mmio::UniqueMmioPointer`] to its register
//! block and never creates one itself: mapping devices is the kernel's job.

pub mod gic;
pub mod global_timer;
pub mod pl011;
pub mod private_timer;
