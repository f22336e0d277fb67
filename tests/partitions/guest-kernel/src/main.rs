//! Test partition: a small guest kernel that runs processes in guest
//! address spaces (issue 12), and, with role `hand-over`, a second guest
//! partition that hands it one of its address spaces. Its configuration
//! is [`test_guest_kernel::config::Config`].
//!
//! Role `guest-kernel`:
//! 1. takes a foreign address space from the other guest partition and
//!    checks that the kernel refuses to let it use it, and refuses bad
//!    `space_map` arguments (a frame it does not hold, an unaligned or
//!    kernel-half address, writable and executable);
//! 2. loads seven processes, each in its own address space, from the ELF
//!    images in [`images`] — hello, paging, timer, three snoopers (reading
//!    another process's code, this guest kernel's memory, kernel memory),
//!    and a looper — and serves their exceptions: the system calls
//!    `write(text, len)` (1), `time()` (2) and `exit(code)` (3) in `r7`,
//!    demand-mapped pages for faults in a process's bss and stack, and a
//!    kill (reported) for any other fault;
//! 3. lets the looper run for a while, then suspends it;
//! 4. uses up its page-table budget (`NoPageTable`) and gets it back by
//!    resetting an address space;
//! 5. maps one frame into three processes, runs a reader in each, revokes
//!    the frame and runs them again: every one of them faults;
//! 6. restarts a process at an undefined instruction.
//!
//! Role `bench`, the benchmarks (`systems/bench-guest.toml`): a process's
//! null system call served by this guest kernel, a page fault it answers
//! by moving one frame between two pages, and a switch between two
//! processes that yield to each other — each timed over many rounds and
//! logged as a `bench` figure.
//!
//! Role `fault-with-process`: starts the looper, lets it run 10 ms beside itself, then
//! reads kernel memory, so the kernel stops this partition — and with it
//! the looper (`tests/systems/guest-stop.toml`).
//!
//! Role `hand-over`: sends its address space (slot 8) to the guest kernel over
//! the endpoint in slot 1, then ends.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod elf;
#[cfg(target_os = "none")]
mod images;

#[cfg(target_os = "none")]
mod partition {
    use kernel_abi::cap::{GrantKind, Rights};
    use kernel_abi::syscall::{Syscall, SyscallError};
    use kernel_abi::user_layout::GRANT_WINDOW;
    use test_guest_kernel::config::{Config, Role};
    use userlib::guest::{
        AddressSpace, Exception, ExceptionMessage, GuestThread, MapRights, Registers, Resume,
    };
    use userlib::ipc::{cap_copy, cap_revoke, Endpoint, Frame, Grant, IpcBuffer, Message};
    use userlib::{syscall, Start};

    use crate::elf::Elf;
    use crate::images::{bytes, Image};

    /// The exception endpoint (receive and bind).
    const EXCEPTIONS: u16 = 0;
    /// Where the other guest partition's address space arrives from.
    const HANDOVER: u16 = 1;
    /// The frame all process memory comes from (read, write, grant,
    /// execute).
    const POOL: u16 = 2;
    /// Pages in it.
    const POOL_PAGES: u16 = 48;
    /// The slot the foreign address space lands in.
    const FOREIGN_SPACE: u16 = 3;
    /// A slot that holds nothing.
    const EMPTY: u16 = 7;
    /// Page `k` of the pool, split off and mapped here for the guest kernel.
    const VIEW_SLOTS: u16 = 8;
    /// Copies of the pool's pages mapped into processes.
    const COPY_SLOTS: u16 = VIEW_SLOTS + POOL_PAGES;
    /// The guest budget's first slot (the description's `first_slot`):
    /// address spaces, then threads.
    const BUDGET: u16 = 160;
    /// Address spaces and threads in the budget.
    const PROCESSES: usize = 7;

    /// Each process's stack: demand-mapped below this.
    const STACK_TOP: u32 = 0x8_0000;
    const STACK_PAGES: u32 = 4;
    /// Where the revocation test maps the shared frame.
    const SHARED: u32 = 0x7_0000;

