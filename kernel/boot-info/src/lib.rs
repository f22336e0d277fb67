//! The system image: what `xtask` compiles a system description into and
//! what the kernel boots from.
//!
//! ```text
//! "TMEMSYS\x01"  magic and format version (8 bytes)
//! u32 LE         length of the boot-info table
//! [..]           BootInfo, postcard-encoded; each list in it is a
//!                [`Records`] section (a count, then that many encoded
//!                records) decoded one record at a time
//! [..]           partition ELF files, each at the offset its entry names
//! ```
//!
//! The table is already validated by xtask, but the kernel treats it as
//! untrusted bytes: [`SystemImage::parse`] checks the container and that
//! every record decodes, and the kernel checks every ELF it loads. No size
//! is fixed here: a system has as many partitions, threads, windows and
//! objects as its description names, and the kernel sizes its tables from
//! the counts at boot. Nothing here allocates unless the
//! `alloc` feature (used by xtask only) is on.
#![no_std]

#[cfg(feature = "alloc")]
extern crate alloc;

mod records;
pub mod table_bytes;

use heapless::String;
use serde::{Deserialize, Serialize};

pub use records::{RecordIter, Records};

/// Magic and format version at the start of every system image.
pub const MAGIC: [u8; 8] = *b"TMEMSYS\x01";
/// Longest partition, thread or system name.
pub const MAX_NAME: usize = 24;
/// The most partitions a system may have: each has an ASID of its own
/// (see [`MAX_ASIDS`]; guest address spaces take the ones after them).
pub const MAX_PARTITIONS: usize = MAX_ASIDS;
/// The most threads one partition may have, and the most guest threads in
/// one guest budget: a thread is known to itself by a one-byte ID,
/// `kernel_abi::user_layout::thread_id` (its index plus one).
pub const MAX_THREADS: usize = u8::MAX as usize - 1;
/// The most endpoints, and the most notifications, in a system: their
/// identifiers are `u16`s, `u16::MAX` kept for "none".
pub const MAX_ENDPOINTS: usize = u16::MAX as usize - 1;
/// The most frames in a system: a frame capability names its frame by a
/// `u16` index.
pub const MAX_FRAMES: usize = u16::MAX as usize + 1;
/// The most loadable segments a partition's image may have (the kernel's
/// loader takes no more; xtask refuses an image with more).
pub const MAX_IMAGE_SEGMENTS: usize = 8;
/// Regions outside the grant window a partition's address space has room
/// for beyond those it starts with: frames it maps in its pool region
/// while running (a map past them fails with an error, harmlessly).
pub const RUNTIME_SPACE_REGIONS: usize = 12;
/// A frame size meaning "all RAM no one else is given": the kernel sizes
/// this frame at boot from the RAM it finds (at most one per system).
pub const FRAME_REST: u32 = 0;
/// The most address-space identifiers: ARMv7 short descriptors tag TLB
/// entries with 8 bits, and ASID 0 is the kernel's reserved one. Every
/// partition has one (1..=N) and every guest address space the next.
pub const MAX_ASIDS: usize = 255;
/// Bytes of one guest address space's first-level table (TTBR0 with
/// TTBCR.N = 1: 2 GiB of user space), allocated at boot per address space.
pub const GUEST_L1_BYTES: u32 = 8 * 1024;
/// Bytes of one second-level page table (256 pages, 1 MiB of address
/// space); a budget of `page_table_kib` KiB is that many tables.
pub const GUEST_L2_BYTES: u32 = 1024;
/// Bytes of kernel bookkeeping per second-level table (which capability
/// mapped each of its pages), allocated with it.
pub const GUEST_L2_BOOKKEEPING_BYTES: u32 = 512;

/// A short name.
pub type Name = String<MAX_NAME>;

