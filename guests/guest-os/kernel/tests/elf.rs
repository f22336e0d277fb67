//! The ELF reader on files built here: a good program lists its segments
//! with the right protections and bytes; every kind of bad file (short,
//! foreign, misaligned, oversized, writable code, overlapping, entry
//! outside code) is refused with its reason; and no byte string at all
//! makes it panic.

use guest_mm::Protection;
use guest_os_kernel::elf::{parse, ElfError, USER_TOP};
use proptest::prelude::*;

/// (address, file bytes, memory length, flags)
type Seg = (u32, Vec<u8>, u32, u32);

const RX: u32 = 5;
const R: u32 = 4;
const RW: u32 = 6;
const RWX: u32 = 7;

fn elf(entry: u32, segments: &[Seg]) -> Vec<u8> {
    let table = 52u32;
    let mut data_at = table + 32 * segments.len() as u32;
    let mut out = vec![0x7f, b'E', b'L', b'F', 1, 1, 1];
    out.resize(16, 0);
    out.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    out.extend_from_slice(&40u16.to_le_bytes()); // EM_ARM
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&entry.to_le_bytes());
    out.extend_from_slice(&table.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes()); // section headers
    out.extend_from_slice(&0x0500_0200u32.to_le_bytes());
    out.extend_from_slice(&52u16.to_le_bytes());
    out.extend_from_slice(&32u16.to_le_bytes());
    out.extend_from_slice(&(segments.len() as u16).to_le_bytes());
    out.extend_from_slice(&[0; 6]);
    assert_eq!(out.len(), 52);
    for (address, bytes, memory, flags) in segments {
        for word in [
            1,
            data_at,
            *address,
            *address,
            bytes.len() as u32,
            *memory,
            *flags,
            4096,
        ] {
            out.extend_from_slice(&word.to_le_bytes());
        }
        data_at += bytes.len() as u32;
    }
    for (_, bytes, _, _) in segments {
        out.extend_from_slice(bytes);
    }
    out
}

fn good() -> Vec<Seg> {
    vec![
        (0x1_0000, vec![0xAA; 300], 300, RX),
        (0x1_1000, vec![0xBB; 10], 10, R),
        (0x1_2000, vec![0xCC; 20], 9000, RW),
    ]
}

#[test]
fn a_good_program_lists_its_segments() {
    let bytes = elf(0x1_0000, &good());
    let program = parse(&bytes).expect("a good program");
    assert_eq!(program.entry, 0x1_0000);
    let seen: Vec<_> = program
        .segments
        .iter()
        .map(|s| (s.address, s.data.to_vec(), s.memory_len, s.protection))
        .collect();
    assert_eq!(
        seen,
        vec![
            (0x1_0000, vec![0xAA; 300], 300, Protection::ReadExecute),
            (0x1_1000, vec![0xBB; 10], 10, Protection::Read),
            (0x1_2000, vec![0xCC; 20], 9000, Protection::ReadWrite),
        ]
    );
    assert_eq!(program.image_end(), 0x1_5000);
}

#[test]
fn bad_programs_are_refused_with_their_reason() {
    let mut segs = good();
    segs[2].0 = 0x1_2010;
    assert_eq!(
        parse(&elf(0x1_0000, &segs)),
        Err(ElfError::Unaligned { address: 0x1_2010 })
    );

    let mut segs = good();
    segs[1].2 = 5; // fewer memory bytes than file bytes
    assert_eq!(
        parse(&elf(0x1_0000, &segs)),
        Err(ElfError::BadSize { address: 0x1_1000 })
    );

    let segs = vec![(USER_TOP - 0x1000, vec![0; 4], 0x2000, RX)];
    assert_eq!(
        parse(&elf(USER_TOP - 0x1000, &segs)),
        Err(ElfError::BadSize {
            address: USER_TOP - 0x1000
        })
    );

    let mut segs = good();
    segs[0].3 = RWX;
    assert_eq!(
        parse(&elf(0x1_0000, &segs)),
        Err(ElfError::BadFlags { address: 0x1_0000 })
    );

    let mut segs = good();
    segs[1].0 = 0x1_0000;
    assert_eq!(
        parse(&elf(0x1_0000, &segs)),
        Err(ElfError::Overlap { address: 0x1_0000 })
    );

    // The entry in data, and past every segment.
    assert_eq!(parse(&elf(0x1_2000, &good())), Err(ElfError::BadEntry));
    assert_eq!(parse(&elf(0x9_0000, &good())), Err(ElfError::BadEntry));

    let mut bytes = elf(0x1_0000, &good());
    bytes[18] = 3; // x86
    assert_eq!(parse(&bytes), Err(ElfError::NotArmExecutable));

    let bytes = elf(0x1_0000, &good());
    assert_eq!(parse(&bytes[..bytes.len() - 1]), Err(ElfError::Truncated));
    assert_eq!(parse(&bytes[..40]), Err(ElfError::Truncated));
}

proptest! {
    #[test]
    fn no_bytes_make_it_panic(mut bytes in prop::collection::vec(any::<u8>(), 0..400), flips in prop::collection::vec((0usize..400, any::<u8>()), 0..8)) {
        let _ = parse(&bytes);
        let mut good = elf(0x1_0000, &good());
        for (at, value) in flips {
            if let Some(byte) = good.get_mut(at) {
                *byte = value;
            }
        }
        let _ = parse(&good);
        bytes.truncate(bytes.len() / 2);
        let _ = parse(&bytes);
    }
}
