//! System descriptions: the TOML files under `systems/` (and
//! `tests/systems/`) that say which partitions a system has, their memory,
//! threads, schedule, shared memory and devices — and how one becomes a
//! bootable kernel image.
//!
//! The kernel never sees TOML: [`validate`] turns a description into the
//! `boot-info` table or rejects it naming the file, the field and the
//! reason, and [`build`] compiles the partitions and packs the image.

pub mod build;
pub mod clients;
pub mod config;
pub mod description;
pub mod disk;
pub mod fit;
pub mod guest;
#[cfg(test)]
mod mutations;
pub mod reserve;
pub mod restart;
pub mod tmem;
pub mod validate;

pub use build::{build_system, BuiltSystem};
pub use description::Description;
pub use validate::{validate, DescriptionError};
