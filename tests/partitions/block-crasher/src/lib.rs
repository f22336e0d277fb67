//! The block crasher's typed configuration, in a library so that xtask can
//! check system descriptions against it (the partition itself is the
//! binary). Nothing else belongs here.
#![no_std]

use serde::{Deserialize, Serialize};

/// `config = { writer = { blocks = 24, rounds = 4 } }` or
/// `config = { killer = { victim = 0, kills = 8, seed = 1 } }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum Config {
    /// Writes every block of the first `blocks` of its region `rounds`
    /// times, each time with new contents, checking as it goes and at the
    /// end that every acknowledged write reads back.
    Writer {
        /// Blocks it writes (from the start of its region).
        blocks: u32,
        /// Times it writes each.
        rounds: u32,
    },
    /// Stops partition `victim` `kills` times after seeded random waits,
    /// restarting it at once each time.
    Killer {
        /// The partition's index in the description.
        victim: u32,
        /// How many times.
        kills: u32,
        /// The seed of the waits (non-zero).
        seed: u32,
    },
}
