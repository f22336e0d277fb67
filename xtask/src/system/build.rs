//! From a description file to a bootable kernel: validate it, build each
//! partition's crate for the target, pack the ELFs and the boot table into
//! a system image, and build the kernel with that image inside.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use platform::Board;

use super::description::Description;
use super::reserve;
use super::validate::{parse, validate};
use crate::elf::ElfInfo;
use crate::image::{KernelImage, Profile};
use crate::toolchain::{Toolchain, TARGET};
use crate::{workspace, Error};

/// A built system.
#[derive(Clone, Debug)]
pub struct BuiltSystem {
    /// The system's name (its file's stem).
    pub name: String,
    /// Its `[system] description`.
    pub description: String,
    /// The kernel ELF with the system inside.
    pub kernel: PathBuf,
    /// Each partition's name and ELF, in partition order.
    pub partitions: Vec<(String, PathBuf)>,
    /// The size of the disk image its `[[disk]]` needs, if it has one.
    pub disk_bytes: Option<u64>,
    /// The guests' FAT file systems to write into that image (`files` regions).
    pub disk_files: Vec<crate::fat_image::RegionImage>,
    /// What the kernel takes from RAM at boot besides the description's
    /// own memory (its image, tables, IPC buffers, page tables, padding).
    pub kernel_need: reserve::Need,
    /// The RAM the description leaves it (see [`reserve::room`]).
    pub kernel_room: u64,
}

/// The description file for `name`: a path as given if it names a file,
/// else `systems/NAME.toml`.
pub fn resolve(name: &str) -> PathBuf {
    let as_path = PathBuf::from(name);
    if as_path.is_file() {
        as_path
    } else {
        workspace::root()
            .join("systems")
            .join(format!("{name}.toml"))
    }
}

/// The workspace's package names (what `crate = "..."` may name).
pub fn workspace_crates() -> Result<&'static BTreeSet<String>, Error> {
    static CRATES: OnceLock<BTreeSet<String>> = OnceLock::new();
    if let Some(crates) = CRATES.get() {
        return Ok(crates);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .current_dir(workspace::root())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|source| Error::Spawn {
            program: "cargo metadata".into(),
            source,
        })?;
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).map_err(|e| Error::BuildFailed {
            what: format!("the workspace's package list ({e})"),
        })?;
    let names = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str().map(str::to_string))
        .collect();
    Ok(CRATES.get_or_init(|| names))
}

/// The description in `file` and the system's name (the file's stem).
fn read_description(file: &Path) -> Result<(String, Description), Error> {
    let text = std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?;
    let name = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok((name, parse(file, &text)?))
}

/// Checks the system described in `file` for `board` as
/// [`build_system`] does before it builds anything (the description, its
/// disk and its file regions), and builds nothing: for a dry run that
/// must refuse what the real run would.
pub fn check_system(board: &'static Board, file: &Path) -> Result<(), Error> {
    let (name, description) = read_description(file)?;
    validate(file, &name, &description, board, workspace_crates()?)?;
    super::disk::check(file, &description)?;
    crate::fat_image::regions(file, &description)?;
    Ok(())
}

