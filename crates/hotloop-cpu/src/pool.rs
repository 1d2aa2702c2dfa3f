//! The worker pools of the parallel backend. By default the parallel forms
//! run on the *current* rayon pool: the global one, or the one a caller
//! entered with `ThreadPool::install`, so an application that already uses
//! rayon shares its threads with hotloop instead of running twice as many.
//! A caller may also hand over a pool of its own ([`Pool::from_rayon`]), or
//! ask for an exact thread count, for which hotloop keeps a few pools of
//! its own ([`POOL_CACHE`]). The reductions split their input into chunks
//! whose bounds do not depend on the pool, so their bits do not either.

use crate::parts::{Split, part_start};
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

/// Elements per task of the element-wise kernels: large enough that rayon's
/// per-task cost vanishes, small enough to balance 2 to 100+ threads.
pub const ELEMENTWISE_CHUNK: usize = 1 << 16;

/// Where a parallel form runs: the current rayon pool, or a given one.
/// Cheap to clone; the default ([`Pool::current`]) looks nothing up.
#[derive(Clone, Debug, Default)]
pub struct Pool {
    /// `None`: whichever pool the calling thread is in (the global pool
    /// outside any).
    own: Option<Arc<rayon::ThreadPool>>,
}

impl Pool {
    /// The current rayon pool: the global one, or the one the calling
    /// thread runs in (a caller's `ThreadPool::install`).
    pub const fn current() -> Pool {
        Pool { own: None }
    }

    /// A pool the caller built and owns.
    pub fn from_rayon(pool: Arc<rayon::ThreadPool>) -> Pool {
        Pool { own: Some(pool) }
    }

    /// `None`: the current pool ([`Pool::current`]). `Some(n)`: a pool of
    /// exactly `n` workers of hotloop's own, shared by every call that asks
    /// for that size while it is cached ([`POOL_CACHE`]; starting one is a
    /// cost paid once per size, which the suite reports as first-call
    /// cost); [`Error::Threads`] beyond [`max_threads`].
    pub fn get(threads: Option<NonZeroUsize>) -> Result<Pool> {
        match threads {
            None => Ok(Pool::current()),
            Some(n) => Self::sized(n.get()),
        }
    }

    fn sized(n: usize) -> Result<Pool> {
        /// Cached pools by size, the most recently used last.
        type Cache = Vec<(usize, Arc<rayon::ThreadPool>)>;
        static POOLS: OnceLock<Mutex<Cache>> = OnceLock::new();
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
            // Already the most recent (the common case): no reordering.
            if i + 1 != pools.len() {
                let entry = pools.remove(i);
                pools.push(entry);
            }
            return Ok(Pool::from_rayon(pools[pools.len() - 1].1.clone()));
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
        Ok(Pool::from_rayon(pool))
    }

    /// Number of worker threads.
    pub fn threads(&self) -> usize {
        match &self.own {
            Some(p) => p.current_num_threads(),
            None => rayon::current_num_threads(),
        }
    }

