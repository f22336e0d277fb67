//! What `cargo xtask flash-tegra` does, as a plan of steps that can be
//! printed (`--dry-run`) or carried out: build the kernel for a Tegra 2
//! board, make a raw binary, a U-Boot uImage and a boot script, and hand
//! them to the board's boot path — a directory on the SD card or USB stick
//! U-Boot reads, a TFTP server's directory, and/or U-Boot booted over USB
//! in recovery mode with `tegrarcm`.
//!
//! Planning checks everything that can be checked without writing: the
//! board, the load address, that each destination is a directory that is
//! not the host's system disk, and that recovery-mode files exist. Nothing
//! is written outside `target/` and the named destinations, and nothing
//! at all while only planning.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use platform::Board;

use crate::bootscript::{self, BootScript, Medium};
use crate::image::{KernelImage, Profile};
use crate::toolchain::{self, Toolchain};
use crate::uimage::{self, ImageType, Os, Spec};
use crate::{rawbin, system, Error};

/// Where `tegrarcm` loads U-Boot in a Tegra20's IRAM-and-DRAM map by
/// default (what Tegra20 U-Boot builds are linked for).
pub const DEFAULT_RCM_LOAD_ADDRESS: u32 = 0x0010_8000;
/// USB vendor and product of a Tegra20 in recovery mode.
pub const TEGRA20_RECOVERY_USB_ID: (&str, &str) = ("0955", "7820");
/// How far above the kernel's load address `bootm` users should put the
/// uImage (so U-Boot copies it down instead of onto itself).
pub const UIMAGE_STAGING_OFFSET: u32 = 0x0100_0000;

/// How to get `tegrarcm`, which Debian does not package.
pub const TEGRARCM_HOW: &str = "Debian does not package it; build it from NVIDIA's public \
     tegrarcm source (needs autoconf, automake, pkg-config, libusb-1.0-0-dev and \
     libcrypto++-dev): ./autogen.sh && make && sudo make install";

/// U-Boot (and the board's BCT) to boot over USB in recovery mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecoveryBoot {
    /// The board's boot configuration table (from its vendor or U-Boot's
    /// tegra-uboot-flasher configs).
    pub bct: PathBuf,
    /// A U-Boot image built for the board (`u-boot.bin` or
    /// `u-boot-dtb-tegra.bin`).
    pub bootloader: PathBuf,
    /// Where tegrarcm loads it.
    pub load_address: u32,
}

/// What the user asked for.
#[derive(Clone, Debug)]
pub struct Request {
    /// The board and profile to build for (the board must be a Tegra 2
    /// board).
    pub image: KernelImage,
    /// The system to build into the kernel: a name under `systems/` or a
    /// description file (`flash-tegra` defaults to `tmem-modes`).
    pub system: String,
    /// Physical load and entry address.
    pub load: u32,
    /// Copy the boot files to this directory (an SD card or USB stick).
    pub to: Option<PathBuf>,
    /// Copy the boot files to this TFTP server directory.
    pub tftp: Option<PathBuf>,
    /// Boot U-Boot over USB in recovery mode.
    pub rcm: Option<RecoveryBoot>,
}

/// The files a run makes, in the image's staging directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifacts {
    /// The staging directory.
    pub dir: PathBuf,
    /// A copy of the kernel ELF as built (for `monitor --elf` and gdb).
    pub elf: PathBuf,
    /// The raw binary.
    pub bin: PathBuf,
    /// The uImage.
    pub uimage: PathBuf,
    /// The boot script's text.
    pub script_source: PathBuf,
    /// The boot script image.
    pub script: PathBuf,
}

/// One step of a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Build the system's partitions and the kernel with them inside.
    Build {
        /// The system description file.
        system: PathBuf,
        /// What the build is the same as, for the user to read.
        command: String,
    },
    /// Make the raw binary from the ELF.
    RawBinary { elf: PathBuf, bin: PathBuf },
    /// Make the uImage from the raw binary.
    UImage {
        bin: PathBuf,
        uimage: PathBuf,
        spec: Spec,
    },
    /// Write the boot script and its image.
    BootScript {
        script: BootScript,
        source: PathBuf,
        image: PathBuf,
    },
    /// Copy a file to a destination.
    Copy { from: PathBuf, to: PathBuf },
    /// Boot U-Boot over USB with tegrarcm.
    RecoveryBoot {
        /// `tegrarcm` if found on PATH.
        program: Option<PathBuf>,
        args: Vec<String>,
    },
}

