//! The server's configuration: which badge is which client, how its blocks
//! travel, and where on the disk its region lies — packed by xtask into
//! the partition's 32-bit `argument` and unpacked by the server.
//!
//! ```text
//! bits  2..0   device model (DeviceModel)
//! bits  6..3   granule: regions are counted in units of 2^g MiB
//! bit   7      0
//! bits 15..8   client 1 (badge 1): bit 15 mode (0 copy, 1 grant-map),
//!              bits 14..8 region size in granules (0: no such client)
//! bits 23..16  client 2, the same
//! bits 31..24  client 3, the same
//! ```
//!
//! Regions lie one after another from the start of the disk, in badge
//! order. [`Config::encode`] refuses what the word cannot say; it never
//! rounds a size.

use crate::model::DeviceModel;
use crate::request::Request;
use crate::status::Status;

/// Clients one server has.
pub const MAX_CLIENTS: usize = 3;
/// Blocks in a MiB.
pub const BLOCKS_PER_MIB: u32 = 256;
const MAX_GRANULES: u32 = 0x7F;

/// How a client's blocks travel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExchangeMode {
    /// In the client's window, a frame shared with the server.
    Copy,
    /// In a frame the client lends for the call.
    GrantMap,
}

/// A client's part of the disk, in blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    /// Its first block on the disk.
    pub start: u32,
    /// Its length.
    pub blocks: u32,
    /// How the client's data travels.
    pub mode: ExchangeMode,
}

impl Region {
    /// The disk block where `request`'s run starts, if the whole run lies
    /// inside the region.
    pub fn locate(&self, request: &Request) -> Result<u32, Status> {
        match request.block.checked_add(request.count) {
            Some(end) if end <= self.blocks => Ok(self.start + request.block),
            _ => Err(Status::OutOfRange),
        }
    }
}

/// What the configuration word says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// The device model.
    pub model: DeviceModel,
    /// Client `k`'s region is `regions[k - 1]`.
    pub regions: [Option<Region>; MAX_CLIENTS],
}

/// Why a configuration cannot be encoded or decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// No clients, or more than [`MAX_CLIENTS`].
    ClientCount,
    /// A region of 0 MiB.
    EmptyRegion,
    /// The sizes have no common power-of-two granule that counts each in
    /// at most 127 units.
    Sizes,
    /// An unknown model number, a reserved bit set, or a gap between
    /// clients.
    Malformed,
}

impl Config {
    /// Packs `model` and the clients' `(mode, size in MiB)`, client 1
    /// first.
    pub fn encode(model: DeviceModel, clients: &[(ExchangeMode, u32)]) -> Result<u32, ConfigError> {
        if clients.is_empty() || clients.len() > MAX_CLIENTS {
            return Err(ConfigError::ClientCount);
        }
        if clients.iter().any(|&(_, mib)| mib == 0) {
            return Err(ConfigError::EmptyRegion);
        }
        let granule = (0..16u32)
            .find(|&g| {
                clients
                    .iter()
                    .all(|&(_, mib)| mib.is_multiple_of(1 << g) && mib >> g <= MAX_GRANULES)
            })
            .ok_or(ConfigError::Sizes)?;
        let mut word = model as u32 | granule << 3;
        for (k, &(mode, mib)) in clients.iter().enumerate() {
            let mode_bit = match mode {
                ExchangeMode::Copy => 0,
                ExchangeMode::GrantMap => 0x80,
            };
            word |= (mode_bit | mib >> granule) << (8 + 8 * k);
        }
        Ok(word)
    }

    /// Unpacks a configuration word.
    pub fn decode(word: u32) -> Result<Config, ConfigError> {
        let model = DeviceModel::from_number(word & 0x7).ok_or(ConfigError::Malformed)?;
        if word & 0x80 != 0 {
            return Err(ConfigError::Malformed);
        }
        let granule_blocks = BLOCKS_PER_MIB << ((word >> 3) & 0xF);
        let mut regions = [None; MAX_CLIENTS];
        let mut start = 0u32;
        let mut ended = false;
        for (k, region) in regions.iter_mut().enumerate() {
            let byte = (word >> (8 + 8 * k)) & 0xFF;
            let granules = byte & MAX_GRANULES;
            if granules == 0 {
                if byte != 0 {
                    return Err(ConfigError::Malformed);
                }
                ended = true;
                continue;
            }
            if ended {
                return Err(ConfigError::Malformed);
            }
            let blocks = granules
                .checked_mul(granule_blocks)
                .ok_or(ConfigError::Sizes)?;
            let mode = if byte & 0x80 != 0 {
                ExchangeMode::GrantMap
            } else {
                ExchangeMode::Copy
            };
            *region = Some(Region {
                start,
                blocks,
                mode,
            });
            start = start.checked_add(blocks).ok_or(ConfigError::Sizes)?;
        }
        if regions[0].is_none() {
            return Err(ConfigError::ClientCount);
        }
        Ok(Config { model, regions })
    }

