//! Partitions: an address space, its threads' stacks and its time, loaded
//! from an ELF in the system image into memory of its own.
//!
//! Loading never trusts the image: the ELF is checked against the
//! partition's memory, the stacks must fit above the ELF, and only the
//! pages named by the resulting regions are ever mapped.

use boot_info::{Name, PartitionInfo};
use kernel_abi::user_layout::{PAGE_SIZE, USER_BASE};

use crate::elf::{Elf, ElfError};
use crate::machine::Machine;
use crate::mm::user_space::{Region, Rights, SpaceError, UserSpace};

/// Where a partition is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartitionState {
    /// At least one thread can still run.
    Running,
    /// Every thread exited.
    Finished,
    /// Stopped after a fault.
    Stopped,
}

/// A partition.
#[derive(Debug)]
pub struct Partition {
    /// Name, for reports.
    pub name: Name,
    /// Address-space identifier its mappings are tagged with.
    pub asid: u8,
    /// Its mappings.
    pub space: UserSpace,
    /// Physical address of its first-level table.
    pub table: usize,
    /// Life state.
    pub state: PartitionState,
    /// Ticks of its windows that have elapsed.
    pub window_ticks: u64,
    /// Ticks in which one of its threads was running when the tick came.
    pub running_ticks: u64,
    /// Has no windows; its threads run on their callers' time.
    pub passive: bool,
    /// A service: the run does not wait for it to end.
    pub service: bool,
    /// Physical address of the second-level table of its grant window.
    pub grant_table: usize,
    /// Slot of its pager's endpoint capability, if it has a pager.
    pub pager: Option<u16>,
    /// Its first thread (own or guest): the head of its thread list, set
    /// by `System::new`.
    pub first_thread: Option<u16>,
    /// In its windows, the time owner of the thread that ran last (a
    /// passive server running on a caller's time counts as its caller),
    /// so round robin among equal priorities turns on ticks and yields
    /// only.
    pub last_run: Option<usize>,
    /// Physical address of its memory (what a restart re-loads).
    pub memory: usize,
    /// How many times it has been restarted.
    pub restarts: u8,
}

impl Partition {
    /// Whether the run waits for it: it has windows and is no service.
    pub fn keeps_run_alive(&self) -> bool {
        !self.passive && !self.service
    }
}

/// Why a partition could not be loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// Its ELF is unusable.
    Elf(ElfError),
    /// Its memory size is zero, unaligned or beyond user space.
    BadMemorySize,
    /// A stack size is zero or unaligned.
    BadStackSize { thread: usize },
    /// The stacks do not fit above the ELF's segments.
    StacksDoNotFit,
    /// Its configuration takes more than half of thread 0's stack (or it
    /// has no thread to hold it).
    ConfigTooLarge,
    /// Building its address space failed.
    Space(SpaceError),
}

/// What loading produced.
#[derive(Debug, PartialEq, Eq)]
pub struct Loaded {
    /// The mappings.
    pub space: UserSpace,
    /// The ELF's entry point.
    pub entry: u32,
    /// Where its configuration bytes are (8-byte aligned, at the top of
    /// thread 0's stack; thread 0's stack pointer starts here). Equal to
    /// thread 0's stack top when it has none.
    pub config: u32,
}

/// Each thread's initial stack pointer, in thread order: thread 0's stack
/// at the top of the partition's memory, each next one below a one-page
/// guard gap. [`load`] checks that they fit.
pub fn stack_tops<'a>(info: &PartitionInfo<'a>) -> impl Iterator<Item = u32> + 'a {
    let mut top = USER_BASE.wrapping_add(info.memory_size);
    info.threads.iter().map(move |thread| {
        let this = top;
        top = top
            .saturating_sub(thread.stack_size)
            .saturating_sub(PAGE_SIZE);
        this
    })
}

