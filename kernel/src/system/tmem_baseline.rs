//! The in-kernel tmem baseline, for `cargo xtask bench` only: the same
//! `tmem-store` the user-level server runs, linked into the kernel behind
//! one system call ([`Syscall::TmemBaseline`], 63) — Xen's design, where
//! tmem is a hypercall that copies the guest's page straight into or out
//! of the store. The benchmark compares the user-level server against it.
//!
//! Built only with the `tmem-baseline` feature, which only benchmark
//! systems turn on (`kernel_features` in their description); without it
//! the call is unknown, as every unused number is. It must never be in a
//! production kernel: it allocates from a heap of its own, keeps
//! partitions' pages in kernel memory, knows callers only by partition,
//! and holds no quota. Every argument is checked before the store is
//! touched.
//!
//! ```text
//! in   r0 bits 7..0 op: 1 new pool (r1 = 1 persistent, 0 ephemeral),
//!         2 put, 3 get, 4 flush, 5 traffic; bits 9..8 the store client
//!         the partition acts as: 0 plain, 1 compressing, 2 in a sharing
//!         domain, 3 both (each its own client with its own pools)
//!      r1 pool, r2/r3 object id (low, high word), r4 index,
//!      r5 the page (put: readable, get: writable; page-aligned, 4 KiB)
//! out  r0 error (bad arguments only); r1 0 done, or 1 + the store's
//!      refusal (a miss is NotFound); new pool: r2 = the pool;
//!      flush: r2 = 1 if a page was there; traffic: r2/r3 = page-content
//!      bytes read/written so far (low 32 bits)
//! ```
//!
//! [`Syscall::TmemBaseline`]: kernel_abi::syscall::Syscall::TmemBaseline

use kernel_abi::syscall::SyscallError;

use super::System;

#[cfg(all(target_os = "none", feature = "tmem-baseline"))]
mod store {
    use core::cell::RefCell;

    use alloc::vec::Vec;
    use critical_section::Mutex;
    use embedded_alloc::LlffHeap;
    use kernel_abi::syscall::SyscallError;

    use tmem_store::{
        ClientConfig, ClientId, Config, FrameId, FrameProvider, ObjectId, Page, PoolFlags, PoolId,
        PoolUuid, SharingDomain, Store, TmemError, Traffic, PAGE_SIZE,
    };

    use crate::mm::user_space::{Use, UserSpace};

    /// Frames of the store: as many as the user-level server's pool in
    /// `systems/bench-tmem.toml`.
    const FRAMES: u32 = 96;
    /// Pages the store keeps metadata for: far more than its frames, so
    /// that zero pages can fill it to 10^4 for the store-size sweep.
    const MAX_PAGES: u32 = 10_240;
    /// Bytes of the heap the store's frames and tables come from. The
    /// kernel maps its image with four page tables (4 MiB), which a debug
    /// kernel with a larger heap outgrows.
    const HEAP_BYTES: usize = FRAMES as usize * PAGE_SIZE + 2 * 1024 * 1024;
    /// Partitions that get store clients: those of the tmem bench systems
    /// (a partition past them gets no client and its calls are refused).
    const CLIENT_PARTITIONS: u32 = 8;
    /// Store clients per partition: plain, compressing, sharing, both.
    const VARIANTS: u32 = 4;

    #[global_allocator]
    static HEAP: LlffHeap = LlffHeap::empty();

    /// The heap's memory, handed to [`HEAP`] once.
    static mut ARENA: [u8; HEAP_BYTES] = [0; HEAP_BYTES];

    static STORE: Mutex<RefCell<Option<Store<KernelFrames>>>> = Mutex::new(RefCell::new(None));

    /// A store frame, aligned for the kernel's block copy.
    #[repr(C, align(8))]
    struct Frame(Page);

    /// The store's frames, copied to and from partitions' pages with the
    /// kernel's `__aeabi_memcpy8` (`ldm`/`stm`, as fast as the user-level
    /// server's copies) instead of a byte-wise `memcpy`.
    struct KernelFrames(Vec<Frame>);

    extern "C" {
        /// The kernel's block copy (`kernel/abi/asm/aeabi_memcpy.s`).
        fn __aeabi_memcpy8(dst: *mut u8, src: *const u8, len: usize);
    }

    /// Copies a whole page: the block copy when both are 8-byte aligned (a
    /// partition's page always is: the call takes page-aligned pages).
    /// Called by name: left to itself the compiler merges the aligned and
    /// unaligned copies into one byte-wise `memcpy`.
    fn copy_page(dst: &mut Page, src: &Page) -> Traffic {
        if (dst.as_ptr() as usize | src.as_ptr() as usize).is_multiple_of(8) {
            // SAFETY: both name 4096 valid bytes, 8-byte aligned as the
            // routine needs, and cannot overlap (a `&mut` and a `&`).
            unsafe { __aeabi_memcpy8(dst.as_mut_ptr(), src.as_ptr(), PAGE_SIZE) };
        } else {
            dst.copy_from_slice(src);
        }
        Traffic::copy(PAGE_SIZE)
    }

    impl FrameProvider for KernelFrames {
        fn frame_count(&self) -> u32 {
            self.0.len() as u32
        }

        fn frame(&self, id: FrameId) -> &Page {
            &self.0[id.0 as usize].0
        }

        fn frame_mut(&mut self, id: FrameId) -> &mut Page {
            &mut self.0[id.0 as usize].0
        }

