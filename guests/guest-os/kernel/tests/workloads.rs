//! The workloads on the whole guest stack on the host — guest RAM, the
//! software MMU, guest-mm's Vm, frontswap and cleancache over the fake tmem
//! server (a real tmem store behind the wire encoding) — checked against
//! what a user must see: every byte read back is what was written, pages
//! go to tmem and come back from it, cleancache catches dropped file
//! pages, and a guest that tmem refuses with no swap device runs out of
//! memory cleanly, losing nothing and leaking nothing.

#[path = "../../../tmem-client/tests/fake/mod.rs"]
mod fake;

use std::cell::RefCell;

use fake::{store, FakeTransport, SharedStore};
use guest_mm::{Cleancache, FileId, FileStore, Frontswap, FrontswapError, Page, PAGE_SIZE};
use guest_os_kernel::config::{FilePlan, GuestPlan, HogPlan, PhasedPlan};
use guest_os_kernel::guest::{self, Workload};
use guest_os_kernel::no_swap::NoSwapDevice;
use guest_os_kernel::ram::GuestRam;
use guest_os_kernel::synthetic_files::{SyntheticFiles, LAST_PAGE_SHORT_BY};
use guest_os_kernel::tmem::{TmemCleancache, TmemFrontswap};
use guest_os_kernel::workload::{hog, Ending, WorkloadResult};
use guest_os_kernel::{GuestReport, Machine, Ports, Reporter};
use proptest::prelude::*;
use tmem_protocol::ExchangeMode;
use tmem_store::ClientId;

#[derive(Default)]
struct Collect(Vec<GuestReport>);

impl Reporter for Collect {
    fn periodic(&mut self, report: &GuestReport) {
        self.0.push(*report);
    }
}

/// What a run left behind.
struct Run {
    results: Vec<(Workload, WorkloadResult)>,
    completed: bool,
    report: GuestReport,
    periodic: Vec<GuestReport>,
    free_at_end: u32,
    mapped_at_end: usize,
    consistent: Result<(), &'static str>,
}

/// The phased workload's demand in the tests: up to four steps and back.
const PHASE_SCHEDULE: &[u32] = &[1, 2, 3, 4, 3, 2, 1];

fn phased(step_pages: u32) -> PhasedPlan {
    PhasedPlan {
        step_pages,
        schedule: PHASE_SCHEDULE.iter().copied().collect(),
    }
}

const FILES: FilePlan = FilePlan {
    files: 3,
    pages_per_file: 5,
    rounds: 3,
    on_card: false,
};

/// Runs `plan` on a guest of `frames` frames with the given tmem ports.
fn run_guest(
    frames: u32,
    plan: &GuestPlan,
    frontswap: Option<&mut dyn Frontswap>,
    cleancache: Option<&mut dyn Cleancache>,
    report_every: u64,
) -> Run {
    // Frames start as junk, so a missing zero-fill shows.
    let mut pages = vec![[0xA5u8; PAGE_SIZE]; frames as usize];
    let mut memory = GuestRam::new(&mut pages);
    let file_set = plan.files.unwrap_or(FILES);
    let mut files = SyntheticFiles::new(file_set.files, file_set.pages_per_file);
    let file_size = files.size(FileId(0)).ok();
    let mut device = NoSwapDevice;
    let mut reporter = Collect::default();
    let mut results = Vec::new();
    let (completed, report, free_at_end, mapped_at_end, consistent);
    {
        let ports = Ports {
            memory: &mut memory,
            frontswap: match frontswap {
                Some(frontswap) => Some(frontswap as &mut dyn Frontswap),
                None => None,
            },
            cleancache: match cleancache {
                Some(cleancache) => Some(cleancache as &mut dyn Cleancache),
                None => None,
            },
            swap_device: &mut device,
            files: &mut files,
        };
        let mut machine = Machine::new(
            guest::vm_config(frames, guest::SWAP_SLOTS),
            ports,
            &mut reporter,
            report_every,
        );
        let mut page: Box<Page> = Box::new([0; PAGE_SIZE]);
        completed = guest::run(&mut machine, plan, file_size, &mut page, |w, r| {
            results.push((w, *r))
        });
        report = machine.report();
        free_at_end = machine.vm().pressure().free_frames;
        mapped_at_end = machine.mmu().mapped_pages();
        consistent = machine.check();
    }
    Run {
        results,
        completed,
        report,
        periodic: reporter.0,
        free_at_end,
        mapped_at_end,
        consistent,
    }
}

