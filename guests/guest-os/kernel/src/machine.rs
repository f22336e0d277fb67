//! The guest kernel's memory machine: the [`Vm`], the processes' page
//! tables and the ports memory management reaches out through. The page
//! tables are either software ([`SoftMmu`], the interim mode the
//! workloads still run in: an access looks its page up, and a miss is a
//! page fault handed to [`Vm::fault`]) or the kernel's address spaces
//! ([`KernelSpaces`](crate::kernel_spaces::KernelSpaces)), where the
//! hardware faults and the kernel's exception IPC delivers the fault to
//! [`Machine::fault`]. Workloads use nothing else.
//!
//! Every so many faults it hands a [`GuestReport`] to its [`Reporter`].
//! It must never touch a frame the process's page tables do not map, and
//! never panic on a process's bad access: that is a [`VmError`].

use guest_mm::{
    Access, Backends, BlockDevice, Cleancache, FileId, FileStore, Frame, FrameMemory, Frontswap,
    ProcessId, Protection, SegfaultReason, Vm, VmConfig, VmError, Vpn, PAGE_SIZE,
};

use crate::balloon_service::Periodic;
use crate::report::{GuestReport, Reporter};
use guest_mm::{AddressSpaceOps, FaultKind};

use crate::soft_mmu::SoftMmu;

/// Everything outside the Vm that memory management touches, borrowed
/// for the guest's lifetime.
pub struct Ports<'p> {
    /// Guest RAM.
    pub memory: &'p mut dyn FrameMemory,
    /// tmem's persistent pool, when tmem is on.
    pub frontswap: Option<&'p mut dyn Frontswap>,
    /// tmem's ephemeral pool, when tmem is on.
    pub cleancache: Option<&'p mut dyn Cleancache>,
    /// The swap device.
    pub swap_device: &'p mut dyn BlockDevice,
    /// The files.
    pub files: &'p mut dyn FileStore,
}

/// The guest's memory machine, its processes' page tables kept by `S`:
/// the software MMU ([`SoftMmu`], the default) or the kernel's address
/// spaces ([`KernelSpaces`](crate::kernel_spaces::KernelSpaces)).
pub struct Machine<'p, S = SoftMmu> {
    vm: Vm,
    mmu: S,
    ports: Ports<'p>,
    reporter: &'p mut dyn Reporter,
    report_every: u64,
    next_report: u64,
    periodic: Option<&'p mut dyn Periodic>,
}

impl<'p> Machine<'p, SoftMmu> {
    /// A machine with memory management set up by `config` and software
    /// page tables, reporting every `report_every` faults (0: never).
    pub fn new(
        config: VmConfig,
        ports: Ports<'p>,
        reporter: &'p mut dyn Reporter,
        report_every: u64,
    ) -> Machine<'p, SoftMmu> {
        Machine::with_spaces(config, SoftMmu::new(), ports, reporter, report_every)
    }

    /// Memory management's invariants, and that every page the software
    /// page tables map is one the Vm holds resident and mapped.
    pub fn check(&self) -> Result<(), &'static str> {
        self.vm.check(&*self.ports.memory)?;
        let mapped = self
            .vm
            .pages()
            .filter(|(_, _, page)| {
                matches!(
                    page,
                    guest_mm::anon::AnonPage::Resident { mapped: true, .. }
                )
            })
            .count();
        if mapped != self.mmu.mapped_pages() {
            return Err("the page tables and the Vm disagree on what is mapped");
        }
        Ok(())
    }

    /// The process stores `data` at `address`.
    pub fn store(&mut self, process: ProcessId, address: u32, data: &[u8]) -> Result<(), VmError> {
        let mut done = 0;
        while done < data.len() {
            let at = offset_address(address, done)?;
            let frame = self.access(process, at, Access::Write)?;
            let within = at as usize % PAGE_SIZE;
            let count = (PAGE_SIZE - within).min(data.len() - done);
            self.ports.memory.page_mut(frame)[within..within + count]
                .copy_from_slice(&data[done..done + count]);
            done += count;
        }
        Ok(())
    }

    /// The process loads `out.len()` bytes from `address`.
    pub fn load(
        &mut self,
        process: ProcessId,
        address: u32,
        out: &mut [u8],
    ) -> Result<(), VmError> {
        let mut done = 0;
        while done < out.len() {
            let at = offset_address(address, done)?;
            let frame = self.access(process, at, Access::Read)?;
            let within = at as usize % PAGE_SIZE;
            let count = (PAGE_SIZE - within).min(out.len() - done);
            out[done..done + count]
                .copy_from_slice(&self.ports.memory.page(frame)[within..within + count]);
            done += count;
        }
        Ok(())
    }

    /// The frame `process`'s `access` at `address` reaches: the software
    /// MMU's translation, after a page fault if it misses.
    fn access(
        &mut self,
        process: ProcessId,
        address: u32,
        access: Access,
    ) -> Result<Frame, VmError> {
        self.tick(true);
        let page = Vpn::containing(address);
        if let Some(frame) = self.mmu.translate(process, page, access) {
            return Ok(frame);
        }
        let (vm, mut backends) = self.split();
        let faulted = vm.fault(process, address, access, &mut backends);
        self.after_fault();
        faulted?;
        self.mmu
            .translate(process, page, access)
            .ok_or(VmError::Segfault {
                address,
                reason: SegfaultReason::Protection,
            })
    }
}

