//! What a system description asks of a guest OS kernel partition: its
//! typed configuration (`config = { ... }` under its `[[partition]]`).
//!
//! xtask deserializes the description's fields into [`GuestPlan`] (unknown
//! fields and wrong types are errors naming the field), encodes it with
//! postcard, and the partition decodes it at start with
//! `userlib::config`. This crate only declares the shape and derives names
//! from it; it must never read anything but the plan, and it stays
//! `no_std` without a heap so both sides can use it.
#![no_std]

use serde::{Deserialize, Serialize};

pub mod file_set;

pub use tmem_protocol::ExchangeMode;

/// The most phases a phased workload's schedule may have.
pub const MAX_PHASES: usize = 32;

/// The most programs a guest runs as processes at once.
pub const MAX_PROGRAMS: usize = 3;

/// The guest's plan.
///
/// ```toml
/// config = { guest = 1, tmem = "copy", sd_swap = true, hog = { pages = 96, passes = 3 } }
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestPlan {
    /// The guest's number, for logs and page patterns.
    pub guest: u32,
    /// How pages travel to tmem (`"copy"`, `"grant-map"`, `"transfer"`);
    /// absent: tmem is off (the partition may still be a declared client).
    #[serde(default)]
    pub tmem: Option<ExchangeMode>,
    /// Whether the guest swaps to its region of the SD card (the
    /// description's `[[disk]]`); without it there is no swap device.
    #[serde(default)]
    pub sd_swap: bool,
    /// Whether the guest logs its run time for `cargo xtask bench`.
    #[serde(default)]
    pub bench: bool,
    /// Run `programs` as processes instead of the workloads in the guest
    /// kernel (`hog`, `phased`, `files` without `processes`).
    #[serde(default)]
    pub processes: bool,
    /// The programs run as processes (with `processes`), each with its
    /// named parameters:
    /// `programs = [{ zipf = { pages = 96, operations = 3000, exponent = 0.9, seed = 1 } }, "wild"]`.
    #[serde(default)]
    pub programs: heapless::Vec<ProgramPlan, MAX_PROGRAMS>,
    /// Whether the memory manager sizes the guest's RAM: the balloon
    /// service reports pressure to the manager's endpoint (capability slot
    /// 7) every period and gives or takes one-page frames to reach the
    /// target it sets. Only with the workloads in the guest kernel (not
    /// with `processes`).
    #[serde(default)]
    pub balloon: bool,
    /// The memory hog, if it runs.
    #[serde(default)]
    pub hog: Option<HogPlan>,
    /// The phased workload, if it runs.
    #[serde(default)]
    pub phased: Option<PhasedPlan>,
    /// The file reader, if it runs.
    #[serde(default)]
    pub files: Option<FilePlan>,
    /// The UUID of the system's shared cleancache pool (the `[tmem]`
    /// section's `shared_pool`) that holds this guest's clean file pages
    /// instead of a private pool: `shared_files = 7`. Guests whose files
    /// are the same (`file_set`: content is a function of file and offset)
    /// then find each other's pages there. xtask checks that the guest is a
    /// `shared = true` tmem client of that pool and has files.
    #[serde(default)]
    pub shared_files: Option<u8>,
}

/// The most pages a Zipf workload's set may have.
pub const MAX_ZIPF_PAGES: u32 = 1 << 16;

/// The memory hog's size: `hog = { pages = 96, passes = 3 }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HogPlan {
    /// Anonymous pages it maps and touches.
    pub pages: u32,
    /// Passes over every page (each writes a new version); 1 if absent.
    #[serde(default = "one")]
    pub passes: u32,
}

fn one() -> u32 {
    1
}

/// The phased workload's demand schedule:
/// `phased = { step_pages = 6, schedule = [1, 2, 3, 4, 3, 2, 1] }`.
/// Its memory is a stack of mappings ("steps") of `step_pages` pages; in
/// each phase it maps or unmaps steps until it holds that phase's number,
/// then touches every page it holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhasedPlan {
    /// Pages in one step (one mapping).
    pub step_pages: u32,
    /// Steps held in each phase, in order (at most [`MAX_PHASES`]).
    pub schedule: heapless::Vec<u32, MAX_PHASES>,
}