    /// Runs `f` inside the pool (the current pool: on this thread, where
    /// rayon's parallel iterators already use it).
    pub fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        match &self.own {
            Some(p) => p.install(f),
            None => f(),
        }
    }

    /// `work` cut into one part per worker (fewer where there are fewer
    /// `chunk`s of elements), at multiples of `chunk`, in order.
    pub fn parts<W: Split>(&self, work: W, chunk: usize) -> Vec<W> {
        let elements = work.elements();
        let n = self.threads().min(elements.div_ceil(chunk.max(1))).max(1);
        let mut parts = Vec::with_capacity(n);
        let (mut rest, mut at) = (work, 0);
        for p in 1..n {
            let end = part_start(p, n, elements, chunk);
            let (part, tail) = rest.cut(end - at);
            parts.push(part);
            (rest, at) = (tail, end);
        }
        parts.push(rest);
        parts
    }

    /// `body` of each item, in the items' order: the calling thread runs
    /// the first itself while the pool runs the others (`in_place_scope`).
    /// Handing the whole call to the pool instead (`install`, or a
    /// parallel iterator started outside it) puts the caller to sleep until
    /// a worker finishes and wakes it: on a 2-vCPU VM that cost 30-50 µs a
    /// call, twice a 1 MiB add, and made the pool lose to one thread up to
    /// 16 MiB.
    pub fn map_each<W: Send, R: Send>(
        &self,
        items: Vec<W>,
        body: impl Fn(W) -> R + Sync,
    ) -> Vec<R> {
        if items.len() <= 1 {
            return items.into_iter().map(body).collect();
        }
        let mut slots: Vec<Option<R>> = items.iter().map(|_| None).collect();
        let (body, out) = (&body, &mut slots[..]);
        match &self.own {
            Some(p) => p.in_place_scope(|s| run_each(s, items, out, body)),
            None => rayon::in_place_scope(|s| run_each(s, items, out, body)),
        }
        // A task that panicked re-panics here, out of the scope: every slot
        // is filled.
        slots.into_iter().flatten().collect()
    }

    /// `body` over `work` cut into one part per worker ([`Pool::parts`]),
    /// the calling thread running the first ([`Pool::map_each`]): the
    /// element-wise forms' dispatch (their results do not depend on where
    /// the parts are cut).
    pub fn for_each_part<W: Split>(&self, work: W, chunk: usize, body: impl Fn(W) + Sync) {
        self.map_each(self.parts(work, chunk), body);
    }

    /// Whether a parallel form over `bytes` of data runs on the calling
    /// thread instead: below [`Pool::serial_below_bytes`] the pool's wake-up
    /// and hand-over cost more than the split saves, so the parallel forms
    /// never lose to the serial ones at any size (their results are the
    /// same bits either way). Below two chunks of work it answers without
    /// asking the pool anything: a call on 4 KiB must not pay for the
    /// question.
    pub fn runs_serially(&self, bytes: usize) -> bool {
        let forced = SERIAL_BELOW_OVERRIDE.load(std::sync::atomic::Ordering::Relaxed);
        if forced != usize::MAX {
            return bytes < forced || self.threads() == 1;
        }
        if bytes < MIN_CUTOFF_BYTES {
            return true;
        }
        let threads = self.threads();
        threads == 1 || bytes < self.cutoff(threads)
    }

    /// [`Pool::runs_serially`] for a reduction over `bytes` of input: it
    /// writes nothing, so it moves half the bytes of an add over arrays of
    /// that size (the cutoff's measure) and pays for the pool from twice
    /// the add's cutoff. On this project's VM a 1 MiB sum on the pool ran
    /// at 0.70 of one thread with the add's cutoff.
    pub fn reduction_runs_serially(&self, bytes: usize) -> bool {
        self.runs_serially(bytes / 2)
    }

    /// The size below which this pool's parallel forms run serially,
    /// measured on this machine (not guessed), once per thread count and
    /// process, and read back without a lock: an add over `n` f64 for `n`
    /// from two of the parallel forms' chunks (one chunk is never split) to
    /// 2^21, timed serially and on the pool as the element-wise forms run
    /// it ([`Pool::for_each_part`]; the median of 9 each, some 40 ms in
    /// all, on first use); the smallest size from which the pool beats the
    /// serial loop by 10% at it and at every larger size measured, so one
    /// lucky timing cannot set it. The add is the cheapest element-wise
    /// form, the one the pool's overhead hurts most, so the cutoff is safe
    /// for every element-wise form (the reductions double it:
    /// [`Pool::reduction_runs_serially`]).
    pub fn serial_below_bytes(&self) -> usize {
        let forced = SERIAL_BELOW_OVERRIDE.load(std::sync::atomic::Ordering::Relaxed);
        if forced != usize::MAX {
            return forced;
        }
        self.cutoff(self.threads())
    }

    fn cutoff(&self, threads: usize) -> usize {
        // Pools past the table's end share its last slot: at that many
        // threads the cutoff is the largest measured anyway.
        let slot = &CUTOFFS[threads.min(CUTOFFS.len() - 1)];
        match slot.load(std::sync::atomic::Ordering::Relaxed) {
            0 => {
                let bytes = self.measure_cutoff();
                // Two callers measuring at once store close values; either
                // is a measurement.
                slot.store(
                    bytes.trailing_zeros() as u8 + 1,
                    std::sync::atomic::Ordering::Relaxed,
                );
                bytes
            }
            log2 => 1usize << (log2 - 1),
        }
    }

    fn measure_cutoff(&self) -> usize {
        use crate::store::with_widest_for_cached_add;
        use hotloop_core::elementwise::add_scalar_slice;
        use std::time::{Duration, Instant};
        const MIN_LOG2: u32 = (MIN_CUTOFF_BYTES / size_of::<f64>()).trailing_zeros();
        const MAX_LOG2: u32 = 21;
        let median = |f: &mut dyn FnMut()| {
            f();
            let mut t: Vec<Duration> = (0..9)
                .map(|_| {
                    let t = Instant::now();
                    f();
                    t.elapsed()
                })
                .collect();
            t.sort();
            t[4]
        };
        let x: Vec<f64> = (0..1usize << MAX_LOG2).map(|i| i as f64).collect();
        let mut out = vec![0.0f64; x.len()];
        let faster: Vec<bool> = (MIN_LOG2..=MAX_LOG2)
            .map(|log2| {
                let n = 1usize << log2;
                let bytes = n * size_of::<f64>();
                let (input, o) = (&x[..n], &mut out[..n]);
                let add = |i: &[f64], o: &mut [f64]| {
                    with_widest_for_cached_add(
                        bytes,
                        #[inline(always)]
                        || add_scalar_slice(i, 2.0, o),
                    )
                };
                let serial = median(&mut || add(input, o));
                let parallel = median(&mut || {
                    self.for_each_part((&mut *o, input), ELEMENTWISE_CHUNK, |(o, i)| add(i, o))
                });
                parallel.as_secs_f64() < 0.9 * serial.as_secs_f64()
            })
            .collect();
        // The first size from which every larger one is faster on the pool.
        let first = (0..faster.len())
            .find(|&i| faster[i..].iter().all(|&f| f))
            .map_or(MAX_LOG2, |i| MIN_LOG2 + i as u32);
        (1usize << first) * size_of::<f64>()
    }
}

