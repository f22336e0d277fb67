//! Benchmarks: boot benchmark systems under QEMU with
//! `-icount shift=0,sleep=off` (one instruction is one nanosecond of
//! virtual time, identically on every run), collect the figures their
//! partitions log as `bench NAME: VALUE instructions ...` (with
//! `; traffic READ/WRITTEN bytes ...` where the partition counted the
//! page-content bytes moved), and append them as JSON lines to
//! `target/bench/results.jsonl`. Plots are [`crate::bench_plot`]'s.
//! Nothing here may change a figure: values are copied as logged.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::image::Profile;
use crate::logstream::LogEvent;
use crate::qemu::{BootOptions, Outcome};
use crate::session::{Boot, BootReport};
use crate::system::build::BuiltSystem;
use crate::system::{build::resolve, build_system};
use crate::toolchain::Toolchain;
use crate::{workspace, Error};

/// How much `cargo xtask bench` measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sweep {
    /// Every figure once: a few minutes.
    Quick,
    /// Every sweep: also page contents with compression and sharing, and
    /// pages already stored.
    Full,
}

impl Sweep {
    /// The benchmark systems, by name under `systems/`.
    pub fn systems(self) -> &'static [&'static str] {
        match self {
            Sweep::Quick => &[
                "bench-ipc",
                "bench-ipc-p16",
                "bench-ipc-p64",
                "bench-grant",
                "bench-tmem",
                "bench-block",
                "bench-guest",
                GUEST_SWAP_SYSTEM,
            ],
            Sweep::Full => &[
                "bench-ipc",
                "bench-ipc-p16",
                "bench-ipc-p64",
                "bench-grant",
                "bench-tmem",
                "bench-block",
                "bench-guest",
                GUEST_SWAP_SYSTEM,
                "bench-tmem-full",
            ],
        }
    }
}

/// The systems that measure a figure again beside more partitions, and
/// the suffix their figures get (`ipc.call_reply.null.p16`): the same
/// partitions log the same names, and the suffix tells them apart.
pub const SCALED_SYSTEMS: &[(&str, &str)] = &[("bench-ipc-p16", "p16"), ("bench-ipc-p64", "p64")];

/// The name a figure logged as `logged` by system `system` is reported
/// under: with the system's suffix if it is one of [`SCALED_SYSTEMS`].
pub fn reported_name(logged: &str, system: &str) -> String {
    match SCALED_SYSTEMS.iter().find(|(name, _)| *name == system) {
        Some((_, suffix)) => format!("{logged}.{suffix}"),
        None => logged.to_string(),
    }
}

/// The systems of `sweep` to run: all of them, or those named in `only`
/// (each must be one of the sweep's).
pub fn selected(sweep: Sweep, only: &[String]) -> Result<Vec<&'static str>, Error> {
    let all = sweep.systems();
    if let Some(unknown) = only.iter().find(|name| !all.contains(&name.as_str())) {
        return Err(Error::UnknownBenchSystem {
            name: unknown.clone(),
            known: all.join(", "),
        });
    }
    Ok(all
        .iter()
        .copied()
        .filter(|name| only.is_empty() || only.iter().any(|o| o == name))
        .collect())
}

/// Page-content bytes an operation moved, as the code that moved them
/// counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Traffic {
    /// Bytes read.
    pub read: u64,
    /// Bytes written.
    pub written: u64,
}

/// The device-model benchmark, run once per model (see
/// [`model_variants`]).
pub const MODEL_SYSTEM: &str = "bench-block-model";

