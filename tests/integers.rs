//! The element-wise ops and reductions over integer arrays, on every
//! backend: NumPy's int8..uint64 semantics (sums widened to `i64`/`u64`
//! and wrapping, elements wrapping on `+`), checked against plain loops in
//! `i128`; and ops whose output or parameters are of another type than
//! their input.

mod common;

use common::{backends, closure_backends};
use hotloop::{
    Backend, BinaryOp, Element, Error, GreaterThan, InRange, LessThan, Num, Predicate, UnaryOp,
    add_scalar, count_where, map, map_into, map_slice_into, max, min, sum, zip,
};
use ndarray::{Array1, Array2, Array3};

/// `n` values spread over the whole range of `T`, both ends included,
/// from their bits (`i128`: wide enough for every integer type).
fn spread<T: Element + TryFrom<i128>>(n: usize, lo: i128, hi: i128) -> Vec<T> {
    (0..n)
        .map(|i| {
            let span = (hi - lo) as u128;
            let step = (i as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15) % (span + 1);
            let v = lo + step as i128;
            T::try_from(match i {
                0 => lo,
                1 => hi,
                _ => v,
            })
            .ok()
            .expect("in range")
        })
        .collect()
}

/// The sum NumPy gives: the exact sum, wrapped to 64 bits.
fn wrapped_sum(xs: impl Iterator<Item = i128>) -> i128 {
    let exact: i128 = xs.sum();
    exact as i64 as i128 // two's complement: the same bits as u64's wrap
}

macro_rules! reductions {
    ($($t:ident),*) => { $(
        #[test]
        fn $t() {
            let (lo, hi) = ($t::MIN as i128, $t::MAX as i128);
            // Past a chunk (4096) so every backend splits the work, and long
            // enough that the narrow types' sums leave their own range.
            for n in [1usize, 7, 4096 * 3 + 17] {
                let xs: Vec<$t> = spread(n, lo, hi);
                let a = Array1::from(xs.clone());
                let want_sum = wrapped_sum(xs.iter().map(|&x| x as i128));
                let want_max = *xs.iter().max().unwrap();
                let want_min = *xs.iter().min().unwrap();
                let t: $t = xs[n / 2];
                let above = xs.iter().filter(|&&x| x > t).count() as u64;
                for b in backends() {
                    let s = sum(b, &a).unwrap();
                    // i64 and u64 sums compared by their bits.
                    assert_eq!(s as i128 as i64, want_sum as i64, "{b:?} n={n}");
                    assert_eq!(max(b, &a).unwrap(), want_max, "{b:?} n={n}");
                    assert_eq!(min(b, &a).unwrap(), want_min, "{b:?} n={n}");
                    assert_eq!(count_where(b, GreaterThan(t), &a).unwrap(), above, "{b:?}");
                }
            }
        }
    )* };
}

mod sums_minima_maxima_and_counts {
    use super::*;
    reductions!(i8, u8, i16, u16, i32, u32, i64, u64);
}

#[test]
fn sums_widen_as_numpys_do() {
    // 30000 + 30000 leaves i16; NumPy's int16 sum is an int64 60000.
    let wave = Array1::from(vec![30_000i16, 30_000, 5]);
    let bytes = Array2::from_elem((300, 300), 255u8);
    for b in backends() {
        let s: i64 = sum(b, &wave).unwrap();
        assert_eq!(s, 60_005, "{b:?}");
        let s: u64 = sum(b, &bytes).unwrap();
        assert_eq!(s, 255 * 90_000, "{b:?}");
        // i64 wraps at 2^64, as NumPy's int64 sum does.
        let s = sum(b, &Array1::from(vec![i64::MAX, 1, 1])).unwrap();
        assert_eq!(s, i64::MIN + 1, "{b:?}");
        assert_eq!(sum(b, &Array1::<u32>::zeros(0)).unwrap(), 0u64, "{b:?}");
    }
}

#[test]
fn an_empty_array_has_no_extremes() {
    for b in backends() {
        let e = max(b, &Array1::<i32>::zeros(0)).unwrap_err();
        assert!(matches!(e, Error::EmptyInput { op: "max" }), "{b:?}: {e}");
        let e = min(b, &Array1::<u8>::zeros(0)).unwrap_err();
        assert!(matches!(e, Error::EmptyInput { op: "min" }), "{b:?}: {e}");
    }
}

