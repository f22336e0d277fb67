//! The killers' loop, shared by the test partitions that kill a server
//! mid-run: stop a partition through a PartitionControl capability after a
//! seeded random wait of the killer's own clock, restart it at once, and
//! do that a given number of times. The waits come from a fixed seed, so
//! a run repeats under `-icount`. A killer can also aim: after each wait
//! it may wait on (a bounded time) for a moment it can see coming, such
//! as a client's call in flight.
//!
//! It only stops and restarts; it never touches the victim's memory, and
//! it logs nothing (each caller says what a kill meant to its test). A
//! stop or restart the kernel refuses ends the loop with that error.
#![no_std]

use kernel_abi::syscall::SyscallError;

/// How a killer kills: whom, how often, and after which waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kills {
    /// The victim's partition index in the description.
    pub victim: u32,
    /// How many times it is stopped and restarted.
    pub kills: u32,
    /// The seed of the waits (0 is taken as 1).
    pub seed: u32,
    /// Shortest and longest wait before a kill, in microseconds of the
    /// killer's own clock (the longest excluded).
    pub wait_us: (u32, u32),
    /// After each wait, how long at most to wait on for the aim's
    /// [`Aim::Hit`], in microseconds (0: never wait on).
    pub aim_us: u32,
}

/// What a killer's aim says when asked (on every turn while it waits, so
/// it can learn, and then until it says something but [`Aim::NotYet`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aim {
    /// The moment aimed at is now: kill.
    Hit,
    /// Not yet: wait on, if there is time left.
    NotYet,
    /// There is nothing to aim at: kill where the wait ended.
    Anywhere,
}

/// One kill done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kill {
    /// Which kill, from 1.
    pub number: u32,
    /// How long the killer waited before it, in microseconds.
    pub waited_us: u32,
    /// The victim's restarts so far, as the kernel counts them.
    pub restarts: u32,
    /// Whether the aim said [`Aim::Hit`] just before it.
    pub hit: bool,
}

/// Why the loop ended early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KillError {
    /// The kernel refused to stop the victim.
    Stop(SyscallError),
    /// The kernel refused to restart the stopped victim.
    Restart(SyscallError),
}

impl KillError {
    /// The kernel's error, for a log line.
    pub fn name(self) -> &'static str {
        match self {
            KillError::Stop(error) | KillError::Restart(error) => error.name(),
        }
    }

    /// `"stop"` or `"restart"`.
    pub fn step(self) -> &'static str {
        match self {
            KillError::Stop(_) => "stop",
            KillError::Restart(_) => "restart",
        }
    }
}

impl Kills {
    /// The wait before each kill, in order, in microseconds.
    pub fn waits(&self) -> impl Iterator<Item = u32> {
        let (shortest, longest) = self.wait_us;
        let span = longest.saturating_sub(shortest).max(1);
        let mut state = self.seed | 1;
        (0..self.kills).map(move |_| {
            state = xorshift(state);
            shortest + state % span
        })
    }

    /// Kills as described through the PartitionControl capability
    /// `control` (which needs the restart right), asking `aim` when to
    /// (see [`Aim`]) and telling `each` about every kill as it is done.
    #[cfg(target_os = "none")]
    pub fn run(
        &self,
        control: userlib::ipc::PartitionControl,
        mut aim: impl FnMut() -> Aim,
        mut each: impl FnMut(Kill),
    ) -> Result<(), KillError> {
        use userlib::syscall::{clock_us, yield_now};
        for (number, waited_us) in (1..).zip(self.waits()) {
            let until = clock_us() + u64::from(waited_us);
            while clock_us() < until {
                aim();
                yield_now();
            }
            let give_up = until + u64::from(self.aim_us);
            let mut said = aim();
            while said == Aim::NotYet && clock_us() < give_up {
                yield_now();
                said = aim();
            }
            control.stop(self.victim).map_err(KillError::Stop)?;
            let restarts = control.restart(self.victim).map_err(KillError::Restart)?;
            each(Kill {
                number,
                waited_us,
                restarts,
                hit: said == Aim::Hit,
            });
        }
        Ok(())
    }
}

/// Marsaglia's xorshift32: the next of a seeded sequence.
fn xorshift(mut x: u32) -> u32 {
    x ^= x << 13;
    x ^= x >> 17;
    x ^ x << 5
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    fn kills(seed: u32, wait_us: (u32, u32)) -> Kills {
        Kills {
            victim: 0,
            kills: 200,
            seed,
            wait_us,
            aim_us: 0,
        }
    }

    #[test]
    fn every_wait_is_in_its_range_and_there_is_one_per_kill() {
        for (seed, range) in [
            (1, (300, 6_000)),
            (0x7e3a_91c5, (2_000, 20_000)),
            (7, (5, 6)),
        ] {
            let waits: Vec<u32> = kills(seed, range).waits().collect();
            assert_eq!(waits.len(), 200);
            assert!(
                waits.iter().all(|w| (range.0..range.1).contains(w)),
                "{waits:?}"
            );
        }
    }

    #[test]
    fn the_same_seed_repeats_and_waits_vary() {
        let one: Vec<u32> = kills(0x7e3a_91c5, (300, 6_000)).waits().collect();
        let again: Vec<u32> = kills(0x7e3a_91c5, (300, 6_000)).waits().collect();
        assert_eq!(one, again, "a run must repeat under -icount");
        let other: Vec<u32> = kills(2, (300, 6_000)).waits().collect();
        assert_ne!(one, other);
        // A zero seed would stick xorshift at 0: every wait the shortest.
        let zero: Vec<u32> = kills(0, (300, 6_000)).waits().collect();
        assert!(zero.iter().any(|&w| w != 300), "{zero:?}");
    }

    #[test]
    fn the_first_waits_are_the_killers_own_sequence() {
        // Independent model: the sequence the killers computed in their
        // own loops before they shared this one.
        let mut state = 0x7e3a_91c5u32;
        let mut model = Vec::new();
        for _ in 0..5 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            model.push(300 + state % (6_000 - 300));
        }
        let waits: Vec<u32> = kills(0x7e3a_91c5, (300, 6_000)).waits().take(5).collect();
        assert_eq!(waits, model);
    }
}