fn plan(hog: Option<HogPlan>, phased: Option<PhasedPlan>, files: Option<FilePlan>) -> GuestPlan {
    GuestPlan {
        tmem: Some(ExchangeMode::Copy),
        guest: 5,
        hog,
        phased,
        files,
        sd_swap: false,
        bench: false,
        processes: false,
        programs: Default::default(),
        balloon: false,
        shared_files: None,
    }
}

fn persistent_pages(server: &SharedStore) -> u64 {
    server
        .borrow()
        .client_info(ClientId(1))
        .unwrap()
        .persistent_pages
}

#[test]
fn a_hog_three_times_ram_verifies_every_byte_and_swaps_through_tmem_in_every_mode() {
    for mode in ExchangeMode::ALL {
        let server = store(256, u32::MAX);
        let transport = RefCell::new(FakeTransport::new(&server, 1, mode));
        let mut swap = TmemFrontswap::open(&transport, guest::SWAP_TYPE).unwrap();
        let hog_plan = HogPlan {
            pages: 48,
            passes: 2,
        };
        let run = run_guest(
            16,
            &plan(Some(hog_plan), None, None),
            Some(&mut swap),
            None,
            64,
        );
        assert!(run.completed, "{mode:?}: {:?}", run.results);
        let (_, result) = run.results[0];
        assert_eq!(result.mismatches, 0, "{mode:?}: {result:?}");
        assert_eq!(result.pages_checked, hog::pages_checked(hog_plan));
        assert!(run.report.outs_to_tmem >= 32, "{:?}", run.report);
        assert_eq!(run.report.outs_to_device, 0);
        assert!(run.report.ins_from_tmem >= 32, "{:?}", run.report);
        assert_eq!(run.report.ins_from_device, 0);
        // The process is gone: its frames and its tmem pages with it.
        assert_eq!(run.free_at_end, 16);
        assert_eq!(run.mapped_at_end, 0);
        assert_eq!(persistent_pages(&server), 0, "{mode:?}");
        assert_eq!(run.consistent, Ok(()));
        assert!(!run.periodic.is_empty());
    }
}

#[test]
fn periodic_reports_come_every_so_many_faults_and_their_counters_only_grow() {
    let server = store(256, u32::MAX);
    let transport = RefCell::new(FakeTransport::new(&server, 1, ExchangeMode::GrantMap));
    let mut swap = TmemFrontswap::open(&transport, 0).unwrap();
    let hog_plan = HogPlan {
        pages: 40,
        passes: 3,
    };
    let run = run_guest(
        12,
        &plan(Some(hog_plan), None, None),
        Some(&mut swap),
        None,
        50,
    );
    assert!(
        run.periodic.len() as u64 >= run.report.faults / 50 - 1,
        "{}",
        run.periodic.len()
    );
    for pair in run.periodic.windows(2) {
        assert!(pair[1].faults >= pair[0].faults + 50);
        assert!(pair[1].outs_to_tmem >= pair[0].outs_to_tmem);
        assert!(pair[1].ins_from_tmem >= pair[0].ins_from_tmem);
    }
    for report in &run.periodic {
        assert_eq!(report.frames, 12);
        assert!(report.free + report.anon_resident + report.page_cache == 12);
    }
}