/// How many regions outside the grant window the kernel reserves room
/// for, at boot, in the address space of `partition`, partition `index`
/// of `info`: a stack per
/// thread, [`MAX_IMAGE_SEGMENTS`] for its image, one for its IPC
/// buffers, one per shared-region mapping and device in it, and
/// [`RUNTIME_SPACE_REGIONS`]. The kernel and xtask's memory report both
/// use this one count.
pub fn space_regions(info: &BootInfo<'_>, index: usize, partition: &PartitionInfo<'_>) -> usize {
    let ours = |p: u8| usize::from(p) == index;
    let shared: usize = info
        .shared
        .iter()
        .map(|region| region.mappings.iter().filter(|m| ours(m.partition)).count())
        .sum();
    let devices = info.devices.iter().filter(|d| ours(d.partition)).count();
    partition.threads.len() + MAX_IMAGE_SEGMENTS + 1 + shared + devices + RUNTIME_SPACE_REGIONS
}

/// Everything the kernel needs to start a system.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BootInfo<'a> {
    /// The system's name (the description's file stem).
    pub system: Name,
    /// Partitions, in description order; their index is their identity.
    #[serde(borrow)]
    pub partitions: Records<'a, PartitionInfo<'a>>,
    /// The time-window schedule.
    #[serde(borrow)]
    pub schedule: Schedule<'a>,
    /// Memory shared between partitions, mapped in each at boot.
    #[serde(borrow)]
    pub shared: Records<'a, SharedRegion<'a>>,
    /// Device registers mapped into driver partitions.
    #[serde(borrow)]
    pub devices: Records<'a, DeviceRegion>,
    /// How many endpoints the kernel creates (ids `0..endpoints`).
    pub endpoints: u16,
    /// How many notifications the kernel creates.
    pub notifications: u16,
    /// The capabilities each partition starts with.
    #[serde(borrow)]
    pub caps: Records<'a, CapInfo>,
    /// Frames: RAM the kernel allocates at boot and hands out only as
    /// frame capabilities; each entry is its size in bytes (whole pages),
    /// or [`FRAME_REST`] for the frame that takes all RAM left over.
    #[serde(borrow)]
    pub frames: Records<'a, u32>,
    /// Interrupt lines the kernel enables and signals notifications with.
    #[serde(borrow)]
    pub irqs: Records<'a, IrqInfo>,
    /// The notification the kernel signals whenever a partition stops (a
    /// fault, or a stop through PartitionControl): bit `index % 32` of the
    /// stopped partition. None: nobody is told (a supervisor polls).
    pub stop_notification: Option<u16>,
}

/// An interrupt line bound to a notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IrqInfo {
    /// The GIC interrupt ID (a shared peripheral interrupt, 32 or more).
    pub number: u32,
    /// Index of the notification it signals.
    pub notification: u16,
    /// The bits it ORs in.
    pub bits: u32,
}

/// A capability placed in a partition's capability space at boot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapInfo {
    /// Index of the partition.
    pub partition: u8,
    /// Slot in its capability space.
    pub slot: u16,
    /// What it refers to.
    pub object: CapObjectInfo,
    /// `kernel_abi::cap::Rights` bits.
    pub rights: u32,
    /// Badge delivered to receivers (endpoints only; 0 otherwise).
    pub badge: u32,
}

/// The kernel object a boot capability refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CapObjectInfo {
    /// Endpoint with this index.
    Endpoint(u16),
    /// Notification with this index.
    Notification(u16),
    /// Frame with this index.
    Frame(u16),
    /// The interrupt line with this GIC ID (it must be bound in `irqs`).
    Irq(u32),
    /// Control over every partition (for a privileged monitor).
    PartitionControl,
}

/// RAM the kernel allocates once and maps into several partitions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedRegion<'a> {
    /// Name, for reports.
    pub name: Name,
    /// Bytes, a multiple of 4 KiB.
    pub size: u32,
    /// Where it appears in each partition that shares it.
    #[serde(borrow)]
    pub mappings: Records<'a, SharedMapping>,
}

