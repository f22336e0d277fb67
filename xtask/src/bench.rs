//! Benchmarks: boot benchmark systems under QEMU with
//! `-icount shift=0,sleep=off` (one instruction is one nanosecond of
//! virtual time, identically on every run), collect the figures their
//! partitions log as `bench NAME: VALUE instructions ...`, and append them
//! as JSON lines to `target/bench/results.jsonl`.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::image::Profile;
use crate::logstream::LogEvent;
use crate::qemu::{BootOptions, Outcome};
use crate::session::Boot;
use crate::system::{build::resolve, build_system};
use crate::toolchain::Toolchain;
use crate::{workspace, Error};

/// The benchmark systems, by name under `systems/`.
pub const SYSTEMS: &[&str] = &["bench-ipc", "bench-grant", "bench-tmem", "bench-guest"];

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
}

/// Reads a figure out of a log message `bench NAME: VALUE UNIT ...`.
pub fn parse_figure(message: &str, system: &str) -> Option<Figure> {
    let rest = message.strip_prefix("bench ")?;
    let (name, rest) = rest.split_once(": ")?;
    let mut words = rest.split_whitespace();
    let value = words.next()?.parse().ok()?;
    let unit = words.next()?.to_string();
    Some(Figure {
        name: name.to_string(),
        unit,
        value,
        system: system.to_string(),
    })
}

/// The figure as one JSON line.
pub fn json_line(figure: &Figure, git: &str) -> String {
    serde_json::json!({
        "name": figure.name,
        "unit": figure.unit,
        "value": figure.value,
        "system": figure.system,
        "git": git,
    })
    .to_string()
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

/// Runs every benchmark system and returns its figures, appending them to
/// [`results_file`].
pub fn run_all(
    toolchain: &Toolchain,
    qemu: &std::path::Path,
    profile: Profile,
) -> Result<Vec<Figure>, Error> {
    let board = &platform::boards::VEXPRESS_A9;
    let git = git_identity();
    let mut figures = Vec::new();
    for name in SYSTEMS {
        let built = build_system(toolchain, board, profile, &resolve(name), false)?;
        let boot = Boot {
            board,
            kernel: &built.kernel,
            partitions: built.partitions.clone(),
            options: BootOptions::default(),
            name: format!("bench-{name}"),
            timeout: Some(Duration::from_secs(300)),
            gdb_port: None,
            // The last -icount wins: no idle-time warping at all, so the
            // count is the same on every run.
            extra: vec!["-icount".into(), "shift=0,sleep=off".into()],
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
        for event in &report.events {
            if let LogEvent::Line(line) = event {
                if let Some(figure) = parse_figure(&line.message, name) {
                    figures.push(figure);
                }
            }
        }
    }
    let path = results_file();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    for figure in &figures {
        writeln!(file, "{}", json_line(figure, &git)).map_err(|e| Error::io(&path, e))?;
    }
    Ok(figures)
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
        assert_eq!(parse_figure("benchmark starting", "x"), None);
        assert_eq!(parse_figure("bench x: many instructions", "x"), None);
    }

    #[test]
    fn json_lines_have_the_documented_fields() {
        let figure = Figure {
            name: "ipc.call_reply.null".into(),
            unit: "instructions".into(),
            value: 812,
            system: "bench-ipc".into(),
        };
        let value: serde_json::Value = serde_json::from_str(&json_line(&figure, "abc123")).unwrap();
        assert_eq!(value["name"], "ipc.call_reply.null");
        assert_eq!(value["unit"], "instructions");
        assert_eq!(value["value"], 812);
        assert_eq!(value["system"], "bench-ipc");
        assert_eq!(value["git"], "abc123");
    }
}
