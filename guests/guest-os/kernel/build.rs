//! Links this partition with the user link script and the defmt table, and
//! embeds the guest programs (`guest-programs`' binaries, built for the
//! target by xtask before this crate, in `GUEST_PROGRAMS_DIR`) as
//! `$OUT_DIR/programs.rs`. Without that variable (host builds, lints) the
//! guest has no programs.

use std::fmt::Write as _;
use std::path::PathBuf;

/// The programs a guest can run, by binary name.
const PROGRAMS: &[&str] = &["hog", "wild", "zipf", "kv", "file-scan"];

fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("none") {
        println!("cargo:rustc-link-arg-bins=-Tuser.x");
        println!("cargo:rustc-link-arg-bins=-Tdefmt.x");
    }
    println!("cargo:rerun-if-env-changed=GUEST_PROGRAMS_DIR");
    let mut table = String::from("/// The embedded programs: (name, ELF file).\n");
    table.push_str("pub static EMBEDDED: &[(&str, &[u8])] = &[\n");
    if let Some(dir) = std::env::var_os("GUEST_PROGRAMS_DIR").map(PathBuf::from) {
        for name in PROGRAMS {
            let path = dir.join(name);
            if !path.is_file() {
                eprintln!(
                    "guest program {name} is not built: {} is missing (xtask builds guest-programs first)",
                    path.display()
                );
                std::process::exit(1);
            }
            println!("cargo:rerun-if-changed={}", path.display());
            let _ = writeln!(table, "    ({name:?}, include_bytes!({:?})),", path);
        }
    }
    table.push_str("];\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("programs.rs");
    if let Err(error) = std::fs::write(&out, table) {
        eprintln!("cannot write {}: {error}", out.display());
        std::process::exit(1);
    }
}
