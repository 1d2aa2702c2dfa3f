//! One line of the comparison table.

use crate::measure::Timings;
use serde::Serialize;

/// Whether a row's answer was right. A row starts [`Check::NotRun`] and
/// says ✓ only once its answer was compared with a reference.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(tag = "status", content = "detail", rename_all = "snake_case")]
pub enum Check {
    /// Not compared with anything (a bandwidth reference has no answer).
    #[default]
    NotRun,
    /// Matched the reference.
    Passed,
    /// Did not; what was wrong.
    Failed(String),
}

impl Check {
    /// The table's mark.
    pub fn mark(&self) -> &'static str {
        match self {
            Check::NotRun => "–",
            Check::Passed => "✓",
            Check::Failed(_) => "✗",
        }
    }
}

/// A row's id from its parts (`row_id(&["add_scalar", "parallel",
/// "rayon"])` is `add_scalar/parallel/rayon`): what the targets and the
/// report find rows by, whatever their labels say. Parts are lowercased,
/// anything but letters and digits an underscore.
pub fn row_id(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| {
            p.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_lowercase()
                    } else {
                        '_'
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// One measured row.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// What the row is, stable across label changes ([`row_id`]); rows of
    /// one kind at several sizes share it.
    pub id: String,
    /// Workload and size ("add_scalar f64 1024x1024x512").
    pub workload: String,
    /// Backend ("serial", "parallel (2 threads)", ...).
    pub backend: String,
    /// Loop form or variant ("blog-order", "vectorized", ...).
    pub form: String,
    /// The times.
    pub timings: Timings,
    /// Bytes a call must move (reads + writes), for memory-bound rows.
    pub bytes: Option<u64>,
    /// Samples per call, for Monte Carlo rows.
    pub samples: Option<u64>,
    /// The speedup baseline of its workload.
    pub baseline: bool,
    /// Right or wrong.
    pub check: Check,
    /// Compile time inside the first call (Numba's JIT), when known.
    pub compile_s: Option<f64>,
    /// A GPU row's breakdown (medians over the repeats).
    pub gpu: Option<GpuBreakdown>,
    /// Anything the reader must know to read the row right.
    pub note: Option<String>,
}

/// Where a GPU call's time went, each the median over the repeats, in
/// seconds. The row's own timings are the kernel alone (CUDA events, read
/// after a synchronize).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct GpuBreakdown {
    /// Host-to-device copies.
    pub host_to_device_s: f64,
    /// The kernel.
    pub kernel_s: f64,
    /// Device-to-host copies.
    pub device_to_host_s: f64,
    /// The whole call, wall-clock (allocation, copies, kernel, frees).
    pub total_s: f64,
    /// The one-time PTX module load of this process.
    pub module_load_s: f64,
}

impl Row {
    /// A row with its id and labels and the times, [`Check::NotRun`] until
    /// its answer is checked, without bytes, samples or notes.
    pub fn new(
        id: String,
        workload: impl Into<String>,
        backend: impl Into<String>,
        form: impl Into<String>,
        timings: Timings,
    ) -> Self {
        Self {
            id,
            workload: workload.into(),
            backend: backend.into(),
            form: form.into(),
            timings,
            bytes: None,
            samples: None,
            baseline: false,
            check: Check::NotRun,
            compile_s: None,
            gpu: None,
            note: None,
        }
    }

    /// Memory throughput of the median call, GB/s (10^9 bytes).
    /// None for a row measured on part of its size and extrapolated: that
    /// part (the simulator's) fits in the cache, so a bandwidth from it
    /// would be the cache's, above the memory-bound rows beside it.
    pub fn gb_per_s(&self) -> Option<f64> {
        if self.is_extrapolated() {
            return None;
        }
        self.bytes.map(|b| b as f64 / self.timings.median() / 1e9)
    }

    /// Whether it was measured on part of its size and extrapolated (its
    /// note says so, [`crate::workloads::common::extrapolation_note`]).
    pub fn is_extrapolated(&self) -> bool {
        self.note
            .as_deref()
            .is_some_and(|n| n.contains("extrapolated"))
    }

    /// Samples per second of the median call.
    pub fn samples_per_s(&self) -> Option<f64> {
        self.samples.map(|s| s as f64 / self.timings.median())
    }
}

/// A duration with a unit that keeps three significant figures.
pub fn fmt_time(s: f64) -> String {
    if !s.is_finite() {
        "-".into()
    } else if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 1e-3 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{:.1} µs", s * 1e6)
    }
}