/// `path` as one word of a POSIX shell command line: as it is when every
/// character is one a shell leaves alone, else in single quotes (so a
/// command shown to the user can be pasted even from a clone whose path
/// has spaces or other shell characters in it).
pub fn quoted(path: &Path) -> String {
    let text = path.display().to_string();
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

fn shell_words(words: &[String]) -> String {
    words
        .iter()
        .map(|w| quoted(Path::new(w)))
        .collect::<Vec<_>>()
        .join(" ")
}

impl Step {
    /// One line saying what the step does, for progress notes.
    pub fn summary(&self) -> String {
        match self {
            Step::Build { command, .. } => format!("build: {command}"),
            Step::RawBinary { bin, .. } => format!("raw binary {}", bin.display()),
            Step::UImage { uimage, .. } => format!("uImage {}", uimage.display()),
            Step::BootScript { image, .. } => format!("boot script {}", image.display()),
            Step::Copy { to, .. } => format!("copy to {}", to.display()),
            Step::RecoveryBoot { args, .. } => format!("tegrarcm {}", shell_words(args)),
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Build { system, command } => write!(
                f,
                "build the partitions of {} and the kernel holding them, as:\n    {command}",
                quoted(system)
            ),
            Step::RawBinary { elf, bin } => write!(
                f,
                "raw binary of the ELF's load segments at their physical addresses (in xtask;\n    \
                 the same bytes as: llvm-objcopy -O binary {} {})",
                quoted(elf),
                quoted(bin)
            ),
            Step::UImage { bin, uimage, spec } => write!(
                f,
                "U-Boot uImage, header and CRCs written by xtask; the same as:\n    mkimage {}",
                shell_words(&uimage::mkimage_args(
                    spec,
                    &bin.display().to_string(),
                    &uimage.display().to_string()
                ))
            ),
            Step::BootScript {
                script,
                source,
                image,
            } => {
                writeln!(f, "boot script {}:", quoted(source))?;
                for line in script.text().lines() {
                    writeln!(f, "    | {line}")?;
                }
                write!(
                    f,
                    "  and its image, the same as:\n    mkimage {}",
                    shell_words(&uimage::mkimage_args(
                        &script.spec(0),
                        &source.display().to_string(),
                        &image.display().to_string()
                    ))
                )
            }
            Step::Copy { from, to } => write!(f, "copy:\n    cp {} {}", quoted(from), quoted(to)),
            Step::RecoveryBoot { program, args } => {
                write!(
                    f,
                    "boot U-Boot over USB (board in recovery mode):\n    tegrarcm {}",
                    shell_words(args)
                )?;
                if program.is_none() {
                    write!(f, "\n    (tegrarcm is not installed: {TEGRARCM_HOW})")?;
                }
                Ok(())
            }
        }
    }
}

/// A checked plan.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The board.
    pub board: &'static Board,
    /// Load and entry address.
    pub load: u32,
    /// The image to build.
    pub image: KernelImage,
    /// Files made in `target/`.
    pub artifacts: Artifacts,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// What to type and watch afterwards.
    pub next: Vec<String>,
}

/// What a carried-out plan wrote.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Every file written, in order.
    pub written: Vec<PathBuf>,
    /// The partitions' ELFs, in partition order (their log tables).
    pub partitions: Vec<PathBuf>,
}

