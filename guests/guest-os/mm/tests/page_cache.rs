//! The page cache over read-only files: hits from cached frames, misses
//! asking cleancache before the backing store, dropped pages offered to
//! cleancache, tmem off, and read errors caching nothing.

mod fake;

use fake::*;
use guest_mm::*;

const BIG: FileId = FileId(3); // 8 pages

fn read(
    vm: &mut Vm,
    w: &mut World,
    file: FileId,
    offset: u32,
    len: usize,
) -> Result<Vec<u8>, VmError> {
    let mut out = vec![0u8; len];
    let n = vm.read_file(file, offset, &mut out, &mut w.backends())?;
    out.truncate(n);
    Ok(out)
}

fn expected(file: FileId, offset: u32, len: u32) -> Vec<u8> {
    (offset..offset + len)
        .map(|at| file_byte(file, at))
        .collect()
}

#[test]
fn a_second_read_is_served_from_the_cache() {
    let mut w = world(4, 4, Some(0));
    let mut vm = Vm::new(config(4, 4));
    assert_eq!(
        read(&mut vm, &mut w, BIG, 100, 5000),
        Ok(expected(BIG, 100, 5000))
    );
    assert_eq!(w.files.reads, 2);
    assert_eq!(
        read(&mut vm, &mut w, BIG, 0, 8192),
        Ok(expected(BIG, 0, 8192))
    );
    assert_eq!(w.files.reads, 2, "both pages were cached");
    let stats = vm.stats();
    assert_eq!(
        (
            stats.page_cache_hits,
            stats.cleancache_misses,
            stats.file_reads
        ),
        (2, 2, 2)
    );
    assert_eq!(vm.pressure().page_cache, 2);
    assert!(vm.cached_frame(BIG, 1).is_some());
    vm.check(&w.ram).unwrap();
}

#[test]
fn dropped_pages_go_to_cleancache_and_come_back_from_it() {
    let mut w = world(2, 4, Some(0));
    let mut vm = Vm::new(config(2, 4));
    let whole = 8 * 4096;
    assert_eq!(
        read(&mut vm, &mut w, BIG, 0, whole),
        Ok(expected(BIG, 0, whole as u32))
    );
    assert_eq!(w.files.reads, 8);
    assert_eq!(
        vm.stats().cleancache_puts,
        6,
        "six pages were dropped through two frames"
    );
    assert_eq!(w.clean.as_ref().unwrap().pages.len(), 6);
    // Re-reading the first pages finds them in cleancache, not the store.
    assert_eq!(
        read(&mut vm, &mut w, BIG, 0, 8192),
        Ok(expected(BIG, 0, 8192))
    );
    assert_eq!(w.files.reads, 8);
    let stats = vm.stats();
    assert_eq!(stats.cleancache_hits, 2);
    assert_eq!(stats.file_evictions, stats.cleancache_puts);
    vm.check(&w.ram).unwrap();
}

#[test]
fn a_page_cleancache_dropped_is_read_from_the_store() {
    let mut w = world(1, 4, Some(100));
    let mut vm = Vm::new(config(1, 4));
    read(&mut vm, &mut w, BIG, 0, 3 * 4096).unwrap();
    assert_eq!(vm.stats().cleancache_refused, 2);
    assert_eq!(read(&mut vm, &mut w, BIG, 0, 10), Ok(expected(BIG, 0, 10)));
    assert_eq!(w.files.reads, 4);
    assert_eq!(vm.stats().cleancache_hits, 0);
}

#[test]
fn with_tmem_off_dropped_pages_are_read_again_from_the_store() {
    let mut w = world(1, 4, None);
    let mut vm = Vm::new(config(1, 4));
    read(&mut vm, &mut w, BIG, 0, 2 * 4096).unwrap();
    read(&mut vm, &mut w, BIG, 0, 10).unwrap();
    assert_eq!(w.files.reads, 3);
    let stats = vm.stats();
    assert_eq!(
        (
            stats.cleancache_puts,
            stats.cleancache_hits,
            stats.file_evictions
        ),
        (0, 0, 2)
    );
}

#[test]
fn reads_stop_at_the_end_of_the_file() {
    let mut w = world(4, 4, Some(0));
    let mut vm = Vm::new(config(4, 4));
    assert_eq!(
        read(&mut vm, &mut w, FileId(1), 4990, 100),
        Ok(expected(FileId(1), 4990, 10))
    );
    assert_eq!(read(&mut vm, &mut w, FileId(1), 5000, 100), Ok(vec![]));
    assert_eq!(read(&mut vm, &mut w, FileId(0), 0, 100), Ok(vec![]));
    assert_eq!(read(&mut vm, &mut w, FileId(1), u32::MAX, 100), Ok(vec![]));
    assert_eq!(read(&mut vm, &mut w, BIG, 0, 0), Ok(vec![]));
}

#[test]
fn read_errors_cache_nothing() {
    let mut w = world(2, 4, Some(0));
    let mut vm = Vm::new(config(2, 4));
    assert_eq!(
        read(&mut vm, &mut w, FileId(9), 0, 10),
        Err(VmError::File(FileError::NoSuchFile))
    );
    w.files.fail = true;
    assert_eq!(
        read(&mut vm, &mut w, BIG, 0, 10),
        Err(VmError::File(FileError::Io))
    );
    assert_eq!(vm.pressure().free_frames, 2);
    assert_eq!(vm.cached_frame(BIG, 0), None);
    vm.check(&w.ram).unwrap();
    w.files.fail = false;
    assert_eq!(read(&mut vm, &mut w, BIG, 0, 10), Ok(expected(BIG, 0, 10)));
}

#[test]
fn file_pages_and_anonymous_pages_share_the_frames() {
    let mut w = world(3, 16, Some(0));
    let mut vm = Vm::new(config(3, 16));
    let p = ProcessId(1);
    vm.create_process(p, HEAP_START).unwrap();
    vm.brk(p, HEAP_START + 0x8000, &mut w.backends()).unwrap();
    for round in 0..3u8 {
        for n in 0..8 {
            store(&mut vm, &mut w, p, HEAP_START + n * 0x1000, round + n as u8).unwrap();
        }
        assert_eq!(
            read(&mut vm, &mut w, BIG, 0, 8 * 4096),
            Ok(expected(BIG, 0, 8 * 4096))
        );
        for n in 0..8 {
            assert_eq!(
                load(&mut vm, &mut w, p, HEAP_START + n * 0x1000),
                Ok(round + n as u8)
            );
        }
    }
    assert!(vm.stats().cleancache_hits > 0);
    assert!(vm.stats().swap.ins_from_tmem > 0);
    vm.check(&w.ram).unwrap();
    check_mmu(&vm, &w);
}
