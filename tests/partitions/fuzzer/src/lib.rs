//! The fuzzer partition's pure core, tested on the host: a deterministic
//! random-number generator, the fuzzer's plan (from its argument), where
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

/// What the fuzzer does, from its partition's argument:
///
/// ```text
/// bits 15..0   the seed
/// bits 30..16  system calls, in units of 10,000 (0: 1,000,000)
/// bit  31      then read a kernel address (a deliberate fault)
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Seeds the generator.
    pub seed: u16,
    /// How many system calls to make.
    pub calls: u32,
    /// End with a deliberate wild pointer instead of exiting.
    pub wild: bool,
}

/// Calls per unit of the argument's count.
pub const CALLS_PER_UNIT: u32 = 10_000;
/// Calls when the argument's count is 0.
pub const DEFAULT_CALLS: u32 = 1_000_000;

impl Plan {
    /// The plan an argument describes.
    pub const fn from_argument(argument: u32) -> Plan {
        let units = (argument >> 16) & 0x7FFF;
        Plan {
            seed: argument as u16,
            calls: if units == 0 {
                DEFAULT_CALLS
            } else {
                units * CALLS_PER_UNIT
            },
            wild: argument & (1 << 31) != 0,
        }
    }

    /// The argument that describes this plan (`calls` rounded down to a
    /// whole unit).
    pub const fn to_argument(self) -> u32 {
        let units = self.calls / CALLS_PER_UNIT;
        (self.seed as u32) | ((units & 0x7FFF) << 16) | if self.wild { 1 << 31 } else { 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_name_seed_count_and_wild_pointer() {
        assert_eq!(
            Plan::from_argument(0x0064_1E18),
            Plan {
                seed: 0x1E18,
                calls: 1_000_000,
                wild: false
            }
        );
        assert_eq!(Plan::from_argument(0x1E18).calls, DEFAULT_CALLS);
        let wild = Plan::from_argument(0x8002_0007);
        assert_eq!((wild.seed, wild.calls, wild.wild), (7, 20_000, true));
        for plan in [wild, Plan::from_argument(0x03E8_BEEF)] {
            assert_eq!(Plan::from_argument(plan.to_argument()), plan);
        }
        assert_eq!(Plan::from_argument(0x7FFF_0000).calls, 0x7FFF * 10_000);
    }
}
