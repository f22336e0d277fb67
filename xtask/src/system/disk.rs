//! `[[disk]]`: the block server's configuration, checked against the rest
//! of the description (and the server's capability layout,
//! `block_server::layout`) and turned into the server's
//! `block_protocol::Config`, its typed configuration (the description
//! gives the server no `config` of its own); and the size of
//! the disk image it needs.
//!
//! Client `k` is the `k`-th region, and must reach the server through a
//! capability with `write` to the server's service endpoint (its slot 0)
//! badged `k`, and no other badge on that endpoint may name it
//! (`system::clients`). The server must be crate `block-server`.
//! Every mistake is an error naming the field; this module must never
//! guess a value the file did not give.

use std::path::Path;

use block_protocol::config::{ExchangeMode, MAX_CLIENTS};
use block_protocol::{Config, DeviceModel};
use block_server::layout::{LENT, MMCI_ADDRESS, SERVICE, TIMER_ADDRESS, WINDOWS};

use super::clients::Served;
use super::description::{Description, TmemMode};
use super::DescriptionError;

/// The crate whose configuration `[[disk]]` becomes.
const SERVER_CRATE: &str = "block-server";

/// The vexpress-a9 MMCI's registers.
pub const MMCI_PHYSICAL: u32 = platform::sd::VEXPRESS_A9_MMCI.base;
/// The vexpress-a9 SP804 timer 0/1 the server sleeps on.
pub const TIMER_PHYSICAL: u32 = platform::sd::VEXPRESS_A9_TIMER01.0;

/// What a `[[disk]]` comes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiskPlan {
    /// The server partition's index.
    pub server: usize,
    /// Its configuration.
    pub config: Config,
    /// The image size: the regions' total rounded up to a power of two
    /// (QEMU's SD card insists), at least 1 MiB.
    pub image_bytes: u64,
}

