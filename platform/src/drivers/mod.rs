//! Drivers for the devices the kernel drives on its boards.
//!
//! Each driver owns a [`safe_mmio::UniqueMmioPointer`] to its register
//! block and never creates one itself: mapping devices is the kernel's job.

pub mod gic;
pub mod global_timer;
pub mod ns16550;
pub mod pl011;
pub mod private_timer;
pub mod tegra_ictlr;
pub mod tegra_timerus;
