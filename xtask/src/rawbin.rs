//! A raw binary from an ELF: the bytes of every loadable segment placed at
//! its physical address, as a boot loader's `load` then `go` expects.
//!
//! The kernel's `.boot` is linked at its physical address and everything
//! else is loaded right after it (see `kernel/link.x`), so the segments'
//! physical addresses form one short range starting at the load address.
//! Gaps between segments are zero-filled; zero-initialised memory past the
//! last file byte (`.bss`, stacks) is left out, since the kernel clears it.
//! Nothing here reads or writes files.

use std::fmt;

use object::elf::{FileHeader32, PT_LOAD};
use object::read::elf::{FileHeader, ProgramHeader};
use object::Endianness;

/// The most bytes a raw image may span: anything larger means the
/// segments are scattered, not an image to load in one piece.
pub const MAX_SPAN: u64 = 64 << 20;

/// A raw binary and where it belongs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawImage {
    /// Physical address of the first byte.
    pub load: u32,
    /// Physical address execution starts at.
    pub entry: u32,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// Why an ELF cannot become a raw binary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RawBinaryError {
    /// Not a 32-bit little-endian ARM ELF (or not parseable).
    NotArmElf(String),
    /// No loadable segment holds any file bytes.
    NothingToLoad,
    /// Two segments claim the same physical bytes.
    Overlap { first: u32, second: u32 },
    /// The segments span more than [`MAX_SPAN`].
    TooLarge { span: u64 },
    /// A segment's bytes are not inside the file.
    Truncated { segment: u32 },
    /// The entry point is in no loadable segment.
    EntryOutside { entry: u32 },
}

impl fmt::Display for RawBinaryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RawBinaryError::NotArmElf(why) => write!(f, "not a 32-bit ARM ELF: {why}"),
            RawBinaryError::NothingToLoad => write!(f, "no loadable segment has any bytes"),
            RawBinaryError::Overlap { first, second } => write!(
                f,
                "segments at physical {first:#010x} and {second:#010x} overlap"
            ),
            RawBinaryError::TooLarge { span } => write!(
                f,
                "loadable segments span {span} bytes (more than {MAX_SPAN}): not one image"
            ),
            RawBinaryError::Truncated { segment } => {
                write!(f, "segment at physical {segment:#010x} is cut off")
            }
            RawBinaryError::EntryOutside { entry } => {
                write!(f, "entry point {entry:#010x} is in no loadable segment")
            }
        }
    }
}

impl std::error::Error for RawBinaryError {}

/// One loadable segment: physical and virtual address, file bytes, and
/// size in memory.
struct Segment<'a> {
    physical: u32,
    virtual_address: u32,
    bytes: &'a [u8],
    memory_size: u32,
}

/// Makes the raw binary of the ELF file `elf`.
pub fn from_elf(elf: &[u8]) -> Result<RawImage, RawBinaryError> {
    let header = FileHeader32::<Endianness>::parse(elf)
        .map_err(|e| RawBinaryError::NotArmElf(e.to_string()))?;
    let endian = header
        .endian()
        .map_err(|e| RawBinaryError::NotArmElf(e.to_string()))?;
    if header.e_machine(endian) != object::elf::EM_ARM || endian != Endianness::Little {
        return Err(RawBinaryError::NotArmElf(
            "wrong machine or byte order".into(),
        ));
    }
    let headers = header
        .program_headers(endian, elf)
        .map_err(|e| RawBinaryError::NotArmElf(e.to_string()))?;
    let mut segments = Vec::new();
    for ph in headers {
        if ph.p_type(endian) != PT_LOAD {
            continue;
        }
        let physical = ph.p_paddr(endian);
        let bytes = ph
            .data(endian, elf)
            .map_err(|_| RawBinaryError::Truncated { segment: physical })?;
        segments.push(Segment {
            physical,
            virtual_address: ph.p_vaddr(endian),
            bytes,
            memory_size: ph.p_memsz(endian),
        });
    }
    let entry = physical_entry(header.e_entry(endian), &segments)?;
    let mut with_bytes: Vec<&Segment> = segments.iter().filter(|s| !s.bytes.is_empty()).collect();
    with_bytes.sort_by_key(|s| s.physical);
    let (Some(first), Some(last)) = (with_bytes.first(), with_bytes.last()) else {
        return Err(RawBinaryError::NothingToLoad);
    };
    let load = first.physical;
    let end = with_bytes
        .iter()
        .map(|s| u64::from(s.physical) + s.bytes.len() as u64)
        .max()
        .unwrap_or(u64::from(last.physical));
    let span = end - u64::from(load);
    if span > MAX_SPAN {
        return Err(RawBinaryError::TooLarge { span });
    }
    let mut bytes = vec![0u8; span as usize];
    let mut filled_to = 0u64;
    let mut previous = load;
    for segment in &with_bytes {
        let offset = u64::from(segment.physical - load);
        if offset < filled_to {
            return Err(RawBinaryError::Overlap {
                first: previous,
                second: segment.physical,
            });
        }
        let end = offset as usize + segment.bytes.len();
        bytes[offset as usize..end].copy_from_slice(segment.bytes);
        filled_to = end as u64;
        previous = segment.physical;
    }
    Ok(RawImage { load, entry, bytes })
}

