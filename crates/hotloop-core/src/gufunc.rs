//! Generalized ufuncs, Numba's `@guvectorize`: a kernel over the *core*
//! dimensions of its arguments (named in a NumPy-style signature such as
//! `(n),()->(n)`), which the backends loop over the *outer* (leading)
//! dimensions, in parallel across them.
//!
//! A kernel takes up to four array inputs and writes up to three array
//! outputs; the scalar `()` inputs of its signature are the kernel's own
//! fields (the window of [`MovingAverage`]), broadcast to every iteration
//! as a Python scalar passed to a Numba gufunc is. Parsing and checking the signature against
//! the arrays is the host's job (`hotloop-runtime`); here is only what one
//! loop iteration does, which one CPU task or one GPU thread runs.
//!
//! Built-ins: [`MovingAverage`] (`(n),()->(n)`, Numba's classic example) and
//! [`NormalizeRows`] (`(n)->(n)`, `x / ||x||_2`).

pub use crate::abi::Blocks;
use crate::abi::DeviceKernel;
use crate::{Num, Real};
use hotloop_macros::{DeviceValue, device_op};

/// One iteration of a generalized ufunc's loop over the outer dimensions,
/// over `I` array inputs and `O` array outputs (one of each by default; at
/// most [`MAX_NARY_INPUTS`](crate::map::MAX_NARY_INPUTS) and
/// [`MAX_NARY_OUTPUTS`](crate::map::MAX_NARY_OUTPUTS), as an `NaryOp`).
///
/// A kernel with a scalar parameter, `(n),()->(n)`: the scalar is a field,
/// checked by [`GuKernel::check`] before any row runs.
///
/// ```rust
/// use hotloop_core::Real;
/// use hotloop_core::gufunc::GuKernel;
///
/// /// Exponential smoothing along each row: `out[i] = a x[i] + (1 - a) out[i - 1]`.
/// #[derive(Clone, Copy, Debug)]
/// struct Smooth<T> {
///     alpha: T,
/// }
///
/// impl<T: Real> GuKernel<T> for Smooth<T> {
///     const NAME: &'static str = "smooth";
///     const SIGNATURE: &'static str = "(n),()->(n)";
///
///     fn check(&self) -> Result<(), &'static str> {
///         let ok = self.alpha > T::ZERO && self.alpha <= T::ONE; // false for NaN
///         if ok { Ok(()) } else { Err("alpha must be in (0, 1]") }
///     }
///
///     fn apply(&self, _core: &[usize], [x]: [&[T]; 1], [out]: [&mut [T]; 1]) {
///         let mut prev = x.first().copied().unwrap_or(T::ZERO);
///         for (o, &v) in out.iter_mut().zip(x) {
///             prev = self.alpha * v + (T::ONE - self.alpha) * prev;
///             *o = prev;
///         }
///     }
/// }
///
/// // One iteration of the outer loop: one row, `core` = `[n]`.
/// let mut out = [0.0; 3];
/// Smooth { alpha: 0.5f64 }.apply(&[3], [&[2.0, 4.0, 4.0]], [&mut out]);
/// assert_eq!(out, [2.0, 3.0, 3.5]);
/// assert!(GuKernel::<f64>::check(&Smooth { alpha: 0.0 }).is_err());
/// ```
///
/// Several arrays: Numba's `@guvectorize` matrix product,
/// `(m,n),(n,p)->(m,p)`, two inputs and one output per iteration:
///
/// ```rust
/// use hotloop_core::Num;
/// use hotloop_core::gufunc::GuKernel;
///
/// #[derive(Clone, Copy, Debug)]
/// struct MatMul;
///
/// impl<T: Num> GuKernel<T, 2, 1> for MatMul {
///     const NAME: &'static str = "matmul";
///     const SIGNATURE: &'static str = "(m,n),(n,p)->(m,p)";
///
///     fn apply(&self, core: &[usize], [a, b]: [&[T]; 2], [c]: [&mut [T]; 1]) {
///         let [m, n, p] = [core[0], core[1], core[2]];
///         for i in 0..m {
///             for j in 0..p {
///                 let mut s = T::ZERO;
///                 for k in 0..n {
///                     s = s + a[i * n + k] * b[k * p + j];
///                 }
///                 c[i * p + j] = s;
///             }
///         }
///     }
/// }
///
/// let mut c = [0i32; 4];
/// MatMul.apply(&[2, 3, 2], [&[1, 2, 3, 4, 5, 6], &[1, 0, 0, 1, 1, 1]], [&mut c]);
/// assert_eq!(c, [4, 5, 10, 11]);
/// ```
///
/// Through the facade, `hotloop::gufunc(backend, Smooth { alpha: 0.5 }, &x)`
/// runs it over every row of `x` and `hotloop::gufunc_n(backend, MatMul,
/// [a.view().into_dyn(), b.view().into_dyn()])` over every pair of
/// matrices (the backend checks the signature against the arrays);
/// `#[device_op]` on the impl adds its GPU entry points.
///
/// The CPU backends run the iterations in a function compiled for the
/// widest instruction set the CPU has, which reaches `apply` only where
/// LLVM inlines it. `#[device_op]` marks `apply` `#[inline(always)]`; an
/// impl without it should say `#[inline(always)]` itself, or a long
/// `apply` may run on the baseline (SSE2 on x86-64).
pub trait GuKernel<T: Num, const I: usize = 1, const O: usize = 1>: Copy + Send + Sync {
    /// Name in error messages ("moving_average").
    const NAME: &'static str;
    /// NumPy-style layout signature, e.g. `(m,n),(n,p)->(m,p)`: the inputs
    /// that are not `()` are the `I` arrays, in order; `()` inputs are
    /// scalars held in the kernel's fields; `O` outputs, whose core
    /// dimensions all appear in the inputs (an output `()` is one element
    /// per iteration).
    const SIGNATURE: &'static str;

