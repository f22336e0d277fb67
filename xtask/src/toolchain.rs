//! Finding (or installing) a way to build for `armv7a-none-eabi`, a linker,
//! and QEMU.
//!
//! The order, as users see it printed:
//! 1. the active rustup toolchain already has the target: use it as is;
//! 2. a rustc with the standard library's sources (the active one with
//!    `rust-src`, or Debian's `rustc-web` + `rust-web-src` at
//!    `/usr/bin/rustc`): build `core`/`alloc` from source with
//!    `-Z build-std` (and `RUSTC_BOOTSTRAP=1` for the unstable flag);
//! 3. as root on a Debian-family system: install the Debian packages with
//!    apt-get, saying so, and use (2);
//! 4. otherwise fail, naming the commands for both paths.
//!
//! The linker is `rust-lld` from a rustup sysroot when there is one, else
//! `ld.lld`. Nothing here builds anything.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Error;

/// The target every image is built for.
pub const TARGET: &str = "armv7a-none-eabi";
/// Debian's rustc that ships with library sources.
const DEBIAN_RUSTC: &str = "/usr/bin/rustc";
/// Debian packages providing a build-std capable rustc.
/// Debian's clippy for that rustc (package `rust-web-clippy`).
const DEBIAN_CARGO_CLIPPY: &str = "/usr/bin/cargo-clippy";
/// Debian packages providing a build-std capable rustc.
const DEBIAN_RUST_PACKAGES: &[&str] = &["rustc-web", "cargo-web", "rust-web-src"];

/// How the standard library for the target is obtained.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StdSource {
    /// The rustc's sysroot has the target's precompiled libraries.
    Prebuilt,
    /// Built from the rustc's library sources with `-Z build-std`.
    BuildStd,
}

/// A complete toolchain for target builds.
#[derive(Clone, Debug)]
pub struct Toolchain {
    /// The rustc to build with.
    pub rustc: PathBuf,
    /// Its version line.
    pub version: String,
    /// Where `core` comes from.
    pub std: StdSource,
    /// The linker.
    pub linker: PathBuf,
}

/// Whether detection may install missing pieces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Install {
    /// Install with apt-get when running as root on Debian.
    IfRoot,
    /// Never install; fail instead.
    Never,
}

impl Toolchain {
    /// Finds a toolchain, installing one if allowed and needed.
    pub fn detect(install: Install) -> Result<Toolchain, Error> {
        let active = PathBuf::from("rustc");
        let mut rustc_std = find_rustc(&active);
        if rustc_std.is_none() && install == Install::IfRoot && can_apt() {
            eprintln!(
                "toolchain: no rustc can build {TARGET}; installing Debian's {} with apt-get",
                DEBIAN_RUST_PACKAGES.join(" ")
            );
            apt_install(DEBIAN_RUST_PACKAGES)?;
            rustc_std = find_rustc(&active);
        }
        let (rustc, std) = rustc_std.ok_or_else(no_toolchain)?;
        let linker = match find_linker() {
            Some(linker) => linker,
            None if install == Install::IfRoot && can_apt() => {
                eprintln!("toolchain: no rust-lld or ld.lld; installing lld-19 with apt-get");
                apt_install(&["lld-19"])?;
                find_linker().ok_or(Error::NoLinker)?
            }
            None => return Err(Error::NoLinker),
        };
        let version = output(&rustc, &["--version"]).unwrap_or_default();
        Ok(Toolchain {
            rustc,
            version,
            std,
            linker,
        })
    }

    /// One line saying what was chosen.
    pub fn describe(&self) -> String {
        let how = match self.std {
            StdSource::Prebuilt => "prebuilt target libraries",
            StdSource::BuildStd => "-Z build-std from library sources",
        };
        format!(
            "toolchain: {} ({}), {how}; linker {}",
            self.version.trim(),
            self.rustc.display(),
            self.linker.display()
        )
    }