#[test]
fn the_phased_workload_rises_and_falls_and_verifies_every_page() {
    let server = store(256, u32::MAX);
    let transport = RefCell::new(FakeTransport::new(&server, 1, ExchangeMode::Transfer));
    let mut swap = TmemFrontswap::open(&transport, 0).unwrap();
    let phased = phased(6);
    let run = run_guest(
        12,
        &plan(None, Some(phased), None),
        Some(&mut swap),
        None,
        0,
    );
    assert!(run.completed, "{:?}", run.results);
    let (workload, result) = run.results[0];
    assert_eq!(workload, Workload::Phased);
    assert_eq!(result.mismatches, 0);
    // Each phase touches all it holds; each step is checked again when
    // it is unmapped.
    let touched: u64 = PHASE_SCHEDULE.iter().map(|&s| u64::from(s) * 6).sum();
    assert_eq!(result.pages_checked, touched + 4 * 6);
    assert!(run.report.outs_to_tmem > 0 && run.report.ins_from_tmem > 0);
    assert_eq!(persistent_pages(&server), 0);
    assert_eq!(run.periodic, Vec::new(), "no reports when asked for none");
}

#[test]
fn the_file_reader_hits_cleancache_after_its_pages_were_dropped() {
    let server = store(256, u32::MAX);
    let transport = RefCell::new(FakeTransport::new(&server, 1, ExchangeMode::Copy));
    let mut cache = TmemCleancache::open(&transport).unwrap();
    let run = run_guest(6, &plan(None, None, Some(FILES)), None, Some(&mut cache), 0);
    assert!(run.completed, "{:?}", run.results);
    let (_, result) = run.results[0];
    assert_eq!(result.mismatches, 0);
    assert_eq!(result.pages_checked, 3 * 3 * 5);
    assert!(run.report.cleancache_puts > 0, "{:?}", run.report);
    assert!(run.report.cleancache_hits > 0, "{:?}", run.report);
    // The first round reads every page from the files.
    assert!(run.report.cleancache_misses >= 15);
    assert_eq!(run.consistent, Ok(()));
}

/// Guest A (client 1) reads `FILES` through the shared pool, dropping
/// pages; then guest B (client 2), with `b_files` and a shared or a
/// private pool, reads its files once. B's report.
fn second_guest_after_a_first(b_files: FilePlan, b_shared: bool) -> GuestReport {
    let server = store(256, u32::MAX);
    let uuid = fake::SHARED_UUID as u8;
    let a_transport = RefCell::new(FakeTransport::new(&server, 1, ExchangeMode::Copy));
    let mut a_cache = TmemCleancache::open_shared(&a_transport, uuid, FILES).unwrap();
    let a = run_guest(
        6,
        &plan(None, None, Some(FILES)),
        None,
        Some(&mut a_cache),
        0,
    );
    assert!(a.completed, "{:?}", a.results);
    assert!(a.report.cleancache_puts > 0, "{:?}", a.report);
    let b_transport = RefCell::new(FakeTransport::new(&server, 2, ExchangeMode::Copy));
    let mut b_cache = if b_shared {
        TmemCleancache::open_shared(&b_transport, uuid, b_files).unwrap()
    } else {
        TmemCleancache::open(&b_transport).unwrap()
    };
    let b = run_guest(
        6,
        &plan(None, None, Some(b_files)),
        None,
        Some(&mut b_cache),
        0,
    );
    assert!(b.completed, "{:?}", b.results);
    let (_, result) = b.results[0];
    assert_eq!(result.mismatches, 0, "B read a wrong page");
    assert_eq!(
        result.pages_checked,
        u64::from(b_files.files * b_files.pages_per_file)
    );
    assert_eq!(b.consistent, Ok(()));
    b.report
}

