//! Partitions' typed configurations (`config = { ... }` under a
//! `[[partition]]`): what each crate that takes one declares, checked and
//! encoded here. Hubris's `task_config` is the model.
//!
//! A crate that takes a configuration declares it as a serde type in a
//! `no_std` library (its own, or a small `-config` crate) and gets one row
//! in [`DECLARED`]. xtask deserializes the description's table into that
//! type — an unknown field, a wrong type or a missing field is an error
//! naming the file, the partition and the field — and postcard-encodes it
//! into the partition's boot-info record; the partition decodes it with
//! `userlib::config`. A `config` on a crate with no row and a crate with a
//! row but no `config` are rejected. (The tmem and block servers' configs
//! come from `[tmem]` and `[[disk]]` instead: `system::tmem`, `system::disk`.) This module checks and encodes only; it never builds.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::description::PartitionSection;
use super::validate::DescriptionError;

/// A crate's configuration type, as the check xtask runs on a table.
struct Declared {
    /// The partition crate (`crate = "..."`).
    krate: &'static str,
    /// Deserializes the table into the type and encodes it.
    encode: fn(toml::Value) -> Result<Vec<u8>, Mistake>,
}

/// The crates that take a configuration: one row each.
const DECLARED: &[Declared] = &[
    Declared {
        krate: "guest-os-kernel",
        encode: encode_guest_plan,
    },
    Declared {
        krate: "guest-tmem-workload",
        encode: encode::<guest_tmem_workload::plan::Plan>,
    },
    Declared {
        krate: "tmem-monitor",
        encode: encode::<tmem_monitor::plan::MonitorPlan>,
    },
    Declared {
        krate: "memory-manager",
        encode: encode::<memory_manager::ManagerConfig>,
    },
    Declared {
        krate: "guest-counter",
        encode: encode::<guest_counter::config::Config>,
    },
    Declared {
        krate: "test-fault-injector",
        encode: encode::<test_fault_injector::config::Config>,
    },
    Declared {
        krate: "test-guest-kernel",
        encode: encode::<test_guest_kernel::config::Config>,
    },
    Declared {
        krate: "test-hostile",
        encode: encode::<test_hostile::config::Config>,
    },
    Declared {
        krate: "test-ipc-client",
        encode: encode::<test_ipc_client::config::Config>,
    },
    Declared {
        krate: "test-ipc-echo",
        encode: encode::<test_ipc_echo::config::Config>,
    },
    Declared {
        krate: "test-lock-hammer",
        encode: encode::<test_lock_hammer::config::Config>,
    },
    Declared {
        krate: "test-tmem-prober",
        encode: encode::<test_tmem_prober::config::Config>,
    },
    Declared {
        krate: "test-fuzzer",
        encode: encode::<test_fuzzer::Plan>,
    },
    Declared {
        krate: "test-victim",
        encode: encode::<test_victim::Plan>,
    },
    Declared {
        krate: "test-block-prober",
        encode: encode::<test_block_prober::config::Config>,
    },
    Declared {
        krate: "test-scale-idle",
        encode: encode::<test_scale_idle::config::Config>,
    },
    Declared {
        krate: "test-scale-ring",
        encode: encode::<test_scale_ring::config::Node>,
    },
];

/// What is wrong with a table, and where in it.
struct Mistake {
    /// The field's path inside `config` (empty: the table itself).
    path: String,
    /// Why.
    reason: String,
}

/// Deserializes `value` as a `T` and encodes it with postcard.
fn encode<T: DeserializeOwned + Serialize>(value: toml::Value) -> Result<Vec<u8>, Mistake> {
    let config: T = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        Mistake {
            path: if path == "." { String::new() } else { path },
            reason: e.inner().to_string(),
        }
    })?;
    postcard::to_allocvec(&config).map_err(|e| Mistake {
        path: String::new(),
        reason: format!("does not encode: {e}"),
    })
}

/// A guest OS plan: the types' check, then what only the plan can say
/// (`GuestPlan::check`), the field named as its path in `config`.
fn encode_guest_plan(value: toml::Value) -> Result<Vec<u8>, Mistake> {
    let bytes = encode::<guest_os_config::GuestPlan>(value)?;
    let plan: guest_os_config::GuestPlan = postcard::from_bytes(&bytes).map_err(|e| Mistake {
        path: String::new(),
        reason: format!("does not decode: {e}"),
    })?;
    plan.check().map_err(|wrong| Mistake {
        path: match wrong.program {
            None => wrong.field.to_string(),
            Some(at) => {
                let name = plan.programs.get(at).map_or("?", |p| p.name());
                if wrong.field == name {
                    format!("programs[{at}].{name}")
                } else {
                    format!("programs[{at}].{name}.{}", wrong.field)
                }
            }
        },
        reason: wrong.reason.to_string(),
    })?;
    Ok(bytes)
}

