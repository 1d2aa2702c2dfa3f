//! The project's speed targets, read off one run's rows: each is a ratio of
//! two rows measured in the same run, so machine-wide noise cancels as far
//! as it can.
//!
//! This is the machinery every target shares (the verdict, its units, the
//! sizes too small to judge, finding a row by its id); each target itself
//! is stated beside the rows it compares, in its workload's
//! [`Workload::targets`](crate::workloads::Workload::targets) (and the MPI
//! rows' in [`crate::mpi::targets`]).

use crate::row::{Row, row_id};
use serde::Serialize;
use std::fmt::Write as _;

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
    /// What the figures are: a ratio of two rows, or a rate per second.
    pub unit: Unit,
    /// Why this run's sizes cannot judge the target (`None`: they can).
    pub too_small: Option<String>,
    /// A bound measured in the same run that the row compared runs at,
    /// which explains a miss: what the goal asks lies beyond it.
    pub bound: Option<String>,
}

/// The unit of a target's figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A ratio of two rows' times or throughputs, printed `0.95x`.
    Ratio,
    /// Samples per second, printed `2.15e9 /s`.
    PerSecond,
}

impl Unit {
    /// `v` in this unit, as the table prints it.
    pub fn format(self, v: f64) -> String {
        match self {
            Unit::Ratio => format!("{v:.2}x"),
            Unit::PerSecond => format!("{v:.2e} /s"),
        }
    }

    /// `v` as [`Unit::format`] prints it, with two more digits where that
    /// would print it as `goal` although it differs: a miss by 0.0004
    /// reads "0.9996x", not "1.00x (goal at least 1.00x)".
    pub fn format_apart(self, v: f64, goal: f64) -> String {
        let short = self.format(v);
        if v == goal || short != self.format(goal) {
            return short;
        }
        match self {
            Unit::Ratio => format!("{v:.4}x"),
            Unit::PerSecond => format!("{v:.4e} /s"),
        }
    }
}

/// Arrays smaller than this (each) stay in the caches: a bandwidth target
/// measured on them says nothing about memory.
pub const MIN_JUDGED_ARRAY_BYTES: u64 = 64 << 20;
/// Fewer Monte Carlo samples than this measure start-up, not throughput.
pub const MIN_JUDGED_SAMPLES: u64 = 100_000_000;

/// Why a memory-bound target measured on `row` (moving its bytes as one
/// input and one output array) cannot be judged, if it cannot.
pub fn arrays_too_small(row: &Row) -> Option<String> {
    let array = row.bytes? / 2;
    (array < MIN_JUDGED_ARRAY_BYTES).then(|| {
        format!(
            "arrays of {} are under {}: cache, not memory",
            hotloop_runtime::Bytes(array),
            hotloop_runtime::Bytes(MIN_JUDGED_ARRAY_BYTES)
        )
    })
}

/// Why a Monte Carlo target measured on `row` cannot be judged, if it
/// cannot.
pub fn samples_too_few(row: &Row) -> Option<String> {
    let n = row.samples?;
    (n < MIN_JUDGED_SAMPLES).then(|| {
        format!(
            "{:e} samples are under {:e}: start-up, not throughput",
            n as f64, MIN_JUDGED_SAMPLES as f64
        )
    })
}

