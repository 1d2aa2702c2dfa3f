//! Numba's `prange` over your own loop body ([`prange`]).

use crate::Backend;
use hotloop_core::Num;
use hotloop_core::reduce::{Max, Min, Reduction};
use hotloop_cpu::prange::{self as cpu, Chunks};
use hotloop_runtime::{Error, Result};
use std::num::NonZeroUsize;
use std::ops::Range;

/// Numba's `prange` over your own loop body.
///
/// ```
/// use hotloop::{Backend, prange};
///
/// // for i in prange(n): total += f(i)   (a Numba reduction)
/// let total = prange(0..1000).on(Backend::parallel()).sum(|i| (i as f64).sqrt())?;
/// // The same bits on one thread: the chunks and their tree do not depend on it.
/// assert_eq!(total, prange(0..1000).on(Backend::Serial).sum(|i| (i as f64).sqrt())?);
///
/// // for i in prange(n): out[i] = g(i)
/// let mut out = vec![0u64; 100];
/// prange(0..100).map_into(&mut out, |i| (i * i) as u64)?;
/// assert_eq!(out[9], 81);
/// # Ok::<(), hotloop::Error>(())
/// ```
///
/// The range is cut into chunks of a grain of iterations ([`Prange::grain`];
/// by default at most 4096 chunks), each folded in order, the chunks'
/// partials combined in a fixed pairwise tree: a reduction's result depends
/// on the range, the grain and the body, never on the thread count, so
/// `Backend::Serial` and `Backend::parallel()` at any thread count give the
/// same bits. The pool takes chunks as its workers free up, so a heavy body
/// runs in parallel from a few iterations up, and an uneven one still
/// spreads evenly. The simulator runs the chunks one after another (a
/// schedule the parallel form could take); a closure has no GPU code, so
/// `Backend::Cuda` is an [`Error::Unsupported`]: write a `#[kernel]`.
///
/// Each chunk runs inside a function compiled for the widest instruction
/// set the CPU has (AVX-512, AVX2 or the baseline, chosen at run time;
/// AVX2 on Intel's AVX-512 CPUs, as their compilers' tuning prefers), and
/// the body gets its vectors only where LLVM inlines it there. For a
/// closure that is a hint, which LLVM may decline for a long body: the
/// body then runs on the baseline (SSE2 on x86-64). So mark the closure
/// `#[inline(always)]` and the functions it calls `#[inline]`, as
/// `#[device_op]` marks an op's methods:
///
/// ```
/// use hotloop::prange;
///
/// #[inline]
/// fn row_of(a: &[f32], b: &[f32], n: usize, i: usize, row: &mut [f32]) {
///     for k in 0..n {
///         for (c, bkj) in row.iter_mut().zip(&b[k * n..][..n]) {
///             *c += a[i * n + k] * bkj;
///         }
///     }
/// }
///
/// let n = 64;
/// let (a, b) = (vec![1.0f32; n * n], vec![2.0f32; n * n]);
/// let mut c = vec![0.0f32; n * n];
/// prange(0..n).rows_into(&mut c, n, #[inline(always)] |i, row| row_of(&a, &b, n, i, row))?;
/// assert!(c.iter().all(|&x| x == 128.0));
/// # Ok::<(), hotloop::Error>(())
/// ```
///
/// In the suite's matmul (that loop at n = 1024) LLVM declined the plain
/// closure: one thread took 109 to 151 ms a call on SSE2, and 56 to 85 ms
/// with the closure marked, on AVX-512 (two runs on a 2-vCPU AMD EPYC).
///
/// This is a loop over `range` on [`Backend::parallel()`] with the default
/// grain until said otherwise ([`Prange::on`], [`Prange::grain`]).
pub fn prange(range: Range<usize>) -> Prange {
    Prange {
        range,
        grain: None,
        backend: Backend::parallel(),
    }
}

/// A `prange` loop being set up: its range, grain and backend.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use = "a prange runs when given its body (`sum`, `reduce`, `map_into`, ...)"]
pub struct Prange {
    range: Range<usize>,
    grain: Option<usize>,
    backend: Backend,
}

/// Where the chunks run.
enum Runner {
    Serial,
    Pool(hotloop_cpu::pool::Pool),
}

impl Prange {
    /// Runs on `backend`.
    pub fn on(self, backend: Backend) -> Self {
        Self { backend, ..self }
    }

    /// Iterations a chunk takes: a reduction's bits depend on it (the
    /// chunks it makes), the thread count never does. At least 1 (0 is an
    /// [`Error::InvalidArgument`] when the loop runs).
    pub fn grain(self, iterations: usize) -> Self {
        Self {
            grain: Some(iterations),
            ..self
        }
    }

    fn setup(&self) -> Result<(Chunks, Runner)> {
        let grain = match self.grain {
            None => None,
            Some(g) => Some(NonZeroUsize::new(g).ok_or_else(|| Error::InvalidArgument {
                what: "prange grain",
                reason: "a chunk takes at least one iteration".into(),
            })?),
        };
        let runner = match self.backend {
            Backend::Serial => Runner::Serial,
            Backend::Parallel { threads } => Runner::Pool(Backend::pool(threads)?),
            #[cfg(feature = "sim")]
            Backend::Simulator { .. } => Runner::Serial,
            #[cfg(feature = "cuda")]
            Backend::Cuda { .. } => {
                return Err(Error::Unsupported {
                    op: "prange over a closure".into(),
                    backend: "cuda",
                    reason: "a closure has no GPU code: write the loop as a #[kernel] \
                             (hotloop-device), or run it on a CPU backend"
                        .into(),
                });
            }
            #[allow(unreachable_patterns)]
            other => return Err(crate::backend::not_built(other)),
        };
        Ok((Chunks::new(self.range.clone(), grain), runner))
    }

