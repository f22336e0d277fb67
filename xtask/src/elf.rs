//! Reading what system tests and tools need from an image's ELF: its
//! entry point, load segments and symbol addresses. Read-only.

use std::path::{Path, PathBuf};

use object::{Object, ObjectSegment, ObjectSymbol};

use crate::Error;

/// The facts about an image that tests check.
#[derive(Clone, Debug)]
pub struct ElfInfo {
    /// Where the file is.
    pub path: PathBuf,
    /// `e_entry`.
    pub entry: u64,
    /// `(virtual, physical, size in memory)` of each loadable segment.
    pub segments: Vec<(u64, u64, u64)>,
    symbols: Vec<(String, u64)>,
}

impl ElfInfo {
    /// Reads `path`.
    pub fn read(path: &Path) -> Result<ElfInfo, Error> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        ElfInfo::parse(path, &bytes)
    }

    /// Parses `bytes`, the contents of `path`.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<ElfInfo, Error> {
        let bad = |reason: String| Error::BadElf {
            path: path.to_path_buf(),
            reason,
        };
        let file = object::File::parse(bytes).map_err(|e| bad(e.to_string()))?;
        let mut segments = Vec::new();
        if let object::File::Elf32(elf) = &file {
            use object::read::elf::ProgramHeader;
            let endian = elf.endian();
            for header in elf.elf_program_headers() {
                if header.p_type(endian) == object::elf::PT_LOAD {
                    segments.push((
                        u64::from(header.p_vaddr(endian)),
                        u64::from(header.p_paddr(endian)),
                        u64::from(header.p_memsz(endian)),
                    ));
                }
            }
        } else {
            for segment in file.segments() {
                segments.push((segment.address(), segment.address(), segment.size()));
            }
        }
        let symbols = file
            .symbols()
            .filter_map(|s| Some((s.name().ok()?.to_string(), s.address())))
            .collect();
        Ok(ElfInfo {
            path: path.to_path_buf(),
            entry: file.entry(),
            segments,
            symbols,
        })
    }

    /// The address of symbol `name`.
    pub fn symbol(&self, name: &str) -> Result<u64, Error> {
        self.symbols
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, address)| *address)
            .ok_or_else(|| Error::BadElf {
                path: self.path.clone(),
                reason: format!("no symbol `{name}`"),
            })
    }
}

/// A copy of an ELF32 executable with only what a loader needs: the ELF
/// header, the `PT_LOAD` program headers and their file bytes. Section
/// headers, symbols and debug information are dropped (the full ELF stays
/// on the host for decoding logs and for gdb).
pub fn loadable_only(path: &Path, bytes: &[u8]) -> Result<Vec<u8>, Error> {
    use object::read::elf::{FileHeader, ProgramHeader};
    let bad = |reason: String| Error::BadElf {
        path: path.to_path_buf(),
        reason,
    };
    let header = object::elf::FileHeader32::<object::Endianness>::parse(bytes)
        .map_err(|e| bad(e.to_string()))?;
    let endian = header.endian().map_err(|e| bad(e.to_string()))?;
    let loads: Vec<_> = header
        .program_headers(endian, bytes)
        .map_err(|e| bad(e.to_string()))?
        .iter()
        .filter(|ph| ph.p_type(endian) == object::elf::PT_LOAD)
        .collect();
    const EHDR: usize = 52;
    const PHDR: usize = 32;
    let mut out = bytes
        .get(..EHDR)
        .ok_or_else(|| bad("truncated header".into()))?
        .to_vec();
    let put16 =
        |out: &mut Vec<u8>, at: usize, v: u16| out[at..at + 2].copy_from_slice(&v.to_le_bytes());
    let put32 =
        |out: &mut Vec<u8>, at: usize, v: u32| out[at..at + 4].copy_from_slice(&v.to_le_bytes());
    put32(&mut out, 28, EHDR as u32); // e_phoff
    put32(&mut out, 32, 0); // e_shoff
    put16(&mut out, 42, PHDR as u16); // e_phentsize
    put16(&mut out, 44, loads.len() as u16); // e_phnum
    put16(&mut out, 46, 0); // e_shentsize
    put16(&mut out, 48, 0); // e_shnum
    put16(&mut out, 50, 0); // e_shstrndx
    let mut data_offset = EHDR + PHDR * loads.len();
    let mut data = Vec::new();
    for ph in &loads {
        let start = ph.p_offset(endian) as usize;
        let size = ph.p_filesz(endian) as usize;
        let file_bytes = bytes
            .get(start..start + size)
            .ok_or_else(|| bad("segment outside the file".into()))?;
        for value in [
            object::elf::PT_LOAD,
            data_offset as u32,
            ph.p_vaddr(endian),
            ph.p_paddr(endian),
            size as u32,
            ph.p_memsz(endian),
            ph.p_flags(endian),
            4,
        ] {
            out.extend_from_slice(&value.to_le_bytes());
        }
        data.extend_from_slice(file_bytes);
        data_offset += size;
    }
    out.extend_from_slice(&data);
    Ok(out)
}
