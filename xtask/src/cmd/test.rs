//! `cargo xtask test`: host tests of every host-testable crate, then the
//! QEMU system tests in `tests/`, after provisioning the target toolchain
//! and QEMU so the system tests never install anything themselves.

use std::process::ExitCode;

use xtask::toolchain::{self, Install};
use xtask::Error;

use crate::TestArgs;

pub fn test(args: &TestArgs) -> Result<ExitCode, Error> {
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
