//! `cargo xtask flash-tegra`: build for a Tegra 2 board and hand the image
//! to its boot loader (see `xtask::flash` for the plan and its checks).
//!
//! With `--dry-run` it prints the plan and neither builds nor writes.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use xtask::flash::{self, Plan, RecoveryBoot, Request, LOAD_ENV};
use xtask::image::{KernelImage, Profile};
use xtask::{board, Error};

#[derive(Args)]
pub struct FlashTegraArgs {
    /// Tegra 2 board: tegra20-harmony, tegra20-seaboard, tegra20-ventana,
    /// tegra20-trimslice or tegra20-paz00 (short names work too: harmony,
    /// ac100, ...).
    #[arg(long)]
    board: String,
    /// Build with optimisations.
    #[arg(long)]
    release: bool,
    /// The system to build into the kernel: a name under systems/ or a
    /// description file. (Not `default`: the demo's SD card is QEMU's
    /// vexpress MMCI, which no Tegra board has.)
    #[arg(long, default_value = "tmem-modes")]
    system: String,
    /// Physical address the kernel is linked, loaded and entered at
    /// (default: the board's, 0x01000000).
    #[arg(long, value_name = "ADDRESS", value_parser = flash::parse_address)]
    load_addr: Option<u32>,
    /// Copy the boot files to this directory: the mounted SD card or USB
    /// stick partition U-Boot reads.
    #[arg(long, value_name = "DIR", conflicts_with = "tftp")]
    to: Option<PathBuf>,
    /// Copy the boot files to this TFTP server directory.
    #[arg(long, value_name = "DIR")]
    tftp: Option<PathBuf>,
    /// Boot U-Boot over USB in recovery mode with tegrarcm (needs --bct
    /// and --bootloader; tegrarcm is not in Debian: build it from source).
    #[arg(long, requires_all = ["bct", "bootloader"])]
    rcm: bool,
    /// The board's BCT, for --rcm.
    #[arg(long, value_name = "FILE", requires = "rcm")]
    bct: Option<PathBuf>,
    /// The board's U-Boot image, for --rcm.
    #[arg(long, value_name = "FILE", requires = "rcm")]
    bootloader: Option<PathBuf>,
    /// Where tegrarcm loads U-Boot.
    #[arg(long, value_name = "ADDRESS", value_parser = flash::parse_address,
          default_value = "0x00108000")]
    rcm_loadaddr: u32,
    /// Print every step with its exact command; build and write nothing.
    #[arg(long)]
    dry_run: bool,
}

pub fn flash_tegra(args: &FlashTegraArgs) -> Result<ExitCode, Error> {
    let board = board::find_tegra(&args.board)?;
    let profile = if args.release {
        Profile::Release
    } else {
        Profile::Debug
    };
    let load = match args.load_addr {
        Some(load) => load,
        None => u32::try_from(board.kernel_load).unwrap_or(u32::MAX),
    };
    let rcm = match (&args.bct, &args.bootloader) {
        (Some(bct), Some(bootloader)) if args.rcm => Some(RecoveryBoot {
            bct: bct.clone(),
            bootloader: bootloader.clone(),
            load_address: args.rcm_loadaddr,
        }),
        _ => None,
    };
    let request = Request {
        image: KernelImage::new(board, profile),
        system: args.system.clone(),
        load,
        to: args.to.clone(),
        tftp: args.tftp.clone(),
        rcm,
    };
    let plan = Plan::new(&request)?;
    if args.dry_run {
        // A plan the real run would refuse is no plan: check the
        // description as the build would, building nothing.
        xtask::system::build::check_system(board, &xtask::system::build::resolve(&request.system))?;
        print!("{}", plan.render());
        println!("dry run: nothing was built, written or run");
        return Ok(ExitCode::SUCCESS);
    }
    // kernel/build.rs takes a moved load address from the environment the
    // kernel build inherits. Set here, before any thread exists.
    if load as usize == board.kernel_load {
        std::env::remove_var(LOAD_ENV);
    } else {
        std::env::set_var(LOAD_ENV, format!("{load:#010x}"));
    }
    let toolchain = crate::toolchain()?;
    let outcome = plan.execute(&toolchain, |step| {
        eprintln!("flash-tegra: {}", step.summary());
    })?;
    for path in &outcome.written {
        println!("{}", path.display());
    }
    let partitions: Vec<String> = outcome
        .partitions
        .iter()
        .map(|elf| format!(" --partition-elf {}", xtask::flash::quoted(elf)))
        .collect();
    eprintln!(
        "flash-tegra: to decode a capture with exactly these tables: cargo xtask monitor --board {} \
         --elf {}{} --from FILE",
        board.name,
        xtask::flash::quoted(&plan.artifacts.elf),
        partitions.concat()
    );
    eprintln!("flash-tegra: done; next:");
    for line in &plan.next {
        eprintln!("    {line}");
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: FlashTegraArgs,
    }

    fn parse(args: &[&str]) -> Result<FlashTegraArgs, clap::Error> {
        Cli::try_parse_from(std::iter::once("flash-tegra").chain(args.iter().copied()))
            .map(|cli| cli.args)
    }

    #[test]
    fn dry_runs_succeed_for_every_board_by_short_name() {
        let dir = std::env::temp_dir().join(format!("flash-tegra-cli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let to = dir.to_str().unwrap();
        for name in [
            "harmony",
            "seaboard",
            "ventana",
            "trimslice",
            "paz00",
            "tegra20-paz00",
        ] {
            let args = parse(&["--board", name, "--to", to, "--dry-run"]).unwrap();
            assert_eq!(flash_tegra(&args).unwrap(), ExitCode::SUCCESS, "{name}");
        }
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_dry_run_refuses_a_system_the_real_run_would_refuse() {
        // The demo maps the vexpress MMCI, which lies in a Tegra's RAM.
        let args = parse(&["--board", "harmony", "--system", "default", "--dry-run"]).unwrap();
        let error = flash_tegra(&args).unwrap_err().to_string();
        assert!(
            error.contains("default.toml: device[0].physical"),
            "{error}"
        );
    }

    #[test]
    fn arguments_that_cannot_work_together_are_refused() {
        assert!(parse(&["--board", "harmony", "--to", "/a", "--tftp", "/b"]).is_err());
        assert!(
            parse(&["--board", "harmony", "--rcm"]).is_err(),
            "--rcm needs --bct"
        );
        assert!(parse(&["--board", "harmony", "--bct", "x.bct"]).is_err());
        assert!(parse(&["--board", "harmony", "--load-addr", "lots"]).is_err());
        let args = parse(&["--board", "harmony", "--load-addr", "0x02000000"]).unwrap();
        assert_eq!(args.load_addr, Some(0x0200_0000));
        let args = parse(&["--board", "vexpress-a9", "--dry-run"]).unwrap();
        let error = flash_tegra(&args).unwrap_err().to_string();
        assert!(error.contains("not a Tegra 2 board"), "{error}");
    }
}
