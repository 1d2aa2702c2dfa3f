//! [`Runtime`]: what every backend implements, the entry points of
//! hotloop's kernels over slices. The serial loops and a rayon pool
//! (`hotloop-cpu`), the CUDA simulator at a launch (`hotloop-sim`) and a
//! CUDA device at a launch (`hotloop-cuda`) each implement it once, so the
//! facade is its argument checks and one call, and the cross-backend tests
//! hold every backend to the same contract.
//!
//! Callers check the arguments first (equal lengths, a shape that fits the
//! slices, a gufunc's plan, a stencil's declared reach); an implementation
//! returns its own backend's errors only: a launch the device refuses,
//! device memory, an op it cannot run ([`crate::Error::Unsupported`]), a
//! read outside a stencil's reach found while running.

use crate::{Element, GufuncPlan, Result};
use hotloop_core::gufunc::GuKernel;
use hotloop_core::index::Shape3;
use hotloop_core::map::{BinaryOp, NaryOp, UnaryOp};
use hotloop_core::predicate::Predicate;
use hotloop_core::reduce::SUM_CHUNK;
use hotloop_core::stencil::{Boundary, Stencil3};
use std::ops::Range;

/// The entry points of hotloop's kernels, over slices the caller checked.
///
/// Code generic over `R: Runtime` runs on every backend: `Serial` and
/// `Parallel` (`hotloop_cpu::runtime`), `hotloop_sim::Sim`,
/// `hotloop_cuda::Cuda`. The smallest complete implementation calls
/// hotloop-core's slice bodies on one thread (`Serial` is that, vectorized
/// and with streaming stores; this crate's doctests cannot depend on it):
///
/// ```rust
/// use hotloop_core::elementwise::{add_scalar_slice, add_scalar_slice_in_place};
/// use hotloop_core::gufunc::{GuKernel, gufunc_slices};
/// use hotloop_core::index::Shape3;
/// use hotloop_core::map::{BinaryOp, NaryOp, UnaryOp, map_n_slice, map_slice, map_slice_in_place};
/// use hotloop_core::map::{zip_slice, zip_slice_in_place};
/// use hotloop_core::predicate::Predicate;
/// use hotloop_core::reduce::{count_slice, max_slice, min_slice, sum_slice};
/// use hotloop_core::stencil::{Boundary, Stencil3, stencil_range};
/// use hotloop_core::{philox::key_from_seed, pi};
/// use hotloop_runtime::{Element, GufuncPlan, Result, Runtime};
/// use std::ops::Range;
///
/// /// Code written once for every backend: the root mean square.
/// fn rms<R: Runtime>(rt: &R, x: &[f64]) -> Result<f64> {
///     let mut sq = vec![0.0; x.len()];
///     rt.map(&|v: f64| v * v, x, &mut sq)?; // a closure is a UnaryOp
///     Ok((rt.sum(&sq)? / x.len() as f64).sqrt())
/// }
///
/// /// One thread, hotloop-core's bodies and nothing else: what a new backend
/// /// can be tested against.
/// struct Reference;
///
/// impl Runtime for Reference {
///     fn add_scalar<T: Element>(&self, x: &[T], s: T, out: &mut [T]) -> Result<()> {
///         add_scalar_slice(x, s, out);
///         Ok(())
///     }
///     fn add_scalar_in_place<T: Element>(&self, x: &mut [T], s: T) -> Result<()> {
///         add_scalar_slice_in_place(x, s);
///         Ok(())
///     }
///     fn sum<T: Element>(&self, x: &[T]) -> Result<T::Sum> {
///         Ok(sum_slice(x)) // the pairwise sum: the same bits as every backend's
///     }
///     fn max<T: Element>(&self, x: &[T]) -> Result<Option<T>> {
///         Ok(max_slice(x))
///     }
///     fn min<T: Element>(&self, x: &[T]) -> Result<Option<T>> {
///         Ok(min_slice(x))
///     }
///     fn count_where<T: Element, P: Predicate<T>>(&self, p: &P, x: &[T]) -> Result<u64> {
///         Ok(count_slice(p, x))
///     }
///     fn map<T: Element, U: Element, Op: UnaryOp<T, U>>(
///         &self, op: &Op, x: &[T], out: &mut [U],
///     ) -> Result<()> {
///         map_slice(op, x, out);
///         Ok(())
///     }
///     fn map_n<T: Element, Op: NaryOp<T, I, O>, const I: usize, const O: usize>(
///         &self,
///         op: &Op,
///         inputs: [&[T]; I],
///         outputs: [&mut [T]; O],
///     ) -> Result<()> {
///         map_n_slice(op, inputs, outputs);
///         Ok(())
///     }
///     fn map_in_place<T: Element, Op: UnaryOp<T>>(&self, op: &Op, x: &mut [T]) -> Result<()> {
///         map_slice_in_place(op, x);
///         Ok(())
///     }
///     fn zip<T: Element, Op: BinaryOp<T>>(
///         &self, op: &Op, a: &[T], b: &[T], out: &mut [T],
///     ) -> Result<()> {
///         zip_slice(op, a, b, out);
///         Ok(())
///     }
///     fn zip_in_place<T: Element, Op: BinaryOp<T>>(
///         &self, op: &Op, a: &mut [T], b: &[T],
///     ) -> Result<()> {
///         zip_slice_in_place(op, a, b);
///         Ok(())
///     }
///     fn gufunc<T: Element, K: GuKernel<T, I, O>, const I: usize, const O: usize>(
///         &self, k: &K, plan: &GufuncPlan, inputs: [&[T]; I], outputs: [&mut [T]; O],
///     ) -> Result<()> {
///         let blocks = plan.blocks()?;
///         gufunc_slices(k, &plan.core, inputs, outputs, &blocks, 0..plan.loops);
///         Ok(())
///     }
///     fn stencil<T: Element, K: Stencil3<T>>(
///         &self, k: &K, shape: Shape3, b: Boundary<T>, x: &[T], out: &mut [T],
///     ) -> Result<()> {
///         Ok(stencil_range(k, x, shape, b, 0, out)?) // a read outside the reach: an Error
///     }
///     fn count_hits(&self, seed: u64, samples: Range<u64>) -> Result<u64> {
///         Ok(pi::count_hits(key_from_seed(seed), samples.start, samples.end))
///     }
/// }
///
/// assert_eq!(rms(&Reference, &[3.0, -3.0, 3.0, -3.0])?, 3.0);
/// assert_eq!(Reference.max(&[1.0f32, 4.0, -2.0])?, Some(4.0));
/// assert_eq!(Reference.sum_chunks(&[1.0f64; 5000])?, [4096.0, 904.0]); // SUM_CHUNK = 4096
/// # Ok::<(), hotloop_runtime::Error>(())
/// ```
pub trait Runtime {
    /// `out[i] = input[i] + scalar`.
    fn add_scalar<T: Element>(&self, input: &[T], scalar: T, out: &mut [T]) -> Result<()>;
    /// `data[i] += scalar`.
    fn add_scalar_in_place<T: Element>(&self, data: &mut [T], scalar: T) -> Result<()>;
    /// The pairwise sum (the same bits on every backend); integers summed
    /// in `i64` or `u64`, wrapping ([`hotloop_core::Num::Sum`]).
    fn sum<T: Element>(&self, input: &[T]) -> Result<T::Sum>;
    /// The sums of `input`'s [`SUM_CHUNK`]-element chunks, in order (the
    /// last one short): the pieces [`sum`](Runtime::sum) combines with
    /// `hotloop_core::reduce`'s pairwise tree, each with
    /// `hotloop_core::reduce::sum_chunk`'s bits. A sum spread over MPI ranks
    /// is built from them. The provided form sums each chunk with
    /// [`sum`](Runtime::sum) (a chunk's pairwise sum is its chunk sum); the
    /// backends compute them in one pass.
    fn sum_chunks<T: Element>(&self, input: &[T]) -> Result<Vec<T::Sum>> {
        input.chunks(SUM_CHUNK).map(|c| self.sum(c)).collect()
    }
    /// The largest element (NaN if any), `None` for an empty input.
    fn max<T: Element>(&self, input: &[T]) -> Result<Option<T>>;
    /// The smallest element (NaN if any), `None` for an empty input.
    fn min<T: Element>(&self, input: &[T]) -> Result<Option<T>>;
    /// How many elements `pred` holds for.
    fn count_where<T: Element, P: Predicate<T>>(&self, pred: &P, input: &[T]) -> Result<u64>;
    /// `out[i] = op(input[i])`, the output of the op's output type.
    fn map<T: Element, U: Element, Op: UnaryOp<T, U>>(
        &self,
        op: &Op,
        input: &[T],
        out: &mut [U],
    ) -> Result<()>;
    /// `data[i] = op(data[i])`.
    fn map_in_place<T: Element, Op: UnaryOp<T>>(&self, op: &Op, data: &mut [T]) -> Result<()>;
    /// `outputs[k][i] = op(inputs[0][i], ..)[k]`: several inputs and
    /// outputs, every array of one length.
    fn map_n<T: Element, Op: NaryOp<T, I, O>, const I: usize, const O: usize>(
        &self,
        op: &Op,
        inputs: [&[T]; I],
        outputs: [&mut [T]; O],
    ) -> Result<()>;
    /// `out[i] = op(a[i], b[i])`.
    fn zip<T: Element, Op: BinaryOp<T>>(
        &self,
        op: &Op,
        a: &[T],
        b: &[T],
        out: &mut [T],
    ) -> Result<()>;
    /// `a[i] = op(a[i], b[i])`.
    fn zip_in_place<T: Element, Op: BinaryOp<T>>(
        &self,
        op: &Op,
        a: &mut [T],
        b: &[T],
    ) -> Result<()>;
    /// The gufunc `kernel` over the outer loop of `plan`, which the caller
    /// made for it: input `k` holds [`GufuncPlan::input_len`]`(k)`
    /// elements, output `k` `plan.loops * plan.out_blocks[k]`.
    fn gufunc<T: Element, K: GuKernel<T, I, O>, const I: usize, const O: usize>(
        &self,
        kernel: &K,
        plan: &GufuncPlan,
        inputs: [&[T]; I],
        outputs: [&mut [T]; O],
    ) -> Result<()>;
    /// The stencil `kernel` over every cell of the row-major `shape` under
    /// `boundary`.
    fn stencil<T: Element, K: Stencil3<T>>(
        &self,
        kernel: &K,
        shape: Shape3,
        boundary: Boundary<T>,
        input: &[T],
        out: &mut [T],
    ) -> Result<()>;
    /// `steps` sweeps of the stencil, each reading the one before (`steps
    /// = 0`: a copy of `input`), into `out`: Numba's loop of `@stencil`
    /// calls, with the bits of `steps` calls of
    /// [`stencil`](Runtime::stencil). The provided form is
    /// [`sweep_by_sweep`]; the CPU backends block the sweeps in time.
    fn stencil_steps<T: Element, K: Stencil3<T>>(
        &self,
        kernel: &K,
        shape: Shape3,
        boundary: Boundary<T>,
        steps: usize,
        input: &[T],
        out: &mut [T],
    ) -> Result<()> {
        sweep_by_sweep(self, kernel, shape, boundary, steps, input, out)
    }
    /// Monte Carlo hits among samples `samples` of the Philox stream keyed
    /// by `seed` (`0..n` for the first `n`; any part of a larger count, as
    /// one MPI rank's share, counts what the whole count holds there): the
    /// same count on every backend.
    fn count_hits(&self, seed: u64, samples: Range<u64>) -> Result<u64>;
}