/// One partition's view of a shared region.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedMapping {
    /// Index of the partition.
    pub partition: u8,
    /// Virtual address (page aligned).
    pub address: u32,
    /// Whether the partition may write it.
    pub writable: bool,
}

/// A device's registers, mapped into one partition as device memory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRegion {
    /// Name, for reports.
    pub name: Name,
    /// Index of the partition.
    pub partition: u8,
    /// Physical address (page aligned).
    pub physical: u32,
    /// Bytes, a multiple of 4 KiB.
    pub size: u32,
    /// Virtual address in the partition (page aligned).
    pub address: u32,
}

/// One partition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionInfo<'a> {
    /// Name, for reports.
    pub name: Name,
    /// Bytes of memory, a multiple of 4 KiB, mapped from the partition's
    /// base address: the ELF's segments, then the threads' stacks at the top.
    pub memory_size: u32,
    /// Where its ELF starts in the system image.
    pub elf_offset: u32,
    /// Length of its ELF.
    pub elf_size: u32,
    /// The partition's typed configuration: the postcard encoding of the
    /// configuration type its crate declares, checked by xtask against
    /// the description's `config` (empty: none). The kernel copies it to
    /// the top of thread 0's stack and hands every thread its address and
    /// length (r2, r3); it never looks inside.
    #[serde(borrow)]
    pub config: &'a [u8],
    /// Threads, started in this order at the ELF's entry point.
    #[serde(borrow)]
    pub threads: Records<'a, ThreadInfo>,
    /// No windows of its own: its threads run on their callers' time once
    /// they have initialised (until each first blocks).
    pub passive: bool,
    /// A service: the run does not wait for it to end (it ends when every
    /// partition that is neither passive nor a service has ended).
    pub service: bool,
    /// Slots in its capability space.
    pub cap_slots: u16,
    /// The slot of the endpoint capability its threads' page faults in the
    /// grant window are sent to, if it has a pager.
    pub pager: Option<u16>,
    /// Address spaces, threads and page tables for the processes of a
    /// guest kernel, if it is one.
    pub guest: Option<GuestBudget>,
    /// How many times a supervisor may restart it from its boot image
    /// after it stops (0: never).
    pub restart_max: u8,
}

/// What a guest kernel partition may build its processes from, all
/// allocated at boot. Its capabilities to them are in consecutive slots
/// from `first_slot`: the address spaces (numbers 0..address_spaces), then
/// the threads (0..threads).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestBudget {
    /// Address spaces (each with its own ASID and first-level table).
    pub address_spaces: u16,
    /// Threads, which start suspended and unbound.
    pub threads: u16,
    /// Second-level page tables (of [`GUEST_L2_BYTES`]) shared by its
    /// address spaces.
    pub page_tables: u16,
    /// The slot of the capability to address space 0.
    pub first_slot: u16,
}

impl GuestBudget {
    /// The slot of the capability to address space `index`.
    pub const fn space_slot(&self, index: u16) -> u16 {
        self.first_slot + index
    }

    /// The slot of the capability to thread `index`.
    pub const fn thread_slot(&self, index: u16) -> u16 {
        self.first_slot + self.address_spaces + index
    }

    /// One past the last slot the budget's capabilities take.
    pub const fn end_slot(&self) -> u32 {
        self.first_slot as u32 + self.address_spaces as u32 + self.threads as u32
    }
}

/// One thread.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadInfo {
    /// Name, for reports.
    pub name: Name,
    /// Higher runs first within the partition's windows.
    pub priority: u8,
    /// Stack bytes, a multiple of 4 KiB.
    pub stack_size: u32,
}

/// The fixed cyclic schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule<'a> {
    /// Length of the major frame in milliseconds; windows sum to it.
    pub major_frame_ms: u32,
    /// The windows, in order.
    #[serde(borrow)]
    pub windows: Records<'a, Window>,
    /// End the run after this many milliseconds even if partitions are
    /// still running (0: run until every partition has ended).
    pub stop_after_ms: u32,
}

