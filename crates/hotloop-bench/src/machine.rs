//! A description of the machine the suite ran on, for the report.

use serde::Serialize;

/// What the results were measured on.
#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    /// CPU model name.
    pub cpu: String,
    /// Logical cores this process may use.
    pub cores: usize,
    /// Total memory, bytes.
    pub memory_bytes: Option<u64>,
    /// Operating system and architecture.
    pub os: String,
    /// rustc that built the suite.
    pub rustc: String,
}

impl Machine {
    /// Reads the machine's description.
    pub fn detect() -> Self {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|t| {
                t.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split(':').nth(1))
                    .map(|s| s.trim().to_string())
            })
            .unwrap_or_else(|| "unknown".into());
        Self {
            cpu,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory_bytes: hotloop::crates::runtime::memory::total_bytes(),
            os: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
            rustc: option_env!("HOTLOOP_RUSTC_VERSION")
                .unwrap_or("unknown")
                .to_string(),
        }
    }

    /// One line for the table's heading.
    pub fn summary(&self) -> String {
        let mem = self.memory_bytes.map_or("? GiB".into(), |b| {
            format!("{:.0} GiB", b as f64 / (1u64 << 30) as f64)
        });
        format!("{}, {} cores, {mem}, {}", self.cpu, self.cores, self.os)
    }
}
