//! `--sweep`: throughput against size, from 4 KiB to the blog's 4 GiB per
//! array, for add 2, one map (`Affine`) and one reduction (`sum`), serial
//! and parallel, beside a copy of the same bytes (memcpy while the arrays fit
//! the caches, the STREAM non-temporal copy beyond); a log-log chart
//! with the CPU's cache sizes marked. It shows where the pool starts to pay
//! (below a size measured on this machine the parallel forms run on one
//! thread, so they never lose to the serial ones) and where each level of
//! the cache gives way to memory.

use crate::config::Config;
use crate::inputs::pattern;
use hotloop::{Affine, Backend};
use hotloop_cpu::parallel::{Pool, copy_streaming};
use serde::Serialize;
use std::fmt::Write as _;
use std::time::Instant;

/// One measured point.
#[derive(Clone, Debug, Serialize)]
pub struct Point {
    /// "add 2", "map Affine", "sum", "stream copy".
    pub kernel: &'static str,
    /// "serial", "parallel (N threads)", "best copy", or a Python row's
    /// name ("Numba prange").
    pub backend: String,
    /// Bytes of one array.
    pub bytes: u64,
    /// Bytes moved per call (reads + writes) over the median call's time.
    pub gb_per_s: f64,
    /// Whether the output was checked and right (the copy: equal to its
    /// source).
    pub checked: bool,
}

/// The array sizes: 4 KiB times powers of 4, up to `max`.
pub fn sizes(max: u64) -> Vec<u64> {
    std::iter::successors(Some(4096u64), |b| Some(b * 4))
        .take_while(|&b| b <= max)
        .collect()
}

/// The median seconds per call of `f`: calls batched until a sample takes
/// 2 ms, five samples (three at the largest sizes).
fn per_call(mut f: impl FnMut()) -> f64 {
    f();
    let t = Instant::now();
    f();
    let one = t.elapsed().as_secs_f64().max(1e-9);
    let batch = ((2e-3 / one).ceil() as usize).clamp(1, 1 << 20);
    let samples = if one > 0.05 { 3 } else { 5 };
    let mut v: Vec<f64> = (0..samples)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..batch {
                f();
            }
            t.elapsed().as_secs_f64() / batch as f64
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Seconds per call of `f(0)` and of `f(1)`, as [`per_call`], their
/// batches alternating (`f(0)` batch, `f(1)` batch, ...).
fn per_call_pair(mut f: impl FnMut(usize)) -> [f64; 2] {
    f(0);
    f(1);
    let t = Instant::now();
    f(0);
    let one = t.elapsed().as_secs_f64().max(1e-9);
    let batch = ((2e-3 / one).ceil() as usize).clamp(1, 1 << 20);
    let samples = if one > 0.05 { 3 } else { 7 };
    let mut v = [Vec::new(), Vec::new()];
    for _ in 0..samples {
        for (w, times) in v.iter_mut().enumerate() {
            let t = Instant::now();
            for _ in 0..batch {
                f(w);
            }
            times.push(t.elapsed().as_secs_f64() / batch as f64);
        }
    }
    v.map(|mut times| {
        times.sort_by(f64::total_cmp);
        times[times.len() / 2]
    })
}

/// The cache sizes of CPU 0 as Linux reports them: `(name, bytes)`.
pub fn caches() -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for i in 0..8 {
        let dir = format!("/sys/devices/system/cpu/cpu0/cache/index{i}");
        let read = |f: &str| std::fs::read_to_string(format!("{dir}/{f}")).ok();
        let (Some(level), Some(kind), Some(size)) = (read("level"), read("type"), read("size"))
        else {
            continue;
        };
        if kind.trim() == "Instruction" {
            continue;
        }
        let size = size.trim();
        let bytes = match size.strip_suffix('K') {
            Some(k) => k.parse::<u64>().ok().map(|k| k << 10),
            None => size
                .strip_suffix('M')
                .and_then(|m| m.parse::<u64>().ok())
                .map(|m| m << 20),
        };
        if let Some(b) = bytes {
            out.push((format!("L{}", level.trim()), b));
        }
    }
    out
}

/// Sizes at which Numba's `prange` loop is slower than its `range` loop, as
/// `(bytes, prange / range)`: where `prange` costs more than it gives.
pub fn prange_losses(points: &[Point]) -> Vec<(u64, f64)> {
    points
        .iter()
        .filter(|p| p.backend == "Numba prange")
        .filter_map(|p| {
            let r = points
                .iter()
                .find(|s| s.backend == "Numba range" && s.bytes == p.bytes)?;
            let ratio = p.gb_per_s / r.gb_per_s;
            (ratio < 1.0).then_some((p.bytes, ratio))
        })
        .collect()
}

