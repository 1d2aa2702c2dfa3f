//! The table on the terminal and the files left behind.
//!
//! The terminal gets a table fitted to its width (`comfy-table`): the least
//! important columns are left out first, then the text columns wrap; the
//! full table is always in `table.md` and `results.csv`.
//!
//! `results.json` (schema version 2) holds one [`Report`]:
//!
//! - `schema_version`: 2; raised whenever a field changes meaning or goes.
//! - `machine`: `cpu`, `cores`, `memory_bytes`, `os`, `rustc`, `gpu`
//!   (`{"present": {name, compute_capability, memory_bytes,
//!   driver_cuda_version, ptx_arch}}` or `{"unavailable": why}`), `python`
//!   (the Python rows' interpreter and packages, or null).
//! - `copy_bandwidth_gb_s`, `device_copy_bandwidth_gb_s`: the host's and the
//!   GPU's measured copy bandwidth (read + write, 10^9 bytes/s), or null.
//! - `read_bandwidth_gb_s`: the host's measured read-only bandwidth (the
//!   reductions' reference), or null.
//! - `rows[]`: `id` (stable across label changes), `workload`, `backend`,
//!   `form`, `timings` (`first_call_s`, `repeats_s[]`, seconds), `bytes`
//!   moved per call or `samples` per call, `baseline`, `check`
//!   (`{"status": "passed" | "not_run"}` or `{"status": "failed", "detail":
//!   why}`), `compile_s`, `gpu` (`host_to_device_s`, `kernel_s`,
//!   `device_to_host_s`, `total_s`, `module_load_s`) and `note`.
//! - `targets[]`: `name`, `measured`, `goal`, `at_most`, `met`, `unit`
//!   (`"ratio"` or `"per_second"`), `too_small` (why this run's sizes
//!   cannot judge the target, or null) and `bound` (a bound measured in the
//!   same run that explains a miss, or null).
//!
//! `results.csv` has one line per row, the columns of [`CsvRow`], numbers
//! in plain decimal (seconds, bytes, GB/s, samples/s).

use crate::machine::Machine;
use crate::row::{Check, Row, fmt_time};
use comfy_table::{
    CellAlignment, ColumnConstraint, ContentArrangement, LineStyle, Table, TableStyle,
};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// The version of `results.json`'s layout.
pub const SCHEMA_VERSION: u32 = 2;

const COLUMNS: usize = 13;

/// Everything one run produced.
#[derive(Serialize)]
pub struct Report {
    /// Version of the results schema ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The machine.
    pub machine: Machine,
    /// Memory bandwidth from the stream-copy row, GB/s.
    pub copy_bandwidth_gb_s: Option<f64>,
    /// GPU memory bandwidth from the device-to-device copy row, GB/s: what
    /// the GPU rows' share of copy bandwidth is of.
    pub device_copy_bandwidth_gb_s: Option<f64>,
    /// Read-only bandwidth from the parallel read-pass row, GB/s: what the
    /// reductions' share is of (they write nothing).
    pub read_bandwidth_gb_s: Option<f64>,
    /// Every row.
    pub rows: Vec<Row>,
    /// The speed targets this run's rows can be checked against.
    pub targets: Vec<crate::targets::Target>,
    /// The L2 cache's size: a CPU row whose bytes fit in it is not
    /// bandwidth-bound, whatever its share of the copy says.
    #[serde(skip)]
    pub l2_bytes: Option<u64>,
}