        fn write_page(&mut self, id: FrameId, page: &Page) -> Traffic {
            copy_page(self.frame_mut(id), page)
        }

        fn read_page(&self, id: FrameId, out: &mut Page) -> Traffic {
            copy_page(out, self.frame(id))
        }
    }

    fn new_store() -> Option<Store<KernelFrames>> {
        // SAFETY: this runs once (the store is made once, under the
        // critical section), before anything allocates, and `ARENA` is
        // used by nothing but the heap.
        unsafe { HEAP.init(core::ptr::addr_of_mut!(ARENA) as usize, HEAP_BYTES) };
        let mut config = Config::new(MAX_PAGES);
        let partitions = CLIENT_PARTITIONS;
        for variant in 0..VARIANTS {
            for partition in 0..partitions {
                let id = 1 + partition + partitions * variant;
                let client = ClientConfig::new(ClientId(id)).compress(variant & 1 != 0);
                config = config.client(if variant & 2 != 0 {
                    client.sharing_domain(SharingDomain(id))
                } else {
                    client
                });
            }
        }
        let frames = (0..FRAMES).map(|_| Frame([0; PAGE_SIZE])).collect();
        Store::new(config, KernelFrames(frames)).ok()
    }

    /// The caller's page at `va`, checked for `access`, through the
    /// kernel's linear map or its RAM window (`arch::ram::page`).
    fn user_page(space: &UserSpace, va: u32, access: Use) -> Result<*mut Page, SyscallError> {
        let pa = space.check_buffer(va, PAGE_SIZE as u32, access, PAGE_SIZE as u32)?;
        crate::arch::ram::page(pa)
            .map(|page| page.cast::<Page>())
            .map_err(|_| SyscallError::Unmapped)
    }

    fn refusal(error: TmemError) -> u32 {
        1 + error as u32
    }

    /// Runs `op` for partition `partition`; returns r1..r3.
    pub fn serve(
        partition: usize,
        regs: [u32; 6],
        space: &UserSpace,
    ) -> Result<[u32; 3], SyscallError> {
        let variant = (regs[0] >> 8) & 0b11;
        if regs[0] >> 10 != 0 {
            return Err(SyscallError::InvalidArgument);
        }
        let partition = u32::try_from(partition)
            .ok()
            .filter(|&p| p < CLIENT_PARTITIONS)
            .ok_or(SyscallError::InvalidArgument)?;
        let client = ClientId(1 + partition + CLIENT_PARTITIONS * variant);
        let pool = PoolId(regs[1]);
        let object = ObjectId([u64::from(regs[2]) | u64::from(regs[3]) << 32, 0, 0]);
        let index = regs[4];
        let op = regs[0] & 0xFF;
        let page = match op {
            2 => Some(user_page(space, regs[5], Use::Read)?),
            3 => Some(user_page(space, regs[5], Use::Write)?),
            1 | 4 | 5 => None,
            _ => return Err(SyscallError::InvalidArgument),
        };
        critical_section::with(|cs| {
            let mut cell = STORE.borrow_ref_mut(cs);
            if cell.is_none() {
                *cell = new_store();
            }
            // A heap too small for the store: a benchmark built wrong.
            let store = cell.as_mut().ok_or(SyscallError::InvalidArgument)?;
            let status = |result: Result<(), TmemError>| result.err().map_or(0, refusal);
            Ok(match (op, page) {
                (1, _) => {
                    let flags = if regs[1] == 1 {
                        PoolFlags::PERSISTENT
                    } else {
                        PoolFlags::EPHEMERAL
                    };
                    match store.new_pool(client, flags, PoolUuid(0)) {
                        Ok(pool) => [0, pool.0, 0],
                        Err(error) => [refusal(error), 0, 0],
                    }
                }
                // SAFETY: `user_page` checked that the caller may read the
                // whole page; the kernel holds no other reference into it
                // while the call runs (one core, interrupts masked).
                (2, Some(page)) => [
                    status(store.put_page(client, pool, object, index, unsafe { &*page })),
                    0,
                    0,
                ],
                // SAFETY: as for a put, with the page checked writable.
                (3, Some(page)) => [
                    status(store.get_page(client, pool, object, index, unsafe { &mut *page })),
                    0,
                    0,
                ],
                (4, _) => match store.flush_page(client, pool, object, index) {
                    Ok(found) => [0, u32::from(found), 0],
                    Err(error) => [refusal(error), 0, 0],
                },
                _ => {
                    let traffic = store.traffic();
                    [0, traffic.read as u32, traffic.written as u32]
                }
            })
        })
    }
}

impl System<'_> {
    /// `tmem_baseline(op, ...)` from thread `index` (see the module).
    #[cfg(all(target_os = "none", feature = "tmem-baseline"))]
    pub(super) fn tmem_baseline(
        &mut self,
        index: usize,
        regs: [u32; 6],
    ) -> Result<(), SyscallError> {
        let thread = &self.threads[index];
        let space = &self.partitions[thread.partition].space;
        let out = store::serve(thread.partition, regs, space)?;
        self.threads[index].context.r[1..4].copy_from_slice(&out);
        Ok(())
    }

    /// Without the benchmark feature the call does not exist.
    #[cfg(not(all(target_os = "none", feature = "tmem-baseline")))]
    pub(super) fn tmem_baseline(
        &mut self,
        _index: usize,
        _registers: [u32; 6],
    ) -> Result<(), SyscallError> {
        Err(SyscallError::UnknownSyscall)
    }
}
