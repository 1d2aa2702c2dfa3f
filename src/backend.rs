//! Choosing where a kernel runs.

use hotloop_cpu::parallel::{Pool, default_threads};
use hotloop_runtime::{Error, Result};
use std::fmt;
use std::num::NonZeroUsize;

/// Where a kernel runs. A plain value: cheap to copy, compare and print;
/// resources behind it (thread pools) are created on first use and shared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// One thread, compiled loops (the `@jit` rows).
    Serial,
    /// A rayon pool of `threads` workers, `None` meaning one per core (the
    /// `parallel=True` / `prange` rows).
    Parallel {
        /// Worker count; `None`: all cores.
        threads: Option<NonZeroUsize>,
    },
}

impl Backend {
    /// The parallel backend on all cores.
    pub const fn parallel() -> Self {
        Backend::Parallel { threads: None }
    }

    /// The parallel backend with exactly `threads` workers; zero is an error.
    pub fn parallel_with_threads(threads: usize) -> Result<Self> {
        NonZeroUsize::new(threads)
            .map(|t| Backend::Parallel { threads: Some(t) })
            .ok_or_else(|| Error::Threads("a parallel backend needs at least one thread".into()))
    }

    /// Short stable name, as used on the command line and in tables.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Serial => "serial",
            Backend::Parallel { .. } => "parallel",
        }
    }

    /// The worker pool of a parallel backend.
    pub(crate) fn pool(threads: Option<NonZeroUsize>) -> Result<Pool> {
        Pool::get(threads)
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Backend::Serial => f.write_str("serial"),
            Backend::Parallel { threads: Some(t) } => write!(f, "parallel ({t} threads)"),
            Backend::Parallel { threads: None } => {
                write!(f, "parallel ({} threads)", default_threads())
            }
        }
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
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn cpu_backends_are_always_available() {
        let all = available();
        assert!(
            all.iter()
                .any(|s| s.backend == Backend::Serial && s.is_available())
        );
        assert!(
            all.iter()
                .any(|s| s.backend == Backend::parallel() && s.is_available())
        );
    }
}