#[test]
fn adding_a_scalar_wraps_as_numpy() {
    let a = Array3::from_shape_vec((1, 1, 3), vec![i16::MAX, -1, i16::MIN]).unwrap();
    let u = Array3::from_shape_vec((2, 1, 1), vec![250u8, 3]).unwrap();
    for b in backends() {
        let out = add_scalar(b, &a, 1).unwrap();
        assert_eq!(
            out.into_raw_vec_and_offset().0,
            [i16::MIN, 0, i16::MIN + 1],
            "{b:?}"
        );
        let out = add_scalar(b, &u, 10).unwrap();
        assert_eq!(out.into_raw_vec_and_offset().0, [4, 13], "{b:?}");
    }
}

#[test]
fn builtin_predicates_take_integer_thresholds() {
    let x = Array1::from((0..1000u16).collect::<Vec<_>>());
    for b in backends() {
        assert_eq!(count_where(b, LessThan(10u16), &x).unwrap(), 10, "{b:?}");
        let band = InRange {
            lo: 100u16,
            hi: 200,
        };
        assert_eq!(count_where(b, band, &x).unwrap(), 100, "{b:?}"); // lo <= x < hi
    }
}

/// Numba's `@vectorize` zero suppression of an int16 waveform
/// (numba-examples' `waveform`), written as a user's op.
#[derive(Clone, Copy, Debug)]
struct ZeroSuppress;

impl BinaryOp<i16> for ZeroSuppress {
    fn apply(&self, value: i16, threshold: i16) -> i16 {
        if value.unsigned_abs() < threshold.unsigned_abs() {
            0
        } else {
            value
        }
    }
}

#[test]
fn users_own_integer_ops_and_closures_run_on_every_backend_that_runs_closures() {
    let wave: Vec<i16> = spread(10_001, i16::MIN as i128, i16::MAX as i128);
    let a = Array1::from(wave.clone());
    let want: Vec<i16> = wave
        .iter()
        .map(|&v| if v.unsigned_abs() < 15_000 { 0 } else { v })
        .collect();
    let other = a.mapv(|v| v.wrapping_mul(7));
    for b in closure_backends() {
        let out = map(b, ZeroSuppress.right(15_000), &a).unwrap();
        assert_eq!(out.to_vec(), want, "{b:?}");
        // A closure over u8, as NumPy's uint8 image arithmetic: wrapping.
        let img = Array2::from_shape_fn((17, 33), |(i, j)| (i * 33 + j) as u8);
        let inv = map(b, |p: u8| 255 - p, &img).unwrap();
        assert_eq!(inv[[3, 4]], 255 - (3 * 33 + 4) as u8, "{b:?}");
        let z = zip(b, |x: i16, y: i16| x.wrapping_sub(y), &a, &other).unwrap();
        assert_eq!(
            z[100],
            wave[100].wrapping_sub(wave[100].wrapping_mul(7)),
            "{b:?}"
        );
    }
}

#[test]
fn the_generic_bound_is_num() {
    // Code written once over `Num` runs for integers and floats alike.
    fn largest<T: Element>(b: Backend, xs: &[T]) -> T {
        hotloop::max_slice(b, xs).unwrap()
    }
    assert_eq!(largest(Backend::Serial, &[3u64, 9, 4]), 9);
    assert_eq!(largest(Backend::Serial, &[3.5f32, -9.0]), 3.5);
    assert_eq!(<i8 as Num>::LOWEST, i8::MIN);
    assert_eq!(UnaryOp::apply(&|x: i32| x * 2, 4), 8);
}

/// An ADC's counts to volts: `int16` in, `float32` out (Numba's
/// `@vectorize(['float32(int16)'])`).
#[derive(Clone, Copy, Debug)]
struct Volts {
    per_count: f32,
}

impl UnaryOp<i16, f32> for Volts {
    fn apply(&self, counts: i16) -> f32 {
        f32::from(counts) * self.per_count
    }
}

