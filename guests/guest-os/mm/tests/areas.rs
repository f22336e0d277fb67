//! A process's areas: mmap placement, fixed mappings, munmap splitting,
//! brk growth and shrinking, and every refused range leaving the list as
//! it was.

use guest_mm::*;

const LAYOUT: Layout = Layout {
    user_base: 0x8000,
    mmap_base: 0x10_0000,
    user_top: 0x20_0000,
    max_areas: 4,
};
const HEAP: u32 = 0x2_0000;

fn areas() -> AreaList {
    AreaList::new(LAYOUT, HEAP).unwrap()
}

fn spans(list: &AreaList) -> Vec<(u32, u32)> {
    list.iter()
        .map(|a| (a.start.base(), a.end.base()))
        .collect()
}

#[test]
fn bad_layouts_are_refused() {
    assert_eq!(
        AreaList::new(LAYOUT, HEAP + 1).unwrap_err(),
        AreaError::Unaligned
    );
    assert_eq!(
        AreaList::new(LAYOUT, 0x1000).unwrap_err(),
        AreaError::OutOfRange
    );
    assert_eq!(
        AreaList::new(LAYOUT, LAYOUT.mmap_base + 0x1000).unwrap_err(),
        AreaError::OutOfRange
    );
}

#[test]
fn mmap_takes_the_lowest_gap_and_rounds_to_pages() {
    let mut list = areas();
    let a = list.map_anywhere(1, Protection::ReadWrite).unwrap();
    assert_eq!((a.start.base(), a.pages()), (LAYOUT.mmap_base, 1));
    let b = list.map_anywhere(0x2001, Protection::Read).unwrap();
    assert_eq!((b.start.base(), b.pages()), (LAYOUT.mmap_base + 0x1000, 3));
    list.unmap(a.start.base(), 0x1000).unwrap();
    let c = list.map_anywhere(0x1000, Protection::ReadWrite).unwrap();
    assert_eq!(c.start, a.start, "the hole left by munmap is reused");
    let d = list.map_anywhere(0x2000, Protection::ReadWrite).unwrap();
    assert_eq!(d.start, b.end, "a hole too small is passed over");
}

#[test]
fn mmap_errors() {
    let mut list = areas();
    assert_eq!(
        list.map_anywhere(0, Protection::ReadWrite),
        Err(AreaError::ZeroLength)
    );
    assert_eq!(
        list.map_anywhere(
            LAYOUT.user_top - LAYOUT.mmap_base + 1,
            Protection::ReadWrite
        ),
        Err(AreaError::NoSpace)
    );
    for _ in 0..4 {
        list.map_anywhere(0x1000, Protection::ReadWrite).unwrap();
    }
    assert_eq!(
        list.map_anywhere(0x1000, Protection::ReadWrite),
        Err(AreaError::TooManyAreas)
    );
    assert_eq!(list.iter().count(), 4);
}

#[test]
fn fixed_mappings_must_be_aligned_in_range_and_free() {
    let mut list = areas();
    let image =
        |l: &mut AreaList, at, len| l.map_fixed(at, len, Protection::ReadExecute, AreaKind::Image);
    assert_eq!(image(&mut list, 0x8001, 0x1000), Err(AreaError::Unaligned));
    assert_eq!(image(&mut list, 0x4000, 0x1000), Err(AreaError::OutOfRange));
    assert_eq!(
        image(&mut list, LAYOUT.user_top - 0x1000, 0x1001),
        Err(AreaError::OutOfRange)
    );
    assert_eq!(
        image(&mut list, 0xFFFF_F000, 0x2000),
        Err(AreaError::OutOfRange)
    );
    assert_eq!(image(&mut list, 0x8000, 0), Err(AreaError::ZeroLength));
    image(&mut list, 0x8000, 0x3000).unwrap();
    assert_eq!(image(&mut list, 0xA000, 0x1000), Err(AreaError::Overlap));
    assert_eq!(
        list.map_fixed(0xB000, 0x1000, Protection::ReadWrite, AreaKind::Heap),
        Err(AreaError::NotAMapping)
    );
    assert_eq!(spans(&list), [(0x8000, 0xB000)]);
    assert_eq!(list.find(Vpn(0xA)).unwrap().kind, AreaKind::Image);
    assert_eq!(list.find(Vpn(0xB)), None);
}