impl Plan {
    /// Checks `request` and lays out the steps.
    pub fn new(request: &Request) -> Result<Plan, Error> {
        let board = request.image.board;
        if !platform::boards::is_tegra20(board) {
            return Err(Error::NotTegra {
                name: board.name.into(),
                tegra: crate::board::tegra_names(),
            });
        }
        check_load_address(board, request.load)?;
        let mounts = read_mounts();
        let to = request
            .to
            .as_deref()
            .map(|dir| check_destination(dir, &mounts))
            .transpose()?;
        let tftp = request
            .tftp
            .as_deref()
            .map(|dir| check_destination(dir, &mounts))
            .transpose()?;
        if let Some(rcm) = &request.rcm {
            for (what, path) in [("BCT", &rcm.bct), ("U-Boot image", &rcm.bootloader)] {
                if !path.is_file() {
                    return Err(Error::BadImage {
                        path: path.clone(),
                        reason: format!("the {what} for --rcm is not a readable file"),
                    });
                }
            }
        }
        let medium = if tftp.is_some() {
            Medium::Tftp
        } else {
            Medium::Storage
        };
        let system = system::build::resolve(&request.system);
        if !system.is_file() {
            return Err(Error::BadImage {
                path: system,
                reason: "no such system description (see systems/)".into(),
            });
        }
        let artifacts = artifacts(&request.image);
        let script = BootScript {
            board: board.name.into(),
            load: request.load,
            medium,
        };
        let mut steps = vec![
            Step::Build {
                system,
                command: build_command(&request.image, &request.system, request.load),
            },
            Step::RawBinary {
                elf: artifacts.elf.clone(),
                bin: artifacts.bin.clone(),
            },
            Step::UImage {
                bin: artifacts.bin.clone(),
                uimage: artifacts.uimage.clone(),
                spec: kernel_spec(board, request.load, 0),
            },
            Step::BootScript {
                script,
                source: artifacts.script_source.clone(),
                image: artifacts.script.clone(),
            },
        ];
        for dir in to.iter().chain(&tftp) {
            for file in [
                &artifacts.bin,
                &artifacts.uimage,
                &artifacts.script,
                &artifacts.script_source,
            ] {
                let name = file.file_name().unwrap_or_default();
                steps.push(Step::Copy {
                    from: file.clone(),
                    to: dir.join(name),
                });
            }
        }
        if let Some(rcm) = &request.rcm {
            steps.push(Step::RecoveryBoot {
                program: toolchain::which("tegrarcm"),
                args: vec![
                    "--bct".into(),
                    rcm.bct.display().to_string(),
                    "--bootloader".into(),
                    rcm.bootloader.display().to_string(),
                    "--loadaddr".into(),
                    format!("{:#010x}", rcm.load_address),
                ],
            });
        }
        let next = next_steps(board, request.load, medium, to.as_deref(), request);
        Ok(Plan {
            board,
            load: request.load,
            image: request.image.clone(),
            artifacts,
            steps,
            next,
        })
    }

    /// The plan as text: every step with its exact command, then what to
    /// do on the board.
    pub fn render(&self) -> String {
        let mut text = format!(
            "flash-tegra plan for {} ({}), kernel loaded and entered at {:#010x}:\n",
            self.board.name, self.board.description, self.load
        );
        for (number, step) in self.steps.iter().enumerate() {
            text.push_str(&format!("{:>2}. {step}\n", number + 1));
        }
        text.push_str("then:\n");
        for line in &self.next {
            text.push_str(&format!("    {line}\n"));
        }
        text
    }

