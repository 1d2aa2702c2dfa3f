//! The suite as a user runs it: exit codes, messages and the files it
//! leaves behind.

use std::process::Command;

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
    let out = bench(&["--workload", "matmul"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("invalid value 'matmul' for '--workload")
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
