//! Links this partition with the user link script and the defmt table.
fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("none") {
        println!("cargo:rustc-link-arg-bins=-Tuser.x");
        println!("cargo:rustc-link-arg-bins=-Tdefmt.x");
    }
}