/// [`Runtime::stencil_steps`] as `steps` calls of `rt`'s
/// [`stencil`](Runtime::stencil), alternating between `out` and a scratch
/// grid so that the last lands in `out`.
#[allow(clippy::too_many_arguments)]
pub fn sweep_by_sweep<R: Runtime + ?Sized, T: Element, K: Stencil3<T>>(
    rt: &R,
    kernel: &K,
    shape: Shape3,
    boundary: Boundary<T>,
    steps: usize,
    input: &[T],
    out: &mut [T],
) -> Result<()> {
    let Some(rest) = steps.checked_sub(1) else {
        out.copy_from_slice(input);
        return Ok(());
    };
    let mut scratch = if rest > 0 {
        crate::try_zeroed_vec("stencil sweeps' scratch grid", out.len())?
    } else {
        Vec::new()
    };
    // The first sweep goes where the last will land every other sweep.
    let (mut last, mut next) = if rest % 2 == 0 {
        (out, &mut scratch[..])
    } else {
        (&mut scratch[..], out)
    };
    rt.stencil(kernel, shape, boundary, input, last)?;
    for _ in 0..rest {
        rt.stencil(kernel, shape, boundary, last, next)?;
        core::mem::swap(&mut last, &mut next);
    }
    Ok(())
}
