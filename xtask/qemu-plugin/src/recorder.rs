//! What the plugin records and how it writes it: per translated block,
//! how often it ran and how many bytes its instructions loaded and
//! stored, in segments that a marker block (the first instruction at the
//! marker address) cuts. Plain logic over numbers: no QEMU calls here.
//!
//! The trace, one record per line (`xtask::profile::trace` reads it):
//!
//! ```text
//! qemu-profile 1
//! tb ID VADDR INSNS BYTES      a block: id, address (hex), instructions, code (hex)
//! exec ID COUNT LOADED STORED  in the current segment, block ID ran COUNT times
//! mark EXECUTED CALLER         a marker ran: EXECUTED instructions before it; CALLER
//!                              the last block below the user limit before it, or -
//! end EXECUTED                 QEMU exited
//! ```
//!
//! A block's `tb` line comes before its first `exec` line. Counting is
//! per block: a block left early by an exception counts whole. It must
//! never lose a count silently: a write error ends the trace with it.

use std::fmt::Write as _;
use std::io::{self, Write};

/// Counts for one block in the current segment.
#[derive(Clone, Copy, Default)]
struct Tally {
    count: u64,
    loaded: u64,
    stored: u64,
}

/// A translated block's fixed facts.
struct Block {
    insns: u64,
    marker: bool,
    user: bool,
}

/// The recording, written to `out` as it goes.
pub struct Recorder<W: Write> {
    out: W,
    marker: u64,
    user_limit: u64,
    blocks: Vec<Block>,
    tallies: Vec<Tally>,
    touched: Vec<u32>,
    executed: u64,
    last_user: Option<u32>,
    error: Option<io::Error>,
}

impl<W: Write> Recorder<W> {
    /// Starts a trace: blocks starting at or containing `marker` cut
    /// segments; blocks below `user_limit` are the caller candidates.
    pub fn new(mut out: W, marker: u64, user_limit: u64) -> Recorder<W> {
        let error = writeln!(out, "qemu-profile 1").err();
        Recorder {
            out,
            marker,
            user_limit,
            blocks: Vec::new(),
            tallies: Vec::new(),
            touched: Vec::new(),
            executed: 0,
            last_user: None,
            error,
        }
    }

    /// A block was translated: `insns` instructions at `addresses` with
    /// `code`. Returns its id.
    pub fn translated(&mut self, vaddr: u64, addresses: &[u64], code: &[u8]) -> u32 {
        let id = self.blocks.len() as u32;
        self.blocks.push(Block {
            insns: addresses.len() as u64,
            marker: addresses.contains(&self.marker),
            user: vaddr < self.user_limit,
        });
        self.tallies.push(Tally::default());
        let mut hex = String::with_capacity(code.len() * 2);
        for byte in code {
            let _ = write!(hex, "{byte:02x}");
        }
        self.write(format_args!(
            "tb {id} {vaddr:x} {} {hex}\n",
            addresses.len()
        ));
        id
    }

    /// Block `id` is about to run.
    pub fn executed(&mut self, id: u32) {
        let Some(block) = self.blocks.get(id as usize) else {
            return;
        };
        let (insns, marker, user) = (block.insns, block.marker, block.user);
        if marker {
            self.flush_segment();
            let caller = self
                .last_user
                .map_or_else(|| "-".to_string(), |caller| caller.to_string());
            let executed = self.executed;
            self.write(format_args!("mark {executed} {caller}\n"));
        }
        let tally = &mut self.tallies[id as usize];
        if tally.count == 0 && tally.loaded == 0 && tally.stored == 0 {
            self.touched.push(id);
        }
        tally.count += 1;
        self.executed += insns;
        if user {
            self.last_user = Some(id);
        }
    }

    /// An instruction of block `id` accessed `bytes` bytes.
    pub fn accessed(&mut self, id: u32, bytes: u64, store: bool) {
        let Some(tally) = self.tallies.get_mut(id as usize) else {
            return;
        };
        if tally.count == 0 && tally.loaded == 0 && tally.stored == 0 {
            self.touched.push(id);
        }
        if store {
            tally.stored += bytes;
        } else {
            tally.loaded += bytes;
        }
    }

    /// QEMU is exiting: the last segment and the total.
    pub fn finish(&mut self) -> io::Result<()> {
        self.flush_segment();
        let executed = self.executed;
        self.write(format_args!("end {executed}\n"));
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        self.out.flush()
    }

    fn flush_segment(&mut self) {
        let touched = std::mem::take(&mut self.touched);
        for &id in &touched {
            let tally = std::mem::take(&mut self.tallies[id as usize]);
            self.write(format_args!(
                "exec {id} {} {} {}\n",
                tally.count, tally.loaded, tally.stored
            ));
        }
        self.touched = touched;
        self.touched.clear();
    }

    fn write(&mut self, args: std::fmt::Arguments) {
        if self.error.is_none() {
            self.error = self.out.write_fmt(args).err();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_cut_at_the_marker_and_name_the_last_user_block() {
        let mut recorder = Recorder::new(Vec::new(), 0xc000_0100, 0x6000_0000);
        let user = recorder.translated(0x10_0000, &[0x10_0000, 0x10_0004], &[1, 2, 3, 4]);
        let kernel = recorder.translated(0xc000_0100, &[0xc000_0100], &[0xaa; 4]);
        recorder.executed(user);
        recorder.accessed(user, 4, false);
        recorder.executed(user);
        recorder.accessed(user, 8, true);
        recorder.executed(kernel);
        recorder.accessed(kernel, 4, true);
        recorder.finish().unwrap();
        let text = String::from_utf8(recorder.out.clone()).unwrap();
        assert_eq!(
            text,
            "qemu-profile 1\n\
             tb 0 100000 2 01020304\n\
             tb 1 c0000100 1 aaaaaaaa\n\
             exec 0 2 4 8\n\
             mark 4 0\n\
             exec 1 1 0 4\n\
             end 5\n"
        );
    }
}
