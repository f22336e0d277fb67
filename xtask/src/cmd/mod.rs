//! One module per subcommand that is more than a few lines.

pub mod bench;
pub mod flash_tegra;
pub mod lint;
pub mod monitor;
pub mod run_qemu;
pub mod test;