impl Target {
    /// A ratio `measured` against `goal`: at least the goal, or at most it
    /// when `at_most`.
    pub fn new(name: String, measured: f64, goal: f64, at_most: bool) -> Self {
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
            unit: Unit::Ratio,
            too_small: None,
            bound: None,
        }
    }

    /// The same target in samples per second.
    pub fn per_second(mut self) -> Self {
        self.unit = Unit::PerSecond;
        self
    }

    /// The same target, not judged for `why` (if any).
    pub fn unless_too_small(mut self, why: Option<String>) -> Self {
        self.too_small = why;
        self
    }

    /// The same target, with the measured bound that explains it if it is
    /// missed (if any; shown only then).
    pub fn explained_by(mut self, bound: Option<String>) -> Self {
        self.bound = bound;
        self
    }

    /// Whether the run missed the target although it could judge it.
    pub fn missed(&self) -> bool {
        !self.met && self.too_small.is_none()
    }

    /// One line for the terminal, in the table's units: `met`, `MISSED`
    /// (with the bound that explains it, if one was measured), or `n/a`
    /// with the reason when the run's sizes cannot judge it.
    pub fn line(&self) -> String {
        let verdict = match (&self.too_small, self.met) {
            (Some(_), _) => "n/a   ",
            (None, true) => "met   ",
            (None, false) => "MISSED",
        };
        let mut line = format!(
            "{verdict} {}: {} ({} {})",
            self.name,
            self.unit.format_apart(self.measured, self.goal),
            if self.at_most {
                "goal at most"
            } else {
                "goal at least"
            },
            self.unit.format(self.goal)
        );
        if let Some(why) = &self.too_small {
            let _ = write!(line, "; too small to judge: {why}");
        }
        if let (true, Some(bound)) = (self.missed(), &self.bound) {
            let _ = write!(line, "; at a measured bound: {bound}");
        }
        line
    }
}

/// The summary's line on the missed targets, if any: how many, and how
/// many of them a bound measured in the same run explains.
pub fn missed_summary(targets: &[Target]) -> Option<String> {
    let missed = targets.iter().filter(|t| t.missed()).count();
    let bound = targets
        .iter()
        .filter(|t| t.missed() && t.bound.is_some())
        .count();
    (missed > 0).then(|| {
        format!(
            "{missed} of {} targets missed, {bound} of them at a bound measured in this run \
             (named on their lines)",
            targets.len()
        )
    })
}

/// The summary's line on the targets this run could not judge, if any.
pub fn unjudged_summary(targets: &[Target]) -> Option<String> {
    let n = targets.iter().filter(|t| t.too_small.is_some()).count();
    (n > 0).then(|| {
        format!(
            "{n} of {} targets not judged (n/a): their sizes are too small to mean anything \
             (arrays under {}, Monte Carlo under {:e} samples); a full run (without --quick) judges them",
            targets.len(),
            hotloop_runtime::Bytes(MIN_JUDGED_ARRAY_BYTES),
            MIN_JUDGED_SAMPLES as f64
        )
    })
}

/// The first row of kind `id`.
pub fn find<'a>(rows: &'a [Row], id: &str) -> Option<&'a Row> {
    rows.iter().find(|r| r.id == id)
}

/// The Python row of `form` (NumPy's or Numba's) on `workload`: its id is
/// `python/<workload>/<interpreter and versions>/<form>`, and the versions
/// are the machine's, so it is found by the parts that are the project's.
pub fn python<'a>(rows: &'a [Row], workload: &str, form: &str) -> Option<&'a Row> {
    let (head, tail) = (row_id(&["python", workload]), row_id(&[form]));
    rows.iter()
        .find(|r| r.id.starts_with(&format!("{head}/")) && r.id.ends_with(&format!("/{tail}")))
}

/// Of the Python rows `forms` of `ours`'s workload that the run has, the
/// fastest (by median).
pub fn fastest_peer<'a>(rows: &'a [Row], ours: &Row, forms: &[&str]) -> Option<&'a Row> {
    forms
        .iter()
        .filter_map(|form| python(rows, &ours.workload, form))
        .min_by(|a, b| median(a).total_cmp(&median(b)))
}

/// `ours` (a `label` row: "parallel", "serial") against the fastest of
/// the Python rows `forms` of its workload that the run has
/// ([`fastest_peer`], [`over_peer`]). `None` when the run has none of them.
pub fn over_fastest_peer(rows: &[Row], label: &str, ours: &Row, forms: &[&str]) -> Option<Target> {
    Some(over_peer(label, ours, fastest_peer(rows, ours, forms)?))
}