    /// Carries the plan out, calling `progress` before each step.
    ///
    /// The kernel build takes its load address from this process's
    /// environment ([`LOAD_ENV`], which `cargo xtask flash-tegra` sets
    /// before calling this); a plan whose address the environment does not
    /// give is refused before anything is built.
    pub fn execute(
        &self,
        toolchain: &Toolchain,
        mut progress: impl FnMut(&Step),
    ) -> Result<Outcome, Error> {
        check_load_environment(
            self.board,
            self.load,
            std::env::var(LOAD_ENV).ok().as_deref(),
        )?;
        let mut outcome = Outcome::default();
        let mounts = read_mounts();
        for step in &self.steps {
            progress(step);
            match step {
                Step::Build { system, .. } => {
                    let built = system::build_system(
                        toolchain,
                        self.board,
                        self.image.profile,
                        system,
                        false,
                    )?;
                    copy(&built.kernel, &self.artifacts.elf)?;
                    outcome.written.push(self.artifacts.elf.clone());
                    outcome.partitions = built.partitions.into_iter().map(|(_, elf)| elf).collect();
                }
                Step::RawBinary { elf, bin } => {
                    let bytes = std::fs::read(elf).map_err(|e| Error::io(elf, e))?;
                    let raw = rawbin::from_elf(&bytes).map_err(|e| Error::BadImage {
                        path: elf.clone(),
                        reason: e.to_string(),
                    })?;
                    check_linked_at(elf, &raw, self.load)?;
                    write(bin, &raw.bytes, &mut outcome)?;
                }
                Step::UImage { bin, uimage, spec } => {
                    let data = std::fs::read(bin).map_err(|e| Error::io(bin, e))?;
                    let spec = Spec {
                        time: uimage::timestamp(),
                        ..spec.clone()
                    };
                    let image = uimage::image(&spec, &data).map_err(|e| Error::BadImage {
                        path: uimage.clone(),
                        reason: e.to_string(),
                    })?;
                    write(uimage, &image, &mut outcome)?;
                }
                Step::BootScript {
                    script,
                    source,
                    image,
                } => {
                    write(source, script.text().as_bytes(), &mut outcome)?;
                    let bytes = script
                        .image(uimage::timestamp())
                        .map_err(|e| Error::BadImage {
                            path: image.clone(),
                            reason: e.to_string(),
                        })?;
                    write(image, &bytes, &mut outcome)?;
                }
                Step::Copy { from, to } => {
                    if let Some(dir) = to.parent() {
                        check_destination(dir, &mounts)?;
                    }
                    copy(from, to)?;
                    outcome.written.push(to.clone());
                }
                Step::RecoveryBoot { program, args } => {
                    let program = program.clone().ok_or_else(|| Error::ToolMissing {
                        program: "tegrarcm".into(),
                        how: TEGRARCM_HOW.into(),
                    })?;
                    if !recovery_device_present(Path::new("/sys/bus/usb/devices")) {
                        return Err(Error::NoRecoveryDevice);
                    }
                    run(&program, args)?;
                }
            }
        }
        Ok(outcome)
    }
}

/// The staging files for `image`, next to its ELF.
pub fn artifacts(image: &KernelImage) -> Artifacts {
    let elf_dir = image
        .elf_path()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let dir = elf_dir.join("flash");
    Artifacts {
        elf: dir.join("tmem-kernel.elf"),
        bin: dir.join(bootscript::KERNEL_FILE),
        uimage: dir.join(bootscript::UIMAGE_FILE),
        script_source: dir.join(bootscript::SCRIPT_SOURCE_FILE),
        script: dir.join(bootscript::SCRIPT_FILE),
        dir,
    }
}

/// The uImage header fields for the kernel on `board` at `load`.
pub fn kernel_spec(board: &Board, load: u32, time: u32) -> Spec {
    Spec {
        os: Os::Linux,
        image_type: ImageType::Kernel,
        load,
        entry: load,
        name: format!("tmem-kernel {}", board.name),
        time,
    }
}

/// The environment variable kernel/build.rs reads a load address from.
pub const LOAD_ENV: &str = "TMEM_KERNEL_LOAD";

/// What the build step does, in words a user can check: `system` built
/// into a kernel for `image`'s board and profile, linked at `load`.
pub fn build_command(image: &KernelImage, system: &str, load: u32) -> String {
    let mut command = String::new();
    if load as usize != image.board.kernel_load {
        command.push_str(&format!("{LOAD_ENV}={load:#010x} "));
    }
    let profile = match image.profile {
        Profile::Debug => "debug",
        Profile::Release => "release",
    };
    command.push_str(&format!(
        "system `{system}` for {} ({profile}): its partitions, then the kernel \
         with them inside, as `cargo xtask run-qemu --system {system}` builds for QEMU",
        image.board.name
    ));
    command
}

/// Parses a `--load-addr` value (`0x01000000`, `16777216`).
pub fn parse_address(text: &str) -> Result<u32, String> {
    let text = text.trim().replace('_', "");
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => text.parse::<u32>(),
    };
    parsed.map_err(|_| format!("`{text}` is not an address (write it like 0x01000000)"))
}

/// Checks that the kernel can be loaded at `load` on `board`.
pub fn check_load_address(board: &Board, load: u32) -> Result<(), Error> {
    board
        .check_kernel_load(load as usize)
        .map_err(|error| Error::BadLoadAddress {
            board: board.name.into(),
            address: format!("{load:#010x}"),
            reason: error.describe().into(),
        })
}

