//! Reading partition ELF files: just enough ELF32 to find the loadable
//! segments and the entry point, with every field checked.
//!
//! The ELF comes from the system image, so it is treated as untrusted:
//! nothing is indexed without a bounds check and no arithmetic can
//! overflow. Loading (copying) is the caller's business.

use heapless::Vec;

/// The most loadable segments a partition ELF may have.
pub const MAX_SEGMENTS: usize = 8;
const PAGE: u32 = 4096;

/// Segment permission flags.
pub const PF_X: u32 = 1;
/// Writable.
pub const PF_W: u32 = 2;
/// Readable.
pub const PF_R: u32 = 4;

/// One `PT_LOAD` segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Virtual address (page aligned).
    pub vaddr: u32,
    /// Bytes in memory.
    pub mem_size: u32,
    /// Offset of the file bytes.
    pub offset: u32,
    /// Bytes in the file (the rest of `mem_size` is zero).
    pub file_size: u32,
    /// `PF_*` flags.
    pub flags: u32,
}

impl Segment {
    /// One past the last byte, rounded up to a page.
    pub fn page_end(&self) -> u32 {
        // Cannot overflow: `parse` checked vaddr + mem_size against `limit`.
        (self.vaddr + self.mem_size).next_multiple_of(PAGE)
    }

    /// Whether the segment may be written.
    pub fn writable(&self) -> bool {
        self.flags & PF_W != 0
    }

    /// Whether the segment may be executed.
    pub fn executable(&self) -> bool {
        self.flags & PF_X != 0
    }
}

/// A checked ELF: entry point and loadable segments in address order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Elf {
    /// Entry point.
    pub entry: u32,
    /// Loadable segments, sorted by address, not overlapping.
    pub segments: Vec<Segment, MAX_SEGMENTS>,
}

/// Why an ELF was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfError {
    /// Not a little-endian ELF32 ARM executable.
    NotArmExecutable,
    /// A header or segment lies outside the file.
    Truncated,
    /// More loadable segments than [`MAX_SEGMENTS`].
    TooManySegments,
    /// A segment does not start on a page boundary.
    UnalignedSegment { vaddr: u32 },
    /// A segment's file size exceeds its memory size.
    FileSizeTooLarge { vaddr: u32 },
    /// A segment is both writable and executable.
    WritableAndExecutable { vaddr: u32 },
    /// A segment lies outside the partition's memory.
    OutsidePartition { vaddr: u32 },
    /// Two segments share a page.
    Overlapping { vaddr: u32 },
    /// The entry point is not in an executable segment.
    BadEntry { entry: u32 },
    /// No loadable segment at all.
    Empty,
}

fn u16_at(bytes: &[u8], at: usize) -> Result<u16, ElfError> {
    let b = bytes.get(at..at + 2).ok_or(ElfError::Truncated)?;
    Ok(u16::from_le_bytes([b[0], b[1]]))
}

