//! The example's kernels. The same functions are PTX entry points when this
//! crate is built for `nvptx64-nvidia-cuda` and typed launchers (with the
//! bodies the simulator runs) on the host; the ops are `@vectorize` and a
//! `prange` count that hotloop's `map` and `count_where` run on every
//! backend. `build.rs` builds the crate's PTX, `kernel_module!()` embeds it.
#![cfg_attr(
    target_arch = "nvptx64",
    no_std,
    feature(abi_ptx, asm_experimental_arch)
)]

use hotloop_device::prelude::*;
use hotloop_device::{bf16, f16};

hotloop_device::kernel_module!();

pub mod ports;

/// Softsign, `x / (1 + |x|)`: a user's `@vectorize`. `#[device_op]` on the
/// impl makes its GPU kernels (f32 and f64) and tells hotloop where they
/// are; the op passes to the device by value (`DeviceValue`).
#[derive(Clone, Copy, Debug, DeviceValue)]
#[repr(C)]
pub struct Softsign;

#[device_op]
impl<T: Real> UnaryOp<T> for Softsign {
    fn apply(&self, x: T) -> T {
        x / (T::ONE + x.abs())
    }
}

/// `|x - centre| > k * scale`: an outlier test with fields, for a
/// `count_where` (`prange` reduction) on any backend.
#[derive(Clone, Copy, Debug, DeviceValue)]
#[repr(C)]
pub struct Outlier<T> {
    /// Where the data is centred.
    pub centre: T,
    /// Its spread.
    pub scale: T,
    /// How many spreads away counts as an outlier.
    pub k: T,
}

#[device_op]
impl<T: Real> Predicate<T> for Outlier<T> {
    fn test(&self, x: T) -> bool {
        (x - self.centre).abs() > self.k * self.scale
    }
}

/// numba-examples' waveform zero suppression, its `@vectorize(['int16(int16,
/// int16)'])` line for line: a sample below the threshold in magnitude
/// becomes 0. An op on `i16` itself (no conversion through a float):
/// `ZeroSuppress.right(threshold)` binds the threshold as the example's
/// scalar argument.
#[derive(Clone, Copy, Debug, DeviceValue)]
#[repr(C)]
pub struct ZeroSuppress;

#[device_op]
impl BinaryOp<i16> for ZeroSuppress {
    fn apply(&self, value: i16, threshold: i16) -> i16 {
        // `unsigned_abs`: |-32768| is 32768, where `abs` would overflow.
        if value.unsigned_abs() < threshold.unsigned_abs() {
            0
        } else {
            value
        }
    }
}

/// A digitizer's counts to volts, `@vectorize(['float32(int16)'])`: an op
/// whose output type is not its input's (`UnaryOp<i16, f32>`), its entry
/// `custom_kernels_map_Volts_i16_f32`.
#[derive(Clone, Copy, Debug, DeviceValue)]
#[repr(C)]
pub struct Volts {
    /// Volts per count.
    pub per_count: f32,
    /// The counts at 0 V.
    pub offset: i16,
}

#[device_op]
impl UnaryOp<i16, f32> for Volts {
    fn apply(&self, counts: i16) -> f32 {
        // i16 - i16 in i32: no overflow whatever the offset.
        (i32::from(counts) - i32::from(self.offset)) as f32 * self.per_count
    }
}

/// Numba's `@guvectorize` matrix product, `(m,n),(n,p)->(m,p)`: two array
/// inputs and one output per iteration of the outer loop, `#[device_op]`
/// making its GPU entry (one thread per matrix).
#[derive(Clone, Copy, Debug, DeviceValue)]
#[repr(C)]
pub struct BatchedMatMul;

#[device_op]
impl<T: Real> GuKernel<T, 2, 1> for BatchedMatMul {
    const NAME: &'static str = "batched_matmul";
    const SIGNATURE: &'static str = "(m,n),(n,p)->(m,p)";

