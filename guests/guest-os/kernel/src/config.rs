//! What the system description asks of this guest, decoded from the
//! partition's argument word: whether and how it reaches tmem, its number,
//! and which workloads run with what sizes.
//!
//! ```text
//! argument bits  1..0    exchange mode: 0 tmem off, 1 copy, 2 grant-map, 3 transfer
//!                7..2    the guest's number (logs, page patterns)
//!                15..8   memory hog: pages it touches (0: no hog)
//!                19..16  memory hog: passes over them (0 counts as 1)
//!                27..20  phased workload: pages per step (0: none)
//!                28      file reader over the synthetic files
//!                29      swap on the guest's SD-card region (else no swap device)
//!                30      log the run's virtual time as a benchmark figure
//!                31      run the programs as processes (two hogs of the
//!                        hog's pages and one wild program) instead of
//!                        the workloads in the guest kernel
//! ```
//!
//! Decoding is total: every argument is some plan, and this module must
//! never read anything but the argument.

use tmem_client::ExchangeMode;

/// The memory hog's size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HogPlan {
    /// Anonymous pages it maps and touches.
    pub pages: u32,
    /// Passes over every page (each writes a new version).
    pub passes: u32,
}

/// The phased workload's schedule: its demand, in steps, phase by phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhasedPlan {
    /// Pages in one step (one mapping).
    pub step_pages: u32,
    /// Steps mapped in each phase: demand rises, then falls.
    pub schedule: &'static [u32],
}

/// The phased workload's fixed shape: up to four steps and back down.
pub const PHASE_SCHEDULE: &[u32] = &[1, 2, 3, 4, 3, 2, 1];

/// The file reader's size: files, pages per file, rounds over them all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FilePlan {
    /// How many files.
    pub files: u32,
    /// Pages in each file.
    pub pages_per_file: u32,
    /// How many times every file is read whole.
    pub rounds: u32,
}

/// The file reader's fixed size: 48 pages, read three times.
pub const FILE_PLAN: FilePlan = FilePlan {
    files: 4,
    pages_per_file: 12,
    rounds: 3,
};

/// The guest's plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuestPlan {
    /// How pages travel to tmem; `None`: tmem is off.
    pub tmem: Option<ExchangeMode>,
    /// The guest's number.
    pub guest: u32,
    /// The memory hog, if it runs.
    pub hog: Option<HogPlan>,
    /// The phased workload, if it runs.
    pub phased: Option<PhasedPlan>,
    /// The file reader, if it runs.
    pub files: Option<FilePlan>,
    /// Whether the guest swaps to its region of the SD card (the
    /// description's `[[disk]]`); without it there is no swap device.
    pub sd_swap: bool,
    /// Whether the guest logs its run time for `cargo xtask bench`.
    pub bench: bool,
    /// Run the embedded programs as processes.
    pub processes: bool,
}

impl GuestPlan {
    /// The plan `argument` encodes.
    pub fn decode(argument: u32) -> GuestPlan {
        let hog_pages = (argument >> 8) & 0xFF;
        let step_pages = (argument >> 20) & 0xFF;
        GuestPlan {
            tmem: ExchangeMode::from_bits(argument & 0b11),
            guest: (argument >> 2) & 0x3F,
            hog: (hog_pages != 0).then_some(HogPlan {
                pages: hog_pages,
                passes: ((argument >> 16) & 0xF).max(1),
            }),
            phased: (step_pages != 0).then_some(PhasedPlan {
                step_pages,
                schedule: PHASE_SCHEDULE,
            }),
            files: (argument & (1 << 28) != 0).then_some(FILE_PLAN),
            sd_swap: argument & (1 << 29) != 0,
            bench: argument & (1 << 30) != 0,
            processes: argument & (1 << 31) != 0,
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