    /// Checks the kernel's scalar parameters; `Err` says what is wrong
    /// ("window must be at least 1").
    fn check(&self) -> Result<(), &'static str> {
        Ok(())
    }

    /// One iteration: `core` holds the sizes of the core dimensions in
    /// order of first appearance in the signature (`[m, n, p]`); `inputs`
    /// and `outputs` are this iteration's core blocks, row-major, of the
    /// sizes the signature gives them.
    fn apply(&self, core: &[usize], inputs: [&[T]; I], outputs: [&mut [T]; O]);

    /// The GPU kernel running this gufunc, if it has one (filled in by
    /// `#[device_op]`).
    fn device_kernel(&self) -> Option<DeviceKernel> {
        None
    }
}

/// Iteration `l` of the outer loop, as one GPU thread would run it: the
/// kernel over the core blocks `blocks` places.
///
/// # Safety
/// Each input must be valid for reads of `l * in_step[k] + in_block[k]`
/// elements, each output for writes of `(l + 1) * out_block[k]`; the
/// outputs must not overlap each other or the inputs, and no other thread
/// may access this iteration's output blocks.
#[inline(always)]
pub unsafe fn gufunc_at<T: Num, K: GuKernel<T, I, O>, const I: usize, const O: usize>(
    kernel: &K,
    core: &[usize],
    inputs: [*const T; I],
    outputs: [*mut T; O],
    blocks: &Blocks<I, O>,
    l: usize,
) {
    // SAFETY: the caller guarantees every block is valid and the outputs
    // exclusive.
    let ins: [&[T]; I] = core::array::from_fn(|k| unsafe {
        core::slice::from_raw_parts(inputs[k].add(l * blocks.in_step[k]), blocks.in_block[k])
    });
    let outs: [&mut [T]; O] = core::array::from_fn(|k| unsafe {
        core::slice::from_raw_parts_mut(
            outputs[k].add(l * blocks.out_block[k]),
            blocks.out_block[k],
        )
    });
    kernel.apply(core, ins, outs);
}