/// Measures every point.
pub fn run(cfg: &Config, progress: &mut dyn FnMut(&str)) -> Result<Vec<Point>, String> {
    let max = cfg.sweep_max_bytes();
    let parallel = Backend::parallel();
    let pool = Pool::current();
    let par_name = format!("parallel ({} threads)", pool.threads());
    let mut points = Vec::new();
    for bytes in sizes(max) {
        let n = (bytes / 8) as usize;
        progress(&format!(
            "sweep: {} per array",
            hotloop_runtime::Bytes(bytes)
        ));
        let x: Vec<f64> = (0..n).map(pattern).collect();
        let mut out = vec![1.0f64; n];
        let moved = 2.0 * bytes as f64;
        let ok_add = |out: &[f64]| out.iter().enumerate().all(|(i, &o)| o == pattern(i) + 2.0);
        // Serial and parallel timed in alternating batches, so their ratio
        // (the "never slower" check) is not the machine's drift between two
        // measurements.
        let backends = [Backend::Serial, parallel];
        let names = ["serial", par_name.as_str()];
        let t = per_call_pair(|w| {
            hotloop::add_scalar_slice_into(backends[w], &x, [1, 1, n], 2.0, &mut out)
                .expect("checked sizes")
        });
        for w in 0..2 {
            out.fill(0.0);
            hotloop::add_scalar_slice_into(backends[w], &x, [1, 1, n], 2.0, &mut out)
                .expect("checked sizes");
            points.push(Point {
                kernel: "add 2",
                backend: names[w].into(),
                bytes,
                gb_per_s: moved / t[w] / 1e9,
                checked: ok_add(&out),
            });
        }
        let affine = Affine { a: 1.0, b: 2.0 };
        let t = per_call_pair(|w| {
            hotloop::map_slice_into(backends[w], affine, &x, &mut out).expect("checked sizes")
        });
        for w in 0..2 {
            out.fill(0.0);
            hotloop::map_slice_into(backends[w], affine, &x, &mut out).expect("checked sizes");
            points.push(Point {
                kernel: "map Affine",
                backend: names[w].into(),
                bytes,
                gb_per_s: moved / t[w] / 1e9,
                checked: ok_add(&out),
            });
        }
        let mut sums = [0.0; 2];
        let t = per_call_pair(|w| {
            sums[w] = hotloop::sum_slice(backends[w], &x).expect("any length");
        });
        let want = hotloop::sum_slice(Backend::Serial, &x).expect("any length");
        for w in 0..2 {
            points.push(Point {
                kernel: "sum",
                backend: names[w].into(),
                bytes,
                gb_per_s: bytes as f64 / t[w] / 1e9,
                checked: sums[w].to_bits() == want.to_bits(),
            });
        }
        // The copy reference: the machine's best copy at this size, a
        // cached memcpy on one thread while the arrays fit the caches, the
        // pool's non-temporal copy beyond.
        let streams = bytes as usize >= hotloop_cpu::store::STREAMING_THRESHOLD_BYTES;
        let t = per_call(|| {
            if streams {
                copy_streaming(&pool, &x, &mut out)
            } else {
                out.copy_from_slice(&x)
            }
        });
        points.push(Point {
            kernel: "stream copy",
            backend: "best copy".into(),
            bytes,
            gb_per_s: moved / t / 1e9,
            checked: out == x,
        });
    }
    Ok(points)
}

/// Sizes at which a parallel form was slower than its serial form by more
/// than `slack` (0.1: 10%), as `(kernel, bytes, parallel / serial)`.
pub fn parallel_losses(points: &[Point], slack: f64) -> Vec<(&'static str, u64, f64)> {
    let mut out = Vec::new();
    for p in points.iter().filter(|p| p.backend.starts_with("parallel")) {
        if let Some(s) = points
            .iter()
            .find(|s| s.backend == "serial" && s.kernel == p.kernel && s.bytes == p.bytes)
        {
            let ratio = p.gb_per_s / s.gb_per_s;
            if ratio < 1.0 - slack {
                out.push((p.kernel, p.bytes, ratio));
            }
        }
    }
    out
}

/// The points as a table, one line each.
pub fn table(points: &[Point]) -> String {
    let mut s = format!(
        "{:<12} {:<24} {:>10} {:>12}  ok\n",
        "kernel", "backend", "array", "GB/s"
    );
    for p in points {
        let _ = writeln!(
            s,
            "{:<12} {:<24} {:>10} {:>12.2}  {}",
            p.kernel,
            p.backend,
            hotloop_runtime::Bytes(p.bytes),
            p.gb_per_s,
            if p.checked { "✓" } else { "✗" }
        );
    }
    s
}