    const WRITE: u32 = 1;
    const TIME: u32 = 2;
    const EXIT: u32 = 3;
    /// Does nothing (benchmarks).
    const NULL: u32 = 9;
    /// Lets the process's partner run instead (benchmarks).
    const YIELD: u32 = 10;

    /// Rounds of each benchmark.
    const ROUNDS: u32 = 10_000;
    /// The pages the fault benchmark's process reads in turn.
    const FAULT_PAGES: core::ops::Range<u32> = 0x2_0000..0x2_2000;

    /// The word the other guest partition's message carries.
    pub const HANDOVER_WORD: u32 = 0x600D;

    userlib::entry!(main);

    fn main(_start: Start) {
        let config: Config = match userlib::config() {
            Ok(config) => config,
            Err(error) => return defmt::error!("guest kernel: {=str}", error.name()),
        };
        match config.role {
            Role::HandOver => return hand_over_a_space(),
            Role::Bench => return bench(),
            Role::FaultWithProcess => return fault_with_a_process_running(),
            Role::GuestKernel => {}
        }
        let mut kernel = GuestKernel::new();
        foreign_space_checks();
        kernel.argument_checks();
        let list = [
            (Image::Hello, 0),
            (Image::Paging, 0),
            (Image::Timer, 0),
            (Image::Snoop, 0x1_0000),
            (Image::Snoop, 0x10_0000),
            (Image::Snoop, 0xC000_0000),
            (Image::Looper, 0),
        ];
        for (k, &(image, argument)) in list.iter().enumerate() {
            let started = kernel
                .prepare(k, image)
                .and_then(|()| kernel.launch(k, [argument, 0]));
            if let Err(error) = started {
                return defmt::error!("process {=usize} did not start: {=str}", k, error.name());
            }
        }
        kernel.serve(6);
        kernel.run_the_looper_then_suspend_it();
        kernel.exhaust_the_page_tables();
        kernel.revoke_a_frame_mapped_in_three_processes();
        kernel.run_an_undefined_instruction();
        defmt::info!("guest kernel: done");
    }

