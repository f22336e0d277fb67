//! The demo's log lines as typed records.
//!
//! The demo system's partitions log four kinds of line through defmt:
//!
//! ```text
//! demo guest=NAME period=K t_ms=MS ram=F target=F committed=P cache=F tmem=P sd=P ins_tmem=N ins_sd=N outs_tmem=N outs_sd=N faults=N
//! demo pool period=K t_ms=MS policy=NAME reserve=F tmem_used=P tmem_capacity=P
//! demo end periods=K frames_total=N frames_expected=N conserved=yes|no
//! demo swap guest=NAME tmem_pages=N tmem_us=US sd_pages=N sd_us=US
//! ```
//!
//! (F frames, P pages; `ins_*`, `outs_*` and `faults` are cumulative; a
//! guest logs its `swap` line when it ends: the pages it moved to and
//! from tmem and the SD card and the microseconds it waited for them.)
//! [`parse`] turns one message into a [`DemoRecord`]: keys it does not know
//! are ignored, so the format can grow; a line that starts with `demo ` but
//! lacks a key, repeats one or has a value that is not a number is an
//! error that says which, never a panic. This module must never compute
//! anything from the values: [`super::series`] does.

use std::collections::BTreeMap;

/// What every demo line starts with.
pub const PREFIX: &str = "demo ";

/// One guest's state at the end of a period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuestSample {
    /// The guest's name.
    pub guest: String,
    /// The manager's period number.
    pub period: u64,
    /// Virtual time, in milliseconds.
    pub t_ms: u64,
    /// Frames of RAM the guest holds.
    pub ram: u64,
    /// The balloon target, in frames.
    pub target: u64,
    /// Pages the guest has committed (its demand).
    pub committed: u64,
    /// Frames of its page cache.
    pub cache: u64,
    /// Its pages in tmem now.
    pub tmem: u64,
    /// Its pages on the SD card now.
    pub sd: u64,
    /// Pages swapped in from tmem so far.
    pub ins_tmem: u64,
    /// Pages swapped in from the SD card so far.
    pub ins_sd: u64,
    /// Pages swapped out to tmem so far.
    pub outs_tmem: u64,
    /// Pages swapped out to the SD card so far.
    pub outs_sd: u64,
    /// Page faults so far.
    pub faults: u64,
}

/// The memory manager's and tmem pool's state at the end of a period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolSample {
    /// The manager's period number.
    pub period: u64,
    /// Virtual time, in milliseconds.
    pub t_ms: u64,
    /// The policy setting the targets.
    pub policy: String,
    /// Frames the manager holds in reserve.
    pub reserve: u64,
    /// Pages stored in tmem.
    pub tmem_used: u64,
    /// Pages tmem can store.
    pub tmem_capacity: u64,
}

/// The demo's last line: whether every frame was accounted for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndRecord {
    /// Periods run.
    pub periods: u64,
    /// Frames counted at the end.
    pub frames_total: u64,
    /// Frames there should be.
    pub frames_expected: u64,
    /// Whether the counts agree.
    pub conserved: bool,
}

/// What a guest's swapped pages cost it, by where they went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SwapTime {
    /// The guest's name.
    pub guest: String,
    /// Pages stored to or loaded from tmem.
    pub tmem_pages: u64,
    /// Microseconds the guest waited on tmem.
    pub tmem_us: u64,
    /// Pages written to or read from the SD card.
    pub sd_pages: u64,
    /// Microseconds the guest waited on the SD card.
    pub sd_us: u64,
}

/// One demo line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DemoRecord {
    /// `demo guest=...`.
    Guest(GuestSample),
    /// `demo pool ...`.
    Pool(PoolSample),
    /// `demo end ...`.
    End(EndRecord),
    /// `demo swap guest=...`.
    Swap(SwapTime),
}

