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
    /// Anything the reader must know to read the row right.
    pub note: Option<String>,
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
