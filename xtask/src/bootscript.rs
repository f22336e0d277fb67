//! The U-Boot boot script that loads the raw kernel and jumps to it: its
//! text (`boot.cmd`) and the script image `source` runs (`boot.scr`).
//!
//! The script reads `tmem-kernel.bin` from where U-Boot found the script
//! (distro boot sets `devtype`, `devnum` and `distro_bootpart`; the script
//! falls back to `mmc 0:1`) or over TFTP, turns the data cache off — which
//! on ARM U-Boot cleans it to memory first, so the image is really in RAM
//! — and `go`es to the load address. `go` works on every U-Boot, with no
//! device tree or ATAGs; the kernel ignores r0-r2 either way. The script
//! never writes to storage or the environment (`saveenv`).

use crate::uimage::{self, ImageType, Os, Spec, UImageError};

/// Name of the raw kernel on the boot medium.
pub const KERNEL_FILE: &str = "tmem-kernel.bin";
/// Name of the uImage on the boot medium.
pub const UIMAGE_FILE: &str = "tmem-kernel.uimg";
/// Name of the script source.
pub const SCRIPT_SOURCE_FILE: &str = "boot.cmd";
/// Name of the script image (what distro boot looks for).
pub const SCRIPT_FILE: &str = "boot.scr";

/// Where the script loads the kernel from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Medium {
    /// The SD card, USB stick or eMMC partition the script is on.
    Storage,
    /// The TFTP server in `serverip`.
    Tftp,
}

/// A boot script for one board and load address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BootScript {
    /// The board name, for the script's comments.
    pub board: String,
    /// Where the kernel is loaded and entered.
    pub load: u32,
    /// Where the kernel comes from.
    pub medium: Medium,
}

impl BootScript {
    /// The script text (`boot.cmd`).
    pub fn text(&self) -> String {
        let load = format!("{:#010x}", self.load);
        let mut text = format!(
            "# tmem-kernel for {board}: load {KERNEL_FILE} at {load} and jump to it.\n\
             # Written by `cargo xtask flash-tegra`; the console then carries defmt\n\
             # log records: decode them with `cargo xtask monitor --board {board}`.\n",
            board = self.board
        );
        let fetch = match self.medium {
            Medium::Storage => {
                text.push_str(
                    "if test -z \"${devtype}\"; then setenv devtype mmc; fi\n\
                     if test -z \"${devnum}\"; then setenv devnum 0; fi\n\
                     if test -z \"${distro_bootpart}\"; then setenv distro_bootpart 1; fi\n",
                );
                format!("load ${{devtype}} ${{devnum}}:${{distro_bootpart}} {load} {KERNEL_FILE}")
            }
            Medium::Tftp => {
                text.push_str("if test -z \"${ipaddr}\"; then setenv autoload no; dhcp; fi\n");
                format!("tftpboot {load} {KERNEL_FILE}")
            }
        };
        text.push_str(&format!(
            "echo tmem-kernel: loading {KERNEL_FILE} to {load}\n\
             if {fetch}; then\n\
             \x20 echo tmem-kernel: starting at {load}\n\
             \x20 dcache off\n\
             \x20 go {load}\n\
             fi\n\
             echo tmem-kernel: could not load {KERNEL_FILE}\n"
        ));
        text
    }

    /// The script image (`boot.scr`), as `mkimage -T script` makes it.
    pub fn image(&self, time: u32) -> Result<Vec<u8>, UImageError> {
        uimage::image(&self.spec(time), &uimage::script_data(&self.text()))
    }

    /// The header fields of the script image.
    pub fn spec(&self, time: u32) -> Spec {
        Spec {
            os: Os::Linux,
            image_type: ImageType::Script,
            load: 0,
            entry: 0,
            name: "tmem-kernel boot script".into(),
            time,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(medium: Medium) -> BootScript {
        BootScript {
            board: "tegra20-harmony".into(),
            load: 0x0100_0000,
            medium,
        }
    }

    #[test]
    fn storage_script_loads_from_the_boot_partition_and_jumps() {
        let text = script(Medium::Storage).text();
        assert!(text.contains(
            "if load ${devtype} ${devnum}:${distro_bootpart} 0x01000000 tmem-kernel.bin; then\n"
        ));
        assert!(text.contains("setenv devtype mmc"));
        let dcache = text.find("dcache off").unwrap();
        let go = text.find("go 0x01000000").unwrap();
        assert!(dcache < go, "caches are cleaned and off before the jump");
        assert!(text.ends_with("echo tmem-kernel: could not load tmem-kernel.bin\n"));
        assert!(!text.contains("saveenv"));
        assert!(text.contains("cargo xtask monitor --board tegra20-harmony"));
    }

    #[test]
    fn tftp_script_fetches_from_the_server() {
        let text = script(Medium::Tftp).text();
        assert!(text.contains("if tftpboot 0x01000000 tmem-kernel.bin; then\n"));
        assert!(text.contains("dhcp"));
        assert!(!text.contains("distro_bootpart"));
    }

    #[test]
    fn every_line_is_plain_ascii_u_boot_can_parse() {
        for medium in [Medium::Storage, Medium::Tftp] {
            let text = script(medium).text();
            assert!(text.is_ascii());
            assert!(!text.contains('\t') && !text.contains('\r'));
            // Balanced if/fi.
            let ifs = text
                .lines()
                .filter(|l| l.trim_start().starts_with("if "))
                .count();
            let fis = text
                .lines()
                .filter(|l| l.trim() == "fi" || l.ends_with("; fi"))
                .count();
            assert_eq!(ifs, fis, "{text}");
        }
    }

    #[test]
    fn script_image_wraps_the_text() {
        let s = script(Medium::Storage);
        let bytes = s.image(7).unwrap();
        let (header, data) = uimage::parse(&bytes).unwrap();
        assert_eq!(header.image_type, 6, "script");
        assert_eq!(header.time, 7);
        assert_eq!(&data[8..], s.text().as_bytes());
        assert_eq!(
            u32::from_be_bytes(data[..4].try_into().unwrap()) as usize,
            s.text().len()
        );
    }
}
