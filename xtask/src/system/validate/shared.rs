//! `[[shared_memory]]`: shared regions' names and sizes, and each mapping
//! of one into a partition (once per partition, placed by
//! [`mappings`](super::mappings)).
//!
//! This module only checks shared regions and counts their memory; it
//! must never decide whether that memory fits the board (see
//! [`ram`](super::ram)).

use std::collections::BTreeSet;

use boot_info::{SharedMapping, SharedRegion};

use super::super::description::{Access, Description};
use super::mappings::{check_mapping, Taken};
use super::{Checker, DescriptionError};

pub(super) fn shared(
    c: &Checker<'_>,
    d: &Description,
    total: &mut u64,
    taken: &mut Vec<Taken>,
) -> Result<Vec<SharedRegion<'static>>, DescriptionError> {
    let mut out = Vec::new();
    let mut names = BTreeSet::new();
    for (i, s) in d.shared.iter().enumerate() {
        let at = |field: &str| format!("shared_memory[{i}].{field}");
        let name = c.name(&at("name"), &s.name)?;
        if !names.insert(s.name.as_str()) {
            return Err(c.err(
                at("name"),
                format!("duplicate shared region name `{}`", s.name),
            ));
        }
        let size = c.pages(&at("size_kib"), s.size_kib)?;
        *total += u64::from(size);
        if s.map.is_empty() {
            return Err(c.err(at("map"), "a shared region must be mapped somewhere"));
        }
        let mut mappings = Vec::new();
        for (m, map) in s.map.iter().enumerate() {
            let field = format!("shared_memory[{i}].map[{m}]");
            let partition = c.partition_index(&format!("{field}.partition"), &map.partition, d)?;
            if mappings
                .iter()
                .any(|x: &SharedMapping| x.partition == partition)
            {
                return Err(c.err(
                    format!("{field}.partition"),
                    format!("`{}` maps this region twice", map.partition),
                ));
            }
            let what = format!("shared region `{}`", s.name);
            check_mapping(c, &field, d, taken, partition, map.address, size, what)?;
            mappings.push(SharedMapping {
                partition,
                address: map.address,
                writable: map.access == Access::ReadWrite,
            });
        }
        out.push(SharedRegion {
            name,
            size,
            mappings: mappings.into_iter().collect(),
        });
    }
    Ok(out)
}
