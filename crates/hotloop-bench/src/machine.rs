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
    /// The GPU, or why there is none to use.
    pub gpu: Gpu,
    /// The Python rows' interpreter and packages, when they ran.
    pub python: Option<String>,
    /// The parallel backend's workers, and whether they are bound to CPUs.
    pub workers: String,
}

/// The CUDA device the suite used, or the reason it could not.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Gpu {
    /// Device 0.
    Present {
        /// Its name.
        name: String,
        /// Compute capability, "9.0".
        compute_capability: String,
        /// Device memory, bytes.
        memory_bytes: u64,
        /// CUDA version the driver supports, "12.8".
        driver_cuda_version: String,
        /// The PTX module loaded ("sm_90").
        ptx_arch: String,
    },
    /// Why the CUDA backend is unavailable.
    Unavailable(String),
}

impl Gpu {
    /// Probes CUDA device 0.
    pub fn detect() -> Self {
        match hotloop_cuda::device(0) {
            Ok(dev) => {
                let i = dev.info();
                Gpu::Present {
                    name: i.name.clone(),
                    compute_capability: format!(
                        "{}.{}",
                        i.compute_capability.0, i.compute_capability.1
                    ),
                    memory_bytes: i.total_memory,
                    driver_cuda_version: format!("{}.{}", i.driver_version.0, i.driver_version.1),
                    ptx_arch: i.ptx_arch.to_string(),
                }
            }
            Err(e) => Gpu::Unavailable(e.to_string()),
        }
    }
}

impl Machine {
    /// Reads the machine's description, and how the parallel rows run
    /// there: on the pool [`crate::config::Config::start_pool`] started,
    /// `bound` or not.
    pub fn detect(bound: bool) -> Self {
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
            memory_bytes: hotloop_runtime::memory::total_bytes(),
            os: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
            rustc: option_env!("HOTLOOP_RUSTC_VERSION")
                .unwrap_or("unknown")
                .to_string(),
            gpu: Gpu::detect(),
            python: None,
            workers: format!(
                "{} workers, {}",
                rayon::current_num_threads(),
                if bound {
                    "each bound to one CPU, as the Python peers' OpenMP threads are"
                } else {
                    "free to move between CPUs (--no-bind)"
                }
            ),
        }
    }

    /// One line for the table's heading.
    pub fn summary(&self) -> String {
        let mem = self.memory_bytes.map_or("? GiB".into(), |b| {
            format!("{:.0} GiB", b as f64 / (1u64 << 30) as f64)
        });
        let gpu = match &self.gpu {
            Gpu::Present {
                name,
                driver_cuda_version,
                ..
            } => {
                format!(", GPU {name} (driver CUDA {driver_cuda_version})")
            }
            Gpu::Unavailable(_) => ", no usable GPU".into(),
        };
        format!(
            "{}, {} cores, {mem}, {}{gpu}; parallel backend: {}",
            self.cpu, self.cores, self.os, self.workers
        )
    }
}