/// Checks that a kernel build with [`LOAD_ENV`] set to `environment` (or
/// unset) links the kernel at `load` on `board`.
pub fn check_load_environment(
    board: &Board,
    load: u32,
    environment: Option<&str>,
) -> Result<(), Error> {
    let linked_at = match environment {
        Some(text) => parse_address(text).ok(),
        None => u32::try_from(board.kernel_load).ok(),
    };
    if linked_at == Some(load) {
        Ok(())
    } else {
        Err(Error::BadLoadAddress {
            board: board.name.into(),
            address: format!("{load:#010x}"),
            reason: format!(
                "the kernel build would link it at {} instead: set {LOAD_ENV}={load:#010x} \
                 (cargo xtask flash-tegra --load-addr does)",
                environment.unwrap_or("the board's default")
            ),
        })
    }
}

/// Checks that the built image is linked where the plan says it is loaded
/// (a stray `TMEM_KERNEL_LOAD` in the environment would change it).
fn check_linked_at(elf: &Path, raw: &rawbin::RawImage, load: u32) -> Result<(), Error> {
    if raw.load == load && raw.entry == load {
        Ok(())
    } else {
        Err(Error::BadImage {
            path: elf.to_path_buf(),
            reason: format!(
                "linked to load at {:#010x} with entry {:#010x}, not {load:#010x} \
                 (is {LOAD_ENV} set in your environment?)",
                raw.load, raw.entry
            ),
        })
    }
}

fn next_steps(
    board: &Board,
    load: u32,
    medium: Medium,
    to: Option<&Path>,
    request: &Request,
) -> Vec<String> {
    let load_text = format!("{load:#010x}");
    let staging = format!("{:#010x}", load.wrapping_add(UIMAGE_STAGING_OFFSET));
    let mut next = vec![format!(
        "connect a 3.3 V serial adapter to the board's {} (115200 8N1) and watch it: \
         cargo xtask monitor --board {} --serial /dev/ttyUSB0",
        board.console_label, board.name
    )];
    if request.rcm.is_some() {
        next.push(
            "recovery mode: hold RECOVERY while pressing RESET, USB device port to this \
             machine; tegrarcm then starts U-Boot in RAM (nothing is flashed)"
                .into(),
        );
    }
    match medium {
        Medium::Storage => {
            match to {
                Some(dir) => next.push(format!(
                    "unmount {} and put the card or stick in the board",
                    dir.display()
                )),
                None => next.push(format!(
                    "copy the files in {} to the first partition (FAT or ext2/3/4) of an SD \
                     card or USB stick, or rerun with --to DIR",
                    artifacts(&request.image).dir.display()
                )),
            }
            next.push(
                "U-Boot's distro boot runs boot.scr by itself; or at the U-Boot prompt: \
                 load mmc 0:1 ${scriptaddr} boot.scr; source ${scriptaddr}   \
                 (USB stick: usb start; load usb 0:1 ...)"
                    .into(),
            );
            next.push(format!(
                "by hand: load mmc 0:1 {load_text} {}; dcache off; go {load_text}",
                bootscript::KERNEL_FILE
            ));
            next.push(format!(
                "or with the uImage: load mmc 0:1 {staging} {}; bootm {staging}",
                bootscript::UIMAGE_FILE
            ));
        }
        Medium::Tftp => {
            next.push(format!(
                "at the U-Boot prompt: setenv serverip <this machine's address>; \
                 tftpboot ${{scriptaddr}} {}; source ${{scriptaddr}}",
                bootscript::SCRIPT_FILE
            ));
            next.push(format!(
                "by hand: dhcp; tftpboot {load_text} {}; dcache off; go {load_text}",
                bootscript::KERNEL_FILE
            ));
        }
    }
    next.push(
        "the console shows U-Boot, the line `tmem-kernel 0.1.0 booting`, then binary \
         log records that only `cargo xtask monitor` can read"
            .into(),
    );
    next
}

