//! `cargo xtask bench`: run the benchmark systems, print a table and append
//! the figures to `target/bench/results.jsonl`.

use std::process::ExitCode;

use xtask::bench;
use xtask::image::Profile;
use xtask::toolchain::{self, Install};
use xtask::Error;

use crate::BenchArgs;

pub fn bench(args: &BenchArgs) -> Result<ExitCode, Error> {
    let toolchain = crate::toolchain()?;
    let qemu = toolchain::qemu(Install::IfRoot)?;
    let profile = if args.debug {
        Profile::Debug
    } else {
        Profile::Release
    };
    let figures = bench::run_all(&toolchain, &qemu, profile)?;
    println!("{:<28} {:>12} {:<14} system", "figure", "value", "unit");
    for figure in &figures {
        println!(
            "{:<28} {:>12} {:<14} {}",
            figure.name, figure.value, figure.unit, figure.system
        );
    }
    eprintln!("bench: appended to {}", bench::results_file().display());
    Ok(ExitCode::SUCCESS)
}