    fn apply(&self, core: &[usize], [a, b]: [&[T]; 2], [c]: [&mut [T]; 1]) {
        let (m, n, p) = (core[0], core[1], core[2]);
        for i in 0..m {
            for j in 0..p {
                let mut s = T::ZERO;
                for k in 0..n {
                    s = s + a[i * n + k] * b[k * p + j];
                }
                c[i * p + j] = s;
            }
        }
    }
}

/// numba-examples' Black-Scholes (its finance/blackscholes example), its
/// loop body line for line: three inputs (stock price, strike, years) and
/// two outputs (call and put), with the rate and volatility as fields. One
/// `NaryOp` runs it on every backend, the GPU through `#[device_op]`.
#[derive(Clone, Copy, Debug, DeviceValue)]
#[repr(C)]
pub struct BlackScholes<T> {
    /// The risk-free rate.
    pub riskfree: T,
    /// The volatility.
    pub volatility: T,
}

/// The cumulative normal distribution by the example's polynomial
/// (`cnd_numba`).
fn cnd<T: Real>(d: T) -> T {
    let c = T::from_f64;
    let (a1, a2, a3, a4, a5) = (
        c(0.31938153),
        c(-0.356563782),
        c(1.781477937),
        c(-1.821255978),
        c(1.330274429),
    );
    let rsqrt2pi = c(0.398_942_280_401_432_7);
    let k = T::ONE / (T::ONE + c(0.2316419) * d.abs());
    let ret =
        rsqrt2pi * (c(-0.5) * d * d).exp() * (k * (a1 + k * (a2 + k * (a3 + k * (a4 + k * a5)))));
    if d > T::ZERO { T::ONE - ret } else { ret }
}

#[device_op]
impl<T: Real> NaryOp<T, 3, 2> for BlackScholes<T> {
    fn apply(&self, [s, x, t]: [T; 3]) -> [T; 2] {
        let (r, v) = (self.riskfree, self.volatility);
        let sqrt_t = t.sqrt();
        let d1 = ((s / x).ln() + (r + T::from_f64(0.5) * v * v) * t) / (v * sqrt_t);
        let d2 = d1 - v * sqrt_t;
        let (cndd1, cndd2) = (cnd(d1), cnd(d2));
        let exp_rt = (-r * t).exp();
        [
            s * cndd1 - x * exp_rt * cndd2,
            x * exp_rt * (T::ONE - cndd2) - s * (T::ONE - cndd1),
        ]
    }
}

/// The math library's functions, one per column of the table: what the
/// GPU must compute bit for bit as the CPU does (`Real`'s functions are
/// the same code on every target).
pub const MATH_FUNCTIONS: usize = 34;

/// Function `f` of [`MATH_FUNCTIONS`] at `x` (the binary ones with a fixed
/// second operand).
pub fn math_function<T: Real>(f: usize, x: T) -> T {
    let c = T::from_f64;
    match f {
        0 => x.ln(),
        1 => x.log2(),
        2 => x.log10(),
        3 => x.exp(),
        4 => x.exp2(),
        5 => x.exp_m1(),
        6 => x.ln_1p(),
        7 => x.sqrt(),
        8 => x.cbrt(),
        9 => x.sin(),
        10 => x.cos(),
        11 => x.tan(),
        12 => x.asin(),
        13 => x.acos(),
        14 => x.atan(),
        15 => x.sinh(),
        16 => x.cosh(),
        17 => x.tanh(),
        18 => x.asinh(),
        19 => x.acosh(),
        20 => x.atanh(),
        21 => x.erf(),
        22 => x.erfc(),
        23 => x.gamma(),
        24 => x.ln_gamma(),
        25 => x.floor(),
        26 => x.ceil(),
        27 => x.round(),
        28 => x.trunc(),
        29 => x.powf(c(1.5)),
        30 => x.atan2(c(0.5)),
        31 => x.hypot(c(2.0)),
        32 => x.mul_add(c(3.0), c(1.0)),
        _ => x.copysign(c(-1.0)),
    }
}

