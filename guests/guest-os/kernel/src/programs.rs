//! The guest programs this guest kernel carries: `guest-programs`'
//! binaries, embedded by the build script when xtask built them for the
//! target (none in host builds), found by name. It never parses them:
//! that is [`elf`](crate::elf)'s job, at load time.

include!(concat!(env!("OUT_DIR"), "/programs.rs"));

/// The ELF file of the program called `name`, if it is embedded.
pub fn find(name: &str) -> Option<&'static [u8]> {
    EMBEDDED
        .iter()
        .find(|(embedded, _)| *embedded == name)
        .map(|&(_, bytes)| bytes)
}
