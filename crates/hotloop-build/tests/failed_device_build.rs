//! A kernels crate whose kernels do not build for the GPU does not build:
//! `build_this_crate` fails the build with the compiler's own message
//! instead of warning and leaving the crate without its PTX.

use std::path::Path;
use std::process::Command;

#[test]
fn a_kernel_that_does_not_build_for_the_gpu_fails_the_crates_build() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/host-only-kernel");
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("host-only-kernel");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    // This test's own cargo settings stay out, as they do of a nested build.
    for (key, _) in std::env::vars_os() {
        if key.to_str().is_some_and(hotloop_build::inherited_build_var) {
            cmd.env_remove(key);
        }
    }
    let out = cmd
        .current_dir(&fixture)
        .args(["build", "--locked", "--target-dir"])
        .arg(&target)
        .output()
        .expect("cargo runs");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the build succeeded:\n{said}");
    assert!(
        said.contains("hotloop-build: the kernels did not build for the GPU"),
        "{said}"
    );
    // The compiler's own words about the kernel's line, not a guess about
    // missing toolchain components.
    assert!(
        said.contains("`std`") && said.contains("src/lib.rs"),
        "{said}"
    );
    assert!(!said.contains("rustup component add"), "{said}");
}