/// A slice of the major frame that belongs to one partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// Index of the partition.
    pub partition: u8,
    /// Length in milliseconds.
    pub duration_ms: u32,
}

/// Why a system image was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageError {
    /// Too short, or the magic or version is wrong.
    BadHeader,
    /// The boot-info table, or a record in one of its sections, does not
    /// decode.
    BadTable,
    /// A partition's ELF lies outside the image.
    ElfOutOfBounds { partition: usize },
}

/// A parsed system image, borrowing the bytes it came from.
#[derive(Debug)]
pub struct SystemImage<'a> {
    /// The decoded table.
    pub info: BootInfo<'a>,
    bytes: &'a [u8],
}

impl<'a> SystemImage<'a> {
    /// Checks the container and decodes the table. An empty slice is a
    /// valid image with no partitions (a kernel built without a system).
    pub fn parse(bytes: &'a [u8]) -> Result<SystemImage<'a>, ImageError> {
        if bytes.is_empty() {
            return Ok(SystemImage {
                info: BootInfo {
                    system: Name::new(),
                    partitions: Records::default(),
                    schedule: Schedule {
                        major_frame_ms: 0,
                        windows: Records::default(),
                        stop_after_ms: 0,
                    },
                    shared: Records::default(),
                    devices: Records::default(),
                    endpoints: 0,
                    notifications: 0,
                    caps: Records::default(),
                    frames: Records::default(),
                    irqs: Records::default(),
                    stop_notification: None,
                },
                bytes,
            });
        }
        let header = bytes.get(..12).ok_or(ImageError::BadHeader)?;
        if header[..8] != MAGIC {
            return Err(ImageError::BadHeader);
        }
        let length = u32::from_le_bytes([header[8], header[9], header[10], header[11]]) as usize;
        let table = bytes
            .get(12..12usize.checked_add(length).ok_or(ImageError::BadHeader)?)
            .ok_or(ImageError::BadHeader)?;
        let info: BootInfo<'a> = postcard::from_bytes(table).map_err(|_| ImageError::BadTable)?;
        if !info.records_decode() {
            return Err(ImageError::BadTable);
        }
        let image = SystemImage { info, bytes };
        for (index, p) in image.info.partitions.iter().enumerate() {
            image.elf(index, &p)?;
        }
        Ok(image)
    }

    /// The ELF of partition `p`, number `index`.
    pub fn elf(&self, index: usize, p: &PartitionInfo<'_>) -> Result<&'a [u8], ImageError> {
        let out = ImageError::ElfOutOfBounds { partition: index };
        let start = p.elf_offset as usize;
        let end = start.checked_add(p.elf_size as usize).ok_or(out)?;
        self.bytes.get(start..end).ok_or(out)
    }
}

impl<'a> BootInfo<'a> {
    /// Whether every record of every section (and of the sections inside
    /// partitions and shared regions) decodes.
    pub fn records_decode(&self) -> bool {
        self.partitions.check(|p| p.threads.check(|_| true))
            && self.schedule.windows.check(|_| true)
            && self.shared.check(|r| r.mappings.check(|_| true))
            && self.devices.check(|_| true)
            && self.caps.check(|_| true)
            && self.frames.check(|_| true)
            && self.irqs.check(|_| true)
    }
}

/// Builds a system image from a table (whose ELF offsets and sizes are
/// filled in here) and one ELF per partition, in order.
#[cfg(feature = "alloc")]
pub fn build_image(
    mut info: BootInfo<'static>,
    elfs: &[alloc::vec::Vec<u8>],
) -> Result<alloc::vec::Vec<u8>, postcard::Error> {
    let mut partitions: alloc::vec::Vec<PartitionInfo<'static>> = info.partitions.iter().collect();
    assert_eq!(partitions.len(), elfs.len(), "one ELF per partition");
    // The table's length depends on the offsets it holds: encode with the
    // final sizes, place, re-encode until the offsets stop moving.
    for (p, elf) in partitions.iter_mut().zip(elfs) {
        p.elf_size = elf.len() as u32;
    }
    info.partitions = Records::encode(&partitions)?;
    let mut table = postcard::to_allocvec(&info)?;
    loop {
        let mut offset = align8(12 + table.len());
        for (p, elf) in partitions.iter_mut().zip(elfs) {
            p.elf_offset = offset as u32;
            offset = align8(offset + elf.len());
        }
        info.partitions = Records::encode(&partitions)?;
        let again = postcard::to_allocvec(&info)?;
        if again.len() == table.len() {
            table = again;
            break;
        }
        table = again;
    }
    let mut image = alloc::vec::Vec::new();
    image.extend_from_slice(&MAGIC);
    image.extend_from_slice(&(table.len() as u32).to_le_bytes());
    image.extend_from_slice(&table);
    for (p, elf) in partitions.iter().zip(elfs) {
        image.resize(p.elf_offset as usize, 0);
        image.extend_from_slice(elf);
    }
    Ok(image)
}

#[cfg(feature = "alloc")]
fn align8(n: usize) -> usize {
    n.div_ceil(8) * 8
}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    extern crate std;
    use super::*;
    use std::vec;

    fn name(s: &str) -> Name {
        Name::try_from(s).unwrap()
    }

    fn info() -> BootInfo<'static> {
        let thread = ThreadInfo {
            name: name("main"),
            priority: 1,
            stack_size: 4096,
        };
        let partition = |n: &str| PartitionInfo {
            name: name(n),
            memory_size: 64 * 1024,
            elf_offset: 0,
            elf_size: 0,
            config: &[7],
            threads: Records::encode(core::slice::from_ref(&thread)).unwrap(),
            passive: false,
            service: false,
            cap_slots: 16,
            pager: None,
            guest: None,
            restart_max: 0,
        };
        BootInfo {
            system: name("test"),
            partitions: Records::encode(&[partition("a"), partition("b")]).unwrap(),
            schedule: Schedule {
                major_frame_ms: 4,
                windows: Records::encode(&[
                    Window {
                        partition: 0,
                        duration_ms: 1,
                    },
                    Window {
                        partition: 1,
                        duration_ms: 3,
                    },
                ])
                .unwrap(),
                stop_after_ms: 0,
            },
            shared: Records::default(),
            devices: Records::default(),
            endpoints: 0,
            notifications: 0,
            caps: Records::default(),
            frames: Records::default(),
            irqs: Records::default(),
            stop_notification: None,
        }
    }

