//! Choosing where a kernel runs.

use hotloop_cpu::parallel::{Pool, max_threads};
use hotloop_runtime::{Error, LaunchConfig, Result};
use std::fmt;
use std::num::NonZeroUsize;

/// Where a kernel runs. A plain value: cheap to copy, compare and print;
/// resources behind it (thread pools) are created on first use and shared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// One thread, compiled loops (the `@jit` rows).
    Serial,
    /// Over rayon workers (the `parallel=True` / `prange` rows): the
    /// current rayon pool, or a pool of exactly `threads` workers.
    Parallel {
        /// `None`: the current rayon pool, the global one or the one the
        /// caller runs in (`ThreadPool::install`), so an application that
        /// uses rayon shares its threads; `Some(n)`: a pool of `n` workers
        /// of hotloop's own.
        threads: Option<NonZeroUsize>,
    },
    /// The CUDA simulator: the GPU kernels' per-thread bodies over a
    /// simulated grid on the CPU (Numba's `NUMBA_ENABLE_CUDASIM`). Always
    /// available.
    Simulator {
        /// The launch shape; `None`: the simulator's default for the work.
        launch: Option<LaunchConfig>,
    },
    /// A CUDA GPU (the `@cuda.jit` rows): data is copied to the device, the
    /// kernel runs there, results are copied back.
    Cuda {
        /// The device ordinal.
        device: usize,
        /// The launch shape; `None`: the device's default for the work.
        launch: Option<LaunchConfig>,
    },
}

impl Backend {
    /// The parallel backend on the current rayon pool: rayon's global pool
    /// (one worker per core unless `RAYON_NUM_THREADS` or the application
    /// said otherwise), or, inside `pool.install(|| ...)`, the caller's
    /// `pool`: that is how to run hotloop on a pool of your own.
    ///
    /// ```
    /// use hotloop::{Backend, sum};
    /// let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
    /// let x = ndarray::Array1::from_elem(1 << 20, 0.5f64);
    /// // Runs on `pool`'s three workers; no thread of hotloop's own starts.
    /// let total = pool.install(|| sum(Backend::parallel(), &x))?;
    /// assert_eq!(total, (1 << 19) as f64);
    /// # Ok::<(), hotloop::Error>(())
    /// ```
    pub const fn parallel() -> Self {
        Backend::Parallel { threads: None }
    }

    /// The parallel backend with exactly `threads` workers: an
    /// [`Error::Threads`] for zero, or for more than
    /// [`hotloop_cpu::parallel::max_threads`] (four per core, at least 64).
    /// Pools of a few distinct sizes are kept between calls
    /// ([`hotloop_cpu::parallel::POOL_CACHE`]); asking for others starts
    /// new ones and lets the least recently used go.
    pub fn parallel_with_threads(threads: usize) -> Result<Self> {
        let limit = max_threads();
        if threads > limit {
            return Err(Error::Threads(format!(
                "{threads} threads exceeds the limit of {limit} (4 per core, at least 64)"
            )));
        }
        NonZeroUsize::new(threads)
            .map(|t| Backend::Parallel { threads: Some(t) })
            .ok_or_else(|| Error::Threads("a parallel backend needs at least one thread".into()))
    }

    /// The simulator with its default launch shapes.
    pub const fn simulator() -> Self {
        Backend::Simulator { launch: None }
    }

    /// The simulator with the launch `blocks x threads_per_block`;
    /// [`Error::InvalidLaunch`] if a GPU would refuse it.
    pub fn simulator_with(blocks: u32, threads_per_block: u32) -> Result<Self> {
        Ok(Backend::Simulator {
            launch: Some(LaunchConfig::new(blocks, threads_per_block)?),
        })
    }

    /// CUDA device 0 with its default launch shapes. Whether it can run is
    /// checked when it is used (or by [`available`]).
    pub const fn cuda() -> Self {
        Backend::Cuda {
            device: 0,
            launch: None,
        }
    }

