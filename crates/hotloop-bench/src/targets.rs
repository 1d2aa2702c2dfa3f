//! The project's speed targets, read off one run's rows: each is a ratio of
//! two rows measured in the same run, so machine-wide noise cancels as far
//! as it can.

use crate::row::Row;
use serde::Serialize;

/// One target and what this run measured.
#[derive(Clone, Debug, Serialize)]
pub struct Target {
    /// What is compared.
    pub name: String,
    /// The measured value.
    pub measured: f64,
    /// The goal it must reach (at least, or for `at_most`, at most).
    pub goal: f64,
    /// Whether `goal` is an upper bound.
    pub at_most: bool,
    /// Whether the run met it.
    pub met: bool,
}

impl Target {
    fn new(name: String, measured: f64, goal: f64, at_most: bool) -> Self {
        let met = if at_most {
            measured <= goal
        } else {
            measured >= goal
        };
        Self {
            name,
            measured,
            goal,
            at_most,
            met,
        }
    }

    /// One line for the terminal.
    pub fn line(&self) -> String {
        format!(
            "{} {}: {:.3} ({} {})",
            if self.met { "met   " } else { "MISSED" },
            self.name,
            self.measured,
            if self.at_most {
                "goal at most"
            } else {
                "goal at least"
            },
            self.goal
        )
    }
}

fn find<'a>(rows: &'a [Row], workload: &str, backend: &str, form: &str) -> Option<&'a Row> {
    rows.iter().find(|r| {
        r.workload.starts_with(workload) && r.backend.starts_with(backend) && r.form == form
    })
}

/// Every target whose rows this run has.
pub fn evaluate(rows: &[Row]) -> Vec<Target> {
    let mut out = Vec::new();
    let median = |r: &Row| r.timings.median();
    if let (Some(add), Some(copy)) = (
        find(rows, "add_scalar", "parallel", "rayon"),
        find(rows, "add_scalar", "parallel", "stream copy"),
    ) {
        out.push(Target::new(
            format!(
                "parallel add_scalar / stream copy bandwidth ({})",
                add.workload
            ),
            median(copy) / median(add),
            0.85,
            false,
        ));
    }
    if let Some(pi) = rows
        .iter()
        .filter(|r| r.backend.starts_with("parallel") && r.form == "philox")
        .max_by_key(|r| r.samples)
    {
        out.push(Target::new(
            format!("parallel Monte Carlo samples/s ({})", pi.workload),
            pi.samples_per_s().unwrap_or(0.0),
            1e9,
            false,
        ));
    }
    // The GPU's, against its own device-to-device copy of the same bytes.
    if let (Some(add), Some(copy)) = (
        find(rows, "add_scalar", "cuda", "grid-stride kernel"),
        find(
            rows,
            "add_scalar",
            "cuda",
            crate::workloads::add::DEVICE_COPY_FORM,
        ),
    ) {
        out.push(Target::new(
            format!(
                "GPU add_scalar / device-to-device copy bandwidth ({})",
                add.workload
            ),
            median(copy) / median(add),
            0.90,
            false,
        ));
    }
    if let Some(pi) = rows
        .iter()
        .filter(|r| r.backend.starts_with("cuda") && r.form.starts_with("philox"))
        .max_by_key(|r| r.samples)
    {
        out.push(Target::new(
            format!("GPU Monte Carlo samples/s ({})", pi.workload),
            pi.samples_per_s().unwrap_or(0.0),
            1e11,
            false,
        ));
    }
    for backend in ["serial", "parallel"] {
        if let (Some(map), Some(add)) = (
            find(rows, "map", backend, "map Affine{a: 1, b: 2}"),
            find(rows, "map", backend, "add_scalar, hand-written"),
        ) {
            out.push(Target::new(
                format!("{backend} map(Affine) time / hand-written add_scalar"),
                median(map) / median(add),
                1.10,
                true,
            ));
        }
    }
    for stencil in ["stencil laplacian7", "stencil jacobi5"] {
        if let (Some(s), Some(p)) = (
            find(rows, stencil, "serial", "zero border"),
            find(rows, stencil, "parallel", "zero border"),
        ) {
            out.push(Target::new(
                format!("parallel speedup of {}", s.workload),
                median(s) / median(p),
                1.6,
                false,
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::Timings;
    use crate::row::Check;

    fn row(workload: &str, backend: &str, form: &str, secs: f64) -> Row {
        Row {
            workload: workload.into(),
            backend: backend.into(),
            form: form.into(),
            timings: Timings {
                first_call_s: None,
                repeats_s: vec![secs],
            },
            bytes: None,
            samples: Some(1_000_000_000),
            baseline: false,
            check: Check::Passed,
            compile_s: None,
            gpu: None,
            note: None,
        }
    }

    #[test]
    fn ratios_and_verdicts() {
        let rows = vec![
            row("add_scalar f64 4x4x4", "parallel (2 threads)", "rayon", 1.0),
            row(
                "add_scalar f64 4x4x4",
                "parallel (2 threads)",
                "stream copy",
                0.9,
            ),
            row(
                "monte carlo pi 1e9 samples",
                "parallel (2 threads)",
                "philox",
                0.5,
            ),
            row(
                "map f64",
                "parallel (2 threads)",
                "map Affine{a: 1, b: 2}",
                1.2,
            ),
            row(
                "map f64",
                "parallel (2 threads)",
                "add_scalar, hand-written",
                1.0,
            ),
            row("stencil jacobi5 f64 8^2", "serial", "zero border", 2.0),
            row(
                "stencil jacobi5 f64 8^2",
                "parallel (2 threads)",
                "zero border",
                1.0,
            ),
        ];
        let t = evaluate(&rows);
        assert_eq!(t.len(), 4);
        assert!((t[0].measured - 0.9).abs() < 1e-12 && t[0].met);
        assert!((t[1].measured - 2e9).abs() < 1.0 && t[1].met);
        assert!((t[2].measured - 1.2).abs() < 1e-12 && !t[2].met);
        assert!((t[3].measured - 2.0).abs() < 1e-12 && t[3].met);
        assert!(t[2].line().starts_with("MISSED"));
    }
}
