//! The guest kernel's machine as the host tests build it: [`FRAMES`]
//! pages of guest RAM, the fake kernel's address-space calls (a budget
//! of 64 page tables, the slots of [`LAYOUT`]), synthetic files, no swap
//! device and no tmem. Only construction: no test logic here.

#![allow(dead_code)]

use guest_os_kernel::guest;
use guest_os_kernel::kernel_spaces::{KernelSpaces, SlotLayout};
use guest_os_kernel::no_swap::NoSwapDevice;
use guest_os_kernel::ram::GuestRam;
use guest_os_kernel::synthetic_files::SyntheticFiles;
use guest_os_kernel::{GuestReport, Machine, Ports, Reporter};

use crate::fake_kernel::FakeKernel;

/// Pages of guest RAM.
pub const FRAMES: u32 = 8;

/// The capability slots the machine's address spaces and frames use.
pub const LAYOUT: SlotLayout = SlotLayout {
    first_space: 40,
    spaces: 2,
    first_frame: 100,
    frames: FRAMES,
};

/// A reporter that reports nothing.
pub struct Quiet;

impl Reporter for Quiet {
    fn periodic(&mut self, _: &GuestReport) {}
}

/// The machine over `memory` (of [`FRAMES`] pages) and `files`.
pub fn machine<'p>(
    memory: &'p mut GuestRam<'p>,
    files: &'p mut SyntheticFiles,
    device: &'p mut NoSwapDevice,
    reporter: &'p mut Quiet,
) -> Machine<'p, KernelSpaces<FakeKernel>> {
    let ports = Ports {
        memory,
        frontswap: None,
        cleancache: None,
        swap_device: device,
        files,
    };
    let kernel = FakeKernel {
        budget: 64,
        ..FakeKernel::default()
    };
    Machine::with_spaces(
        guest::vm_config(FRAMES, guest::SWAP_SLOTS),
        KernelSpaces::new(kernel, LAYOUT),
        ports,
        reporter,
        0,
    )
}