    /// Short stable name, as used on the command line and in tables.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Serial => "serial",
            Backend::Parallel { .. } => "parallel",
            Backend::Simulator { .. } => "simulator",
            Backend::Cuda { .. } => "cuda",
        }
    }

    /// The launch a grid backend (simulator, CUDA) uses for a kernel over
    /// `work_items` items (elements; Philox blocks, half the samples, for
    /// Monte Carlo); `None` for the CPU backends. For CUDA the default
    /// depends on the device, which is opened to find it.
    pub fn launch_for(&self, work_items: u64) -> Result<Option<LaunchConfig>> {
        #[cfg(not(any(feature = "sim", feature = "cuda")))]
        let _ = work_items;
        Ok(match *self {
            Backend::Serial | Backend::Parallel { .. } => None,
            #[cfg(feature = "sim")]
            Backend::Simulator { launch } => {
                Some(launch.unwrap_or_else(|| hotloop_sim::default_launch(work_items)))
            }
            #[cfg(feature = "cuda")]
            Backend::Cuda { device, launch } => Some(match launch {
                Some(l) => l,
                None => Self::cuda_device(device, None)?.default_launch(work_items),
            }),
            #[allow(unreachable_patterns)]
            other => return Err(not_built(other)),
        })
    }

    /// The worker pool of a parallel backend.
    pub(crate) fn pool(threads: Option<NonZeroUsize>) -> Result<Pool> {
        Pool::get(threads)
    }

    /// The opened CUDA device, or [`Error::BackendUnavailable`] with the
    /// reason. An explicit `launch` is validated first, so a bad launch is
    /// [`Error::InvalidLaunch`] whether or not a GPU is present.
    #[cfg(feature = "cuda")]
    pub(crate) fn cuda_device(
        device: usize,
        launch: Option<LaunchConfig>,
    ) -> Result<std::sync::Arc<hotloop_cuda::Device>> {
        if let Some(l) = launch {
            l.validate()?;
        }
        hotloop_cuda::device(device)
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Backend::Serial => f.write_str("serial"),
            Backend::Parallel { threads: Some(t) } => write!(f, "parallel ({t} threads)"),
            Backend::Parallel { threads: None } => {
                write!(f, "parallel ({} threads)", rayon::current_num_threads())
            }
            Backend::Simulator { launch: Some(l) } => write!(f, "simulator ({l})"),
            Backend::Simulator { launch: None } => f.write_str("simulator (default launch)"),
            Backend::Cuda {
                device,
                launch: Some(l),
            } => write!(f, "cuda:{device} ({l})"),
            Backend::Cuda {
                device,
                launch: None,
            } => write!(f, "cuda:{device} (default launch)"),
        }
    }
}

/// `serial: available`, or `cuda:0 (default launch): unavailable: <why>`.
impl fmt::Display for BackendStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.availability {
            Ok(()) => write!(f, "{}: available", self.backend),
            Err(why) => write!(f, "{}: unavailable: {why}", self.backend),
        }
    }
}

/// The feature a backend needs, `None` for those always built.
const fn feature_of(backend: &Backend) -> Option<&'static str> {
    match backend {
        Backend::Serial | Backend::Parallel { .. } => None,
        Backend::Simulator { .. } => Some("sim"),
        Backend::Cuda { .. } => Some("cuda"),
    }
}

/// Whether this build of hotloop has `backend` ([`feature_of`]).
fn built(backend: &Backend) -> bool {
    match feature_of(backend) {
        None => true,
        Some("sim") => cfg!(feature = "sim"),
        Some(_) => cfg!(feature = "cuda"),
    }
}

/// [`Error::BackendUnavailable`] for a backend this build left out.
pub(crate) fn not_built(backend: Backend) -> Error {
    Error::BackendUnavailable {
        backend: backend.name(),
        reason: format!(
            "hotloop was built without its `{}` feature; enable it in Cargo.toml \
             (hotloop = {{ version = \"...\", features = [\"{0}\"] }})",
            feature_of(&backend).unwrap_or("default")
        ),
    }
}

/// Whether a backend can run here, and why not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackendStatus {
    /// The backend (with its default configuration).
    pub backend: Backend,
    /// `Ok` if it can run; otherwise the reason, in words a user can act on.
    pub availability: std::result::Result<(), String>,
}

impl BackendStatus {
    /// Whether the backend can run here.
    pub fn is_available(&self) -> bool {
        self.availability.is_ok()
    }
}

