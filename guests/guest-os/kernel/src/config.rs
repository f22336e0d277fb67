//! What the system description asks of this guest: its typed
//! configuration, declared in `guest-os-config` (which xtask checks the
//! description's `config` against) and decoded at start with
//! `userlib::config`. This module only names those types for the rest of
//! the guest kernel; it must never read anything but the plan.

pub use guest_os_config::{
    FilePlan, FileScanPlan, GuestPlan, HogPlan, KvPlan, PhasedPlan, ProgramPlan, ZipfPlan,
    MAX_PHASES, MAX_PROGRAMS,
};