    /// A `cargo build` for the target with this toolchain's settings;
    /// callers add the package, features and profile.
    pub fn cargo_build(&self, target_dir: &Path) -> Command {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.arg("build");
        self.configure(&mut cmd, target_dir);
        cmd
    }

    /// A `cargo clippy` for the target, with a clippy that matches this
    /// toolchain's rustc: rustup's for a prebuilt target, Debian's
    /// `rust-web-clippy` (installed if allowed) for Debian's rustc.
    pub fn cargo_clippy(&self, target_dir: &Path, install: Install) -> Result<Command, Error> {
        let mut cmd = if self.rustc == Path::new(DEBIAN_RUSTC) {
            let clippy = Path::new(DEBIAN_CARGO_CLIPPY);
            if !clippy.is_file() && install == Install::IfRoot && can_apt() {
                eprintln!("toolchain: installing Debian's rust-web-clippy to lint target code");
                apt_install(&["rust-web-clippy"])?;
            }
            if !clippy.is_file() {
                return Err(Error::NoTargetToolchain(
                    "no clippy for Debian's rustc: `apt-get install rust-web-clippy`".into(),
                ));
            }
            let mut cmd = Command::new(clippy);
            cmd.arg("clippy");
            cmd
        } else {
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            let mut cmd = Command::new(cargo);
            cmd.arg("clippy");
            cmd
        };
        self.configure(&mut cmd, target_dir);
        Ok(cmd)
    }

    fn configure(&self, cmd: &mut Command, target_dir: &Path) {
        cmd.arg("--target").arg(TARGET);
        if self.std == StdSource::BuildStd {
            cmd.args([
                "-Z",
                "build-std=core,compiler_builtins,alloc",
                "-Z",
                "build-std-features=compiler-builtins-mem",
            ]);
            cmd.env("RUSTC_BOOTSTRAP", "1");
        }
        cmd.env("RUSTC", &self.rustc)
            .env("CARGO_TARGET_DIR", target_dir)
            .env("CARGO_TARGET_ARMV7A_NONE_EABI_LINKER", &self.linker)
            .env(
                "CARGO_TARGET_ARMV7A_NONE_EABI_RUSTFLAGS",
                "-C target-cpu=cortex-a9",
            )
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env_remove("RUSTC_WORKSPACE_WRAPPER")
            .env_remove("RUSTC_WRAPPER");
    }
}

/// The first rustc that can build the target: `active` with the target
/// prebuilt, `active` with library sources, then Debian's.
fn find_rustc(active: &Path) -> Option<(PathBuf, StdSource)> {
    if let Some(sysroot) = sysroot(active) {
        if sysroot
            .join("lib/rustlib")
            .join(TARGET)
            .join("lib")
            .is_dir()
        {
            return Some((resolve(active, &sysroot), StdSource::Prebuilt));
        }
        if has_library_sources(&sysroot) {
            return Some((resolve(active, &sysroot), StdSource::BuildStd));
        }
    }
    let debian = PathBuf::from(DEBIAN_RUSTC);
    let sysroot = sysroot(&debian)?;
    has_library_sources(&sysroot).then_some((debian, StdSource::BuildStd))
}

/// The real rustc binary behind `rustc` (a rustup proxy resolves to the
/// active toolchain's).
fn resolve(rustc: &Path, sysroot: &Path) -> PathBuf {
    let real = sysroot.join("bin/rustc");
    if real.is_file() {
        real
    } else {
        rustc.to_path_buf()
    }
}

fn has_library_sources(sysroot: &Path) -> bool {
    sysroot
        .join("lib/rustlib/src/rust/library/core/Cargo.toml")
        .is_file()
}

fn sysroot(rustc: &Path) -> Option<PathBuf> {
    output(rustc, &["--print", "sysroot"]).map(|s| PathBuf::from(s.trim()))
}

