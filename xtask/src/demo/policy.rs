//! `cargo xtask run-qemu --policy static|selfballoon`: the memory
//! manager's policy for one run, so one command shows the difference.
//!
//! The description is not edited: a copy with the manager's policy set is
//! written under `target/demo/policy-NAME/` with the same file name (so the
//! system keeps its name, its disk image and its log names), and that copy
//! is built. A system without a memory manager is refused with the file,
//! the field and the reason. This module must never change anything in the
//! description but the policy.

use std::path::{Path, PathBuf};

use crate::system::validate::parse;
use crate::system::DescriptionError;
use crate::Error;

/// The memory manager's package: the partition `--policy` applies to.
pub const MANAGER_CRATE: &str = "memory-manager";

/// A memory policy the manager implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Policy {
    /// Static partitioning: no ballooning, tmem only.
    Static,
    /// Xen's self-ballooning.
    Selfballoon,
}

impl Policy {
    /// Its name on the command line and in the demo's lines.
    pub fn name(self) -> &'static str {
        match self {
            Policy::Static => "static",
            Policy::Selfballoon => "selfballoon",
        }
    }
}

/// The one place that knows where a description keeps the manager's
/// policy: the `policy` field of its typed configuration
/// (`config = { policy = "static", ... }`; `"selfballoon"` the other),
/// which the manager's configuration type must declare under that name.
fn set_policy(manager: &mut toml::Table, policy: Policy) -> Result<(), String> {
    let config = manager
        .entry("config")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    let Some(config) = config.as_table_mut() else {
        return Err(format!("is {}, not a table", config.type_str()));
    };
    config.insert("policy".into(), toml::Value::String(policy.name().into()));
    Ok(())
}

/// `text` (the description in `file`) with the memory manager's policy set
/// to `policy`.
pub fn with_policy(file: &Path, text: &str, policy: Policy) -> Result<String, DescriptionError> {
    let description = parse(file, text)?;
    let error = |field: String, reason: String| DescriptionError {
        file: file.to_path_buf(),
        field,
        reason,
    };
    let managers: Vec<usize> = description
        .partitions
        .iter()
        .enumerate()
        .filter(|(_, p)| p.krate == MANAGER_CRATE)
        .map(|(index, _)| index)
        .collect();
    let index = match managers[..] {
        [index] => index,
        [] => {
            return Err(error(
                "partition".into(),
                format!(
                    "this system has no memory manager (a partition with crate = \"{MANAGER_CRATE}\"), so --policy {} has nothing to set",
                    policy.name()
                ),
            ))
        }
        _ => {
            return Err(error(
                "partition".into(),
                "more than one memory manager: --policy would not know which to set".into(),
            ))
        }
    };
    // `parse` accepted the text, so it is a table with this partition.
    let mut table: toml::Table =
        toml::from_str(text).map_err(|e| error("(file)".into(), e.message().trim().to_string()))?;
    let manager = table
        .get_mut("partition")
        .and_then(|partitions| partitions.as_array_mut())
        .and_then(|partitions| partitions.get_mut(index))
        .and_then(|manager| manager.as_table_mut())
        .ok_or_else(|| error(format!("partition[{index}]"), "is not a table".into()))?;
    set_policy(manager, policy).map_err(|reason| {
        error(
            format!(
                "partition[{index}] ({}).config",
                description.partitions[index].name
            ),
            reason,
        )
    })?;
    toml::to_string(&table).map_err(|e| error("(file)".into(), e.to_string()))
}

