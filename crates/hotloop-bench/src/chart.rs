//! The results as an SVG chart (`plotters`, SVG backend, no system fonts):
//! one panel per workload, each on its own log axis, so that every group
//! reads at its own scale.
//!
//! A panel shows each row's speedup over its workload's baseline (the
//! blog's loop), a bar from 1x to the row's figure: right of the line is
//! faster, left of it slower. A workload without a baseline row shows the
//! median time instead. Bars are coloured by backend (the legend says
//! which), a wrong answer in red with ✗, and a row measured on a reduced
//! size and extrapolated (the simulator's, the pure-Python loop's) is
//! hatched and its figure marked ≈. 800 pixels wide: the README's width.

use crate::row::{Check, Row, fmt_time};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The image's width in pixels.
pub const WIDTH: u32 = 800;
const LABEL_W: i32 = 300;
const ROW_H: i32 = 17;
const TITLE_H: i32 = 20;
const AXIS_H: i32 = 16;
const GAP: i32 = 12;
const FONT: &str = "sans-serif";
/// plotters writes a font of size `s` as `s / 1.24` pixels in SVG.
const PT: f64 = 1.24;

/// What a bar's colour says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    Serial,
    Parallel,
    Simulator,
    Cuda,
    Python,
    Copy,
    Wrong,
}

impl Family {
    const ALL: [Family; 7] = [
        Family::Serial,
        Family::Parallel,
        Family::Simulator,
        Family::Cuda,
        Family::Python,
        Family::Copy,
        Family::Wrong,
    ];

    fn of(r: &Row) -> Family {
        if matches!(r.check, Check::Failed(_)) {
            Family::Wrong
        } else if r.form.contains("copy") {
            Family::Copy
        } else if r.backend.starts_with("python") {
            Family::Python
        } else if r.backend.starts_with("parallel") {
            Family::Parallel
        } else if r.backend.starts_with("simulator") {
            Family::Simulator
        } else if r.backend.starts_with("cuda") {
            Family::Cuda
        } else {
            Family::Serial
        }
    }

    fn color(self) -> RGBColor {
        match self {
            Family::Serial => RGBColor(0x1f, 0x77, 0xb4),
            Family::Parallel => RGBColor(0x2c, 0xa0, 0x2c),
            Family::Simulator => RGBColor(0x94, 0x67, 0xbd),
            Family::Cuda => RGBColor(0x17, 0xbe, 0xcf),
            Family::Python => RGBColor(0xff, 0x7f, 0x0e),
            Family::Copy => RGBColor(0x7f, 0x7f, 0x7f),
            Family::Wrong => RGBColor(0xd6, 0x27, 0x28),
        }
    }

    fn label(self) -> &'static str {
        match self {
            Family::Serial => "serial",
            Family::Parallel => "parallel",
            Family::Simulator => "CUDA simulator",
            Family::Cuda => "CUDA GPU",
            Family::Python => "Python (NumPy, Numba)",
            Family::Copy => "copy (bandwidth reference)",
            Family::Wrong => "wrong answer ✗",
        }
    }
}

/// One workload's panel.
struct Panel<'a> {
    workload: &'a str,
    rows: Vec<&'a Row>,
    baseline: Option<&'a Row>,
}

impl Panel<'_> {
    /// The figure drawn for `r`: its speedup over the baseline, or its
    /// median time where the workload has no baseline.
    fn value(&self, r: &Row) -> Option<f64> {
        let t = r.timings.median();
        let v = match self.baseline {
            Some(b) => b.timings.median() / t,
            None => t,
        };
        (v.is_finite() && v > 0.0).then_some(v)
    }

    fn height(&self) -> i32 {
        TITLE_H + AXIS_H + self.rows.len() as i32 * ROW_H + GAP
    }
}

fn panels(rows: &[Row]) -> Vec<Panel<'_>> {
    let mut out: Vec<Panel<'_>> = Vec::new();
    for r in rows {
        match out.iter_mut().find(|p| p.workload == r.workload) {
            Some(p) => p.rows.push(r),
            None => out.push(Panel {
                workload: &r.workload,
                rows: vec![r],
                baseline: None,
            }),
        }
    }
    for p in &mut out {
        p.baseline = p.rows.iter().copied().find(|r| r.baseline);
    }
    out
}

/// A row's label: the backend's first words and the form, at most `max`
/// characters. The Python rows' form names the library already.
fn label(r: &Row, max: usize) -> String {
    let backend = if r.backend.starts_with("python") {
        String::new()
    } else {
        let b = r.backend.split(" (").next().unwrap_or(&r.backend);
        let b = b.split(',').next().unwrap_or(b);
        format!("{b} · ")
    };
    let s = format!("{backend}{}", r.form);
    if s.chars().count() > max {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    } else {
        s
    }
}

