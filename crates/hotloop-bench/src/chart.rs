//! An SVG bar chart of the results: one bar per row, median time on a log
//! scale, grouped by workload, failed rows in red. Plain SVG, no scripts:
//! it opens in any browser.

use crate::row::{Check, Row, fmt_time};
use std::fmt::Write as _;

const LABEL_W: f64 = 520.0;
const PLOT_W: f64 = 560.0;
const BAR_H: f64 = 16.0;
const GAP: f64 = 4.0;
const HEAD_H: f64 = 26.0;

/// The chart as an SVG document.
pub fn svg(rows: &[Row], title: &str) -> String {
    let times: Vec<f64> = rows
        .iter()
        .map(|r| r.timings.median())
        .filter(|t| t.is_finite() && *t > 0.0)
        .collect();
    let lo = times
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min)
        .log10()
        .floor();
    let hi = times
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max)
        .log10()
        .ceil();
    let (lo, hi) = if lo.is_finite() && hi > lo {
        (lo, hi)
    } else {
        (-6.0, 1.0)
    };
    let x = |t: f64| LABEL_W + (t.log10() - lo) / (hi - lo) * PLOT_W;

    let groups = rows.iter().fold(Vec::<&str>::new(), |mut g, r| {
        if g.last() != Some(&r.workload.as_str()) {
            g.push(&r.workload);
        }
        g
    });
    let height = 60.0 + groups.len() as f64 * HEAD_H + rows.len() as f64 * (BAR_H + GAP) + 30.0;
    let width = LABEL_W + PLOT_W + 120.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        s,
        r#"<text x="10" y="20" font-size="15" font-weight="bold">hotloop: median time per call (log scale; shorter is faster)</text>"#
    );
    let _ = writeln!(
        s,
        r##"<text x="10" y="38" fill="#555">{}</text>"##,
        esc(title)
    );
    // Decade grid lines.
    let top = 50.0;
    for d in lo as i32..=hi as i32 {
        let gx = x(10f64.powi(d));
        let _ = writeln!(
            s,
            r##"<line x1="{gx:.1}" y1="{top}" x2="{gx:.1}" y2="{:.1}" stroke="#ddd"/><text x="{gx:.1}" y="{:.1}" text-anchor="middle" fill="#555">{}</text>"##,
            height - 25.0,
            height - 10.0,
            fmt_time(10f64.powi(d))
        );
    }
    let mut y = top;
    let mut last = "";
    for r in rows {
        if r.workload != last {
            y += HEAD_H;
            let _ = writeln!(
                s,
                r#"<text x="10" y="{:.1}" font-weight="bold">{}</text>"#,
                y - 8.0,
                esc(&r.workload)
            );
            last = &r.workload;
        }
        let t = r.timings.median();
        let color = match (&r.check, r.baseline) {
            (Check::Failed(_), _) => "#d62728",
            (_, true) => "#7f7f7f",
            _ if r.backend.starts_with("python") => "#ff7f0e",
            _ => "#1f77b4",
        };
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{} · {}</text>"#,
            LABEL_W - 6.0,
            y + BAR_H - 4.0,
            esc(&r.backend),
            esc(&r.form)
        );
        if t.is_finite() && t > 0.0 {
            let w = (x(t) - LABEL_W).max(1.0);
            let _ = writeln!(
                s,
                r#"<rect x="{LABEL_W}" y="{y:.1}" width="{w:.1}" height="{BAR_H}" fill="{color}"><title>{}</title></rect><text x="{:.1}" y="{:.1}">{} {}</text>"#,
                esc(&format!(
                    "{} / {} / {}: {}",
                    r.workload,
                    r.backend,
                    r.form,
                    fmt_time(t)
                )),
                LABEL_W + w + 4.0,
                y + BAR_H - 4.0,
                fmt_time(t),
                r.check.mark()
            );
        }
        y += BAR_H + GAP;
    }
    s.push_str("</svg>\n");
    s
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::Timings;

    #[test]
    fn one_bar_per_row_and_escaped_labels() {
        let row = |form: &str, t: f64, check| Row {
            id: form.into(),
            workload: "w<1>".into(),
            backend: "serial".into(),
            form: form.into(),
            timings: Timings {
                first_call_s: None,
                repeats_s: vec![t],
            },
            bytes: None,
            samples: None,
            baseline: false,
            check,
            compile_s: None,
            gpu: None,
            note: None,
        };
        let rows = [
            row("a&b", 1e-3, Check::Passed),
            row("c", 2.0, Check::Failed("x".into())),
        ];
        let svg = svg(&rows, "machine <1>");
        assert!(svg.contains("machine &lt;1&gt;"));
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains("a&amp;b") && svg.contains("w&lt;1&gt;"));
        assert!(svg.contains("#d62728"), "failed row drawn in red");
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    }
}
