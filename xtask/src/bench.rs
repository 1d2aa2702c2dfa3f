//! `cargo xtask bench`: builds the suite (`crates/hotloop-bench`) in release
//! mode and runs it, leaving its results under
//! `target/hotloop-bench/<UTC timestamp>/` unless the user's `--out` names
//! another directory.
//!
//! The suite is its own crate so that xtask stays free of the project's
//! dependencies; this task only builds, runs and files the results.

use crate::Failure;
use crate::process::{self, Echo};
use std::ffi::OsString;
use std::path::Path;
use std::process::ExitStatus;
use std::time::{SystemTime, UNIX_EPOCH};

/// Environment variable through which the suite learns the command the user
/// typed, to quote it back (with `--setup-python` added) when the Python
/// rows are missing.
const COMMAND_ENV: &str = "HOTLOOP_BENCH_COMMAND";

/// Environment variable naming the MPI rows' worker for `--ranks`
/// (`hotloop-bench`'s `mpi::WORKER_ENV`).
const MPI_WORKER_ENV: &str = "HOTLOOP_MPI_ROWS";

/// The suite's exit status for a bad argument (clap's), after its one line
/// saying what is wrong.
const SUITE_USAGE_ERROR: i32 = 2;

pub fn run(args: &[String]) -> Result<(), Failure> {
    let cwd = std::env::current_dir().map_err(|e| format!("the current directory: {e}"))?;
    let mut cmd = process::cargo();
    cmd.args(["run", "--quiet", "--release", "-p", "hotloop-bench", "--"])
        .args(with_absolute_out(args, &cwd))
        .env(COMMAND_ENV, typed_command(args));
    if wants_ranks(args) {
        // The MPI rows run hotloop-mpi's worker under mpirun: MPI first
        // (installed where missing, as for the tests), then the worker.
        crate::mpi::ensure_mpi()?;
        process::run(process::cargo().args([
            "build",
            "--quiet",
            "--release",
            "-p",
            "hotloop-mpi",
            "--example",
            "bench_rows",
        ]))?;
        cmd.env(
            MPI_WORKER_ENV,
            process::workspace_root().join("target/release/examples/bench_rows"),
        );
    }
    if needs_default_out(args) {
        let dir = process::workspace_root()
            .join("target")
            .join("hotloop-bench")
            .join(utc_timestamp());
        cmd.arg("--out").arg(dir);
    }
    // The suite prints its own messages; its `cargo run` line is noise.
    let status = process::status_with(&mut cmd, Echo::No)?;
    outcome(status)
}

/// The task's outcome from the suite's exit status: a refused argument
/// stays a usage error (exit 2) with the suite's one line as the only
/// message; any other failure is the bench's.
fn outcome(status: ExitStatus) -> Result<(), Failure> {
    match status.code() {
        _ if status.success() => Ok(()),
        Some(SUITE_USAGE_ERROR) => Err(Failure::Usage),
        _ => Err(Failure::Message(format!(
            "the bench failed ({status}); its messages are above"
        ))),
    }
}

/// Whether the user asked for the MPI rows (`--ranks N`, `--ranks=N`),
/// and not only for the help.
fn wants_ranks(args: &[String]) -> bool {
    let help = args.iter().any(|a| a == "-h" || a == "--help");
    !help
        && args
            .iter()
            .any(|a| a == "--ranks" || a.starts_with("--ranks="))
}

/// Whether the suite should get xtask's timestamped `--out`: not when the
/// user gave one, nor for a request that writes nothing (`--help`,
/// `--cuda-available`, which takes no other option).
fn needs_default_out(args: &[String]) -> bool {
    !args.iter().any(|a| {
        a == "--out"
            || a.starts_with("--out=")
            || a == "-h"
            || a == "--help"
            || a == "--cuda-available"
    })
}

/// `args` with a relative `--out DIR` (or `--out=DIR`) made absolute
/// against `cwd`: the suite runs from the workspace root, the user typed
/// the path from where they stand.
fn with_absolute_out(args: &[String], cwd: &Path) -> Vec<OsString> {
    let mut out = Vec::with_capacity(args.len());
    let mut next_is_dir = false;
    for a in args {
        if next_is_dir {
            out.push(cwd.join(a).into_os_string());
            next_is_dir = false;
        } else if a == "--out" {
            out.push(a.into());
            next_is_dir = true;
        } else if let Some(dir) = a.strip_prefix("--out=") {
            let mut s = OsString::from("--out=");
            s.push(cwd.join(dir));
            out.push(s);
        } else {
            out.push(a.into());
        }
    }
    out
}

/// The command as the user typed it, quoted for a POSIX shell where needed.
fn typed_command(args: &[String]) -> String {
    let mut s = String::from("cargo xtask bench");
    for a in args {
        s.push(' ');
        if !a.is_empty()
            && a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_=.,/:+@%".contains(c))
        {
            s.push_str(a);
        } else {
            s.push('\'');
            s.push_str(&a.replace('\'', "'\\''"));
            s.push('\'');
        }
    }
    s
}

/// `YYYYMMDDTHHMMSSZ` for now, without a date library.
fn utc_timestamp() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn the_users_out_wins() {
        assert!(needs_default_out(&args("--quick --backend serial")));
        for given in [
            "--quick --out mine",
            "--out=mine",
            "--help",
            "-h",
            "--cuda-available",
        ] {
            assert!(!needs_default_out(&args(given)), "{given}");
        }
    }

    #[test]
    fn a_relative_out_is_taken_from_where_the_user_stands() {
        let cwd = Path::new("/home/u/proj/sub");
        let got = with_absolute_out(&args("--quick --out res --size 1x2x3 --out=/abs"), cwd);
        let got: Vec<_> = got
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            got,
            [
                "--quick",
                "--out",
                "/home/u/proj/sub/res",
                "--size",
                "1x2x3",
                "--out=/abs"
            ]
        );
    }

    #[test]
    fn the_typed_command_is_quoted_for_a_shell() {
        assert_eq!(
            typed_command(&args("--quick --backend serial,parallel")),
            "cargo xtask bench --quick --backend serial,parallel"
        );
        assert_eq!(
            typed_command(&["--out".into(), "my dir".into(), "it's".into()]),
            "cargo xtask bench --out 'my dir' 'it'\\''s'"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_refused_argument_stays_a_usage_error() {
        use std::os::unix::process::ExitStatusExt as _;
        // Wait statuses: the exit code in the second byte, a signal in the first.
        let exited = |code: i32| ExitStatus::from_raw(code << 8);
        assert_eq!(outcome(exited(0)), Ok(()));
        assert_eq!(outcome(exited(2)), Err(Failure::Usage));
        for status in [exited(1), exited(101), ExitStatus::from_raw(9)] {
            match outcome(status) {
                Err(Failure::Message(m)) => assert!(m.starts_with("the bench failed"), "{m}"),
                other => panic!("{status}: {other:?}"),
            }
        }
    }

    #[test]
    fn known_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_415), (2025, 11, 23));
    }
}
