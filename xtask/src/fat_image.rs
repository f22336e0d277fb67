//! The FAT file system a guest reads its files from: for every `[[disk]]`
//! region with `use = "files"` whose client is a guest OS kernel with
//! `files = { ..., on_card = true }`, an image of the region holding an MBR
//! and one FAT16 partition with exactly the files of the guest's file set
//! (`guest_os_config::file_set`: names, sizes and every byte). xtask
//! writes it into the SD card image before each run, so the guest checks
//! what it reads against the same formula.
//!
//! Built with the `fatfs` crate, the maintained FAT implementation for
//! std Rust (the one the `bootloader` crate makes its boot images with).
//! The MBR is 16 bytes of one partition entry written here: no crate is
//! needed for that. The guest reads with `embedded-sdmmc`, which wants an
//! MBR and FAT16 or FAT32 (not FAT12), hence FAT16 and 512-byte clusters.
//! This module never writes a file; it only returns bytes.

use std::io::{Cursor, Write};
use std::path::Path;

use guest_os_config::file_set::{file_byte, file_name, file_size};
use guest_os_config::{FilePlan, GuestPlan};

use crate::system::description::Description;
use crate::system::DescriptionError;

/// Bytes in a sector of the image.
pub const SECTOR_BYTES: u32 = 512;
/// Where the FAT partition starts, in sectors from the region's start
/// (4 KiB in, so the partition is aligned to the block server's blocks).
pub const PARTITION_START_SECTOR: u32 = 8;
/// The fewest clusters a FAT16 volume has (fewer make it FAT12).
const MIN_FAT16_CLUSTERS: u32 = 4085;
/// The most clusters a FAT16 volume has (more make it FAT32).
const MAX_FAT16_CLUSTERS: u32 = 65_524;
/// The largest region a FAT16 volume of 512-byte clusters fills: a larger
/// one is refused before its image is allocated.
const MAX_REGION_BYTES: u64 = 32 << 20;
/// The MBR partition type for FAT16 with LBA addressing.
const PARTITION_TYPE_FAT16_LBA: u8 = 0x0E;

/// One region's contents: `bytes` to write at `offset` in the SD card image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionImage {
    /// Byte offset of the region on the card.
    pub offset: u64,
    /// The region's whole contents.
    pub bytes: Vec<u8>,
}

/// The FAT images the description's `files` regions need.
pub fn regions(file: &Path, d: &Description) -> Result<Vec<RegionImage>, DescriptionError> {
    let err = |field: String, reason: String| DescriptionError {
        file: file.to_path_buf(),
        field,
        reason,
    };
    check_shared_files(file, d)?;
    let mut images = Vec::new();
    let Some(disk) = d.disks.first() else {
        return Ok(images);
    };
    let mut offset = 0u64;
    for (k, region) in disk.regions.iter().enumerate() {
        let bytes = u64::from(region.size_mib) << 20;
        let start = offset;
        offset += bytes;
        if region.purpose.as_deref() != Some("files") {
            continue;
        }
        let field = format!("disk[0].regions[{k}]");
        let client = d
            .partitions
            .iter()
            .find(|p| p.name == region.client)
            .ok_or_else(|| err(format!("{field}.client"), "no such partition".into()))?;
        let plan: Option<GuestPlan> = match (&client.config, client.krate.as_str()) {
            (Some(table), "guest-os-kernel") => toml::Value::Table(table.clone()).try_into().ok(),
            _ => None,
        };
        let plan_sd_swap = plan.as_ref().is_some_and(|plan| plan.sd_swap);
        let Some(files) = plan.and_then(|plan| plan.files).filter(|f| f.on_card) else {
            return Err(err(
                format!("{field}.use"),
                format!(
                    "an `files` region holds a guest's files: `{}` must be a guest-os-kernel with `files = {{ ..., on_card = true }}`",
                    region.client
                ),
            ));
        };
        if plan_sd_swap {
            return Err(err(
                format!("{field}.client"),
                format!(
                    "`{}` has `sd_swap = true`, but its one region holds its files: a guest swaps to the card or reads files from it",
                    region.client
                ),
            ));
        }
        let image = build(&files, bytes).map_err(|reason| err(field.clone(), reason))?;
        images.push(RegionImage {
            offset: start,
            bytes: image,
        });
    }
    Ok(images)
}

/// Checks every guest's `shared_files = UUID` against `[tmem]`: the pool
/// must be the system's `shared_pool` and the guest a `shared = true`
/// client of it. (Which files it shares needs no check: the key a page is
/// shared under says which bytes it holds, `file_set::shared_file_key`.)
pub fn check_shared_files(file: &Path, d: &Description) -> Result<(), DescriptionError> {
    for (i, partition) in d.partitions.iter().enumerate() {
        let plan: Option<GuestPlan> = match (&partition.config, partition.krate.as_str()) {
            (Some(table), "guest-os-kernel") => toml::Value::Table(table.clone()).try_into().ok(),
            _ => None,
        };
        let Some(uuid) = plan.and_then(|plan| plan.shared_files) else {
            continue;
        };
        let wrong = |reason: String| DescriptionError {
            file: file.to_path_buf(),
            field: format!("partition[{i}] ({}).config.shared_files", partition.name),
            reason,
        };
        let tmem = d.tmem.as_ref();
        if tmem.and_then(|t| t.shared_pool) != Some(u32::from(uuid)) {
            return Err(wrong(format!(
                "pool {uuid} is not the system's shared pool: `[tmem]` must have `shared_pool = {uuid}`"
            )));
        }
        let member = tmem.is_some_and(|t| {
            t.clients
                .iter()
                .any(|c| c.partition == partition.name && c.shared)
        });
        if !member {
            return Err(wrong(format!(
                "`{}` shares its files through pool {uuid} but is not in it: give it `shared = true` in `[tmem]`'s clients",
                partition.name
            )));
        }
    }
    Ok(())
}

