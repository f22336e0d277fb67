//! U-Boot legacy images (`uImage`): the 64-byte big-endian header that
//! `bootm` and `source` check, written and read here so no `mkimage` is
//! needed.
//!
//! Header layout (U-Boot's `image_header_t`): magic `0x27051956`, header
//! CRC-32 (over the header with this field zero), creation time, data
//! size, load address, entry point, data CRC-32, then one byte each of OS,
//! architecture, image type and compression, and a 32-byte name. A script
//! image's data is a table of sizes ending in a zero word, then the script
//! (what `mkimage -T script` writes for one file).
//!
//! Kernel images are typed `-O linux -T kernel -C none`: that is what
//! every U-Boot's `bootm` accepts for a raw ARM image. `bootm` then copies
//! the data to the load address, turns caches and MMU off and jumps to the
//! entry with r0 = 0, r1 = machine type, r2 = ATAGs or device tree, all of
//! which this kernel ignores. This module never touches files or runs
//! programs; [`mkimage_args`] only says what the equivalent command is.

use std::fmt;

/// The legacy image magic number.
pub const MAGIC: u32 = 0x2705_1956;
/// Bytes in the header.
pub const HEADER_LEN: usize = 64;
/// Bytes in the name field (NUL-padded; we keep one NUL).
pub const NAME_LEN: usize = 32;
/// `IH_ARCH_ARM`.
pub const ARCH_ARM: u8 = 2;
/// `IH_COMP_NONE`.
pub const COMPRESSION_NONE: u8 = 0;

/// Operating system byte (`IH_OS_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Os {
    /// `IH_OS_LINUX` (5): `bootm` boots it with the Linux convention.
    Linux,
}

impl Os {
    /// The header byte.
    pub const fn byte(self) -> u8 {
        match self {
            Os::Linux => 5,
        }
    }

    /// `mkimage -O` spelling.
    pub const fn mkimage_name(self) -> &'static str {
        match self {
            Os::Linux => "linux",
        }
    }
}

/// Image type byte (`IH_TYPE_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageType {
    /// `IH_TYPE_KERNEL` (2).
    Kernel,
    /// `IH_TYPE_SCRIPT` (6): a boot script for `source`.
    Script,
}

impl ImageType {
    /// The header byte.
    pub const fn byte(self) -> u8 {
        match self {
            ImageType::Kernel => 2,
            ImageType::Script => 6,
        }
    }

    /// `mkimage -T` spelling.
    pub const fn mkimage_name(self) -> &'static str {
        match self {
            ImageType::Kernel => "kernel",
            ImageType::Script => "script",
        }
    }
}

/// What to put in a header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    /// OS byte.
    pub os: Os,
    /// Type byte.
    pub image_type: ImageType,
    /// Where `bootm` copies the data.
    pub load: u32,
    /// Where `bootm` jumps.
    pub entry: u32,
    /// The image name (at most 31 bytes).
    pub name: String,
    /// Creation time, seconds since 1970.
    pub time: u32,
}

/// A header as read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Header CRC-32 as stored.
    pub header_crc: u32,
    /// Creation time.
    pub time: u32,
    /// Data bytes.
    pub size: u32,
    /// Load address.
    pub load: u32,
    /// Entry point.
    pub entry: u32,
    /// Data CRC-32 as stored.
    pub data_crc: u32,
    /// OS byte.
    pub os: u8,
    /// Architecture byte.
    pub arch: u8,
    /// Type byte.
    pub image_type: u8,
    /// Compression byte.
    pub compression: u8,
    /// The name, up to its first NUL.
    pub name: String,
}

/// Why an image cannot be made or read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UImageError {
    /// The name does not fit the header.
    NameTooLong(usize),
    /// The data is 4 GiB or more.
    DataTooLarge(usize),
    /// Fewer than 64 bytes.
    TooShort(usize),
    /// The magic number is wrong.
    BadMagic(u32),
    /// The header CRC does not match.
    HeaderCrc { stored: u32, computed: u32 },
    /// Fewer data bytes than the header declares.
    Truncated { declared: u32, present: usize },
    /// The data CRC does not match.
    DataCrc { stored: u32, computed: u32 },
}

