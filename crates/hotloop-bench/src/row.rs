//! One line of the comparison table.

use crate::measure::Timings;
use serde::Serialize;

/// Whether a row's answer was right.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "status", content = "detail", rename_all = "snake_case")]
pub enum Check {
    /// Matched the reference.
    Passed,
    /// Did not; what was wrong.
    Failed(String),
}

impl Check {
    /// The table's mark.
    pub fn mark(&self) -> &'static str {
        match self {
            Check::Passed => "✓",
            Check::Failed(_) => "✗",
        }
    }
}

/// One measured row.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
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
    /// Memory throughput of the median call, GB/s (10^9 bytes).
    pub fn gb_per_s(&self) -> Option<f64> {
        self.bytes.map(|b| b as f64 / self.timings.median() / 1e9)
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
