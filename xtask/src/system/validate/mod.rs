//! Checking a system description and turning it into the kernel's boot
//! table. Every rejection names the file, the field (as a path such as
//! `partition[1].threads[0].stack_kib`) and the reason.
//!
//! The rules: names unique, non-empty and short; every partition named
//! anywhere exists; memory and stacks in whole pages, stacks fit their
//! partition, everything fits the board's RAM; windows non-empty, each
//! partition scheduled, windows summing to the major frame; every passive
//! partition callable by another; shared and device regions page aligned,
//! inside user space and overlapping nothing else the partition maps;
//! devices outside RAM, below 4 GiB, clear of the devices the kernel
//! drives and of each other.
//!
//! One concept a file: [`error`] the rejection itself, [`checker`] the
//! checks every section shares (names, sizes in pages, partition
//! references), [`partitions`] each partition's own settings and threads,
//! [`schedule`] the windows and who runs when, [`caps`] the kernel objects
//! and the capabilities that name them, [`frames`] the frames, [`irqs`]
//! and [`stop_notification`] what signals a notification and who waits on
//! it, [`mappings`] where a region may sit in a partition's address space,
//! [`shared`] and [`devices`] the regions mapped there, and [`ram`] the
//! board's RAM budget. [`parse`] and [`validate`] are the only entry
//! points.
//!
//! This module only reads a description and returns a table or an error;
//! it must never build, write or boot anything, and never accept a
//! description by guessing what was meant. Tests and users match on the
//! messages: they change only on purpose.

use std::collections::BTreeSet;
use std::path::Path;

use boot_info::BootInfo;
use platform::Board;

use super::description::{Description, FrameSize};

mod caps;
mod checker;
mod devices;
mod error;
#[cfg(test)]
mod fixtures;
mod frames;
mod irqs;
mod mappings;
mod partitions;
mod ram;
mod schedule;
mod shared;
mod stop_notification;

use caps::caps;
use checker::Checker;
use devices::devices;
pub use error::DescriptionError;
use irqs::irqs;
use partitions::{pagers, partitions};
use ram::ram_budget;
pub(super) use ram::RAM_VIRT_MAX;
pub use ram::REST_MINIMUM;
use schedule::{passive_callers, schedule};
use shared::shared;
use stop_notification::stop_notification;

/// Parses `text` (the contents of `file`).
pub fn parse(file: &Path, text: &str) -> Result<Description, DescriptionError> {
    toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|span| text[..span.start.min(text.len())].lines().count().max(1));
        DescriptionError {
            file: file.to_path_buf(),
            field: line.map_or_else(|| "(file)".to_string(), |l| format!("line {l}")),
            reason: e.message().trim().to_string(),
        }
    })
}