#[test]
fn a_guest_finds_the_file_pages_another_dropped_in_the_shared_pool_and_only_those() {
    let once = FilePlan { rounds: 1, ..FILES };
    // Each page read once: every hit is one A dropped.
    let shared = second_guest_after_a_first(once, true);
    assert!(shared.cleancache_hits > 0, "{shared:?}");
    assert!(shared.cleancache_misses < 15, "{shared:?}");
    // In a private pool B sees none of A's pages.
    let private = second_guest_after_a_first(once, false);
    assert_eq!(private.cleancache_hits, 0, "{private:?}");
    // Files of another size are other files: no page of A's is B's.
    let longer = FilePlan {
        pages_per_file: 6,
        ..once
    };
    let other = second_guest_after_a_first(longer, true);
    assert_eq!(other.cleancache_hits, 0, "{other:?}");
}

#[test]
fn with_tmem_off_files_are_read_again_from_the_store() {
    let run = run_guest(6, &plan(None, None, Some(FILES)), None, None, 0);
    assert!(run.completed);
    assert_eq!(run.results[0].1.mismatches, 0);
    assert_eq!(run.report.cleancache_hits, 0);
    assert_eq!(
        run.report.cleancache_misses, 45,
        "every read misses the page cache"
    );
}

#[test]
fn without_a_file_store_the_file_reader_is_skipped() {
    let mut pages = vec![[0u8; PAGE_SIZE]; 4];
    let mut memory = GuestRam::new(&mut pages);
    let mut files = SyntheticFiles::new(0, 0);
    let mut device = NoSwapDevice;
    let mut reporter = Collect::default();
    let ports = Ports {
        memory: &mut memory,
        frontswap: None,
        cleancache: None,
        swap_device: &mut device,
        files: &mut files,
    };
    let mut machine = Machine::new(
        guest::vm_config(4, guest::SWAP_SLOTS),
        ports,
        &mut reporter,
        0,
    );
    let mut page = Box::new([0; PAGE_SIZE]);
    let mut ran = Vec::new();
    let done = guest::run(
        &mut machine,
        &plan(None, None, Some(FILES)),
        None,
        &mut page,
        |w, _| ran.push(w),
    );
    assert!(done);
    assert!(ran.is_empty());
}

/// A frontswap that refuses every store.
struct Refusing;

impl Frontswap for Refusing {
    fn store(&mut self, _: u32, _: u32, _: &Page) -> Result<(), FrontswapError> {
        Err(FrontswapError::Refused)
    }
    fn load(&mut self, _: u32, _: u32, _: &mut Page) -> Result<bool, FrontswapError> {
        Ok(false)
    }
    fn invalidate_page(&mut self, _: u32, _: u32) {}
}

#[test]
fn refused_by_tmem_without_a_swap_device_the_hog_runs_out_of_memory_cleanly() {
    let hog_plan = HogPlan {
        pages: 24,
        passes: 1,
    };
    let phased = phased(2);
    let mut refusing = Refusing;
    let run = run_guest(
        8,
        &plan(Some(hog_plan), Some(phased), None),
        Some(&mut refusing),
        None,
        0,
    );
    assert!(!run.completed);
    assert_eq!(run.results.len(), 1, "the guest stops after running out");
    let (workload, result) = run.results[0];
    assert_eq!(workload, Workload::Hog);
    assert_eq!(result.ending, Ending::OutOfMemory);
    assert_eq!(result.mismatches, 0, "nothing read was wrong");
    assert_eq!(result.pages_checked, 8, "it got as far as RAM went");
    assert!(run.report.tmem_refusals > 0 && run.report.out_failures > 0);
    assert_eq!(run.report.outs_to_tmem + run.report.outs_to_device, 0);
    assert_eq!(run.free_at_end, 8, "the process's frames were freed");
    assert_eq!(run.consistent, Ok(()));
}

#[test]
fn with_tmem_off_and_no_swap_device_a_hog_that_fits_completes_and_one_that_does_not_stops() {
    let fits = HogPlan {
        pages: 8,
        passes: 2,
    };
    let run = run_guest(8, &plan(Some(fits), None, None), None, None, 0);
    assert!(run.completed);
    assert_eq!(run.results[0].1.mismatches, 0);
    let too_big = HogPlan {
        pages: 9,
        passes: 1,
    };
    let run = run_guest(8, &plan(Some(too_big), None, None), None, None, 0);
    assert_eq!(run.results[0].1.ending, Ending::OutOfMemory);
}