/// A region of `region_bytes` bytes holding an MBR and a FAT16 partition
/// with `plan`'s files; the reason as text if they do not fit.
pub fn build(plan: &FilePlan, region_bytes: u64) -> Result<Vec<u8>, String> {
    let too_large = || {
        format!(
            "FAT16 of {SECTOR_BYTES}-byte clusters has at most {MAX_FAT16_CLUSTERS} clusters: give the region at most 32 MiB"
        )
    };
    if region_bytes > MAX_REGION_BYTES {
        return Err(too_large());
    }
    let region_sectors = u32::try_from(region_bytes / u64::from(SECTOR_BYTES))
        .map_err(|_| "the region is too large for an MBR partition".to_string())?;
    let sectors = region_sectors
        .checked_sub(PARTITION_START_SECTOR)
        .filter(|&s| s > 0)
        .ok_or_else(|| "the region is too small for a partition".to_string())?;
    let mut volume = Cursor::new(vec![0u8; (sectors * SECTOR_BYTES) as usize]);
    fatfs::format_volume(
        &mut volume,
        fatfs::FormatVolumeOptions::new()
            .fat_type(fatfs::FatType::Fat16)
            .bytes_per_cluster(SECTOR_BYTES)
            .total_sectors(sectors)
            .volume_label(*b"GUESTFILES "),
    )
    .map_err(|e| {
        format!("cannot make a FAT16 file system of {sectors} sectors ({e}): give the region at least 4 MiB")
    })?;
    volume.set_position(0);
    {
        let fs = fatfs::FileSystem::new(&mut volume, fatfs::FsOptions::new())
            .map_err(|e| format!("the new file system does not mount ({e})"))?;
        // The FAT type is what the cluster count says (Microsoft's rule,
        // which embedded-sdmmc follows), whatever the boot sector claims.
        let clusters = fs
            .stats()
            .map_err(|e| format!("the new file system has no statistics ({e})"))?
            .total_clusters();
        if clusters < MIN_FAT16_CLUSTERS {
            return Err(format!(
                "{clusters} clusters make FAT12, which the guest cannot read: give the region at least 4 MiB"
            ));
        }
        if clusters > MAX_FAT16_CLUSTERS {
            return Err(too_large());
        }
        let root = fs.root_dir();
        let size = file_size(plan);
        for file in 0..plan.files {
            let name = file_name(file);
            let contents: Vec<u8> = (0..size).map(|offset| file_byte(file, offset)).collect();
            root.create_file(&name)
                .and_then(|mut f| f.write_all(&contents))
                .map_err(|e| {
                    format!(
                        "{} files of {size} bytes do not fit a region of {} MiB ({e})",
                        plan.files,
                        region_bytes >> 20
                    )
                })?;
        }
    }
    let mut image = vec![0u8; (PARTITION_START_SECTOR * SECTOR_BYTES) as usize];
    image[446..462].copy_from_slice(&partition_entry(PARTITION_START_SECTOR, sectors));
    image[510] = 0x55;
    image[511] = 0xAA;
    image.extend_from_slice(&volume.into_inner());
    Ok(image)
}

