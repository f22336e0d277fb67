//! Device latency models: how long a real device would take for each
//! operation, and a queue that makes requests wait behind each other as on
//! one device. Figures and their sources are in `docs/block.md`; this
//! module only does the arithmetic and must never read a clock.

use crate::request::Opcode;

/// A device the server pretends to be. In a partition's typed
/// configuration it is written by its [`name`](DeviceModel::name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[repr(u32)]
pub enum DeviceModel {
    /// No added time: the emulated card's own speed.
    #[serde(rename = "none")]
    None = 0,
    /// Kingston microSDHC 16 GB: 3.1 swap ops/s (source report).
    #[serde(rename = "microsd-2010")]
    MicroSd2010 = 1,
    /// USB memory stick 2 GB: 3.7 swap ops/s.
    #[serde(rename = "usb-stick-2010")]
    UsbStick2010 = 2,
    /// Kingston MLC SSD 64 GB: 52.4 swap ops/s.
    #[serde(rename = "mlc-ssd-2010")]
    MlcSsd2010 = 3,
    /// Samsung SLC SSD 64 GB: 146.6 swap ops/s.
    #[serde(rename = "slc-ssd-2010")]
    SlcSsd2010 = 4,
    /// 2.5" 5400 rpm HDD 80 GB: 63.8 swap ops/s.
    #[serde(rename = "hdd-5400")]
    Hdd5400 = 5,
    /// SD Association Application Performance Class 1 minimum: 1,500
    /// random 4 KiB reads and 500 writes per second.
    #[serde(rename = "sd-a1")]
    SdA1 = 6,
}

/// Every model, in number order.
pub const MODELS: [DeviceModel; 7] = [
    DeviceModel::None,
    DeviceModel::MicroSd2010,
    DeviceModel::UsbStick2010,
    DeviceModel::MlcSsd2010,
    DeviceModel::SlcSsd2010,
    DeviceModel::Hdd5400,
    DeviceModel::SdA1,
];

impl DeviceModel {
    /// The model numbered `number`.
    pub const fn from_number(number: u32) -> Option<DeviceModel> {
        if (number as usize) < MODELS.len() {
            Some(MODELS[number as usize])
        } else {
            None
        }
    }

    /// The name a system description uses.
    pub const fn name(self) -> &'static str {
        match self {
            DeviceModel::None => "none",
            DeviceModel::MicroSd2010 => "microsd-2010",
            DeviceModel::UsbStick2010 => "usb-stick-2010",
            DeviceModel::MlcSsd2010 => "mlc-ssd-2010",
            DeviceModel::SlcSsd2010 => "slc-ssd-2010",
            DeviceModel::Hdd5400 => "hdd-5400",
            DeviceModel::SdA1 => "sd-a1",
        }
    }

    /// The model a description names.
    pub fn from_name(name: &str) -> Option<DeviceModel> {
        MODELS.iter().copied().find(|m| m.name() == name)
    }

    /// Operations per second for one 4 KiB block, in thousandths (read,
    /// write), as the sources give them; `None` for no model.
    pub const fn ops_per_1000_seconds(self) -> Option<(u32, u32)> {
        let same = match self {
            DeviceModel::None => return None,
            DeviceModel::MicroSd2010 => 3_100,
            DeviceModel::UsbStick2010 => 3_700,
            DeviceModel::MlcSsd2010 => 52_400,
            DeviceModel::SlcSsd2010 => 146_600,
            DeviceModel::Hdd5400 => 63_800,
            DeviceModel::SdA1 => return Some((1_500_000, 500_000)),
        };
        Some((same, same))
    }

    /// Service time of one 4 KiB block for `opcode`, in microseconds:
    /// 10^6 / (ops per second), rounded to the nearest microsecond. A
    /// flush adds none (it waits for the queue).
    pub const fn block_us(self, opcode: Opcode) -> u64 {
        let Some((read, write)) = self.ops_per_1000_seconds() else {
            return 0;
        };
        let milli_ops = match opcode {
            Opcode::Read => read,
            Opcode::Write => write,
            Opcode::Flush => return 0,
        } as u64;
        (1_000_000_000 + milli_ops / 2) / milli_ops
    }
}

/// One device's queue: when it will next be free.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeviceQueue {
    busy_until_us: u64,
}

