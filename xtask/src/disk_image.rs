//! The SD card image a system with a `[[disk]]` boots with: made once in
//! `target/qemu/` at the size the description needs (a power of two, which
//! QEMU's SD card insists on), kept between runs so what a system wrote
//! is there the next time, and attached with `-drive if=sd`.
//!
//! Regions that hold a guest's files (`use = "files"`, `fat_image`) are
//! written anew before every run: their contents are a function of the
//! description, and the guest only reads them.
//!
//! It must never shrink, truncate or overwrite an image it did not make
//! here unless asked to (`--fresh-disk`) — except the `files` regions it is
//! given — and never touch a block device.

use std::fs::OpenOptions;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::{workspace, Error};

/// Where `system`'s image is kept.
pub fn default_path(system: &str) -> PathBuf {
    workspace::target_dir()
        .join("qemu")
        .join(format!("{system}.disk.img"))
}

/// Makes sure an image of `bytes` bytes is at `path`: creates it (all
/// zeros) if missing or `fresh`; keeps an existing one of that size; an
/// existing image of another size is an error (its data would not fit
/// the regions), unless `fresh`.
pub fn prepare(path: &Path, bytes: u64, fresh: bool) -> Result<(), Error> {
    if !bytes.is_power_of_two() {
        return Err(Error::BuildFailed {
            what: format!("a disk image of {bytes} bytes: QEMU needs a power of two"),
        });
    }
    if let Ok(meta) = std::fs::metadata(path) {
        if !meta.is_file() {
            return Err(Error::BuildFailed {
                what: format!("the disk image {}: not a regular file", path.display()),
            });
        }
        if !fresh && meta.len() == bytes {
            return Ok(());
        }
        if !fresh {
            return Err(Error::BuildFailed {
                what: format!(
                    "the disk image {} is {} bytes but the system needs {bytes}; use --fresh-disk to start a new one",
                    path.display(),
                    meta.len()
                ),
            });
        }
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let file = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    file.set_len(bytes).map_err(|e| Error::io(path, e))
}

/// Writes each region's contents at its offset in the image at `path`
/// (made by [`prepare`]); a region past the image's end is an error.
pub fn write_regions(path: &Path, regions: &[crate::fat_image::RegionImage]) -> Result<(), Error> {
    let mut file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    for region in regions {
        if region.offset + region.bytes.len() as u64 > len {
            return Err(Error::BuildFailed {
                what: format!(
                    "the disk image {}: a region at {} bytes does not fit its {len} bytes",
                    path.display(),
                    region.offset
                ),
            });
        }
        file.seek(SeekFrom::Start(region.offset))
            .and_then(|_| file.write_all(&region.bytes))
            .map_err(|e| Error::io(path, e))?;
    }
    Ok(())
}

/// The QEMU arguments that attach the image at `path` as the SD card.
pub fn qemu_args(path: &Path) -> Vec<String> {
    vec![
        "-drive".into(),
        format!(
            "if=sd,format=raw,file={}",
            crate::qemu::option_value(&path.display().to_string())
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_image_is_made_kept_and_refreshed() {
        let dir = std::env::temp_dir().join(format!("xtask-disk {}", std::process::id()));
        let path = dir.join("sys.disk.img");
        prepare(&path, 1 << 20, false).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 1 << 20);
        std::fs::write(&path, vec![7u8; 1 << 20]).unwrap();
        prepare(&path, 1 << 20, false).unwrap();
        assert_eq!(std::fs::read(&path).unwrap()[0], 7, "kept between runs");
        assert!(
            prepare(&path, 2 << 20, false).is_err(),
            "a different size is refused"
        );
        prepare(&path, 2 << 20, true).unwrap();
        let data = std::fs::read(&path).unwrap();
        assert_eq!((data.len(), data[0]), (2 << 20, 0), "fresh means empty");
        assert!(prepare(&path, 3 << 20, true).is_err(), "not a power of two");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn regions_are_written_in_place_and_must_fit() {
        let dir = std::env::temp_dir().join(format!("xtask-regions {}", std::process::id()));
        let path = dir.join("sys.disk.img");
        prepare(&path, 1 << 20, false).unwrap();
        let region = |offset: u64, bytes: Vec<u8>| crate::fat_image::RegionImage { offset, bytes };
        write_regions(&path, &[region(4096, vec![9; 512])]).unwrap();
        let data = std::fs::read(&path).unwrap();
        assert_eq!(data.len(), 1 << 20, "the image keeps its size");
        assert_eq!(
            (data[4095], data[4096], data[4607], data[4608]),
            (0, 9, 9, 0)
        );
        assert!(write_regions(&path, &[region((1 << 20) - 1, vec![1; 2])]).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_drive_argument_keeps_a_path_with_commas_whole() {
        let args = qemu_args(Path::new("/t/a,b c/x.img"));
        assert_eq!(args, ["-drive", "if=sd,format=raw,file=/t/a,,b c/x.img"]);
    }
}