/// Builds the system described in `file` for `board`.
pub fn build_system(
    toolchain: &Toolchain,
    board: &'static Board,
    profile: Profile,
    file: &Path,
    selftests: bool,
) -> Result<BuiltSystem, Error> {
    let (name, description) = read_description(file)?;
    let info = validate(file, &name, &description, board, workspace_crates()?)?;
    let disk_bytes = super::disk::check(file, &description)?.map(|plan| plan.image_bytes);
    let disk_files = crate::fat_image::regions(file, &description)?;

    let crates: BTreeSet<&str> = description
        .partitions
        .iter()
        .map(|p| p.krate.as_str())
        .collect();
    build_partitions(toolchain, profile, &crates)?;
    let built_dir = workspace::target_dir()
        .join("arm")
        .join(TARGET)
        .join(profile.dir());

    let mut image_for = KernelImage::new(board, profile);
    let out_dir = image_for.dir().join(&name);
    std::fs::create_dir_all(&out_dir).map_err(|e| Error::io(&out_dir, e))?;
    let mut elfs = Vec::new();
    let mut partitions = Vec::new();
    for (index, (p, loaded)) in description
        .partitions
        .iter()
        .zip(&info.partitions)
        .enumerate()
    {
        let built = built_dir.join(&p.krate);
        let bytes = std::fs::read(&built).map_err(|e| Error::io(&built, e))?;
        let stacks: Vec<u32> = loaded.threads.iter().map(|t| t.stack_size).collect();
        let elf = ElfInfo::parse(&built, &bytes)?;
        super::fit::check_segments(file, index, &p.krate, &elf)?;
        let needs = super::fit::footprint(&elf, &stacks);
        super::fit::check(file, index, &p.krate, loaded.memory_size, needs)?;
        let kept = out_dir.join(format!("{}.elf", p.name));
        std::fs::write(&kept, &bytes).map_err(|e| Error::io(&kept, e))?;
        elfs.push(crate::elf::loadable_only(&built, &bytes)?);
        partitions.push((p.name.clone(), kept));
    }
    // The kernel's share of RAM is checked twice: before the kernel is
    // built, with the system image as a lower bound on the kernel image
    // (no build for a system that cannot fit), then with the built ELF.
    let reserve_info = info.clone();
    let image = boot_info::build_image(info, &elfs).map_err(|e| Error::BuildFailed {
        what: format!("the system image ({e})"),
    })?;
    let system_image = image.len() as u64;
    let at_least = reserve::Image::at_least(board, system_image);
    reserve::check(file, board, &reserve::need(&reserve_info, board, at_least))?;
    let image_path = out_dir.join("system.img");
    std::fs::write(&image_path, image).map_err(|e| Error::io(&image_path, e))?;

    image_for.selftests = selftests;
    image_for.features = description
        .system
        .kernel_features
        .iter()
        .map(|feature| feature.cargo_feature())
        .collect();
    image_for.system = Some((name.clone(), image_path));
    let kernel = image_for.build(toolchain)?;
    let built = reserve::Image::of_elf(&ElfInfo::read(&kernel)?, board, system_image);
    let kernel_need = reserve::need(&reserve_info, board, built);
    reserve::check(file, board, &kernel_need)?;
    Ok(BuiltSystem {
        name,
        description: description.system.description,
        kernel,
        partitions,
        disk_bytes,
        disk_files,
        kernel_room: reserve::room(board, &kernel_need),
        kernel_need,
    })
}

/// Partition crates that embed program crates built for the target
/// first: (partition crate, program crate). The partition's build script
/// finds the programs in the directory `GUEST_PROGRAMS_DIR` names (a build
/// script cannot run a nested cargo for the target on the same target
/// directory, which cargo holds locked while it builds).
const EMBEDS_PROGRAMS: &[(&str, &str)] = &[("guest-os-kernel", "guest-programs")];

fn build_partitions(
    toolchain: &Toolchain,
    profile: Profile,
    crates: &BTreeSet<&str>,
) -> Result<(), Error> {
    let programs: BTreeSet<&str> = EMBEDS_PROGRAMS
        .iter()
        .filter(|(partition, _)| crates.contains(partition))
        .map(|&(_, programs)| programs)
        .collect();
    if !programs.is_empty() {
        cargo_build(toolchain, Profile::Release, &programs)?;
    }
    cargo_build(toolchain, profile, crates)
}

fn cargo_build(
    toolchain: &Toolchain,
    profile: Profile,
    crates: &BTreeSet<&str>,
) -> Result<(), Error> {
    let target_dir = workspace::target_dir().join("arm");
    let mut cmd = toolchain.cargo_build(&target_dir);
    cmd.current_dir(workspace::root())
        .arg("--bins")
        .env(
            "GUEST_PROGRAMS_DIR",
            target_dir.join(TARGET).join(Profile::Release.dir()),
        )
        .stdin(Stdio::null());
    for krate in crates {
        cmd.args(["--package", krate]);
    }
    if profile == Profile::Release {
        cmd.arg("--release");
    }
    if std::env::var_os("DEFMT_LOG").is_none() {
        cmd.env("DEFMT_LOG", "info");
    }
    let status = cmd.status().map_err(|source| Error::Spawn {
        program: "cargo".into(),
        source,
    })?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::BuildFailed {
            what: format!(
                "partitions {}",
                crates.iter().copied().collect::<Vec<_>>().join(", ")
            ),
        })
    }
}
