//! rayon-parallel forms: the `prange` rows.
//!
//! Work is cut into fixed-size chunks independent of the thread count, so
//! the results (including floating-point sums) do not depend on it.

use crate::store::{StoreMode, add_scalar_streaming};
use hotloop_core::Real;
use hotloop_core::elementwise::{add_scalar_slice, add_scalar_slice_in_place};
use hotloop_core::reduce::{MinValue, SUM_CHUNK, canonical_nan, sum_chunk_tree};
use hotloop_runtime::{Error, Result};
use rayon::prelude::*;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, OnceLock};

/// Elements per task of the element-wise kernels: large enough that rayon's
/// per-task cost vanishes, small enough to balance 2 to 100+ threads.
pub const ELEMENTWISE_CHUNK: usize = 1 << 16;

/// Pools of distinct sizes kept alive between calls. A call asking for a
/// size not among them starts a pool and evicts the least recently used;
/// an evicted pool's threads exit once the calls still using it finish. So
/// however many sizes a program asks for, at most this many pools (and
/// `POOL_CACHE * max_threads()` threads) outlive the calls that use them.
pub const POOL_CACHE: usize = 4;

/// The most workers one pool may have: four per core the OS gives this
/// process, and at least 64. Past the cores more threads only slow a loop
/// down, and each costs a stack and start-up time (rayon starts thousands
/// in seconds, not milliseconds).
pub fn max_threads() -> usize {
    (4 * default_threads()).max(64)
}

/// A rayon pool of a fixed size, shared by every call that asks for that
/// size while it is cached ([`POOL_CACHE`]): building a pool starts
/// threads, a cost paid once per size (the suite reports it as first-call
/// cost).
#[derive(Clone, Debug)]
pub struct Pool {
    pool: Arc<rayon::ThreadPool>,
}

impl Pool {
    /// The pool with `threads` workers (`None`: one per available core);
    /// [`Error::Threads`] beyond [`max_threads`].
    pub fn get(threads: Option<NonZeroUsize>) -> Result<Pool> {
        /// Cached pools by size, the most recently used last.
        type Cache = Vec<(usize, Arc<rayon::ThreadPool>)>;
        static POOLS: OnceLock<Mutex<Cache>> = OnceLock::new();
        let n = threads.map_or_else(default_threads, NonZeroUsize::get);
        let limit = max_threads();
        if n > limit {
            return Err(Error::Threads(format!(
                "{n} threads exceeds the limit of {limit} (4 per core, at least 64); \
                 ask for at most {limit}"
            )));
        }
        let mut pools = POOLS
            .get_or_init(Default::default)
            .lock()
            .map_err(|_| Error::Threads("thread-pool registry poisoned by a panic".into()))?;
        if let Some(i) = pools.iter().position(|(size, _)| *size == n) {
            let entry = pools.remove(i);
            let pool = entry.1.clone();
            pools.push(entry);
            return Ok(Pool { pool });
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .thread_name(move |i| format!("hotloop-{n}-{i}"))
            .build()
            .map_err(|e| Error::Threads(format!("could not start {n} threads: {e}")))?;
        let pool = Arc::new(pool);
        if pools.len() == POOL_CACHE {
            pools.remove(0);
        }
        pools.push((n, pool.clone()));
        Ok(Pool { pool })
    }

    /// Number of worker threads.
    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// Runs `f` inside the pool.
    pub fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        self.pool.install(f)
    }
}

/// One thread per core the OS lets this process use. Cached: asking the OS
/// reads cgroup files, tens of microseconds that a 10 µs kernel would pay
/// on every call.
pub fn default_threads() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| std::thread::available_parallelism().map_or(1, NonZeroUsize::get))
}

/// `out = input + scalar` over the pool.
pub fn add_scalar<T: Real>(pool: &Pool, input: &[T], scalar: T, out: &mut [T], store: StoreMode) {
    debug_assert_eq!(input.len(), out.len());
    let streams = store.streams(size_of_val(out));
    pool.install(|| {
        out.par_chunks_mut(ELEMENTWISE_CHUNK)
            .zip(input.par_chunks(ELEMENTWISE_CHUNK))
            .for_each(|(o, i)| {
                if streams {
                    add_scalar_streaming(i, scalar, o);
                } else {
                    add_scalar_slice(i, scalar, o);
                }
            });
    });
}