/// `v` as a speedup: `23.8x`, `0.042x`.
fn fmt_speedup(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}x")
    } else if v >= 10.0 {
        format!("{v:.1}x")
    } else if v >= 0.1 {
        format!("{v:.2}x")
    } else if v >= 0.001 {
        format!("{v:.3}x")
    } else {
        format!("{v:.1e}x")
    }
}

/// Axis ticks between `lo` and `hi`: 1, 2 and 5 of each decade, or the
/// decades alone where those would be more than nine.
fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let (first, last) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let within = |m: &[f64]| -> Vec<f64> {
        (first..=last)
            .flat_map(|d| m.iter().map(move |m| m * 10f64.powi(d)))
            .filter(|v| (lo..=hi).contains(v))
            .collect()
    };
    let fine = within(&[1.0, 2.0, 5.0]);
    if fine.len() <= 9 {
        fine
    } else {
        within(&[1.0])
    }
}

/// The chart as an SVG document.
pub fn svg(rows: &[Row], title: &str) -> String {
    let panels = panels(rows);
    let families: Vec<Family> = Family::ALL
        .into_iter()
        .filter(|f| rows.iter().any(|r| Family::of(r) == *f))
        .collect();
    let any_extrapolated = rows.iter().any(Row::is_extrapolated);
    // Three colours a line, the hatching on a line of its own.
    let legend_lines = families.len().div_ceil(3) + usize::from(any_extrapolated);
    let legend_h = legend_lines as i32 * 18;
    let top = 48 + legend_h + 8;
    let height = top + panels.iter().map(Panel::height).sum::<i32>() + 4;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, height as u32)).into_drawing_area();
        // Drawing into a string cannot fail; an error would be a bug here.
        draw(&root, &panels, &families, any_extrapolated, title, top)
            .expect("drawing the chart into memory");
        root.present().expect("drawing the chart into memory");
    }
    out
}

type Result<T> = std::result::Result<T, DrawingAreaErrorKind<std::io::Error>>;

const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
const GREY: RGBColor = RGBColor(0x55, 0x55, 0x55);