    /// `combine` over `map(i)` for every `i` of the range, starting each
    /// chunk from `identity` (`identity` for an empty range). `combine`
    /// must be associative (and `identity` its identity) for the result to
    /// mean the loop's; its bits are fixed by the range and the grain.
    pub fn reduce<T>(
        &self,
        identity: T,
        map: impl Fn(usize) -> T + Sync,
        combine: impl Fn(T, T) -> T + Sync,
    ) -> Result<T>
    where
        T: Clone + Send + Sync,
    {
        let (chunks, runner) = self.setup()?;
        Ok(match runner {
            Runner::Serial => cpu::reduce_serial(&chunks, identity, map, combine),
            Runner::Pool(pool) => cpu::reduce_parallel(&pool, &chunks, identity, map, combine),
        })
    }

    /// The sum of `map(i)` over the range (0 for an empty one; integers
    /// wrap, [`Num::plus`]).
    pub fn sum<T: Num>(&self, map: impl Fn(usize) -> T + Sync) -> Result<T> {
        self.reduce(T::ZERO, map, T::plus)
    }

    /// The smallest `map(i)` (NaN if any is NaN, `-0.0` below `+0.0`, as
    /// every hotloop reduction), `None` for an empty range.
    pub fn min<T: Num>(&self, map: impl Fn(usize) -> T + Sync) -> Result<Option<T>> {
        if self.range.is_empty() {
            self.setup()?;
            return Ok(None);
        }
        self.reduce(T::HIGHEST, map, <Min as Reduction<T>>::combine)
            .map(Some)
    }

    /// The largest `map(i)`, as [`Prange::min`].
    pub fn max<T: Num>(&self, map: impl Fn(usize) -> T + Sync) -> Result<Option<T>> {
        if self.range.is_empty() {
            self.setup()?;
            return Ok(None);
        }
        self.reduce(T::LOWEST, map, <Max as Reduction<T>>::combine)
            .map(Some)
    }

    /// `out[k] = map(start + k)` for every iteration: `for i in prange(n):
    /// out[i] = f(i)`. `out` holds the range's length
    /// ([`Error::LengthMismatch`] otherwise).
    pub fn map_into<T: Send>(&self, out: &mut [T], map: impl Fn(usize) -> T + Sync) -> Result<()> {
        if out.len() != self.range.len() {
            return Err(Error::LengthMismatch {
                name: "prange output",
                len: out.len(),
                shape: vec![self.range.len()],
                needed: self.range.len(),
            });
        }
        let (chunks, runner) = self.setup()?;
        match runner {
            Runner::Serial => cpu::map_into(None, &chunks, out, map),
            Runner::Pool(pool) => cpu::map_into(Some(&pool), &chunks, out, map),
        }
        Ok(())
    }

    /// `for i in prange(n): out[i, :] = ...`: `body(i, row)` fills `row`,
    /// iteration `i`'s `row_len` elements of `out` (`out[(i - start) *
    /// row_len..][..row_len]`, a row of a C-order matrix), every row by one
    /// iteration. The body runs with the widest instruction set the CPU
    /// has (as [`prange`] says) where it is inlined: mark it
    /// `#[inline(always)]`.
    ///
    /// ```
    /// use hotloop::prange;
    ///
    /// // c = a @ b for 2x3 and 3x2 matrices, row by row (i-k-j order).
    /// let (a, b) = ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [1.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
    /// let mut c = [0.0; 4];
    /// prange(0..2).rows_into(&mut c, 2, |i, row| {
    ///     for k in 0..3 {
    ///         for (j, cij) in row.iter_mut().enumerate() {
    ///             *cij += a[i * 3 + k] * b[k * 2 + j];
    ///         }
    ///     }
    /// })?;
    /// assert_eq!(c, [4.0, 5.0, 10.0, 11.0]);
    /// # Ok::<(), hotloop::Error>(())
    /// ```
    pub fn rows_into<T: Send>(
        &self,
        out: &mut [T],
        row_len: usize,
        body: impl Fn(usize, &mut [T]) + Sync,
    ) -> Result<()> {
        let needed = self.range.len().checked_mul(row_len);
        if row_len == 0 || needed != Some(out.len()) {
            return Err(Error::LengthMismatch {
                name: "prange rows output",
                len: out.len(),
                shape: vec![self.range.len(), row_len],
                needed: needed.unwrap_or(usize::MAX),
            });
        }
        let (chunks, runner) = self.setup()?;
        match runner {
            Runner::Serial => cpu::rows_into(None, &chunks, out, row_len, body),
            Runner::Pool(pool) => cpu::rows_into(Some(&pool), &chunks, out, row_len, body),
        }
        Ok(())
    }

    /// `body(i)` for every iteration, for bodies with effects of their own
    /// (atomics, a `Mutex`); in no particular order on a pool.
    pub fn for_each(&self, body: impl Fn(usize) + Sync) -> Result<()> {
        self.reduce((), body, |(), ()| ())
    }
}
