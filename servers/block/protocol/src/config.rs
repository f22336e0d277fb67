//! The server's configuration: which badge is which client, how its blocks
//! travel, and where on the disk its region lies — the block server
//! partition's typed configuration, which xtask builds from the
//! description's `[[disk]]` with [`Config::new`] and the server reads with
//! `userlib::config`.
//!
//! Regions lie one after another from the start of the disk, in badge
//! order. What travels is the model and each client's mode and size;
//! decoding runs [`Config::new`] again, so a server never holds regions
//! that overlap or leave a gap, whatever the bytes said.

use crate::model::DeviceModel;
use crate::request::Request;
use crate::status::Status;

/// Clients one server has.
pub const MAX_CLIENTS: usize = 3;
/// Blocks in a MiB.
pub const BLOCKS_PER_MIB: u32 = 256;

/// How a client's blocks travel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

/// The server's configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "Fields", into = "Fields")]
pub struct Config {
    /// The device model.
    pub model: DeviceModel,
    /// Client `k`'s region is `regions[k - 1]`.
    pub regions: [Option<Region>; MAX_CLIENTS],
}

/// A configuration as it travels: the model and client `k`'s `(mode,
/// size in MiB)` at `k - 1`, the clients first and then `None`s.
#[derive(serde::Serialize, serde::Deserialize)]
struct Fields {
    model: DeviceModel,
    clients: [Option<(ExchangeMode, u32)>; MAX_CLIENTS],
}

impl TryFrom<Fields> for Config {
    type Error = ConfigError;

    fn try_from(fields: Fields) -> Result<Config, ConfigError> {
        let count = fields.clients.iter().take_while(|c| c.is_some()).count();
        if fields.clients[count..].iter().any(Option::is_some) {
            return Err(ConfigError::Gap);
        }
        let mut clients = [(ExchangeMode::Copy, 0); MAX_CLIENTS];
        for (to, from) in clients.iter_mut().zip(fields.clients.iter().flatten()) {
            *to = *from;
        }
        Config::new(fields.model, &clients[..count])
    }
}

impl From<Config> for Fields {
    fn from(config: Config) -> Fields {
        let mut clients = [None; MAX_CLIENTS];
        for (to, region) in clients.iter_mut().zip(config.regions.iter()) {
            *to = region.map(|r| (r.mode, r.blocks / BLOCKS_PER_MIB));
        }
        Fields {
            model: config.model,
            clients,
        }
    }
}

/// Why clients are not a configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// No clients, or more than [`MAX_CLIENTS`].
    ClientCount,
    /// A region of 0 MiB.
    EmptyRegion,
    /// The regions end beyond the last block a 32-bit number names.
    Sizes,
    /// A client after a missing one.
    Gap,
}

impl core::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            ConfigError::ClientCount => "between 1 and 3 clients",
            ConfigError::EmptyRegion => "a region of 0 MiB",
            ConfigError::Sizes => "the regions end beyond block 2^32",
            ConfigError::Gap => "a client after a missing one",
        })
    }
}

impl Config {
    /// `model` and the clients' `(mode, size in MiB)`, client 1 first:
    /// their regions one after another from block 0.
    pub fn new(model: DeviceModel, clients: &[(ExchangeMode, u32)]) -> Result<Config, ConfigError> {
        if clients.is_empty() || clients.len() > MAX_CLIENTS {
            return Err(ConfigError::ClientCount);
        }
        let mut regions = [None; MAX_CLIENTS];
        let mut start = 0u32;
        for (region, &(mode, mib)) in regions.iter_mut().zip(clients) {
            if mib == 0 {
                return Err(ConfigError::EmptyRegion);
            }
            let blocks = mib.checked_mul(BLOCKS_PER_MIB).ok_or(ConfigError::Sizes)?;
            *region = Some(Region {
                start,
                blocks,
                mode,
            });
            start = start.checked_add(blocks).ok_or(ConfigError::Sizes)?;
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
        let config = Config::new(DeviceModel::MicroSd2010, &[(Copy, 64), (GrantMap, 4)]).unwrap();
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
    fn impossible_clients_are_refused_built_or_decoded() {
        assert_eq!(
            Config::new(DeviceModel::None, &[]),
            Err(ConfigError::ClientCount)
        );
        assert_eq!(
            Config::new(DeviceModel::None, &[(Copy, 1); 4]),
            Err(ConfigError::ClientCount)
        );
        assert_eq!(
            Config::new(DeviceModel::None, &[(Copy, 0)]),
            Err(ConfigError::EmptyRegion)
        );
        assert_eq!(
            Config::new(DeviceModel::None, &[(Copy, 1 << 23), (Copy, 1 << 23)]),
            Err(ConfigError::Sizes)
        );
        let decode = |clients| {
            let fields = Fields {
                model: DeviceModel::None,
                clients,
            };
            postcard::from_bytes::<Config>(&postcard::to_allocvec(&fields).unwrap())
        };
        assert!(decode([None, Some((Copy, 1)), None]).is_err(), "a gap");
        assert!(decode([None; MAX_CLIENTS]).is_err(), "no clients");
        assert!(decode([Some((Copy, 0)), None, None]).is_err(), "empty");
        assert!(decode([Some((GrantMap, 129)), Some((Copy, 1)), None]).is_ok());
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
        fn configurations_travel_whole_and_lay_regions_end_to_end(
            sizes in proptest::collection::vec((any::<bool>(), 1u32..=2048), 1..=3),
            model in 0u32..7,
        ) {
            let model = DeviceModel::from_number(model).unwrap();
            let clients: Vec<_> = sizes
                .iter()
                .map(|&(grant, mib)| (if grant { GrantMap } else { Copy }, mib))
                .collect();
            let built = Config::new(model, &clients).unwrap();
            let bytes = postcard::to_allocvec(&built).unwrap();
            let config: Config = postcard::from_bytes(&bytes).unwrap();
            prop_assert_eq!(config, built);
            {
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
        fn decoded_regions_never_overlap(bytes in proptest::collection::vec(any::<u8>(), 0..24)) {
            if let Ok(config) = postcard::from_bytes::<Config>(&bytes) {
                let regions: Vec<_> = config.regions.iter().flatten().collect();
                for pair in regions.windows(2) {
                    prop_assert!(pair[0].start + pair[0].blocks <= pair[1].start);
                }
            }
        }
    }
}