/// The physical address of the entry point, which the ELF gives as a
/// virtual one.
fn physical_entry(entry: u32, segments: &[Segment]) -> Result<u32, RawBinaryError> {
    segments
        .iter()
        .find(|s| entry >= s.virtual_address && entry - s.virtual_address < s.memory_size.max(1))
        .map(|s| s.physical + (entry - s.virtual_address))
        .ok_or(RawBinaryError::EntryOutside { entry })
}

#[cfg(test)]
mod tests {
    use super::*;
    /// A minimal little-endian ARM ELF32 with the given
    /// `(vaddr, paddr, bytes, memsz)` load segments and entry.
    fn elf(entry: u32, segments: &[(u32, u32, &[u8], u32)]) -> Vec<u8> {
        const EHDR: usize = 52;
        const PHDR: usize = 32;
        let mut out = vec![0u8; EHDR + PHDR * segments.len()];
        out[..4].copy_from_slice(b"\x7fELF");
        out[4] = 1; // ELFCLASS32
        out[5] = 1; // little-endian
        out[6] = 1; // EV_CURRENT
        let put16 = |out: &mut Vec<u8>, at: usize, v: u16| {
            out[at..at + 2].copy_from_slice(&v.to_le_bytes())
        };
        let put32 = |out: &mut Vec<u8>, at: usize, v: u32| {
            out[at..at + 4].copy_from_slice(&v.to_le_bytes())
        };
        put16(&mut out, 16, object::elf::ET_EXEC);
        put16(&mut out, 18, object::elf::EM_ARM);
        put32(&mut out, 20, 1);
        put32(&mut out, 24, entry);
        put32(&mut out, 28, EHDR as u32); // e_phoff
        put16(&mut out, 40, EHDR as u16); // e_ehsize
        put16(&mut out, 42, PHDR as u16); // e_phentsize
        put16(&mut out, 44, segments.len() as u16); // e_phnum
        put16(&mut out, 46, 40); // e_shentsize
        for (i, (vaddr, paddr, bytes, memsz)) in segments.iter().enumerate() {
            let offset = out.len() as u32;
            let ph = EHDR + PHDR * i;
            put32(&mut out, ph, PT_LOAD);
            put32(&mut out, ph + 4, offset);
            put32(&mut out, ph + 8, *vaddr);
            put32(&mut out, ph + 12, *paddr);
            put32(&mut out, ph + 16, bytes.len() as u32);
            put32(&mut out, ph + 20, *memsz);
            put32(&mut out, ph + 28, 4);
            out.extend_from_slice(bytes);
        }
        out
    }

    #[test]
    fn segments_land_at_their_physical_addresses() {
        let file = elf(
            0x0100_0000,
            &[
                (0x0100_0000, 0x0100_0000, b"boot", 4),
                (0xC100_0010, 0x0100_0010, b"text", 4),
                // bss: memory only, not in the binary.
                (0xC100_0100, 0x0100_0100, b"", 0x1000),
            ],
        );
        let raw = from_elf(&file).unwrap();
        assert_eq!(raw.load, 0x0100_0000);
        assert_eq!(raw.entry, 0x0100_0000);
        assert_eq!(raw.bytes.len(), 0x14);
        assert_eq!(&raw.bytes[..4], b"boot");
        assert!(
            raw.bytes[4..0x10].iter().all(|&b| b == 0),
            "gap zero-filled"
        );
        assert_eq!(&raw.bytes[0x10..], b"text");
    }

    #[test]
    fn a_virtual_entry_is_translated() {
        let file = elf(0xC100_0014, &[(0xC100_0010, 0x0100_0010, b"textcode", 8)]);
        assert_eq!(from_elf(&file).unwrap().entry, 0x0100_0014);
    }

    #[test]
    fn bad_layouts_are_refused() {
        let overlap = elf(
            0x100,
            &[(0x100, 0x100, b"abcdefgh", 8), (0x104, 0x104, b"xy", 2)],
        );
        assert_eq!(
            from_elf(&overlap),
            Err(RawBinaryError::Overlap {
                first: 0x100,
                second: 0x104
            })
        );
        let scattered = elf(
            0x100,
            &[(0x100, 0x100, b"a", 1), (0x1000_0000, 0x1000_0000, b"b", 1)],
        );
        assert!(matches!(
            from_elf(&scattered),
            Err(RawBinaryError::TooLarge { .. })
        ));
        let empty = elf(0x100, &[(0x100, 0x100, b"", 16)]);
        assert_eq!(from_elf(&empty), Err(RawBinaryError::NothingToLoad));
        let lost = elf(0x9000, &[(0x100, 0x100, b"a", 1)]);
        assert_eq!(
            from_elf(&lost),
            Err(RawBinaryError::EntryOutside { entry: 0x9000 })
        );
        assert!(matches!(
            from_elf(b"not an elf"),
            Err(RawBinaryError::NotArmElf(_))
        ));
    }
}
