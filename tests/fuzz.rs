//! A hostile partition at scale (issue 18): a fuzzer makes a million
//! system calls with random and crafted hostile arguments beside victims
//! doing checked work (tmem guests in every exchange mode with their
//! server and manager, an IPC echo pair, a frame worker). Pass: no kernel
//! panic, no hang, the fuzzer made its calls and saw nothing the kernel's
//! contract forbids, every victim finished with every result right, and
//! the run exits 0. A fuzzer that reads the kernel's memory is stopped
//! alone while the victims finish.
//!
//! `FUZZ_LONG=1` runs ten million calls (`tests/systems/fuzz-long.toml`);
//! `FUZZ_SEED=N` (decimal or `0x` hexadecimal, 16 bits) replays another
//! seed. The fuzzer prints its seed, so any failure can be replayed.
//!
//! At the end of the run the kernel checks every invariant it keeps
//! (`System::check`) and says so; the test asserts it held.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use system_tests::{
    assert_logged, assert_tmem_server_consistent, boot_system_file, exit, line, number_after,
    system_file, Outcome, Source,
};
use test_fuzzer::Plan;
use xtask::logstream::LogEvent;
use xtask::session::BootReport;

/// Partition indices in `tests/systems/fuzz*.toml`.
const ALPHA: u8 = 1;
const MANAGER: u8 = 4;
const VICTIMS: u8 = 6;
const FUZZER: u8 = 7;

/// The fuzzer partition's crate line in the system files.
const FUZZER_MARK: &str = "crate = \"test-fuzzer\"";

/// The system to boot, with `FUZZ_LONG` and `FUZZ_SEED` applied: its file,
/// its name and how long it may take.
fn fuzz_system(base: &str) -> (PathBuf, String, Duration, Plan) {
    let long = std::env::var("FUZZ_LONG").is_ok_and(|v| v == "1") && base == "fuzz";
    let name = if long { "fuzz-long" } else { base };
    let file = system_file(name);
    let text = std::fs::read_to_string(&file).unwrap();
    let plan = fuzzer_plan(&text);
    let timeout = if long {
        Duration::from_secs(1800)
    } else {
        Duration::from_secs(120)
    };
    let Some(seed) = std::env::var("FUZZ_SEED").ok().map(|s| parse_seed(&s)) else {
        return (file, name.to_string(), timeout, plan);
    };
    let plan = Plan { seed, ..plan };
    let text = with_fuzzer_plan(&text, plan);
    let dir = xtask::workspace::target_dir().join("fuzz-systems");
    std::fs::create_dir_all(&dir).unwrap();
    let name = format!("{name}-seed-{seed:04x}");
    let file = dir.join(format!("{name}.toml"));
    std::fs::write(&file, text).unwrap();
    (file, name, timeout, plan)
}

fn parse_seed(text: &str) -> u16 {
    let text = text.trim();
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u16::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.unwrap_or_else(|_| panic!("FUZZ_SEED={text:?} is not a 16-bit number"))
}

/// The index of the fuzzer partition's `config = { ... }` line, and the
/// plan it gives.
fn config_line(text: &str) -> (usize, Plan) {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim() == FUZZER_MARK)
        .expect("the fuzzer partition");
    let (index, line) = lines
        .iter()
        .enumerate()
        .skip(start)
        .find(|(_, l)| l.trim_start().starts_with("config"))
        .expect("the fuzzer's config");
    #[derive(serde::Deserialize)]
    struct Line {
        config: Plan,
    }
    let parsed: Line = toml::from_str(line).expect("the fuzzer's config parses");
    (index, parsed.config)
}

fn fuzzer_plan(text: &str) -> Plan {
    config_line(text).1
}

fn with_fuzzer_plan(text: &str, plan: Plan) -> String {
    let (index, _) = config_line(text);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[index] = format!(
        "config = {{ seed = {:#06x}, calls = {}, wild = {} }}",
        plan.seed, plan.calls, plan.wild
    );
    lines.join("\n") + "\n"
}

/// Lines logged at ERROR level, and records that did not decode.
fn errors(report: &BootReport) -> Vec<String> {
    report
        .events
        .iter()
        .filter(|event| match event {
            LogEvent::Line(line) => line.level.as_deref() == Some("ERROR"),
            _ => true,
        })
        .map(ToString::to_string)
        .collect()
}

/// The victims finished with every result right.
fn assert_victims_finished_right(report: &BootReport) {
    let echo = line(report, VICTIMS, "victim echo: ");
    assert!(
        echo.ends_with("every reply word checked, 0 wrong"),
        "{echo}"
    );
    assert!(number_after(echo, "victim echo:").unwrap() > 0, "{echo}");
    let frames = line(report, VICTIMS, "victim frame: ");
    assert!(frames.ends_with("every word checked, 0 wrong"), "{frames}");
    assert!(
        number_after(frames, "victim frame:").unwrap() > 0,
        "{frames}"
    );
    assert_logged(report, "partition victims: finished");
}