impl Report {
    /// Builds the report; the bandwidth comes from the stream-copy row.
    /// Rows are grouped by workload, in the order workloads first appear.
    pub fn new(machine: Machine, mut rows: Vec<Row>) -> Self {
        let mut order: Vec<String> = Vec::new();
        for r in &rows {
            if !order.contains(&r.workload) {
                order.push(r.workload.clone());
            }
        }
        rows.sort_by_key(|r| order.iter().position(|w| *w == r.workload));
        let copy_bandwidth_gb_s = rows
            .iter()
            .find(|r| r.id == crate::workloads::add::STREAM_COPY)
            .and_then(Row::gb_per_s);
        let device_copy_bandwidth_gb_s = rows
            .iter()
            .find(|r| r.id == crate::workloads::add::DEVICE_COPY)
            .and_then(Row::gb_per_s);
        let read_bandwidth_gb_s = rows
            .iter()
            .find(|r| r.id == crate::workloads::reduce::READ_PARALLEL)
            .and_then(Row::gb_per_s);
        let mut targets = crate::workloads::targets(&rows);
        targets.extend(crate::mpi::targets(&rows));
        let l2_bytes = crate::sweep::caches()
            .into_iter()
            .find(|(name, _)| name == "L2")
            .map(|(_, b)| b);
        Report {
            schema_version: SCHEMA_VERSION,
            l2_bytes,
            machine,
            copy_bandwidth_gb_s,
            device_copy_bandwidth_gb_s,
            read_bandwidth_gb_s,
            rows,
            targets,
        }
    }

    /// Whether any row's answer was wrong.
    pub fn any_failed(&self) -> bool {
        self.rows
            .iter()
            .any(|r| matches!(r.check, Check::Failed(_)))
    }

    /// Speedup of a row over its workload's baseline row.
    fn speedup(&self, row: &Row) -> Option<f64> {
        let base = self
            .rows
            .iter()
            .find(|r| r.baseline && r.workload == row.workload)?;
        Some(base.timings.median() / row.timings.median())
    }

    /// The distinct notes, numbered from 1 in row order.
    fn notes(&self) -> Vec<&str> {
        let mut notes: Vec<&str> = Vec::new();
        for n in self.rows.iter().filter_map(|r| r.note.as_deref()) {
            if !notes.contains(&n) {
                notes.push(n);
            }
        }
        notes
    }

    /// Whether any row ran on a GPU (then the copy columns are shown).
    fn has_gpu(&self) -> bool {
        self.rows.iter().any(|r| r.gpu.is_some())
    }

    fn header(&self) -> Vec<&'static str> {
        let mut h = BASE_HEADER.to_vec();
        if self.has_gpu() {
            // After "first call" and "compile".
            h.splice(8..8, GPU_HEADER);
        }
        h
    }

    fn cells(&self, row: &Row) -> Vec<String> {
        let mut c = self.base_cells(row).to_vec();
        if self.has_gpu() {
            let g = row.gpu;
            let f = |v: Option<f64>| v.map(fmt_time).unwrap_or_default();
            c.splice(
                8..8,
                [
                    f(g.map(|g| g.host_to_device_s)),
                    f(g.map(|g| g.device_to_host_s)),
                    f(g.map(|g| g.total_s)),
                ],
            );
        }
        c
    }

    fn base_cells(&self, row: &Row) -> [String; COLUMNS] {
        let rate = match (row.gb_per_s(), row.samples_per_s()) {
            (Some(g), _) => format!("{g:.1} GB/s"),
            (_, Some(s)) => format!("{s:.2e} /s"),
            _ => String::new(),
        };
        // A GPU row's share is of the device's copy; a CPU reduction's
        // (which writes nothing) of the host's read-only pass; any other
        // CPU row's of the host's copy.
        let reference = if row.gpu.is_some() {
            self.device_copy_bandwidth_gb_s
        } else if crate::workloads::reduce::reads_only(row) {
            self.read_bandwidth_gb_s
        } else {
            self.copy_bandwidth_gb_s
        };
        let roof = match (row.gb_per_s(), reference) {
            (Some(g), Some(bw)) if self.bandwidth_bound(row, g / bw) => {
                format!("{:.0}%", 100.0 * g / bw)
            }
            (Some(_), Some(_)) => NOT_BANDWIDTH_BOUND.to_string(),
            _ => String::new(),
        };
        [
            row.workload.clone(),
            row.backend.clone(),
            row.form.clone(),
            fmt_time(row.timings.median()),
            fmt_time(row.timings.min()),
            fmt_time(row.timings.max()),
            row.timings.first_call_s.map(fmt_time).unwrap_or_default(),
            row.compile_s.map(fmt_time).unwrap_or_default(),
            rate,
            roof,
            self.speedup(row)
                .map(|s| format!("{s:.2}x"))
                .unwrap_or_default(),
            row.check.mark().to_string(),
            row.note
                .as_deref()
                .and_then(|n| self.notes().iter().position(|m| *m == n))
                .map(|i| format!("[{}]", i + 1))
                .unwrap_or_default(),
        ]
    }
}

