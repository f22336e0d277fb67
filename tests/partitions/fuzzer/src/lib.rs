//! The fuzzer partition's pure core, tested on the host: a deterministic
//! random-number generator, the fuzzer's plan (its typed configuration), where
//! things are in its address and capability spaces, and the generator that
//! turns random numbers into hostile system calls.
//!
//! The generator is as hostile to the *kernel* as it can be — random
//! numbers in every register, kernel-half, unaligned, unmapped, read-only
//! and wrapping pointers, empty, foreign, out-of-range and wrongly typed
//! slots, malformed message and grant words — while never making a call
//! that would stop the fuzzer from fuzzing. It must never produce
//! `thread_exit`; never a pointer the kernel would write through into the
//! fuzzer's own memory or mapped frames; never a log frame the kernel
//! would accept (that would feed junk to the host's decoder); never delete
//! or transfer away a capability the system description gave it; never
//! map into the grant-window pages its crafted scenarios and its helper
//! thread use; and never wait on a notification nothing will signal.
#![no_std]

#[cfg(test)]
extern crate std;

pub mod generate;
pub mod layout;
pub mod rng;

/// What the fuzzer does: its typed configuration,
/// `config = { seed = 0x1E18, calls = 1_000_000 }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Seeds the generator.
    pub seed: u16,
    /// How many system calls to make.
    pub calls: u32,
    /// End with a deliberate wild pointer (a read of a kernel address)
    /// instead of exiting.
    #[serde(default)]
    pub wild: bool,
}