/// Where `info`'s configuration bytes go: 8-byte aligned at the top of
/// thread 0's stack, taking at most half of it (the top of memory when
/// there are none).
fn config_address(info: &PartitionInfo) -> Result<u32, LoadError> {
    let config = info.config;
    let top = USER_BASE + info.memory_size;
    if config.is_empty() {
        return Ok(top);
    }
    info.threads
        .get(0)
        .filter(|first| config.len() <= first.stack_size as usize / 2)
        .map(|_| (top - config.len() as u32) & !7)
        .ok_or(LoadError::ConfigTooLarge)
}

/// How a segment is mapped.
fn segment_rights(segment: &crate::elf::Segment) -> Rights {
    if segment.executable() {
        Rights::ReadExecute
    } else if segment.writable() {
        Rights::ReadWrite
    } else {
        Rights::Read
    }
}

/// Writes the boot image of a partition into its memory at `phys`: all of
/// it zeroed, then the ELF's segments and the configuration bytes. The
/// ELF has been parsed against this memory.
fn write_image(
    info: &PartitionInfo,
    elf: &Elf,
    elf_bytes: &[u8],
    phys: usize,
    config_at: u32,
    machine: &mut impl Machine,
) {
    let phys_of = |va: u32| phys + (va - USER_BASE) as usize;
    machine.zero_phys(phys, info.memory_size as usize);
    for segment in &elf.segments {
        let start = segment.offset as usize;
        let bytes = &elf_bytes[start..start + segment.file_size as usize];
        machine.write_phys(phys_of(segment.vaddr), bytes);
    }
    machine.write_phys(phys_of(config_at), info.config);
}

/// Rewrites a loaded partition's memory at `phys` as [`load`] first wrote
/// it (code and data from the ELF, bss, stacks and configuration fresh),
/// for a restart. Checks the ELF and configuration before it writes
/// anything; the stacks and address space are left as `load` laid them
/// out (the same image gives the same regions). Returns the entry point
/// and the configuration's address.
pub fn reload(
    info: &PartitionInfo,
    elf_bytes: &[u8],
    phys: usize,
    machine: &mut impl Machine,
) -> Result<(u32, u32), LoadError> {
    let elf = Elf::parse(elf_bytes, USER_BASE, info.memory_size).map_err(LoadError::Elf)?;
    let config_at = config_address(info)?;
    write_image(info, &elf, elf_bytes, phys, config_at, machine);
    Ok((elf.entry, config_at))
}