/// The "% of BW limit" of a row that is not limited by memory bandwidth.
pub const NOT_BANDWIDTH_BOUND: &str = "not bandwidth-bound";

/// A share of the copy above this is no bandwidth figure: the row ran in
/// cache, or its size is too small for the copy to be a reference.
const MAX_SHARE: f64 = 1.10;

impl Report {
    /// Whether a row moving its bytes at `share` of the copy bandwidth is
    /// limited by that bandwidth: not when its bytes fit in the L2 cache (a
    /// CPU row), nor when it beats the copy by more than 10%.
    fn bandwidth_bound(&self, row: &Row, share: f64) -> bool {
        let in_l2 = row.gpu.is_none()
            && matches!((row.bytes, self.l2_bytes), (Some(b), Some(l2)) if b <= l2);
        !in_l2 && share <= MAX_SHARE
    }
}

/// Columns of every table.
const BASE_HEADER: [&str; COLUMNS] = [
    "workload",
    "backend",
    "form",
    "median",
    "min",
    "max",
    "first call",
    "compile",
    "throughput",
    "% of BW limit",
    "speedup",
    "ok",
    "note",
];

/// Columns added when a GPU row is present: its copies and whole call (the
/// kernel alone is the row's median).
const GPU_HEADER: [&str; 3] = ["H2D copy", "D2H copy", "GPU call total"];

/// Columns the terminal table leaves out first when it must, least
/// important first; what remains wraps.
const DROP_ORDER: [&str; 11] = [
    "compile",
    "min",
    "max",
    "D2H copy",
    "H2D copy",
    "first call",
    "GPU call total",
    "note",
    "% of BW limit",
    "throughput",
    "speedup",
];

/// Columns numbers are in, aligned right.
const TEXT_COLUMNS: usize = 3;

impl Report {
    /// The table for a terminal `width` columns wide (`None`: as wide as it
    /// needs), the notes below it wrapped to the same width.
    pub fn text_table(&self, width: Option<usize>) -> String {
        let header = self.header();
        let mut table = Table::new();
        // No borders: a rule under the header, two spaces between columns.
        table
            .load_style(
                TableStyle::new().header_separator(LineStyle::none().fill('─').junction('─')),
            )
            .set_content_arrangement(ContentArrangement::Disabled)
            .set_header(header.iter().copied());
        let mut last = "";
        for r in &self.rows {
            let mut cells = self.cells(r);
            if r.workload == last {
                // The workload once per group.
                cells[0].clear();
            } else if !last.is_empty() {
                table.add_row(vec![String::new(); header.len()]);
            }
            last = &r.workload;
            table.add_row(cells);
        }
        for (i, column) in table.column_iter_mut().enumerate() {
            if i >= TEXT_COLUMNS && header[i] != "note" {
                column.set_cell_alignment(CellAlignment::Right);
            }
        }
        let mut dropped = Vec::new();
        if let Some(width) = width {
            // Text columns wrap down to these widths before a number goes.
            let caps: [usize; TEXT_COLUMNS] = [18, 12, 20];
            let fits = |table: &Table| {
                let contents = table.column_max_content_widths();
                let shrink: usize = table
                    .column_iter()
                    .zip(&contents)
                    .take(TEXT_COLUMNS)
                    .zip(&caps)
                    .filter(|((c, _), _)| !c.is_hidden())
                    .map(|((_, &w), &cap)| (w as usize).saturating_sub(cap))
                    .sum();
                rendered_width(table).saturating_sub(shrink) <= width
            };
            for name in DROP_ORDER {
                if fits(&table) {
                    break;
                }
                if let Some(i) = header.iter().position(|h| *h == name) {
                    table
                        .column_mut(i)
                        .expect("a column per header")
                        .set_constraint(ColumnConstraint::Hidden);
                    dropped.push(name);
                }
            }
            if rendered_width(&table) > width {
                table
                    .set_content_arrangement(ContentArrangement::Dynamic)
                    .set_width(width.min(u16::MAX as usize) as u16);
            }
        }
        let mut out = String::new();
        for line in table.lines() {
            let _ = writeln!(out, "{}", line.trim_end());
        }
        if !dropped.is_empty() {
            out.push_str(&wrap(
                &format!(
                    "(left out to fit {} columns: {}; every column is in table.md and results.csv)",
                    width.unwrap_or_default(),
                    dropped.join(", ")
                ),
                width,
                "",
            ));
        }
        out.push('\n');
        for (i, n) in self.notes().iter().enumerate() {
            out.push_str(&wrap(n, width, &format!("[{}] ", i + 1)));
        }
        out
    }

