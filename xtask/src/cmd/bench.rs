//! `cargo xtask bench`: run the benchmark systems, print a table, append
//! the figures to `target/bench/results.jsonl` and draw the charts in
//! `target/bench/` (with `--docs`, also in `docs/figures/`).

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
