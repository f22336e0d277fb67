//! The guest OS kernel partition's binary: see `partition.rs` (target
//! only) and the library for the logic.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod balloon_boot;
#[cfg(target_os = "none")]
mod manager_link;
#[cfg(target_os = "none")]
mod partition;
#[cfg(target_os = "none")]
mod processes;

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("guest-os-kernel is a partition: run it in a system, e.g. systems/guest-os.toml");
}
