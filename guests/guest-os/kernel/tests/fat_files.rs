//! The guest's FAT files over an in-memory SD card region: an image made
//! like xtask's (an MBR, one FAT16 partition 4 KiB in, the file set's
//! files made with the `fatfs` crate), read through `FatFiles` as the page
//! cache would: whole pages, offsets, the short last page, missing files.

use std::io::{Cursor, Write};

use guest_mm::{BlockDevice, BlockError, FileError, FileId, FileStore, Page, PAGE_SIZE};
use guest_os_config::file_set::{file_byte, file_name, file_size};
use guest_os_config::FilePlan;
use guest_os_kernel::fat_files::{FatFiles, FatFilesError};

const PLAN: FilePlan = FilePlan {
    files: 3,
    pages_per_file: 5,
    rounds: 1,
    on_card: true,
};

/// A region of 4 KiB blocks in memory, counting reads.
struct Region {
    bytes: Vec<u8>,
}

impl BlockDevice for Region {
    fn block_count(&self) -> u32 {
        (self.bytes.len() / PAGE_SIZE) as u32
    }

    fn read_block(&mut self, block: u32, out: &mut Page) -> Result<(), BlockError> {
        let at = block as usize * PAGE_SIZE;
        let page = self
            .bytes
            .get(at..at + PAGE_SIZE)
            .ok_or(BlockError::OutOfRange)?;
        out.copy_from_slice(page);
        Ok(())
    }

    fn write_block(&mut self, _block: u32, _page: &Page) -> Result<(), BlockError> {
        panic!("the guest's files are never written");
    }
}

/// A 4 MiB region: MBR, then FAT16 from sector 8 holding `files` files
/// of `plan`'s set.
fn region(files: u32) -> Region {
    let sectors = (4 << 20) / 512 - 8;
    let mut volume = Cursor::new(vec![0u8; sectors as usize * 512]);
    fatfs::format_volume(
        &mut volume,
        fatfs::FormatVolumeOptions::new()
            .fat_type(fatfs::FatType::Fat16)
            .bytes_per_cluster(512)
            .total_sectors(sectors),
    )
    .unwrap();
    volume.set_position(0);
    {
        let fs = fatfs::FileSystem::new(&mut volume, fatfs::FsOptions::new()).unwrap();
        for file in 0..files {
            let bytes: Vec<u8> = (0..file_size(&PLAN)).map(|o| file_byte(file, o)).collect();
            let mut f = fs.root_dir().create_file(&file_name(file)).unwrap();
            f.write_all(&bytes).unwrap();
        }
    }
    let mut bytes = vec![0u8; 4096];
    bytes[446 + 4] = 0x0E;
    bytes[446 + 8..446 + 12].copy_from_slice(&8u32.to_le_bytes());
    bytes[446 + 12..446 + 16].copy_from_slice(&sectors.to_le_bytes());
    bytes[510..512].copy_from_slice(&[0x55, 0xAA]);
    bytes.extend_from_slice(&volume.into_inner());
    Region { bytes }
}

fn expected(file: u32, index: u32) -> Page {
    let size = file_size(&PLAN);
    let mut page = [0u8; PAGE_SIZE];
    for (offset, byte) in (index * PAGE_SIZE as u32..).zip(page.iter_mut()) {
        if offset < size {
            *byte = file_byte(file, offset);
        }
    }
    page
}

#[test]
fn every_page_of_every_file_reads_back_in_any_order() {
    let mut files = FatFiles::open(region(PLAN.files)).unwrap();
    let mut page = [0xAAu8; PAGE_SIZE];
    // Backwards, so each read seeks to an offset rather than streaming.
    for file in (0..PLAN.files).rev() {
        assert_eq!(files.size(FileId(file)), Ok(file_size(&PLAN)));
        for index in (0..PLAN.pages_per_file).rev() {
            files.read_page(FileId(file), index, &mut page).unwrap();
            assert!(page == expected(file, index), "file {file} page {index}");
        }
    }
    assert_eq!(files.reads(), u64::from(PLAN.files * PLAN.pages_per_file));
}

#[test]
fn the_short_last_page_ends_in_zeros() {
    let mut files = FatFiles::open(region(1)).unwrap();
    let mut page = [0xAAu8; PAGE_SIZE];
    let last = PLAN.pages_per_file - 1;
    files.read_page(FileId(0), last, &mut page).unwrap();
    let tail = PAGE_SIZE - 100;
    assert!(
        page[tail..].iter().all(|&b| b == 0),
        "past the end reads zero"
    );
    assert!(page == expected(0, last));
}

#[test]
fn a_page_past_the_end_or_a_missing_file_is_an_error() {
    let mut files = FatFiles::open(region(2)).unwrap();
    let mut page = [0u8; PAGE_SIZE];
    assert_eq!(
        files.read_page(FileId(0), PLAN.pages_per_file, &mut page),
        Err(FileError::PastEnd)
    );
    assert_eq!(files.size(FileId(2)), Err(FileError::NoSuchFile));
    assert_eq!(
        files.read_page(FileId(7), 0, &mut page),
        Err(FileError::NoSuchFile)
    );
    // A failed open leaves the file system usable.
    files.read_page(FileId(1), 2, &mut page).unwrap();
    assert!(page == expected(1, 2));
}

#[test]
fn a_region_without_a_partition_is_refused() {
    let blank = Region {
        bytes: vec![0; 1 << 20],
    };
    assert!(matches!(
        FatFiles::open(blank),
        Err(FatFilesError::NoVolume)
    ));
}