impl PhasedPlan {
    /// The most pages the schedule holds at once.
    pub fn peak_pages(&self) -> u32 {
        self.schedule.iter().copied().max().unwrap_or(0) * self.step_pages
    }
}

/// The file reader's size:
/// `files = { files = 4, pages_per_file = 12, rounds = 3 }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilePlan {
    /// How many files.
    pub files: u32,
    /// Pages in each file.
    pub pages_per_file: u32,
    /// How many times every file is read whole.
    pub rounds: u32,
    /// Whether the files are read from the FAT file system xtask writes
    /// into the guest's `use = "files"` region of the SD card (`[[disk]]`);
    /// otherwise from synthetic files computed in the guest.
    #[serde(default)]
    pub on_card: bool,
}

/// A program the guest runs as a process, and its parameters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum ProgramPlan {
    /// The memory hog: `{ hog = { pages = 48, passes = 2 } }`.
    Hog(HogPlan),
    /// A program that writes where nothing is mapped (and is killed):
    /// `"wild"`.
    Wild,
    /// Random access with a Zipf skew.
    Zipf(ZipfPlan),
    /// A key-value store with a get/put mix.
    Kv(KvPlan),
    /// Re-reads the guest's file set (`files`) through open/read/close.
    FileScan(FileScanPlan),
}

impl ProgramPlan {
    /// The program's name (its binary's).
    pub const fn name(&self) -> &'static str {
        match self {
            ProgramPlan::Hog(_) => "hog",
            ProgramPlan::Wild => "wild",
            ProgramPlan::Zipf(_) => "zipf",
            ProgramPlan::Kv(_) => "kv",
            ProgramPlan::FileScan(_) => "file-scan",
        }
    }
}

/// Random access with a Zipf skew:
/// `{ zipf = { pages = 96, operations = 3000, exponent = 0.9, seed = 1 } }`.
/// Page `k` (rank `k + 1`) is touched with probability proportional to
/// `1 / (k + 1)^exponent`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZipfPlan {
    /// Pages in the set.
    pub pages: u32,
    /// Touches.
    pub operations: u32,
    /// The skew: 0 is uniform, larger is more skewed.
    pub exponent: f32,
    /// The random sequence's seed.
    pub seed: u32,
    /// Percent of touches that write a new version (25 if absent).
    #[serde(default = "quarter")]
    pub write_percent: u32,
}

fn quarter() -> u32 {
    25
}

/// The key-value store:
/// `{ kv = { keys = 512, operations = 4000, put_percent = 30, seed = 2 } }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KvPlan {
    /// Distinct keys (drawn uniformly).
    pub keys: u32,
    /// Gets and puts.
    pub operations: u32,
    /// Percent of operations that are puts.
    pub put_percent: u32,
    /// The random sequence's seed.
    pub seed: u32,
}

/// The most keys a key-value store may have (its table is 256 bytes a
/// key, rounded up: 64 MiB at most).
pub const MAX_KV_KEYS: u32 = 1 << 18;

/// The file scan: `{ file-scan = { rounds = 3, pause_us = 2000 } }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileScanPlan {
    /// How many times every file is read whole.
    pub rounds: u32,
    /// Microseconds it sleeps between rounds (0 if absent).
    #[serde(default)]
    pub pause_us: u32,
}

/// A plan that deserializes but cannot run: which field, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanError {
    /// The program's place in `programs`, if the field is one of its.
    pub program: Option<usize>,
    /// The field.
    pub field: &'static str,
    /// Why.
    pub reason: &'static str,
}

