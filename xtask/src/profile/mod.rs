//! `cargo xtask bench --profile FIGURE`: an instruction-level profile of
//! one benchmark figure's timed loop, from a QEMU TCG plugin of our own
//! (`xtask/qemu-plugin`). The plugin counts every translated block's
//! executions and memory bytes in segments cut at the kernel's
//! `clock_read`; xtask finds the loop's two clock reads, places every
//! block in the kernel or a partition and its function, and writes
//! `target/bench/profile-FIGURE.txt`, plus a cross-check of every figure
//! of the run against the plugin's own counts.
//!
//! A profile run is a benchmark run with the plugin loaded (QEMU's counts
//! under `-icount` are the same with it): it never appends to
//! `results.jsonl`, and refuses, with the reason, a run whose timed loops
//! it cannot line up with the figures logged.

pub mod report;
pub mod symbols;
pub mod trace;
pub mod windows;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::image::Profile;
use crate::system::{build::resolve, build_system};
use crate::toolchain::Toolchain;
use crate::{workspace, Error};

use symbols::{Image, Symbolizer};

/// The kernel function whose first instruction cuts segments: the
/// `clock_read` system call every timed loop brackets itself with.
pub const MARKER_FUNCTION: &str = "<kernel::system::System>::clock_read";

/// The system profiled when none is named.
pub const DEFAULT_SYSTEM: &str = "bench-tmem";

/// The plugin's package, built for the host.
pub const PLUGIN_PACKAGE: &str = "qemu-profile-plugin";

/// Builds the plugin with the host's cargo and returns the library.
pub fn build_plugin() -> Result<PathBuf, Error> {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(&program)
        .args(["build", "--quiet", "--package", PLUGIN_PACKAGE])
        .current_dir(workspace::root())
        .stdin(Stdio::null())
        .status()
        .map_err(|source| Error::Spawn {
            program: PathBuf::from(&program).display().to_string(),
            source,
        })?;
    if !status.success() {
        return Err(Error::BuildFailed {
            what: PLUGIN_PACKAGE.into(),
        });
    }
    Ok(workspace::target_dir()
        .join("debug")
        .join(format!("lib{}.so", PLUGIN_PACKAGE.replace('-', "_"))))
}

/// Whether figure `name` matches `pattern`, where `*` stands for any text.
pub fn matches(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// What a profile run wrote.
#[derive(Clone, Debug)]
pub struct Written {
    /// `target/bench/profile-FIGURE.txt`, one per figure asked for.
    pub profiles: Vec<PathBuf>,
    /// `target/bench/profile-SYSTEM-crosscheck.txt`: every figure of the run.
    pub crosscheck: PathBuf,
}

/// Where `cargo xtask bench --profile` writes: `target/bench/`.
pub fn output_dir() -> PathBuf {
    workspace::target_dir().join("bench")
}

/// Runs `system` (a name under `systems/` or a path) with the plugin at
/// `plugin` and writes into `dir` the profile of every figure matching
/// one of `patterns`, and the cross-check of all of them.
pub fn run(
    toolchain: &Toolchain,
    qemu: &Path,
    plugin: &Path,
    profile: Profile,
    system: &str,
    patterns: &[String],
    dir: &Path,
) -> Result<Written, Error> {
    let board = &platform::boards::VEXPRESS_A9;
    let built = build_system(toolchain, board, profile, &resolve(system), false)?;
    let mut images = vec![Image::read("kernel", &built.kernel)?];
    for (name, elf) in &built.partitions {
        images.push(Image::read(name, elf)?);
    }
    let symbolizer = Symbolizer::new(images);
    let kernel = symbolizer
        .image("kernel")
        .expect("the kernel image is first");
    let marker = kernel.function_named(MARKER_FUNCTION).ok_or_else(|| {
        Error::Profile(format!(
            "{}: no function `{MARKER_FUNCTION}` to mark the timed loops",
            built.kernel.display()
        ))
    })?;
    let user_limit = kernel.lowest_address().unwrap_or(0);
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let trace_file = dir.join(format!("profile-{}.trace", built.name));
    let argument = format!(
        "{},out={},marker={marker:#x},user_limit={user_limit:#x}",
        plugin.display(),
        trace_file.display()
    );
    if argument.matches(',').count() != 3 {
        return Err(Error::Profile(format!(
            "{argument}: a path with a comma cannot be passed to QEMU's -plugin"
        )));
    }
    let (report, figures) =
        crate::bench::run_built(qemu, &built, &["-plugin".into(), argument.clone()])?;
    // The partitions whose timed loops made the figures.
    let mut timers: Vec<&str> = report
        .events
        .iter()
        .filter_map(|event| match event {
            crate::logstream::LogEvent::Line(line)
                if crate::bench::parse_figure(&line.message, "").is_some() =>
            {
                Some(line.origin.as_str())
            }
            _ => None,
        })
        .collect();
    timers.sort_unstable();
    timers.dedup();
    let text = std::fs::read_to_string(&trace_file).map_err(|e| Error::io(&trace_file, e))?;
    let trace = trace::Trace::parse(&text, &trace_file.display().to_string())?;
    let found = windows::windows(&trace, &symbolizer, &timers)?;
    let matched = windows::match_figures(&trace, &found, &figures)?;
    let git = crate::bench::git_identity();
    let profiles: Vec<report::Profile> = matched
        .iter()
        .map(|m| report::profile(&trace, &symbolizer, m))
        .collect();
    let mut written = Vec::new();
    for pattern in patterns {
        let chosen: Vec<&report::Profile> = profiles
            .iter()
            .filter(|p| matches(pattern, &p.matched.figure.name))
            .collect();
        if chosen.is_empty() {
            let names: Vec<&str> = profiles
                .iter()
                .map(|p| p.matched.figure.name.as_str())
                .collect();
            return Err(Error::Profile(format!(
                "no figure of {} matches `{pattern}`; its figures: {}",
                built.name,
                names.join(", ")
            )));
        }
        for p in chosen {
            let file = dir.join(format!("profile-{}.txt", p.matched.figure.name));
            std::fs::write(&file, report::render(p, &built.name, &git))
                .map_err(|e| Error::io(&file, e))?;
            written.push(file);
        }
    }
    let crosscheck = dir.join(format!("profile-{}-crosscheck.txt", built.name));
    std::fs::write(
        &crosscheck,
        report::crosscheck(&profiles, &built.name, &git),
    )
    .map_err(|e| Error::io(&crosscheck, e))?;
    Ok(Written {
        profiles: written,
        crosscheck,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_whole_names_with_stars_for_any_text() {
        assert!(matches("tmem.put.copy", "tmem.put.copy"));
        assert!(!matches("tmem.put.copy", "tmem.put.copy.run16"));
        assert!(matches("tmem.*.run16", "tmem.put.grant_map.run16"));
        assert!(!matches("tmem.*.run16", "tmem.put.grant_map.run1"));
        assert!(matches("*", "anything"));
        assert!(matches("tmem.*.*.run1*", "tmem.get.copy.run16"));
        assert!(!matches("a*a", "a"));
    }
}
