//! The block server partition's binary: see `partition/` (target only)
//! and the library for the logic.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod partition;

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("block-server is a partition; `cargo xtask run-qemu` boots it");
}