fn u32_at(bytes: &[u8], at: usize) -> Result<u32, ElfError> {
    let b = bytes.get(at..at + 4).ok_or(ElfError::Truncated)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

impl Elf {
    /// Parses `bytes` and checks that every segment lies in
    /// `base..base + limit`.
    pub fn parse(bytes: &[u8], base: u32, limit: u32) -> Result<Elf, ElfError> {
        let ident = bytes.get(..16).ok_or(ElfError::NotArmExecutable)?;
        // Magic, ELFCLASS32, ELFDATA2LSB, EV_CURRENT.
        if ident[..4] != *b"\x7fELF" || ident[4] != 1 || ident[5] != 1 || ident[6] != 1 {
            return Err(ElfError::NotArmExecutable);
        }
        // ET_EXEC, EM_ARM.
        if u16_at(bytes, 16)? != 2 || u16_at(bytes, 18)? != 40 {
            return Err(ElfError::NotArmExecutable);
        }
        let entry = u32_at(bytes, 24)?;
        let phoff = u32_at(bytes, 28)? as usize;
        let phentsize = u16_at(bytes, 42)? as usize;
        let phnum = u16_at(bytes, 44)? as usize;
        if phentsize < 32 {
            return Err(ElfError::NotArmExecutable);
        }
        let end = base
            .checked_add(limit)
            .ok_or(ElfError::OutsidePartition { vaddr: base })?;
        let mut segments: Vec<Segment, MAX_SEGMENTS> = Vec::new();
        for index in 0..phnum {
            let at = phoff
                .checked_add(index.checked_mul(phentsize).ok_or(ElfError::Truncated)?)
                .ok_or(ElfError::Truncated)?;
            if u32_at(bytes, at)? != 1 {
                continue; // not PT_LOAD
            }
            let segment = Segment {
                offset: u32_at(bytes, at + 4)?,
                vaddr: u32_at(bytes, at + 8)?,
                file_size: u32_at(bytes, at + 16)?,
                mem_size: u32_at(bytes, at + 20)?,
                flags: u32_at(bytes, at + 24)?,
            };
            if segment.mem_size == 0 {
                continue;
            }
            check_segment(&segment, bytes.len(), base, end)?;
            segments
                .push(segment)
                .map_err(|_| ElfError::TooManySegments)?;
        }
        if segments.is_empty() {
            return Err(ElfError::Empty);
        }
        segments.sort_unstable_by_key(|s| s.vaddr);
        for pair in segments.windows(2) {
            if pair[0].page_end() > pair[1].vaddr {
                return Err(ElfError::Overlapping {
                    vaddr: pair[1].vaddr,
                });
            }
        }
        let entry_ok = segments
            .iter()
            .any(|s| s.executable() && entry >= s.vaddr && entry - s.vaddr < s.mem_size);
        if !entry_ok {
            return Err(ElfError::BadEntry { entry });
        }
        Ok(Elf { entry, segments })
    }

    /// One past the end of the highest segment, rounded to a page.
    pub fn end(&self) -> u32 {
        self.segments.last().map_or(0, Segment::page_end)
    }
}

fn check_segment(s: &Segment, file_len: usize, base: u32, end: u32) -> Result<(), ElfError> {
    let vaddr = s.vaddr;
    if !vaddr.is_multiple_of(PAGE) {
        return Err(ElfError::UnalignedSegment { vaddr });
    }
    if s.file_size > s.mem_size {
        return Err(ElfError::FileSizeTooLarge { vaddr });
    }
    if s.writable() && s.executable() {
        return Err(ElfError::WritableAndExecutable { vaddr });
    }
    let file_end = s
        .offset
        .checked_add(s.file_size)
        .ok_or(ElfError::Truncated)?;
    if file_end as usize > file_len {
        return Err(ElfError::Truncated);
    }
    let seg_end = vaddr
        .checked_add(s.mem_size)
        .ok_or(ElfError::OutsidePartition { vaddr })?;
    if vaddr < base || seg_end > end {
        return Err(ElfError::OutsidePartition { vaddr });
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec as StdVec;

    /// Builds a minimal ARM ELF with the given (vaddr, file bytes, mem size,
    /// flags) segments.
    pub(crate) fn elf(entry: u32, segments: &[(u32, &[u8], u32, u32)]) -> StdVec<u8> {
        let phoff = 52u32;
        let data_start = phoff + 32 * segments.len() as u32;
        let mut out = StdVec::new();
        out.extend_from_slice(b"\x7fELF\x01\x01\x01\0\0\0\0\0\0\0\0\0");
        out.extend_from_slice(&2u16.to_le_bytes());
        out.extend_from_slice(&40u16.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&entry.to_le_bytes());
        out.extend_from_slice(&phoff.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes()); // shoff
        out.extend_from_slice(&0u32.to_le_bytes()); // flags
        out.extend_from_slice(&52u16.to_le_bytes());
        out.extend_from_slice(&32u16.to_le_bytes());
        out.extend_from_slice(&(segments.len() as u16).to_le_bytes());
        out.extend_from_slice(&[0; 6]);
        let mut offset = data_start;
        for (vaddr, bytes, mem, flags) in segments {
            for word in [
                1,
                offset,
                *vaddr,
                *vaddr,
                bytes.len() as u32,
                *mem,
                *flags,
                4096,
            ] {
                out.extend_from_slice(&word.to_le_bytes());
            }
            offset += bytes.len() as u32;
        }
        for (_, bytes, _, _) in segments {
            out.extend_from_slice(bytes);
        }
        out
    }

    const BASE: u32 = 0x10_0000;
    const LIMIT: u32 = 0x10_000;

    #[test]
    fn parses_text_and_data() {
        let bytes = elf(
            BASE + 8,
            &[
                (BASE, &[1, 2, 3, 4], 16, PF_R | PF_X),
                (BASE + 0x1000, &[5], 0x2000, PF_R | PF_W),
            ],
        );
        let parsed = Elf::parse(&bytes, BASE, LIMIT).unwrap();
        assert_eq!(parsed.entry, BASE + 8);
        assert_eq!(parsed.segments.len(), 2);
        assert_eq!(parsed.segments[1].mem_size, 0x2000);
        assert_eq!(parsed.end(), BASE + 0x3000);
    }

    #[test]
    fn rejects_overlapping_segments() {
        let bytes = elf(
            BASE,
            &[
                (BASE, &[0; 4], 0x1800, PF_R | PF_X),
                (BASE + 0x1000, &[], 0x100, PF_R | PF_W),
            ],
        );
        assert_eq!(
            Elf::parse(&bytes, BASE, LIMIT),
            Err(ElfError::Overlapping {
                vaddr: BASE + 0x1000
            })
        );
    }

    #[test]
    fn rejects_segments_outside_the_partition() {
        let below = elf(0x1000, &[(0x1000, &[0; 4], 4, PF_R | PF_X)]);
        assert_eq!(
            Elf::parse(&below, BASE, LIMIT),
            Err(ElfError::OutsidePartition { vaddr: 0x1000 })
        );
        let beyond = elf(BASE, &[(BASE, &[0; 4], LIMIT + 1, PF_R | PF_X)]);
        assert_eq!(
            Elf::parse(&beyond, BASE, LIMIT),
            Err(ElfError::OutsidePartition { vaddr: BASE })
        );
        let wrapping = elf(BASE, &[(0xFFFF_F000, &[0; 4], 0x2000, PF_R | PF_X)]);
        assert!(Elf::parse(&wrapping, BASE, LIMIT).is_err());
    }

    #[test]
    fn rejects_bad_headers_and_fields() {
        assert_eq!(
            Elf::parse(b"nope", BASE, LIMIT),
            Err(ElfError::NotArmExecutable)
        );
        let good = elf(BASE, &[(BASE, &[0; 4], 4, PF_R | PF_X)]);
        assert_eq!(
            Elf::parse(&good[..60], BASE, LIMIT),
            Err(ElfError::Truncated)
        );
        let mut x86 = good.clone();
        x86[18] = 3;
        assert_eq!(
            Elf::parse(&x86, BASE, LIMIT),
            Err(ElfError::NotArmExecutable)
        );
        let unaligned = elf(BASE + 4, &[(BASE + 4, &[0; 4], 4, PF_R | PF_X)]);
        assert_eq!(
            Elf::parse(&unaligned, BASE, LIMIT),
            Err(ElfError::UnalignedSegment { vaddr: BASE + 4 })
        );
        let wx = elf(BASE, &[(BASE, &[0; 4], 4, PF_R | PF_W | PF_X)]);
        assert_eq!(
            Elf::parse(&wx, BASE, LIMIT),
            Err(ElfError::WritableAndExecutable { vaddr: BASE })
        );
        let big_file = elf(BASE, &[(BASE, &[0; 8], 4, PF_R | PF_X)]);
        assert_eq!(
            Elf::parse(&big_file, BASE, LIMIT),
            Err(ElfError::FileSizeTooLarge { vaddr: BASE })
        );
        let bad_entry = elf(BASE + 0x1000, &[(BASE, &[0; 4], 4, PF_R | PF_X)]);
        assert_eq!(
            Elf::parse(&bad_entry, BASE, LIMIT),
            Err(ElfError::BadEntry {
                entry: BASE + 0x1000
            })
        );
        let data_entry = elf(BASE, &[(BASE, &[0; 4], 4, PF_R | PF_W)]);
        assert_eq!(
            Elf::parse(&data_entry, BASE, LIMIT),
            Err(ElfError::BadEntry { entry: BASE })
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let good = elf(BASE, &[(BASE, &[0; 4], 4, PF_R | PF_X)]);
        for cut in 0..good.len() {
            let _ = Elf::parse(&good[..cut], BASE, LIMIT);
        }
        for i in 0..good.len() {
            let mut damaged = good.clone();
            damaged[i] ^= 0xFF;
            let _ = Elf::parse(&damaged, BASE, LIMIT);
        }
    }
}
