//! What the system description asks of the memory manager, decoded from
//! the partition's argument word (until typed partition configuration
//! lands: every field below is meant to become a named one).
//!
//! ```text
//! argument bits  2..0    guests (1..7): the callers with badges 1..=guests
//!                3       policy: 0 selfballoon, 1 static
//!                9..4    period, in units of 10 ms of virtual time
//!                16..10  frames each guest boots with
//!                22..17  floor: frames no guest goes below
//!                27..23  ceiling, in units of 4 frames
//!                31..28  the manager's own partition index (for the
//!                        kernel's count of its frame capabilities)
//! capability slots  0 the manager's endpoint (read), 1 the reserve frame,
//!                   2 the tmem server's control endpoint, 4 PartitionControl
//!                   (read); slots 16.. hold one-page frames
//! ```
//!
//! Decoding is total; it must never read anything but the argument.

/// Which policy sets the targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyChoice {
    /// Xen's self-ballooning.
    SelfBalloon,
    /// Static partitioning: no ballooning.
    Static,
}

/// Frames kept above a guest's committed memory by self-ballooning (Xen's
/// `selfballoon_reserved_mb`, here in frames).
pub const SELFBALLOON_RESERVE: u32 = 8;

/// The manager's configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ManagerConfig {
    /// How many guests call (badges 1..=guests).
    pub guests: u32,
    /// The policy.
    pub policy: PolicyChoice,
    /// The period, in milliseconds of virtual time.
    pub period_ms: u32,
    /// Frames every guest boots with.
    pub boot_frames: u32,
    /// Frames no guest goes below.
    pub floor: u32,
    /// Frames no guest goes past.
    pub ceiling: u32,
    /// The manager's partition index.
    pub partition: u32,
}

impl ManagerConfig {
    /// The configuration `argument` encodes.
    pub const fn decode(argument: u32) -> ManagerConfig {
        ManagerConfig {
            guests: argument & 0b111,
            policy: if argument & (1 << 3) == 0 {
                PolicyChoice::SelfBalloon
            } else {
                PolicyChoice::Static
            },
            period_ms: ((argument >> 4) & 0x3F) * 10,
            boot_frames: (argument >> 10) & 0x7F,
            floor: (argument >> 17) & 0x3F,
            ceiling: ((argument >> 23) & 0x1F) * 4,
            partition: argument >> 28,
        }
    }

    /// Why the configuration cannot run, if it cannot.
    pub const fn problem(&self) -> Option<&'static str> {
        if self.guests == 0 {
            Some("no guests")
        } else if self.period_ms == 0 {
            Some("a period of 0 ms")
        } else if self.floor > self.boot_frames || self.boot_frames > self.ceiling {
            Some("the boot frames are not between the floor and the ceiling")
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_decodes_from_its_bits() {
        let argument = 3 | 1 << 3 | 25 << 4 | 40 << 10 | 8 << 17 | 20 << 23 | 5 << 28;
        assert_eq!(
            ManagerConfig::decode(argument),
            ManagerConfig {
                guests: 3,
                policy: PolicyChoice::Static,
                period_ms: 250,
                boot_frames: 40,
                floor: 8,
                ceiling: 80,
                partition: 5,
            }
        );
        assert_eq!(ManagerConfig::decode(argument).problem(), None);
        assert_eq!(ManagerConfig::decode(0).problem(), Some("no guests"));
        let floor_too_high = 1 | 1 << 4 | 4 << 10 | 8 << 17 | 20 << 23;
        assert!(ManagerConfig::decode(floor_too_high).problem().is_some());
    }
}
