//! Framing of the log stream that leaves the machine (semihosting or UART).
//!
//! Every record is one defmt frame, tagged with the source that produced
//! it so the host decodes it with that source's ELF:
//!
//! ```text
//! [source: u8, never 0] [defmt rzCOBS frame bytes, no 0] [0x00]
//! ```
//!
//! rzCOBS frames contain no zero byte except their terminator, so a reader
//! that loses bytes resynchronises at the next `0x00`. A frame whose source
//! byte was lost decodes as malformed and is dropped, never misattributed
//! silently.

/// A log source: the kernel or one partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    /// The kernel itself.
    Kernel,
    /// The partition with this index in the system description.
    Partition(u8),
}

/// Source byte of the kernel's own frames.
const KERNEL_BYTE: u8 = 1;
/// Source byte of partition 0; partition `n` is `PARTITION_BASE + n`.
const PARTITION_BASE: u8 = 2;

/// Frame terminator.
pub const TERMINATOR: u8 = 0;

/// The most partitions a log stream can tell apart.
pub const MAX_PARTITIONS: u8 = u8::MAX - PARTITION_BASE + 1;

impl Source {
    /// The byte that starts this source's records.
    pub const fn to_byte(self) -> u8 {
        match self {
            Source::Kernel => KERNEL_BYTE,
            Source::Partition(index) => PARTITION_BASE.saturating_add(index),
        }
    }

    /// The source a record's first byte names, if any.
    pub const fn from_byte(byte: u8) -> Option<Source> {
        match byte {
            TERMINATOR => None,
            KERNEL_BYTE => Some(Source::Kernel),
            b => Some(Source::Partition(b - PARTITION_BASE)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_bytes_round_trip_and_never_collide_with_the_terminator() {
        assert_eq!(
            Source::from_byte(Source::Kernel.to_byte()),
            Some(Source::Kernel)
        );
        for index in 0..MAX_PARTITIONS {
            let byte = Source::Partition(index).to_byte();
            assert_ne!(byte, TERMINATOR);
            assert_ne!(byte, Source::Kernel.to_byte());
            assert_eq!(Source::from_byte(byte), Some(Source::Partition(index)));
        }
        assert_eq!(Source::from_byte(TERMINATOR), None);
    }
}
