//! VMSAv7 short-descriptor translation table entries.
//!
//! Bit positions from the Arm Architecture Reference Manual ARMv7-A/R,
//! B3.5 "Short-descriptor translation table format", with TEX remap and
//! the access flag disabled (SCTLR.TRE = SCTLR.AFE = 0). Every function is
//! `const` so boot tables can be computed at compile time. Nothing here
//! writes a table the MMU is using.

use bitflags::bitflags;

bitflags! {
    /// Bits of a first-level section descriptor besides its type, base and
    /// domain fields.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct SectionBits: u32 {
        /// Bufferable.
        const B = 1 << 2;
        /// Cacheable.
        const C = 1 << 3;
        /// Execute never.
        const XN = 1 << 4;
        /// AP[0].
        const AP0 = 1 << 10;
        /// AP[1].
        const AP1 = 1 << 11;
        /// TEX[0].
        const TEX0 = 1 << 12;
        /// AP[2].
        const AP2 = 1 << 15;
        /// Shareable.
        const S = 1 << 16;
        /// Not global: the entry is tagged with the current ASID.
        const NG = 1 << 17;
    }
}

bitflags! {
    /// Bits of a second-level small-page descriptor besides its base.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct SmallPageBits: u32 {
        /// Execute never.
        const XN = 1 << 0;
        /// Small-page type bit.
        const SMALL_PAGE = 1 << 1;
        /// Bufferable.
        const B = 1 << 2;
        /// Cacheable.
        const C = 1 << 3;
        /// AP[0].
        const AP0 = 1 << 4;
        /// AP[1].
        const AP1 = 1 << 5;
        /// TEX[0].
        const TEX0 = 1 << 6;
        /// AP[2].
        const AP2 = 1 << 9;
        /// Shareable.
        const S = 1 << 10;
        /// Not global.
        const NG = 1 << 11;
    }
}

/// Who may read and write a mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Kernel read/write, user none (AP = 0b001).
    KernelReadWrite,
    /// Kernel read-only, user none (AP = 0b101).
    KernelReadOnly,
    /// Kernel and user read/write (AP = 0b011).
    UserReadWrite,
    /// Kernel and user read-only (AP = 0b111).
    UserReadOnly,
}

impl Access {
    /// AP[2], AP[1], AP[0].
    const fn ap_bits(self) -> (bool, bool, bool) {
        match self {
            Access::KernelReadWrite => (false, false, true),
            Access::KernelReadOnly => (true, false, true),
            Access::UserReadWrite => (false, true, true),
            Access::UserReadOnly => (true, true, true),
        }
    }
}

/// What kind of memory a mapping is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryType {
    /// Normal memory, write-back write-allocate (TEX=001 C=1 B=1).
    Normal,
    /// Normal memory, not cacheable (TEX=001 C=0 B=0).
    NormalUncached,
    /// Shareable device memory (TEX=000 C=0 B=1).
    Device,
    /// Strongly-ordered memory (TEX=000 C=0 B=0).
    StronglyOrdered,
}

impl MemoryType {
    /// TEX[0], C, B.
    const fn tex0_c_b(self) -> (bool, bool, bool) {
        match self {
            MemoryType::Normal => (true, true, true),
            MemoryType::NormalUncached => (true, false, false),
            MemoryType::Device => (false, false, true),
            MemoryType::StronglyOrdered => (false, false, false),
        }
    }
}

/// Everything about a mapping except where it points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attributes {
    /// Read/write permissions.
    pub access: Access,
    /// Memory type and cacheability.
    pub memory: MemoryType,
    /// Whether instructions may be fetched from it.
    pub executable: bool,
    /// Whether the mapping belongs to every address space (kernel) or only
    /// to the current ASID (partitions).
    pub global: bool,
}

impl Attributes {
    /// Kernel text: read-only, executable.
    pub const KERNEL_TEXT: Attributes = Attributes::kernel(Access::KernelReadOnly, true);
    /// Kernel read-only data.
    pub const KERNEL_RODATA: Attributes = Attributes::kernel(Access::KernelReadOnly, false);
    /// Kernel data, stacks and the rest of RAM.
    pub const KERNEL_DATA: Attributes = Attributes::kernel(Access::KernelReadWrite, false);
    /// Kernel code and data in one mapping: only for the boot identity map.
    pub const KERNEL_BOOT: Attributes = Attributes::kernel(Access::KernelReadWrite, true);
    /// Device registers the kernel drives.
    pub const KERNEL_DEVICE: Attributes = Attributes {
        access: Access::KernelReadWrite,
        memory: MemoryType::Device,
        executable: false,
        global: true,
    };

