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

/// The guest's plan.
///
/// ```toml
/// config = { guest = 1, tmem = "copy", sd_swap = true, hog = { pages = 96, passes = 3 } }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Run the embedded programs as processes (two hogs of `hog.pages`
    /// pages and one wild program) instead of the workloads in the guest
    /// kernel.
    #[serde(default)]
    pub processes: bool,
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
}

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

impl GuestPlan {
    /// A plan with tmem off, no swap and no workloads, for guest `guest`.
    pub const fn idle(guest: u32) -> GuestPlan {
        GuestPlan {
            guest,
            tmem: None,
            sd_swap: false,
            bench: false,
            processes: false,
            balloon: false,
            hog: None,
            phased: None,
            files: None,
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