/// Why a directory must not be written to, or its canonical path.
///
/// Refused: what does not exist or is not a directory, block and
/// character devices, `/`, anything under `/boot`, `/dev`, `/proc` or
/// `/sys`, the top system directories, and any mount point of the
/// filesystem mounted at `/` or `/boot` (per `mounts`, the text of
/// `/proc/mounts`).
pub fn check_destination(dir: &Path, mounts: &str) -> Result<PathBuf, Error> {
    let refuse = |reason: &str| Error::UnsafeDestination {
        path: dir.to_path_buf(),
        reason: reason.into(),
    };
    let metadata = std::fs::metadata(dir)
        .map_err(|_| refuse("it does not exist (mount the card first, then pass its directory)"))?;
    {
        use std::os::unix::fs::FileTypeExt;
        let kind = metadata.file_type();
        if kind.is_block_device() {
            return Err(refuse(
                "it is a block device, and flash-tegra never writes whole disks: \
                 mount the card's partition and pass the mount directory",
            ));
        }
        if kind.is_char_device() {
            return Err(refuse("it is a device, not a directory"));
        }
    }
    if !metadata.is_dir() {
        return Err(refuse("it is not a directory"));
    }
    let canonical = dir
        .canonicalize()
        .map_err(|e| refuse(&format!("cannot resolve it: {e}")))?;
    if canonical == Path::new("/") {
        return Err(refuse("it is the root of the host's filesystem"));
    }
    for system in ["/boot", "/dev", "/proc", "/sys"] {
        if canonical.starts_with(system) {
            return Err(refuse(&format!("it is inside {system} on this machine")));
        }
    }
    const SYSTEM_DIRS: &[&str] = &[
        "/bin", "/etc", "/home", "/lib", "/lib32", "/lib64", "/opt", "/root", "/run", "/sbin",
        "/srv", "/tmp", "/usr", "/var", "/media", "/mnt",
    ];
    if SYSTEM_DIRS.iter().any(|s| canonical == Path::new(s)) {
        return Err(refuse("it is a system directory of this machine"));
    }
    let table = parse_mounts(mounts);
    let system_devices: Vec<&str> = table
        .iter()
        .filter(|(_, target)| target == Path::new("/") || target == Path::new("/boot"))
        .map(|(device, _)| device.as_str())
        .collect();
    if table
        .iter()
        .any(|(device, target)| target == &canonical && system_devices.contains(&device.as_str()))
    {
        return Err(refuse(
            "it is a mount point of the host's system disk (the filesystem at / or /boot)",
        ));
    }
    Ok(canonical)
}

/// `/proc/mounts` as `(device, mount point)` pairs, with the kernel's
/// octal escapes (`\040` for a space) undone.
fn parse_mounts(text: &str) -> Vec<(String, PathBuf)> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let device = unescape_mount_field(fields.next()?);
            let target = unescape_mount_field(fields.next()?);
            Some((device, PathBuf::from(target)))
        })
        .collect()
}

fn unescape_mount_field(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(|b| (b'0'..=b'7').contains(b)));
        match (bytes[i], octal) {
            (b'\\', Some(digits)) => {
                let value = digits.iter().fold(0u32, |v, d| v * 8 + u32::from(d - b'0'));
                out.push(value as u8);
                i += 4;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The host's mount table, or nothing where there is none.
pub fn read_mounts() -> String {
    std::fs::read_to_string("/proc/mounts").unwrap_or_default()
}

/// Whether a Tegra20 in recovery mode is on USB, per sysfs under `root`.
pub fn recovery_device_present(root: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(root) else {
        return false;
    };
    let (vendor, product) = TEGRA20_RECOVERY_USB_ID;
    entries.flatten().any(|entry| {
        let read =
            |name: &str| std::fs::read_to_string(entry.path().join(name)).unwrap_or_default();
        read("idVendor").trim() == vendor && read("idProduct").trim() == product
    })
}

fn write(path: &Path, bytes: &[u8], outcome: &mut Outcome) -> Result<(), Error> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    std::fs::write(path, bytes).map_err(|e| Error::io(path, e))?;
    outcome.written.push(path.to_path_buf());
    Ok(())
}

fn copy(from: &Path, to: &Path) -> Result<(), Error> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    std::fs::copy(from, to).map_err(|e| Error::io(from, e))?;
    Ok(())
}