/// Writes the description `file` with `policy` set under
/// `target/demo/policy-NAME/` and returns the copy's path.
pub fn write_variant(file: &Path, policy: Policy) -> Result<PathBuf, Error> {
    let text = std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?;
    let variant = with_policy(file, &text, policy)?;
    let dir = super::output_dir().join(format!("policy-{}", policy.name()));
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let name = file
        .file_name()
        .unwrap_or(std::ffi::OsStr::new("system.toml"));
    let copy = dir.join(name);
    let header = format!(
        "# {} with --policy {}: written by `cargo xtask run-qemu`, do not edit.\n",
        file.display(),
        policy.name()
    );
    std::fs::write(&copy, header + &variant).map_err(|e| Error::io(&copy, e))?;
    Ok(copy)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYSTEM: &str = r#"
[system]
description = "two partitions"

[schedule]
major_frame_ms = 2
windows = [{ partition = "mm", duration_ms = 1 }]

[[partition]]
name = "other"
crate = "tmem-server"
memory_kib = 64
threads = [{ name = "main", priority = 1, stack_kib = 8 }]

[[partition]]
name = "mm"
crate = "memory-manager"
memory_kib = 64
config = { policy = "selfballoon", guests = [2, 3] }
threads = [{ name = "main", priority = 1, stack_kib = 8 }]
"#;

    fn config_of(text: &str, name: &str) -> Option<toml::Table> {
        let description = parse(Path::new("x.toml"), text).unwrap();
        description
            .partitions
            .iter()
            .find(|p| p.name == name)
            .unwrap()
            .config
            .clone()
    }

    fn policy_of(text: &str) -> String {
        config_of(text, "mm").unwrap()["policy"]
            .as_str()
            .unwrap()
            .to_string()
    }

    #[test]
    fn the_policy_is_set_in_the_manager_only_and_nothing_else_changes() {
        let file = Path::new("systems/default.toml");
        let static_text = with_policy(file, SYSTEM, Policy::Static).unwrap();
        assert_eq!(policy_of(&static_text), "static");
        assert_eq!(config_of(&static_text, "other"), None);
        let back = with_policy(file, &static_text, Policy::Selfballoon).unwrap();
        assert_eq!(policy_of(&back), "selfballoon");
        // Everything else parses to the same description.
        assert_eq!(parse(file, SYSTEM).unwrap(), parse(file, &back).unwrap());
        let without = SYSTEM.replace(
            "config = { policy = \"selfballoon\", guests = [2, 3] }\n",
            "",
        );
        let added = with_policy(file, &without, Policy::Static).unwrap();
        assert_eq!(policy_of(&added), "static", "a missing config is made");
    }

    #[test]
    fn a_system_without_a_memory_manager_is_refused_with_the_file() {
        let file = Path::new("systems/tmem-modes.toml");
        let text = SYSTEM.replace("memory-manager", "block-server");
        let error = with_policy(file, &text, Policy::Static).unwrap_err();
        assert_eq!(error.file, file);
        assert_eq!(error.field, "partition");
        assert!(
            error.reason.contains("this system has no memory manager"),
            "{error}"
        );
        let two = SYSTEM.replace("tmem-server", "memory-manager");
        let error = with_policy(file, &two, Policy::Static).unwrap_err();
        assert!(error.reason.contains("more than one"), "{error}");
    }

    #[test]
    fn a_broken_description_is_reported_against_the_users_file() {
        let file = Path::new("systems/default.toml");
        let error = with_policy(file, "[[partition]]\nname = 3\n", Policy::Static).unwrap_err();
        assert_eq!(error.file, file);
        assert!(error.field.starts_with("line"), "{error}");
    }

    #[test]
    fn every_shipped_system_gets_the_flag_or_a_clear_refusal() {
        // Whatever systems/ holds now: a system with a manager gets a
        // variant that parses, one without is refused for that reason.
        let dir = crate::workspace::root().join("systems");
        for entry in std::fs::read_dir(&dir).unwrap() {
            let file = entry.unwrap().path();
            let text = std::fs::read_to_string(&file).unwrap();
            let has_manager = parse(&file, &text)
                .unwrap()
                .partitions
                .iter()
                .any(|p| p.krate == MANAGER_CRATE);
            match with_policy(&file, &text, Policy::Static) {
                Ok(variant) => {
                    assert!(has_manager);
                    parse(&file, &variant).unwrap();
                }
                Err(error) => {
                    assert!(!has_manager, "{error}");
                    assert!(error.reason.contains("no memory manager"), "{error}");
                }
            }
        }
    }
}