/// `systems/bench-block-model.toml` rewritten for every device model but
/// `none`: its `[[disk]]` `model` and its prober's `config` model, written
/// under `target/bench/`. Returns the files.
pub fn model_variants() -> Result<Vec<PathBuf>, Error> {
    use block_protocol::model::{DeviceModel, MODELS};
    let template_path = resolve(MODEL_SYSTEM);
    let template =
        std::fs::read_to_string(&template_path).map_err(|e| Error::io(&template_path, e))?;
    let model_line = |model: DeviceModel| format!("model = \"{}\"\n", model.name());
    let config_line = |model: DeviceModel| {
        format!(
            "config = {{ role = \"model-bench\", model = \"{}\" }}\n",
            model.name()
        )
    };
    let (model_template, config_template) = (
        model_line(DeviceModel::SdA1),
        config_line(DeviceModel::SdA1),
    );
    if !template.contains(&model_template) || !template.contains(&config_template) {
        return Err(Error::BuildFailed {
            what: format!(
                "{}: expected `{}` and `{}`",
                template_path.display(),
                model_template.trim(),
                config_template.trim()
            ),
        });
    }
    let dir = workspace::target_dir().join("bench");
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let mut files = Vec::new();
    for model in MODELS.into_iter().filter(|&m| m != DeviceModel::None) {
        let text = template
            .replace(&model_template, &model_line(model))
            .replace(&config_template, &config_line(model));
        // System names are at most 24 bytes: `block-MODEL`.
        let file = dir.join(format!("block-{}.toml", model.name()));
        std::fs::write(&file, text).map_err(|e| Error::io(&file, e))?;
        files.push(file);
    }
    Ok(files)
}

/// The guest-OS swap benchmark (the source report's comparison): its
/// template runs tmem in copy mode, [`guest_swap_variants`] the rest.
pub const GUEST_SWAP_SYSTEM: &str = "bench-guest-swap";

/// The template guest's exchange mode, in its `config` (copy mode).
const GUEST_SWAP_MODE: &str = "tmem = \"copy\", ";

/// `systems/bench-guest-swap.toml` rewritten for the other places swapped
/// pages can go: tmem in grant-map and transfer mode, and tmem off (the
/// guest swaps to the SD card only), under `target/bench/`: the tmem
/// client's `mode` and the guest's `config.tmem` change.
/// Returns the files.
pub fn guest_swap_variants() -> Result<Vec<PathBuf>, Error> {
    let template_path = resolve(GUEST_SWAP_SYSTEM);
    let template =
        std::fs::read_to_string(&template_path).map_err(|e| Error::io(&template_path, e))?;
    let client_line = "{ partition = \"guest\", mode = \"copy\" }";
    if !template.contains(client_line) || !template.contains(GUEST_SWAP_MODE) {
        return Err(Error::BuildFailed {
            what: format!(
                "{}: expected `{client_line}` and `{}` in the guest's config",
                template_path.display(),
                GUEST_SWAP_MODE.trim()
            ),
        });
    }
    let dir = workspace::target_dir().join("bench");
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let mut files = Vec::new();
    // (file name, tmem client mode, the guest's `tmem` field). With tmem
    // off the client stays declared (copy) and the guest does not use it.
    for (name, mode, guest_mode) in [
        ("swap-grant-map", "grant-map", "tmem = \"grant-map\", "),
        ("swap-transfer", "transfer", "tmem = \"transfer\", "),
        ("swap-sd-only", "copy", ""),
    ] {
        let text = template
            .replace(
                client_line,
                &format!("{{ partition = \"guest\", mode = \"{mode}\" }}"),
            )
            .replace(GUEST_SWAP_MODE, guest_mode);
        let file = dir.join(format!("{name}.toml"));
        std::fs::write(&file, text).map_err(|e| Error::io(&file, e))?;
        files.push(file);
    }
    Ok(files)
}

/// The source report's figure, ours: how many times longer the guest's
/// workload ran swapping to the SD card only than with tmem, per exchange
/// mode (`guest_os.swap.MODE` against `guest_os.swap.sd_only`).
pub fn swap_speedups(figures: &[Figure]) -> Vec<(String, f64)> {
    let run_time = |series: &str| {
        figures
            .iter()
            .find(|f| f.name == format!("guest_os.swap.{series}"))
            .map(|f| f.value)
    };
    let Some(sd_only) = run_time("sd_only") else {
        return Vec::new();
    };
    ["copy", "grant_map", "transfer"]
        .into_iter()
        .filter_map(|mode| {
            let with_tmem = run_time(mode).filter(|&t| t > 0)?;
            Some((mode.to_string(), sd_only as f64 / with_tmem as f64))
        })
        .collect()
}

