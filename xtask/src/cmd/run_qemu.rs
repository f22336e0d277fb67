//! `cargo xtask run-qemu`: build a system (the default one unless
//! `--system` names another), boot it, print its log as it arrives, and
//! exit with the system's exit status.
//!
//! A system that logs the demo's lines (`demo ...`, see
//! [`xtask::demo::record`]) gets, from its first such line, a live view
//! instead of the log when standard output is a terminal (not with
//! `--no-live`; the hidden lines go to `target/demo/SYSTEM.log`), and at
//! its end a summary table and a plot. `--policy` builds a copy of the
//! description with the memory manager's policy set.

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::process::ExitCode;
use std::time::Duration;

use xtask::demo::live::{self, LiveView};
use xtask::demo::{self, DemoSeries, DemoSummary};
use xtask::logstream::LogEvent;
use xtask::qemu::{BootOptions, Outcome};
use xtask::session::Boot;
use xtask::toolchain::{self, Install};
use xtask::{system, Error};

use crate::RunQemu;

pub fn run_qemu(args: &RunQemu) -> Result<ExitCode, Error> {
    let image = args.target.image()?;
    if image.board.qemu.is_none() {
        return Err(Error::NotEmulated(image.board.name.into()));
    }
    let toolchain = crate::toolchain()?;
    let qemu = toolchain::qemu(Install::IfRoot)?;
    let mut file = system::build::resolve(&args.system);
    if let Some(policy) = args.policy {
        file = demo::policy::write_variant(&file, policy)?;
        eprintln!(
            "system: memory policy {} (description {})",
            policy.name(),
            file.display()
        );
    }
    let built = system::build_system(&toolchain, image.board, image.profile, &file, false)?;
    if !built.description.is_empty() {
        eprintln!("system {}: {}", built.name, built.description.trim());
    }
    let need = &built.kernel_need;
    eprintln!(
        "system {}: the kernel takes {} KiB of RAM at boot besides the description's (its image {} KiB), of {} KiB left for it",
        built.name,
        need.total().div_ceil(1024),
        need.image_bytes().div_ceil(1024),
        built.kernel_room / 1024
    );
    let mut extra = Vec::new();
    if let Some(bytes) = built.disk_bytes {
        let path = args
            .disk
            .clone()
            .unwrap_or_else(|| xtask::disk_image::default_path(&built.name));
        xtask::disk_image::prepare(&path, bytes, args.fresh_disk)?;
        xtask::disk_image::write_regions(&path, &built.disk_files)?;
        eprintln!(
            "qemu: SD card image {} ({} MiB)",
            path.display(),
            bytes >> 20
        );
        extra.extend(xtask::disk_image::qemu_args(&path));
    }
    if built.disk_bytes.is_none() && (args.disk.is_some() || args.fresh_disk) {
        eprintln!(
            "qemu: system {} has no [[disk]]; --disk and --fresh-disk do nothing",
            built.name
        );
    }
    extra.extend(args.qemu_args.iter().cloned());
    let elf = built.kernel;
    if let Some(port) = args.gdb {
        eprintln!(
            "qemu: waiting for gdb; attach with:\n  gdb-multiarch -q {} -ex 'target remote localhost:{port}'",
            xtask::flash::quoted(&elf)
        );
    }
    // With a live view possible, QEMU's stderr is kept and printed after
    // the run: written into the view's screen it would be lost with it.
    let live_possible = !args.no_live && args.gdb.is_none() && live::available();
    let boot = Boot {
        board: image.board,
        kernel: &elf,
        partitions: built.partitions,
        options: BootOptions::default(),
        name: format!("run-{}-{}", image.board.name, built.name),
        timeout: args.timeout.map(Duration::from_secs),
        gdb_port: args.gdb,
        extra,
        quiet: live_possible,
    };
    let mut shown = Shown {
        demo: DemoSeries::new(),
        live: None,
        live_possible,
        log_path: demo::output_dir().join(format!("{}.log", built.name)),
        log: None,
    };
    let report = boot.run(&qemu, |event| shown.event(event))?;
    shown.finish();
    if !report.stderr.is_empty() {
        eprint!("{}", report.stderr);
    }
    eprintln!(
        "qemu: console UART output is in {}",
        report.uart_log.display()
    );
    if !shown.demo.is_empty() {
        demo_results(&shown.demo, &built.name)?;
    }
    if live::interrupted() {
        eprintln!("qemu: interrupted (Ctrl-C)");
        return Ok(ExitCode::from(130));
    }
    Ok(match report.outcome {
        Outcome::Exited(0) => ExitCode::SUCCESS,
        Outcome::Exited(code) => {
            eprintln!("qemu: the system exited with status {code}");
            ExitCode::from(u8::try_from(code).unwrap_or(1))
        }
        Outcome::Signalled => {
            eprintln!("qemu: killed by a signal");
            ExitCode::FAILURE
        }
        Outcome::TimedOut(limit) => {
            eprintln!("qemu: still running after {}s; killed", limit.as_secs());
            ExitCode::FAILURE
        }
    })
}