    #[test]
    fn round_trips_table_and_elfs() {
        let elfs = vec![vec![1u8; 300], vec![2u8; 5]];
        let bytes = build_image(info(), &elfs).unwrap();
        let image = SystemImage::parse(&bytes).unwrap();
        assert_eq!(image.info.system, "test");
        let partitions: std::vec::Vec<_> = image.info.partitions.iter().collect();
        assert_eq!(image.elf(0, &partitions[0]).unwrap(), &elfs[0][..]);
        assert_eq!(image.elf(1, &partitions[1]).unwrap(), &elfs[1][..]);
        assert_eq!(partitions[1].elf_offset % 8, 0);
        assert_eq!(partitions[1].threads.get(0).unwrap().name, "main");
        assert_eq!(image.info.schedule.windows.get(1).unwrap().duration_ms, 3);
    }

    #[test]
    fn each_partitions_config_bytes_come_back_whole() {
        let mut with_config = info();
        let mut partitions: std::vec::Vec<_> = with_config.partitions.iter().collect();
        let long: &'static [u8] = std::vec![0xA5u8; 300].leak();
        partitions[0].config = &[1, 2, 3, 0, 255];
        partitions[1].config = long;
        with_config.partitions = Records::encode(&partitions).unwrap();
        let bytes = build_image(with_config, &[vec![1u8; 3], vec![2u8; 3]]).unwrap();
        let image = SystemImage::parse(&bytes).unwrap();
        let back: std::vec::Vec<_> = image.info.partitions.iter().collect();
        assert_eq!(back[0].config, &[1, 2, 3, 0, 255]);
        assert_eq!(back[1].config, long);
        assert_eq!(
            back[1].memory_size,
            64 * 1024,
            "the fields around it are intact"
        );
        assert_eq!(image.elf(1, &back[1]).unwrap(), &[2u8; 3]);
    }