/// Iterations `iterations` of the outer loop over slices, as one CPU task
/// runs them: `inputs` are the whole arrays, `outputs` hold exactly these
/// iterations' blocks (from their start). The safe form of [`gufunc_at`].
///
/// # Panics
/// If an array is shorter than `blocks` places these iterations' blocks
/// (the callers plan them).
#[inline(always)]
pub fn gufunc_slices<T: Num, K: GuKernel<T, I, O>, const I: usize, const O: usize>(
    kernel: &K,
    core: &[usize],
    inputs: [&[T]; I],
    mut outputs: [&mut [T]; O],
    blocks: &Blocks<I, O>,
    iterations: core::ops::Range<usize>,
) {
    let first = iterations.start;
    for l in iterations {
        let ins: [&[T]; I] =
            core::array::from_fn(|k| &inputs[k][l * blocks.in_step[k]..][..blocks.in_block[k]]);
        let mut k = 0;
        let outs: [&mut [T]; O] = outputs.each_mut().map(|o| {
            let b = blocks.out_block[k];
            k += 1;
            &mut o[(l - first) * b..][..b]
        });
        kernel.apply(core, ins, outs);
    }
}

/// Trailing moving average, `(n),()->(n)`: `out[i]` is the mean of
/// `x[max(0, i - w + 1) ..= i]`, the semantics of Numba's `move_mean`
/// example (the first `w - 1` outputs average the elements so far).
///
/// Like Numba's example it keeps a running sum (`sum += x[i] - x[i - w]`),
/// but restarts it from a fresh sum every `w` outputs, so its rounding error
/// is that of about `3w` additions whatever the row's length, instead of
/// growing along the row (of additions of the magnitudes the sum has held
/// since its restart: a huge value leaving the window can cancel the small
/// ones beside it until the next restart). Costs two passes' worth of
/// additions.
///
/// Unlike Numba's example, a non-finite value poisons only the outputs
/// whose window holds it, so each output is the mean of its window under
/// IEEE rules (NaN if the window holds a NaN or both infinities, else the
/// infinity it holds). The running sum stays finite exactly while nothing
/// non-finite and no overflow has touched it since its restart, and is then
/// the answer; from the first output where it is not, the row is finished
/// by tracking the window's finite sum with its NaNs and infinities counted
/// beside it (a window whose finite sum overflows, as two values of `1e308`
/// do, is averaged on values scaled by a power of two), until a restart
/// finds the window clean. Finite data that does not overflow never leaves
/// the running sum: the same bits, at the same speed, as Numba's loop with
/// restarts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, DeviceValue)]
#[hotloop(crate = crate)]
#[repr(C)]
pub struct MovingAverage {
    /// The window `w`, at least 1.
    pub window: usize,
}

#[device_op(builtin)]
impl<T: Real> GuKernel<T> for MovingAverage {
    const NAME: &'static str = "moving_average";
    const SIGNATURE: &'static str = "(n),()->(n)";

    fn check(&self) -> Result<(), &'static str> {
        if self.window == 0 {
            Err("the window must be at least 1 element")
        } else {
            Ok(())
        }
    }

    #[inline]
    fn apply(&self, _core: &[usize], [x]: [&[T]; 1], [out]: [&mut [T]; 1]) {
        let w = self.window.max(1);
        let n = x.len().min(out.len());
        let (x, out) = (&x[..n], &mut out[..n]);
        let mut i = 0;
        while i < n {
            i = running_mean(x, out, w, i);
            if i < n {
                i = tracked_mean(x, out, w, i);
            }
        }
    }
}

/// Segments of `w` outputs that [`running_mean`] runs side by side. Each
/// segment's running sum restarts from its own window sum, so their chains
/// of additions are independent: interleaved, they keep the adders busy
/// where one chain would wait out each addition's latency (Numba's loop
/// runs one chain).
const SEGMENTS: usize = 8;

