//! Which image and function a block of guest code belongs to. The kernel
//! and every partition are ELF images; partitions are all linked at the
//! same virtual addresses, so a user block is placed by its code: the
//! image whose bytes at the block's address are the block's bytes. Read-only
//! over the ELF files.

use std::path::Path;

use object::{Object, ObjectSegment, ObjectSymbol, SymbolKind};

use crate::Error;

/// One ELF image: its loaded bytes and its function symbols.
#[derive(Clone, Debug)]
pub struct Image {
    /// What the profile calls it: `kernel` or the partition's name.
    pub name: String,
    /// `(virtual address, file bytes)` of each loadable segment.
    segments: Vec<(u64, Vec<u8>)>,
    /// `(start, size, demangled name)`, sorted by start.
    symbols: Vec<(u64, u64, String)>,
}

impl Image {
    /// Reads the ELF at `path`.
    pub fn read(name: &str, path: &Path) -> Result<Image, Error> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Image::parse(name, &bytes).map_err(|reason| Error::BadElf {
            path: path.to_path_buf(),
            reason,
        })
    }

    /// Parses ELF `bytes`.
    pub fn parse(name: &str, bytes: &[u8]) -> Result<Image, String> {
        let file = object::File::parse(bytes).map_err(|e| e.to_string())?;
        let segments = file
            .segments()
            .filter_map(|s| Some((s.address(), s.data().ok()?.to_vec())))
            .collect();
        let mut symbols: Vec<(u64, u64, String)> = file
            .symbols()
            .filter(|s| s.kind() == SymbolKind::Text && s.address() != 0)
            .filter_map(|s| {
                let name = s.name().ok()?;
                Some((
                    s.address() & !1,
                    s.size(),
                    format!("{:#}", rustc_demangle::demangle(name)),
                ))
            })
            .collect();
        symbols.sort();
        symbols.dedup_by_key(|(start, _, _)| *start);
        Ok(Image {
            name: name.to_string(),
            segments,
            symbols,
        })
    }

    /// An image made of parts, for tests: `segments` and `symbols` as above.
    pub fn from_parts(
        name: &str,
        segments: Vec<(u64, Vec<u8>)>,
        mut symbols: Vec<(u64, u64, String)>,
    ) -> Image {
        symbols.sort();
        Image {
            name: name.to_string(),
            segments,
            symbols,
        }
    }

    /// Whether the image's file bytes at `vaddr` are `code`.
    pub fn holds(&self, vaddr: u64, code: &[u8]) -> bool {
        self.segments.iter().any(|(start, data)| {
            vaddr
                .checked_sub(*start)
                .and_then(|offset| data.get(offset as usize..offset as usize + code.len()))
                == Some(code)
        })
    }

    /// The function at `vaddr`, or the address itself when no symbol
    /// covers it.
    pub fn function_at(&self, vaddr: u64) -> String {
        let index = self
            .symbols
            .partition_point(|(start, _, _)| *start <= vaddr);
        match index.checked_sub(1).map(|i| &self.symbols[i]) {
            Some((start, size, name)) if *size == 0 || vaddr < start + size => name.clone(),
            _ => format!("[{} {vaddr:#x}]", self.name),
        }
    }

    /// The address of the function whose demangled name starts with `prefix`.
    pub fn function_named(&self, prefix: &str) -> Option<u64> {
        self.symbols
            .iter()
            .find(|(_, _, name)| name.starts_with(prefix))
            .map(|(start, _, _)| *start)
    }

    /// The lowest address of any of its segments.
    pub fn lowest_address(&self) -> Option<u64> {
        self.segments.iter().map(|(start, _)| *start).min()
    }
}

/// Where a block's instructions belong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    /// The image's name, or `unknown` when no image holds its code.
    pub image: String,
    /// Each run of its instructions by function: `(function, instructions)`.
    pub functions: Vec<(String, u64)>,
}

/// Places blocks in the kernel and the partitions of one system.
#[derive(Clone, Debug)]
pub struct Symbolizer {
    images: Vec<Image>,
}

impl Symbolizer {
    /// The kernel image first, then the partitions'.
    pub fn new(images: Vec<Image>) -> Symbolizer {
        Symbolizer { images }
    }

    /// The image whose code a block of `insns` instructions at `vaddr` is,
    /// and its instructions by function (A32: every instruction the same
    /// size). When more than one image holds the same bytes at the same
    /// address, the first (the kernel, then partitions in order) is taken.
    pub fn place(&self, vaddr: u64, insns: u64, code: &[u8]) -> Placement {
        let Some(image) = self.images.iter().find(|image| image.holds(vaddr, code)) else {
            return Placement {
                image: "unknown".into(),
                functions: vec![(format!("[unknown {vaddr:#x}]"), insns)],
            };
        };
        let size = match code.len() as u64 {
            0 => 4,
            bytes if insns > 0 && bytes.is_multiple_of(insns) => bytes / insns,
            _ => 0,
        };
        let mut functions: Vec<(String, u64)> = Vec::new();
        for index in 0..insns {
            let name = image.function_at(vaddr + index * size);
            match functions.last_mut() {
                Some((last, count)) if *last == name => *count += 1,
                _ => functions.push((name, 1)),
            }
        }
        Placement {
            image: image.name.clone(),
            functions,
        }
    }

    /// The image called `name`.
    pub fn image(&self, name: &str) -> Option<&Image> {
        self.images.iter().find(|image| image.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(name: &str, code: &[u8], symbols: &[(u64, u64, &str)]) -> Image {
        Image::from_parts(
            name,
            vec![(0x10_0000, code.to_vec())],
            symbols
                .iter()
                .map(|(a, s, n)| (*a, *s, n.to_string()))
                .collect(),
        )
    }

    #[test]
    fn partitions_at_the_same_address_are_told_apart_by_their_code() {
        let prober = image(
            "prober",
            &[1, 1, 1, 1, 2, 2, 2, 2],
            &[(0x10_0000, 8, "main")],
        );
        let server = image(
            "server",
            &[9, 9, 9, 9, 8, 8, 8, 8],
            &[(0x10_0000, 4, "serve"), (0x10_0004, 4, "store::put")],
        );
        let symbols = Symbolizer::new(vec![prober, server]);
        assert_eq!(
            symbols.place(0x10_0000, 2, &[9, 9, 9, 9, 8, 8, 8, 8]),
            Placement {
                image: "server".into(),
                functions: vec![("serve".into(), 1), ("store::put".into(), 1)],
            }
        );
        assert_eq!(
            symbols
                .place(0x10_0000, 2, &[1, 1, 1, 1, 2, 2, 2, 2])
                .functions,
            [("main".to_string(), 2)]
        );
        let unknown = symbols.place(0x10_0000, 1, &[7, 7, 7, 7]);
        assert_eq!(unknown.image, "unknown");
        assert_eq!(unknown.functions[0].1, 1);
    }

    #[test]
    fn addresses_past_a_symbol_are_named_by_address() {
        let prober = image("prober", &[0; 16], &[(0x10_0000, 4, "a")]);
        assert_eq!(prober.function_at(0x10_0000), "a");
        assert_eq!(prober.function_at(0x10_0008), "[prober 0x100008]");
        assert_eq!(prober.function_named("a"), Some(0x10_0000));
        assert!(!prober.holds(0x10_000e, &[0, 0, 0, 0]));
    }
}
