//! `cargo xtask run-qemu`: build a system (the default one unless
//! `--system` names another), boot it, print its log as it arrives, and
//! exit with the system's exit status.

use std::process::ExitCode;
use std::time::Duration;

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
    let file = system::build::resolve(&args.system);
    let built = system::build_system(&toolchain, image.board, image.profile, &file, false)?;
    if !built.description.is_empty() {
        eprintln!("system {}: {}", built.name, built.description.trim());
    }
    eprintln!(
        "system {}: kernel tables take {} KiB",
        built.name,
        built.table_bytes.div_ceil(1024)
    );
    let mut extra = Vec::new();
    if let Some(bytes) = built.disk_bytes {
        let path = args
            .disk
            .clone()
            .unwrap_or_else(|| xtask::disk_image::default_path(&built.name));
        xtask::disk_image::prepare(&path, bytes, args.fresh_disk)?;
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
    let boot = Boot {
        board: image.board,
        kernel: &elf,
        partitions: built.partitions,
        options: BootOptions::default(),
        name: format!("run-{}-{}", image.board.name, built.name),
        timeout: args.timeout.map(Duration::from_secs),
        gdb_port: args.gdb,
        extra,
        quiet: false,
    };
    let report = boot.run(&qemu, |event| println!("{event}"))?;
    eprintln!(
        "qemu: console UART output is in {}",
        report.uart_log.display()
    );
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