/// A frontswap that keeps pages but returns one byte wrong: the checkers
/// must notice.
#[derive(Default)]
struct Corrupting(std::collections::BTreeMap<u32, Box<Page>>);

impl Frontswap for Corrupting {
    fn store(&mut self, _: u32, offset: u32, page: &Page) -> Result<(), FrontswapError> {
        self.0.insert(offset, Box::new(*page));
        Ok(())
    }
    fn load(&mut self, _: u32, offset: u32, out: &mut Page) -> Result<bool, FrontswapError> {
        match self.0.get(&offset) {
            Some(page) => {
                *out = **page;
                out[100] ^= 0x10;
                Ok(true)
            }
            None => Ok(false),
        }
    }
    fn invalidate_page(&mut self, _: u32, offset: u32) {
        self.0.remove(&offset);
    }
}

#[test]
fn a_tmem_that_corrupts_pages_is_caught_by_the_hog() {
    let hog_plan = HogPlan {
        pages: 16,
        passes: 2,
    };
    let mut corrupting = Corrupting::default();
    let run = run_guest(
        8,
        &plan(Some(hog_plan), None, None),
        Some(&mut corrupting),
        None,
        0,
    );
    let (_, result) = run.results[0];
    assert!(result.mismatches > 0, "{result:?}");
    let first = result.first_mismatch.unwrap();
    assert_eq!(first.address % PAGE_SIZE as u32, 100);
}

#[test]
fn synthetic_files_end_where_they_say_and_reject_other_files() {
    let mut files = SyntheticFiles::new(2, 3);
    let size = files.size(FileId(1)).unwrap();
    assert_eq!(size, 3 * PAGE_SIZE as u32 - LAST_PAGE_SHORT_BY);
    let mut page = [0xFFu8; PAGE_SIZE];
    files.read_page(FileId(1), 2, &mut page).unwrap();
    assert!(page[PAGE_SIZE - LAST_PAGE_SHORT_BY as usize..]
        .iter()
        .all(|&b| b == 0));
    assert!(files.read_page(FileId(1), 3, &mut page).is_err());
    assert!(files.size(FileId(2)).is_err());
    assert_eq!(files.reads(), 1);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Any guest size, any demand, any exchange mode, with room in tmem:
    /// every workload completes, reads back exactly what it wrote, and
    /// leaves no frame, mapping or tmem page behind.
    #[test]
    fn any_workload_mix_loses_no_data(
        frames in 4u32..16,
        hog_pages in 1u32..48,
        passes in 1u32..3,
        step in 1u32..8,
        mode in 0usize..3,
        with_files in any::<bool>(),
    ) {
        let server = store(512, u32::MAX);
        let transport = RefCell::new(FakeTransport::new(&server, 1, ExchangeMode::ALL[mode]));
        let mut swap = TmemFrontswap::open(&transport, 0).unwrap();
        let mut cache = TmemCleancache::open(&transport).unwrap();
        let plan = plan(
            Some(HogPlan { pages: hog_pages, passes }),
            Some(phased(step)),
            with_files.then_some(FILES),
        );
        let run = run_guest(frames, &plan, Some(&mut swap), Some(&mut cache), 32);
        prop_assert!(run.completed, "{:?}", run.results);
        for (workload, result) in &run.results {
            prop_assert_eq!(result.mismatches, 0, "{:?}: {:?}", workload, result);
        }
        prop_assert_eq!(run.consistent, Ok(()));
        prop_assert_eq!(run.mapped_at_end, 0);
        prop_assert_eq!(persistent_pages(&server), 0);
        let ins = run.report.ins_from_tmem;
        prop_assert!(ins <= run.report.outs_to_tmem);
        if hog_pages > frames {
            prop_assert!(run.report.outs_to_tmem > 0);
        }
    }
}