impl GuestPlan {
    /// Checks what the types cannot say: programs only with `processes`
    /// (and some then), parameters in range, a file scan only with files.
    pub fn check(&self) -> Result<(), PlanError> {
        let plan = |field, reason| PlanError {
            program: None,
            field,
            reason,
        };
        match (self.processes, self.programs.is_empty()) {
            (true, true) => {
                return Err(plan(
                    "programs",
                    "`processes = true` needs at least one program",
                ))
            }
            (false, false) => {
                return Err(plan(
                    "programs",
                    "programs run only with `processes = true`",
                ))
            }
            _ => {}
        }
        for (at, program) in self.programs.iter().enumerate() {
            let wrong = |field, reason| PlanError {
                program: Some(at),
                field,
                reason,
            };
            match *program {
                ProgramPlan::Hog(hog) if hog.pages == 0 => {
                    return Err(wrong("pages", "a hog needs at least one page"))
                }
                ProgramPlan::Zipf(zipf) => {
                    if zipf.pages == 0 {
                        return Err(wrong("pages", "the page set needs at least one page"));
                    }
                    if zipf.pages > MAX_ZIPF_PAGES {
                        return Err(wrong("pages", "more than 65536 pages (256 MiB)"));
                    }
                    if !(zipf.exponent.is_finite() && zipf.exponent >= 0.0) {
                        return Err(wrong("exponent", "must be a finite number, 0 or more"));
                    }
                    if zipf.write_percent > 100 {
                        return Err(wrong("write_percent", "a percentage is at most 100"));
                    }
                }
                ProgramPlan::Kv(kv) => {
                    if kv.keys == 0 || kv.keys > MAX_KV_KEYS {
                        return Err(wrong("keys", "must be from 1 to 262144"));
                    }
                    if kv.put_percent > 100 {
                        return Err(wrong("put_percent", "a percentage is at most 100"));
                    }
                }
                ProgramPlan::FileScan(_) if self.files.is_none_or(|f| f.files == 0 || f.pages_per_file == 0) => {
                    return Err(wrong("file-scan", "a file scan needs the guest's files: `files = { files = .., pages_per_file = .., rounds = .. }`"))
                }
                _ => {}
            }
        }
        if self.shared_files.is_some() {
            if self.tmem.is_none() {
                return Err(plan(
                    "shared_files",
                    "a shared cleancache pool needs tmem: `tmem = \"copy\"` (or another mode)",
                ));
            }
            if self
                .files
                .is_none_or(|f| f.files == 0 || f.pages_per_file == 0)
            {
                return Err(plan(
                    "shared_files",
                    "only files are shared: `files = { files = .., pages_per_file = .., rounds = .. }`",
                ));
            }
        }
        Ok(())
    }

    /// A plan with tmem off, no swap and no workloads, for guest `guest`.
    pub const fn idle(guest: u32) -> GuestPlan {
        GuestPlan {
            guest,
            tmem: None,
            sd_swap: false,
            bench: false,
            processes: false,
            balloon: false,
            programs: heapless::Vec::new(),
            hog: None,
            phased: None,
            files: None,
            shared_files: None,
        }
    }

