//! `cargo xtask test`: host tests of every host-testable crate, then the
//! QEMU system tests in `tests/`, after provisioning the target toolchain
//! and QEMU so the system tests never install anything themselves.
//! Debian's `u-boot-tools` is installed too when running as root, so the
//! uImage tests cross-check against `mkimage` and `dumpimage` (without it
//! they say they skipped that check).

use std::io::{BufRead, BufReader};
use std::process::{Command, ExitCode, Stdio};

use xtask::toolchain::{self, Install};
use xtask::{workspace, Error};

use crate::TestArgs;

pub fn test(args: &TestArgs) -> Result<ExitCode, Error> {
    provision_u_boot_tools();
    let mut tally = Tally::default();
    let result = run(args, &mut tally);
    // One closing line for people and CI: the sum over every test binary.
    println!(
        "tests: {} passed, {} failed, {} skipped",
        tally.passed, tally.failed, tally.ignored
    );
    result.map(|()| ExitCode::SUCCESS)
}

fn run(args: &TestArgs, tally: &mut Tally) -> Result<(), Error> {
    if !args.system_only {
        let seed = property_seed();
        eprintln!("test: host tests (property tests from PROPTEST_RNG_SEED={seed})");
        std::env::set_var(PROPTEST_RNG_SEED, &seed);
        cargo_test(
            &["--workspace", "--exclude", "system-tests"],
            "host tests",
            tally,
        )?;
    }
    if !args.host_only {
        // Provision everything up front so the system tests never install.
        crate::toolchain()?;
        toolchain::qemu(Install::IfRoot)?;
        eprintln!("test: system tests in QEMU");
        cargo_test(&["--package", "system-tests"], "system tests", tally)?;
    }
    Ok(())
}

/// Proptest's variable for the seed of every property test's generator.
const PROPTEST_RNG_SEED: &str = "PROPTEST_RNG_SEED";

/// The seed the property tests start from: the user's `PROPTEST_RNG_SEED`,
/// or a fixed one, so a run is reproducible and CI's verdict does not
/// depend on luck. Set it to explore other sequences; a failure prints the
/// shrunk case, and the same seed replays it.
fn property_seed() -> String {
    std::env::var(PROPTEST_RNG_SEED).unwrap_or_else(|_| "20261130".into())
}

/// Installs `u-boot-tools` with apt-get when it is missing and we are root
/// on Debian; never fails the run (the cross-checks then skip).
fn provision_u_boot_tools() {
    if toolchain::which("dumpimage").is_some() && toolchain::which("mkimage").is_some() {
        return;
    }
    if !toolchain::can_apt() {
        eprintln!(
            "test: u-boot-tools is not installed; the mkimage/dumpimage cross-checks will skip"
        );
        return;
    }
    eprintln!("test: installing u-boot-tools with apt-get (uImage cross-checks)");
    if let Err(error) = toolchain::apt_install(&["u-boot-tools"]) {
        eprintln!("test: {error}; the mkimage/dumpimage cross-checks will skip");
    }
}

/// Test counts summed over every `test result:` line cargo prints.
#[derive(Default)]
struct Tally {
    passed: u64,
    failed: u64,
    ignored: u64,
}

impl Tally {
    /// Adds the counts of one `test result: ok. 3 passed; 0 failed; ...`.
    fn add_line(&mut self, line: &str) {
        let Some(rest) = line.trim().strip_prefix("test result: ") else {
            return;
        };
        for part in rest.split(';') {
            let mut words = part.split_whitespace().rev();
            let (Some(kind), Some(count)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(count) = count.parse::<u64>() else {
                continue;
            };
            match kind {
                "passed" => self.passed += count,
                "failed" => self.failed += count,
                "ignored" => self.ignored += count,
                _ => {}
            }
        }
    }
}

/// Runs `cargo test ARGS`, passing its output through and counting results.
fn cargo_test(args: &[&str], what: &str, tally: &mut Tally) -> Result<(), Error> {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut child = Command::new(&program)
        .arg("test")
        .args(args)
        .current_dir(workspace::root())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|source| Error::Spawn {
            program: "cargo test".into(),
            source,
        })?;
    let stdout = child.stdout.take().expect("stdout is piped");
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        println!("{line}");
        tally.add_line(&line);
    }
    let status = child.wait().map_err(|source| Error::Spawn {
        program: "cargo test".into(),
        source,
    })?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::TestsFailed(format!("{what} failed")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tally_sums_cargo_result_lines() {
        let mut tally = Tally::default();
        tally.add_line("test result: ok. 45 passed; 0 failed; 2 ignored; 0 measured; 0 filtered out; finished in 0.00s");
        tally.add_line(
            "test result: FAILED. 3 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out",
        );
        tally.add_line("running 4 tests");
        assert_eq!((tally.passed, tally.failed, tally.ignored), (48, 1, 2));
    }
}
