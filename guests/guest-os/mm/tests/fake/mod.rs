//! Fakes of everything outside guest memory management, for host tests:
//! guest RAM, a software MMU that checks the map/unmap protocol, a tmem
//! that refuses stores and drops cache pages at random, a fixed-size swap
//! device, read-only files whose bytes are a function of their offset.

#![allow(dead_code)]

use std::collections::BTreeMap;

use guest_mm::*;

/// A small deterministic generator (xorshift64*).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u8) -> bool {
        self.next() % 100 < u64::from(percent)
    }
}

pub struct Ram(pub Vec<Box<Page>>);

impl Ram {
    pub fn new(frames: u32) -> Ram {
        // Frames start as junk, so a missing zero-fill shows.
        Ram((0..frames).map(|_| Box::new([0xA5; PAGE_SIZE])).collect())
    }
}

impl FrameMemory for Ram {
    fn page(&self, frame: Frame) -> &Page {
        &self.0[frame.0 as usize]
    }

    fn page_mut(&mut self, frame: Frame) -> &mut Page {
        &mut self.0[frame.0 as usize]
    }
}

/// A software MMU: what the kernel would have mapped. It panics when the
/// memory manager breaks the protocol (maps a mapped page, unmaps or
/// re-protects an unmapped one), so such a bug fails the test.
#[derive(Default)]
pub struct Mmu {
    pub maps: BTreeMap<(ProcessId, Vpn), (Frame, Protection)>,
    /// Refuse this many more maps with `NoPageTables` (then accept).
    pub refuse_maps: u32,
    pub unmaps: u64,
}

impl Mmu {
    /// The frame a process access to `page` reaches, if the mapping
    /// allows `access` (what the hardware would do).
    pub fn translate(&self, process: ProcessId, page: Vpn, access: Access) -> Option<Frame> {
        match self.maps.get(&(process, page)) {
            Some(&(frame, protection)) if protection.allows(access) => Some(frame),
            _ => None,
        }
    }
}

impl AddressSpaceOps for Mmu {
    fn map(
        &mut self,
        process: ProcessId,
        page: Vpn,
        frame: Frame,
        protection: Protection,
    ) -> Result<(), MapError> {
        if self.refuse_maps > 0 {
            self.refuse_maps -= 1;
            return Err(MapError::NoPageTables);
        }
        let old = self.maps.insert((process, page), (frame, protection));
        assert!(old.is_none(), "mapped {process:?} {page:?} twice");
        Ok(())
    }

    fn unmap(&mut self, process: ProcessId, page: Vpn) {
        self.unmaps += 1;
        let old = self.maps.remove(&(process, page));
        assert!(old.is_some(), "unmapped {process:?} {page:?}, not mapped");
    }

    fn protect(
        &mut self,
        process: ProcessId,
        page: Vpn,
        protection: Protection,
    ) -> Result<(), MapError> {
        let entry = self.maps.get_mut(&(process, page));
        let entry = entry.unwrap_or_else(|| panic!("protected {process:?} {page:?}, not mapped"));
        entry.1 = protection;
        Ok(())
    }
}

/// A tmem persistent pool that refuses `refuse_percent` of stores and
/// holds at most `capacity` pages.
pub struct Tmem {
    pub pages: BTreeMap<(u32, u32), Box<Page>>,
    pub rng: Rng,
    pub refuse_percent: u8,
    pub capacity: usize,
    pub fail_loads: bool,
    /// Stores reach the pool but their replies are lost: the page is kept
    /// and the caller hears `Failed`.
    pub lose_store_replies: bool,
}

impl Tmem {
    pub fn new(seed: u64, refuse_percent: u8, capacity: usize) -> Tmem {
        Tmem {
            pages: BTreeMap::new(),
            rng: Rng::new(seed),
            refuse_percent,
            capacity,
            fail_loads: false,
            lose_store_replies: false,
        }
    }
}

impl Frontswap for Tmem {
    fn store(&mut self, swap_type: u32, offset: u32, page: &Page) -> Result<(), FrontswapError> {
        // A refused put removes the old copy, as tmem's does.
        self.pages.remove(&(swap_type, offset));
        if self.pages.len() >= self.capacity || self.rng.chance(self.refuse_percent) {
            return Err(FrontswapError::Refused);
        }
        self.pages.insert((swap_type, offset), Box::new(*page));
        if self.lose_store_replies {
            return Err(FrontswapError::Failed);
        }
        Ok(())
    }