    /// The table in Markdown, ready for the README.
    pub fn markdown(&self) -> String {
        let mut out = format!("Machine: {}\n\n", self.machine.summary());
        if let Some(bw) = self.copy_bandwidth_gb_s {
            let _ = writeln!(
                out,
                "Copy bandwidth (STREAM-style, read + write): {bw:.1} GB/s\n"
            );
        }
        let header = self.header();
        let _ = writeln!(out, "| {} |", header.join(" | "));
        let _ = writeln!(out, "|{}", "---|".repeat(header.len()));
        for r in &self.rows {
            let _ = writeln!(out, "| {} |", self.cells(r).join(" | "));
        }
        out.push('\n');
        for (i, n) in self.notes().iter().enumerate() {
            let _ = writeln!(out, "{}. {n}", i + 1);
        }
        if !self.targets.is_empty() {
            out.push_str("\nTargets, each a ratio of two rows of this run:\n\n");
            for t in &self.targets {
                let _ = writeln!(out, "- {}", t.line());
            }
            if let Some(line) = crate::targets::missed_summary(&self.targets) {
                let _ = writeln!(out, "\n{line}");
            }
        }
        out
    }

    /// The rows as CSV, one line per row (the fields of [`CsvRow`]).
    pub fn csv(&self) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        for r in &self.rows {
            w.serialize(CsvRow {
                workload: &r.workload,
                backend: &r.backend,
                form: &r.form,
                median_s: Plain(Some(r.timings.median())),
                min_s: Plain(Some(r.timings.min())),
                max_s: Plain(Some(r.timings.max())),
                first_call_s: Plain(r.timings.first_call_s),
                compile_s: Plain(r.compile_s),
                bytes: r.bytes,
                samples: r.samples,
                gb_per_s: Plain(r.gb_per_s()),
                samples_per_s: Plain(r.samples_per_s()),
                speedup: Plain(self.speedup(r)),
                check: match &r.check {
                    Check::NotRun => "not_run",
                    Check::Passed => "passed",
                    Check::Failed(_) => "failed",
                },
                note: r.note.as_deref().unwrap_or_default(),
            })
            .expect("writing CSV into memory");
        }
        String::from_utf8(w.into_inner().expect("writing CSV into memory"))
            .expect("CSV of UTF-8 fields")
    }

    /// Writes results.json, results.csv, table.md and chart.svg into `dir`.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let json = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(dir.join("results.json"), json)?;
        std::fs::write(dir.join("results.csv"), self.csv())?;
        std::fs::write(dir.join("table.md"), self.markdown())?;
        std::fs::write(
            dir.join("chart.svg"),
            crate::chart::svg(&self.rows, &self.machine.summary()),
        )?;
        Ok(())
    }
}