/// Loads `info`'s ELF into its memory at physical `phys` (`memory_size`
/// bytes, all of which is zeroed first) and lays out its stacks: thread 0's
/// at the top of the memory, each next one below a one-page guard gap.
/// The partition's configuration bytes go at the top of thread 0's stack,
/// 8-byte aligned, and may take at most half of it. `space` is the
/// partition's empty address space, with room for its regions
/// ([`boot_info::space_regions`]).
pub fn load(
    info: &PartitionInfo,
    elf_bytes: &[u8],
    phys: usize,
    mut space: UserSpace,
    machine: &mut impl Machine,
) -> Result<Loaded, LoadError> {
    let size = info.memory_size;
    if size == 0
        || !size.is_multiple_of(PAGE_SIZE)
        || USER_BASE
            .checked_add(size)
            .is_none_or(|end| end > kernel_abi::user_layout::USER_TOP)
    {
        return Err(LoadError::BadMemorySize);
    }
    let elf = Elf::parse(elf_bytes, USER_BASE, size).map_err(LoadError::Elf)?;
    let phys_of = |va: u32| phys + (va - USER_BASE) as usize;

    let config_at = config_address(info)?;
    for (index, (thread, top)) in info.threads.iter().zip(stack_tops(info)).enumerate() {
        let stack = thread.stack_size;
        if stack == 0 || !stack.is_multiple_of(PAGE_SIZE) {
            return Err(LoadError::BadStackSize { thread: index });
        }
        let bottom = top
            .checked_sub(stack)
            .filter(|&b| b >= elf.end())
            .ok_or(LoadError::StacksDoNotFit)?;
        space
            .add(Region::ram(
                bottom,
                stack,
                phys_of(bottom),
                Rights::ReadWrite,
            ))
            .map_err(LoadError::Space)?;
    }

    for segment in &elf.segments {
        let region = Region::ram(
            segment.vaddr,
            segment.page_end() - segment.vaddr,
            phys_of(segment.vaddr),
            segment_rights(segment),
        );
        space.add(region).map_err(LoadError::Space)?;
    }
    write_image(info, &elf, elf_bytes, phys, config_at, machine);
    Ok(Loaded {
        space,
        entry: elf.entry,
        config: config_at,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    extern crate std;
    use super::*;
    use crate::elf::tests::elf;
    use crate::elf::{PF_R, PF_W, PF_X};
    use crate::machine::tests::FakeMachine;
    use boot_info::ThreadInfo;

    pub(crate) fn info(memory_size: u32, stacks: &[u32]) -> PartitionInfo<'static> {
        PartitionInfo {
            name: Name::try_from("p").unwrap(),
            memory_size,
            elf_offset: 0,
            elf_size: 0,
            config: &[],
            threads: stacks
                .iter()
                .map(|&stack_size| ThreadInfo {
                    name: Name::try_from("t").unwrap(),
                    priority: 1,
                    stack_size,
                })
                .collect(),
            passive: false,
            service: false,
            cap_slots: 4,
            pager: None,
            guest: None,
            restart_max: 0,
        }
    }

    pub(crate) fn two_segment_elf() -> std::vec::Vec<u8> {
        elf(
            USER_BASE,
            &[
                (USER_BASE, &[0xE1, 0xA0, 0x00, 0x00], 4, PF_R | PF_X),
                (USER_BASE + 0x1000, &[7, 7], 0x1800, PF_R | PF_W),
            ],
        )
    }

    #[test]
    fn loads_segments_zeroes_bss_and_lays_out_guarded_stacks() {
        let mut m = FakeMachine::new(0x6100_0000, 0x10_0000);
        m.memory.fill(0xAA);
        let loaded = load(
            &info(0x10_000, &[0x2000, 0x1000]),
            &two_segment_elf(),
            0x6100_0000,
            UserSpace::new(),
            &mut m,
        )
        .unwrap();
        assert_eq!(loaded.entry, USER_BASE);
        let info = info(0x10_000, &[0x2000, 0x1000]);
        assert_eq!(
            stack_tops(&info).collect::<std::vec::Vec<_>>(),
            [USER_BASE + 0x10_000, USER_BASE + 0xD000]
        );
        assert_eq!(&m.memory[..4], &[0xE1, 0xA0, 0, 0]);
        assert_eq!(&m.memory[0x1000..0x1003], &[7, 7, 0]);
        assert!(
            m.memory[0x1002..0x10_000].iter().all(|&b| b == 0),
            "bss and stacks zeroed"
        );
        assert_eq!(
            m.memory[0x10_000], 0xAA,
            "nothing beyond the partition touched"
        );
        let regions = loaded.space.regions();
        assert_eq!(regions.len(), 4);
        assert!(regions.iter().all(|r| r.virt >= USER_BASE));
        // Guard page between the two stacks stays unmapped.
        let guard = USER_BASE + 0xD000;
        let read = crate::mm::user_space::Use::Read;
        assert!(loaded.space.check_buffer(guard, 4, read, 1).is_err());
        assert!(loaded.space.check_buffer(guard - 4, 4, read, 1).is_ok());
        assert!(loaded
            .space
            .check_buffer(guard + 0x1000, 4, read, 1)
            .is_ok());
    }

    #[test]
    fn a_reload_writes_the_memory_a_fresh_load_wrote_and_a_bad_image_writes_nothing() {
        let mut with_config = info(0x10_000, &[0x2000, 0x1000]);
        with_config.config = &[9, 8, 7];
        let mut fresh = FakeMachine::new(0x6100_0000, 0x2_0000);
        fresh.memory.fill(0xAA);
        let loaded = load(
            &with_config,
            &two_segment_elf(),
            0x6100_0000,
            UserSpace::new(),
            &mut fresh,
        )
        .unwrap();
        // The partition ran: its data, bss, stacks and config scribbled on.
        let mut used = FakeMachine::new(0x6100_0000, 0x2_0000);
        used.memory.copy_from_slice(&fresh.memory);
        used.memory[..0x10_000]
            .iter_mut()
            .step_by(7)
            .for_each(|b| *b ^= 0x5A);
        let before = used.memory.clone();
        let mut bad = two_segment_elf();
        bad[0] = 0;
        assert!(reload(&with_config, &bad, 0x6100_0000, &mut used).is_err());
        assert_eq!(used.memory, before, "a refused reload writes nothing");
        assert_eq!(
            reload(&with_config, &two_segment_elf(), 0x6100_0000, &mut used),
            Ok((loaded.entry, loaded.config))
        );
        assert_eq!(used.memory, fresh.memory, "byte for byte as at boot");
    }

    #[test]
    fn config_bytes_sit_aligned_at_the_top_of_thread_0s_stack() {
        let mut m = FakeMachine::new(0x6100_0000, 0x10_0000);
        m.memory.fill(0xAA);
        let mut with_config = info(0x10_000, &[0x2000, 0x1000]);
        with_config.config = &[1, 2, 3, 4, 5];
        let loaded = load(
            &with_config,
            &two_segment_elf(),
            0x6100_0000,
            UserSpace::new(),
            &mut m,
        )
        .unwrap();
        let top = USER_BASE + 0x10_000;
        assert_eq!(loaded.config, top - 8, "8-byte aligned, below the top");
        let at = (loaded.config - USER_BASE) as usize;
        assert_eq!(&m.memory[at..at + 5], &[1, 2, 3, 4, 5]);
        assert_eq!(&m.memory[at + 5..0x10_000], &[0, 0, 0], "the rest zeroed");
        let read = crate::mm::user_space::Use::Read;
        assert!(loaded.space.check_buffer(loaded.config, 5, read, 1).is_ok());
        let none = load(
            &info(0x10_000, &[0x2000]),
            &two_segment_elf(),
            0x6100_0000,
            UserSpace::new(),
            &mut m,
        );
        assert_eq!(none.unwrap().config, top, "no config: thread 0's stack top");
    }

    #[test]
    fn a_config_larger_than_half_of_thread_0s_stack_is_refused() {
        let mut m = FakeMachine::new(0x6100_0000, 0x10_0000);
        let mut big = info(0x10_000, &[0x1000]);
        big.config = &[7; 0x801];
        assert_eq!(
            load(
                &big,
                &two_segment_elf(),
                0x6100_0000,
                UserSpace::new(),
                &mut m
            ),
            Err(LoadError::ConfigTooLarge)
        );
        big.config = &[7; 0x800];
        assert!(load(
            &big,
            &two_segment_elf(),
            0x6100_0000,
            UserSpace::new(),
            &mut m
        )
        .is_ok());
    }

    #[test]
    fn rejects_stacks_that_do_not_fit_and_bad_sizes() {
        let mut m = FakeMachine::new(0x6100_0000, 0x10_0000);
        let elf = two_segment_elf();
        assert_eq!(
            load(
                &info(0x4000, &[0x2000]),
                &elf,
                0x6100_0000,
                UserSpace::new(),
                &mut m
            ),
            Err(LoadError::StacksDoNotFit)
        );
        assert_eq!(
            load(
                &info(0x10_000, &[0]),
                &elf,
                0x6100_0000,
                UserSpace::new(),
                &mut m
            ),
            Err(LoadError::BadStackSize { thread: 0 })
        );
        assert_eq!(
            load(
                &info(0x10_001, &[0x1000]),
                &elf,
                0x6100_0000,
                UserSpace::new(),
                &mut m
            ),
            Err(LoadError::BadMemorySize)
        );
        assert_eq!(
            load(
                &info(0, &[0x1000]),
                &elf,
                0x6100_0000,
                UserSpace::new(),
                &mut m
            ),
            Err(LoadError::BadMemorySize)
        );
        assert_eq!(
            load(
                &info(0x1000, &[0x1000]),
                &elf,
                0x6100_0000,
                UserSpace::new(),
                &mut m
            ),
            Err(LoadError::Elf(ElfError::OutsidePartition {
                vaddr: USER_BASE + 0x1000
            }))
        );
    }
}
