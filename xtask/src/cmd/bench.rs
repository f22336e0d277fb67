//! `cargo xtask bench`: run the benchmark systems, print a table, append
//! the figures to `target/bench/results.jsonl` and draw the charts in
//! `target/bench/` (with `--docs`, also in `docs/figures/`); with
//! `--profile FIGURE`, profile figures with the QEMU plugin instead
//! (`xtask::profile`).

use std::process::ExitCode;

use xtask::bench::{self, Sweep};
use xtask::bench_plot;
use xtask::image::Profile;
use xtask::toolchain::{self, Install};
use xtask::workspace;
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
    if !args.profile.is_empty() {
        return profile_figures(args, &toolchain, &qemu, profile);
    }
    let sweep = if args.full { Sweep::Full } else { Sweep::Quick };
    let systems = bench::selected(sweep, &args.systems)?;
    let figures = bench::run_systems(&toolchain, &qemu, profile, &systems)?;
    println!(
        "{:<32} {:>10} {:<14} {:>16} system",
        "figure", "value", "unit", "bytes read/written"
    );
    for figure in &figures {
        let traffic = figure
            .traffic
            .map(|t| format!("{}/{}", t.read, t.written))
            .unwrap_or_default();
        println!(
            "{:<32} {:>10} {:<14} {:>16} {}",
            figure.name, figure.value, figure.unit, traffic, figure.system
        );
    }
    for (mode, speedup) in bench::swap_speedups(&figures) {
        println!("guest_os.swap: SD card only vs tmem {mode}: x{speedup:.0} faster with tmem");
    }
    print!("{}", xtask::bench_report::swap_table(&figures));
    let results = bench::results_file();
    bench::append_results(&figures, &results)?;
    eprintln!("bench: appended to {}", results.display());
    let charts = results.parent().unwrap_or(&results).to_path_buf();
    for chart in bench_plot::write_all(&figures, &charts)? {
        eprintln!("bench: chart {}", chart.display());
    }
    if args.docs {
        for chart in bench_plot::write_all(&figures, &workspace::root().join("docs/figures"))? {
            eprintln!("bench: chart {}", chart.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `--profile`: one system's run under the QEMU plugin.
fn profile_figures(
    args: &BenchArgs,
    toolchain: &toolchain::Toolchain,
    qemu: &std::path::Path,
    build: Profile,
) -> Result<ExitCode, Error> {
    let system = match args.systems.as_slice() {
        [] => xtask::profile::DEFAULT_SYSTEM,
        [one] => one.as_str(),
        _ => {
            return Err(Error::Profile(
                "one system at a time: name it with a single --system".into(),
            ))
        }
    };
    let plugin = xtask::profile::build_plugin()?;
    let written = xtask::profile::run(
        toolchain,
        qemu,
        &plugin,
        build,
        system,
        &args.profile,
        &xtask::profile::output_dir(),
    )?;
    print!(
        "{}",
        std::fs::read_to_string(&written.crosscheck)
            .map_err(|e| Error::io(&written.crosscheck, e))?
    );
    eprintln!("bench: cross-check {}", written.crosscheck.display());
    for file in &written.profiles {
        println!("{}", file.display());
    }
    Ok(ExitCode::SUCCESS)
}