/// Numba's running sum, restarted every `w` outputs, from output `from`
/// (0, or a restart: a multiple of `w`, at least `w`) while it stays finite,
/// which it does exactly while no NaN, infinity or overflow has touched it
/// since its restart; it is then the answer. Returns the first output it
/// could not give (`x.len()` if none).
///
/// Past the first window it runs [`SEGMENTS`] segments at a time: their
/// sums go to `out`, then, if every segment's last sum is finite (once
/// non-finite, a running sum stays so), are divided in a pass of their own
/// that the compiler vectorizes. Each output is the same operations on the
/// same values as one segment after another would be: the same bits.
#[inline(always)]
fn running_mean<T: Real>(x: &[T], out: &mut [T], w: usize, from: usize) -> usize {
    let n = x.len();
    if cfg!(target_arch = "nvptx64") {
        // A GPU thread per row hides latency with other warps, and the
        // side-by-side sums would take registers a block of 1024 threads
        // needs: one output at a time there, the same bits.
        return running_segments(x, out, w, from, n);
    }
    let mut i = from;
    if i < w {
        let end = w.min(n);
        i = running_segments(x, out, w, i, end);
        if i < end {
            return i;
        }
    }
    let full = T::from_f64(w as f64);
    let block = SEGMENTS * w;
    while i + block <= n {
        let sums = segment_sums(&x[i - w..i + block], &mut out[i..i + block], w);
        if !sums.iter().all(|s| s.is_finite()) {
            return running_segments(x, out, w, i, n);
        }
        for o in &mut out[i..i + block] {
            *o = *o / full;
        }
        i += block;
    }
    running_segments(x, out, w, i, n)
}

/// The running sums of [`SEGMENTS`] segments of `w` outputs, written to
/// `sums` (their outputs), each segment's first the plain sum of its window
/// and each next one `sum + (x[i] - x[i - w])`; `x` starts `w` elements
/// before the first output. Returns each segment's last sum.
#[inline(always)]
fn segment_sums<T: Real>(x: &[T], sums: &mut [T], w: usize) -> [T; SEGMENTS] {
    let mut acc: [T; SEGMENTS] = core::array::from_fn(|s| plain_sum(&x[s * w + 1..][..w]));
    let mut outs = sums.chunks_exact_mut(w);
    let segs: [&mut [T]; SEGMENTS] = core::array::from_fn(|_| outs.next().unwrap_or_default());
    let (leave, enter) = (&x[..SEGMENTS * w], &x[w..][..SEGMENTS * w]);
    for s in 0..SEGMENTS {
        segs[s][0] = acc[s];
    }
    // Segment by segment within each step: the chains interleaved.
    #[allow(clippy::needless_range_loop)]
    for j in 1..w {
        for s in 0..SEGMENTS {
            let k = s * w + j;
            acc[s] = acc[s] + (enter[k] - leave[k]);
            segs[s][j] = acc[s];
        }
    }
    acc
}

/// [`running_mean`] one output at a time, from output `from` (0 or a
/// restart) to `end`: the first output it could not give, or `end`.
fn running_segments<T: Real>(x: &[T], out: &mut [T], w: usize, from: usize, end: usize) -> usize {
    let full = T::from_f64(w as f64);
    let mut sum = T::ZERO;
    // i % w, kept without a division per element.
    let mut phase = 0;
    for i in from..end {
        sum = if i < w {
            sum + x[i]
        } else if phase == 0 {
            plain_sum(&x[i + 1 - w..=i])
        } else {
            sum + (x[i] - x[i - w])
        };
        phase = if phase + 1 == w { 0 } else { phase + 1 };
        if !sum.is_finite() {
            return i;
        }
        let count = if i < w {
            T::from_f64((i + 1) as f64)
        } else {
            full
        };
        out[i] = sum / count;
    }
    end
}

/// From output `from`, where [`running_mean`] stopped: the window's finite
/// sum with its non-finite values counted beside it, each output the mean
/// of its window under IEEE rules, until a restart whose window is clean
/// (returned, for [`running_mean`] to resume) or the end.
#[cold]
fn tracked_mean<T: Real>(x: &[T], out: &mut [T], w: usize, from: usize) -> usize {
    let window = |i: usize| &x[(i + 1).saturating_sub(w)..=i];
    let (mut sum, mut specials) = NonFinite::scan(window(from));
    for i in from..x.len() {
        if i > from {
            if i >= w && i % w == 0 {
                (sum, specials) = NonFinite::scan(window(i));
                if specials.none() && sum.is_finite() {
                    return i;
                }
            } else {
                let enter = specials.enter(x[i]);
                let leave = if i < w {
                    T::ZERO
                } else {
                    specials.leave(x[i - w])
                };
                sum = sum + (enter - leave);
            }
        }
        if !sum.is_finite() {
            // Overflowed: re-summed, so the overflow is not carried on.
            sum = NonFinite::scan(window(i)).0;
        }
        out[i] = match specials.mean() {
            Some(special) => special,
            None if sum.is_finite() => sum / T::from_f64(window(i).len() as f64),
            None => scaled_mean(window(i)),
        };
    }
    x.len()
}

