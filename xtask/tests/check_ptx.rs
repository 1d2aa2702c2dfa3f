//! `cargo xtask check-ptx FILE` must fail on invalid PTX and pass on valid
//! PTX: the check CI relies on actually checks.
//!
//! Needs `ptxas`: `$PTXAS`, a CUDA 12 `ptxas` on PATH, or the pinned PyPI
//! wheel (fetched into `target/tools/` on first use; `cargo xtask test` has
//! already fetched it by the time it runs the tests).

use std::path::PathBuf;
use std::process::{Command, Output};

fn check_ptx(name: &str, ptx: &str) -> (Output, String) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("check_ptx");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(name);
    std::fs::write(&file, ptx).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("check-ptx")
        .arg(&file)
        .output()
        .expect("running xtask");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, stderr)
}

const HEADER: &str = ".version 7.0\n.target sm_80\n.address_size 64\n";

#[test]
fn valid_ptx_passes() {
    let ptx = format!(
        "{HEADER}.visible .entry store_one(.param .u64 p)\n{{\n\
         \t.reg .b64 %rd<3>;\n\
         \tld.param.u64 %rd1, [p];\n\
         \tcvta.to.global.u64 %rd2, %rd1;\n\
         \tst.global.u32 [%rd2], 1;\n\
         \tret;\n}}\n"
    );
    let (out, stderr) = check_ptx("valid.ptx", &ptx);
    assert!(
        out.status.success(),
        "check-ptx failed on valid PTX:\n{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("ptxas sm_80: ok (1 kernels"), "{stdout}");
}

#[test]
fn invalid_ptx_fails() {
    // Type mismatch: an f64 add into 32-bit registers.
    let ptx = format!(
        "{HEADER}.visible .entry broken()\n{{\n\
         \t.reg .b32 %r<3>;\n\
         \tadd.f64 %r1, %r2, %r2;\n\
         \tret;\n}}\n"
    );
    let (out, stderr) = check_ptx("invalid.ptx", &ptx);
    assert!(
        !out.status.success(),
        "check-ptx accepted invalid PTX:\n{stderr}"
    );
    assert!(
        stderr.contains("ptxas sm_80: FAILED") && stderr.contains("invalid.ptx"),
        "check-ptx failed, but not because ptxas rejected the file:\n{stderr}"
    );
}
