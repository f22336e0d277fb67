//! One module per subcommand that is more than a few lines.

pub mod lint;
pub mod run_qemu;
pub mod test;