/// One measured figure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Figure {
    /// Dotted name, e.g. `ipc.call_reply.null`.
    pub name: String,
    /// What the value counts.
    pub unit: String,
    /// The value.
    pub value: u64,
    /// The system that measured it.
    pub system: String,
    /// Bytes of page contents moved per the same unit, if counted.
    pub traffic: Option<Traffic>,
}

/// Reads a figure out of a log message `bench NAME: VALUE UNIT ...`.
pub fn parse_figure(message: &str, system: &str) -> Option<Figure> {
    let rest = message.strip_prefix("bench ")?;
    let (name, rest) = rest.split_once(": ")?;
    let mut words = rest.split_whitespace();
    let value = words.next()?.parse().ok()?;
    let unit = words.next()?.to_string();
    let traffic = words
        .skip_while(|word| *word != "traffic")
        .nth(1)
        .and_then(|counts| counts.split_once('/'))
        .and_then(|(read, written)| {
            Some(Traffic {
                read: read.parse().ok()?,
                written: written.parse().ok()?,
            })
        });
    Some(Figure {
        name: name.to_string(),
        unit,
        value,
        system: system.to_string(),
        traffic,
    })
}

/// What a tmem figure's name says it measured:
/// `tmem.OP.MODE[.runN | .storedN | .CONTENT.VARIANT]` — one page per
/// call, N pages per call, N pages already stored, or a page content
/// (zero, text, records, random) with compression or sharing (plain,
/// compress, share).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Series {
    /// put, get, get_exclusive, flush.
    pub op: String,
    /// copy, grant_map, transfer, inkernel.
    pub mode: String,
    /// Pages per call: `None` for a single-page operation.
    pub pages_per_call: Option<u32>,
    /// Pages already stored, for the store-size sweep.
    pub stored_pages: Option<u32>,
    /// Page content and store variant, for the content sweep.
    pub content: Option<(String, String)>,
}

impl Series {
    /// The series of a figure, if its name is a tmem operation's.
    pub fn of(name: &str) -> Option<Series> {
        let mut parts = name.split('.');
        if parts.next()? != "tmem" {
            return None;
        }
        let mut series = Series {
            op: parts.next()?.to_string(),
            mode: parts.next()?.to_string(),
            pages_per_call: None,
            stored_pages: None,
            content: None,
        };
        match (parts.next(), parts.next()) {
            (None, _) => {}
            (Some(qualifier), None) => {
                if let Some(n) = qualifier.strip_prefix("run") {
                    series.pages_per_call = Some(n.parse().ok()?);
                } else {
                    series.stored_pages = Some(qualifier.strip_prefix("stored")?.parse().ok()?);
                }
            }
            (Some(content), Some(variant)) => {
                series.content = Some((content.to_string(), variant.to_string()));
            }
        }
        parts.next().is_none().then_some(series)
    }
}

/// The figure as one JSON line.
pub fn json_line(figure: &Figure, git: &str) -> String {
    let mut line = serde_json::json!({
        "name": figure.name,
        "unit": figure.unit,
        "value": figure.value,
        "system": figure.system,
        "git": git,
    });
    if let Some(traffic) = figure.traffic {
        line["bytes_read"] = traffic.read.into();
        line["bytes_written"] = traffic.written.into();
    }
    if let Some(series) = Series::of(&figure.name) {
        line["op"] = series.op.into();
        line["mode"] = series.mode.into();
        line["pages_per_call"] = series.pages_per_call.unwrap_or(1).into();
        if let Some(stored) = series.stored_pages {
            line["stored_pages"] = stored.into();
        }
        if let Some((content, variant)) = series.content {
            line["content"] = content.into();
            line["variant"] = variant.into();
        }
    }
    line.to_string()
}

