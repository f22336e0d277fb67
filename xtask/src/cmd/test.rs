//! `cargo xtask test`: host tests of every host-testable crate, then the
//! QEMU system tests in `tests/`, after provisioning the target toolchain
//! and QEMU so the system tests never install anything themselves.
//! Debian's `u-boot-tools` is installed too when running as root, so the
//! uImage tests cross-check against `mkimage` and `dumpimage` (without it
//! they say they skipped that check).

use std::path::Path;
use std::process::{Command, ExitCode, Stdio};

use xtask::toolchain::{self, Install};
use xtask::Error;

use crate::TestArgs;

pub fn test(args: &TestArgs) -> Result<ExitCode, Error> {
    provision_u_boot_tools();
    if !args.system_only {
        eprintln!("test: host tests");
        crate::cargo(
            &["test", "--workspace", "--exclude", "system-tests"],
            "host tests",
        )?;
    }
    if !args.host_only {
        // Provision everything up front so the system tests never install.
        crate::toolchain()?;
        toolchain::qemu(Install::IfRoot)?;
        eprintln!("test: system tests in QEMU");
        crate::cargo(&["test", "--package", "system-tests"], "system tests")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Installs `u-boot-tools` with apt-get when it is missing and we are root
/// on Debian; never fails the run (the cross-checks then skip).
fn provision_u_boot_tools() {
    if toolchain::which("dumpimage").is_some() && toolchain::which("mkimage").is_some() {
        return;
    }
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0");
    let can_apt = is_root
        && Path::new("/etc/debian_version").is_file()
        && toolchain::which("apt-get").is_some();
    if !can_apt {
        eprintln!(
            "test: u-boot-tools is not installed; the mkimage/dumpimage cross-checks will skip"
        );
        return;
    }
    eprintln!("test: installing u-boot-tools with apt-get (uImage cross-checks)");
    let apt = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    let installed = apt(&["update", "-qq"])
        && apt(&[
            "install",
            "-y",
            "-qq",
            "--no-install-recommends",
            "u-boot-tools",
        ]);
    if !installed {
        eprintln!(
            "test: installing u-boot-tools failed; the mkimage/dumpimage cross-checks will skip"
        );
    }
}