/// `ours` (a `label` row) against the Python row `peer`: a speedup, the
/// peer's time over its own, of at least 1.0.
pub fn over_peer(label: &str, ours: &Row, peer: &Row) -> Target {
    Target::new(
        format!("{label} {} speedup over {}", ours.workload, peer.form),
        time_ratio(peer, ours),
        1.0,
        false,
    )
}

/// The share of `limit`'s speed at which both `ours` and `peer` must run
/// for [`tie_at_limit`]: closer than the rounds' spread tells apart.
pub const AT_LIMIT: f64 = 0.95;

/// The bound that explains `ours` missing a speedup over `peer`: both run
/// within [`AT_LIMIT`] of `limit`'s speed (a reference pass timed in the
/// same rounds, `what` it is), so neither can pass it by more than the
/// noise. Not where either runs faster than the reference by more than
/// that: then the reference was no limit in those rounds (a one-thread
/// read on a Xeon VM ran at 0.66x to 0.71x the NumPy max beside it).
pub fn tie_at_limit(ours: &Row, peer: &Row, limit: &Row, what: &str) -> Option<String> {
    let (a, b) = (time_ratio(limit, ours), time_ratio(limit, peer));
    let at = |share: f64| (AT_LIMIT..=1.0 / AT_LIMIT).contains(&share);
    (at(a) && at(b)).then(|| {
        format!(
            "both at {what} timed in the same rounds ({a:.2}x and {}'s {b:.2}x of its speed)",
            peer.form
        )
    })
}

/// Of the rows of kind `id` (one per sample count), the largest.
pub fn largest<'a>(rows: &'a [Row], id: &str) -> Option<&'a Row> {
    rows.iter().filter(|r| r.id == id).max_by_key(|r| r.samples)
}

/// The median time of `row`: what the table prints, and how the fastest
/// of several peers is chosen.
pub fn median(row: &Row) -> f64 {
    row.timings.median()
}

/// `a`'s time over `b`'s, what every target's ratio of two rows is: the
/// median of their rounds' ratios where they were timed in the same
/// rounds, else of their medians ([`crate::measure::Timings::ratio_to`]).
pub fn time_ratio(a: &Row, b: &Row) -> f64 {
    a.timings.ratio_to(&b.timings)
}