    /// Where swapped pages go, as a benchmark series: the exchange mode
    /// (`copy`, `grant_map`, `transfer`) or, without tmem, `sd_only` or
    /// `none`.
    pub fn swap_series(&self) -> &'static str {
        match (self.tmem, self.sd_swap) {
            (None, true) => "sd_only",
            (None, false) => "none",
            (Some(ExchangeMode::Copy), _) => "copy",
            (Some(ExchangeMode::GrantMap), _) => "grant_map",
            (Some(ExchangeMode::Transfer), _) => "transfer",
        }
    }

    /// The exchange mode's name, for logs ("off" without tmem).
    pub fn tmem_name(&self) -> &'static str {
        match self.tmem {
            None => "off",
            Some(ExchangeMode::Copy) => "copy",
            Some(ExchangeMode::GrantMap) => "grant-map",
            Some(ExchangeMode::Transfer) => "transfer",
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate alloc;
    use super::*;

    #[test]
    fn a_full_plan_survives_postcard() {
        let plan = GuestPlan {
            tmem: Some(ExchangeMode::Transfer),
            sd_swap: true,
            bench: true,
            balloon: true,
            hog: Some(HogPlan {
                pages: 300,
                passes: 2,
            }),
            phased: Some(PhasedPlan {
                step_pages: 6,
                schedule: heapless::Vec::from_slice(&[1, 2, 9, 2]).unwrap(),
            }),
            files: Some(FilePlan {
                files: 4,
                pages_per_file: 12,
                rounds: 3,
                on_card: true,
            }),
            ..GuestPlan::idle(7)
        };
        let bytes = postcard::to_allocvec(&plan).unwrap();
        assert_eq!(postcard::from_bytes::<GuestPlan>(&bytes).unwrap(), plan);
        assert_eq!(plan.phased.unwrap().peak_pages(), 54);
    }

    fn zipf(exponent: f32) -> ProgramPlan {
        ProgramPlan::Zipf(ZipfPlan {
            pages: 40,
            operations: 100,
            exponent,
            seed: 1,
            write_percent: 25,
        })
    }

    #[test]
    fn programs_survive_postcard_and_a_plan_that_cannot_run_is_refused() {
        let files = FilePlan {
            files: 2,
            pages_per_file: 3,
            rounds: 1,
            on_card: false,
        };
        let plan = GuestPlan {
            processes: true,
            files: Some(files),
            programs: heapless::Vec::from_slice(&[
                zipf(0.9),
                ProgramPlan::Kv(KvPlan {
                    keys: 64,
                    operations: 10,
                    put_percent: 30,
                    seed: 2,
                }),
                ProgramPlan::FileScan(FileScanPlan {
                    rounds: 2,
                    pause_us: 100,
                }),
            ])
            .unwrap(),
            ..GuestPlan::idle(1)
        };
        let bytes = postcard::to_allocvec(&plan).unwrap();
        assert_eq!(postcard::from_bytes::<GuestPlan>(&bytes).unwrap(), plan);
        assert_eq!(plan.check(), Ok(()));
        let with = |program, files| GuestPlan {
            processes: true,
            files,
            programs: heapless::Vec::from_slice(&[ProgramPlan::Wild, program]).unwrap(),
            ..GuestPlan::idle(1)
        };
        let field = |plan: GuestPlan| plan.check().map_err(|e| (e.program, e.field));
        assert_eq!(field(with(zipf(-0.1), None)), Err((Some(1), "exponent")));
        assert_eq!(
            field(with(zipf(f32::NAN), None)),
            Err((Some(1), "exponent"))
        );
        assert_eq!(field(with(zipf(0.0), None)), Ok(()));
        let scan = ProgramPlan::FileScan(FileScanPlan {
            rounds: 1,
            pause_us: 0,
        });
        assert_eq!(field(with(scan, None)), Err((Some(1), "file-scan")));
        assert_eq!(field(with(scan, Some(files))), Ok(()));
        let no_processes = GuestPlan {
            processes: false,
            ..with(ProgramPlan::Wild, None)
        };
        assert_eq!(field(no_processes), Err((None, "programs")));
        let nothing = GuestPlan {
            processes: true,
            ..GuestPlan::idle(1)
        };
        assert_eq!(field(nothing), Err((None, "programs")));
    }

    #[test]
    fn shared_files_need_tmem_and_files() {
        let files = FilePlan {
            files: 2,
            pages_per_file: 3,
            rounds: 1,
            on_card: true,
        };
        let plan = |tmem, files| GuestPlan {
            tmem,
            files,
            shared_files: Some(7),
            ..GuestPlan::idle(1)
        };
        let field = |plan: GuestPlan| plan.check().map_err(|e| e.field);
        let copy = Some(ExchangeMode::Copy);
        assert_eq!(field(plan(copy, Some(files))), Ok(()));
        assert_eq!(field(plan(None, Some(files))), Err("shared_files"));
        assert_eq!(field(plan(copy, None)), Err("shared_files"));
        let empty = FilePlan { files: 0, ..files };
        assert_eq!(field(plan(copy, Some(empty))), Err("shared_files"));
        let bytes = postcard::to_allocvec(&plan(copy, Some(files))).unwrap();
        assert_eq!(
            postcard::from_bytes::<GuestPlan>(&bytes)
                .unwrap()
                .shared_files,
            Some(7)
        );
    }

    #[test]
    fn names_follow_the_mode_and_the_swap_device() {
        let with = |tmem, sd_swap| GuestPlan {
            tmem,
            sd_swap,
            ..GuestPlan::idle(1)
        };
        assert_eq!(with(None, false).swap_series(), "none");
        assert_eq!(with(None, true).swap_series(), "sd_only");
        assert_eq!(
            with(Some(ExchangeMode::GrantMap), true).swap_series(),
            "grant_map"
        );
        assert_eq!(with(None, true).tmem_name(), "off");
        assert_eq!(with(Some(ExchangeMode::Copy), false).tmem_name(), "copy");
        assert_eq!(
            with(Some(ExchangeMode::Transfer), false).swap_series(),
            "transfer"
        );
    }
}
