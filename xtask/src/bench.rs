//! `cargo xtask bench`: builds the suite (`crates/hotloop-bench`) in release
//! mode and runs it, leaving its results under
//! `target/hotloop-bench/<UTC timestamp>/`.
//!
//! The suite is its own crate so that xtask stays free of the project's
//! dependencies; this task only builds, runs and files the results.

use crate::process;
use std::time::{SystemTime, UNIX_EPOCH};

pub fn run(args: &[String]) -> Result<(), String> {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        return process::run(process::cargo().args([
            "run",
            "--quiet",
            "--release",
            "-p",
            "hotloop-bench",
            "--",
            "--help",
        ]));
    }
    let dir = process::workspace_root()
        .join("target")
        .join("hotloop-bench")
        .join(utc_timestamp());
    let mut cmd = process::cargo();
    cmd.args(["run", "--quiet", "--release", "-p", "hotloop-bench", "--"])
        .args(args)
        .arg("--out")
        .arg(&dir);
    process::run(&mut cmd)
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
    use super::civil_from_days;

    #[test]
    fn known_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_415), (2025, 11, 23));
    }
}