    #[test]
    fn sizes_come_from_the_description_not_a_compile_time_maximum() {
        let mut big = info();
        let one = big.partitions.get(0).unwrap();
        let threads: std::vec::Vec<_> = (0..16)
            .map(|t| ThreadInfo {
                name: name(&std::format!("t{t}")),
                priority: 1,
                stack_size: 4096,
            })
            .collect();
        let partitions: std::vec::Vec<_> = (0..64)
            .map(|_| PartitionInfo {
                threads: Records::encode(&threads).unwrap(),
                ..one.clone()
            })
            .collect();
        big.partitions = Records::encode(&partitions).unwrap();
        let elfs = vec![vec![3u8; 10]; 64];
        let bytes = build_image(big, &elfs).unwrap();
        let image = SystemImage::parse(&bytes).unwrap();
        assert_eq!(image.info.partitions.len(), 64);
        let total: usize = image.info.partitions.iter().map(|p| p.threads.len()).sum();
        assert_eq!(total, 1024);
        let last = image.info.partitions.get(63).unwrap();
        assert_eq!(last.threads.get(15).unwrap().name, "t15");
        assert_eq!(image.elf(63, &last).unwrap(), &elfs[63][..]);
    }

    #[test]
    fn a_section_whose_records_do_not_decode_is_rejected() {
        let mut bad = info();
        // Two windows claimed, the bytes of one.
        let one = bad.schedule.windows.get(0).unwrap();
        let encoded = Records::encode(&[one]).unwrap();
        let claimed = postcard::to_allocvec(&(2u32, encoded.encoded())).unwrap();
        bad.schedule.windows = postcard::from_bytes(claimed.leak()).unwrap();
        let bytes = build_image(bad, &[vec![1u8; 3], vec![2u8; 3]]).unwrap();
        assert_eq!(
            SystemImage::parse(&bytes).unwrap_err(),
            ImageError::BadTable
        );
    }

    #[test]
    fn empty_image_has_no_partitions() {
        let image = SystemImage::parse(&[]).unwrap();
        assert!(image.info.partitions.is_empty());
    }

    #[test]
    fn rejects_damaged_images() {
        let elfs = vec![vec![1u8; 300], vec![2u8; 5]];
        let bytes = build_image(info(), &elfs).unwrap();
        assert_eq!(
            SystemImage::parse(&bytes[..6]).unwrap_err(),
            ImageError::BadHeader
        );
        let mut bad_magic = bytes.clone();
        bad_magic[7] = 2;
        assert_eq!(
            SystemImage::parse(&bad_magic).unwrap_err(),
            ImageError::BadHeader
        );
        let truncated = &bytes[..bytes.len() - 1];
        assert_eq!(
            SystemImage::parse(truncated).unwrap_err(),
            ImageError::ElfOutOfBounds { partition: 1 }
        );
        let mut huge_length = bytes.clone();
        huge_length[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            SystemImage::parse(&huge_length).unwrap_err(),
            ImageError::BadHeader
        );
        let mut garbage_table = bytes;
        garbage_table[12] = 0xFF;
        garbage_table[13] = 0xFF;
        assert!(SystemImage::parse(&garbage_table).is_err());
    }
}