    /// The region of the client with `badge` (1-based), if there is one.
    pub fn region(&self, badge: u32) -> Option<Region> {
        let index = usize::try_from(badge).ok()?.checked_sub(1)?;
        *self.regions.get(index)?
    }

    /// Blocks the regions need, from the start of the disk.
    pub fn disk_blocks(&self) -> u64 {
        self.regions
            .iter()
            .flatten()
            .map(|r| u64::from(r.blocks))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use ExchangeMode::{Copy, GrantMap};

    #[test]
    fn regions_follow_each_other_in_badge_order() {
        let word = Config::encode(DeviceModel::MicroSd2010, &[(Copy, 64), (GrantMap, 4)]).unwrap();
        let config = Config::decode(word).unwrap();
        assert_eq!(config.model, DeviceModel::MicroSd2010);
        assert_eq!(
            config.region(1),
            Some(Region {
                start: 0,
                blocks: 64 * 256,
                mode: Copy
            })
        );
        assert_eq!(
            config.region(2),
            Some(Region {
                start: 64 * 256,
                blocks: 4 * 256,
                mode: GrantMap
            })
        );
        assert_eq!(config.region(3), None);
        assert_eq!(config.region(0), None);
        assert_eq!(config.disk_blocks(), 68 * 256);
    }

    #[test]
    fn sizes_the_word_cannot_say_are_refused() {
        assert_eq!(
            Config::encode(DeviceModel::None, &[]),
            Err(ConfigError::ClientCount)
        );
        assert_eq!(
            Config::encode(DeviceModel::None, &[(Copy, 0)]),
            Err(ConfigError::EmptyRegion)
        );
        // 129 MiB and 1 MiB: a granule of 1 counts 129 > 127.
        assert_eq!(
            Config::encode(DeviceModel::None, &[(Copy, 129), (Copy, 1)]),
            Err(ConfigError::Sizes)
        );
        assert_eq!(Config::decode(0x0000_0000), Err(ConfigError::ClientCount));
        assert_eq!(
            Config::decode(0x0001_0000),
            Err(ConfigError::Malformed),
            "a gap"
        );
        assert_eq!(
            Config::decode(0x0000_0107),
            Err(ConfigError::Malformed),
            "model 7"
        );
    }

    #[test]
    fn a_run_must_lie_inside_the_region() {
        let region = Region {
            start: 1000,
            blocks: 10,
            mode: Copy,
        };
        assert_eq!(region.locate(&Request::read(0, 10, 0)), Ok(1000));
        assert_eq!(region.locate(&Request::write(9, 1, 0)), Ok(1009));
        assert_eq!(
            region.locate(&Request::read(9, 2, 0)),
            Err(Status::OutOfRange)
        );
        assert_eq!(
            region.locate(&Request::read(u32::MAX, 2, 0)),
            Err(Status::OutOfRange)
        );
    }

    proptest! {
        #[test]
        fn encoded_configurations_decode_to_what_was_asked(
            sizes in proptest::collection::vec((any::<bool>(), 1u32..=2048), 1..=3),
            model in 0u32..7,
        ) {
            let model = DeviceModel::from_number(model).unwrap();
            let clients: Vec<_> = sizes
                .iter()
                .map(|&(grant, mib)| (if grant { GrantMap } else { Copy }, mib))
                .collect();
            if let Ok(word) = Config::encode(model, &clients) {
                let config = Config::decode(word).unwrap();
                prop_assert_eq!(config.model, model);
                let mut start = 0;
                for (k, &(mode, mib)) in clients.iter().enumerate() {
                    let region = config.region(k as u32 + 1).unwrap();
                    prop_assert_eq!(region, Region { start, blocks: mib * 256, mode });
                    start += mib * 256;
                }
            }
        }

        #[test]
        fn regions_never_overlap(word: u32) {
            if let Ok(config) = Config::decode(word) {
                let regions: Vec<_> = config.regions.iter().flatten().collect();
                for pair in regions.windows(2) {
                    prop_assert!(pair[0].start + pair[0].blocks <= pair[1].start);
                }
            }
        }
    }
}
