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
        let bad = |reason: String| Error::BadElf {
            path: path.to_path_buf(),
            reason,
        };
        let file = object::File::parse(&*bytes).map_err(|e| bad(e.to_string()))?;
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
