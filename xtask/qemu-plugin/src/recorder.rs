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
//! mark EXECUTED CALLERS        a marker ran: EXECUTED instructions before it; CALLERS
//!                              the user blocks (below the user limit) run since the
//!                              CPU last left kernel code, comma-separated, most
//!                              recent last (at most 64), or -
//! end EXECUTED                 QEMU exited
//! ```
//!
//! A block's `tb` line comes before its first `exec` line. Counting is
//! per block: a block left early by an exception counts whole. It must
//! never lose a count silently: a write error ends the trace with it.

use std::fmt::Write as _;
use std::io::{self, Write};

/// How many of the user blocks run since the last kernel block a marker
/// line names.
const RECENT_USER_BLOCKS: usize = 64;

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
    /// Distinct user blocks run since the last kernel block, oldest first.
    recent_user: Vec<u32>,
    in_kernel: bool,
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
            recent_user: Vec::new(),
            in_kernel: true,
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
            let callers = if self.recent_user.is_empty() {
                "-".to_string()
            } else {
                let ids: Vec<String> = self.recent_user.iter().map(u32::to_string).collect();
                ids.join(",")
            };
            let executed = self.executed;
            self.write(format_args!("mark {executed} {callers}\n"));
        }
        let tally = &mut self.tallies[id as usize];
        if tally.count == 0 && tally.loaded == 0 && tally.stored == 0 {
            self.touched.push(id);
        }
        tally.count += 1;
        self.executed += insns;
        if user {
            if self.in_kernel {
                self.recent_user.clear();
                self.in_kernel = false;
            }
            if !self.recent_user.contains(&id) {
                if self.recent_user.len() == RECENT_USER_BLOCKS {
                    self.recent_user.remove(0);
                }
                self.recent_user.push(id);
            }
        } else {
            self.in_kernel = true;
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
    fn segments_are_cut_at_the_marker_and_name_the_user_blocks_since_the_kernel() {
        let mut recorder = Recorder::new(Vec::new(), 0xc000_0100, 0x6000_0000);
        let user = recorder.translated(0x10_0000, &[0x10_0000, 0x10_0004], &[1, 2, 3, 4]);
        let kernel = recorder.translated(0xc000_0100, &[0xc000_0100], &[0xaa; 4]);
        let other = recorder.translated(0x10_0008, &[0x10_0008], &[5; 4]);
        let entry = recorder.translated(0xc000_0000, &[0xc000_0000], &[6; 4]);
        recorder.executed(other);
        recorder.executed(entry);
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
             tb 2 100008 1 05050505\n\
             tb 3 c0000000 1 06060606\n\
             exec 2 1 0 0\n\
             exec 3 1 0 0\n\
             exec 0 2 4 8\n\
             mark 6 0\n\
             exec 1 1 0 4\n\
             end 7\n"
        );
    }

    use proptest::prelude::*;

    /// What the guest does, as the plugin sees it.
    #[derive(Clone, Debug)]
    enum Event {
        /// Run block `i` (modulo the blocks).
        Run(usize),
        /// Block `i` accesses 1 << `shift` bytes.
        Access(usize, u32, bool),
    }

    fn events() -> impl Strategy<Value = Vec<Event>> {
        prop::collection::vec(
            prop_oneof![
                (0..6usize).prop_map(Event::Run),
                (0..6usize, 0..4u32, any::<bool>()).prop_map(|(i, s, w)| Event::Access(i, s, w)),
            ],
            0..200,
        )
    }

    proptest! {
        /// Against a model that keeps every segment's totals: the trace
        /// cuts a segment exactly at each run of a marker block, its
        /// `mark` counts the instructions before it, and each segment's
        /// `exec` lines hold what ran and moved in it.
        #[test]
        fn the_trace_holds_each_segments_totals(events in events()) {
            // Blocks 0..6: 1..=6 instructions; 4 holds the marker, 0..3 are user code.
            let mut recorder = Recorder::new(Vec::new(), 0xc000_0404, 0x6000_0000);
            for i in 0..6u64 {
                let base = if i < 3 { 0x10_0000 } else { 0xc000_0000 } + 0x100 * i;
                let addresses: Vec<u64> = (0..=i).map(|k| base + 4 * k).collect();
                recorder.translated(base, &addresses, &vec![i as u8; addresses.len() * 4]);
            }
            // The model: (instructions, loaded, stored) per segment.
            let mut model = vec![(0u64, 0u64, 0u64)];
            let mut marks = Vec::new();
            let mut executed = 0;
            for event in &events {
                match *event {
                    Event::Run(i) => {
                        if i == 4 {
                            marks.push(executed);
                            model.push((0, 0, 0));
                        }
                        recorder.executed(i as u32);
                        executed += i as u64 + 1;
                        model.last_mut().unwrap().0 += i as u64 + 1;
                    }
                    Event::Access(i, shift, store) => {
                        recorder.accessed(i as u32, 1 << shift, store);
                        let last = model.last_mut().unwrap();
                        if store { last.2 += 1 << shift } else { last.1 += 1 << shift }
                    }
                }
            }
            recorder.finish().unwrap();
            let text = String::from_utf8(recorder.out.clone()).unwrap();
            let mut seen = vec![(0u64, 0u64, 0u64)];
            let mut seen_marks = Vec::new();
            let mut defined = Vec::new();
            for line in text.lines().skip(1) {
                let fields: Vec<&str> = line.split(' ').collect();
                let num = |i: usize| fields[i].parse::<u64>().unwrap();
                match fields[0] {
                    "tb" => defined.push(num(1)),
                    "exec" => {
                        prop_assert!(defined.contains(&num(1)));
                        let last = seen.last_mut().unwrap();
                        last.0 += num(2) * (num(1) + 1);
                        last.1 += num(3);
                        last.2 += num(4);
                    }
                    "mark" => {
                        seen_marks.push(num(1));
                        seen.push((0, 0, 0));
                    }
                    "end" => prop_assert_eq!(num(1), executed),
                    other => prop_assert!(false, "unexpected record {}", other),
                }
            }
            prop_assert_eq!(seen_marks, marks);
            prop_assert_eq!(seen, model);
        }
    }
}
