//! Building kernel images for a board.
//!
//! Images are built into `target/arm` (kept apart from host builds, which
//! use another rustc) and copied to `target/images/<board>/<profile>/`
//! under a name that says which variant they are, so several variants can
//! be used at once. Nothing here runs an image.

use std::path::PathBuf;
use std::process::Stdio;

use platform::Board;

use crate::toolchain::{Toolchain, TARGET};
use crate::{board, workspace, Error};

/// Cargo profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// `dev` (opt-level 1, debug info).
    Debug,
    /// `release` (optimised, LTO, debug info kept for gdb).
    Release,
}

impl Profile {
    /// The directory cargo writes this profile to.
    pub fn dir(self) -> &'static str {
        match self {
            Profile::Debug => "debug",
            Profile::Release => "release",
        }
    }
}

/// Which kernel image to build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelImage {
    /// The board.
    pub board: &'static Board,
    /// The profile.
    pub profile: Profile,
    /// With boot-time self tests (test images only).
    pub selftests: bool,
    /// The system image to embed, and the name it goes by; `None` boots no
    /// partitions.
    pub system: Option<(String, PathBuf)>,
    /// Extra cargo features of the kernel (benchmark code a system asks
    /// for).
    pub features: Vec<&'static str>,
}

/// Serialises image builds in this process; [`lock_builds`] does the same
/// across processes. Builds share one cargo target directory, and cargo's
/// own lock is released before the output is copied.
static BUILD_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Holds an exclusive lock on `target/arm/.image-build.lock` until dropped.
fn lock_builds(target_dir: &std::path::Path) -> Result<std::fs::File, Error> {
    std::fs::create_dir_all(target_dir).map_err(|e| Error::io(target_dir, e))?;
    let path = target_dir.join(".image-build.lock");
    let file = std::fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
    file.lock().map_err(|e| Error::io(&path, e))?;
    Ok(file)
}

impl KernelImage {
    /// The production image for `board`.
    pub fn new(board: &'static Board, profile: Profile) -> KernelImage {
        KernelImage {
            board,
            profile,
            selftests: false,
            system: None,
            features: Vec::new(),
        }
    }

    /// The directory this board and profile's images go to.
    pub fn dir(&self) -> PathBuf {
        workspace::target_dir()
            .join("images")
            .join(self.board.name)
            .join(self.profile.dir())
    }

    /// Where the built ELF is copied to.
    pub fn elf_path(&self) -> PathBuf {
        let base = self
            .system
            .as_ref()
            .map_or("kernel", |(name, _)| name.as_str());
        let suffix = if self.selftests { "-selftests" } else { "" };
        self.dir().join(format!("{base}{suffix}.elf"))
    }

    /// Builds the image and returns the path of its ELF.
    pub fn build(&self, toolchain: &Toolchain) -> Result<PathBuf, Error> {
        let target_dir = workspace::target_dir().join("arm");
        let mut features = vec![board::cargo_feature(self.board)];
        if self.selftests {
            features.push("selftests".into());
        }
        features.extend(self.features.iter().map(|f| f.to_string()));
        let mut cmd = toolchain.cargo_build(&target_dir);
        cmd.current_dir(workspace::root())
            .args(["--package", "kernel", "--bin", "kernel"])
            .arg("--features")
            .arg(features.join(","))
            .stdin(Stdio::null());
        if self.profile == Profile::Release {
            cmd.arg("--release");
        }
        if std::env::var_os("DEFMT_LOG").is_none() {
            cmd.env("DEFMT_LOG", "info");
        }
        match &self.system {
            Some((_, image)) => cmd.env("TMEM_SYSTEM_IMAGE", image),
            None => cmd.env_remove("TMEM_SYSTEM_IMAGE"),
        };
        let _guard = BUILD_LOCK
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let _file_lock = lock_builds(&target_dir)?;
        let what = format!("the kernel for {}", self.board.name);
        let status = cmd.status().map_err(|source| Error::Spawn {
            program: "cargo".into(),
            source,
        })?;
        if !status.success() {
            return Err(Error::BuildFailed { what });
        }
        let built = target_dir
            .join(TARGET)
            .join(self.profile.dir())
            .join("kernel");
        let dest = self.elf_path();
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        std::fs::copy(&built, &dest).map_err(|e| Error::io(&built, e))?;
        Ok(dest)
    }
}
