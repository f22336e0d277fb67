//! Reading the trace the QEMU plugin (`xtask/qemu-plugin`) writes: the
//! translated blocks, and per segment (the run between two executions of
//! the marker) how often each block ran and the bytes it loaded and
//! stored. The format is documented in the plugin's `recorder` module.
//! Only parsing: nothing here knows symbols or figures.

use std::collections::HashMap;

use crate::Error;

/// A translated block of guest code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// Virtual address of its first instruction.
    pub vaddr: u64,
    /// Instructions in it.
    pub insns: u64,
    /// Its code, as executed.
    pub code: Vec<u8>,
}

/// One block's counts within a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exec {
    /// The block's id.
    pub block: u32,
    /// Times it ran.
    pub count: u64,
    /// Bytes its instructions loaded.
    pub loaded: u64,
    /// Bytes its instructions stored.
    pub stored: u64,
}

/// The run from one marker to the next (or from the start, or to the end).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Segment {
    /// Instructions executed before it began.
    pub start: u64,
    /// The user blocks run between the CPU's last exit from the kernel
    /// and the marker that began it, most recent last (the clock read's
    /// caller and its callers).
    pub callers: Vec<u32>,
    /// What ran in it.
    pub execs: Vec<Exec>,
}

/// A whole trace.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// Blocks by id.
    pub blocks: HashMap<u32, Block>,
    /// Segment 0 runs from the start to the first marker; segment i > 0
    /// begins at the i-th marker.
    pub segments: Vec<Segment>,
    /// Instructions executed in all.
    pub executed: u64,
}

impl Trace {
    /// Parses `text`; `what` names it in errors.
    pub fn parse(text: &str, what: &str) -> Result<Trace, Error> {
        let mut lines = text.lines().enumerate();
        if lines.next().map(|(_, l)| l) != Some("qemu-profile 1") {
            return Err(Error::Profile(format!(
                "{what}: not a trace of this plugin (no `qemu-profile 1` header)"
            )));
        }
        let mut trace = Trace {
            segments: vec![Segment::default()],
            ..Trace::default()
        };
        let mut ended = false;
        for (number, line) in lines {
            let bad =
                |reason: &str| Error::Profile(format!("{what}:{}: {reason}: `{line}`", number + 1));
            let fields: Vec<&str> = line.split(' ').collect();
            let dec = |i: usize| -> Result<u64, Error> {
                fields
                    .get(i)
                    .and_then(|f| f.parse().ok())
                    .ok_or_else(|| bad("expected a number"))
            };
            match fields[0] {
                "tb" if fields.len() == 5 => {
                    let vaddr = u64::from_str_radix(fields[2], 16)
                        .map_err(|_| bad("expected a hexadecimal address"))?;
                    let code = hex(fields[4]).ok_or_else(|| bad("expected hexadecimal code"))?;
                    let id = dec(1)? as u32;
                    let block = Block {
                        vaddr,
                        insns: dec(3)?,
                        code,
                    };
                    if trace.blocks.insert(id, block).is_some() {
                        return Err(bad("a block defined twice"));
                    }
                }
                "exec" if fields.len() == 5 => {
                    let exec = Exec {
                        block: dec(1)? as u32,
                        count: dec(2)?,
                        loaded: dec(3)?,
                        stored: dec(4)?,
                    };
                    if !trace.blocks.contains_key(&exec.block) {
                        return Err(bad("a block that was never defined"));
                    }
                    let segment = trace.segments.last_mut().expect("segment 0 exists");
                    segment.execs.push(exec);
                }
                "mark" if fields.len() == 3 => {
                    let callers = match fields[2] {
                        "-" => Vec::new(),
                        list => list
                            .split(',')
                            .map(|id| id.parse::<u32>().map_err(|_| bad("expected block ids")))
                            .collect::<Result<_, _>>()?,
                    };
                    trace.segments.push(Segment {
                        start: dec(1)?,
                        callers,
                        execs: Vec::new(),
                    });
                }
                "end" if fields.len() == 2 => {
                    trace.executed = dec(1)?;
                    ended = true;
                }
                _ => return Err(bad("not a trace record")),
            }
        }
        if !ended {
            return Err(Error::Profile(format!(
                "{what}: the trace has no `end` (QEMU did not exit normally)"
            )));
        }
        Ok(trace)
    }

    /// Instructions executed from the start of segment `first` to the
    /// start of segment `last`.
    pub fn executed_between(&self, first: usize, last: usize) -> u64 {
        let start = |i: usize| {
            self.segments
                .get(i)
                .map_or(self.executed, |segment| segment.start)
        };
        start(last) - start(first)
    }
}

fn hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_segments_and_totals_are_read() {
        let trace = Trace::parse(
            "qemu-profile 1\n\
             tb 0 100000 2 0102030405060708\n\
             exec 0 3 12 0\n\
             tb 1 c0000100 1 aabbccdd\n\
             mark 6 1,0\n\
             exec 1 1 0 4\n\
             mark 7 -\n\
             end 7\n",
            "t",
        )
        .unwrap();
        assert_eq!(trace.blocks[&0].code, [1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(trace.blocks[&1].vaddr, 0xc000_0100);
        assert_eq!(trace.segments.len(), 3);
        assert_eq!(trace.segments[0].execs[0].count, 3);
        assert_eq!(
            (
                trace.segments[1].start,
                trace.segments[1].callers.as_slice()
            ),
            (6, [1, 0].as_slice())
        );
        assert!(trace.segments[2].callers.is_empty());
        assert_eq!(trace.executed_between(1, 2), 1);
        assert_eq!(trace.executed_between(0, 3), 7);
    }

    #[test]
    fn malformed_or_unfinished_traces_are_refused_with_the_line() {
        let error = Trace::parse("qemu-profile 1\nexec 9 1 0 0\nend 0\n", "t").unwrap_err();
        assert!(error.to_string().contains("t:2"), "{error}");
        let error = Trace::parse("qemu-profile 1\ntb 0 100 1 0g\nend 0\n", "t").unwrap_err();
        assert!(error.to_string().contains("hexadecimal code"), "{error}");
        let error = Trace::parse("qemu-profile 1\n", "t").unwrap_err();
        assert!(error.to_string().contains("no `end`"), "{error}");
        assert!(Trace::parse("something else\n", "t").is_err());
    }
}
