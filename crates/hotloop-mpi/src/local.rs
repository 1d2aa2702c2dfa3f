//! The backend each rank runs its share on.

use hotloop_cpu::pool::Pool;
use hotloop_runtime::Result;
use std::num::NonZeroUsize;

/// How one rank computes its share: on the calling thread, or over a rayon
/// pool of hotloop's CPU backend. Either gives the same bits; the choice is
/// how many of a host's cores each rank uses (one rank per core with
/// [`Local::Serial`], or one rank per host with [`Local::Parallel`]).
#[derive(Clone, Debug)]
pub enum Local {
    /// One thread.
    Serial,
    /// A rayon pool.
    Parallel(Pool),
}

impl Local {
    /// A pool of `threads` (`None`: hotloop's default, one per core).
    pub fn parallel(threads: Option<NonZeroUsize>) -> Result<Local> {
        Pool::get(threads).map(Local::Parallel)
    }

    /// Threads this backend runs on.
    pub fn threads(&self) -> usize {
        match self {
            Local::Serial => 1,
            Local::Parallel(pool) => pool.threads(),
        }
    }
}