/// `table[i, f]` = function `f` at `x[i]`, for every function of the
/// library (Numba's `math.*` in a `@cuda.jit` kernel). All of them in one
/// entry take ptxas 66 registers (sm_90, f64): launch it with at most 512
/// threads a block (64 K registers an SM), as the host does.
#[kernel(f32, f64)]
pub fn math_table<T: Real>(x: &[T], table: Out<T, 2>) {
    for i in grid_stride(x.len()) {
        for f in 0..MATH_FUNCTIONS {
            table.set([i, f], math_function(f, x[i]));
        }
    }
}

/// `x.astype(float16)` and to bfloat16, then a scaled sum back in f32:
/// half-precision storage, arithmetic through f32.
#[kernel]
pub fn to_half(x: &[f32], scale: f16, half: Out<f16>, brain: Out<bf16>, back: Out<f32>) {
    for i in grid_stride(x.len()) {
        let (h, b) = (f16::from_f32(x[i]), bf16::from_f32(x[i]));
        half.set(i, h);
        brain.set(i, b);
        back.set(i, h.to_f32() * scale.to_f32() + b.to_f32());
    }
}

/// A boolean mask of a 2-D array, NumPy's `(lo <= a) & (a < hi)` (or its
/// negation, `inside == false`): `bool` elements out, a `bool` scalar in.
#[kernel]
pub fn range_mask(a: View<f64, 2>, lo: f64, hi: f64, inside: bool, mask: Out<bool, 2>) {
    let (i, j) = grid_2d();
    if i < a.dim(0) && j < a.dim(1) {
        let v = a[[i, j]];
        mask.set([i, j], (lo <= v && v < hi) == inside);
    }
}

/// The blog's `@cuda.jit` kernel line for line: `x = cuda.grid(1)`, then
/// every `(y, z)` of plane `x`, z outer, the extents read from the
/// arrays' shapes. Launch one thread per x (the blog used 16 per block).
#[kernel]
pub fn add_two_blog(io_in: View<f64, 3>, io_out: Out<f64, 3>) {
    let x = grid_1d();
    if x < io_in.dim(0) {
        for z in 0..io_in.dim(2) {
            for y in 0..io_in.dim(1) {
                io_out.set([x, y, z], io_in[[x, y, z]] + 2.0);
            }
        }
    }
}

/// Add 2 to every element, grid-stride: any launch covers any length, and
/// neighbouring threads touch neighbouring elements (coalesced).
#[kernel]
pub fn add_two(input: &[f64], output: Out<f64>) {
    for i in grid_stride(input.len()) {
        output.set(i, input[i] + 2.0);
    }
}

/// `output = input + value`, built for f32 and f64 (entry points
/// `add_scalar_f32` and `add_scalar_f64`), as Numba compiles one kernel
/// per signature: launch with `add_scalar::launch::<f32, _>(..)`.
#[kernel(f32, f64)]
pub fn add_scalar<T: Real>(input: &[T], output: Out<T>, value: T) {
    for i in grid_stride(input.len()) {
        output.set(i, input[i] + value);
    }
}

/// `total[0] += sum(input)`: each thread sums its grid-stride share, the
/// block combines the shares in shared memory (a barrier between the
/// steps of the tree), and thread 0 adds the block's sum with one atomic.
#[kernel]
pub fn block_sum(input: &[u64], total: Out<u64>) {
    let tile = shared_array!(u64, 1024);
    let (t, n) = (thread_idx().x as usize, block_dim().x as usize);
    let mut acc = 0u64;
    for i in grid_stride(input.len()) {
        acc += input[i];
    }
    tile.set(t, acc);
    sync_threads();
    let mut stride = n.next_power_of_two() / 2;
    while stride > 0 {
        if t < stride && t + stride < n {
            tile.set(t, tile.get(t) + tile.get(t + stride));
        }
        sync_threads();
        stride /= 2;
    }
    if t == 0 {
        total.atomic_add(0, tile.get(0));
    }
}

