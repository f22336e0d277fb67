//! `[[frame]]`: frames' names, their sizes (whole pages that fit the
//! grant window they are mapped in) and at most one frame that takes the
//! rest of RAM.
//!
//! This module checks each frame on its own; it must never count frames
//! against the board's RAM (see [`ram`](super::ram)).

use std::collections::BTreeSet;

use super::super::description::{Description, FrameSize};
use super::{Checker, DescriptionError};

/// Checks the frames' names and sizes and how many there are.
pub(super) fn frames(c: &Checker<'_>, d: &Description) -> Result<(), DescriptionError> {
    let mut frame_names = BTreeSet::new();
    for (i, f) in d.frames.iter().enumerate() {
        c.name(&format!("frame[{i}].name"), &f.name)?;
        if !frame_names.insert(f.name.as_str()) {
            return Err(c.err(
                format!("frame[{i}].name"),
                format!("duplicate frame name `{}`", f.name),
            ));
        }
        let FrameSize::Kib(kib) = f.size_kib else {
            if d.frames[..i].iter().any(|f| f.size_kib == FrameSize::Rest) {
                return Err(c.err(
                    format!("frame[{i}].size_kib"),
                    "only one frame may take the rest of RAM",
                ));
            }
            continue;
        };
        let size = c.pages(&format!("frame[{i}].size_kib"), kib)?;
        if size > kernel_abi::user_layout::GRANT_WINDOW_SIZE {
            return Err(c.err(
                format!("frame[{i}].size_kib"),
                "larger than the 1 MiB grant window it is mapped in",
            ));
        }
    }
    if d.frames.len() > boot_info::MAX_FRAMES {
        return Err(c.err(
            "frame",
            format!(
                "at most {} frames: a capability names its frame with 16 bits",
                boot_info::MAX_FRAMES
            ),
        ));
    }
    Ok(())
}