#[test]
fn munmap_splits_straddling_mappings_and_ignores_holes() {
    let mut list = areas();
    let base = LAYOUT.mmap_base;
    list.map_anywhere(0x4000, Protection::ReadWrite).unwrap();
    let removed = list.unmap(base + 0x1000, 0x2000).unwrap();
    assert_eq!(
        (removed.start.base(), removed.end.base()),
        (base + 0x1000, base + 0x3000)
    );
    assert_eq!(
        spans(&list),
        [(base, base + 0x1000), (base + 0x3000, base + 0x4000)]
    );
    // Unmapping what is already gone is not an error.
    list.unmap(base + 0x1000, 0x1000).unwrap();
    list.unmap(base, 0x10_000).unwrap();
    assert_eq!(spans(&list), []);
}

#[test]
fn munmap_errors_leave_the_list_unchanged() {
    let mut list = areas();
    list.map_fixed(0x8000, 0x1000, Protection::ReadExecute, AreaKind::Image)
        .unwrap();
    list.set_brk(HEAP + 0x1000).unwrap();
    let a = list.map_anywhere(0x3000, Protection::ReadWrite).unwrap();
    let before = spans(&list);
    assert_eq!(list.unmap(0x8000, 0x1000), Err(AreaError::NotAMapping));
    assert_eq!(list.unmap(HEAP, 0x1000), Err(AreaError::NotAMapping));
    assert_eq!(
        list.unmap(a.start.base() + 1, 0x1000),
        Err(AreaError::Unaligned)
    );
    assert_eq!(list.unmap(a.start.base(), 0), Err(AreaError::ZeroLength));
    assert_eq!(
        list.unmap(LAYOUT.user_top, 0x1000),
        Err(AreaError::OutOfRange)
    );
    // Splits that would pass the area limit (the heap is not counted)
    // are refused whole.
    list.map_anywhere(0x1000, Protection::ReadWrite).unwrap();
    list.map_anywhere(0x1000, Protection::ReadWrite).unwrap();
    let before_split = spans(&list);
    assert_eq!(
        list.unmap(a.start.base() + 0x1000, 0x1000),
        Err(AreaError::TooManyAreas)
    );
    assert_eq!(spans(&list), before_split);
    assert_eq!(before.len() + 2, before_split.len());
}

#[test]
fn brk_grows_and_shrinks_the_heap_by_pages() {
    let mut list = areas();
    assert_eq!(list.brk(), HEAP);
    assert_eq!(list.heap(), None);
    let grown = list.set_brk(HEAP + 0x1800).unwrap();
    assert_eq!(grown.start, grown.end, "growing removes nothing");
    assert_eq!(list.heap().unwrap().pages(), 2);
    assert_eq!(
        list.find(Vpn::containing(HEAP + 0x1FFF)).unwrap().kind,
        AreaKind::Heap
    );
    assert_eq!(list.committed_pages(), 2);
    let shrunk = list.set_brk(HEAP + 0x10).unwrap();
    assert_eq!(
        (shrunk.start.base(), shrunk.end.base()),
        (HEAP + 0x1000, HEAP + 0x2000)
    );
    assert_eq!(list.brk(), HEAP + 0x10);
    assert_eq!(list.heap().unwrap().pages(), 1);
}

#[test]
fn brk_errors() {
    let mut list = areas();
    assert_eq!(list.set_brk(HEAP - 1), Err(AreaError::BelowHeap));
    assert_eq!(list.set_brk(LAYOUT.mmap_base + 1), Err(AreaError::NoSpace));
    assert_eq!(list.set_brk(u32::MAX), Err(AreaError::NoSpace));
    list.map_fixed(
        HEAP + 0x4000,
        0x1000,
        Protection::ReadWrite,
        AreaKind::Mapping,
    )
    .unwrap();
    assert_eq!(list.set_brk(HEAP + 0x4001), Err(AreaError::NoSpace));
    assert_eq!(list.brk(), HEAP);
    list.set_brk(HEAP + 0x4000).unwrap();
}