/// Where the log goes: printed as it arrives, or, once a demo line
/// arrived on a terminal, into the live view and its log file.
struct Shown {
    demo: DemoSeries,
    live: Option<LiveView>,
    live_possible: bool,
    log_path: std::path::PathBuf,
    log: Option<BufWriter<File>>,
}

impl Shown {
    fn event(&mut self, event: &LogEvent) {
        let is_demo =
            matches!(event, LogEvent::Line(line) if self.demo.feed(&line.origin, &line.message));
        if is_demo && self.live.is_none() && self.live_possible {
            self.live_possible = false;
            // A demo: Ctrl-C ends QEMU and still shows what it did.
            if let Err(reason) = live::watch_ctrl_c() {
                eprintln!("demo: Ctrl-C will not restore the terminal ({reason}); no live view");
            } else {
                self.start_live();
            }
        }
        let Some(view) = &mut self.live else {
            println!("{event}");
            return;
        };
        // The table shows the demo's lines; the pane, the others.
        if !is_demo {
            view.push_line(event.to_string());
        }
        if let Some(log) = &mut self.log {
            let _ = writeln!(log, "{event}");
        }
        if let Err(error) = view.refresh(&self.demo) {
            self.live = None;
            eprintln!("demo: the live view failed ({error}); printing the log instead");
        }
    }

    fn start_live(&mut self) {
        let opened =
            std::fs::create_dir_all(demo::output_dir()).and_then(|()| File::create(&self.log_path));
        match opened {
            Ok(file) => self.log = Some(BufWriter::new(file)),
            Err(error) => {
                eprintln!(
                    "demo: cannot write {} ({error}); no live view",
                    self.log_path.display()
                );
                return;
            }
        }
        match LiveView::start() {
            Ok(view) => self.live = Some(view),
            Err(error) => eprintln!("demo: no live view ({error})"),
        }
    }

    /// Draws the last state, restores the terminal and closes the log.
    fn finish(&mut self) {
        if let Some(mut view) = self.live.take() {
            let _ = view.draw(&self.demo);
            view.finish();
            eprintln!("demo: the log is in {}", self.log_path.display());
        }
        if let Some(mut log) = self.log.take() {
            let _ = log.flush();
        }
    }
}

/// Prints the demo's summary and writes its plot.
fn demo_results(series: &DemoSeries, system: &str) -> Result<(), Error> {
    println!();
    print!("{}", DemoSummary::of(series).text());
    for problem in &series.problems {
        eprintln!(
            "demo: a line from {} did not parse ({}): {}",
            problem.origin, problem.error, problem.message
        );
    }
    // The policy names the file, so the two policies' plots sit side by
    // side; only characters that are safe in a file name.
    let policy: String = series
        .policy()
        .unwrap_or("unknown-policy")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect();
    let path = demo::output_dir().join(format!("{system}-{policy}.svg"));
    if demo::plot::write_svg(series, &path)? {
        println!("demo: plot written to {}", path.display());
    }
    Ok(())
}
