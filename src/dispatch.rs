//! The one place the facade turns a [`Backend`](crate::Backend) into what
//! runs the kernels: a [`Runtime`](hotloop_runtime::Runtime), which serial,
//! parallel, the simulator and CUDA each implement. A facade function checks
//! its arguments, then makes one call through [`with_runtime!`].

/// Evaluates `$body` with `$rt` bound to `$backend`'s runtime (a generic
/// closure, which Rust has no other way to write): a thread pool is taken
/// from the cache, an explicit launch is validated, a CUDA device is opened
/// only when the op can run there.
macro_rules! with_runtime {
    ($backend:expr, |$rt:ident| $body:expr) => {{
        #[allow(unused_imports)]
        use hotloop_runtime::Runtime as _;
        match $backend {
            $crate::Backend::Serial => {
                let $rt = &hotloop_cpu::runtime::Serial;
                $body
            }
            $crate::Backend::Parallel { threads } => {
                let $rt = &hotloop_cpu::runtime::Parallel::new($crate::Backend::pool(threads)?);
                $body
            }
            #[cfg(feature = "sim")]
            $crate::Backend::Simulator { launch } => {
                let $rt = &hotloop_sim::Sim { launch };
                $body
            }
            #[cfg(feature = "cuda")]
            $crate::Backend::Cuda { device, launch } => {
                let $rt = &hotloop_cuda::Cuda::new(device, launch)?;
                $body
            }
            #[allow(unreachable_patterns)]
            other => return Err($crate::backend::not_built(other)),
        }
    }};
}

pub(crate) use with_runtime;