    fn load(
        &mut self,
        swap_type: u32,
        offset: u32,
        out: &mut Page,
    ) -> Result<bool, FrontswapError> {
        if self.fail_loads {
            return Err(FrontswapError::Failed);
        }
        match self.pages.get(&(swap_type, offset)) {
            Some(page) => {
                out.copy_from_slice(&page[..]);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn invalidate_page(&mut self, swap_type: u32, offset: u32) {
        self.pages.remove(&(swap_type, offset));
    }
}

/// A swap device of a fixed number of blocks; never-written blocks read
/// as junk.
pub struct Disk {
    pub blocks: Vec<Box<Page>>,
    pub fail_writes: bool,
    pub fail_reads: bool,
    pub writes: u64,
    pub reads: u64,
}

impl Disk {
    pub fn new(blocks: u32) -> Disk {
        Disk {
            blocks: (0..blocks).map(|_| Box::new([0x5A; PAGE_SIZE])).collect(),
            fail_writes: false,
            fail_reads: false,
            writes: 0,
            reads: 0,
        }
    }
}

impl BlockDevice for Disk {
    fn block_count(&self) -> u32 {
        self.blocks.len() as u32
    }

    fn read_block(&mut self, block: u32, out: &mut Page) -> Result<(), BlockError> {
        if self.fail_reads {
            return Err(BlockError::Io);
        }
        let page = self
            .blocks
            .get(block as usize)
            .ok_or(BlockError::OutOfRange)?;
        out.copy_from_slice(&page[..]);
        self.reads += 1;
        Ok(())
    }

    fn write_block(&mut self, block: u32, page: &Page) -> Result<(), BlockError> {
        if self.fail_writes {
            return Err(BlockError::Io);
        }
        let slot = self
            .blocks
            .get_mut(block as usize)
            .ok_or(BlockError::OutOfRange)?;
        slot.copy_from_slice(page);
        self.writes += 1;
        Ok(())
    }
}

/// A private ephemeral pool: drops `drop_percent` of puts, gets are
/// exclusive.
pub struct CleanPool {
    pub pages: BTreeMap<(FileId, u32), Box<Page>>,
    pub rng: Rng,
    pub drop_percent: u8,
}

impl CleanPool {
    pub fn new(seed: u64, drop_percent: u8) -> CleanPool {
        CleanPool {
            pages: BTreeMap::new(),
            rng: Rng::new(seed),
            drop_percent,
        }
    }
}

impl Cleancache for CleanPool {
    fn get_page(&mut self, file: FileId, index: u32, out: &mut Page) -> bool {
        match self.pages.remove(&(file, index)) {
            Some(page) => {
                out.copy_from_slice(&page[..]);
                true
            }
            None => false,
        }
    }

    fn put_page(&mut self, file: FileId, index: u32, page: &Page) -> bool {
        if self.rng.chance(self.drop_percent) {
            return false;
        }
        self.pages.insert((file, index), Box::new(*page));
        true
    }
}

/// The byte at `offset` of file `file`.
pub fn file_byte(file: FileId, offset: u32) -> u8 {
    (file.0.wrapping_mul(131) ^ offset.wrapping_mul(7) ^ (offset >> 12)) as u8
}

/// Read-only files `0..sizes.len()` with the given sizes.
pub struct Files {
    pub sizes: Vec<u32>,
    pub reads: u64,
    pub fail: bool,
}

impl Files {
    pub fn new(sizes: &[u32]) -> Files {
        Files {
            sizes: sizes.to_vec(),
            reads: 0,
            fail: false,
        }
    }
}

impl FileStore for Files {
    fn size(&self, file: FileId) -> Result<u32, FileError> {
        self.sizes
            .get(file.0 as usize)
            .copied()
            .ok_or(FileError::NoSuchFile)
    }

    fn read_page(&mut self, file: FileId, index: u32, out: &mut Page) -> Result<(), FileError> {
        let size = self.size(file)?;
        if self.fail {
            return Err(FileError::Io);
        }
        let start = index
            .checked_mul(PAGE_SIZE as u32)
            .ok_or(FileError::PastEnd)?;
        if start >= size {
            return Err(FileError::PastEnd);
        }
        for (at, byte) in out.iter_mut().enumerate() {
            let offset = start + at as u32;
            *byte = if offset < size {
                file_byte(file, offset)
            } else {
                0
            };
        }
        self.reads += 1;
        Ok(())
    }
}

/// Everything a [`Vm`] runs against.
pub struct World {
    pub ram: Ram,
    pub mmu: Mmu,
    pub tmem: Option<Tmem>,
    pub disk: Disk,
    pub clean: Option<CleanPool>,
    pub files: Files,
}

impl World {
    pub fn backends(&mut self) -> Backends<'_> {
        Backends {
            memory: &mut self.ram,
            spaces: &mut self.mmu,
            frontswap: self.tmem.as_mut().map(|t| t as &mut dyn Frontswap),
            swap_device: &mut self.disk,
            cleancache: self.clean.as_mut().map(|c| c as &mut dyn Cleancache),
            files: &mut self.files,
        }
    }
}

pub const LAYOUT: Layout = Layout {
    user_base: 0x8000,
    mmap_base: 0x10_0000,
    user_top: 0x20_0000,
    max_areas: 256,
};

pub const HEAP_START: u32 = 0x2_0000;

pub fn config(frames: u32, swap_slots: u32) -> VmConfig {
    VmConfig {
        frames,
        swap_slots,
        swap_type: 0,
        layout: LAYOUT,
        max_processes: 4,
    }
}

/// A world with `frames` of RAM, `blocks` of swap device, and tmem (when
/// `tmem_refuse` is some) refusing that share of stores.
pub fn world(frames: u32, blocks: u32, tmem_refuse: Option<u8>) -> World {
    World {
        ram: Ram::new(frames),
        mmu: Mmu::default(),
        tmem: tmem_refuse.map(|percent| Tmem::new(7, percent, usize::MAX)),
        disk: Disk::new(blocks),
        clean: tmem_refuse.map(|percent| CleanPool::new(11, percent)),
        files: Files::new(&[0, 5000, 3 * 4096 + 100, 8 * 4096]),
    }
}

/// A process's load of the byte at `address`, as the hardware would do it:
/// through the MMU, faulting into the memory manager when the mapping
/// does not allow it.
pub fn load(
    vm: &mut Vm,
    world: &mut World,
    process: ProcessId,
    address: u32,
) -> Result<u8, VmError> {
    access(vm, world, process, address, Access::Read, None)
}

/// A process's store of `value` at `address`.
pub fn store(
    vm: &mut Vm,
    world: &mut World,
    process: ProcessId,
    address: u32,
    value: u8,
) -> Result<(), VmError> {
    access(vm, world, process, address, Access::Write, Some(value)).map(|_| ())
}

fn access(
    vm: &mut Vm,
    world: &mut World,
    process: ProcessId,
    address: u32,
    access: Access,
    value: Option<u8>,
) -> Result<u8, VmError> {
    let page = Vpn::containing(address);
    let within = address as usize % PAGE_SIZE;
    for _ in 0..3 {
        if let Some(frame) = world.mmu.translate(process, page, access) {
            let bytes = world.ram.page_mut(frame);
            if let Some(value) = value {
                bytes[within] = value;
            }
            return Ok(bytes[within]);
        }
        vm.fault(process, address, access, &mut world.backends())?;
    }
    panic!("the fault at {address:#x} was handled but the page is still not mapped");
}

/// The MMU maps exactly the pages the memory manager says are mapped, to
/// their frames, writable only when dirty.
pub fn check_mmu(vm: &Vm, world: &World) {
    for (&(process, page), &(frame, protection)) in &world.mmu.maps {
        let state = vm.page_state(process, page);
        let Some(guest_mm::anon::AnonPage::Resident {
            frame: held,
            mapped: true,
            dirty,
            ..
        }) = state
        else {
            panic!("{process:?} {page:?} mapped but the memory manager has {state:?}");
        };
        assert_eq!(held, frame, "{process:?} {page:?} mapped to another frame");
        let area = vm.areas(process).unwrap().find(page).unwrap();
        let expected = if dirty {
            area.protection
        } else {
            area.protection.without_write()
        };
        assert_eq!(protection, expected, "{process:?} {page:?} protection");
    }
}

/// Every page the memory manager says is mapped is in the MMU.
pub fn check_mapped_in_mmu(vm: &Vm, world: &World) {
    for (process, page, state) in vm.pages() {
        if let guest_mm::anon::AnonPage::Resident { mapped: true, .. } = state {
            assert!(
                world.mmu.maps.contains_key(&(process, page)),
                "{process:?} {page:?} should be mapped"
            );
        }
    }
}