/// Checks `d` for `board`, with `crates` the packages that can be
/// partitions, and returns the boot table (ELF offsets still zero).
pub fn validate(
    file: &Path,
    system_name: &str,
    d: &Description,
    board: &Board,
    crates: &BTreeSet<String>,
) -> Result<BootInfo<'static>, DescriptionError> {
    let c = Checker { file };
    let system = c.name("(file name)", system_name)?;
    let (mut partitions, mut total_memory) = partitions(&c, d, crates)?;

    let schedule = schedule(&c, d)?;
    let caps = caps(&c, d)?;
    passive_callers(&c, d)?;
    pagers(&c, d, &caps)?;
    total_memory += super::guest::check_system(file, &partitions, &caps)?;
    let mut taken = Vec::new();
    let shared = shared(&c, d, &mut total_memory, &mut taken)?;
    let devices = devices(&c, d, board, &mut taken)?;

    ram_budget(&c, d, board, total_memory)?;
    if let Some((server, config)) = super::tmem::server_config(file, d)? {
        let bytes = postcard::to_allocvec(&config).map_err(|e| {
            c.err(
                "tmem",
                format!("the server's configuration does not encode: {e}"),
            )
        })?;
        partitions[server].config = bytes.leak();
    }
    if let Some(disk) = super::disk::check(file, d)? {
        let bytes = postcard::to_allocvec(&disk.config).map_err(|e| {
            c.err(
                "disk",
                format!("the server's configuration does not encode: {e}"),
            )
        })?;
        partitions[disk.server].config = bytes.leak();
    }
    Ok(BootInfo {
        system,
        partitions: partitions.into_iter().collect(),
        schedule,
        shared: shared.into_iter().collect(),
        devices: devices.into_iter().collect(),
        endpoints: d.endpoints.len() as u16,
        notifications: d.notifications.len() as u16,
        caps: caps.into_iter().collect(),
        frames: d
            .frames
            .iter()
            .map(|f| match f.size_kib {
                FrameSize::Kib(kib) => kib * 1024,
                FrameSize::Rest => boot_info::FRAME_REST,
            })
            .collect(),
        irqs: irqs(&c, d)?.into_iter().collect(),
        stop_notification: stop_notification(&c, d)?,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use boot_info::{CapObjectInfo, SharedMapping, Window};
    use platform::boards::VEXPRESS_A9;

    use super::fixtures::{check, crates, GOOD};
    use super::{parse, validate};

    #[test]
    fn a_good_description_becomes_a_boot_table() {
        let info = check(GOOD).unwrap();
        assert_eq!(info.system, "test");
        assert_eq!(info.partitions.len(), 3);
        assert_eq!(info.partitions.get(0).unwrap().memory_size, 64 * 1024);
        let config = info.partitions.get(0).unwrap().config;
        assert_eq!(
            postcard::from_bytes::<guest_counter::config::Config>(config).unwrap(),
            guest_counter::config::Config { run_ms: 7 }
        );
        assert_eq!(
            info.partitions
                .get(0)
                .unwrap()
                .threads
                .get(1)
                .unwrap()
                .stack_size,
            4096
        );
        assert_eq!(
            info.schedule.windows.get(1).unwrap(),
            Window {
                partition: 1,
                duration_ms: 3
            }
        );
        assert_eq!(info.schedule.stop_after_ms, 500);
        assert_eq!(
            info.shared.get(0).unwrap().mappings.get(1).unwrap(),
            SharedMapping {
                partition: 1,
                address: 0x2000_0000,
                writable: false
            }
        );
        assert_eq!(info.devices.get(0).unwrap().physical, 0x1000_a000);
        assert_eq!((info.endpoints, info.notifications), (1, 1));
        assert!(info.partitions.get(2).unwrap().passive);
        assert_eq!(
            info.caps.len(),
            3,
            "b's call capability and the server's two"
        );
        assert_eq!(info.caps.get(1).unwrap().object, CapObjectInfo::Endpoint(0));
        assert_eq!(
            info.caps.get(2).unwrap().object,
            CapObjectInfo::Notification(0)
        );
        assert_eq!(info.caps.get(2).unwrap().rights, 0b11);
    }

    #[test]
    fn syntax_errors_and_unknown_fields_name_the_line() {
        let error = check("[schedule\n").unwrap_err();
        assert!(error.field.starts_with("line 1"), "{error}");
        let error = check(&GOOD.replacen("config = {", "confg = {", 1)).unwrap_err();
        assert!(error.reason.contains("unknown field `confg`"), "{error}");
        assert!(error.field.starts_with("line "), "{error}");
        assert!(
            error.to_string().starts_with("systems/test.toml: line "),
            "{error}"
        );
    }

    #[test]
    fn rejects_a_system_without_partitions() {
        let file = Path::new("systems/empty.toml");
        let d = parse(file, "[schedule]\nmajor_frame_ms = 1\nwindows = []\n").unwrap();
        let error = validate(file, "empty", &d, &VEXPRESS_A9, &crates()).unwrap_err();
        assert_eq!(error.field, "partition");
    }

    #[test]
    fn the_shipped_descriptions_are_valid() {
        let root = crate::workspace::root();
        let crates = crate::system::build::workspace_crates().unwrap();
        for dir in [root.join("systems"), root.join("tests/systems")] {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "toml") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    let d = parse(&path, &text).unwrap_or_else(|e| panic!("{e}"));
                    let name = path.file_stem().unwrap().to_string_lossy();
                    validate(&path, &name, &d, &VEXPRESS_A9, crates)
                        .unwrap_or_else(|e| panic!("{e}"));
                }
            }
        }
    }
}
