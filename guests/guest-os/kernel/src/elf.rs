//! Reading a guest program's ELF file: the checks and the segment list the
//! guest kernel needs to load it into a process (areas of the right
//! protection, the bytes to copy, the entry point).
//!
//! Only what the guest programs are: 32-bit little-endian ARM executables
//! with page-aligned loadable segments. The file is untrusted input: every
//! offset and size is checked against the file and the address space, a
//! segment both writable and executable is refused, and nothing here
//! panics or indexes out of bounds.

use alloc::vec::Vec;

use guest_mm::{Protection, PAGE_SIZE};

/// The highest address (exclusive) a program may occupy.
pub const USER_TOP: u32 = 0x8000_0000;

const PT_LOAD: u32 = 1;
const PF_X: u32 = 1;
const PF_W: u32 = 2;
const PF_R: u32 = 4;
const EM_ARM: u16 = 40;
const ET_EXEC: u16 = 2;
const HEADER_BYTES: usize = 52;
const PROGRAM_HEADER_BYTES: usize = 32;

/// Why a file is not a loadable guest program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfError {
    /// Shorter than its headers say.
    Truncated,
    /// Not a 32-bit little-endian ARM executable (version 1).
    NotArmExecutable,
    /// A program header of another size than ELF32's.
    BadProgramHeaderSize,
    /// A loadable segment not at a page boundary.
    Unaligned {
        /// Its address.
        address: u32,
    },
    /// A segment with more file bytes than memory, or past the user top.
    BadSize {
        /// Its address.
        address: u32,
    },
    /// A segment both writable and executable, or neither readable.
    BadFlags {
        /// Its address.
        address: u32,
    },
    /// Two loadable segments share a page.
    Overlap {
        /// The later one's address.
        address: u32,
    },
    /// No loadable segment, or the entry point is not in an executable one.
    BadEntry,
}

impl ElfError {
    /// A short name for logs.
    pub const fn name(self) -> &'static str {
        match self {
            ElfError::Truncated => "truncated",
            ElfError::NotArmExecutable => "not an ARM executable",
            ElfError::BadProgramHeaderSize => "bad program header size",
            ElfError::Unaligned { .. } => "unaligned segment",
            ElfError::BadSize { .. } => "bad segment size",
            ElfError::BadFlags { .. } => "writable and executable, or unreadable",
            ElfError::Overlap { .. } => "overlapping segments",
            ElfError::BadEntry => "entry not in code",
        }
    }
}

/// One loadable segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment<'a> {
    /// Its first address (page-aligned).
    pub address: u32,
    /// Bytes of memory it occupies; those past `data` are zeros.
    pub memory_len: u32,
    /// The bytes to copy to `address`.
    pub data: &'a [u8],
    /// How the process may use it.
    pub protection: Protection,
}

impl Segment<'_> {
    /// The end of the segment, rounded up to a page.
    pub fn end_page(&self) -> u32 {
        page_up(self.address + self.memory_len)
    }
}

/// A checked program: where it starts and what to load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program<'a> {
    /// The entry point.
    pub entry: u32,
    /// The loadable segments, by address.
    pub segments: Vec<Segment<'a>>,
}

impl Program<'_> {
    /// The first page above every segment (where the heap can start).
    pub fn image_end(&self) -> u32 {
        self.segments
            .iter()
            .map(Segment::end_page)
            .max()
            .unwrap_or(0)
    }
}

fn page_up(address: u32) -> u32 {
    let mask = PAGE_SIZE as u32 - 1;
    address.saturating_add(mask) & !mask
}

fn u16_at(bytes: &[u8], at: usize) -> Result<u16, ElfError> {
    let b = bytes.get(at..at + 2).ok_or(ElfError::Truncated)?;
    Ok(u16::from_le_bytes([b[0], b[1]]))
}

fn u32_at(bytes: &[u8], at: usize) -> Result<u32, ElfError> {
    let b = bytes.get(at..at + 4).ok_or(ElfError::Truncated)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn protection(flags: u32, address: u32) -> Result<Protection, ElfError> {
    match flags & (PF_R | PF_W | PF_X) {
        PF_R => Ok(Protection::Read),
        f if f == PF_R | PF_W => Ok(Protection::ReadWrite),
        f if f == PF_R | PF_X => Ok(Protection::ReadExecute),
        _ => Err(ElfError::BadFlags { address }),
    }
}

/// Checks `bytes` and lists what to load.
pub fn parse(bytes: &[u8]) -> Result<Program<'_>, ElfError> {
    let ident = bytes.get(..HEADER_BYTES).ok_or(ElfError::Truncated)?;
    // Magic, 32-bit class, little-endian data, ident version 1.
    if ident[..7] != [0x7f, b'E', b'L', b'F', 1, 1, 1]
        || u16_at(bytes, 16)? != ET_EXEC
        || u16_at(bytes, 18)? != EM_ARM
        || u32_at(bytes, 20)? != 1
    {
        return Err(ElfError::NotArmExecutable);
    }
    let entry = u32_at(bytes, 24)?;
    let table = u32_at(bytes, 28)? as usize;
    if usize::from(u16_at(bytes, 42)?) != PROGRAM_HEADER_BYTES {
        return Err(ElfError::BadProgramHeaderSize);
    }
    let count = usize::from(u16_at(bytes, 44)?);
    let mut segments: Vec<Segment<'_>> = Vec::new();
    for index in 0..count {
        let at = index
            .checked_mul(PROGRAM_HEADER_BYTES)
            .and_then(|offset| offset.checked_add(table))
            .ok_or(ElfError::Truncated)?;
        if u32_at(bytes, at)? != PT_LOAD {
            continue;
        }
        let segment = segment(bytes, at)?;
        if segment.memory_len == 0 {
            continue;
        }
        if let Some(last) = segments.last() {
            if segment.address < last.end_page() {
                return Err(ElfError::Overlap {
                    address: segment.address,
                });
            }
        }
        segments.push(segment);
    }
    let runs_code = segments.iter().any(|s| {
        s.protection == Protection::ReadExecute
            && (s.address..s.address + s.memory_len).contains(&entry)
    });
    if !runs_code {
        return Err(ElfError::BadEntry);
    }
    Ok(Program { entry, segments })
}

/// The program header at `at`, checked.
fn segment(bytes: &[u8], at: usize) -> Result<Segment<'_>, ElfError> {
    let offset = u32_at(bytes, at + 4)? as usize;
    let address = u32_at(bytes, at + 8)?;
    let file_len = u32_at(bytes, at + 16)?;
    let memory_len = u32_at(bytes, at + 20)?;
    let flags = u32_at(bytes, at + 24)?;
    if !address.is_multiple_of(PAGE_SIZE as u32) {
        return Err(ElfError::Unaligned { address });
    }
    let fits = address
        .checked_add(memory_len)
        .is_some_and(|end| end <= USER_TOP);
    if file_len > memory_len || !fits {
        return Err(ElfError::BadSize { address });
    }
    let data = offset
        .checked_add(file_len as usize)
        .and_then(|end| bytes.get(offset..end))
        .ok_or(ElfError::Truncated)?;
    Ok(Segment {
        address,
        memory_len,
        data,
        protection: protection(flags, address)?,
    })
}