    const fn kernel(access: Access, executable: bool) -> Attributes {
        Attributes {
            access,
            memory: MemoryType::Normal,
            executable,
            global: true,
        }
    }
}

const fn bit(condition: bool, value: u32) -> u32 {
    if condition {
        value
    } else {
        0
    }
}

/// A first-level descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(transparent)]
pub struct L1Entry(pub u32);

/// What a first-level descriptor is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum L1Kind {
    /// Translation fault.
    Fault,
    /// Points at a second-level table at this physical address.
    PageTable { table: usize },
    /// Maps 1 MiB at this physical address.
    Section { base: usize },
    /// A supersection or reserved encoding (never produced here).
    Other,
}

impl L1Entry {
    /// An entry that faults on access.
    pub const FAULT: L1Entry = L1Entry(0);

    /// A 1 MiB section at physical `base` (low 20 bits ignored).
    pub const fn section(base: usize, attrs: Attributes) -> L1Entry {
        let (ap2, ap1, ap0) = attrs.access.ap_bits();
        let (tex0, c, b) = attrs.memory.tex0_c_b();
        let bits = bit(b, SectionBits::B.bits())
            | bit(c, SectionBits::C.bits())
            | bit(!attrs.executable, SectionBits::XN.bits())
            | bit(ap0, SectionBits::AP0.bits())
            | bit(ap1, SectionBits::AP1.bits())
            | bit(tex0, SectionBits::TEX0.bits())
            | bit(ap2, SectionBits::AP2.bits())
            | bit(!attrs.global, SectionBits::NG.bits());
        L1Entry((base as u32 & 0xFFF0_0000) | bits | 0b10)
    }

    /// A pointer to a second-level table at physical `table` (1 KiB
    /// aligned), in domain 0.
    pub const fn page_table(table: usize) -> L1Entry {
        L1Entry((table as u32 & 0xFFFF_FC00) | 0b01)
    }

    /// Decodes the entry's type and address.
    pub const fn kind(self) -> L1Kind {
        match self.0 & 0b11 {
            0b00 => L1Kind::Fault,
            0b01 => L1Kind::PageTable {
                table: (self.0 & 0xFFFF_FC00) as usize,
            },
            0b10 if self.0 & (1 << 18) == 0 => L1Kind::Section {
                base: (self.0 & 0xFFF0_0000) as usize,
            },
            _ => L1Kind::Other,
        }
    }

    /// The section bits, for inspection.
    pub const fn section_bits(self) -> SectionBits {
        SectionBits::from_bits_truncate(self.0)
    }
}

/// A second-level descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(transparent)]
pub struct L2Entry(pub u32);

impl L2Entry {
    /// An entry that faults on access.
    pub const FAULT: L2Entry = L2Entry(0);

    /// A 4 KiB small page at physical `base` (low 12 bits ignored).
    pub const fn small_page(base: usize, attrs: Attributes) -> L2Entry {
        let (ap2, ap1, ap0) = attrs.access.ap_bits();
        let (tex0, c, b) = attrs.memory.tex0_c_b();
        let bits = SmallPageBits::SMALL_PAGE.bits()
            | bit(!attrs.executable, SmallPageBits::XN.bits())
            | bit(b, SmallPageBits::B.bits())
            | bit(c, SmallPageBits::C.bits())
            | bit(ap0, SmallPageBits::AP0.bits())
            | bit(ap1, SmallPageBits::AP1.bits())
            | bit(tex0, SmallPageBits::TEX0.bits())
            | bit(ap2, SmallPageBits::AP2.bits())
            | bit(!attrs.global, SmallPageBits::NG.bits());
        L2Entry((base as u32 & 0xFFFF_F000) | bits)
    }

    /// The physical page this entry maps, if it is a small page.
    pub const fn page(self) -> Option<usize> {
        if self.0 & SmallPageBits::SMALL_PAGE.bits() != 0 {
            Some((self.0 & 0xFFFF_F000) as usize)
        } else {
            None
        }
    }

