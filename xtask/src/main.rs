//! `cargo xtask`: build, boot, test and (later) benchmark the system.
//!
//! Each subcommand is a short function over the library; errors print as
//! one `error:` line and a non-zero exit, never a backtrace.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use clap::{Args, Parser, Subcommand};
use xtask::image::{KernelImage, Profile};
use xtask::toolchain::{Install, Toolchain};
use xtask::{board, workspace, Error};

mod cmd;

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Build, boot and test the tmem separation kernel"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Build the kernel image for a board.
    Build(Target),
    /// Build and boot the default system in QEMU, showing its log live.
    RunQemu(RunQemu),
    /// Run every test: host tests, then system tests in QEMU.
    Test(TestArgs),
    /// Run the benchmarks under QEMU and record instruction counts.
    Bench(BenchArgs),
    /// Check formatting and run clippy on host and target code.
    Lint,
    /// List the supported boards.
    Boards,
    /// Build for a Tegra 2 board and hand the image to U-Boot (SD card or
    /// USB stick, TFTP, or USB recovery mode).
    FlashTegra(cmd::flash_tegra::FlashTegraArgs),
    /// Decode a board's console: live from a serial port, or a capture.
    Monitor(cmd::monitor::MonitorArgs),
}

#[derive(Args)]
struct Target {
    /// Board to build for (`cargo xtask boards` lists them).
    #[arg(long, default_value = board::DEFAULT_BOARD)]
    board: String,
    /// Build with optimisations.
    #[arg(long)]
    release: bool,
}

impl Target {
    fn image(&self) -> Result<KernelImage, Error> {
        let profile = if self.release {
            Profile::Release
        } else {
            Profile::Debug
        };
        Ok(KernelImage::new(board::find(&self.board)?, profile))
    }
}

#[derive(Args)]
struct RunQemu {
    #[command(flatten)]
    target: Target,
    /// The system to boot: a name under systems/ or a description file.
    #[arg(long, default_value = "default")]
    system: String,
    /// Wait for gdb on this port (default 1234) before running.
    #[arg(long, num_args = 0..=1, default_missing_value = "1234", value_name = "PORT")]
    gdb: Option<u16>,
    /// Kill QEMU after this many seconds.
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<u64>,
    /// The SD card image for a system with a `[[disk]]` (default:
    /// target/qemu/SYSTEM.disk.img, kept between runs).
    #[arg(long, value_name = "FILE")]
    disk: Option<std::path::PathBuf>,
    /// Start the disk image empty.
    #[arg(long)]
    fresh_disk: bool,
    /// Print the demo's log lines instead of its live view (the view is
    /// off anyway when standard output is not a terminal).
    #[arg(long)]
    no_live: bool,
    /// The memory manager's policy for this run (the system must have a
    /// memory manager).
    #[arg(long, value_enum, value_name = "POLICY")]
    policy: Option<xtask::demo::policy::Policy>,
    /// Extra QEMU arguments, after `--`.
    #[arg(last = true)]
    qemu_args: Vec<String>,
}

#[derive(Args)]
struct BenchArgs {
    /// Measure the debug build instead of the release build.
    #[arg(long)]
    debug: bool,
    /// Run every sweep, not only the quick set.
    #[arg(long)]
    full: bool,
    /// Also copy the charts to `docs/figures/` (the committed copies).
    #[arg(long)]
    docs: bool,
    /// Run only this benchmark system of the sweep (repeatable), e.g.
    /// `--system bench-ipc-p64`.
    #[arg(long = "system")]
    systems: Vec<String>,
    /// Profile the figures matching this name (`*` for any text;
    /// repeatable) with the QEMU plugin instead of recording figures:
    /// writes target/bench/profile-FIGURE.txt and a cross-check of the
    /// run's figures. One system: bench-tmem unless --system names another.
    #[arg(long, value_name = "FIGURE", conflicts_with_all = ["full", "docs"])]
    profile: Vec<String>,
}

#[derive(Args)]
struct TestArgs {
    /// Only the host tests.
    #[arg(long, conflicts_with = "system_only")]
    host_only: bool,
    /// Only the QEMU system tests.
    #[arg(long)]
    system_only: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Cmd::Build(target) => build(&target),
        Cmd::RunQemu(args) => cmd::run_qemu::run_qemu(&args),
        Cmd::Test(args) => cmd::test::test(&args),
        Cmd::Lint => cmd::lint::lint(),
        Cmd::Bench(args) => cmd::bench::bench(&args),
        Cmd::FlashTegra(args) => cmd::flash_tegra::flash_tegra(&args),
        Cmd::Monitor(args) => cmd::monitor::monitor(&args),
        Cmd::Boards => {
            for board in platform::boards::ALL {
                let qemu = if board.qemu.is_some() { "qemu" } else { "" };
                println!("{:<20} {:<5} {}", board.name, qemu, board.description);
            }
            Ok(ExitCode::SUCCESS)
        }
    };
    result.unwrap_or_else(|error| {
        eprintln!("error: {error}");
        ExitCode::FAILURE
    })
}

pub(crate) fn toolchain() -> Result<Toolchain, Error> {
    let toolchain = Toolchain::detect(Install::IfRoot)?;
    eprintln!("{}", toolchain.describe());
    Ok(toolchain)
}

fn build(target: &Target) -> Result<ExitCode, Error> {
    let image = target.image()?;
    let elf = image.build(&toolchain()?)?;
    println!("{}", elf.display());
    Ok(ExitCode::SUCCESS)
}

/// Runs the host's cargo with `args` in the workspace root.
pub(crate) fn cargo(args: &[&str], what: &str) -> Result<(), Error> {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(&program)
        .args(args)
        .current_dir(workspace::root())
        .status()
        .map_err(|source| Error::Spawn {
            program: PathBuf::from(program).display().to_string(),
            source,
        })?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::TestsFailed(format!("{what} failed")))
    }
}
