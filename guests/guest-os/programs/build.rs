//! Links the programs with `program.x`, the guest process link script (a
//! process has an address space of its own, so it is not linked where
//! partitions are).
fn main() {
    println!("cargo:rerun-if-changed=program.x");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("none") {
        let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
        println!("cargo:rustc-link-search={dir}");
        println!("cargo:rustc-link-arg-bins=-Tprogram.x");
        // Only the loadable segments matter: the guest kernel embeds the
        // programs, so no symbols or debug information.
        println!("cargo:rustc-link-arg-bins=--strip-all");
        // Segments start on pages in the address space (program.x), but
        // not in the file: no padding embedded in the guest kernel.
        println!("cargo:rustc-link-arg-bins=--nmagic");
    }
}
