//! Reading a process's ELF image: the header and its loadable segments.
//! It only parses and checks (an ARM little-endian 32-bit executable,
//! segments inside the file and below the kernel half, never writable and
//! executable); loading is the guest kernel's.

/// A loadable segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Where its bytes start in the file.
    pub offset: u32,
    /// Where it goes (page aligned).
    pub vaddr: u32,
    /// Bytes from the file.
    pub file_size: u32,
    /// Bytes in memory (the rest zero).
    pub memory_size: u32,
    /// Executable (else, if `writable`, read/write; else read only).
    pub executable: bool,
    /// Writable.
    pub writable: bool,
}

/// Why an image was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfError {
    /// Not an ARM 32-bit little-endian executable.
    NotArmExecutable,
    /// A header or segment lies outside the file, or a segment is
    /// unaligned, in the kernel half, or writable and executable.
    BadSegment,
}

/// The most segments an image may have.
pub const MAX_SEGMENTS: usize = 4;

/// A parsed image.
pub struct Elf<'a> {
    /// The file.
    pub bytes: &'a [u8],
    /// Its entry point.
    pub entry: u32,
    /// Its loadable segments.
    pub segments: [Option<Segment>; MAX_SEGMENTS],
}

fn word(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 4)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn half(bytes: &[u8], at: usize) -> Option<u16> {
    let b = bytes.get(at..at + 2)?;
    Some(u16::from_le_bytes([b[0], b[1]]))
}

impl<'a> Elf<'a> {
    /// Parses `bytes`.
    pub fn parse(bytes: &'a [u8]) -> Result<Elf<'a>, ElfError> {
        let not_arm = ElfError::NotArmExecutable;
        let ident_ok = bytes.get(..6) == Some(&[0x7f, b'E', b'L', b'F', 1, 1][..]);
        if !ident_ok || half(bytes, 16) != Some(2) || half(bytes, 18) != Some(40) {
            return Err(not_arm);
        }
        let entry = word(bytes, 24).ok_or(not_arm)?;
        let phoff = word(bytes, 28).ok_or(not_arm)? as usize;
        let phnum = usize::from(half(bytes, 44).ok_or(not_arm)?);
        if phnum > MAX_SEGMENTS || half(bytes, 42) != Some(32) {
            return Err(ElfError::BadSegment);
        }
        let mut segments = [None; MAX_SEGMENTS];
        for (i, slot) in segments.iter_mut().enumerate().take(phnum) {
            let at = phoff + i * 32;
            let field = |k: usize| word(bytes, at + 4 * k).ok_or(ElfError::BadSegment);
            if field(0)? != 1 {
                continue;
            }
            let segment = Segment {
                offset: field(1)?,
                vaddr: field(2)?,
                file_size: field(4)?,
                memory_size: field(5)?,
                executable: field(6)? & 1 != 0,
                writable: field(6)? & 2 != 0,
            };
            let in_file = (segment.offset as usize)
                .checked_add(segment.file_size as usize)
                .is_some_and(|end| end <= bytes.len());
            let end = segment.vaddr.checked_add(segment.memory_size);
            if !in_file
                || !segment.vaddr.is_multiple_of(4096)
                || segment.file_size > segment.memory_size
                || end.is_none_or(|end| end > 0x8000_0000)
                || (segment.executable && segment.writable)
            {
                return Err(ElfError::BadSegment);
            }
            *slot = Some(segment);
        }
        Ok(Elf {
            bytes,
            entry,
            segments,
        })
    }
}