impl DeviceQueue {
    /// An idle device.
    pub const fn new() -> DeviceQueue {
        DeviceQueue { busy_until_us: 0 }
    }

    /// Admits a request arriving at `now_us` for `blocks` blocks: it starts
    /// when the device is free and takes `blocks` block times (a flush
    /// ends when everything before it has). Returns when it completes.
    pub fn admit(&mut self, model: DeviceModel, now_us: u64, opcode: Opcode, blocks: u32) -> u64 {
        let start = self.busy_until_us.max(now_us);
        let done = start + model.block_us(opcode) * u64::from(blocks);
        self.busy_until_us = done;
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_configuration_names_each_model_as_a_description_does() {
        use serde::de::IntoDeserializer;
        use serde::Deserialize;
        for model in MODELS {
            let name: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
                model.name().into_deserializer();
            assert_eq!(DeviceModel::deserialize(name), Ok(model));
        }
    }

    #[test]
    fn service_times_come_from_the_published_rates() {
        assert_eq!(DeviceModel::MicroSd2010.block_us(Opcode::Write), 322_581);
        assert_eq!(DeviceModel::UsbStick2010.block_us(Opcode::Read), 270_270);
        assert_eq!(DeviceModel::MlcSsd2010.block_us(Opcode::Read), 19_084);
        assert_eq!(DeviceModel::SlcSsd2010.block_us(Opcode::Write), 6_821);
        assert_eq!(DeviceModel::Hdd5400.block_us(Opcode::Write), 15_674);
        assert_eq!(DeviceModel::SdA1.block_us(Opcode::Read), 667);
        assert_eq!(DeviceModel::SdA1.block_us(Opcode::Write), 2_000);
        assert_eq!(DeviceModel::None.block_us(Opcode::Write), 0);
        assert_eq!(DeviceModel::MicroSd2010.block_us(Opcode::Flush), 0);
    }

    #[test]
    fn names_round_trip() {
        for model in MODELS {
            assert_eq!(DeviceModel::from_name(model.name()), Some(model));
            assert_eq!(DeviceModel::from_number(model as u32), Some(model));
        }
        assert_eq!(DeviceModel::from_name("floppy"), None);
    }

    #[test]
    fn requests_queue_behind_each_other() {
        let model = DeviceModel::SdA1;
        let mut queue = DeviceQueue::new();
        // Two writes arriving together: the second waits for the first.
        assert_eq!(queue.admit(model, 1_000, Opcode::Write, 1), 3_000);
        assert_eq!(queue.admit(model, 1_000, Opcode::Write, 2), 7_000);
        // A flush ends when the queue drains.
        assert_eq!(queue.admit(model, 2_000, Opcode::Flush, 0), 7_000);
        // An idle device starts at once.
        assert_eq!(queue.admit(model, 100_000, Opcode::Read, 3), 102_001);
    }

    proptest! {
        /// Against a model of a single FIFO server: each request completes
        /// at max(arrival, previous completion) + its service time, and
        /// completions never go backwards.
        #[test]
        fn completions_match_a_single_server_fifo(
            arrivals in proptest::collection::vec((0u64..1_000_000, 0u32..4, 1u32..8), 1..40),
            model in 0u32..7,
        ) {
            let model = DeviceModel::from_number(model).unwrap();
            let mut queue = DeviceQueue::new();
            let mut now = 0;
            let mut free_at = 0u64;
            for (gap, op, blocks) in arrivals {
                now += gap;
                let opcode = match op { 0 | 1 => Opcode::Read, 2 => Opcode::Write, _ => Opcode::Flush };
                let service = match opcode {
                    Opcode::Flush => 0,
                    _ => {
                        let (r, w) = model.ops_per_1000_seconds().unwrap_or((0, 0));
                        let per_second = if opcode == Opcode::Read { r } else { w };
                        if per_second == 0 { 0 } else {
                            ((1e9 / f64::from(per_second)).round() as u64) * u64::from(blocks)
                        }
                    }
                };
                let expected = free_at.max(now) + service;
                let done = queue.admit(model, now, opcode, blocks);
                prop_assert_eq!(done, expected);
                prop_assert!(done >= now);
                free_at = done;
            }
        }
    }
}