impl fmt::Display for UImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UImageError::NameTooLong(n) => write!(
                f,
                "image name of {n} bytes does not fit the {} the header holds",
                NAME_LEN - 1
            ),
            UImageError::DataTooLarge(n) => write!(f, "{n} bytes of data is too large"),
            UImageError::TooShort(n) => write!(f, "{n} bytes is shorter than a header"),
            UImageError::BadMagic(m) => write!(f, "magic {m:#010x} is not a U-Boot image's"),
            UImageError::HeaderCrc { stored, computed } => write!(
                f,
                "header CRC {stored:#010x} does not match the header ({computed:#010x})"
            ),
            UImageError::Truncated { declared, present } => write!(
                f,
                "header declares {declared} data bytes but {present} follow"
            ),
            UImageError::DataCrc { stored, computed } => write!(
                f,
                "data CRC {stored:#010x} does not match the data ({computed:#010x})"
            ),
        }
    }
}

impl std::error::Error for UImageError {}

/// The header for `spec` over `data`.
pub fn header(spec: &Spec, data: &[u8]) -> Result<[u8; HEADER_LEN], UImageError> {
    if spec.name.len() >= NAME_LEN {
        return Err(UImageError::NameTooLong(spec.name.len()));
    }
    let size = u32::try_from(data.len()).map_err(|_| UImageError::DataTooLarge(data.len()))?;
    let mut h = [0u8; HEADER_LEN];
    h[0..4].copy_from_slice(&MAGIC.to_be_bytes());
    h[8..12].copy_from_slice(&spec.time.to_be_bytes());
    h[12..16].copy_from_slice(&size.to_be_bytes());
    h[16..20].copy_from_slice(&spec.load.to_be_bytes());
    h[20..24].copy_from_slice(&spec.entry.to_be_bytes());
    h[24..28].copy_from_slice(&crc32fast::hash(data).to_be_bytes());
    h[28] = spec.os.byte();
    h[29] = ARCH_ARM;
    h[30] = spec.image_type.byte();
    h[31] = COMPRESSION_NONE;
    h[32..32 + spec.name.len()].copy_from_slice(spec.name.as_bytes());
    let header_crc = crc32fast::hash(&h);
    h[4..8].copy_from_slice(&header_crc.to_be_bytes());
    Ok(h)
}

/// A whole image: header, then `data`.
pub fn image(spec: &Spec, data: &[u8]) -> Result<Vec<u8>, UImageError> {
    let mut out = header(spec, data)?.to_vec();
    out.extend_from_slice(data);
    Ok(out)
}

/// The data of a script image holding `script`, as `mkimage -T script`
/// lays it out for one file: its size, a zero word, the script.
pub fn script_data(script: &str) -> Vec<u8> {
    let mut data = Vec::with_capacity(script.len() + 8);
    data.extend_from_slice(&(script.len() as u32).to_be_bytes());
    data.extend_from_slice(&0u32.to_be_bytes());
    data.extend_from_slice(script.as_bytes());
    data
}

/// Reads and checks an image: magic, both CRCs and the size. Returns the
/// header and the data.
pub fn parse(bytes: &[u8]) -> Result<(Header, &[u8]), UImageError> {
    if bytes.len() < HEADER_LEN {
        return Err(UImageError::TooShort(bytes.len()));
    }
    let word =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let magic = word(0);
    if magic != MAGIC {
        return Err(UImageError::BadMagic(magic));
    }
    let mut zeroed = [0u8; HEADER_LEN];
    zeroed.copy_from_slice(&bytes[..HEADER_LEN]);
    zeroed[4..8].fill(0);
    let header_crc = word(4);
    let computed = crc32fast::hash(&zeroed);
    if computed != header_crc {
        return Err(UImageError::HeaderCrc {
            stored: header_crc,
            computed,
        });
    }
    let size = word(12);
    let rest = &bytes[HEADER_LEN..];
    let data = rest.get(..size as usize).ok_or(UImageError::Truncated {
        declared: size,
        present: rest.len(),
    })?;
    let data_crc = word(24);
    let computed = crc32fast::hash(data);
    if computed != data_crc {
        return Err(UImageError::DataCrc {
            stored: data_crc,
            computed,
        });
    }
    let name = &bytes[32..64];
    let name_end = name.iter().position(|&b| b == 0).unwrap_or(NAME_LEN);
    Ok((
        Header {
            header_crc,
            time: word(8),
            size,
            load: word(16),
            entry: word(20),
            data_crc,
            os: bytes[28],
            arch: bytes[29],
            image_type: bytes[30],
            compression: bytes[31],
            name: String::from_utf8_lossy(&name[..name_end]).into_owned(),
        },
        data,
    ))
}