/// `git describe`-like identity of the tree: short hash, `-dirty` if it
/// has uncommitted changes, `unknown` outside git.
pub fn git_identity() -> String {
    let run = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(workspace::root())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match run(&["rev-parse", "--short", "HEAD"]) {
        Some(hash) => match run(&["status", "--porcelain"]) {
            Some(status) if !status.is_empty() => format!("{hash}-dirty"),
            _ => hash,
        },
        None => "unknown".into(),
    }
}

/// Where results are appended.
pub fn results_file() -> PathBuf {
    workspace::target_dir().join("bench").join("results.jsonl")
}

/// Runs the benchmark systems `systems` (names under `systems/` or paths)
/// and returns their figures.
pub fn run_systems(
    toolchain: &Toolchain,
    qemu: &std::path::Path,
    profile: Profile,
    systems: &[&str],
) -> Result<Vec<Figure>, Error> {
    let board = &platform::boards::VEXPRESS_A9;
    let mut figures = Vec::new();
    let mut files: Vec<PathBuf> = systems.iter().map(|name| resolve(name)).collect();
    // The block benchmark comes with one system per device model.
    if systems.contains(&"bench-block") {
        files.extend(model_variants()?);
    }
    // The guest swap benchmark, with one system per other exchange mode
    // and one without tmem.
    if systems.contains(&GUEST_SWAP_SYSTEM) {
        files.extend(guest_swap_variants()?);
    }
    for file in &files {
        let built = build_system(toolchain, board, profile, file, false)?;
        figures.extend(run_built(qemu, &built, &[])?.1);
    }
    Ok(figures)
}

/// Boots the built benchmark system `built` under `-icount` (with its
/// disk, if it has one, and `extra` QEMU arguments) and returns the run
/// and the figures it logged, in order. A run that does not exit with 0
/// is an error with its transcript.
pub fn run_built(
    qemu: &std::path::Path,
    built: &BuiltSystem,
    extra: &[String],
) -> Result<(BootReport, Vec<Figure>), Error> {
    let board = &platform::boards::VEXPRESS_A9;
    let name = &built.name;
    // The last -icount wins: no idle-time warping at all, so the
    // count is the same on every run.
    let mut args = vec!["-icount".into(), "shift=0,sleep=off".into()];
    if let Some(bytes) = built.disk_bytes {
        let image = workspace::target_dir()
            .join("bench")
            .join(format!("{name}.disk.img"));
        crate::disk_image::prepare(&image, bytes, true)?;
        crate::disk_image::write_regions(&image, &built.disk_files)?;
        args.extend(crate::disk_image::qemu_args(&image));
    }
    args.extend(extra.iter().cloned());
    let boot = Boot {
        board,
        kernel: &built.kernel,
        partitions: built.partitions.clone(),
        options: BootOptions::default(),
        name: format!("bench-{name}"),
        timeout: Some(Duration::from_secs(300)),
        gdb_port: None,
        extra: args,
        quiet: true,
    };
    let report = boot.run(qemu, |_| {})?;
    if report.outcome != Outcome::Exited(0) {
        return Err(Error::TestsFailed(format!(
            "benchmark system {name} ended with {:?}:\n{}",
            report.outcome,
            report.transcript()
        )));
    }
    let mut figures = Vec::new();
    for event in &report.events {
        if let LogEvent::Line(line) = event {
            if let Some(mut figure) = parse_figure(&line.message, name) {
                figure.name = reported_name(&figure.name, name);
                figures.push(figure);
            }
        }
    }
    Ok((report, figures))
}