    fn bench() {
        let mut kernel = GuestKernel::new();
        let ready = kernel
            .prepare(0, Image::Calls)
            .and_then(|()| kernel.prepare(1, Image::Faults))
            .and_then(|()| kernel.prepare(2, Image::Calls))
            .and_then(|()| kernel.prepare(3, Image::Calls))
            .and_then(|()| kernel.new_page())
            .and_then(|page| kernel.copy_of(page, Rights::READ));
        let frame = match ready {
            Ok(frame) => frame,
            Err(error) => return defmt::error!("bench setup failed: {=str}", error.name()),
        };
        kernel.fault_frame = Some(frame);
        kernel.partner[2] = Some(3);
        kernel.partner[3] = Some(2);
        // Each run is ROUNDS events (round trips, faults, switches), over
        // this many processes.
        type Run<'a> = (
            &'a str,
            &'a str,
            usize,
            fn(&mut GuestKernel) -> Result<(), SyscallError>,
        );
        let runs: [Run<'_>; 3] = [
            ("guest.syscall.roundtrip", "round trip", 1, |kernel| {
                kernel.launch(0, [ROUNDS, NULL])
            }),
            ("guest.pagefault.roundtrip", "fault", 1, |kernel| {
                kernel.launch(1, [ROUNDS / 2, 0])
            }),
            ("guest.context_switch", "switch", 2, |kernel| {
                kernel.arm(3, [ROUNDS / 2, YIELD])?;
                kernel.launch(2, [ROUNDS / 2, YIELD])
            }),
        ];
        for (name, unit, processes, run) in runs {
            let begin = syscall::clock_us();
            if let Err(error) = run(&mut kernel) {
                return defmt::error!("bench {=str} failed: {=str}", name, error.name());
            }
            kernel.serve(processes);
            let elapsed_us = syscall::clock_us() - begin;
            defmt::info!(
                "bench {=str}: {=u64} instructions per {=str} ({=u32} in {=u64} us, the process's loop included)",
                name,
                elapsed_us * 1_000 / u64::from(ROUNDS),
                unit,
                ROUNDS,
                elapsed_us
            );
        }
    }

    fn fault_with_a_process_running() {
        let mut kernel = GuestKernel::new();
        let started = kernel
            .prepare(0, Image::Looper)
            .and_then(|()| thread(0).set_priority(5))
            .and_then(|()| kernel.launch(0, [0, 0]));
        if let Err(error) = started {
            return defmt::error!("the looper did not start: {=str}", error.name());
        }
        let until = syscall::clock_us() + 10_000;
        while syscall::clock_us() < until {
            syscall::yield_now();
        }
        defmt::info!("the looper runs; the guest kernel now faults");
        // SAFETY: deliberately faults: the kernel stops this partition.
        unsafe { core::ptr::read_volatile(0xC000_0000 as *const u32) };
    }

    fn hand_over_a_space() {
        let grant = Grant {
            slot: 8,
            kind: GrantKind::DerivedCopy,
            rights: Rights::READ.union(Rights::WRITE),
        };
        match Endpoint(HANDOVER).send_granting(&[HANDOVER_WORD], Some(grant)) {
            Ok(_) => defmt::info!("address space handed over"),
            Err(error) => defmt::error!("handover failed: {=str}", error.name()),
        }
    }

    fn space(k: usize) -> AddressSpace {
        AddressSpace(BUDGET + k as u16)
    }

    fn thread(k: usize) -> GuestThread {
        GuestThread(BUDGET + PROCESSES as u16 + k as u16)
    }

    fn report(check: &str, result: Result<(), SyscallError>) {
        match result {
            Ok(()) => defmt::info!("check {=str}: ok", check),
            Err(error) => defmt::info!("check {=str}: {=str}", check, error.name()),
        }
    }

    /// The other guest partition's address space is not this one's to use.
    fn foreign_space_checks() {
        let message = Endpoint(HANDOVER).recv_into(Some(FOREIGN_SPACE));
        let got = message.is_ok_and(|m| m.words[0] == HANDOVER_WORD && m.granted.is_some());
        defmt::info!("foreign address space received: {=bool}", got);
        let foreign = AddressSpace(FOREIGN_SPACE);
        report(
            "bind to another partition's space",
            thread(0).bind(foreign, EXCEPTIONS),
        );
        report("reset another partition's space", foreign.reset());
    }

    #[derive(Clone, Copy, PartialEq, Eq)]
    enum State {
        Running,
        Ended,
    }

    #[derive(Clone, Copy)]
    struct Process {
        state: State,
        /// Mapped pages: (virtual page, pool page).
        pages: [(u32, u16); 12],
        mapped: usize,
        /// Ranges mapped on demand, read/write.
        demand: [(u32, u32); 2],
        entry: u32,
    }

    struct GuestKernel {
        processes: [Process; PROCESSES],
        next_page: u16,
        next_copy: u16,
        buffer: IpcBuffer,
        /// (Benchmarks) The frame a fault in `FAULT_PAGES` moves to the
        /// faulting page.
        fault_frame: Option<Frame>,
        /// (Benchmarks) The process a `YIELD` switches to.
        partner: [Option<usize>; PROCESSES],
    }

    impl GuestKernel {
        fn new() -> GuestKernel {
            let idle = Process {
                state: State::Ended,
                pages: [(0, 0); 12],
                mapped: 0,
                demand: [(0, 0); 2],
                entry: 0,
            };
            GuestKernel {
                processes: [idle; PROCESSES],
                next_page: 0,
                next_copy: COPY_SLOTS,
                buffer: IpcBuffer::of_thread(0),
                fault_frame: None,
                partner: [None; PROCESSES],
            }
        }

        /// A zeroed page of the pool, mapped for this guest kernel; its
        /// pool index.
        fn new_page(&mut self) -> Result<u16, SyscallError> {
            let page = self.next_page;
            if page >= POOL_PAGES {
                return Err(SyscallError::InvalidArgument);
            }
            self.next_page += 1;
            let view = Frame(POOL).split(u32::from(page), VIEW_SLOTS + page)?;
            view.map(view_address(page), true)?;
            Ok(page)
        }

        /// A copy of pool page `page` with `rights`, in a fresh slot.
        fn copy_of(&mut self, page: u16, rights: Rights) -> Result<Frame, SyscallError> {
            let slot = self.next_copy;
            self.next_copy += 1;
            cap_copy(VIEW_SLOTS + page, slot, rights)?;
            Ok(Frame(slot))
        }

        /// Maps a new page at `va` in process `k` with `rights`, filled
        /// with `data` from `offset` in the page.
        fn map_page(
            &mut self,
            k: usize,
            va: u32,
            rights: MapRights,
            data: &[u8],
            offset: usize,
        ) -> Result<(), SyscallError> {
            let page = self.new_page()?;
            // SAFETY: the page is this guest kernel's own view of a frame
            // it just split off, mapped read/write, used by nothing else.
            let view =
                unsafe { core::slice::from_raw_parts_mut(view_address(page) as *mut u8, 4096) };
            view[offset..offset + data.len()].copy_from_slice(data);
            let cap_rights = match rights {
                MapRights::Read => Rights::READ,
                MapRights::ReadWrite => Rights::READ.union(Rights::WRITE),
                MapRights::ReadExecute => Rights::READ.union(Rights::EXECUTE),
            };
            let copy = self.copy_of(page, cap_rights)?;
            space(k).map(copy, va, rights)?;
            let process = &mut self.processes[k];
            if process.mapped < process.pages.len() {
                process.pages[process.mapped] = (va, page);
                process.mapped += 1;
            }
            Ok(())
        }

        /// Loads `image` into address space `k` and binds thread `k` to it.
        fn prepare(&mut self, k: usize, image: Image) -> Result<(), SyscallError> {
            self.load(k, image)?;
            self.processes[k].demand[1] = (STACK_TOP - STACK_PAGES * 4096, STACK_TOP);
            thread(k).bind(space(k), EXCEPTIONS)?;
            thread(k).set_priority(4)
        }

        /// Sets thread `k` to start at its entry with `r0`, `r1` = `args`,
        /// still suspended.
        fn arm(&mut self, k: usize, args: [u32; 2]) -> Result<(), SyscallError> {
            let mut registers = Registers::start(self.processes[k].entry, STACK_TOP, args[0]);
            registers.0[1] = args[1];
            thread(k).set_registers(&registers)?;
            self.processes[k].state = State::Running;
            Ok(())
        }

        /// Starts thread `k` at its entry with `r0`, `r1` = `args`.
        fn launch(&mut self, k: usize, args: [u32; 2]) -> Result<(), SyscallError> {
            self.arm(k, args)?;
            thread(k).resume()
        }

        fn load(&mut self, k: usize, image: Image) -> Result<(), SyscallError> {
            let elf = Elf::parse(bytes(image)).map_err(|_| SyscallError::InvalidArgument)?;
            for segment in elf.segments.iter().flatten() {
                if segment.file_size == 0 {
                    // Nothing from the file: mapped when touched.
                    let end = segment.vaddr + segment.memory_size;
                    self.processes[k].demand[0] = (segment.vaddr, end);
                    continue;
                }
                let rights = if segment.executable {
                    MapRights::ReadExecute
                } else if segment.writable {
                    MapRights::ReadWrite
                } else {
                    MapRights::Read
                };
                let file = &elf.bytes[segment.offset as usize..][..segment.file_size as usize];
                for (n, chunk) in file.chunks(4096).enumerate() {
                    let va = segment.vaddr + n as u32 * 4096;
                    self.map_page(k, va, rights, chunk, 0)?;
                }
            }
            self.processes[k].entry = elf.entry;
            Ok(())
        }

        /// Serves exceptions until `count` processes have ended.
        fn serve(&mut self, count: usize) {
            let endpoint = Endpoint(EXCEPTIONS);
            let mut ended = 0;
            let mut reply: Option<Resume> = None;
            loop {
                let received = match reply.take() {
                    Some(resume) => endpoint.reply_exception(resume),
                    None => endpoint.recv(),
                };
                let message = match received {
                    Ok(message) => message,
                    Err(error) => return defmt::error!("receive failed: {=str}", error.name()),
                };
                let (resume, ends) = self.handle(&message);
                ended += usize::from(ends);
                if ended < count {
                    reply = Some(resume);
                    continue;
                }
                // The last one: suspend it directly, so nothing waits for a
                // reply while this thread goes on.
                if let Some(k) = sender(&message) {
                    report_error("suspend", thread(k).suspend());
                }
                return;
            }
        }

        /// What to answer `message` with, and whether its process ended.
        fn handle(&mut self, message: &Message) -> (Resume, bool) {
            let registers = message.buffer.then(|| self.buffer.registers()).flatten();
            let decoded = match ExceptionMessage::decode(message, registers) {
                Ok(decoded) => decoded,
                Err(_) => {
                    defmt::error!("not an exception message");
                    return (Resume::Suspend, false);
                }
            };
            let k = usize::from(decoded.thread);
            if k >= PROCESSES {
                defmt::error!("exception from unknown thread {=usize}", k);
                return (Resume::Suspend, false);
            }
            match decoded.exception {
                Exception::Syscall { number, args } => self.syscall(k, number, args),
                Exception::PageFault { address, .. }
                    if self.fault_frame.is_some() && FAULT_PAGES.contains(&address) =>
                {
                    (self.move_fault_frame(k, address), false)
                }
                Exception::PageFault {
                    address,
                    access,
                    status,
                } => {
                    let writable = self.processes[k]
                        .demand
                        .iter()
                        .any(|&(start, end)| (start..end).contains(&address));
                    if writable {
                        let page = address & !0xFFF;
                        match self.map_page(k, page, MapRights::ReadWrite, &[], 0) {
                            Ok(()) => return (Resume::UNCHANGED, false),
                            Err(e) => defmt::error!("demand map failed: {=str}", e.name()),
                        }
                    }
                    let access = match access {
                        userlib::guest::FaultAccess::Read => "read",
                        userlib::guest::FaultAccess::Write => "write",
                        userlib::guest::FaultAccess::Execute => "execute",
                    };
                    defmt::info!(
                        "process {=usize} faulted: {=str} of {=u32:#x} (status {=u32:#x}) at pc {=u32:#x}, killed",
                        k,
                        access,
                        address,
                        status,
                        decoded.pc
                    );
                    self.processes[k].state = State::Ended;
                    (Resume::Suspend, true)
                }
                Exception::Undefined { pc } => {
                    defmt::info!(
                        "process {=usize}: undefined instruction at {=u32:#x}, killed",
                        k,
                        pc
                    );
                    self.processes[k].state = State::Ended;
                    (Resume::Suspend, true)
                }
            }
        }

        /// (Benchmarks) Maps the fault frame at `address`'s page of process
        /// `k`, taking it from the other page first.
        fn move_fault_frame(&mut self, k: usize, address: u32) -> Resume {
            let (Some(frame), page) = (self.fault_frame, address & !0xFFF) else {
                return Resume::Suspend;
            };
            let other = if page == FAULT_PAGES.start {
                FAULT_PAGES.start + 0x1000
            } else {
                FAULT_PAGES.start
            };
            let moved = space(k)
                .unmap(other, 1)
                .and_then(|()| space(k).map(frame, page, MapRights::Read));
            match moved {
                Ok(()) => Resume::UNCHANGED,
                Err(error) => {
                    defmt::error!("moving the fault frame failed: {=str}", error.name());
                    Resume::Suspend
                }
            }
        }

        fn syscall(&mut self, k: usize, number: u32, args: [u32; 6]) -> (Resume, bool) {
            match number {
                NULL => (Resume::UNCHANGED, false),
                YIELD => match self.partner[k] {
                    Some(partner) => {
                        report_error("resume the partner", thread(partner).resume());
                        (Resume::Suspend, false)
                    }
                    None => (Resume::UNCHANGED, false),
                },
                WRITE => match self.read_process(k, args[0], args[1]) {
                    Some(text) => {
                        let text = core::str::from_utf8(text).unwrap_or("(not UTF-8)");
                        defmt::info!("process {=usize}: {=str}", k, text);
                        (Resume::returning(args[1]), false)
                    }
                    None => (Resume::returning(u32::MAX), false),
                },
                TIME => {
                    let now = syscall::clock_us();
                    let results = [now as u32, (now >> 32) as u32, 0];
                    (Resume::With { results, count: 2 }, false)
                }
                EXIT => {
                    if self.partner[k].is_none() {
                        defmt::info!("process {=usize} exited with code {=u32:#x}", k, args[0]);
                    }
                    self.processes[k].state = State::Ended;
                    // A partner that yielded to this one runs on to its end.
                    if let Some(partner) = self.partner[k] {
                        if self.processes[partner].state == State::Running {
                            let _ = thread(partner).resume();
                        }
                    }
                    (Resume::Suspend, true)
                }
                other => {
                    defmt::info!("process {=usize}: unknown system call {=u32}", k, other);
                    (Resume::returning(u32::MAX), false)
                }
            }
        }

        /// `len` bytes at `va` in process `k`, if they lie in one mapped
        /// page.
        fn read_process(&self, k: usize, va: u32, len: u32) -> Option<&[u8]> {
            let process = &self.processes[k];
            let offset = (va & 0xFFF) as usize;
            if len > 256 || offset + len as usize > 4096 {
                return None;
            }
            let &(_, page) = process.pages[..process.mapped]
                .iter()
                .find(|&&(page_va, _)| page_va == va & !0xFFF)?;
            // SAFETY: the page is this guest kernel's read/write view of
            // the process's page; the process waits while it is read.
            let view =
                unsafe { core::slice::from_raw_parts(view_address(page) as *const u8, 4096) };
            Some(&view[offset..offset + len as usize])
        }

        /// Bad `space_map` arguments are refused.
        fn argument_checks(&mut self) {
            let target = space(6);
            report(
                "map a frame it does not hold",
                target.map(Frame(EMPTY), 0x9_0000, MapRights::Read),
            );
            let page = match self.new_page() {
                Ok(page) => page,
                Err(error) => return defmt::error!("no page: {=str}", error.name()),
            };
            let all = Rights::READ.union(Rights::WRITE).union(Rights::EXECUTE);
            let Ok(frame) = self.copy_of(page, all) else {
                return defmt::error!("no copy");
            };
            report(
                "map at an unaligned address",
                target.map(frame, 0x9_0800, MapRights::Read),
            );
            report(
                "map in the kernel half",
                target.map(frame, 0x8000_0000, MapRights::Read),
            );
            report(
                "map at kernel memory",
                target.map(frame, 0xC000_0000, MapRights::Read),
            );
            let wx = Rights::READ.union(Rights::WRITE).union(Rights::EXECUTE);
            // SAFETY: no pointers: capability slots, an address and rights.
            let regs = unsafe {
                userlib::ipc::raw_call(
                    Syscall::SpaceMap,
                    u32::from(target.0),
                    &[u32::from(frame.0), 0x9_0000, wx.bits()],
                    0,
                    0,
                )
            };
            report("map writable and executable", syscall::result(regs[0]));
            let read_only = match self.copy_of(page, Rights::READ) {
                Ok(frame) => frame,
                Err(_) => return defmt::error!("no copy"),
            };
            report(
                "map writable through a read-only frame",
                target.map(read_only, 0x9_0000, MapRights::ReadWrite),
            );
            report(
                "map a good page",
                target.map(frame, 0x9_0000, MapRights::ReadWrite),
            );
            report(
                "map it again elsewhere",
                target.map(frame, 0xA_0000, MapRights::ReadWrite),
            );
            report("unmap it", target.unmap(0x9_0000, 1));
        }

        /// The looper shares the guest kernel's windows for a while.
        fn run_the_looper_then_suspend_it(&mut self) {
            let looper = thread(6);
            report_error("raise the looper", looper.set_priority(5));
            report(
                "raise a process above the guest kernel",
                looper.set_priority(6),
            );
            let until = syscall::clock_us() + 50_000;
            while syscall::clock_us() < until {
                syscall::yield_now();
            }
            let registers = looper.registers();
            report_error("suspend the looper", looper.suspend());
            match registers {
                Ok(r) => defmt::info!(
                    "looping process suspended at pc {=u32:#x} after 50 ms",
                    r.pc()
                ),
                Err(error) => defmt::error!("looper registers: {=str}", error.name()),
            }
        }

        /// Maps one page per megabyte into space 5 until the page tables
        /// run out, then gets them back with a reset.
        fn exhaust_the_page_tables(&mut self) {
            let Ok(page) = self.new_page() else {
                return defmt::error!("no page");
            };
            let target = space(5);
            let mut mapped = 0u32;
            let outcome = loop {
                let Ok(frame) = self.copy_of(page, Rights::READ) else {
                    break Err(SyscallError::InvalidArgument);
                };
                let va = 0x1000_0000 + mapped * 0x10_0000;
                match target.map(frame, va, MapRights::Read) {
                    Ok(()) => mapped += 1,
                    Err(error) => break Err(error),
                }
                if mapped > 64 {
                    break Ok(());
                }
            };
            defmt::info!(
                "page-table budget: {=u32} more tables, then {=str}",
                mapped,
                outcome.err().map_or("no error", |e| e.name())
            );
            report("reset", target.reset());
            let Ok(frame) = self.copy_of(page, Rights::READ) else {
                return defmt::error!("no copy");
            };
            report(
                "map after the reset",
                target.map(frame, 0x1000_0000, MapRights::Read),
            );
        }

        /// One frame in three processes' spaces; revoking it takes it out
        /// of all three.
        fn revoke_a_frame_mapped_in_three_processes(&mut self) {
            let Ok(shared) = self.new_page() else {
                return defmt::error!("no page");
            };
            // SAFETY: this guest kernel's own view of the page.
            unsafe { core::ptr::write_volatile(view_address(shared) as *mut u32, 0x5EED) };
            let snoop = match Elf::parse(bytes(Image::Snoop)) {
                Ok(elf) => elf.entry,
                Err(_) => return defmt::error!("snoop image"),
            };
            let mut copies = [Frame(0); 3];
            for (k, copy) in copies.iter_mut().enumerate() {
                let ok = self.copy_of(shared, Rights::READ).and_then(|frame| {
                    *copy = frame;
                    space(k).map(frame, SHARED, MapRights::Read)?;
                    self.load(k, Image::Snoop)
                });
                report_error("map the shared page", ok);
                self.processes[k].entry = snoop;
                report_error("launch a reader", self.launch(k, [SHARED, 0]));
            }
            self.serve(3);
            report("revoke the shared frame", cap_revoke(VIEW_SLOTS + shared));
            report(
                "map a revoked copy",
                space(0).map(copies[0], 0xB_0000, MapRights::Read),
            );
            for k in 0..3 {
                report_error("relaunch a reader", self.launch(k, [SHARED, 0]));
            }
            self.serve(3);
        }

        /// Restarts process 3 (a snooper) at the undefined instruction at
        /// the start of its image.
        fn run_an_undefined_instruction(&mut self) {
            self.processes[3].entry = 0x4_0000;
            report_error("launch at an undefined instruction", self.launch(3, [0, 0]));
            self.serve(1);
        }
    }

    /// Which process's thread sent `message`.
    fn sender(message: &Message) -> Option<usize> {
        let header = kernel_abi::guest::ExceptionHeader::decode(message.words[0])?;
        Some(usize::from(header.thread))
    }

    fn report_error(what: &str, result: Result<(), SyscallError>) {
        if let Err(error) = result {
            defmt::error!("{=str} failed: {=str}", what, error.name());
        }
    }

    /// Where pool page `page` is mapped for this guest kernel.
    fn view_address(page: u16) -> u32 {
        GRANT_WINDOW + u32::from(page) * 4096
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("test-guest-kernel is a partition: run it with `cargo xtask run-qemu`");
}