    /// The page bits, for inspection.
    pub const fn bits(self) -> SmallPageBits {
        SmallPageBits::from_bits_truncate(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL_ACCESS: [Access; 4] = [
        Access::KernelReadWrite,
        Access::KernelReadOnly,
        Access::UserReadWrite,
        Access::UserReadOnly,
    ];
    const ALL_MEMORY: [MemoryType; 4] = [
        MemoryType::Normal,
        MemoryType::NormalUncached,
        MemoryType::Device,
        MemoryType::StronglyOrdered,
    ];

    #[test]
    fn kernel_data_section_matches_hand_encoding() {
        // base | AP=001 (bit 10) | TEX=001 (bit 12) | C | B | XN | type 10
        let entry = L1Entry::section(0x6010_0000, Attributes::KERNEL_DATA);
        assert_eq!(
            entry.0,
            0x6010_0000 | 1 << 10 | 1 << 12 | 1 << 3 | 1 << 2 | 1 << 4 | 0b10
        );
        assert_eq!(entry.kind(), L1Kind::Section { base: 0x6010_0000 });
    }

    #[test]
    fn device_section_is_bufferable_uncached_and_never_executable() {
        let entry = L1Entry::section(0x1000_0000, Attributes::KERNEL_DEVICE);
        let bits = entry.section_bits();
        assert!(bits.contains(SectionBits::B | SectionBits::XN));
        assert!(!bits.intersects(SectionBits::C | SectionBits::TEX0));
    }

    #[test]
    fn every_access_and_memory_type_encodes_the_same_in_sections_and_pages() {
        for access in ALL_ACCESS {
            for memory in ALL_MEMORY {
                for executable in [false, true] {
                    for global in [false, true] {
                        let attrs = Attributes {
                            access,
                            memory,
                            executable,
                            global,
                        };
                        let s = L1Entry::section(0x8000_0000, attrs).section_bits();
                        let p = L2Entry::small_page(0x8000_1000, attrs).bits();
                        let pairs = [
                            (SectionBits::B, SmallPageBits::B),
                            (SectionBits::C, SmallPageBits::C),
                            (SectionBits::XN, SmallPageBits::XN),
                            (SectionBits::AP0, SmallPageBits::AP0),
                            (SectionBits::AP1, SmallPageBits::AP1),
                            (SectionBits::AP2, SmallPageBits::AP2),
                            (SectionBits::TEX0, SmallPageBits::TEX0),
                            (SectionBits::NG, SmallPageBits::NG),
                        ];
                        for (sb, pb) in pairs {
                            assert_eq!(s.contains(sb), p.contains(pb), "{attrs:?} {sb:?}");
                        }
                        assert_eq!(s.contains(SectionBits::XN), !executable);
                        assert_eq!(s.contains(SectionBits::NG), !global);
                    }
                }
            }
        }
    }

    #[test]
    fn access_permission_encodings() {
        let ap = |access| {
            let p = L2Entry::small_page(
                0,
                Attributes {
                    access,
                    ..Attributes::KERNEL_DATA
                },
            )
            .bits();
            (
                p.contains(SmallPageBits::AP2) as u8,
                p.contains(SmallPageBits::AP1) as u8,
                p.contains(SmallPageBits::AP0) as u8,
            )
        };
        assert_eq!(ap(Access::KernelReadWrite), (0, 0, 1));
        assert_eq!(ap(Access::KernelReadOnly), (1, 0, 1));
        assert_eq!(ap(Access::UserReadWrite), (0, 1, 1));
        assert_eq!(ap(Access::UserReadOnly), (1, 1, 1));
    }

    #[test]
    fn page_table_pointer_keeps_only_its_aligned_address() {
        let entry = L1Entry::page_table(0x6020_0400);
        assert_eq!(entry.0, 0x6020_0401);
        assert_eq!(entry.kind(), L1Kind::PageTable { table: 0x6020_0400 });
        assert_eq!(L1Entry::FAULT.kind(), L1Kind::Fault);
    }

    #[test]
    fn small_page_round_trips_its_base() {
        let entry = L2Entry::small_page(0x6123_4567, Attributes::KERNEL_TEXT);
        assert_eq!(entry.page(), Some(0x6123_4000));
        assert!(!entry.bits().contains(SmallPageBits::XN));
        assert_eq!(L2Entry::FAULT.page(), None);
    }
}
