//! Every way an xtask command can fail, each with a message that says what
//! to do about it. Messages are one line: the binary prints them as
//! `error: ...` without a backtrace.

use std::path::PathBuf;

/// An xtask failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `--board` named a board that does not exist.
    #[error("unknown board `{name}`; known boards: {known} (pass one with --board)")]
    UnknownBoard { name: String, known: String },
    /// `cargo xtask bench --system` named a system the sweep does not run.
    #[error("`{name}` is not a benchmark system of this sweep; its systems: {known}")]
    UnknownBenchSystem { name: String, known: String },
    /// The board has no QEMU model.
    #[error("board `{0}` cannot run under QEMU; build it with `cargo xtask build --board {0}` and use real hardware")]
    NotEmulated(String),
    /// No way to build for armv7a-none-eabi was found or could be installed.
    #[error("{0}")]
    NoTargetToolchain(String),
    /// No linker for the target.
    #[error("no linker for armv7a-none-eabi: install rust-lld (rustup component add llvm-tools) or `apt-get install lld-19`")]
    NoLinker,
    /// QEMU is not installed and could not be installed.
    #[error("qemu-system-arm not found: install it with `apt-get install qemu-system-arm` (Debian/Ubuntu) or your distribution's QEMU package")]
    QemuMissing,
    /// An installation step failed.
    #[error("`{command}` failed ({status}); run it by hand to see why")]
    InstallFailed { command: String, status: String },
    /// A cargo build of a target image failed (cargo printed why).
    #[error("building {what} failed (see cargo's messages above)")]
    BuildFailed { what: String },
    /// A command could not be started at all.
    #[error("cannot run `{program}`: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An ELF file has no defmt table or symbol we need.
    #[error("{path}: {reason}")]
    BadElf { path: PathBuf, reason: String },
    /// Tests failed.
    #[error("{0}")]
    TestsFailed(String),
    /// A Tegra-only command was given another board.
    #[error("board `{name}` is not a Tegra 2 board; use one of: {tegra}")]
    NotTegra { name: String, tegra: String },
    /// `--load-addr` is not an address the board can load the kernel at.
    #[error("load address {address} cannot be used on {board}: {reason}")]
    BadLoadAddress {
        board: String,
        address: String,
        reason: String,
    },
    /// A built image is not what the board's boot loader needs.
    #[error("{path}: {reason}")]
    BadImage { path: PathBuf, reason: String },
    /// A delivery destination that must not be written to.
    #[error("refusing to write to {path}: {reason}")]
    UnsafeDestination { path: PathBuf, reason: String },
    /// An external program the command needs is not installed.
    #[error("`{program}` not found: {how}")]
    ToolMissing { program: String, how: String },
    /// An external program failed.
    #[error("`{command}` failed ({status})")]
    CommandFailed { command: String, status: String },
    /// No Tegra device in USB recovery mode.
    #[error("no Tegra20 in USB recovery mode (USB ID 0955:7820) is connected: hold the board's RECOVERY button while pressing RESET (or powering on), with its USB device port wired to this machine")]
    NoRecoveryDevice,
    /// A serial port could not be opened or read.
    #[error("serial port {port}: {reason}")]
    Serial { port: String, reason: String },
    /// Boot options that cannot be passed to the kernel.
    #[error("boot options {options:?} cannot be passed: {reason}")]
    BadBootOptions { options: String, reason: String },
    /// A system description was rejected.
    #[error("{0}")]
    Description(#[from] crate::system::DescriptionError),
    /// A profile (`cargo xtask bench --profile`) could not be made.
    #[error("profile: {0}")]
    Profile(String),
}

impl Error {
    /// Wraps an I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