/// The non-finite values of a moving window, counted by kind.
#[derive(Clone, Copy, Default)]
struct NonFinite {
    nan: usize,
    pos_inf: usize,
    neg_inf: usize,
}

impl NonFinite {
    /// The finite sum of `window`, in order, and its non-finite values.
    fn scan<T: Real>(window: &[T]) -> (T, Self) {
        let mut specials = Self::default();
        let mut sum = T::ZERO;
        for &v in window {
            sum = sum + specials.enter(v);
        }
        (sum, specials)
    }

    fn count<T: Real>(&mut self, v: T, by: isize) {
        let slot = if v.is_nan() {
            &mut self.nan
        } else if v > T::ZERO {
            &mut self.pos_inf
        } else {
            &mut self.neg_inf
        };
        *slot = slot.wrapping_add_signed(by);
    }

    /// `v` entering the window: its part of the finite sum (0 if it is
    /// not finite, and then counted).
    #[inline(always)]
    fn enter<T: Real>(&mut self, v: T) -> T {
        if v.is_finite() {
            v
        } else {
            self.count(v, 1);
            T::ZERO
        }
    }

    /// `v` leaving the window: as [`NonFinite::enter`], uncounted.
    #[inline(always)]
    fn leave<T: Real>(&mut self, v: T) -> T {
        if v.is_finite() {
            v
        } else {
            self.count(v, -1);
            T::ZERO
        }
    }

    /// Whether the window holds only finite values.
    fn none(&self) -> bool {
        (self.nan | self.pos_inf | self.neg_inf) == 0
    }

    /// The window's mean if its non-finite values decide it.
    fn mean<T: Real>(&self) -> Option<T> {
        match (self.nan, self.pos_inf, self.neg_inf) {
            (0, 0, 0) => None,
            (0, _, 0) => Some(T::INFINITY),
            (0, 0, _) => Some(-T::INFINITY),
            _ => Some(T::NAN),
        }
    }
}

/// The sum of `xs`, in order.
#[inline]
fn plain_sum<T: Real>(xs: &[T]) -> T {
    let mut sum = T::ZERO;
    for &v in xs {
        sum = sum + v;
    }
    sum
}

/// The mean of the finite values of `xs` (all of them finite or counted
/// elsewhere) whose plain sum overflows: summed scaled by `2^-k`, `2^k` at
/// least the count, so the scaled sum cannot overflow; the scaling is exact
/// for every value large enough to matter.
fn scaled_mean<T: Real>(xs: &[T]) -> T {
    let k = (usize::BITS - xs.len().leading_zeros()) as i32;
    let (down, up) = (T::pow2(-k), T::pow2(k));
    let mut sum = T::ZERO;
    for &v in xs {
        if v.is_finite() {
            sum = sum + v * down;
        }
    }
    sum / T::from_f64(xs.len() as f64) * up
}

/// Row normalisation, `(n)->(n)`: `x / ||x||_2`; zero rows stay zero
/// (copied, so signed zeros keep their sign). Rows with an infinity or a
/// NaN give what the naive formula gives (`x / inf`, NaN).
///
/// The norm is computed on the row scaled by a power of two near
/// `1 / max |x|` (exact), so it neither overflows for `|x|` near the top of
/// the range nor underflows for tiny rows: `out = (s x) / sqrt(sum (s x)^2)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, DeviceValue)]
#[hotloop(crate = crate)]
#[repr(C)]
pub struct NormalizeRows;