/// The `mkimage` arguments that make the same image from the file `data`
/// into `out` (given `SOURCE_DATE_EPOCH` = `spec.time`).
pub fn mkimage_args(spec: &Spec, data: &str, out: &str) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "-A".into(),
        "arm".into(),
        "-O".into(),
        spec.os.mkimage_name().into(),
        "-T".into(),
        spec.image_type.mkimage_name().into(),
        "-C".into(),
        "none".into(),
    ];
    if spec.image_type != ImageType::Script {
        args.extend([
            "-a".into(),
            format!("{:#010x}", spec.load),
            "-e".into(),
            format!("{:#010x}", spec.entry),
        ]);
    }
    args.extend([
        "-n".into(),
        spec.name.clone(),
        "-d".into(),
        data.into(),
        out.into(),
    ]);
    args
}

/// Seconds since 1970 for a new image: `SOURCE_DATE_EPOCH` if set (as
/// `mkimage` does, for reproducible images), else the clock.
pub fn timestamp() -> u32 {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kernel_spec() -> Spec {
        Spec {
            os: Os::Linux,
            image_type: ImageType::Kernel,
            load: 0x0100_0000,
            entry: 0x0100_0000,
            name: "tmem-kernel tegra20-harmony".into(),
            time: 1_700_000_000,
        }
    }

    #[test]
    fn header_fields_are_big_endian_at_their_offsets() {
        let data = b"\x01\x02\x03\x04kernel";
        let h = header(&kernel_spec(), data).unwrap();
        assert_eq!(&h[0..4], &[0x27, 0x05, 0x19, 0x56]);
        assert_eq!(&h[12..16], &(data.len() as u32).to_be_bytes());
        assert_eq!(&h[16..20], &[0x01, 0x00, 0x00, 0x00], "load");
        assert_eq!(&h[20..24], &[0x01, 0x00, 0x00, 0x00], "entry");
        assert_eq!(&h[24..28], &crc32fast::hash(data).to_be_bytes());
        assert_eq!(&h[28..32], &[5, 2, 2, 0], "linux, arm, kernel, none");
        assert_eq!(&h[32..59], b"tmem-kernel tegra20-harmony");
        assert!(h[59..].iter().all(|&b| b == 0));
        let mut zeroed = h;
        zeroed[4..8].fill(0);
        assert_eq!(&h[4..8], &crc32fast::hash(&zeroed).to_be_bytes());
    }

    #[test]
    fn crc32_is_the_ieee_one_u_boot_uses() {
        // The standard check value of CRC-32/ISO-HDLC.
        assert_eq!(crc32fast::hash(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn images_round_trip_and_damage_is_caught() {
        let data = vec![0xA5; 1000];
        let bytes = image(&kernel_spec(), &data).unwrap();
        let (h, back) = parse(&bytes).unwrap();
        assert_eq!(back, &data[..]);
        assert_eq!((h.load, h.entry, h.size), (0x0100_0000, 0x0100_0000, 1000));
        assert_eq!((h.os, h.arch, h.image_type, h.compression), (5, 2, 2, 0));
        assert_eq!(h.name, "tmem-kernel tegra20-harmony");

        let mut bad = bytes.clone();
        bad[100] ^= 1;
        assert!(matches!(parse(&bad), Err(UImageError::DataCrc { .. })));
        let mut bad = bytes.clone();
        bad[17] ^= 1;
        assert!(matches!(parse(&bad), Err(UImageError::HeaderCrc { .. })));
        let mut bad = bytes.clone();
        bad[0] = 0;
        assert!(matches!(parse(&bad), Err(UImageError::BadMagic(_))));
        assert!(matches!(
            parse(&bytes[..500]),
            Err(UImageError::Truncated { .. })
        ));
        assert_eq!(parse(&bytes[..10]), Err(UImageError::TooShort(10)));
    }

    #[test]
    fn long_names_are_refused() {
        let mut spec = kernel_spec();
        spec.name = "x".repeat(32);
        assert_eq!(header(&spec, b""), Err(UImageError::NameTooLong(32)));
        spec.name = "x".repeat(31);
        assert!(header(&spec, b"").is_ok());
    }

    #[test]
    fn script_data_has_a_size_table() {
        let data = script_data("echo hi\n");
        assert_eq!(&data[..8], &[0, 0, 0, 8, 0, 0, 0, 0]);
        assert_eq!(&data[8..], b"echo hi\n");
    }

    /// A scratch directory for one test.
    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-uimage-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn u_boot_tool(name: &str) -> Option<std::path::PathBuf> {
        let found = crate::toolchain::which(name);
        if found.is_none() {
            println!("skipped: `{name}` is not installed (apt-get install u-boot-tools)");
        }
        found
    }

    #[test]
    fn mkimage_makes_the_same_bytes_where_installed() {
        let Some(mkimage) = u_boot_tool("mkimage") else {
            return;
        };
        let dir = scratch("mkimage");
        let data: Vec<u8> = (0..5000u32).map(|i| (i * 7) as u8).collect();
        let script = "echo hello from a script\n";
        let cases = [
            (kernel_spec(), data.clone()),
            (
                Spec {
                    image_type: ImageType::Script,
                    name: "tmem-kernel boot script".into(),
                    load: 0,
                    entry: 0,
                    ..kernel_spec()
                },
                script.as_bytes().to_vec(),
            ),
        ];
        for (spec, input) in cases {
            let input_path = dir.join("input");
            let out_path = dir.join("out");
            std::fs::write(&input_path, &input).unwrap();
            let status = std::process::Command::new(&mkimage)
                .args(mkimage_args(
                    &spec,
                    input_path.to_str().unwrap(),
                    out_path.to_str().unwrap(),
                ))
                .env("SOURCE_DATE_EPOCH", spec.time.to_string())
                .stdout(std::process::Stdio::null())
                .status()
                .unwrap();
            assert!(status.success());
            let theirs = std::fs::read(&out_path).unwrap();
            let data = match spec.image_type {
                ImageType::Script => script_data(script),
                ImageType::Kernel => input,
            };
            assert_eq!(
                image(&spec, &data).unwrap(),
                theirs,
                "{:?}",
                spec.image_type
            );
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn dumpimage_reads_our_header_where_installed() {
        let Some(dumpimage) = u_boot_tool("dumpimage") else {
            return;
        };
        let dir = scratch("dumpimage");
        let path = dir.join("kernel.uimg");
        std::fs::write(&path, image(&kernel_spec(), &[1, 2, 3, 4, 5]).unwrap()).unwrap();
        let out = std::process::Command::new(dumpimage)
            .arg("-l")
            .arg(&path)
            .output()
            .unwrap();
        let listing = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{listing}");
        assert!(listing.contains("tmem-kernel tegra20-harmony"), "{listing}");
        assert!(
            listing.contains("ARM Linux Kernel Image (uncompressed)"),
            "{listing}"
        );
        assert!(listing.contains("Load Address: 01000000"), "{listing}");
        assert!(listing.contains("Entry Point:  01000000"), "{listing}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn equivalent_mkimage_command() {
        let args = mkimage_args(&kernel_spec(), "k.bin", "k.uimg").join(" ");
        assert_eq!(
            args,
            "-A arm -O linux -T kernel -C none -a 0x01000000 -e 0x01000000 \
             -n tmem-kernel tegra20-harmony -d k.bin k.uimg"
        );
    }
}