/// An MBR partition entry: not bootable, CHS fields saying "use LBA",
/// FAT16 (LBA), `start` and `sectors` little-endian.
fn partition_entry(start: u32, sectors: u32) -> [u8; 16] {
    let mut entry = [0u8; 16];
    entry[1..4].copy_from_slice(&[0xFE, 0xFF, 0xFF]);
    entry[4] = PARTITION_TYPE_FAT16_LBA;
    entry[5..8].copy_from_slice(&[0xFE, 0xFF, 0xFF]);
    entry[8..12].copy_from_slice(&start.to_le_bytes());
    entry[12..16].copy_from_slice(&sectors.to_le_bytes());
    entry
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;
    use crate::system::validate::parse;

    const PLAN: FilePlan = FilePlan {
        files: 3,
        pages_per_file: 5,
        rounds: 1,
        on_card: true,
    };

    #[test]
    fn the_image_holds_every_file_of_the_set_byte_for_byte() {
        let image = build(&PLAN, 4 << 20).unwrap();
        assert_eq!(image.len(), 4 << 20);
        assert_eq!(&image[510..512], &[0x55, 0xAA]);
        assert_eq!(image[446 + 4], PARTITION_TYPE_FAT16_LBA);
        let start = (PARTITION_START_SECTOR * SECTOR_BYTES) as usize;
        let fs = fatfs::FileSystem::new(
            Cursor::new(image[start..].to_vec()),
            fatfs::FsOptions::new(),
        )
        .unwrap();
        assert_eq!(fs.fat_type(), fatfs::FatType::Fat16);
        let names: Vec<String> = fs
            .root_dir()
            .iter()
            .map(|e| e.unwrap().short_file_name())
            .collect();
        assert_eq!(names, ["F0000.DAT", "F0001.DAT", "F0002.DAT"]);
        for file in 0..PLAN.files {
            let mut contents = Vec::new();
            fs.root_dir()
                .open_file(&file_name(file))
                .unwrap()
                .read_to_end(&mut contents)
                .unwrap();
            let expected: Vec<u8> = (0..5 * 4096 - 100).map(|o| file_byte(file, o)).collect();
            assert!(contents == expected, "file {file} differs");
        }
    }

    #[test]
    fn files_that_do_not_fit_or_a_tiny_region_are_refused() {
        let big = FilePlan {
            pages_per_file: 400,
            ..PLAN
        };
        assert!(build(&big, 4 << 20).unwrap_err().contains("do not fit"));
        let tiny = build(&PLAN, 1 << 20).unwrap_err();
        assert!(tiny.contains("FAT12") || tiny.contains("FAT16"), "{tiny}");
    }

    #[test]
    fn a_region_too_large_for_fat16_is_refused_before_it_is_built() {
        for mib in [33u64, 4096, 8192, 1 << 20] {
            let error = build(&PLAN, mib << 20).err();
            assert!(
                error.as_ref().is_some_and(|e| e.contains("at most 32 MiB")),
                "{mib} MiB: {error:?}"
            );
        }
        let limit = build(&PLAN, 32 << 20).err();
        assert_eq!(limit, None, "32 MiB is FAT16's limit");
    }

    const SYSTEM: &str = r#"
[system]
description = "t"

[schedule]
major_frame_ms = 2
windows = [{ partition = "block", duration_ms = 1 }, { partition = "g", duration_ms = 1 }]

[[disk]]
server = "block"
regions = [{ client = "g", use = "swap", size_mib = 2 }, { client = "g", use = "files", size_mib = 4 }]

[[partition]]
name = "block"
crate = "block-server"
memory_kib = 64
threads = [{ name = "main", priority = 1, stack_kib = 8 }]

[[partition]]
name = "g"
crate = "guest-os-kernel"
memory_kib = 64
config = { guest = 1, files = { files = 2, pages_per_file = 2, rounds = 1, on_card = true } }
threads = [{ name = "main", priority = 1, stack_kib = 8 }]
"#;

    #[test]
    fn an_fs_region_gets_its_guests_files_at_its_offset() {
        let file = Path::new("t.toml");
        let d = parse(file, SYSTEM).unwrap();
        let images = regions(file, &d).unwrap();
        assert_eq!(images.len(), 1);
        assert_eq!(images[0].offset, 2 << 20, "after the 2 MiB swap region");
        assert_eq!(images[0].bytes.len(), 4 << 20);
    }

    #[test]
    fn an_fs_region_of_a_guest_without_card_files_is_refused() {
        let file = Path::new("t.toml");
        let text = SYSTEM.replace("on_card = true", "on_card = false");
        let error = regions(file, &parse(file, &text).unwrap()).unwrap_err();
        assert_eq!(error.field, "disk[0].regions[1].use");
        assert!(error.reason.contains("on_card"), "{}", error.reason);
    }

    #[test]
    fn a_guest_shares_its_files_only_through_the_shared_pool_it_is_a_member_of() {
        let file = Path::new("t.toml");
        let sharing = SYSTEM.replace(
            "guest = 1,",
            "guest = 1, tmem = \"copy\", shared_files = 7,",
        );
        let member = "[tmem]\nserver = \"block\"\nshared_pool = 7\nclients = [{ partition = \"g\", mode = \"copy\", shared = true }]\n";
        let good = format!("{member}{sharing}");
        assert_eq!(
            regions(file, &parse(file, &good).unwrap()).unwrap().len(),
            1
        );
        let refused = |text: &str| {
            let error = regions(file, &parse(file, text).unwrap()).unwrap_err();
            assert_eq!(error.field, "partition[1] (g).config.shared_files");
            error.reason
        };
        let not_member = good.replace(", shared = true", "");
        assert!(refused(&not_member).contains("shared = true"));
        let other_pool = good.replace("shared_pool = 7", "shared_pool = 8");
        assert!(refused(&other_pool).contains("shared_pool = 7"));
        assert!(
            refused(&sharing).contains("shared_pool = 7"),
            "no [tmem] at all"
        );
    }

    #[test]
    fn a_guest_that_swaps_cannot_have_a_files_region() {
        let file = Path::new("t.toml");
        let text = SYSTEM.replace("guest = 1,", "guest = 1, sd_swap = true,");
        let error = regions(file, &parse(file, &text).unwrap()).unwrap_err();
        assert_eq!(error.field, "disk[0].regions[1].client");
    }
}
