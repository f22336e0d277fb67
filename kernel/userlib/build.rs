//! Puts `user.x`, the partition link script, where every partition's link
//! finds it. Partitions add `-Tuser.x` (and `-Tdefmt.x`) in their own
//! build scripts: link arguments do not flow from a dependency.

use std::{env, fs, path::PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=user.x");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::copy("user.x", out.join("user.x")).expect("copy user.x");
    println!("cargo:rustc-link-search={}", out.display());
}
