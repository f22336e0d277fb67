//! The memory manager partition's binary: see `partition.rs` (target
//! only) and the library for the logic.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod partition;
#[cfg(target_os = "none")]
mod pool_calls;

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("memory-manager is a partition: run it in a system, e.g. systems/default.toml");
}