/// In-place `data += scalar` over the pool.
pub fn add_scalar_in_place<T: Real>(pool: &Pool, data: &mut [T], scalar: T) {
    pool.install(|| {
        data.par_chunks_mut(ELEMENTWISE_CHUNK)
            .for_each(|d| add_scalar_slice_in_place(d, scalar));
    });
}

/// Chunks below which [`sum`] stops splitting: 64 Ki elements a task.
const SUM_TASK_CHUNKS: usize = 16;

/// Deterministic sum: `hotloop_core::reduce::sum_chunk_tree`'s recursion, its
/// two halves joined on the pool. It splits exactly where the serial one
/// does, so the bits are [`crate::serial::sum`]'s on any thread count, and
/// it needs no scratch.
pub fn sum<T: Real>(pool: &Pool, input: &[T]) -> T {
    fn halves<T: Real>(xs: &[T]) -> T {
        let chunks = xs.len().div_ceil(SUM_CHUNK);
        if chunks <= SUM_TASK_CHUNKS {
            return sum_chunk_tree(xs);
        }
        let (a, b) = xs.split_at(chunks / 2 * SUM_CHUNK);
        let (a, b) = rayon::join(|| halves(a), || halves(b));
        a + b
    }
    canonical_nan(pool.install(|| halves(input)))
}

/// NaN-propagating maximum, `None` for an empty input: per-chunk maxima
/// combined by an order-free combiner, so the same bits as
/// [`crate::serial::max`] (signed zeros and NaNs included; see
/// [`crate::reductions`]).
pub fn max<T: Real + MinValue>(pool: &Pool, input: &[T]) -> Option<T> {
    crate::reductions::parallel::max(pool, input)
}

/// Copies `src` to `dst` over the pool with streaming stores: the suite's
/// STREAM-style bandwidth probe.
pub fn copy_streaming<T: Copy + Send + Sync>(pool: &Pool, src: &[T], dst: &mut [T]) {
    pool.install(|| {
        dst.par_chunks_mut(ELEMENTWISE_CHUNK)
            .zip(src.par_chunks(ELEMENTWISE_CHUNK))
            .for_each(|(d, s)| crate::store::copy_streaming(s, d));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_are_shared_per_size() {
        let a = Pool::get(NonZeroUsize::new(3)).unwrap();
        let b = Pool::get(NonZeroUsize::new(3)).unwrap();
        assert!(Arc::ptr_eq(&a.pool, &b.pool));
        assert_eq!(a.threads(), 3);
    }

    #[test]
    fn thread_counts_beyond_the_limit_are_refused() {
        let limit = max_threads();
        assert!(limit >= 64);
        let e = Pool::get(NonZeroUsize::new(limit + 1)).unwrap_err();
        assert!(
            matches!(&e, Error::Threads(m) if m.contains("exceeds the limit")),
            "{e}"
        );
        let e = Pool::get(NonZeroUsize::new(usize::MAX)).unwrap_err();
        assert!(matches!(e, Error::Threads(_)));
    }

    #[test]
    fn only_a_few_pools_outlive_their_calls() {
        // Sixteen sizes, each used once: the ones evicted from the cache
        // are dropped once their last user lets go.
        let first = Pool::get(NonZeroUsize::new(11)).unwrap();
        let weak = Arc::downgrade(&first.pool);
        drop(first);
        for n in 12..28 {
            let p = Pool::get(NonZeroUsize::new(n)).unwrap();
            assert_eq!(p.install(rayon::current_num_threads), n);
        }
        assert!(weak.upgrade().is_none(), "an evicted pool is still alive");
    }

    #[test]
    fn parallel_sum_equals_serial_sum_bitwise() {
        // Long enough that the pool splits it (past SUM_TASK_CHUNKS chunks),
        // at an awkward length.
        let xs: Vec<f64> = (0..1_000_003).map(|i| (i as f64).sin() * 1e3).collect();
        for n in [0, 1, 4097, 65_537, 1_000_003] {
            let serial = crate::serial::sum(&xs[..n]);
            for t in [1, 2, 3, 8] {
                let pool = Pool::get(NonZeroUsize::new(t)).unwrap();
                assert_eq!(
                    sum(&pool, &xs[..n]).to_bits(),
                    serial.to_bits(),
                    "threads={t}"
                );
            }
        }
    }
}