/// Appends `figures` to the JSON lines file `path`, each tagged with the
/// tree's git identity.
pub fn append_results(figures: &[Figure], path: &std::path::Path) -> Result<(), Error> {
    let git = git_identity();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    for figure in figures {
        writeln!(file, "{}", json_line(figure, &git)).map_err(|e| Error::io(path, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_read_from_bench_lines_only() {
        let figure = parse_figure(
            "bench ipc.call_reply.null: 812 instructions per round trip (10000 calls in 8120 us)",
            "bench-ipc",
        )
        .unwrap();
        assert_eq!(figure.name, "ipc.call_reply.null");
        assert_eq!((figure.value, figure.unit.as_str()), (812, "instructions"));
        assert_eq!(figure.traffic, None);
        assert_eq!(parse_figure("benchmark starting", "x"), None);
        assert_eq!(parse_figure("bench x: many instructions", "x"), None);
    }

    #[test]
    fn figures_of_scaled_systems_carry_their_suffix_and_others_do_not() {
        assert_eq!(
            reported_name("ipc.call_reply.null", "bench-ipc-p64"),
            "ipc.call_reply.null.p64"
        );
        assert_eq!(
            reported_name("ipc.call_reply.null", "bench-ipc-p16"),
            "ipc.call_reply.null.p16"
        );
        assert_eq!(
            reported_name("ipc.call_reply.null", "bench-ipc"),
            "ipc.call_reply.null"
        );
        for (system, _) in SCALED_SYSTEMS {
            assert!(Sweep::Quick.systems().contains(system), "{system}");
            assert!(resolve(system).exists(), "{system}");
        }
    }

    #[test]
    fn a_selection_keeps_the_sweeps_order_and_refuses_unknown_names() {
        let only = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        assert_eq!(selected(Sweep::Quick, &[]).unwrap(), Sweep::Quick.systems());
        assert_eq!(
            selected(Sweep::Quick, &only(&["bench-ipc-p64", "bench-ipc"])).unwrap(),
            ["bench-ipc", "bench-ipc-p64"]
        );
        assert!(selected(Sweep::Quick, &only(&["bench-tmem-full"])).is_err());
        assert!(selected(Sweep::Full, &only(&["bench-tmem-full"])).is_ok());
    }

    #[test]
    fn every_device_model_gets_a_benchmark_system() {
        let files = model_variants().unwrap();
        assert_eq!(files.len(), block_protocol::model::MODELS.len() - 1);
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let description = crate::system::validate::parse(&file, &text).unwrap();
            let plan = crate::system::disk::check(&file, &description)
                .unwrap()
                .unwrap();
            let config = plan.config;
            let prober = description
                .partitions
                .iter()
                .find(|p| p.name == "prober")
                .unwrap();
            let table = toml::Value::Table(prober.config.clone().unwrap());
            let prober_config: test_block_prober::config::Config = table.try_into().unwrap();
            assert_eq!(
                (prober_config.role, prober_config.model),
                (
                    test_block_prober::config::Role::ModelBench,
                    Some(config.model)
                ),
                "{}",
                file.display()
            );
            assert!(file
                .display()
                .to_string()
                .ends_with(&format!("-{}.toml", config.model.name())));
        }
    }

    #[test]
    fn every_swap_destination_gets_a_guest_benchmark_system() {
        use crate::system::description::TmemMode;
        use tmem_protocol::ExchangeMode;
        let mut files = vec![resolve(GUEST_SWAP_SYSTEM)];
        files.extend(guest_swap_variants().unwrap());
        let mut seen = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let description = crate::system::validate::parse(&file, &text).unwrap();
            let plan = crate::system::disk::check(&file, &description)
                .unwrap()
                .unwrap();
            assert_eq!(
                plan.config.model,
                block_protocol::model::DeviceModel::MicroSd2010
            );
            let guest = description
                .partitions
                .iter()
                .find(|p| p.name == "guest")
                .unwrap();
            let client_mode = description.tmem.as_ref().unwrap().clients[0].mode;
            let config = toml::Value::Table(guest.config.clone().unwrap());
            let plan: guest_os_config::GuestPlan = config.try_into().unwrap();
            // The guest's exchange mode, which the server's client entry
            // must match (none: tmem off).
            let expected = plan.tmem.map(|mode| match mode {
                ExchangeMode::Copy => TmemMode::Copy,
                ExchangeMode::GrantMap => TmemMode::GrantMap,
                ExchangeMode::Transfer => TmemMode::Transfer,
            });
            if let Some(mode) = expected {
                assert_eq!(client_mode, mode, "{}", file.display());
            }
            // Only the mode differs between the variants.
            assert_eq!(
                (
                    plan.guest,
                    plan.sd_swap,
                    plan.bench,
                    plan.hog.map(|h| h.pages)
                ),
                (1, true, true, Some(96)),
                "{}",
                file.display()
            );
            seen.push(plan.swap_series());
        }
        seen.sort_unstable();
        assert_eq!(seen, ["copy", "grant_map", "sd_only", "transfer"]);
    }

    #[test]
    fn the_speedup_is_the_sd_only_run_time_over_each_tmem_run_time() {
        let figure = |name: &str, value| Figure {
            name: format!("guest_os.swap.{name}"),
            unit: "microseconds".into(),
            value,
            system: "s".into(),
            traffic: None,
        };
        let figures = [
            figure("copy", 200),
            figure("sd_only", 60_000),
            figure("transfer", 300),
        ];
        assert_eq!(
            swap_speedups(&figures),
            vec![("copy".to_string(), 300.0), ("transfer".to_string(), 200.0)]
        );
        assert!(swap_speedups(&figures[..1]).is_empty());
    }

    #[test]
    fn json_lines_have_the_documented_fields() {
        let figure = Figure {
            name: "ipc.call_reply.null".into(),
            unit: "instructions".into(),
            value: 812,
            system: "bench-ipc".into(),
            traffic: None,
        };
        let value: serde_json::Value = serde_json::from_str(&json_line(&figure, "abc123")).unwrap();
        assert_eq!(value["name"], "ipc.call_reply.null");
        assert_eq!(value["unit"], "instructions");
        assert_eq!(value["value"], 812);
        assert_eq!(value["system"], "bench-ipc");
        assert_eq!(value["git"], "abc123");
        assert!(value.get("bytes_read").is_none());
    }

    #[test]
    fn traffic_and_series_are_read_from_tmem_figures() {
        let figure = parse_figure(
            "bench tmem.put.grant_map.run16: 1562 instructions per page; traffic 4097/4096 bytes per page",
            "bench-tmem",
        )
        .unwrap();
        assert_eq!(figure.value, 1562);
        assert_eq!(
            figure.traffic,
            Some(Traffic {
                read: 4097,
                written: 4096
            })
        );
        let value: serde_json::Value = serde_json::from_str(&json_line(&figure, "x")).unwrap();
        assert_eq!(value["bytes_read"], 4097);
        assert_eq!(value["bytes_written"], 4096);
        assert_eq!(value["op"], "put");
        assert_eq!(value["mode"], "grant_map");
        assert_eq!(value["pages_per_call"], 16);
        let flush = Series::of("tmem.flush.copy").unwrap();
        assert_eq!((flush.op.as_str(), flush.mode.as_str()), ("flush", "copy"));
        assert_eq!(
            (flush.pages_per_call, flush.stored_pages, flush.content),
            (None, None, None)
        );
        assert_eq!(
            Series::of("tmem.get.inkernel.stored1000")
                .unwrap()
                .stored_pages,
            Some(1000)
        );
        assert_eq!(
            Series::of("tmem.put.copy.text.compress").unwrap().content,
            Some(("text".into(), "compress".into()))
        );
        assert_eq!(Series::of("ipc.call_reply.null"), None);
        assert_eq!(Series::of("tmem.put.copy.batch4"), None);
        assert_eq!(Series::of("tmem.put.copy.a.b.c"), None);
    }
}