fn find_linker() -> Option<PathBuf> {
    let host = output(Path::new("rustc"), &["-vV"]).and_then(|v| {
        v.lines()
            .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
    })?;
    for rustc in [Path::new("rustc"), Path::new(DEBIAN_RUSTC)] {
        if let Some(sysroot) = sysroot(rustc) {
            let lld = sysroot.join("lib/rustlib").join(&host).join("bin/rust-lld");
            if lld.is_file() {
                return Some(lld);
            }
        }
    }
    ["ld.lld", "ld.lld-19", "ld.lld-18", "ld.lld-17"]
        .iter()
        .find_map(|name| which(name))
}

/// Finds `qemu-system-arm`, installing it if allowed.
pub fn qemu(install: Install) -> Result<PathBuf, Error> {
    if let Some(path) = which("qemu-system-arm") {
        return Ok(path);
    }
    if install == Install::IfRoot && can_apt() {
        eprintln!("qemu: qemu-system-arm not found; installing it with apt-get");
        apt_install(&["qemu-system-arm"])?;
        return which("qemu-system-arm").ok_or(Error::QemuMissing);
    }
    Err(Error::QemuMissing)
}

/// `name` on PATH, if present.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

fn output(program: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn is_root() -> bool {
    output(Path::new("id"), &["-u"]).is_some_and(|uid| uid.trim() == "0")
}

/// Whether missing packages can be installed here: root on a
/// Debian-family system with apt-get.
pub fn can_apt() -> bool {
    is_root() && Path::new("/etc/debian_version").is_file() && which("apt-get").is_some()
}

/// Installs Debian `packages` with apt-get (refreshing the lists first).
pub fn apt_install(packages: &[&str]) -> Result<(), Error> {
    run_apt(&["update", "-qq"])?;
    let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
    args.extend_from_slice(packages);
    run_apt(&args)
}

fn run_apt(args: &[&str]) -> Result<(), Error> {
    let command = format!("apt-get {}", args.join(" "));
    let status = Command::new("apt-get")
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .map_err(|source| Error::Spawn {
            program: "apt-get".into(),
            source,
        })?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::InstallFailed {
            command,
            status: status.to_string(),
        })
    }
}

fn no_toolchain() -> Error {
    Error::NoTargetToolchain(format!(
        "no Rust toolchain can build {TARGET}: either `rustup target add {TARGET}`, \
         or (Debian, as root) `apt-get install {}` to build core from source",
        DEBIAN_RUST_PACKAGES.join(" ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_toolchain_message_names_both_paths() {
        let message = no_toolchain().to_string();
        assert!(message.contains("rustup target add armv7a-none-eabi"));
        assert!(message.contains("apt-get install rustc-web cargo-web rust-web-src"));
    }

    #[test]
    fn build_std_command_sets_bootstrap_and_unstable_flags() {
        let toolchain = Toolchain {
            rustc: "/usr/bin/rustc".into(),
            version: String::new(),
            std: StdSource::BuildStd,
            linker: "/x/rust-lld".into(),
        };
        let cmd = toolchain.cargo_build(Path::new("/t"));
        let args: Vec<_> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert!(args.contains(&"build-std=core,compiler_builtins,alloc".to_string()));
        let env: Vec<_> = cmd.get_envs().collect();
        assert!(env
            .iter()
            .any(|(k, v)| *k == "RUSTC_BOOTSTRAP" && v.is_some()));
        assert!(env
            .iter()
            .any(|(k, v)| *k == "CARGO_TARGET_ARMV7A_NONE_EABI_LINKER"
                && *v == Some(std::ffi::OsStr::new("/x/rust-lld"))));
    }

    #[test]
    fn prebuilt_command_has_no_unstable_flags() {
        let toolchain = Toolchain {
            rustc: "rustc".into(),
            version: String::new(),
            std: StdSource::Prebuilt,
            linker: "ld.lld".into(),
        };
        let cmd = toolchain.cargo_build(Path::new("/t"));
        assert!(!cmd.get_args().any(|a| a == "-Z"));
        assert!(!cmd.get_envs().any(|(k, _)| k == "RUSTC_BOOTSTRAP"));
    }
}
