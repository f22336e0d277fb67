//! What the system description asks of the memory manager: its typed
//! configuration (`config = { ... }` under its `[[partition]]`), checked
//! by xtask and decoded at start with `userlib::config`.
//!
//! ```toml
//! config = { policy = "selfballoon", period_ms = 20, reserve_above_committed_frames = 8,
//!            partition = 4, guests = [
//!     { boot_frames = 32, floor_frames = 8, ceiling_frames = 96 },
//!     { boot_frames = 32, floor_frames = 8, ceiling_frames = 96 },
//! ] }
//! ```
//!
//! Guest `k` (the `k`-th entry of `guests`, from 1) calls the manager's
//! endpoint with badge `k` and is tmem client `k`. The manager's
//! capability slots: 0 its endpoint (read), 1 the reserve frame, 2 the
//! tmem server's control endpoint, 4 PartitionControl (read); slots 16..
//! hold one-page frames.
//!
//! A configuration that cannot run (no guests, a zero period, a guest
//! booting outside its bounds) does not deserialize, so xtask refuses it
//! naming the field. This module only declares and checks; it must never
//! read anything but the configuration.

use core::fmt;

use memory_policy::MAX_GUESTS;
use serde::{Deserialize, Serialize};

/// Which policy sets the targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PolicyChoice {
    /// Xen's self-ballooning.
    #[serde(rename = "selfballoon")]
    SelfBalloon,
    /// Static partitioning: no ballooning, tmem only.
    #[serde(rename = "static")]
    Static,
}

/// One guest's frames: what it boots with and the bounds no policy takes
/// it past.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "GuestFrames")]
pub struct GuestConfig {
    /// Frames the guest boots with (its RAM frame's pages).
    pub boot_frames: u32,
    /// Frames no policy takes it below.
    pub floor_frames: u32,
    /// Frames no policy gives it past.
    pub ceiling_frames: u32,
}

/// [`GuestConfig`] before its check.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GuestFrames {
    boot_frames: u32,
    floor_frames: u32,
    ceiling_frames: u32,
}

/// Why a configuration cannot run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigProblem {
    /// `guests` is empty.
    NoGuests,
    /// `period_ms` is 0.
    ZeroPeriod,
    /// A guest boots below its floor or past its ceiling.
    BootOutsideBounds { boot: u32, floor: u32, ceiling: u32 },
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ConfigProblem::NoGuests => f.write_str("no guests: give at least one"),
            ConfigProblem::ZeroPeriod => f.write_str("a period of 0 ms"),
            ConfigProblem::BootOutsideBounds {
                boot,
                floor,
                ceiling,
            } => write!(
                f,
                "boot_frames {boot} is not between floor_frames {floor} and ceiling_frames {ceiling}"
            ),
        }
    }
}

impl TryFrom<GuestFrames> for GuestConfig {
    type Error = ConfigProblem;

    fn try_from(raw: GuestFrames) -> Result<GuestConfig, ConfigProblem> {
        if raw.floor_frames > raw.boot_frames || raw.boot_frames > raw.ceiling_frames {
            return Err(ConfigProblem::BootOutsideBounds {
                boot: raw.boot_frames,
                floor: raw.floor_frames,
                ceiling: raw.ceiling_frames,
            });
        }
        Ok(GuestConfig {
            boot_frames: raw.boot_frames,
            floor_frames: raw.floor_frames,
            ceiling_frames: raw.ceiling_frames,
        })
    }
}

/// The manager's configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ManagerFields")]
pub struct ManagerConfig {
    /// The policy: `"selfballoon"` or `"static"`.
    pub policy: PolicyChoice,
    /// The period, in milliseconds of virtual time.
    pub period_ms: u32,
    /// Frames self-ballooning keeps above each guest's committed memory
    /// (Xen's `selfballoon_reserved_mb`, in frames).
    pub reserve_above_committed_frames: u32,
    /// The manager's own partition index (its place among the
    /// description's `[[partition]]`s, from 0), for the kernel's count of
    /// its frame capabilities.
    pub partition: u32,
    /// The guests, in badge order (at most [`MAX_GUESTS`]).
    pub guests: heapless::Vec<GuestConfig, MAX_GUESTS>,
}

/// [`ManagerConfig`] before its check.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManagerFields {
    policy: PolicyChoice,
    period_ms: u32,
    reserve_above_committed_frames: u32,
    partition: u32,
    guests: heapless::Vec<GuestConfig, MAX_GUESTS>,
}

impl TryFrom<ManagerFields> for ManagerConfig {
    type Error = ConfigProblem;

    fn try_from(raw: ManagerFields) -> Result<ManagerConfig, ConfigProblem> {
        if raw.guests.is_empty() {
            return Err(ConfigProblem::NoGuests);
        }
        if raw.period_ms == 0 {
            return Err(ConfigProblem::ZeroPeriod);
        }
        Ok(ManagerConfig {
            policy: raw.policy,
            period_ms: raw.period_ms,
            reserve_above_committed_frames: raw.reserve_above_committed_frames,
            partition: raw.partition,
            guests: raw.guests,
        })
    }
}

impl ManagerConfig {
    /// Frames all the guests boot with.
    pub fn boot_frames(&self) -> u32 {
        self.guests.iter().map(|g| g.boot_frames).sum()
    }
}

#[cfg(test)]
mod tests {
    extern crate alloc;
    use super::*;

    fn guest(boot_frames: u32, floor_frames: u32, ceiling_frames: u32) -> GuestConfig {
        GuestConfig {
            boot_frames,
            floor_frames,
            ceiling_frames,
        }
    }

    #[test]
    fn a_configuration_survives_postcard() {
        let config = ManagerConfig {
            policy: PolicyChoice::Static,
            period_ms: 250,
            reserve_above_committed_frames: 8,
            partition: 5,
            guests: heapless::Vec::from_slice(&[guest(40, 8, 80), guest(20, 20, 20)]).unwrap(),
        };
        let bytes = postcard::to_allocvec(&config).unwrap();
        assert_eq!(
            postcard::from_bytes::<ManagerConfig>(&bytes).unwrap(),
            config
        );
        assert_eq!(config.boot_frames(), 60);
    }

    #[test]
    fn bytes_that_break_the_rules_do_not_decode() {
        let mut config = ManagerConfig {
            policy: PolicyChoice::SelfBalloon,
            period_ms: 0,
            reserve_above_committed_frames: 8,
            partition: 1,
            guests: heapless::Vec::from_slice(&[guest(40, 8, 80)]).unwrap(),
        };
        let zero_period = postcard::to_allocvec(&config).unwrap();
        assert!(postcard::from_bytes::<ManagerConfig>(&zero_period).is_err());
        config.period_ms = 10;
        config.guests[0].floor_frames = 41;
        let above_boot = postcard::to_allocvec(&config).unwrap();
        assert!(postcard::from_bytes::<ManagerConfig>(&above_boot).is_err());
        config.guests.clear();
        let none = postcard::to_allocvec(&config).unwrap();
        assert!(postcard::from_bytes::<ManagerConfig>(&none).is_err());
    }
}
