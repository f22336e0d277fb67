//! `cargo xtask lint`: `cargo fmt --check`, clippy on every host crate and
//! target, and clippy on the kernel as built for the target (the `arch`
//! code exists only there). Warnings are errors.

use std::process::{ExitCode, Stdio};

use xtask::image::KernelImage;
use xtask::toolchain::Install;
use xtask::{board, workspace, Error};

pub fn lint() -> Result<ExitCode, Error> {
    eprintln!("lint: formatting");
    crate::cargo(&["fmt", "--all", "--", "--check"], "cargo fmt --check")?;
    eprintln!("lint: clippy, host");
    crate::cargo(
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
        "clippy (host)",
    )?;
    let toolchain = crate::toolchain()?;
    for board in platform::boards::ALL {
        eprintln!("lint: clippy, kernel for {}", board.name);
        let image = KernelImage::new(board, xtask::image::Profile::Debug);
        let mut cmd =
            toolchain.cargo_clippy(&workspace::target_dir().join("arm"), Install::IfRoot)?;
        cmd.current_dir(workspace::root())
            .args(["--package", "kernel", "--bins", "--features"])
            // With the benchmark-only baseline too: the host lint sees the
            // kernel without it.
            .arg(format!(
                "{},selftests,tmem-baseline",
                board::cargo_feature(image.board)
            ))
            .args(["--", "-D", "warnings"])
            .stdin(Stdio::null());
        let status = cmd.status().map_err(|source| Error::Spawn {
            program: "cargo clippy".into(),
            source,
        })?;
        if !status.success() {
            return Err(Error::TestsFailed(format!(
                "clippy (kernel, {})",
                board.name
            )));
        }
    }
    eprintln!("lint: clippy, partitions");
    let mut cmd = toolchain.cargo_clippy(&workspace::target_dir().join("arm"), Install::IfRoot)?;
    cmd.current_dir(workspace::root()).stdin(Stdio::null());
    for package in PARTITION_PACKAGES {
        cmd.args(["--package", package]);
    }
    cmd.args(["--", "-D", "warnings"]);
    let status = cmd.status().map_err(|source| Error::Spawn {
        program: "cargo clippy".into(),
        source,
    })?;
    if !status.success() {
        return Err(Error::TestsFailed("clippy (partitions)".into()));
    }
    Ok(ExitCode::SUCCESS)
}

/// The user-level crates built for the target.
const PARTITION_PACKAGES: &[&str] = &[
    "userlib",
    "guest-counter",
    "test-fault-injector",
    "test-high-ram",
    "test-syscall-prober",
    "test-ipc-client",
    "test-ipc-echo",
    "test-restart-client",
    "supervisor",
    "test-lock-hammer",
    "test-scale-idle",
    "test-scale-ring",
    "test-uart-driver",
    "test-tmem-prober",
    "test-tmem-killer",
    "test-tmem-swapper",
    "test-fuzzer",
    "test-guest-kernel",
    "test-victim",
    "test-killer",
    "test-block-crasher",
    "test-block-prober",
    "test-hostile",
    "block-client",
    "block-server",
    "tmem-client",
    "guest-tmem-workload",
    "tmem-server",
    "tmem-monitor",
    "memory-policy",
    "memory-manager-protocol",
    "memory-manager",
    "guest-mm",
    "guest-process",
    "guest-os-kernel",
    "guest-programs",
];