/// [`Pool::map_each`]'s scope: items 1.. spawned, item 0 run here.
fn run_each<'s, W: Send + 's, R: Send + 's, F: Fn(W) -> R + Sync>(
    scope: &rayon::Scope<'s>,
    items: Vec<W>,
    slots: &'s mut [Option<R>],
    body: &'s F,
) {
    let mut items = items.into_iter();
    let mut slots = slots.iter_mut();
    let first = (items.next(), slots.next());
    for (w, slot) in items.zip(slots) {
        scope.spawn(move |_| *slot = Some(body(w)));
    }
    if let (Some(w), Some(slot)) = first {
        *slot = Some(body(w));
    }
}

/// The smallest cutoff: two of the parallel forms' chunks of f64, below
/// which there is nothing to split.
const MIN_CUTOFF_BYTES: usize = 2 * ELEMENTWISE_CHUNK * size_of::<f64>();

/// The measured cutoff by thread count: `log2(bytes) + 1`, 0 until
/// measured.
static CUTOFFS: [std::sync::atomic::AtomicU8; 257] =
    [const { std::sync::atomic::AtomicU8::new(0) }; 257];

/// `usize::MAX`: no override of the measured cutoff.
static SERIAL_BELOW_OVERRIDE: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(usize::MAX);

/// Overrides, for the whole process, the size below which the parallel
/// forms run serially (`Some(0)`: always on the pool; `None`: the measured
/// cutoff). For tests that must run the parallel code on small inputs, and
/// for benchmarks comparing the two; results are the same bits either way.
pub fn set_serial_below_bytes(bytes: Option<usize>) {
    SERIAL_BELOW_OVERRIDE.store(
        bytes.unwrap_or(usize::MAX),
        std::sync::atomic::Ordering::Relaxed,
    );
}

/// One thread per core the OS lets this process use. Cached: asking the OS
/// reads cgroup files, tens of microseconds that a 10 µs kernel would pay
/// on every call.
pub fn default_threads() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| std::thread::available_parallelism().map_or(1, NonZeroUsize::get))
}