#[device_op(builtin)]
impl<T: Real> GuKernel<T> for NormalizeRows {
    const NAME: &'static str = "normalize_rows";
    const SIGNATURE: &'static str = "(n)->(n)";

    #[inline]
    fn apply(&self, _core: &[usize], [x]: [&[T]; 1], [out]: [&mut [T]; 1]) {
        let out = &mut out[..x.len()];
        let amax = abs_max(x);
        if amax == T::ZERO {
            out.copy_from_slice(x);
            return;
        }
        if !amax.is_finite() {
            // inf or NaN: the norm is amax (inf, or NaN), as naively.
            for (o, &v) in out.iter_mut().zip(x) {
                *o = v / amax;
            }
            return;
        }
        // A scale keeping (s max)^2 * n far from overflow and underflow.
        let k = (-amax.ilogb()).clamp(T::MIN_EXP2 + 22, T::MAX_EXP2 - 23);
        let s = T::pow2(k);
        const LANES: usize = 4;
        let mut acc = [T::ZERO; LANES];
        let mut groups = x.chunks_exact(LANES);
        for g in &mut groups {
            for l in 0..LANES {
                let v = g[l] * s;
                acc[l] = acc[l] + v * v;
            }
        }
        for (l, &v) in groups.remainder().iter().enumerate() {
            let v = v * s;
            acc[l] = acc[l] + v * v;
        }
        let norm = ((acc[0] + acc[2]) + (acc[1] + acc[3])).sqrt();
        for (o, &v) in out.iter_mut().zip(x) {
            *o = (v * s) / norm;
        }
    }
}