/// Whether partitions of `krate` take a typed configuration.
pub fn declared(krate: &str) -> bool {
    DECLARED.iter().any(|d| d.krate == krate)
}

/// Partition `i`'s configuration bytes (empty when its crate takes none),
/// or why its `config` is wrong. Its threads' stacks must
/// already be checked: the bytes may take at most half of thread 0's.
pub fn bytes(file: &Path, i: usize, p: &PartitionSection) -> Result<Vec<u8>, DescriptionError> {
    let err = |field: &str, reason: String| DescriptionError {
        file: file.to_path_buf(),
        field: format!("partition[{i}] ({}).{field}", p.name),
        reason,
    };
    let row = DECLARED.iter().find(|d| d.krate == p.krate);
    let Some(row) = row else {
        return match p.config {
            None => Ok(Vec::new()),
            Some(_) => Err(err(
                "config",
                format!(
                    "crate `{}` declares no configuration; remove `config`",
                    p.krate
                ),
            )),
        };
    };
    let Some(table) = &p.config else {
        return Err(err(
            "config",
            format!(
                "crate `{}` needs a configuration: add `config = {{ ... }}` with its fields",
                p.krate
            ),
        ));
    };
    let bytes = (row.encode)(toml::Value::Table(table.clone())).map_err(|m| {
        let field = if m.path.is_empty() {
            "config".to_string()
        } else {
            format!("config.{}", m.path)
        };
        err(&field, m.reason)
    })?;
    too_large(bytes.len(), p).map_or(Ok(bytes), |reason| Err(err("config", reason)))
}

