//! The partition's typed configuration: the `config` its system
//! description gives it, as the type its crate declares.
//!
//! xtask checks the description's fields against that type and encodes
//! them with postcard; the kernel puts the bytes at the top of thread 0's
//! stack and starts every thread with their address and length in `r2`
//! and `r3` (`kernel_abi::user_layout`). `_start` records them here and
//! [`config`] decodes them. This module only reads those bytes: it never
//! writes them and never reads anything else.

use core::sync::atomic::{AtomicU32, Ordering};

use serde::de::DeserializeOwned;

/// Address of the configuration bytes (every thread records the same).
static ADDRESS: AtomicU32 = AtomicU32::new(0);
/// Their length (0: the partition has no configuration).
static LENGTH: AtomicU32 = AtomicU32::new(0);

/// Why the configuration could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// The description gives this partition no configuration.
    Missing,
    /// The bytes are not one value of the type asked for (a crate whose
    /// type differs from the one xtask encoded with).
    Malformed,
}

impl ConfigError {
    /// The error's name, for logs.
    pub const fn name(self) -> &'static str {
        match self {
            ConfigError::Missing => "no configuration",
            ConfigError::Malformed => "configuration does not decode",
        }
    }
}

/// Records where the kernel put the configuration (from `_start`).
#[cfg(target_os = "none")]
pub(crate) fn record(address: u32, length: u32) {
    ADDRESS.store(address, Ordering::Relaxed);
    LENGTH.store(length, Ordering::Relaxed);
}

/// The partition's configuration, decoded as `T`: the type its crate
/// declares for xtask.
pub fn config<T: DeserializeOwned>() -> Result<T, ConfigError> {
    decode(bytes())
}

/// Decodes `bytes`, which must hold exactly one `T`.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ConfigError> {
    if bytes.is_empty() {
        return Err(ConfigError::Missing);
    }
    match postcard::take_from_bytes(bytes) {
        Ok((value, [])) => Ok(value),
        _ => Err(ConfigError::Malformed),
    }
}

/// The configuration bytes the kernel placed (empty before `_start` ran,
/// or when there are none).
fn bytes() -> &'static [u8] {
    let address = ADDRESS.load(Ordering::Relaxed);
    let length = LENGTH.load(Ordering::Relaxed);
    if address == 0 || length == 0 {
        return &[];
    }
    // SAFETY: the kernel mapped `length` bytes at `address` in this
    // partition's thread 0 stack region for the partition's whole life
    // (`kernel_abi::user_layout`); nothing in this partition writes
    // them: thread 0's stack starts below them.
    unsafe { core::slice::from_raw_parts(address as *const u8, length as usize) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Plan {
        pages: u32,
        mode: Mode,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    enum Mode {
        Off,
        On(u8),
    }

    #[test]
    fn decodes_exactly_one_value_and_refuses_the_rest() {
        let plan = Plan {
            pages: 300,
            mode: Mode::On(9),
        };
        let mut buffer = [0u8; 16];
        let bytes = postcard::to_slice(&plan, &mut buffer).unwrap();
        assert_eq!(decode::<Plan>(bytes), Ok(plan));
        assert_eq!(
            decode::<Plan>(&[0, 0]),
            Ok(Plan {
                pages: 0,
                mode: Mode::Off
            })
        );
        assert_eq!(decode::<Plan>(&[]), Err(ConfigError::Missing));
        assert_eq!(
            decode::<Plan>(&bytes[..bytes.len() - 1]),
            Err(ConfigError::Malformed),
            "cut short"
        );
        let mut longer = [0u8; 17];
        longer[..bytes.len()].copy_from_slice(bytes);
        assert_eq!(
            decode::<Plan>(&longer[..bytes.len() + 1]),
            Err(ConfigError::Malformed),
            "bytes left over"
        );
        assert_eq!(
            decode::<Plan>(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0]),
            Err(ConfigError::Malformed)
        );
    }

    #[test]
    fn without_a_recorded_configuration_it_is_missing() {
        assert_eq!(config::<Plan>(), Err(ConfigError::Missing));
    }
}
