//! The worker pools of the parallel backend: one rayon pool per thread
//! count asked for, a few of them kept between calls, and the limit on
//! their size.

use hotloop_runtime::{Error, Result};
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, OnceLock};

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
}