/// One line of `results.csv`.
#[derive(Serialize)]
pub struct CsvRow<'a> {
    /// Workload and size.
    pub workload: &'a str,
    /// Backend.
    pub backend: &'a str,
    /// Loop form or variant.
    pub form: &'a str,
    /// Median of the repeats, seconds.
    pub median_s: Plain,
    /// Fastest repeat, seconds.
    pub min_s: Plain,
    /// Slowest repeat, seconds.
    pub max_s: Plain,
    /// The first call, seconds.
    pub first_call_s: Plain,
    /// Compile time inside the first call, seconds.
    pub compile_s: Plain,
    /// Bytes a call moves.
    pub bytes: Option<u64>,
    /// Samples per call.
    pub samples: Option<u64>,
    /// Throughput of the median call, 10^9 bytes/s.
    pub gb_per_s: Plain,
    /// Samples per second of the median call.
    pub samples_per_s: Plain,
    /// Speedup over the workload's baseline.
    pub speedup: Plain,
    /// `passed`, `failed` or `not_run`.
    pub check: &'static str,
    /// The row's note.
    pub note: &'a str,
}

/// A number written in plain decimal (`0.00000015`, never `1.5e-7`), or an
/// empty field; not-a-number and infinities stay empty too.
pub struct Plain(pub Option<f64>);

impl Serialize for Plain {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            // Rust's Display of f64 is the shortest decimal that reads back
            // as the same number, without an exponent.
            Some(v) if v.is_finite() => s.collect_str(&v),
            _ => s.serialize_str(""),
        }
    }
}

