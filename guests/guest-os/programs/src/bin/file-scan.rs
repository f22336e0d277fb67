//! The file scan (arguments: files, pages per file, rounds, pause in
//! microseconds): reads every file of the guest's file set whole through
//! `open`/`read`/`close`, round after round, sleeping the pause between
//! rounds, and checks every byte against the file set
//! (`guest_programs::file_check`). Re-reads go through the guest's page
//! cache, and through cleancache for pages it dropped. It prints its
//! result line (`file-scan: operations .. checked .. mismatches ..`, one
//! check per page, a file's end or close that goes wrong one more
//! mismatch) and exits with the number of mismatches; a file it
//! cannot open or read is a mismatch for each of its pages.

#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod program {
    use guest_os_config::file_set::{file_name, PAGE_BYTES};
    use guest_programs::file_check::first_wrong_byte;
    use guest_programs::rt::BAD_ARGUMENTS_EXIT;
    use guest_programs::sys;
    use guest_programs::tally::Tally;

    fn main(arguments: &[u32]) -> i32 {
        let &[files, pages_per_file, rounds, pause_us] = arguments else {
            return BAD_ARGUMENTS_EXIT;
        };
        let size = guest_os_config::file_set::file_size(&guest_os_config::FilePlan {
            files,
            pages_per_file,
            rounds,
            on_card: false,
        });
        let mut buffer = [0u8; PAGE_BYTES as usize];
        let mut tally = Tally::default();
        for round in 0..rounds {
            if round > 0 && pause_us > 0 {
                sys::sleep(pause_us);
            }
            for file in 0..files {
                scan(file, size, &mut buffer, &mut tally);
            }
        }
        sys::write(tally.line("file-scan").as_bytes());
        tally.status()
    }

    /// Reads file `file` (`size` bytes) whole, a page at a time.
    fn scan(file: u32, size: u32, buffer: &mut [u8; PAGE_BYTES as usize], tally: &mut Tally) {
        let pages = size.div_ceil(PAGE_BYTES);
        let fd = sys::open(file_name(file).as_bytes());
        if fd < 0 {
            for _ in 0..pages {
                tally.check(true);
            }
            return;
        }
        let fd = fd as u32;
        for page in 0..pages {
            let offset = page * PAGE_BYTES;
            let want = (size - offset).min(PAGE_BYTES) as usize;
            let got = sys::read(fd, buffer);
            tally.operations += 1;
            let wrong =
                got < 0 || first_wrong_byte(file, offset, want, &buffer[..got as usize]).is_some();
            tally.check(wrong);
        }
        // At the end a read returns 0, and close takes the descriptor back.
        if sys::read(fd, buffer) != 0 || sys::close(fd) != 0 {
            tally.fail();
        }
    }

    guest_programs::program!(main);
}

#[cfg(not(target_os = "none"))]
fn main() {}