/// A threshold of another type than the data: `int16` samples against a
/// `float64` level.
#[derive(Clone, Copy, Debug)]
struct Above {
    level: f64,
}

impl Predicate<i16> for Above {
    fn test(&self, x: i16) -> bool {
        f64::from(x) > self.level
    }
}

#[test]
fn an_op_may_change_the_element_type() {
    let counts: Vec<i16> = spread(5_003, i16::MIN as i128, i16::MAX as i128);
    let a = Array2::from_shape_vec((5, 1_000), counts[..5_000].to_vec()).unwrap();
    let op = Volts {
        per_count: 1.0 / 4096.0,
    };
    let want = a.mapv(|c| f32::from(c) * (1.0 / 4096.0));
    let above = counts[..5_000]
        .iter()
        .filter(|&&c| f64::from(c) > 1234.5)
        .count() as u64;
    for b in closure_backends() {
        let v: Array2<f32> = map(b, op, &a).unwrap();
        assert_eq!(v, want, "{b:?}");
        // Into an existing output of another layout, through a closure.
        let mut wide = Array2::<f64>::zeros((1_000, 5));
        let mut t = wide.view_mut().reversed_axes();
        map_into(b, |c: i16| f64::from(c) * 2.0, &a, &mut t).unwrap();
        assert_eq!(wide[[7, 3]], f64::from(a[[3, 7]]) * 2.0, "{b:?}");
        // Slices: u8 pixels to f64 intensities.
        let px: Vec<u8> = (0..=255).collect();
        let mut out = vec![0.0f64; px.len()];
        map_slice_into(b, |p: u8| f64::from(p) / 255.0, &px, &mut out).unwrap();
        assert_eq!(out[255], 1.0, "{b:?}");
        assert_eq!(
            count_where(b, Above { level: 1234.5 }, &a).unwrap(),
            above,
            "{b:?}"
        );
    }
}

#[test]
fn half_precision_maps_and_reductions_on_the_cpu_and_the_simulator() {
    use hotloop::half::{bf16, f16};
    let x: Vec<f16> = (0..5000)
        .map(|i| f16::from_f32((i % 97) as f32 * 0.25 - 12.0))
        .collect();
    let a = Array1::from(x.clone());
    // The sum is taken in f32 (a float16 sum of thousands of elements
    // would round away every further one).
    let want_sum: f32 = {
        let f: Vec<f32> = x.iter().map(|v| v.to_f32()).collect();
        hotloop_core::reduce::sum_slice(&f)
    };
    let want_max = x.iter().map(|v| v.to_f32()).fold(f32::MIN, f32::max);
    for b in closure_backends() {
        assert_eq!(sum(b, &a).unwrap(), want_sum, "{b:?}");
        assert_eq!(max(b, &a).unwrap().to_f32(), want_max, "{b:?}");
        let doubled = map(b, |v: f16| v + v, &a).unwrap();
        assert_eq!(doubled[3], x[3] + x[3], "{b:?}");
        let widened: Array1<f32> = map(b, |v: f16| v.to_f32(), &a).unwrap();
        assert_eq!(widened[10], x[10].to_f32(), "{b:?}");
        let brain = a.mapv(|v| bf16::from_f32(v.to_f32()));
        assert_eq!(
            count_where(b, GreaterThan(bf16::ZERO), &brain).unwrap(),
            5000 - x.iter().filter(|v| v.to_f32() <= 0.0).count() as u64,
            "{b:?}"
        );
        // NaN propagates to the canonical NaN, as for f32 and f64.
        let mut with_nan = a.clone();
        with_nan[77] = f16::from_bits(0x7e01);
        assert_eq!(
            min(b, &with_nan).unwrap().to_bits(),
            f16::NAN.to_bits(),
            "{b:?}"
        );
    }
    // The GPU's built-in kernels are not compiled for the half types: a
    // typed refusal, never a wrong answer.
    for b in backends()
        .into_iter()
        .filter(|b| matches!(b, Backend::Cuda { .. }))
    {
        let e = sum(b, &a).unwrap_err();
        assert!(matches!(e, Error::Unsupported { .. }), "{b:?}: {e}");
    }
}