/// `text` wrapped at word boundaries to `width` (none: one line), the first
/// line led by `lead`, the others indented as far.
pub fn wrap(text: &str, width: Option<usize>, lead: &str) -> String {
    let indent = " ".repeat(lead.chars().count());
    let width = width.unwrap_or(usize::MAX).max(indent.len() + 20);
    let mut out = String::new();
    let mut line = lead.to_string();
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.chars().count() > width {
            out.push_str(&line);
            out.push('\n');
            line = indent.clone();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// The widest line of `table` as rendered now, in terminal columns.
fn rendered_width(table: &Table) -> usize {
    table
        .lines()
        .map(|l| unicode_width(l.trim_end()))
        .max()
        .unwrap_or(0)
}

/// Terminal columns of `s`: the table's text is one column a character
/// (µ, ✓, ✗, –, ─ included).
fn unicode_width(s: &str) -> usize {
    s.chars().count()
}

/// The width of the terminal stdout is, if it is one (`$COLUMNS` when set
/// wins); `None` in a pipe or a file, which get the full table.
pub fn terminal_width() -> Option<usize> {
    use std::io::IsTerminal as _;
    if let Some(c) = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()) {
        return Some(c);
    }
    if !std::io::stdout().is_terminal() {
        return None;
    }
    terminal_size::terminal_size_of(std::io::stdout()).map(|(w, _)| w.0 as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::Timings;

    fn row(workload: &str, form: &str, secs: f64, baseline: bool, check: Check) -> Row {
        // The bandwidth references are found by their ids.
        let id = match form {
            "stream copy" => crate::workloads::add::STREAM_COPY.to_string(),
            crate::workloads::add::DEVICE_COPY_FORM => {
                crate::workloads::add::DEVICE_COPY.to_string()
            }
            _ => crate::row::row_id(&[workload, form]),
        };
        Row {
            id,
            workload: workload.into(),
            backend: "serial".into(),
            form: form.into(),
            timings: Timings {
                first_call_s: Some(secs * 2.0),
                repeats_s: vec![secs],
                rounds: None,
            },
            bytes: Some(2_000_000_000),
            samples: None,
            baseline,
            check,
            compile_s: None,
            gpu: None,
            note: Some("a note".into()),
        }
    }

    fn machine() -> Machine {
        Machine {
            cpu: "test cpu".into(),
            cores: 2,
            memory_bytes: Some(1 << 30),
            os: "linux x86_64".into(),
            rustc: "rustc".into(),
            gpu: crate::machine::Gpu::Unavailable("test".into()),
            python: None,
            workers: "2 workers".into(),
        }
    }

    #[test]
    fn speedup_and_roofline_come_from_the_right_rows() {
        let r = Report::new(
            machine(),
            vec![
                row("w", "base", 4.0, true, Check::Passed),
                row("w", "fast", 1.0, false, Check::Passed),
                row("w", "stream copy", 0.5, false, Check::Passed),
            ],
        );
        assert_eq!(r.copy_bandwidth_gb_s, Some(4.0));
        assert_eq!(r.speedup(&r.rows[1]), Some(4.0));
        let cells = r.cells(&r.rows[1]);
        assert_eq!(cells[8], "2.0 GB/s");
        assert_eq!(cells[9], "50%");
        assert_eq!(cells[12], "[1]");
        assert!(!r.any_failed());
        assert!(r.text_table(None).contains("✓"));
    }

    #[test]
    fn an_unchecked_row_says_so_and_fails_nothing() {
        let r = Report::new(
            machine(),
            vec![row("w", "reference", 1.0, true, Check::NotRun)],
        );
        assert!(!r.any_failed());
        assert!(r.text_table(None).contains("–"));
        assert!(
            r.csv().lines().nth(1).unwrap().ends_with(",not_run,a note"),
            "{}",
            r.csv()
        );
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["rows"][0]["check"]["status"], "not_run");
    }

    #[test]
    fn a_wrong_row_fails_the_report_and_shows_a_cross() {
        let r = Report::new(
            machine(),
            vec![row("w", "bad", 1.0, true, Check::Failed("no".into()))],
        );
        assert!(r.any_failed());
        assert!(r.text_table(None).contains("✗"));
        assert!(r.csv().lines().nth(1).unwrap().ends_with(",failed,a note"));
    }

    #[test]
    fn gpu_rows_add_copy_columns() {
        let plain = Report::new(machine(), vec![row("w", "f", 1.0, true, Check::Passed)]);
        assert!(!plain.text_table(None).contains("H2D copy"));
        let mut gpu_row = row("w", "kernel", 0.5, false, Check::Passed);
        gpu_row.gpu = Some(crate::row::GpuBreakdown {
            host_to_device_s: 0.25,
            kernel_s: 0.5,
            device_to_host_s: 0.125,
            total_s: 1.0,
            module_load_s: 0.01,
        });
        let r = Report::new(
            machine(),
            vec![row("w", "f", 1.0, true, Check::Passed), gpu_row],
        );
        let table = r.text_table(None);
        assert!(
            table.contains("H2D copy") && table.contains("GPU call total"),
            "{table}"
        );
        let cells = r.cells(&r.rows[1]);
        assert_eq!(cells.len(), COLUMNS + GPU_HEADER.len());
        assert_eq!(cells[8..11], ["250.00 ms", "125.00 ms", "1.00 s"]);
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["rows"][1]["gpu"]["kernel_s"], 0.5);
    }

    #[test]
    fn gpu_rows_take_their_share_of_the_device_copy_not_the_host_copy() {
        let gpu = |form: &str, secs: f64| {
            let mut r = row("w", form, secs, false, Check::Passed);
            r.gpu = Some(crate::row::GpuBreakdown::default());
            r
        };
        let r = Report::new(
            machine(),
            vec![
                row("w", "stream copy", 0.5, true, Check::Passed),
                row("w", "cpu kernel", 1.0, false, Check::Passed),
                gpu("kernel", 0.002),
                gpu(crate::workloads::add::DEVICE_COPY_FORM, 0.001),
            ],
        );
        assert_eq!(r.copy_bandwidth_gb_s, Some(4.0));
        assert_eq!(r.device_copy_bandwidth_gb_s, Some(2000.0));
        // The share of copy bandwidth: cell 9, after the three GPU columns 12.
        assert_eq!(r.cells(&r.rows[1])[12], "50%");
        assert_eq!(r.cells(&r.rows[2])[12], "50%");
        assert_eq!(r.cells(&r.rows[3])[12], "100%");
    }

    #[test]
    fn rows_within_the_cache_or_beyond_the_copy_are_not_bandwidth_bound() {
        let mut tiny = row("w", "tiny", 1e-7, false, Check::Passed);
        tiny.bytes = Some(16);
        let mut fast = row("w", "in L3", 0.1, false, Check::Passed);
        fast.bytes = Some(64 << 20);
        let mut r = Report::new(
            machine(),
            vec![
                row("w", "stream copy", 0.5, true, Check::Passed),
                tiny,
                fast,
                row("w", "at the copy", 0.52, false, Check::Passed),
            ],
        );
        r.l2_bytes = Some(1 << 20);
        // 16 bytes in 0.1 µs is 160 GB/s, 4000% of the copy: in L2.
        assert_eq!(r.cells(&r.rows[1])[9], NOT_BANDWIDTH_BOUND);
        // Out of L2, but 0.67 GB/s of 64 MiB... is below; make it beat the copy.
        assert_eq!(r.cells(&r.rows[2])[9], "17%");
        r.rows[2].timings.repeats_s = vec![0.01];
        assert_eq!(r.cells(&r.rows[2])[9], NOT_BANDWIDTH_BOUND);
        assert_eq!(r.cells(&r.rows[3])[9], "96%");
        assert!(!r.text_table(None).contains("4000%"));
    }

    #[test]
    fn the_terminal_table_fits_its_width_dropping_the_least_important_columns_first() {
        let rows = vec![
            row(
                "add_scalar f64 1024x1024x512",
                "blog-order",
                4.0,
                true,
                Check::Passed,
            ),
            row(
                "add_scalar f64 1024x1024x512",
                "vectorized, streaming stores",
                1.0,
                false,
                Check::Passed,
            ),
            row("sum f64 1024x1024x512", "tree", 0.5, true, Check::Passed),
        ];
        let r = Report::new(machine(), rows);
        let full = r.text_table(None);
        let widest = |t: &str| t.lines().map(|l| l.chars().count()).max().unwrap();
        assert!(widest(&full) > 100, "{full}");
        assert!(!full.contains("left out"), "{full}");
        for width in [100, 80, 60] {
            let t = r.text_table(Some(width));
            assert!(widest(&t) <= width, "{width}:\n{t}");
            // The figures a reader came for stay.
            for keep in ["workload", "median", "ok", "blog-order", "4.00 s", "✓"] {
                assert!(t.contains(keep), "{width} lost {keep}:\n{t}");
            }
            let words = t.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(
                words.contains("every column is in table.md and results.csv"),
                "{t}"
            );
        }
        // Compile goes before min, min before the speedup.
        let t = r.text_table(Some(100));
        let header = t.lines().next().unwrap();
        assert!(
            !header.contains("compile") && header.contains("speedup"),
            "{t}"
        );
        // A group's workload is named once.
        assert_eq!(
            full.matches("add_scalar f64 1024x1024x512").count(),
            1,
            "{full}"
        );
    }

    #[test]
    fn csv_is_quoted_by_a_real_writer_with_plain_decimals() {
        let mut tiny = row("w, \"quoted\"", "f", 1.5e-7, true, Check::Passed);
        tiny.samples = Some(10_000_000_000);
        tiny.bytes = None;
        tiny.note = Some("a note, with a comma".into());
        let r = Report::new(machine(), vec![tiny]);
        let csv = r.csv();
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let header = reader.headers().unwrap().clone();
        assert_eq!(&header[0], "workload");
        assert_eq!(&header[3], "median_s");
        let rec = reader.records().next().unwrap().unwrap();
        assert_eq!(&rec[0], "w, \"quoted\"");
        assert_eq!(&rec[3], "0.00000015");
        assert_eq!(&rec[6], "0.0000003");
        assert_eq!(&rec[9], "10000000000");
        assert_eq!(&rec[11], "66666666666666670");
        assert_eq!(&rec[14], "a note, with a comma");
        assert!(!csv.contains("e-") && !csv.contains("e1"), "{csv}");
    }

    #[test]
    fn json_has_the_documented_shape() {
        let r = Report::new(machine(), vec![row("w", "f", 1.0, true, Check::Passed)]);
        let v: serde_json::Value = serde_json::to_value(&r).unwrap();
        assert_eq!(v["schema_version"], 2);
        assert_eq!(v["machine"]["cores"], 2);
        assert_eq!(v["rows"][0]["timings"]["repeats_s"][0], 1.0);
        assert_eq!(v["rows"][0]["check"]["status"], "passed");
    }
}
