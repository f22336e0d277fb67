//! Guest RAM for the balloon: the RAM frame the description gives is cut
//! into one-page capabilities (frame `f` in slot `FIRST_FRAME + f`), each
//! mapped at its place in the RAM window, so each can move to the memory
//! manager alone; the window's other frames start as holes in the Vm's
//! balloon. The RAM frame's own capability is deleted, so every page
//! capability is the sole one over its page (what a transfer needs).
//!
//! Runs once, at boot, before any workload: it must never leave a frame
//! the Vm uses unmapped.

extern crate alloc;

use alloc::vec::Vec;

use guest_mm::Frame as VmFrame;
use guest_os_kernel::Machine;
use userlib::ipc::{cap_delete, Frame};

use crate::manager_link::{KernelLink, FIRST_FRAME};

/// Makes the Vm's frames past the `held` the guest boots with into
/// holes, and maps the RAM frame's pages at the frames it keeps.
pub fn place_ram(
    machine: &mut Machine<'_>,
    ram: Frame,
    held: u32,
    link: &mut KernelLink,
) -> Result<(), &'static str> {
    let all = machine.vm().pressure().total_frames;
    let holes = machine.balloon_holes(all.saturating_sub(held));
    let kept: Vec<VmFrame> = (0..all)
        .map(VmFrame)
        .filter(|frame| !holes.contains(frame))
        .collect();
    if kept.len() as u32 != held {
        return Err("the balloon did not take the frames asked");
    }
    ram.unmap().map_err(|e| e.name())?;
    for (page, &frame) in (0u32..).zip(&kept) {
        ram.split(page, FIRST_FRAME + frame.0 as u16)
            .map_err(|e| e.name())?;
    }
    cap_delete(ram.0).map_err(|e| e.name())?;
    for &frame in &kept {
        if !link.map(frame) {
            return Err("a RAM page capability does not map at its place");
        }
    }
    Ok(())
}
