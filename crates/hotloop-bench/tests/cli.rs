//! The suite as a user runs it: exit codes, messages and the files it
//! leaves behind.

use std::ffi::{OsStr, OsString};
use std::process::Command;
use std::time::{Duration, Instant};

fn bench(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hotloop-bench"))
        .args(args)
        .output()
        .expect("run hotloop-bench")
}

#[test]
fn small_run_writes_results_with_the_documented_schema() {
    let dir = std::env::temp_dir().join(format!("hotloop-bench-cli-{}", std::process::id()));
    let out = bench(&[
        "--size",
        "3x5x7",
        "--samples",
        "1000,2001",
        "--repeat",
        "2",
        "--no-python",
        "--threads",
        "2",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("blog-order") && stdout.contains("✓") && !stdout.contains("✗"),
        "{stdout}"
    );

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap()).unwrap();
    assert_eq!(json["schema_version"], 2);
    for key in ["cpu", "cores", "memory_bytes", "os", "rustc", "gpu"] {
        assert!(!json["machine"][key].is_null(), "machine.{key} missing");
    }
    assert!(json["copy_bandwidth_gb_s"].as_f64().unwrap() > 0.0);
    let rows = json["rows"].as_array().unwrap();
    assert!(rows.len() >= 10, "{} rows", rows.len());
    for r in rows {
        for key in ["workload", "backend", "form", "baseline", "check"] {
            assert!(!r[key].is_null(), "row without {key}: {r}");
        }
        assert_eq!(
            r["timings"]["repeats_s"].as_array().unwrap().len(),
            2,
            "{r}"
        );
        assert_eq!(r["check"]["status"], "passed", "{r}");
        assert!(r["bytes"].is_u64() || r["samples"].is_u64(), "{r}");
    }
    assert_eq!(
        rows.iter().filter(|r| r["baseline"] == true).count(),
        // add; sum, max, min, count; pi at two sample counts; map; two
        // stencils; two gufuncs
        12
    );
    let csv = std::fs::read_to_string(dir.join("results.csv")).unwrap();
    assert_eq!(csv.lines().count(), rows.len() + 1);
    assert!(
        std::fs::read_to_string(dir.join("table.md"))
            .unwrap()
            .contains("| workload |")
    );
    assert!(
        std::fs::read_to_string(dir.join("chart.svg"))
            .unwrap()
            .starts_with("<svg")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unknown_names_are_usage_errors_listing_valid_ones() {
    let out = bench(&["--workload", "qr"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("invalid value 'qr' for '--workload")
            && err.contains("add, pi, reduce, map, stencil, gufunc"),
        "{err}"
    );
}

#[test]
fn bad_sizes_fail_at_once_without_output() {
    for (size, says) in [
        ("0x1x1", "every extent must be at least 1"),
        ("4x5", "2 extents given"),
        ("99999999999x99999999999x9", "overflows"),
    ] {
        let out = bench(&["--size", size]);
        assert_eq!(out.status.code(), Some(2), "--size {size}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says) && err.contains("--size"), "{err}");
        // Refused before any work: no machine line, no rows, no Python.
        assert!(
            out.stdout.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(!err.contains("hotloop bench on"), "{err}");
    }
}

#[test]
fn help_lists_every_option() {
    let out = bench(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for opt in [
        "--python",
        "--no-python",
        "--setup-python",
        "--out <DIR>",
        "results.json, results.csv, table.md and chart.svg",
    ] {
        assert!(help.contains(opt), "{opt}: {help}");
    }
}

#[test]
fn sizes_beyond_memory_are_refused_before_allocating() {
    let out = bench(&["--size", "100000x100000x1000", "--no-python"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("is available") && err.contains("choose a smaller --size"),
        "{err}"
    );
}

#[test]
fn missing_python_rows_are_one_line_and_nothing_is_installed() {
    let out = Command::new(env!("CARGO_BIN_EXE_hotloop-bench"))
        .args([
            "--size",
            "2x3x4",
            "--workload",
            "add",
            "--backend",
            "serial",
            "--repeat",
            "1",
        ])
        .env("HOTLOOP_PYTHON", "/nonexistent/python3")
        .env(
            "HOTLOOP_BENCH_COMMAND",
            "cargo xtask bench --workload add --backend serial",
        )
        .output()
        .expect("run hotloop-bench");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let line = err
        .lines()
        .find(|l| l.contains("missing"))
        .unwrap_or_else(|| panic!("no line about the missing rows: {err}"));
    assert_eq!(
        line,
        "the Python rows (pure Python, NumPy and Numba add) missing (no Python interpreter \
         found): `cargo xtask bench --workload add --backend serial --setup-python` adds them"
    );
    assert!(
        !err.contains("installing") && !err.contains("creating"),
        "{err}"
    );
}

/// Runs the suite with `--quick` and `args` (`--quick`, so that a missing
/// check would start the quick suite's work and be seen) and asserts that
/// it refused them as a usage error before any work: exit 2, one line on
/// stderr that contains `says` (a run that started would add its machine
/// line there), nothing on stdout (nor its table), soon.
fn refused_at_once<A: AsRef<OsStr>>(args: &[A], says: &str) {
    let args: Vec<OsString> = args.iter().map(|a| a.as_ref().to_owned()).collect();
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_hotloop-bench"))
        .arg("--quick")
        .args(&args)
        .output()
        .expect("run hotloop-bench");
    // Refusing takes milliseconds; the bound is generous for a loaded
    // 2-core machine.
    let took = start.elapsed();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: not one line: {err}");
    assert!(err.contains(says), "{args:?}: {err}");
    assert!(
        out.stdout.is_empty(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(took < Duration::from_secs(20), "{args:?}: took {took:?}");
}

/// A fresh directory under the system's temporary one.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("hotloop-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn an_out_that_cannot_be_written_is_refused_before_any_work() {
    let dir = scratch("out");
    let file = dir.join("a-file");
    std::fs::write(&file, "").unwrap();
    refused_at_once(
        &[OsStr::new("--out"), file.as_os_str()],
        "exists and is not a directory",
    );
    // A directory cannot be made under a file (as root too, unlike a
    // directory without write permission).
    let under_file = file.join("results");
    refused_at_once(
        &[OsStr::new("--out"), under_file.as_os_str()],
        "cannot create the directory",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(target_os = "linux")]
#[test]
fn an_out_directory_that_takes_no_files_is_refused_before_any_work() {
    // /proc exists and is a directory, but takes no new files, root's
    // neither.
    refused_at_once(
        &["--out", "/proc"],
        "--out /proc: cannot write a file there",
    );
}

#[test]
fn samples_beyond_one_calls_limit_are_refused_before_any_work() {
    refused_at_once(
        &["--samples", "1e4,1e15"],
        "1000000000000000 samples exceeds the limit of 100000000000000 per call",
    );
}

#[test]
fn absurd_repeats_are_refused_before_allocating() {
    refused_at_once(
        &["--repeat", "1000000000000"],
        "more than the 1000000 repeats a row takes",
    );
}

#[test]
fn cuda_by_name_without_a_device_is_refused_before_any_work() {
    let probe = bench(&["--cuda-available"]);
    if probe.status.success() {
        eprintln!("skipped: this machine has a CUDA device, so --backend cuda is valid here");
        return;
    }
    refused_at_once(&["--backend", "serial,cuda"], "error: --backend cuda: ");
}

#[cfg(unix)]
#[test]
fn arguments_that_are_not_utf8_do_not_panic() {
    use std::os::unix::ffi::OsStrExt as _;
    refused_at_once(
        &[OsStr::new("--size"), OsStr::from_bytes(b"2x2x\xff")],
        "the argument '2x2x\u{fffd}' is not valid UTF-8",
    );
    // --out takes a path of any bytes: here it reaches the directory check.
    let dir = scratch("bytes");
    let file = dir.join("a-file");
    std::fs::write(&file, "").unwrap();
    let mut under_file = file.into_os_string();
    under_file.push(OsStr::from_bytes(b"/res-\xff"));
    refused_at_once(
        &[OsStr::new("--out"), &under_file],
        "cannot create the directory",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn results_go_to_an_out_path_that_is_not_utf8() {
    use std::os::unix::ffi::OsStrExt as _;
    let dir = scratch("bytes-run");
    let mut out_dir = dir.clone().into_os_string();
    out_dir.push(OsStr::from_bytes(b"/res-\xff"));
    let out = Command::new(env!("CARGO_BIN_EXE_hotloop-bench"))
        .args([
            "--workload",
            "pi",
            "--backend",
            "serial",
            "--samples",
            "1000",
        ])
        .args(["--repeat", "1", "--no-python", "--out"])
        .arg(&out_dir)
        .output()
        .expect("run hotloop-bench");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        std::path::Path::new(&out_dir)
            .join("results.json")
            .is_file()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