/// A log-log SVG: GB/s against bytes per array, one line per kernel and
/// backend, the copy dashed, the caches as vertical lines.
pub fn svg(points: &[Point], caches: &[(String, u64)], title: &str) -> String {
    let (w, h, left, right, top, bottom) = (900.0, 520.0, 70.0, 210.0, 40.0, 50.0);
    let xs: Vec<f64> = points.iter().map(|p| (p.bytes as f64).log2()).collect();
    let ys: Vec<f64> = points
        .iter()
        .map(|p| p.gb_per_s.max(1e-3).log10())
        .collect();
    let (x0, x1) = (
        xs.iter().copied().fold(f64::INFINITY, f64::min),
        xs.iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max)
            .max(13.0),
    );
    let (y0, y1) = (
        ys.iter().copied().fold(f64::INFINITY, f64::min).floor(),
        ys.iter().copied().fold(f64::NEG_INFINITY, f64::max).ceil(),
    );
    let px = |x: f64| left + (x - x0) / (x1 - x0).max(1.0) * (w - left - right);
    let py = |y: f64| h - bottom - (y - y0) / (y1 - y0).max(1.0) * (h - top - bottom);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{left}\" y=\"22\" font-size=\"15\">{}</text>\n",
        escape(title)
    );
    // Axes: decades of GB/s, powers of 4 of bytes.
    let mut d = y0;
    while d <= y1 {
        let y = py(d);
        let _ = writeln!(
            s,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\" stroke=\"#ddd\"/><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{} GB/s</text>",
            w - right,
            left - 6.0,
            y + 4.0,
            10f64.powf(d),
        );
        d += 1.0;
    }
    for p in points
        .iter()
        .filter(|p| p.kernel == "add 2" && p.backend == "serial")
    {
        let x = px((p.bytes as f64).log2());
        let _ = writeln!(
            s,
            "<text x=\"{x}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            h - bottom + 18.0,
            hotloop_runtime::Bytes(p.bytes)
        );
    }
    for (name, bytes) in caches {
        let x = (*bytes as f64).log2();
        if x < x0 || x > x1 {
            continue;
        }
        let _ = writeln!(
            s,
            "<line x1=\"{px}\" x2=\"{px}\" y1=\"{top}\" y2=\"{}\" stroke=\"#999\" stroke-dasharray=\"2,3\"/><text x=\"{px}\" y=\"{}\" text-anchor=\"middle\" fill=\"#666\">{} {}</text>",
            h - bottom,
            top + 12.0,
            escape(name),
            hotloop_runtime::Bytes(*bytes),
            px = px(x)
        );
    }
    let colours = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#000000",
    ];
    let mut series: Vec<(String, &'static str)> = Vec::new();
    for p in points {
        let key = (format!("{}, {}", p.kernel, p.backend), p.kernel);
        if !series.contains(&key) {
            series.push(key);
        }
    }
    for (k, (label, kernel)) in series.iter().enumerate() {
        let pts: Vec<String> = points
            .iter()
            .filter(|p| format!("{}, {}", p.kernel, p.backend) == *label)
            .map(|p| {
                format!(
                    "{:.1},{:.1}",
                    px((p.bytes as f64).log2()),
                    py(p.gb_per_s.max(1e-3).log10())
                )
            })
            .collect();
        let colour = colours[k % colours.len()];
        let dash = if *kernel == "stream copy" {
            " stroke-dasharray=\"6,4\""
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"{dash} points=\"{}\"/>\n\
             <line x1=\"{lx}\" x2=\"{}\" y1=\"{ly}\" y2=\"{ly}\" stroke=\"{colour}\" stroke-width=\"2\"{dash}/><text x=\"{}\" y=\"{}\">{}</text>",
            pts.join(" "),
            w - right + 34.0,
            w - right + 40.0,
            top + 20.0 * k as f64 + 4.0,
            escape(label),
            lx = w - right + 12.0,
            ly = top + 20.0 * k as f64,
        );
    }
    s.push_str("</svg>\n");
    s
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_run_from_4_kib_by_fours() {
        assert_eq!(sizes(64 << 10), [4096, 16 << 10, 64 << 10]);
        assert_eq!(sizes(4 << 30).len(), 11);
    }

    #[test]
    fn losses_compare_like_with_like() {
        let p = |kernel, backend: &str, bytes, gb_per_s| Point {
            kernel,
            backend: backend.into(),
            bytes,
            gb_per_s,
            checked: true,
        };
        let points = [
            p("add 2", "serial", 4096, 10.0),
            p("add 2", "parallel (2 threads)", 4096, 5.0),
            p("sum", "serial", 4096, 10.0),
            p("sum", "parallel (2 threads)", 4096, 9.5),
        ];
        assert_eq!(parallel_losses(&points, 0.1), [("add 2", 4096, 0.5)]);
        let svg = svg(&points, &[("L1".into(), 8 << 10)], "a <title>");
        assert!(svg.contains("&lt;title&gt;") && svg.contains("L1 8.00 KiB"));
        assert_eq!(svg.matches("<polyline").count(), 4);
    }
}
