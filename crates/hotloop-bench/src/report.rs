//! The table on the terminal and the files left behind.

use crate::machine::Machine;
use crate::row::{Check, Row, fmt_time};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

const COLUMNS: usize = 13;

/// Everything one run produced.
#[derive(Serialize)]
pub struct Report {
    /// Version of the results schema.
    pub schema: u32,
    /// The machine.
    pub machine: Machine,
    /// Memory bandwidth from the stream-copy row, GB/s.
    pub copy_bandwidth_gb_s: Option<f64>,
    /// GPU memory bandwidth from the device-to-device copy row, GB/s: what
    /// the GPU rows' share of copy bandwidth is of.
    pub device_copy_bandwidth_gb_s: Option<f64>,
    /// Every row.
    pub rows: Vec<Row>,
    /// The speed targets this run's rows can be checked against.
    pub targets: Vec<crate::targets::Target>,
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
        let targets = crate::targets::evaluate(&rows);
        Report {
            // 2: adds device_copy_bandwidth_gb_s.
            schema: 2,
            machine,
            copy_bandwidth_gb_s,
            device_copy_bandwidth_gb_s,
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
            (_, Some(s)) => format!("{:.3e} /s", s),
            _ => String::new(),
        };
        // A GPU row's share is of the device's copy, a CPU row's of the host's.
        let reference = if row.gpu.is_some() {
            self.device_copy_bandwidth_gb_s
        } else {
            self.copy_bandwidth_gb_s
        };
        let roof = match (row.gb_per_s(), reference) {
            (Some(g), Some(bw)) => format!("{:.0}%", 100.0 * g / bw),
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
    "% of copy BW",
    "speedup",
    "ok",
    "note",
];

/// Columns added when a GPU row is present: its copies and whole call (the
/// kernel alone is the row's median).
const GPU_HEADER: [&str; 3] = ["H2D copy", "D2H copy", "GPU call total"];

impl Report {
    /// The table as aligned text for a terminal.
    pub fn text_table(&self) -> String {
        let header = self.header();
        let rows: Vec<Vec<String>> = self.rows.iter().map(|r| self.cells(r)).collect();
        let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
        for r in &rows {
            for (w, c) in width.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        let mut out = String::new();
        let line = |cells: &[String], out: &mut String| {
            for (i, (c, w)) in cells.iter().zip(&width).enumerate() {
                let pad = w - c.chars().count();
                // Text left, numbers right.
                if i < 3 {
                    let _ = write!(out, "{c}{}  ", " ".repeat(pad));
                } else {
                    let _ = write!(out, "{}{c}  ", " ".repeat(pad));
                }
            }
            out.truncate(out.trim_end().len());
            out.push('\n');
        };
        line(
            &header.iter().map(|h| h.to_string()).collect::<Vec<_>>(),
            &mut out,
        );
        let mut last = "";
        for (r, cells) in self.rows.iter().zip(&rows) {
            if r.workload != last && !last.is_empty() {
                out.push('\n');
            }
            last = &r.workload;
            line(cells, &mut out);
        }
        out.push('\n');
        for (i, n) in self.notes().iter().enumerate() {
            let _ = writeln!(out, "[{}] {n}", i + 1);
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
        }
        out
    }

    /// The rows as CSV, one line per row, times in seconds.
    pub fn csv(&self) -> String {
        let mut out = String::from(
            "workload,backend,form,median_s,min_s,max_s,first_call_s,compile_s,bytes,samples,gb_per_s,samples_per_s,speedup,check,note\n",
        );
        let opt = |v: Option<f64>| v.map(|v| format!("{v:e}")).unwrap_or_default();
        for r in &self.rows {
            let _ = writeln!(
                out,
                "{},{},{},{:e},{:e},{:e},{},{},{},{},{},{},{},{},{}",
                csv_field(&r.workload),
                csv_field(&r.backend),
                csv_field(&r.form),
                r.timings.median(),
                r.timings.min(),
                r.timings.max(),
                opt(r.timings.first_call_s),
                opt(r.compile_s),
                r.bytes.map(|b| b.to_string()).unwrap_or_default(),
                r.samples.map(|s| s.to_string()).unwrap_or_default(),
                opt(r.gb_per_s()),
                opt(r.samples_per_s()),
                opt(self.speedup(r)),
                match &r.check {
                    Check::NotRun => "not_run",
                    Check::Passed => "passed",
                    Check::Failed(_) => "failed",
                },
                csv_field(r.note.as_deref().unwrap_or_default()),
            );
        }
        out
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

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
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
        assert!(r.text_table().contains("✓"));
    }

    #[test]
    fn an_unchecked_row_says_so_and_fails_nothing() {
        let r = Report::new(
            machine(),
            vec![row("w", "reference", 1.0, true, Check::NotRun)],
        );
        assert!(!r.any_failed());
        assert!(r.text_table().contains("–"));
        assert!(r.csv().lines().nth(1).unwrap().ends_with(",not_run,a note"));
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
        assert!(r.text_table().contains("✗"));
        assert!(r.csv().lines().nth(1).unwrap().ends_with(",failed,a note"));
    }

    #[test]
    fn gpu_rows_add_copy_columns() {
        let plain = Report::new(machine(), vec![row("w", "f", 1.0, true, Check::Passed)]);
        assert!(!plain.text_table().contains("H2D copy"));
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
        let table = r.text_table();
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
    fn json_has_the_documented_shape() {
        let r = Report::new(machine(), vec![row("w", "f", 1.0, true, Check::Passed)]);
        let v: serde_json::Value = serde_json::to_value(&r).unwrap();
        assert_eq!(v["schema"], 2);
        assert_eq!(v["machine"]["cores"], 2);
        assert_eq!(v["rows"][0]["timings"]["repeats_s"][0], 1.0);
        assert_eq!(v["rows"][0]["check"]["status"], "passed");
    }
}