/// Why `len` bytes of configuration do not fit `p`, if they do not: the
/// kernel puts them at the top of thread 0's stack and takes at most half.
fn too_large(len: usize, p: &PartitionSection) -> Option<String> {
    let room = p
        .threads
        .first()
        .map_or(0, |t| t.stack_kib as usize * 1024 / 2);
    (len > room).then(|| {
        format!("encodes to {len} bytes; at most half of thread 0's stack ({room} bytes) holds it")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::validate::parse;

    const FILE: &str = "systems/example.toml";

    /// Partition 1 (`guest`, crate `krate`) with `extra` lines under it.
    fn description(krate: &str, extra: &str) -> String {
        format!(
            r#"
[schedule]
major_frame_ms = 2
windows = [{{ partition = "other", duration_ms = 1 }}, {{ partition = "guest", duration_ms = 1 }}]

[[partition]]
name = "other"
crate = "test-syscall-prober"
memory_kib = 64
threads = [{{ name = "main", priority = 1, stack_kib = 4 }}]

[[partition]]
name = "guest"
crate = "{krate}"
memory_kib = 256
threads = [{{ name = "main", priority = 1, stack_kib = 8 }}]
{extra}
"#
        )
    }

    fn check(krate: &str, extra: &str) -> Result<Vec<u8>, DescriptionError> {
        let file = Path::new(FILE);
        let d = parse(file, &description(krate, extra)).expect("parses");
        bytes(file, 1, &d.partitions[1])
    }

    fn error(krate: &str, extra: &str) -> String {
        check(krate, extra).unwrap_err().to_string()
    }

    #[test]
    fn a_guests_fields_become_the_bytes_it_decodes() {
        let bytes = check(
            "guest-os-kernel",
            r#"config = { guest = 3, tmem = "grant-map", sd_swap = true, hog = { pages = 96 },
                          phased = { step_pages = 6, schedule = [1, 2, 3, 2, 1] } }"#,
        )
        .unwrap();
        let plan: guest_os_config::GuestPlan = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(plan.guest, 3);
        assert_eq!(plan.tmem, Some(tmem_protocol::ExchangeMode::GrantMap));
        assert!(plan.sd_swap && !plan.bench && !plan.processes);
        assert_eq!(plan.hog.map(|h| (h.pages, h.passes)), Some((96, 1)));
        let phased = plan.phased.unwrap();
        assert_eq!(
            (phased.step_pages, &phased.schedule[..]),
            (6, &[1, 2, 3, 2, 1][..])
        );
        assert_eq!(plan.files, None);
    }

    /// A memory manager's config with `guests` and `extra` fields.
    fn manager(guests: &str, extra: &str) -> String {
        format!(
            "config = {{ policy = \"selfballoon\", period_ms = 20, reserve_above_committed_frames = 8, partition = 1, guests = [{guests}]{extra} }}"
        )
    }

    #[test]
    fn a_memory_managers_fields_become_the_bytes_it_decodes() {
        let bytes = check(
            "memory-manager",
            &manager(
                "{ boot_frames = 32, floor_frames = 8, ceiling_frames = 96 }, \
                 { boot_frames = 24, floor_frames = 24, ceiling_frames = 24 }",
                "",
            ),
        )
        .unwrap();
        let config: memory_manager::ManagerConfig = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(
            config.policy,
            memory_manager::config::PolicyChoice::SelfBalloon
        );
        assert_eq!(
            (
                config.period_ms,
                config.reserve_above_committed_frames,
                config.partition
            ),
            (20, 8, 1)
        );
        let bounds: Vec<_> = config
            .guests
            .iter()
            .map(|g| (g.boot_frames, g.floor_frames, g.ceiling_frames))
            .collect();
        assert_eq!(bounds, [(32, 8, 96), (24, 24, 24)]);
        let static_policy = check(
            "memory-manager",
            &manager(
                "{ boot_frames = 4, floor_frames = 1, ceiling_frames = 9 }",
                "",
            )
            .replace("selfballoon", "static"),
        )
        .unwrap();
        let config: memory_manager::ManagerConfig = postcard::from_bytes(&static_policy).unwrap();
        assert_eq!(config.policy, memory_manager::config::PolicyChoice::Static);
    }

    #[test]
    fn a_memory_managers_mistakes_are_named_with_their_field() {
        let guest = "{ boot_frames = 32, floor_frames = 8, ceiling_frames = 96 }";
        let policy = error(
            "memory-manager",
            &manager(guest, "").replace("selfballoon", "balloon"),
        );
        assert!(
            policy.starts_with("systems/example.toml: partition[1] (guest).config.policy: unknown variant `balloon`"),
            "{policy}"
        );
        let outside = error(
            "memory-manager",
            &manager(
                &format!("{guest}, {{ boot_frames = 32, floor_frames = 40, ceiling_frames = 96 }}"),
                "",
            ),
        );
        assert!(
            outside.starts_with("systems/example.toml: partition[1] (guest).config.guests[1]: boot_frames 32 is not between floor_frames 40 and ceiling_frames 96"),
            "{outside}"
        );
        let shared_floor = error("memory-manager", &manager(guest, ", floor_frames = 8"));
        assert!(
            shared_floor.contains("(guest).config.floor_frames: unknown field `floor_frames`"),
            "{shared_floor}"
        );
        let typo = error(
            "memory-manager",
            &manager(
                "{ boot_frames = 32, floor_frames = 8, celing_frames = 96 }",
                "",
            ),
        );
        assert!(
            typo.contains("(guest).config.guests[0].celing_frames: unknown field `celing_frames`"),
            "{typo}"
        );
        let none = error("memory-manager", &manager("", ""));
        assert!(
            none.contains("(guest).config: no guests: give at least one"),
            "{none}"
        );
        let zero = error(
            "memory-manager",
            &manager(guest, "").replace("period_ms = 20", "period_ms = 0"),
        );
        assert!(zero.contains("(guest).config: a period of 0 ms"), "{zero}");
    }

    #[test]
    fn a_guests_balloon_switch_is_a_named_field() {
        let on = check("guest-os-kernel", "config = { guest = 1, balloon = true }").unwrap();
        let plan: guest_os_config::GuestPlan = postcard::from_bytes(&on).unwrap();
        assert!(plan.balloon);
        let off = check("guest-os-kernel", "config = { guest = 1 }").unwrap();
        let plan: guest_os_config::GuestPlan = postcard::from_bytes(&off).unwrap();
        assert!(!plan.balloon);
        let wrong = error("guest-os-kernel", "config = { guest = 1, balloon = 7 }");
        assert!(
            wrong.starts_with(
                "systems/example.toml: partition[1] (guest).config.balloon: invalid type"
            ),
            "{wrong}"
        );
    }

    #[test]
    fn the_table_form_works_as_well_as_the_inline_one() {
        let inline = check(
            "guest-tmem-workload",
            r#"config = { mode = "copy", client = 2, swap_pages = 5, cache_pages = 20 }"#,
        );
        let table = check(
            "guest-tmem-workload",
            "[partition.config]\nmode = \"copy\"\nclient = 2\nswap_pages = 5\ncache_pages = 20",
        );
        assert_eq!(inline.unwrap(), table.unwrap());
    }

    #[test]
    fn an_unknown_field_is_named_with_file_and_partition() {
        let message = error(
            "guest-os-kernel",
            "config = { guest = 1, hog = { pages = 8, pasess = 2 } }",
        );
        assert!(
            message.starts_with(
                "systems/example.toml: partition[1] (guest).config.hog.pasess: unknown field `pasess`"
            ),
            "{message}"
        );
    }

    #[test]
    fn a_wrong_type_is_named_with_its_field() {
        let message = error(
            "guest-tmem-workload",
            r#"config = { mode = "copy", client = 2, swap_pages = "five", cache_pages = 20 }"#,
        );
        assert!(
            message.starts_with(
                "systems/example.toml: partition[1] (guest).config.swap_pages: invalid type"
            ),
            "{message}"
        );
        let mode = error(
            "guest-tmem-workload",
            r#"config = { mode = "flip", client = 2, swap_pages = 1, cache_pages = 1 }"#,
        );
        assert!(
            mode.contains("(guest).config.mode: unknown variant `flip`"),
            "{mode}"
        );
    }

    #[test]
    fn a_missing_field_and_a_too_long_list_are_refused() {
        let message = error("tmem-monitor", "config = { watch = [1], server = 0 }");
        assert!(
            message.contains("partition[1] (guest).config: missing field `clients`"),
            "{message}"
        );
        let long = format!(
            "config = {{ guest = 1, phased = {{ step_pages = 1, schedule = [{}] }} }}",
            vec!["1"; guest_os_config::MAX_PHASES + 1].join(", ")
        );
        let message = error("guest-os-kernel", &long);
        assert!(
            message.contains("(guest).config.phased.schedule: "),
            "{message}"
        );
    }

    #[test]
    fn a_guest_plan_that_cannot_run_names_its_field() {
        let cases = [
            (
                r#"config = { guest = 1, processes = true, programs = [{ zipf = { pages = 8, operations = 1, exponent = -1.0, seed = 1 } }] }"#,
                "(guest).config.programs[0].zipf.exponent: must be a finite number, 0 or more",
            ),
            (
                r#"config = { guest = 1, processes = true, programs = ["wild", { kv = { keys = 0, operations = 1, put_percent = 5, seed = 1 } }] }"#,
                "(guest).config.programs[1].kv.keys: must be from 1 to 262144",
            ),
            (
                r#"config = { guest = 1, processes = true, programs = [{ file-scan = { rounds = 2 } }] }"#,
                "(guest).config.programs[0].file-scan: a file scan needs the guest's files",
            ),
            (
                r#"config = { guest = 1, programs = ["wild"] }"#,
                "(guest).config.programs: programs run only with `processes = true`",
            ),
            (
                r#"config = { guest = 1, processes = true, programs = [{ zipf = { pages = 8, operations = 1, exponent = 1.0 } }] }"#,
                "(guest).config.programs[0].zipf: missing field `seed`",
            ),
            (
                r#"config = { guest = 1, processes = true, programs = [{ sort = { pages = 8 } }] }"#,
                "(guest).config.programs[0]: unknown variant `sort`",
            ),
        ];
        for (config, want) in cases {
            let message = error("guest-os-kernel", config);
            assert!(message.contains(want), "{config}\n{message}");
        }
    }

    #[test]
    fn a_crate_that_takes_a_configuration_must_be_given_one() {
        let message = error("tmem-monitor", "");
        assert!(
            message.starts_with("systems/example.toml: partition[1] (guest).config: crate `tmem-monitor` needs a configuration"),
            "{message}"
        );
    }

    #[test]
    fn a_crate_without_a_configuration_type_takes_none() {
        assert_eq!(check("test-syscall-prober", "").unwrap(), Vec::<u8>::new());
        let message = error("test-syscall-prober", "config = { rounds = 3 }");
        assert!(
            message.starts_with("systems/example.toml: partition[1] (guest).config: crate `test-syscall-prober` declares no configuration"),
            "{message}"
        );
    }

    #[test]
    fn there_is_no_argument_word_any_more() {
        let file = Path::new(FILE);
        let text = description(
            "guest-os-kernel",
            "argument = 0x2810_0306\nconfig = { guest = 1 }",
        );
        let error = parse(file, &text).unwrap_err();
        assert!(error.reason.contains("unknown field `argument`"), "{error}");
    }

    #[test]
    fn a_configuration_larger_than_half_of_thread_0s_stack_is_refused() {
        let file = Path::new(FILE);
        let d = parse(file, &description("tmem-monitor", "")).unwrap();
        let p = &d.partitions[1];
        assert_eq!(too_large(4096, p), None, "8 KiB stack: 4 KiB fit");
        let reason = too_large(4097, p).unwrap();
        assert!(
            reason.contains("4097 bytes") && reason.contains("(4096 bytes)"),
            "{reason}"
        );
    }
}
