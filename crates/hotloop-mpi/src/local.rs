//! The backend each rank runs its share on.

#[cfg(feature = "cuda")]
use crate::World;
use hotloop_cpu::pool::Pool;
#[cfg(any(feature = "sim", feature = "cuda"))]
use hotloop_runtime::LaunchConfig;
use hotloop_runtime::Result;
use std::num::NonZeroUsize;

/// How one rank computes its share: on the calling thread, over a rayon
/// pool of hotloop's CPU backend, on the CUDA simulator or on a GPU. Each
/// gives the same bits (every backend does); the choice is how a host's
/// cores and GPUs are shared among its ranks: one rank per core with
/// [`Local::Serial`], one rank per host with [`Local::Parallel`], one rank
/// per GPU with [`Local::cuda`].
#[derive(Clone, Debug)]
pub enum Local {
    /// One thread.
    Serial,
    /// A rayon pool.
    Parallel(Pool),
    /// The CUDA simulator (the kernels' bodies over a simulated grid, on
    /// the rank's cores): to check a GPU job's answers on a machine
    /// without a GPU.
    #[cfg(feature = "sim")]
    Simulator(hotloop_sim::Sim),
    /// A CUDA device of the rank's host ([`Local::cuda`] picks it).
    #[cfg(feature = "cuda")]
    Cuda(hotloop_cuda::Cuda),
}

impl Local {
    /// A pool of `threads` (`None`: hotloop's default, one per core).
    pub fn parallel(threads: Option<NonZeroUsize>) -> Result<Local> {
        Pool::get(threads).map(Local::Parallel)
    }

    /// The CUDA simulator at `launch` (`None`: its default for each
    /// operation's work); a launch a GPU would refuse is an
    /// `Error::InvalidLaunch` now.
    #[cfg(feature = "sim")]
    pub fn simulator(launch: Option<LaunchConfig>) -> Result<Local> {
        if let Some(l) = launch {
            l.validate()?;
        }
        Ok(Local::Simulator(hotloop_sim::Sim { launch }))
    }

    /// This rank's GPU (collective): device `r mod n`, where `r` is the
    /// rank's number among the ranks on its host (MPI's shared-memory
    /// split) and `n` the number of CUDA devices there, opened and
    /// self-tested now, so that ranks sharing a host spread over its GPUs.
    /// A rank whose host has no usable GPU fails on every rank
    /// (`Error::BackendUnavailable` there, `Error::RemoteRank` elsewhere),
    /// before any work.
    #[cfg(feature = "cuda")]
    pub fn cuda(world: &World, launch: Option<LaunchConfig>) -> Result<Local> {
        use mpi::traits::Communicator;
        let host = world.communicator().split_shared(world.rank() as i32);
        let host_rank = host.rank() as usize;
        let chosen = hotloop_cuda::device_count().and_then(|n| {
            let cuda = hotloop_cuda::Cuda::new(host_rank % n, launch)?;
            cuda.device()?;
            Ok(cuda)
        });
        world.agree(chosen).map(Local::Cuda)
    }

    /// Threads this backend runs its loops on (one for a GPU: the host
    /// thread that drives it).
    pub fn threads(&self) -> usize {
        match self {
            Local::Serial => 1,
            Local::Parallel(pool) => pool.threads(),
            #[cfg(feature = "sim")]
            Local::Simulator(_) => rayon::current_num_threads(),
            #[cfg(feature = "cuda")]
            Local::Cuda(_) => 1,
        }
    }

    /// What it is, in a table: `serial`, `2 threads`, `simulator`,
    /// `cuda:0`.
    pub fn name(&self) -> String {
        match self {
            Local::Serial => "serial".into(),
            Local::Parallel(pool) => format!("{} threads", pool.threads()),
            #[cfg(feature = "sim")]
            Local::Simulator(_) => "simulator".into(),
            #[cfg(feature = "cuda")]
            Local::Cuda(c) => format!("cuda:{}", c.ordinal()),
        }
    }
}

/// `$body` with `$rt` bound to `$local`'s `hotloop_runtime::Runtime`: the
/// one match on the backend for the operations that go through the trait.
macro_rules! with_runtime {
    ($local:expr, |$rt:ident| $body:expr) => {
        match $local {
            $crate::Local::Serial => {
                let $rt = &hotloop_cpu::runtime::Serial;
                $body
            }
            $crate::Local::Parallel(pool) => {
                let $rt = &hotloop_cpu::runtime::Parallel::new(pool.clone());
                $body
            }
            #[cfg(feature = "sim")]
            $crate::Local::Simulator(sim) => {
                let $rt = sim;
                $body
            }
            #[cfg(feature = "cuda")]
            $crate::Local::Cuda(cuda) => {
                let $rt = cuda;
                $body
            }
        }
    };
}
pub(crate) use with_runtime;