/// `a`'s bandwidth over `b`'s: their bytes over [`time_ratio`]. `None`
/// where either row has no bandwidth: no bytes, or extrapolated
/// ([`Row::gb_per_s`]).
pub fn bandwidth_ratio(a: &Row, b: &Row) -> Option<f64> {
    if a.is_extrapolated() || b.is_extrapolated() {
        return None;
    }
    Some(a.bytes? as f64 / b.bytes? as f64 * time_ratio(b, a))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::Timings;
    use crate::row::Check;
    use crate::workloads::{add, pi, targets as evaluate};

    fn row(id: &str, workload: &str, form: &str, secs: f64) -> Row {
        let timings = Timings {
            first_call_s: None,
            repeats_s: vec![secs],
            rounds: None,
        };
        let mut r = Row::new(
            id.into(),
            workload,
            "label text the targets ignore",
            form,
            timings,
        );
        r.samples = Some(1_000_000_000);
        r.check = Check::Passed;
        r
    }

    #[test]
    fn ratios_and_verdicts() {
        let rows = vec![
            row(add::ADD_PARALLEL, "add_scalar f64 4x4x4", "rayon", 1.0),
            row(add::STREAM_COPY, "add_scalar f64 4x4x4", "stream copy", 0.9),
            row(pi::PI_PARALLEL, "monte carlo pi 1e9 samples", "philox", 0.5),
            row(
                "map/parallel/affine",
                "map f64",
                "map Affine{a: 1, b: 2}",
                1.2,
            ),
            row("map/parallel/add_scalar", "map f64", "add_scalar", 1.0),
            row(
                "stencil_jacobi5/serial/zero_border",
                "stencil jacobi5 f64 8^2",
                "zero border",
                2.0,
            ),
            row(
                "stencil_jacobi5/parallel/zero_border",
                "stencil jacobi5 f64 8^2",
                "zero border",
                1.0,
            ),
            // Labels that look like a target's, under another id: ignored.
            row(
                "add_scalar/parallel/rayon_fresh_output",
                "add_scalar f64 4x4x4",
                "rayon",
                9.0,
            ),
        ];
        let t = evaluate(&rows);
        assert_eq!(t.len(), 5);
        assert!((t[0].measured - 0.9).abs() < 1e-12 && t[0].met);
        // One call: no spread.
        assert!(
            t[1].name
                .starts_with("parallel add_scalar median / its fastest call")
        );
        assert!((t[1].measured - 1.0).abs() < 1e-12 && t[1].met && t[1].at_most);
        assert!((t[2].measured - 2e9).abs() < 1.0 && t[2].met);
        assert!((t[3].measured - 1.2).abs() < 1e-12 && !t[3].met);
        assert!((t[4].measured - 2.0).abs() < 1e-12 && t[4].met);
        assert!(t[3].line().starts_with("MISSED"));
    }

    #[test]
    fn a_verdict_is_never_printed_as_the_goal_it_misses() {
        let near = Target::new("sum".into(), 0.9996, 1.0, false);
        assert!(!near.met);
        assert!(
            near.line().contains(": 0.9996x (goal at least 1.00x)"),
            "{}",
            near.line()
        );
        let over = Target::new("matmul".into(), 1.0004, 1.0, true);
        assert!(
            over.line().contains(": 1.0004x (goal at most"),
            "{}",
            over.line()
        );
        // Apart from the goal, or on it, the short form.
        assert!(
            Target::new("a".into(), 0.93, 1.0, false)
                .line()
                .contains(": 0.93x (")
        );
        assert!(
            Target::new("b".into(), 1.0, 1.0, false)
                .line()
                .contains(": 1.00x (")
        );
        let rate = Unit::PerSecond;
        assert_eq!(rate.format_apart(3.9996e9, 4e9), "3.9996e9 /s");
    }

    #[test]
    fn a_miss_at_a_measured_bound_says_so_and_is_counted() {
        let w = "count > 0 f64 4x4x4";
        let read = row("read/parallel", w, "stream read", 1.00);
        let ours = row("count/parallel", w, "fixed-order chunks", 1.03);
        let peer = row("python/count", w, "numba prange", 1.00);
        // Both within 5% of the read: a tie at the limit.
        let bound = tie_at_limit(&ours, &peer, &read, "the read pass");
        let why = bound.clone().expect("both at the read");
        assert!(
            why.contains("0.97x") && why.contains("numba prange's 1.00x"),
            "{why}"
        );
        let slow = row("count/parallel", w, "fixed-order chunks", 1.10);
        assert_eq!(tie_at_limit(&slow, &peer, &read, "the read pass"), None);
        // A peer well past the reference: it was no limit, no tie.
        let fast = row("python/count", w, "numpy", 0.75);
        assert_eq!(tie_at_limit(&ours, &fast, &read, "the read pass"), None);
        let missed = Target::new("count".into(), 0.97, 1.0, false).explained_by(bound.clone());
        assert!(missed.line().starts_with("MISSED") && missed.line().contains(&why));
        // A bound is only named for a miss.
        let met = Target::new("sum".into(), 1.2, 1.0, false).explained_by(bound);
        assert!(!met.line().contains("bound"), "{}", met.line());
        let plain = Target::new("max".into(), 0.5, 1.0, false);
        let summary = missed_summary(&[missed, met, plain]).unwrap();
        assert!(
            summary.starts_with("2 of 3 targets missed, 1 of them"),
            "{summary}"
        );
        assert_eq!(missed_summary(&[]), None);
    }

    #[test]
    fn targets_print_in_the_tables_units_and_small_runs_are_not_judged() {
        let mut add = row(add::ADD_PARALLEL, "add_scalar f64 4x4x4", "rayon", 1.0);
        let mut copy = row(
            add::STREAM_COPY,
            "add_scalar f64 4x4x4",
            "stream copy",
            0.95,
        );
        let mut pi = row(
            pi::PI_PARALLEL,
            "monte carlo pi 3.3e7 samples",
            "philox",
            0.5,
        );
        (add.samples, copy.samples) = (None, None);
        // 16 MiB arrays, 3.3e7 samples: a quick run's sizes.
        (add.bytes, copy.bytes) = (Some(32 << 20), Some(32 << 20));
        pi.samples = Some(33_000_000);
        let t = evaluate(&[add.clone(), copy.clone(), pi.clone()]);
        assert_eq!(
            t[0].line(),
            "n/a    parallel add_scalar / stream copy bandwidth (add_scalar f64 4x4x4): 0.95x \
             (goal at least 0.90x); too small to judge: arrays of 16.00 MiB are under 64.00 MiB: \
             cache, not memory"
        );
        assert_eq!(t[2].unit, Unit::PerSecond);
        assert!(
            t[2].line().starts_with(
                "n/a    parallel Monte Carlo samples/s (monte carlo pi 3.3e7 samples): 6.60e7 /s \
                 (goal at least 1.00e9 /s); too small to judge: 3.3e7 samples"
            ),
            "{}",
            t[2].line()
        );
        let summary = unjudged_summary(&t).unwrap();
        assert!(
            summary.starts_with("3 of 3 targets not judged"),
            "{summary}"
        );
        // The blog's sizes are judged.
        (add.bytes, copy.bytes) = (Some(8 << 30), Some(8 << 30));
        pi.samples = Some(1_000_000_000);
        let t = evaluate(&[add, copy, pi]);
        assert!(t.iter().all(|t| t.too_small.is_none()));
        assert!(
            t[0].line().starts_with("met    parallel add_scalar"),
            "{}",
            t[0].line()
        );
        assert!(
            t[2].line()
                .contains(": 2.00e9 /s (goal at least 1.00e9 /s)"),
            "{}",
            t[2].line()
        );
        assert_eq!(unjudged_summary(&t), None);
    }

    #[test]
    fn python_rows_are_found_by_workload_and_form_whatever_the_versions() {
        let add_w = "add_scalar f64 4x4x4";
        let pi_w = "monte carlo pi 1e9 samples";
        let py = |workload: &str, form: &str, secs: f64| {
            let id = row_id(&[
                "python",
                workload,
                "python 3.12.1, numba 0.99 (2 threads)",
                form,
            ]);
            row(&id, workload, form, secs)
        };
        let rows = vec![
            row(add::ADD_PARALLEL, add_w, "rayon", 1.0),
            row(add::ADD_SERIAL_STREAMING, add_w, "streaming", 2.0),
            row(pi::PI_PARALLEL, pi_w, "philox", 0.5),
            py(add_w, "numba prange", 1.5),
            py(add_w, "numpy add(out=)", 2.5),
            // Another workload's prange row must not be taken for this one.
            py("add_scalar f64 8x8x8", "numba prange", 100.0),
            py(pi_w, "numba prange, np.random", 10.0),
        ];
        let t = evaluate(&rows);
        let get = |prefix: &str| t.iter().find(|t| t.name.starts_with(prefix)).unwrap();
        let prange = get("parallel add_scalar speedup over Numba prange");
        assert!((prange.measured - 1.5).abs() < 1e-12 && prange.met);
        let numpy = get("serial add_scalar (streaming stores) speedup");
        assert!((numpy.measured - 1.25).abs() < 1e-12 && !numpy.met);
        let mc = get("parallel Monte Carlo speedup over Numba");
        assert!((mc.measured - 20.0).abs() < 1e-12 && !mc.met);
    }
}