/// Each block's largest element of its grid-stride share, through the
/// device crate's `block_reduce` (the shared-memory tree of `block_sum`,
/// written once for any op); the host takes the largest of the blocks'.
/// Threads with no element contribute `-inf`.
#[kernel]
pub fn block_max(input: &[f64], maxima: Out<f64>) {
    let mut m = f64::NEG_INFINITY;
    for i in grid_stride(input.len()) {
        m = m.max(input[i]);
    }
    let m = block_reduce(m, f64::max);
    if thread_idx().x == 0 {
        maxima.set(block_idx().x as usize, m);
    }
}

/// The tile width of [`fast_matmul`], a module constant as in Numba's
/// example: `shared_array!` shapes are evaluated at module scope. 32x32
/// tiles: 1024 threads a block, 8 KiB of shared memory for the two.
pub const TPB: usize = 32;

/// `C = A @ B`, numba-examples' `cu_square_matrix_mul` (Numba's docs'
/// `fast_matmul`) line for line: 2-D arrays indexed as `A[x, k]`, their
/// shapes as `A.shape[1]`, and two `TPB x TPB` shared tiles
/// (`cuda.shared.array((TPB, TPB), float32)`). Each block computes one
/// tile of `C`, loading one tile of `A` and one of `B` per step, with a
/// barrier after the loads and after their use. Launch
/// `((rows, cols) / TPB rounded up, (TPB, TPB))`.
#[kernel]
pub fn fast_matmul(a: View<f32, 2>, b: View<f32, 2>, c: Out<f32, 2>) {
    let sa = shared_array!(f32, [TPB, TPB]);
    let sb = shared_array!(f32, [TPB, TPB]);
    // Numba's names: x is the row of `C`, y its column.
    let (x, y) = grid_2d();
    let (tx, ty) = (thread_idx().x as usize, thread_idx().y as usize);
    let mut tmp = 0.0f32;
    for i in 0..a.dim(1).div_ceil(TPB) {
        // Out-of-range cells load zeros, so every thread reaches both
        // barriers (Numba's version requires shapes that are multiples of
        // TPB).
        let (col, row) = (ty + i * TPB, tx + i * TPB);
        sa.set(
            [tx, ty],
            if x < a.dim(0) && col < a.dim(1) {
                a[[x, col]]
            } else {
                0.0
            },
        );
        sb.set(
            [tx, ty],
            if row < b.dim(0) && y < b.dim(1) {
                b[[row, y]]
            } else {
                0.0
            },
        );
        sync_threads();
        for j in 0..TPB {
            tmp += sa.get([tx, j]) * sb.get([j, ty]);
        }
        sync_threads();
    }
    if x < c.dim(0) && y < c.dim(1) {
        c.set([x, y], tmp);
    }
}

/// A histogram as a Numba user writes it, `cuda.atomic.add(bins, b, 1)` on
/// int32 bins (values beyond the range in the edge bins), with the data's
/// extremes by `cuda.atomic.min` and `cuda.atomic.max` on floats.
#[kernel]
pub fn histogram(x: &[f64], lo: f64, width: f64, bins: Out<i32>, extremes: Out<f64>) {
    for i in grid_stride(x.len()) {
        let v = x[i];
        // `as` saturates: below `lo` (and NaN) is bin 0.
        let b = ((v - lo) / width) as usize;
        bins.atomic_add(b.min(bins.len() - 1), 1);
        extremes.atomic_min(0, v);
        extremes.atomic_max(1, v);
    }
}

/// Numba's zero suppression (numba-examples' waveform example,
/// `@vectorize(['int16(int16, int16)'])`), as a kernel over int16 samples:
/// a sample below the threshold in magnitude becomes 0; `kept` marks the
/// others with a uint8 1.
#[kernel]
pub fn zero_suppress(waveform: &[i16], threshold: i16, out: Out<i16>, kept: Out<u8>) {
    for i in grid_stride(waveform.len()) {
        let v = waveform[i];
        let keep = i32::from(v).abs() >= i32::from(threshold);
        out.set(i, if keep { v } else { 0 });
        kept.set(i, u8::from(keep));
    }
}