/// Why a `demo ` line is not a record.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DemoLineError {
    /// The first word is none of `guest=NAME`, `pool`, `end`, `swap`.
    #[error("`{0}` is not a demo record (expected guest=NAME, pool, end or swap)")]
    UnknownKind(String),
    /// A word that is not `key=value`.
    #[error("`{0}` is not key=value")]
    NotKeyValue(String),
    /// A key given twice.
    #[error("`{0}` is given twice")]
    Repeated(String),
    /// A key the record needs is missing.
    #[error("`{0}` is missing")]
    Missing(&'static str),
    /// A count that is not a whole number.
    #[error("`{key}={value}` is not a whole number")]
    NotANumber { key: &'static str, value: String },
    /// `conserved=` other than yes or no.
    #[error("`conserved={0}` is neither yes nor no")]
    NotYesNo(String),
    /// An empty name or policy.
    #[error("`{0}` is empty")]
    Empty(&'static str),
}

/// The record in `message`: `None` if it is not a demo line at all.
pub fn parse(message: &str) -> Option<Result<DemoRecord, DemoLineError>> {
    let rest = message.strip_prefix(PREFIX)?;
    Some(parse_fields(rest))
}

fn parse_fields(rest: &str) -> Result<DemoRecord, DemoLineError> {
    let mut words = rest.split_whitespace();
    let kind = words.next().unwrap_or("");
    let mut fields = Fields::default();
    let record = if let Some(name) = kind.strip_prefix("guest=") {
        fields.read(words)?;
        if name.is_empty() {
            return Err(DemoLineError::Empty("guest"));
        }
        DemoRecord::Guest(GuestSample {
            guest: name.to_string(),
            period: fields.number("period")?,
            t_ms: fields.number("t_ms")?,
            ram: fields.number("ram")?,
            target: fields.number("target")?,
            committed: fields.number("committed")?,
            cache: fields.number("cache")?,
            tmem: fields.number("tmem")?,
            sd: fields.number("sd")?,
            ins_tmem: fields.number("ins_tmem")?,
            ins_sd: fields.number("ins_sd")?,
            outs_tmem: fields.number("outs_tmem")?,
            outs_sd: fields.number("outs_sd")?,
            faults: fields.number("faults")?,
        })
    } else if kind == "pool" {
        fields.read(words)?;
        DemoRecord::Pool(PoolSample {
            period: fields.number("period")?,
            t_ms: fields.number("t_ms")?,
            policy: fields.text("policy")?.to_string(),
            reserve: fields.number("reserve")?,
            tmem_used: fields.number("tmem_used")?,
            tmem_capacity: fields.number("tmem_capacity")?,
        })
    } else if kind == "end" {
        fields.read(words)?;
        DemoRecord::End(EndRecord {
            periods: fields.number("periods")?,
            frames_total: fields.number("frames_total")?,
            frames_expected: fields.number("frames_expected")?,
            conserved: match fields.text("conserved")? {
                "yes" => true,
                "no" => false,
                other => return Err(DemoLineError::NotYesNo(other.to_string())),
            },
        })
    } else if kind == "swap" {
        fields.read(words)?;
        DemoRecord::Swap(SwapTime {
            guest: fields.text("guest")?.to_string(),
            tmem_pages: fields.number("tmem_pages")?,
            tmem_us: fields.number("tmem_us")?,
            sd_pages: fields.number("sd_pages")?,
            sd_us: fields.number("sd_us")?,
        })
    } else {
        return Err(DemoLineError::UnknownKind(kind.to_string()));
    };
    Ok(record)
}

/// A line's `key=value` words after its kind.
#[derive(Default)]
struct Fields<'a> {
    values: BTreeMap<&'a str, &'a str>,
}

impl<'a> Fields<'a> {
    fn read(&mut self, words: impl Iterator<Item = &'a str>) -> Result<(), DemoLineError> {
        for word in words {
            let (key, value) = word
                .split_once('=')
                .filter(|(key, _)| !key.is_empty())
                .ok_or_else(|| DemoLineError::NotKeyValue(word.to_string()))?;
            if self.values.insert(key, value).is_some() {
                return Err(DemoLineError::Repeated(key.to_string()));
            }
        }
        Ok(())
    }

    fn text(&self, key: &'static str) -> Result<&'a str, DemoLineError> {
        let value = *self.values.get(key).ok_or(DemoLineError::Missing(key))?;
        if value.is_empty() {
            return Err(DemoLineError::Empty(key));
        }
        Ok(value)
    }

    fn number(&self, key: &'static str) -> Result<u64, DemoLineError> {
        let value = self.values.get(key).ok_or(DemoLineError::Missing(key))?;
        value.parse().map_err(|_| DemoLineError::NotANumber {
            key,
            value: value.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUEST: &str = "demo guest=g1 period=3 t_ms=300 ram=120 target=96 committed=110 cache=7 tmem=40 sd=2 ins_tmem=11 ins_sd=1 outs_tmem=50 outs_sd=3 faults=64";

    #[test]
    fn a_guest_line_gives_every_field() {
        let Some(Ok(DemoRecord::Guest(sample))) = parse(GUEST) else {
            panic!("{:?}", parse(GUEST));
        };
        assert_eq!(
            sample,
            GuestSample {
                guest: "g1".into(),
                period: 3,
                t_ms: 300,
                ram: 120,
                target: 96,
                committed: 110,
                cache: 7,
                tmem: 40,
                sd: 2,
                ins_tmem: 11,
                ins_sd: 1,
                outs_tmem: 50,
                outs_sd: 3,
                faults: 64,
            }
        );
    }

    #[test]
    fn a_swap_line_gives_the_pages_and_time_of_each_place() {
        assert_eq!(
            parse("demo swap guest=guest3 tmem_pages=16 tmem_us=320 sd_pages=14 sd_us=4500000"),
            Some(Ok(DemoRecord::Swap(SwapTime {
                guest: "guest3".into(),
                tmem_pages: 16,
                tmem_us: 320,
                sd_pages: 14,
                sd_us: 4_500_000,
            })))
        );
        assert_eq!(
            parse("demo swap guest=guest3 tmem_pages=16 tmem_us=320 sd_pages=14"),
            Some(Err(DemoLineError::Missing("sd_us")))
        );
        assert_eq!(
            parse("demo swap guest= tmem_pages=1 tmem_us=1 sd_pages=1 sd_us=1"),
            Some(Err(DemoLineError::Empty("guest")))
        );
    }

    #[test]
    fn pool_and_end_lines_are_read() {
        assert_eq!(
            parse("demo pool period=2 t_ms=200 policy=selfballoon reserve=30 tmem_used=500 tmem_capacity=50000"),
            Some(Ok(DemoRecord::Pool(PoolSample {
                period: 2,
                t_ms: 200,
                policy: "selfballoon".into(),
                reserve: 30,
                tmem_used: 500,
                tmem_capacity: 50000,
            })))
        );
        assert_eq!(
            parse("demo end periods=40 frames_total=65536 frames_expected=65536 conserved=yes"),
            Some(Ok(DemoRecord::End(EndRecord {
                periods: 40,
                frames_total: 65536,
                frames_expected: 65536,
                conserved: true,
            })))
        );
        let Some(Ok(DemoRecord::End(end))) =
            parse("demo end periods=1 frames_total=9 frames_expected=10 conserved=no")
        else {
            panic!()
        };
        assert!(!end.conserved);
    }

    #[test]
    fn unknown_keys_are_ignored_and_order_does_not_matter() {
        let line = "demo pool tmem_capacity=9 future=1 policy=static t_ms=5 period=1 reserve=0 tmem_used=3";
        let Some(Ok(DemoRecord::Pool(pool))) = parse(line) else {
            panic!("{:?}", parse(line))
        };
        assert_eq!((pool.tmem_used, pool.tmem_capacity), (3, 9));
    }

    #[test]
    fn other_lines_are_not_demo_lines() {
        assert_eq!(parse("tmem: pool of 5000 pages"), None);
        assert_eq!(parse("demonstration"), None);
        assert_eq!(parse("bench demo guest=x"), None);
    }

    #[test]
    fn malformed_demo_lines_say_what_is_wrong() {
        let cases: [(&str, DemoLineError); 8] = [
            ("demo ", DemoLineError::UnknownKind(String::new())),
            (
                "demo poll period=1",
                DemoLineError::UnknownKind("poll".into()),
            ),
            (
                &GUEST.replace(" faults=64", ""),
                DemoLineError::Missing("faults"),
            ),
            (
                &GUEST.replace("ram=120", "ram=12x"),
                DemoLineError::NotANumber {
                    key: "ram",
                    value: "12x".into(),
                },
            ),
            (
                &GUEST.replace("ram=120", "ram=-1"),
                DemoLineError::NotANumber {
                    key: "ram",
                    value: "-1".into(),
                },
            ),
            (
                &format!("{GUEST} ram=5"),
                DemoLineError::Repeated("ram".into()),
            ),
            (
                "demo end periods=1 frames_total=1 frames_expected=1 conserved=maybe",
                DemoLineError::NotYesNo("maybe".into()),
            ),
            (
                "demo pool period=1 t_ms=1 policy= reserve=1 tmem_used=1 tmem_capacity=1",
                DemoLineError::Empty("policy"),
            ),
        ];
        for (line, error) in cases {
            assert_eq!(parse(line), Some(Err(error)), "{line}");
        }
        assert_eq!(
            parse(&GUEST.replace("sd=2", "sd")),
            Some(Err(DemoLineError::NotKeyValue("sd".into())))
        );
        assert_eq!(
            parse(&GUEST.replace("guest=g1", "guest=")),
            Some(Err(DemoLineError::Empty("guest")))
        );
    }

    #[test]
    fn no_input_makes_the_parser_panic() {
        // Every prefix of every well-formed line, and some bytes that are
        // not ASCII, give a record or an error.
        for line in [
            GUEST,
            "demo pool period=2 t_ms=200 policy=static reserve=30 tmem_used=500 tmem_capacity=50000",
            "demo end periods=40 frames_total=1 frames_expected=1 conserved=yes",
            "demo guest=é période=½ ==",
        ] {
            for end in (0..=line.len()).filter(|&end| line.is_char_boundary(end)) {
                let _ = parse(&line[..end]);
            }
        }
    }
}