/// The tmem guests got every page back and the manager's audit passed.
fn assert_tmem_right(report: &BootReport) {
    let transcript = report.transcript();
    for (client, guest) in (ALPHA..ALPHA + 3).enumerate() {
        let summary = line(report, guest, &format!("client {} (", client + 1));
        assert!(
            summary.ends_with("mismatches 0 errors 0"),
            "{summary}\n{transcript}"
        );
    }
    assert_tmem_server_consistent(report, MANAGER);
    assert!(
        report.find("kernel invariants hold").is_some(),
        "the kernel's end-of-run check:\n{transcript}"
    );
}

#[test]
fn a_hostile_partition_making_a_million_system_calls_harms_nobody() {
    let (file, name, timeout, plan) = fuzz_system("fuzz");
    eprintln!(
        "fuzz: {} (seed {:#06x}, {} calls; replay with FUZZ_SEED={:#06x})",
        file.display(),
        plan.seed,
        plan.calls,
        plan.seed
    );
    let started = Instant::now();
    let report = boot_system_file(&file, &name, timeout);
    let took = started.elapsed();
    let transcript = report.transcript();
    assert_eq!(
        report.outcome,
        Outcome::Exited(exit::CLEAN),
        "seed {:#06x}:\n{transcript}",
        plan.seed
    );
    let prefix = format!("fuzz: seed {:#06x}: ", plan.seed);
    let summary = line(&report, FUZZER, &prefix);
    let calls = number_after(summary, &prefix).unwrap();
    assert!(
        calls >= u64::from(plan.calls) && calls >= 1_000_000,
        "{summary}"
    );
    assert!(
        summary.ends_with(", 0 unexpected"),
        "{summary}\n{transcript}"
    );
    let helper = line(&report, FUZZER, "fuzz helper: ");
    assert!(
        helper.contains(", 0 with wrong contents, 0 receive errors"),
        "{helper}"
    );
    assert!(
        number_after(helper, "messages,").unwrap() > 0,
        "frames were passed: {helper}"
    );
    assert_logged(&report, "partition fuzzer: finished");
    assert_victims_finished_right(&report);
    assert_tmem_right(&report);
    assert!(report.find("stopped").is_none(), "{transcript}");
    let errors = errors(&report);
    assert!(
        errors.is_empty(),
        "errors:\n{}\n{transcript}",
        errors.join("\n")
    );
    eprintln!("fuzz: {summary}; {:.1} s of host time", took.as_secs_f64());
}

#[test]
fn a_fuzzer_that_reads_the_kernel_is_stopped_alone() {
    let (file, name, timeout, plan) = fuzz_system("fuzz-wild");
    assert!(plan.wild);
    let report = boot_system_file(&file, &name, timeout);
    let transcript = report.transcript();
    assert_eq!(
        report.outcome,
        Outcome::Exited(exit::PARTITION_FAULT),
        "seed {:#06x}:\n{transcript}",
        plan.seed
    );
    let summary = line(&report, FUZZER, &format!("fuzz: seed {:#06x}: ", plan.seed));
    assert!(
        summary.ends_with(", 0 unexpected"),
        "{summary}\n{transcript}"
    );
    assert_logged(
        &report,
        "fuzz: wild pointer: reading kernel address 0xc0000000",
    );
    assert!(
        report.find("carried on").is_none(),
        "the read must not return:\n{transcript}"
    );
    assert_logged(&report, "partition fuzzer stopped: thread fuzz took a");
    let fault = report
        .messages_from(Source::Kernel)
        .into_iter()
        .find(|m| m.starts_with("partition fuzzer: ") && m.contains(" of address "))
        .unwrap_or_else(|| panic!("{transcript}"));
    assert!(
        fault.contains("permission fault (") && fault.ends_with("on read of address 0xc0000000"),
        "{fault}"
    );
    let stops = report
        .messages_from(Source::Kernel)
        .into_iter()
        .filter(|m| m.contains(" stopped: thread ") || m.contains(" stopped by monitor "))
        .count();
    assert_eq!(stops, 1, "only the fuzzer is stopped:\n{transcript}");
    assert_victims_finished_right(&report);
    assert_tmem_right(&report);
    let errors = errors(&report);
    assert!(
        errors
            .iter()
            .all(|e| e.contains("[kernel] partition fuzzer")),
        "errors other than the fuzzer's stop:\n{}\n{transcript}",
        errors.join("\n")
    );
}

#[test]
fn the_system_files_agree_with_the_fuzzers_plan() {
    for (name, calls, wild) in [
        ("fuzz", 1_000_000, false),
        ("fuzz-long", 10_000_000, false),
        ("fuzz-wild", 20_000, true),
    ] {
        let text = std::fs::read_to_string(system_file(name)).unwrap();
        let plan = fuzzer_plan(&text);
        assert_eq!((plan.calls, plan.wild), (calls, wild), "{name}");
        let replaced = with_fuzzer_plan(&text, Plan { seed: 7, ..plan });
        assert_eq!(fuzzer_plan(&replaced), Plan { seed: 7, ..plan });
        assert_eq!(replaced.lines().count(), text.lines().count());
    }
    assert_eq!(parse_seed("0x1e18"), 0x1E18);
    assert_eq!(parse_seed("42"), 42);
}