fn run(program: &Path, args: &[String]) -> Result<(), Error> {
    let status = Command::new(program)
        .args(args)
        .status()
        .map_err(|source| Error::Spawn {
            program: program.display().to_string(),
            source,
        })?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::CommandFailed {
            command: format!("{} {}", program.display(), shell_words(args)),
            status: status.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use platform::boards::tegra20;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-flash-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn request(board: &'static Board, to: Option<PathBuf>) -> Request {
        Request {
            image: KernelImage::new(board, Profile::Debug),
            system: "tmem-modes".into(),
            load: board.kernel_load as u32,
            to,
            tftp: None,
            rcm: None,
        }
    }

    #[test]
    fn system_places_are_refused() {
        for path in ["/", "/boot", "/dev/null", "/proc", "/usr", "/etc"] {
            let error = check_destination(Path::new(path), "")
                .unwrap_err()
                .to_string();
            assert!(
                error.starts_with(&format!("refusing to write to {path}:")),
                "{error}"
            );
            assert!(!error.contains('\n'));
        }
        let missing = check_destination(Path::new("/no/such/card"), "").unwrap_err();
        assert!(missing.to_string().contains("does not exist"), "{missing}");
    }

    #[test]
    fn block_devices_are_refused_where_one_exists() {
        let Some(disk) = ["/dev/sda", "/dev/vda", "/dev/nvme0n1", "/dev/loop0"]
            .into_iter()
            .find(|p| Path::new(p).exists())
        else {
            println!("skipped: no block device to try");
            return;
        };
        let error = check_destination(Path::new(disk), "")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("block device") || error.contains("inside /dev"),
            "{error}"
        );
    }

    #[test]
    fn a_mount_point_of_the_system_disk_is_refused_and_a_plain_directory_is_not() {
        let dir = scratch("mounts");
        let canonical = dir.canonicalize().unwrap();
        assert_eq!(check_destination(&dir, "").unwrap(), canonical);
        let escaped = canonical.display().to_string().replace(' ', "\\040");
        let mounts = format!("/dev/sda2 / ext4 rw 0 0\n/dev/sda2 {escaped} ext4 rw 0 0\n");
        let error = check_destination(&dir, &mounts).unwrap_err().to_string();
        assert!(error.contains("system disk"), "{error}");
        let card = format!("/dev/sda2 / ext4 rw 0 0\n/dev/sdb1 {escaped} vfat rw 0 0\n");
        assert_eq!(check_destination(&dir, &card).unwrap(), canonical);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn shown_commands_quote_paths_a_shell_would_split_or_expand() {
        assert_eq!(
            quoted(Path::new("/tmp/plain-path_1.elf")),
            "/tmp/plain-path_1.elf"
        );
        assert_eq!(
            quoted(Path::new("/tmp/with space/k.elf")),
            "'/tmp/with space/k.elf'"
        );
        assert_eq!(quoted(Path::new("/tmp/it's")), "'/tmp/it'\\''s'");
        for special in [
            "a;b", "a&b", "a(b)", "a*b", "a$b", "a`b`", "a|b", "a\tb", "",
        ] {
            let word = quoted(Path::new(special));
            assert!(
                word.starts_with('\'') && word.ends_with('\''),
                "{special:?} -> {word}"
            );
        }
    }

    #[test]
    fn mount_fields_are_unescaped() {
        assert_eq!(unescape_mount_field("/media/SD\\040CARD"), "/media/SD CARD");
        assert_eq!(unescape_mount_field("/a\\\\b"), "/a\\\\b");
    }

    #[test]
    fn addresses_parse_and_are_checked() {
        assert_eq!(parse_address("0x01000000"), Ok(0x0100_0000));
        assert_eq!(parse_address("0x0200_0000"), Ok(0x0200_0000));
        assert_eq!(parse_address("16777216"), Ok(0x0100_0000));
        assert!(parse_address("sixteen").is_err());
        let paz00 = &tegra20::PAZ00;
        assert!(check_load_address(paz00, 0x0200_0000).is_ok());
        let error = check_load_address(paz00, 0x4000_0000)
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "load address 0x40000000 cannot be used on tegra20-paz00: it is not inside the board's RAM"
        );
        assert!(check_load_address(paz00, 0x0100_0100).is_err());
    }

    #[test]
    fn plans_build_convert_and_copy_for_every_board() {
        let dir = scratch("plan");
        for board in tegra20::ALL {
            let plan = Plan::new(&request(board, Some(dir.clone()))).unwrap();
            let text = plan.render();
            assert!(
                text.contains(&format!("system `tmem-modes` for {} (debug)", board.name)),
                "{text}"
            );
            assert!(
                text.contains(
                    "mkimage -A arm -O linux -T kernel -C none -a 0x01000000 -e 0x01000000"
                ),
                "{text}"
            );
            assert!(text.contains("|   go 0x01000000"), "{text}");
            assert!(
                text.contains(&format!("cp {} ", quoted(&plan.artifacts.bin))),
                "{text}"
            );
            assert!(text.contains(board.console_label), "{text}");
            let copies = plan
                .steps
                .iter()
                .filter(|s| matches!(s, Step::Copy { .. }))
                .count();
            assert_eq!(copies, 4);
        }
        // Planning writes nothing.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn plans_refuse_other_boards_and_bad_addresses() {
        let error = Plan::new(&request(&platform::boards::VEXPRESS_A9, None)).unwrap_err();
        assert!(
            error.to_string().contains("is not a Tegra 2 board"),
            "{error}"
        );
        let mut bad = request(&tegra20::HARMONY, None);
        bad.load = 0x0100_0001;
        assert!(matches!(Plan::new(&bad), Err(Error::BadLoadAddress { .. })));
        let mut rcm = request(&tegra20::HARMONY, None);
        rcm.rcm = Some(RecoveryBoot {
            bct: "/no/such.bct".into(),
            bootloader: "/no/u-boot.bin".into(),
            load_address: DEFAULT_RCM_LOAD_ADDRESS,
        });
        assert!(matches!(Plan::new(&rcm), Err(Error::BadImage { .. })));
    }

    #[test]
    fn a_moved_load_address_shows_in_every_command() {
        let mut moved = request(&tegra20::SEABOARD, None);
        moved.load = 0x0200_0000;
        moved.tftp = Some(scratch("tftp"));
        let plan = Plan::new(&moved).unwrap();
        let text = plan.render();
        assert!(
            text.contains("TMEM_KERNEL_LOAD=0x02000000 system `tmem-modes` for tegra20-seaboard"),
            "{text}"
        );
        assert!(text.contains("-a 0x02000000 -e 0x02000000"), "{text}");
        assert!(
            text.contains("| if tftpboot 0x02000000 tmem-kernel.bin; then"),
            "{text}"
        );
        std::fs::remove_dir_all(moved.tftp.unwrap()).unwrap();
    }

    #[test]
    fn recovery_boot_is_planned_with_the_exact_tegrarcm_command() {
        let dir = scratch("rcm");
        let (bct, uboot) = (dir.join("harmony.bct"), dir.join("u-boot.bin"));
        std::fs::write(&bct, b"bct").unwrap();
        std::fs::write(&uboot, b"u-boot").unwrap();
        let mut with_rcm = request(&tegra20::HARMONY, None);
        with_rcm.rcm = Some(RecoveryBoot {
            bct: bct.clone(),
            bootloader: uboot.clone(),
            load_address: DEFAULT_RCM_LOAD_ADDRESS,
        });
        let text = Plan::new(&with_rcm).unwrap().render();
        let expected = format!(
            "tegrarcm --bct {} --bootloader {} --loadaddr 0x00108000",
            bct.display(),
            uboot.display()
        );
        assert!(text.contains(&expected), "{text}");
        assert!(text.contains("RECOVERY"), "{text}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn the_build_environment_must_give_the_planned_address() {
        let harmony = &tegra20::HARMONY;
        assert!(check_load_environment(harmony, 0x0100_0000, None).is_ok());
        assert!(check_load_environment(harmony, 0x0200_0000, Some("0x02000000")).is_ok());
        assert!(check_load_environment(harmony, 0x0200_0000, None).is_err());
        assert!(check_load_environment(harmony, 0x0100_0000, Some("0x3000000")).is_err());
    }

    #[test]
    fn recovery_devices_are_found_by_usb_id() {
        let root = scratch("usb");
        assert!(!recovery_device_present(&root));
        let device = root.join("1-1");
        std::fs::create_dir_all(&device).unwrap();
        std::fs::write(device.join("idVendor"), "0955\n").unwrap();
        std::fs::write(device.join("idProduct"), "7820\n").unwrap();
        assert!(recovery_device_present(&root));
        std::fs::remove_dir_all(root).unwrap();
    }
}