/// Every backend hotloop knows, each with whether this machine can run it.
/// The CPU backends always can, and the simulator wherever it was built
/// (feature `sim`, on by default); CUDA device 0 is probed (driver library,
/// device, driver version, PTX), and the reason is given when it cannot or
/// when this build left it out (feature `cuda`).
pub fn available() -> Vec<BackendStatus> {
    vec![
        BackendStatus {
            backend: Backend::Serial,
            availability: Ok(()),
        },
        BackendStatus {
            backend: Backend::parallel(),
            availability: Ok(()),
        },
        BackendStatus {
            backend: Backend::simulator(),
            availability: status_if_built(Backend::simulator(), || Ok(())),
        },
        BackendStatus {
            backend: Backend::cuda(),
            availability: status_if_built(Backend::cuda(), || {
                #[cfg(feature = "cuda")]
                return hotloop_cuda::availability(0);
                #[cfg(not(feature = "cuda"))]
                unreachable!("only called for a built backend")
            }),
        },
    ]
}

/// `probe()` for a backend this build has; why not for one it left out.
fn status_if_built(
    backend: Backend,
    probe: impl FnOnce() -> std::result::Result<(), String>,
) -> std::result::Result<(), String> {
    if built(&backend) {
        probe()
    } else {
        Err(not_built(backend).to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backends_left_out_of_the_build_are_errors_naming_the_feature() {
        let e = not_built(Backend::cuda());
        assert!(
            matches!(&e, Error::BackendUnavailable { backend: "cuda", reason } if reason.contains("`cuda` feature")),
            "{e}"
        );
        let sim = available()
            .into_iter()
            .find(|s| s.backend == Backend::simulator())
            .unwrap();
        assert_eq!(sim.is_available(), cfg!(feature = "sim"));
        match crate::sum_slice(Backend::simulator(), &[1.0f64, 2.0]) {
            Ok(v) => assert!(cfg!(feature = "sim") && v == 3.0),
            Err(e) => assert!(
                !cfg!(feature = "sim") && e.to_string().contains("`sim` feature"),
                "{e}"
            ),
        }
    }

    #[test]
    fn zero_threads_is_an_error() {
        assert!(matches!(
            Backend::parallel_with_threads(0),
            Err(Error::Threads(_))
        ));
        assert_eq!(
            Backend::parallel_with_threads(3).unwrap().to_string(),
            "parallel (3 threads)"
        );
    }

    #[test]
    fn thread_counts_beyond_the_limit_are_errors_not_minutes_of_start_up() {
        for n in [max_threads() + 1, 30_000, usize::MAX] {
            let e = Backend::parallel_with_threads(n).unwrap_err();
            assert!(
                matches!(&e, Error::Threads(m) if m.contains("limit")),
                "{e}"
            );
            // Built by hand, it is refused where it is used.
            let b = Backend::Parallel {
                threads: NonZeroUsize::new(n),
            };
            let e = crate::sum_slice(b, &[1.0f64]).unwrap_err();
            assert!(matches!(e, Error::Threads(_)), "{e}");
        }
    }

    #[test]
    fn grid_backends_print_their_launch() {
        assert_eq!(
            Backend::simulator_with(3, 7).unwrap().to_string(),
            "simulator (3x7)"
        );
        assert_eq!(
            Backend::simulator().to_string(),
            "simulator (default launch)"
        );
        assert_eq!(Backend::cuda().to_string(), "cuda:0 (default launch)");
        assert!(matches!(
            Backend::simulator_with(1, 2048),
            Err(Error::InvalidLaunch(_))
        ));
        assert_eq!(Backend::Serial.launch_for(10).unwrap(), None);
        #[cfg(feature = "sim")]
        assert_eq!(
            Backend::simulator().launch_for(1000).unwrap(),
            Some(LaunchConfig::new(4, 256).unwrap())
        );
    }

    #[test]
    fn cpu_backends_are_always_available_and_the_simulator_where_built() {
        let all = available();
        assert!(
            all.iter()
                .any(|s| s.backend == Backend::Serial && s.is_available())
        );
        assert!(
            all.iter()
                .any(|s| s.backend == Backend::parallel() && s.is_available())
        );
        assert!(all.iter().any(
            |s| s.backend == Backend::simulator() && s.is_available() == cfg!(feature = "sim")
        ));
        let cuda = all.iter().find(|s| s.backend == Backend::cuda()).unwrap();
        if let Err(why) = &cuda.availability {
            assert!(!why.is_empty());
            assert!(cuda.to_string().ends_with(&format!("unavailable: {why}")));
        }
        assert_eq!(all[0].to_string(), "serial: available");
    }
}
