//! The test guest kernel's typed configuration, in a library so that xtask can check
//! system descriptions against it (the partition itself is the binary).
//! Nothing else belongs here.
#![no_std]

pub mod config;