/// The largest `|v|` of `xs` (`+0` for none), NaN if any is: the fold of
/// [`Num::max_of`], by a plain compare per lane that vectorizes, with the
/// NaNs noted beside it (no signed zeros to order: `|v|` is never `-0`).
#[inline(always)]
fn abs_max<T: Real>(xs: &[T]) -> T {
    const LANES: usize = 8;
    let mut acc = [T::ZERO; LANES];
    let mut nan = [false; LANES];
    let mut groups = xs.chunks_exact(LANES);
    for g in &mut groups {
        for l in 0..LANES {
            let a = g[l].abs();
            acc[l] = if a > acc[l] { a } else { acc[l] };
            nan[l] |= a.is_nan();
        }
    }
    for (l, &v) in groups.remainder().iter().enumerate() {
        let a = v.abs();
        acc[l] = if a > acc[l] { a } else { acc[l] };
        nan[l] |= a.is_nan();
    }
    if nan.contains(&true) {
        return T::NAN;
    }
    acc.into_iter()
        .fold(T::ZERO, |m, a| if a > m { a } else { m })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn direct_mean(x: &[f64], i: usize, w: usize) -> f64 {
        let lo = (i + 1).saturating_sub(w);
        x[lo..=i].iter().sum::<f64>() / (i + 1 - lo) as f64
    }

    #[test]
    fn moving_average_matches_the_definition() {
        let x: [f64; 23] = core::array::from_fn(|i| ((i * 7919) % 23) as f64 - 11.0);
        for w in [1, 2, 3, 5, 22, 23, 40] {
            let mut out = [f64::NAN; 23];
            GuKernel::<f64>::apply(&MovingAverage { window: w }, &[23], [&x], [&mut out]);
            for (i, &o) in out.iter().enumerate() {
                // Small integers: every partial sum is exact.
                assert_eq!(o, direct_mean(&x, i, w), "w={w} i={i}");
            }
        }
        assert!(GuKernel::<f64>::check(&MovingAverage { window: 0 }).is_err());
    }

    #[test]
    fn a_non_finite_value_poisons_only_its_own_windows() {
        for bad in [f64::INFINITY, f64::NEG_INFINITY, f64::NAN] {
            for w in [1, 2, 3, 4, 7] {
                let mut x = [1.0f64; 16];
                x[7] = bad;
                let mut out = [0.0; 16];
                GuKernel::<f64>::apply(&MovingAverage { window: w }, &[16], [&x], [&mut out]);
                for (i, &o) in out.iter().enumerate() {
                    let holds_it = i >= 7 && i < 7 + w;
                    let want = if holds_it { bad } else { 1.0 };
                    assert!(
                        o == want || (o.is_nan() && want.is_nan()),
                        "{bad} w={w} out[{i}] = {o}"
                    );
                }
            }
        }
        // Both infinities in one window: NaN, and only there.
        let mut x = [2.0f32; 10];
        (x[3], x[4]) = (f32::INFINITY, f32::NEG_INFINITY);
        let mut out = [0.0; 10];
        GuKernel::<f32>::apply(&MovingAverage { window: 2 }, &[10], [&x], [&mut out]);
        assert_eq!(out[3], f32::INFINITY);
        assert!(out[4].is_nan());
        assert_eq!(out[5], f32::NEG_INFINITY);
        assert_eq!(&out[6..], &[2.0; 4]);
    }

    #[test]
    fn a_sum_that_overflows_does_not_make_a_finite_mean_infinite() {
        let mut x = [1.0f64; 12];
        (x[4], x[5]) = (1e308, 1e308);
        let mut out = [0.0; 12];
        GuKernel::<f64>::apply(&MovingAverage { window: 2 }, &[12], [&x], [&mut out]);
        assert_eq!(out[5], 1e308);
        assert_eq!(out[4], (1e308 + 1.0) / 2.0);
        assert_eq!(out[6], (1e308 + 1.0) / 2.0);
        // 1e308 leaving a running sum cancels the 1.0 beside it (the
        // running sum's error is relative to what it has held since its
        // last restart) until the next restart, every `w` outputs.
        assert!((out[7] - 1.0).abs() <= 3.0 * 2.0 * f64::EPSILON * 1e308);
        assert_eq!(&out[8..], &[1.0; 4]);
        // Opposite extremes entering and leaving: the difference overflows.
        let x = [f32::MAX, -f32::MAX, f32::MAX, -f32::MAX, 3.0, 3.0];
        let mut out = [f32::NAN; 6];
        GuKernel::<f32>::apply(&MovingAverage { window: 2 }, &[6], [&x], [&mut out]);
        assert_eq!(&out[..4], &[f32::MAX, 0.0, 0.0, 0.0]);
        assert_eq!(out[4], (-f32::MAX + 3.0) / 2.0);
        assert!(out[5].is_finite());
        // Three values near the top of the range, window 3: mean is finite.
        let x = [f64::MAX; 3];
        let mut out = [0.0; 3];
        GuKernel::<f64>::apply(&MovingAverage { window: 3 }, &[3], [&x], [&mut out]);
        assert_eq!(out, [f64::MAX; 3]);
    }

    /// The moving average one output at a time: [`running_segments`] over
    /// the whole row, [`tracked_mean`] where it stops.
    fn one_at_a_time(x: &[f64], w: usize) -> std::vec::Vec<f64> {
        let mut out = std::vec![0.0; x.len()];
        let mut i = 0;
        while i < x.len() {
            i = running_segments(x, &mut out, w, i, x.len());
            if i < x.len() {
                i = tracked_mean(x, &mut out, w, i);
            }
        }
        out
    }

    #[test]
    fn segments_side_by_side_give_the_bits_of_one_at_a_time() {
        // Rows of several blocks, with rounding in every sum, and with a
        // NaN, an infinity or an overflow in the first block, a middle one,
        // a block's last element or the tail.
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64 * 200.0 - 100.0
        };
        for w in [1, 2, 3, 7, 16, 33] {
            let n = 5 * SEGMENTS * w + 3 * w + 5;
            let clean: std::vec::Vec<f64> = (0..n).map(|_| next() * 1.1).collect();
            let mut rows = std::vec![clean.clone()];
            for at in [
                1,
                w + 2,
                SEGMENTS * w + w - 1,
                2 * SEGMENTS * w + w / 2,
                n - 2,
            ] {
                for bad in [f64::NAN, f64::INFINITY, 1.5e308] {
                    let mut x = clean.clone();
                    x[at.min(n - 1)] = bad;
                    if bad == 1.5e308 {
                        x[(at + 1).min(n - 1)] = bad;
                    }
                    rows.push(x);
                }
            }
            for x in rows {
                let mut out = std::vec![0.0; n];
                GuKernel::<f64>::apply(&MovingAverage { window: w }, &[n], [&x], [&mut out]);
                let want = one_at_a_time(&x, w);
                for i in 0..n {
                    assert_eq!(out[i].to_bits(), want[i].to_bits(), "w={w} out[{i}]");
                }
            }
        }
    }

    #[test]
    fn abs_max_is_the_fold_of_max_of() {
        let rows: [&[f64]; 6] = [
            &[],
            &[-0.0, 0.0, -0.0],
            &[1.0, -7.5, 3.0, 2.0, -1.0, 0.5, 7.5, -2.0, 6.0, 1.0],
            &[1.0, 2.0, f64::NAN, 3.0],
            &[f64::NEG_INFINITY, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
            &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, -f64::NAN],
        ];
        for xs in rows {
            let want = xs.iter().fold(0.0, |m, &v| f64::max_of(m, v.abs()));
            assert_eq!(abs_max(xs).to_bits(), want.to_bits(), "{xs:?}");
        }
    }

    #[test]
    fn normalize_rows_unit_norm_and_edge_rows() {
        let x = [3.0f64, 0.0, -4.0];
        let mut out = [0.0; 3];
        NormalizeRows.apply(&[3], [&x], [&mut out]);
        assert_eq!(out, [0.6, 0.0, -0.8]);
        // Zero rows stay zero, with their signs.
        let z = [0.0f32, -0.0];
        let mut out = [1.0f32; 2];
        NormalizeRows.apply(&[2], [&z], [&mut out]);
        assert_eq!(out.map(f32::to_bits), z.map(f32::to_bits));
        // Huge and tiny rows: no overflow, no underflow.
        for scale in [1e300f64, 1e-310, 5e-324] {
            let x = [3.0 * scale, 4.0 * scale];
            let mut out = [0.0; 2];
            NormalizeRows.apply(&[2], [&x], [&mut out]);
            if scale > 1e-320 {
                assert!(
                    (out[0] - 0.6).abs() < 1e-15 && (out[1] - 0.8).abs() < 1e-15,
                    "{out:?}"
                );
            } else {
                assert!(out.iter().all(|v| v.is_finite() && *v > 0.0), "{out:?}");
            }
        }
        let big = [1.5e38f32, 2.0e38];
        let mut out = [0.0f32; 2];
        NormalizeRows.apply(&[2], [&big], [&mut out]);
        assert!(
            (out[0] - 0.6).abs() < 1e-6 && (out[1] - 0.8).abs() < 1e-6,
            "{out:?}"
        );
        // Non-finite rows follow the naive formula.
        let x = [1.0f64, f64::INFINITY];
        let mut o = [0.0f64; 2];
        NormalizeRows.apply(&[2], [&x], [&mut o]);
        assert_eq!(o[0], 0.0);
        assert!(o[1].is_nan());
        let mut o = [0.0f64; 2];
        NormalizeRows.apply(&[2], [&[1.0, f64::NAN]], [&mut o]);
        assert!(o.iter().all(|v| v.is_nan()));
    }

    #[test]
    fn raw_iteration_matches_apply() {
        let x: [f64; 12] = core::array::from_fn(|i| i as f64 - 5.5);
        let mut a = [0.0; 12];
        let mut b = [0.0; 12];
        for l in 0..3 {
            NormalizeRows.apply(&[4], [&x[4 * l..4 * l + 4]], [&mut a[4 * l..4 * l + 4]]);
            let blocks = Blocks {
                in_block: [4],
                in_step: [4],
                out_block: [4],
            };
            // SAFETY: 3 blocks of 4 in 12-element buffers; distinct arrays.
            unsafe {
                gufunc_at::<f64, _, 1, 1>(
                    &NormalizeRows,
                    &[4],
                    [x.as_ptr()],
                    [b.as_mut_ptr()],
                    &blocks,
                    l,
                )
            };
        }
        assert_eq!(a, b);
    }
}
