//! The project's build tool as a library, so system tests drive QEMU and
//! decode logs with exactly the code `cargo xtask` uses.
//!
//! One module per concern: finding a toolchain, building images, running
//! QEMU, decoding the log stream, reading ELF symbols. Nothing here may
//! exit the process or print to stdout on its own account except progress
//! notes on stderr; the binary decides what users see.

pub mod bench;
pub mod bench_plot;
pub mod bench_report;
pub mod board;
pub mod bootscript;
pub mod demo;
pub mod disk_image;
pub mod elf;
pub mod error;
pub mod fat_image;
pub mod flash;
pub mod image;
pub mod logstream;
pub mod profile;
pub mod qemu;
pub mod rawbin;
pub mod session;
pub mod system;
pub mod toolchain;
pub mod uimage;
pub mod workspace;

pub use error::Error;