fn text_style(size: f64, color: &'static RGBColor, h: HPos) -> TextStyle<'static> {
    TextStyle::from((FONT, size * PT).into_font())
        .color(color)
        .pos(Pos::new(h, VPos::Center))
}

fn draw(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    panels: &[Panel<'_>],
    families: &[Family],
    any_extrapolated: bool,
    title: &str,
    top: i32,
) -> Result<()> {
    let ink = INK;
    root.fill(&WHITE)?;
    root.draw(&Text::new(
        "hotloop: speedup over each workload's baseline (log scale, per workload)",
        (10, 14),
        TextStyle::from((FONT, 15.0 * PT).into_font().style(FontStyle::Bold))
            .color(&ink)
            .pos(Pos::new(HPos::Left, VPos::Center)),
    ))?;
    root.draw(&Text::new(
        title.to_string(),
        (10, 33),
        text_style(11.0, &GREY, HPos::Left),
    ))?;
    // The legend: colours, then the hatching.
    let mut entries: Vec<(Option<Family>, &str)> =
        families.iter().map(|f| (Some(*f), f.label())).collect();
    if any_extrapolated {
        while !entries.len().is_multiple_of(3) {
            entries.push((Some(Family::Wrong), ""));
        }
        entries.push((
            None,
            "hatched, figure marked ≈: measured on a reduced size and extrapolated by element count",
        ));
    }
    for (k, (family, text)) in entries.iter().enumerate() {
        if text.is_empty() {
            continue;
        }
        let (col, line) = ((k % 3) as i32, (k / 3) as i32);
        let x = 10 + col * 262;
        let y = 50 + line * 18;
        let swatch = [(x, y - 6), (x + 14, y + 6)];
        match family {
            Some(f) => {
                root.draw(&Rectangle::new(swatch, f.color().filled()))?;
            }
            None => hatch(root, swatch, RGBColor(0x55, 0x55, 0x55))?,
        }
        root.draw(&Text::new(
            text.to_string(),
            (x + 20, y),
            text_style(11.5, &INK, HPos::Left),
        ))?;
    }
    let mut y = top;
    for p in panels {
        draw_panel(root, p, y)?;
        y += p.height();
    }
    Ok(())
}

/// Diagonal hatching over `rect` (pixels), with its outline.
fn hatch(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    rect: [(i32, i32); 2],
    color: RGBColor,
) -> Result<()> {
    let [(x0, y0), (x1, y1)] = rect;
    let (x0, x1) = (x0.min(x1), x0.max(x1));
    let (y0, y1) = (y0.min(y1), y0.max(y1));
    let h = y1 - y0;
    root.draw(&Rectangle::new(rect, color.mix(0.18).filled()))?;
    let mut k = x0 - h;
    while k < x1 {
        // The line from (k, y1) up to (k + h, y0), clipped to [x0, x1].
        let t0 = (x0 - k).max(0);
        let t1 = (x1 - k).min(h);
        if t0 < t1 {
            root.draw(&PathElement::new(
                vec![(k + t0, y1 - t0), (k + t1, y1 - t1)],
                color.stroke_width(1),
            ))?;
        }
        k += 5;
    }
    root.draw(&Rectangle::new(rect, color.stroke_width(1)))?;
    Ok(())
}

fn draw_panel(root: &DrawingArea<SVGBackend<'_>, Shift>, p: &Panel<'_>, y_top: i32) -> Result<()> {
    let ink = INK;
    let values: Vec<f64> = p.rows.iter().filter_map(|r| p.value(r)).collect();
    let speedup = p.baseline.is_some();
    let (mut lo, mut hi) = values.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &v| {
        (lo.min(v), hi.max(v))
    });
    if speedup {
        (lo, hi) = (lo.min(1.0), hi.max(1.0));
    }
    if !(lo.is_finite() && hi > 0.0) {
        (lo, hi) = (0.1, 10.0);
    }
    // Room for the figures beside the bars, and a decade at least.
    let (mut lo, mut hi) = (lo / 2.5, hi * 2.5);
    if hi / lo < 10.0 {
        let mid = (lo * hi).sqrt();
        (lo, hi) = (mid / 10f64.sqrt(), mid * 10f64.sqrt());
    }
    let heading = match p.baseline {
        Some(b) => format!(
            "{}: speedup over {}",
            p.workload,
            label(b, 60).replace(" · ", " ")
        ),
        None => format!("{}: median time", p.workload),
    };
    root.draw(&Text::new(
        heading,
        (10, y_top + TITLE_H / 2),
        TextStyle::from((FONT, 13.0 * PT).into_font().style(FontStyle::Bold))
            .color(&ink)
            .pos(Pos::new(HPos::Left, VPos::Center)),
    ))?;
    let n = p.rows.len() as f64;
    let plot = root.clone().shrink(
        (0, y_top + TITLE_H),
        (WIDTH, (p.height() - TITLE_H - GAP) as u32),
    );
    let mut chart = ChartBuilder::on(&plot)
        .set_label_area_size(LabelAreaPosition::Top, AXIS_H)
        .set_label_area_size(LabelAreaPosition::Left, LABEL_W)
        .margin_right(16)
        .build_cartesian_2d((lo..hi).log_scale().with_key_points(ticks(lo, hi)), 0.0..n)?;
    let fmt_axis = |v: &f64| {
        if speedup {
            // 0.05x, 1x, 20x: the ticks are round numbers.
            if *v < 0.001 {
                return format!("{v:e}x");
            }
            let s = format!("{v:.3}");
            format!("{}x", s.trim_end_matches('0').trim_end_matches('.'))
        } else {
            fmt_time(*v)
        }
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .y_labels(0)
        .x_labels(8)
        .max_light_lines(0)
        .bold_line_style(RGBColor(0xdd, 0xdd, 0xdd))
        .axis_style(RGBColor(0xbb, 0xbb, 0xbb))
        .x_label_style((FONT, 10.5 * PT))
        .x_label_formatter(&fmt_axis)
        .draw()?;
    let row_y = |i: usize| n - i as f64 - 0.5;
    if speedup {
        // The baseline's line.
        let (x, y0) = chart.backend_coord(&(1.0, n));
        let (_, y1) = chart.backend_coord(&(1.0, 0.0));
        root.draw(&PathElement::new(
            vec![(x, y0), (x, y1)],
            RGBColor(0x33, 0x33, 0x33).stroke_width(1),
        ))?;
    }
    for (i, r) in p.rows.iter().enumerate() {
        let (_, yc) = chart.backend_coord(&(lo, row_y(i)));
        root.draw(&Text::new(
            label(r, 46),
            (LABEL_W - 8, yc),
            text_style(11.5, &INK, HPos::Right),
        ))?;
        let Some(v) = p.value(r) else { continue };
        let start = if speedup { 1.0 } else { lo };
        let (xa, ya) = chart.backend_coord(&(start, row_y(i) + 0.36));
        let (xb, yb) = chart.backend_coord(&(v, row_y(i) - 0.36));
        let (x0, x1) = (xa.min(xb), xa.max(xb).max(xa.min(xb) + 2));
        let color = Family::of(r).color();
        let rect = [(x0, ya), (x1, yb)];
        if r.is_extrapolated() {
            hatch(root, rect, color)?;
        } else {
            root.draw(&Rectangle::new(rect, color.filled()))?;
        }
        let mut figure = if speedup { fmt_speedup(v) } else { fmt_time(v) };
        if r.is_extrapolated() {
            figure.insert(0, '≈');
        }
        if r.baseline {
            figure.push_str(" (baseline)");
        }
        if let Check::Failed(_) = r.check {
            figure.push_str(" ✗");
        }
        // The figure beyond the bar's far end.
        let (x, h) = if speedup && v < 1.0 {
            (x0 - 4, HPos::Right)
        } else {
            (x1 + 4, HPos::Left)
        };
        root.draw(&Text::new(figure, (x, yc), text_style(10.5, &INK, h)))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::Timings;

    fn row(workload: &str, backend: &str, form: &str, t: f64, check: Check) -> Row {
        let mut r = Row::new(
            form.into(),
            workload,
            backend,
            form,
            Timings {
                first_call_s: None,
                repeats_s: vec![t],
                rounds: None,
            },
        );
        r.check = check;
        r
    }

    #[test]
    fn panels_legend_marks_and_escaping() {
        let mut base = row("w<1>", "serial", "blog", 4.0, Check::Passed);
        base.baseline = true;
        let mut sim = row("w<1>", "simulator (4x4)", "grid", 8.0, Check::Passed);
        sim.note = Some("measured on 1x4x4 and extrapolated x4 by element count".into());
        let rows = [
            base,
            row("w<1>", "parallel (2 threads)", "a&b", 1.0, Check::Passed),
            sim,
            row("w<1>", "serial", "bad", 2.0, Check::Failed("x".into())),
            // No baseline: drawn on a time axis.
            row("v", "serial", "only", 2e-3, Check::Passed),
        ];
        let svg = svg(&rows, "machine <1>");
        assert!(svg.starts_with("<svg") || svg.starts_with("<?xml"), "{svg}");
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("machine &lt;1&gt;"), "title escaped");
        assert!(svg.contains("a&amp;b") && svg.contains("w&lt;1&gt;: speedup over serial blog"));
        assert!(svg.contains("v: median time"), "a panel without baseline");
        // The legend names the colours present, and the hatching.
        for entry in [
            "serial",
            "parallel",
            "CUDA simulator",
            "wrong answer ✗",
            "extrapolated",
        ] {
            assert!(svg.contains(entry), "legend lacks {entry}");
        }
        assert!(!svg.contains("CUDA GPU"), "no GPU row, no GPU entry");
        // The figures: 4x faster, extrapolated half as fast, the baseline.
        assert!(svg.contains("\n4.00x\n"), "{svg}");
        assert!(svg.contains("\n≈0.50x\n"));
        assert!(svg.contains("1.00x (baseline)"));
        assert!(svg.contains("2.00x ✗"));
        assert!(
            svg.contains("#D62728") || svg.contains("#d62728"),
            "failed row in red"
        );
        assert!(svg.contains("2.00 ms"), "time axis figure");
        assert!(svg.contains(&format!("width=\"{WIDTH}\"")));
    }

    #[test]
    fn ticks_are_one_two_five_or_decades() {
        assert_eq!(ticks(0.3, 4.0), [0.5, 1.0, 2.0]);
        assert_eq!(ticks(0.001, 1000.0).len(), 7);
        assert_eq!(fmt_speedup(0.057), "0.057x");
        assert_eq!(fmt_speedup(23.84), "23.8x");
    }

    #[test]
    fn labels_are_short() {
        let r = row(
            "w",
            "python 3.11.7, numba 0.68.1 (2 threads)",
            "numba prange",
            1.0,
            Check::Passed,
        );
        assert_eq!(label(&r, 46), "numba prange");
        let r = row(
            "w",
            "parallel (2 threads)",
            "stream copy, AVX-512 non-temporal stores",
            1.0,
            Check::Passed,
        );
        let l = label(&r, 30);
        assert_eq!(l.chars().count(), 30);
        assert!(
            l.starts_with("parallel · stream copy") && l.ends_with('…'),
            "{l}"
        );
    }
}