/// Binds the calling thread to one CPU: the `index`-th, counted modulo
/// their number, of the CPUs it may run on now. `false` where the system
/// does not say which those are, or refuses (the thread then runs where
/// it may, as before).
///
/// Made for rayon's `start_handler`, so that worker `i` keeps CPU `i`, as
/// OpenMP's `OMP_PROC_BIND=true` keeps its threads:
///
/// ```
/// use hotloop_cpu::pool::{Pool, bind_to_cpu};
/// let bound = rayon::ThreadPoolBuilder::new()
///     .start_handler(|i| {
///         bind_to_cpu(i);
///     })
///     .build()
///     .unwrap();
/// // hotloop's parallel forms on it: `Pool::from_rayon`, or
/// // `bound.install(|| ...)` around calls on `Backend::parallel()`.
/// let pool = Pool::from_rayon(std::sync::Arc::new(bound));
/// # assert!(pool.threads() >= 1);
/// ```
///
/// Why: unbound, Linux often woke a pool's two workers on one CPU of a
/// 2-vCPU VM when the calling thread had just run alone for a few
/// milliseconds (a serial row before a parallel one), and moved one away
/// only later: the 256^3 Laplacian, 7 ms on two threads, took over 10 ms
/// in 14 to 22 calls of 25, against 1 to 9 bound. The cost: a bound worker cannot
/// leave a CPU that something else keeps busy, and two processes bound
/// this way share their first CPUs. So hotloop's own pools stay unbound,
/// and an application that owns its machine chooses.
pub fn bind_to_cpu(index: usize) -> bool {
    match core_affinity::get_core_ids() {
        Some(cpus) if !cpus.is_empty() => core_affinity::set_for_current(cpus[index % cpus.len()]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_measured_cutoff_is_a_power_of_two_within_the_range_measured() {
        let pool = Pool::get(NonZeroUsize::new(2)).unwrap();
        let c = pool.measure_cutoff();
        assert!(
            c.is_power_of_two() && (MIN_CUTOFF_BYTES..=16 << 20).contains(&c),
            "{c}"
        );
        let one = Pool::get(NonZeroUsize::new(1)).unwrap();
        assert!(one.runs_serially(usize::MAX / 2));
    }

    #[test]
    fn pools_are_shared_per_size() {
        let a = Pool::get(NonZeroUsize::new(3)).unwrap();
        let b = Pool::get(NonZeroUsize::new(3)).unwrap();
        assert!(Arc::ptr_eq(
            a.own.as_ref().unwrap(),
            b.own.as_ref().unwrap()
        ));
        assert_eq!(a.threads(), 3);
    }

    #[test]
    fn the_default_is_the_callers_pool() {
        // Outside any pool: the global one.
        assert_eq!(Pool::current().threads(), rayon::current_num_threads());
        assert!(Pool::get(None).unwrap().own.is_none());
        // Inside a caller's pool: that one, with no pool of hotloop's own.
        let theirs = rayon::ThreadPoolBuilder::new()
            .num_threads(5)
            .build()
            .unwrap();
        let (threads, inside) = theirs.install(|| {
            let p = Pool::current();
            (
                p.threads(),
                p.install(|| rayon::current_thread_index().is_some()),
            )
        });
        assert_eq!(threads, 5);
        assert!(inside, "the work ran outside the caller's pool");
        // A pool handed over is used as it is.
        let given = Arc::new(
            rayon::ThreadPoolBuilder::new()
                .num_threads(3)
                .build()
                .unwrap(),
        );
        let p = Pool::from_rayon(given.clone());
        assert_eq!(p.install(rayon::current_num_threads), 3);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn bound_workers_keep_one_cpu_each_and_distinct_ones() {
        let cpus = core_affinity::get_core_ids().unwrap();
        let n = cpus.len().min(4);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .start_handler(|i| {
                bind_to_cpu(i);
            })
            .build()
            .unwrap();
        let seen = pool.broadcast(|_| core_affinity::get_core_ids().unwrap());
        for (i, own) in seen.iter().enumerate() {
            assert_eq!(own, &[cpus[i]], "worker {i} may run on {own:?}");
        }
        // The calling thread is left as it was.
        assert_eq!(core_affinity::get_core_ids().unwrap(), cpus);
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
        let weak = Arc::downgrade(first.own.as_ref().unwrap());
        drop(first);
        for n in 12..28 {
            let p = Pool::get(NonZeroUsize::new(n)).unwrap();
            assert_eq!(p.install(rayon::current_num_threads), n);
        }
        assert!(weak.upgrade().is_none(), "an evicted pool is still alive");
    }
}