impl<'p, S: AddressSpaceOps> Machine<'p, S> {
    /// A machine with memory management set up by `config` and the
    /// processes' page tables in `spaces`, reporting every `report_every`
    /// faults (0: never).
    pub fn with_spaces(
        config: VmConfig,
        spaces: S,
        ports: Ports<'p>,
        reporter: &'p mut dyn Reporter,
        report_every: u64,
    ) -> Machine<'p, S> {
        Machine {
            vm: Vm::new(config),
            mmu: spaces,
            ports,
            reporter,
            report_every,
            next_report: report_every,
            periodic: None,
        }
    }

    /// Runs `periodic` (the balloon service) between accesses from now on.
    pub fn set_periodic(&mut self, periodic: &'p mut dyn Periodic) {
        self.periodic = Some(periodic);
    }

    /// Runs the periodic task if it is due; `busy`: the guest still has
    /// work to do. Returns false once it has ended (or there is none).
    pub fn tick(&mut self, busy: bool) -> bool {
        let Some(periodic) = self.periodic.take() else {
            return false;
        };
        if periodic.due() {
            let (vm, mut backends) = self.split();
            periodic.run(vm, &mut backends, busy);
        }
        let running = !periodic.ended();
        self.periodic = Some(periodic);
        running
    }

    /// Puts `count` of the (free, at boot) frames into the balloon: the
    /// holes guest RAM starts with. Returns them.
    pub fn balloon_holes(&mut self, count: u32) -> alloc::vec::Vec<Frame> {
        let (vm, mut backends) = self.split();
        vm.balloon_out(count, &mut backends)
    }

    /// Memory management's state.
    pub const fn vm(&self) -> &Vm {
        &self.vm
    }

    /// The processes' page tables.
    pub const fn mmu(&self) -> &S {
        &self.mmu
    }

    /// The snapshot of the counters now.
    pub fn report(&self) -> GuestReport {
        GuestReport::of(&self.vm)
    }

    /// A page fault of `process` at `address` (delivered by the kernel as
    /// exception IPC): memory management makes the page resident and maps
    /// it, or says why the access is not allowed.
    pub fn fault(
        &mut self,
        process: ProcessId,
        address: u32,
        access: Access,
    ) -> Result<FaultKind, VmError> {
        let (vm, mut backends) = self.split();
        let faulted = vm.fault(process, address, access, &mut backends);
        self.after_fault();
        faulted
    }

    /// Memory management's invariants over guest RAM.
    pub fn check_vm(&self) -> Result<(), &'static str> {
        self.vm.check(&*self.ports.memory)
    }

    /// A writable segment of a program image: `len` bytes at `address`,
    /// starting with `data` (the rest demand-zero).
    pub fn map_image(
        &mut self,
        process: ProcessId,
        address: u32,
        len: u32,
        data: &[u8],
    ) -> Result<(), VmError> {
        self.vm.mmap_fixed(
            process,
            address,
            len,
            Protection::ReadWrite,
            guest_mm::AreaKind::Image,
        )?;
        let (vm, mut backends) = self.split();
        vm.copy_to_user(process, address, data, &mut backends)
    }

    /// A stack: `len` demand-zero read/write bytes below `top`.
    pub fn map_stack(&mut self, process: ProcessId, top: u32, len: u32) -> Result<(), VmError> {
        self.vm.mmap_fixed(
            process,
            top.wrapping_sub(len),
            len,
            Protection::ReadWrite,
            guest_mm::AreaKind::Mapping,
        )
    }

    /// Anonymous `mmap` of `len` bytes with `protection`; the address.
    pub fn mmap_bytes(
        &mut self,
        process: ProcessId,
        len: u32,
        protection: Protection,
    ) -> Result<u32, VmError> {
        self.vm.mmap(process, len, protection)
    }

    /// `munmap` of `len` bytes at `address`.
    pub fn munmap_bytes(
        &mut self,
        process: ProcessId,
        address: u32,
        len: u32,
    ) -> Result<(), VmError> {
        let (vm, mut backends) = self.split();
        vm.munmap(process, address, len, &mut backends)
    }

    /// `brk`: moves the break to `address`, or with `None` says where it
    /// is.
    pub fn brk(&mut self, process: ProcessId, address: Option<u32>) -> Result<u32, VmError> {
        match address {
            None => Ok(self.vm.areas(process)?.brk()),
            Some(address) => {
                let (vm, mut backends) = self.split();
                vm.brk(process, address, &mut backends)
            }
        }
    }

    /// Copies `out.len()` bytes of `process`'s memory from `address` (a
    /// system call's buffer), faulting pages in as the process would.
    pub fn copy_from_user(
        &mut self,
        process: ProcessId,
        address: u32,
        out: &mut [u8],
    ) -> Result<(), VmError> {
        let (vm, mut backends) = self.split();
        vm.copy_from_user(process, address, out, &mut backends)
    }

    /// Copies `data` into `process`'s memory at `address` (a system
    /// call's result buffer), faulting pages in as the process would.
    pub fn copy_to_user(
        &mut self,
        process: ProcessId,
        address: u32,
        data: &[u8],
    ) -> Result<(), VmError> {
        let (vm, mut backends) = self.split();
        vm.copy_to_user(process, address, data, &mut backends)
    }

    /// Whether every byte of `[address, address + len)` lies in an area
    /// of `process` that it may write: a buffer checked before anything
    /// is read into it.
    pub fn user_writable(&self, process: ProcessId, address: u32, len: u32) -> bool {
        let Ok(areas) = self.vm.areas(process) else {
            return false;
        };
        if len == 0 {
            return true;
        }
        let Some(last) = address.checked_add(len - 1) else {
            return false;
        };
        (Vpn::containing(address).0..=Vpn::containing(last).0).all(|page| {
            areas
                .find(Vpn(page))
                .is_some_and(|area| area.protection == Protection::ReadWrite)
        })
    }

    /// The size of `file`, or why it cannot be opened.
    pub fn file_size(&self, file: FileId) -> Result<u32, VmError> {
        self.ports.files.size(file).map_err(VmError::File)
    }

    /// The Vm and the ports, for one operation.
    fn split(&mut self) -> (&mut Vm, Backends<'_>) {
        let ports = &mut self.ports;
        let backends = Backends {
            memory: &mut *ports.memory,
            spaces: &mut self.mmu,
            frontswap: match &mut ports.frontswap {
                Some(frontswap) => Some(&mut **frontswap),
                None => None,
            },
            swap_device: &mut *ports.swap_device,
            cleancache: match &mut ports.cleancache {
                Some(cleancache) => Some(&mut **cleancache),
                None => None,
            },
            files: &mut *ports.files,
        };
        (&mut self.vm, backends)
    }

    /// Starts a process with an empty address space.
    pub fn create_process(&mut self, process: ProcessId, heap_start: u32) -> Result<(), VmError> {
        self.vm.create_process(process, heap_start)
    }

    /// Ends a process, freeing its frames, swap slots and tmem pages.
    pub fn destroy_process(&mut self, process: ProcessId) -> Result<(), VmError> {
        let (vm, mut backends) = self.split();
        vm.destroy_process(process, &mut backends)
    }

    /// Anonymous read/write `mmap` of `pages` pages; returns the address.
    pub fn mmap(&mut self, process: ProcessId, pages: u32) -> Result<u32, VmError> {
        let len = pages
            .checked_mul(PAGE_SIZE as u32)
            .ok_or(VmError::Area(guest_mm::AreaError::OutOfRange))?;
        self.vm.mmap(process, len, Protection::ReadWrite)
    }

    /// `munmap` of `pages` pages at `address`.
    pub fn munmap(&mut self, process: ProcessId, address: u32, pages: u32) -> Result<(), VmError> {
        let len = pages
            .checked_mul(PAGE_SIZE as u32)
            .ok_or(VmError::Area(guest_mm::AreaError::OutOfRange))?;
        let (vm, mut backends) = self.split();
        vm.munmap(process, address, len, &mut backends)
    }

    /// Reads `out.len()` bytes of `file` from `offset` through the page
    /// cache (the `read` system call's kernel half); returns how many.
    pub fn read_file(
        &mut self,
        file: FileId,
        offset: u32,
        out: &mut [u8],
    ) -> Result<usize, VmError> {
        let faults = self.vm.stats().faults;
        let (vm, mut backends) = self.split();
        let read = vm.read_file(file, offset, out, &mut backends);
        if self.vm.stats().faults != faults {
            self.after_fault();
        }
        read
    }

    fn after_fault(&mut self) {
        if self.report_every != 0 && self.vm.stats().faults >= self.next_report {
            self.next_report = self.vm.stats().faults + self.report_every;
            let report = self.report();
            self.reporter.periodic(&report);
        }
    }
}

/// `address + done`, or a segfault past the top of the address space.
fn offset_address(address: u32, done: usize) -> Result<u32, VmError> {
    u32::try_from(done)
        .ok()
        .and_then(|done| address.checked_add(done))
        .ok_or(VmError::Segfault {
            address,
            reason: SegfaultReason::NoArea,
        })
}