/// Checks the description's `[[disk]]`, if it has one.
pub fn check(file: &Path, d: &Description) -> Result<Option<DiskPlan>, DescriptionError> {
    let err = |field: String, reason: String| DescriptionError {
        file: file.to_path_buf(),
        field,
        reason,
    };
    let disk = match d.disks.as_slice() {
        [] => return Ok(None),
        [disk] => disk,
        _ => {
            return Err(err(
                "disk[1]".into(),
                "one disk per system: the board has one SD card slot".into(),
            ))
        }
    };
    let index_of = |name: &str| d.partitions.iter().position(|p| p.name == name);
    let server = index_of(&disk.server).ok_or_else(|| {
        err(
            "disk[0].server".into(),
            format!("no partition `{}`", disk.server),
        )
    })?;
    let p = &d.partitions[server];
    if p.config.is_some() {
        return Err(err(
            format!("partition[{server}].config"),
            "the block server's configuration comes from [[disk]]; remove it".into(),
        ));
    }
    if p.cap_slots <= LENT {
        return Err(err(
            format!("partition[{server}].cap_slots"),
            format!(
                "the block server needs {} slots: a lent frame lands in slot {LENT}",
                LENT + 1
            ),
        ));
    }
    for (physical, address, what) in [
        (MMCI_PHYSICAL, MMCI_ADDRESS, "the MMCI"),
        (TIMER_PHYSICAL, TIMER_ADDRESS, "the SP804 timer"),
    ] {
        let mapped = d.devices.iter().any(|dev| {
            dev.partition == p.name && dev.physical == physical && dev.address == address
        });
        if !mapped {
            return Err(err(
                "device".into(),
                format!(
                    "the block server needs {what} ({physical:#x}) mapped at {address:#x} by a [[device]]"
                ),
            ));
        }
    }
    let service = p
        .caps
        .iter()
        .find(|cap| cap.slot == SERVICE)
        .and_then(|cap| cap.endpoint.clone())
        .ok_or_else(|| {
            err(
                format!("partition[{server}].caps"),
                format!("the block server needs its service endpoint in slot {SERVICE}"),
            )
        })?;
    let model = match disk.model.as_deref() {
        None => DeviceModel::None,
        Some(name) => DeviceModel::from_name(name).ok_or_else(|| {
            let known: Vec<_> = block_protocol::model::MODELS
                .iter()
                .map(|m| m.name())
                .collect();
            err(
                "disk[0].model".into(),
                format!("unknown model `{name}` (one of {})", known.join(", ")),
            )
        })?,
    };
    if p.passive && model != DeviceModel::None {
        return Err(err(
            format!("partition[{server}].passive"),
            format!(
                "a passive block server cannot sleep for model `{}`: it runs only on its callers' time; give it windows",
                model.name()
            ),
        ));
    }
    if disk.regions.is_empty() || disk.regions.len() > MAX_CLIENTS {
        return Err(err(
            "disk[0].regions".into(),
            format!("between 1 and {MAX_CLIENTS} regions"),
        ));
    }
    let served = Served {
        file,
        d,
        server,
        service: &service,
    };
    served.is_crate("disk[0].server", SERVER_CRATE)?;
    let mut client_partitions = Vec::new();
    let mut clients = Vec::new();
    for (k, region) in disk.regions.iter().enumerate() {
        let at = |field: &str| format!("disk[0].regions[{k}].{field}");
        let badge = k as u32 + 1;
        let index = index_of(&region.client)
            .ok_or_else(|| err(at("client"), format!("no partition `{}`", region.client)))?;
        if index == server {
            return Err(err(at("client"), "the server is not its own client".into()));
        }
        served.reaches(at("client"), index, badge)?;
        client_partitions.push(index);
        let mode = match region.mode {
            None | Some(TmemMode::Copy) => ExchangeMode::Copy,
            Some(TmemMode::GrantMap) => ExchangeMode::GrantMap,
            Some(TmemMode::Transfer) => {
                return Err(err(
                    at("mode"),
                    "blocks travel by `copy` or `grant-map`, not `transfer`".into(),
                ))
            }
        };
        if mode == ExchangeMode::Copy {
            let slot = WINDOWS + k as u16;
            if !p
                .caps
                .iter()
                .any(|cap| cap.slot == slot && cap.frame.is_some())
            {
                return Err(err(
                    format!("partition[{server}].caps"),
                    format!("client {badge} uses copy mode: the server needs its window frame in slot {slot}"),
                ));
            }
        }
        if region.size_mib == 0 {
            return Err(err(at("size_mib"), "a region of at least 1 MiB".into()));
        }
        clients.push((mode, region.size_mib));
    }
    served.no_stray_badges(&client_partitions)?;
    let config =
        Config::new(model, &clients).map_err(|e| err("disk[0].regions".into(), e.to_string()))?;
    let total: u64 = clients.iter().map(|&(_, mib)| u64::from(mib)).sum();
    Ok(Some(DiskPlan {
        server,
        config,
        image_bytes: total.next_power_of_two() << 20,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::validate::parse;

    const BASE: &str = r#"
[schedule]
major_frame_ms = 2
windows = [{ partition = "block", duration_ms = 1 }, { partition = "a", duration_ms = 1 }]

[[endpoint]]
name = "block"

[[frame]]
name = "window"
size_kib = 16

[[device]]
name = "mmci"
partition = "block"
physical = 0x10005000
size_kib = 4
address = 0x30000000

[[device]]
name = "timer"
partition = "block"
physical = 0x10011000
size_kib = 4
address = 0x30001000

[[partition]]
name = "block"
crate = "block-server"
memory_kib = 128
cap_slots = 32
threads = [{ name = "main", priority = 10, stack_kib = 8 }]
caps = [
    { slot = 0, endpoint = "block", rights = ["read"] },
    { slot = 8, frame = "window", rights = ["read", "write"] },
]

[[partition]]
name = "a"
crate = "guest-counter"
config = { run_ms = 1 }
memory_kib = 64
threads = [{ name = "main", priority = 1, stack_kib = 8 }]
caps = [{ slot = 0, endpoint = "block", rights = ["write", "grant"], badge = 1 }]
"#;

    const DISK: &str = r#"
[[disk]]
server = "block"
model = "sd-a1"
regions = [{ client = "a", use = "swap", size_mib = 5 }]
"#;

    fn run(text: &str) -> Result<Option<DiskPlan>, DescriptionError> {
        let file = Path::new("t.toml");
        check(file, &parse(file, text)?)
    }

    #[test]
    fn the_section_becomes_a_configuration_and_an_image_size() {
        let plan = run(&format!("{BASE}{DISK}")).unwrap().unwrap();
        assert_eq!(plan.server, 0);
        assert_eq!(plan.image_bytes, 8 << 20, "5 MiB rounds up to 8");
        let config = plan.config;
        assert_eq!(config.model, DeviceModel::SdA1);
        assert_eq!(config.region(1).unwrap().blocks, 5 * 256);
        assert_eq!(run(BASE), Ok(None));
    }

    #[test]
    fn only_each_client_holds_its_badge_and_only_the_block_server_serves() {
        let a_cap =
            r#"caps = [{ slot = 0, endpoint = "block", rights = ["write", "grant"], badge = 1 }]"#;
        let stray = BASE.replace(
            a_cap,
            &a_cap.replace(
                " }]",
                r#" }, { slot = 1, endpoint = "block", rights = ["write"], badge = 2 }]"#,
            ),
        );
        let error = run(&format!("{stray}{DISK}")).unwrap_err();
        assert_eq!(
            error.field, "partition[1].caps[1].badge",
            "{}",
            error.reason
        );
        assert!(error.reason.contains("no client 2"), "{}", error.reason);
        let read_only = BASE.replace(
            r#"rights = ["write", "grant"], badge = 1"#,
            r#"rights = ["read"], badge = 1"#,
        );
        let error = run(&format!("{read_only}{DISK}")).unwrap_err();
        assert_eq!(error.field, "disk[0].regions[0].client");
        assert!(error.reason.contains("`write`"), "{}", error.reason);
        let not_block = BASE.replace("crate = \"block-server\"", "crate = \"tmem-server\"");
        let error = run(&format!("{not_block}{DISK}")).unwrap_err();
        assert_eq!(error.field, "disk[0].server");
        assert!(error.reason.contains("block-server"), "{}", error.reason);
    }

    #[test]
    fn mistakes_name_their_field() {
        let cases = [
            (
                DISK.replace("server = \"block\"", "server = \"nobody\""),
                "disk[0].server",
            ),
            (DISK.replace("sd-a1", "floppy"), "disk[0].model"),
            (
                DISK.replace("client = \"a\"", "client = \"b\""),
                "disk[0].regions[0].client",
            ),
            (
                DISK.replace("size_mib = 5", "size_mib = 0"),
                "disk[0].regions[0].size_mib",
            ),
            (
                DISK.replace("size_mib = 5 }", "size_mib = 5, mode = \"transfer\" }"),
                "disk[0].regions[0].mode",
            ),
            (format!("{DISK}{DISK}"), "disk[1]"),
        ];
        for (disk, field) in cases {
            let error = run(&format!("{BASE}{disk}")).unwrap_err();
            assert_eq!(error.field, field, "{}", error.reason);
        }
        let unbadged = BASE.replace("badge = 1", "badge = 2");
        let error = run(&format!("{unbadged}{DISK}")).unwrap_err();
        assert!(error.reason.contains("badged 1"), "{}", error.reason);
        let windowless = BASE.replace(
            "    { slot = 8, frame = \"window\", rights = [\"read\", \"write\"] },\n",
            "",
        );
        let error = run(&format!("{windowless}{DISK}")).unwrap_err();
        assert!(error.reason.contains("slot 8"), "{}", error.reason);
        let passive = BASE
            .replace("cap_slots = 32\n", "cap_slots = 32\npassive = true\n")
            .replace(
                "windows = [{ partition = \"block\", duration_ms = 1 }, ",
                "windows = [",
            );
        assert_eq!(
            run(&format!("{passive}{DISK}")).unwrap_err().field,
            "partition[0].passive"
        );
        let few = BASE.replace("cap_slots = 32", "cap_slots = 16");
        assert_eq!(
            run(&format!("{few}{DISK}")).unwrap_err().field,
            "partition[0].cap_slots"
        );
        let unmapped = BASE.replace("physical = 0x10011000", "physical = 0x10012000");
        assert_eq!(
            run(&format!("{unmapped}{DISK}")).unwrap_err().field,
            "device"
        );
    }
}
