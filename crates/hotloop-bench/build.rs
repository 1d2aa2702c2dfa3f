//! Records the compiler version for the report.
fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    if let Ok(out) = std::process::Command::new(rustc).arg("--version").output() {
        let v = String::from_utf8_lossy(&out.stdout);
        println!("cargo:rustc-env=HOTLOOP_RUSTC_VERSION={}", v.trim());
    }
    println!("cargo:rerun-if-changed=build.rs");
}
