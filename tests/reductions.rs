//! `prange` reductions: `min` and count-where against plain loops on every
//! CPU backend, f32 and f64; and the determinism of all four reductions
//! (sum, min, max, count) on 1, 2, 3 and 8 threads, bit for bit.

mod common;

use common::{SHAPES, backends, runs_closures, values};
use hotloop::Real;
use hotloop::{
    Backend, Element, Error, GreaterThan, InRange, IsNan, LessThan, count_where, count_where_slice,
    max_slice, min, min_slice, sum_slice,
};
use ndarray::Array3;

fn input<T: Element + Real>(shape: [usize; 3]) -> Array3<T> {
    let len = shape.iter().product();
    Array3::from_shape_vec(shape, values(len).into_iter().map(T::from_f64).collect()).unwrap()
}

fn min_and_counts_match_loops<T: Element + Real>() {
    for shape in SHAPES {
        let x = input::<T>(shape);
        let mut lowest = T::INFINITY;
        let (mut above, mut below, mut bin) = (0u64, 0u64, 0u64);
        let (t, lo, hi) = (T::from_f64(100.0), T::from_f64(-250.0), T::from_f64(-50.0));
        for &v in x.iter() {
            if v < lowest {
                lowest = v;
            }
            above += (v > t) as u64;
            below += (v < t) as u64;
            bin += (lo <= v && v < hi) as u64;
        }
        for be in backends() {
            match min(be, &x) {
                Ok(m) => assert_eq!(m, lowest, "{be} {shape:?}"),
                Err(e) => assert!(
                    x.is_empty() && matches!(e, Error::EmptyInput { op: "min" }),
                    "{be}: {e}"
                ),
            }
            assert_eq!(count_where(be, GreaterThan(t), &x).unwrap(), above, "{be}");
            assert_eq!(count_where(be, LessThan(t), &x).unwrap(), below, "{be}");
            assert_eq!(
                count_where(be, InRange { lo, hi }, &x).unwrap(),
                bin,
                "{be}"
            );
            if runs_closures(be) {
                let closure = move |v: T| v > t;
                assert_eq!(count_where(be, closure, &x).unwrap(), above, "{be}");
            }
        }
    }
}

#[test]
fn min_and_count_where_f64() {
    min_and_counts_match_loops::<f64>();
}

#[test]
fn min_and_count_where_f32() {
    min_and_counts_match_loops::<f32>();
}

#[test]
fn min_propagates_nan_and_nan_counts() {
    let mut v = values(100_000);
    v[54_321] = f64::NAN;
    v[99_999] = f64::NAN;
    for be in backends() {
        assert!(min_slice(be, &v).unwrap().is_nan(), "{be}");
        assert_eq!(count_where_slice(be, IsNan, &v).unwrap(), 2, "{be}");
        // Comparisons with NaN are false: neither side counts it.
        let n = v.len() as u64 - 2;
        let gt = count_where_slice(be, GreaterThan(0.0), &v).unwrap();
        let lt = count_where_slice(be, LessThan(0.0), &v).unwrap();
        let zero = count_where_slice(
            be,
            InRange {
                lo: 0.0,
                hi: 1e-300,
            },
            &v,
        )
        .unwrap();
        assert_eq!(gt + lt + zero, n, "{be}");
        if runs_closures(be) {
            let le = count_where_slice(be, |x: f64| x <= 0.0, &v).unwrap();
            assert_eq!(gt + le, n, "{be}");
        }
    }
    assert!(matches!(
        min_slice::<f32>(Backend::parallel(), &[]),
        Err(Error::EmptyInput { op: "min" })
    ));
    assert_eq!(
        count_where_slice(Backend::Serial, IsNan, &[] as &[f32]).unwrap(),
        0
    );
}

/// Inputs where the order of combination could show: magnitudes far apart
/// (sum), signed zeros as the extreme (min, max), NaNs with distinct
/// payloads (min, max).
fn tricky_inputs() -> Vec<Vec<f64>> {
    let n = 5 * 16_384 + 4321;
    let spread: Vec<f64> = values(n)
        .iter()
        .enumerate()
        .map(|(i, v)| v * 10f64.powi((i % 17) as i32 - 8))
        .collect();
    let zeros: Vec<f64> = (0..n).map(|i| if i % 7 < 3 { -0.0 } else { 0.0 }).collect();
    let mut nans = spread.clone();
    nans[16_384 + 5] = f64::from_bits(0x7ff8_0000_0000_0abc);
    nans[3 * 16_384 + 1] = f64::from_bits(0xfff8_0000_0000_0def);
    vec![spread, zeros, nans, values(1), values(16_384 * 3)]
}

#[test]
fn reductions_are_bit_identical_on_1_2_3_and_8_threads() {
    for x in tricky_inputs() {
        let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let serial = (
            sum_slice(Backend::Serial, &x).unwrap().to_bits(),
            min_slice(Backend::Serial, &x).unwrap().to_bits(),
            max_slice(Backend::Serial, &x).unwrap().to_bits(),
            count_where_slice(Backend::Serial, GreaterThan(0.0), &x).unwrap(),
        );
        let serial32 = (
            sum_slice(Backend::Serial, &x32).unwrap().to_bits(),
            min_slice(Backend::Serial, &x32).unwrap().to_bits(),
            max_slice(Backend::Serial, &x32).unwrap().to_bits(),
            count_where_slice(Backend::Serial, GreaterThan(0.0f32), &x32).unwrap(),
        );
        for t in [1, 2, 3, 8] {
            let be = Backend::parallel_with_threads(t).unwrap();
            let got = (
                sum_slice(be, &x).unwrap().to_bits(),
                min_slice(be, &x).unwrap().to_bits(),
                max_slice(be, &x).unwrap().to_bits(),
                count_where_slice(be, GreaterThan(0.0), &x).unwrap(),
            );
            assert_eq!(got, serial, "{be}, {} elements", x.len());
            let got32 = (
                sum_slice(be, &x32).unwrap().to_bits(),
                min_slice(be, &x32).unwrap().to_bits(),
                max_slice(be, &x32).unwrap().to_bits(),
                count_where_slice(be, GreaterThan(0.0f32), &x32).unwrap(),
            );
            assert_eq!(got32, serial32, "{be} f32");
        }
    }
}

#[test]
fn cuda_refuses_closures_with_the_reason() {
    let x = values(10);
    let e = count_where_slice(Backend::cuda(), |v: f64| v > 0.0, &x).unwrap_err();
    assert!(
        matches!(&e, Error::Unsupported { backend: "cuda", reason, .. } if reason.contains("#[device_op]")),
        "{e}"
    );
}

/// Launches under which a grid reduction's order of combination would show:
/// one thread, odd shapes, one huge block, and more blocks than elements.
fn grid_backends() -> Vec<Backend> {
    let mut v: Vec<Backend> = [(1, 1), (1, 1024), (3, 7), (1000, 32)]
        .into_iter()
        .map(|(b, t)| Backend::simulator_with(b, t).unwrap())
        .collect();
    v.push(Backend::simulator());
    v
}

#[test]
fn nan_payloads_and_signed_zeros_give_one_answer_on_every_backend_and_launch() {
    let mut x = values(100_000);
    x[5] = f64::from_bits(0x7ff8_0000_0000_00aa);
    x[70_001] = f64::from_bits(0xfff8_0000_0000_00bb);
    let zeros: Vec<f64> = (0..100_000)
        .map(|i| if i % 5 == 3 { -0.0 } else { 0.0 })
        .collect();
    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let mut all = cpu_backends_with_threads();
    all.extend(grid_backends());
    for b in all {
        // Any NaN gives the canonical NaN, whichever payload a launch meets first.
        assert_eq!(
            min_slice(b, &x).unwrap().to_bits(),
            f64::NAN.to_bits(),
            "{b}"
        );
        assert_eq!(
            max_slice(b, &x).unwrap().to_bits(),
            f64::NAN.to_bits(),
            "{b}"
        );
        assert_eq!(
            min_slice(b, &x32).unwrap().to_bits(),
            f32::NAN.to_bits(),
            "{b}"
        );
        // -0 is the smaller zero, +0 the larger, whatever the order.
        assert_eq!(
            min_slice(b, &zeros).unwrap().to_bits(),
            (-0.0f64).to_bits(),
            "{b}"
        );
        assert_eq!(
            max_slice(b, &zeros).unwrap().to_bits(),
            0.0f64.to_bits(),
            "{b}"
        );
    }
}

fn cpu_backends_with_threads() -> Vec<Backend> {
    let mut v = vec![Backend::Serial];
    v.extend([1, 2, 3, 8].map(|t| Backend::parallel_with_threads(t).unwrap()));
    v
}

#[test]
fn sums_are_the_cpu_bits_on_every_launch() {
    // Ten million f32 tenths: one simulated thread used to add them one by
    // one (8.8% off); now every launch sums the CPU's chunks.
    let tenths = vec![0.1f32; 10_000_000];
    let serial = sum_slice(Backend::Serial, &tenths).unwrap();
    let exact = 0.1f32 as f64 * 1e7;
    let widened: Vec<f64> = tenths.iter().map(|&v| v as f64).collect();
    assert!(
        (serial as f64 - exact).abs() <= common::sum_error_bound(&widened, f32::EPSILON as f64)
    );
    // Within a few ulp of the exact sum (NumPy: 1.0000001e6).
    assert!((serial as f64 - exact).abs() < 4.0 * 0.0625, "{serial}");
    // Cancellation: a launch-dependent order gave anything from 0 to 1792.
    let cancel: Vec<f64> = (0..3000).map(|i| [1e16, 1.0, -1e16][i % 3]).collect();
    let serial_cancel = sum_slice(Backend::Serial, &cancel).unwrap();
    let mut all = cpu_backends_with_threads();
    all.extend(grid_backends());
    for b in all {
        assert_eq!(
            sum_slice(b, &tenths).unwrap().to_bits(),
            serial.to_bits(),
            "{b}"
        );
        assert_eq!(
            sum_slice(b, &cancel).unwrap().to_bits(),
            serial_cancel.to_bits(),
            "{b}"
        );
    }
}

#[test]
fn a_huge_launch_costs_only_the_work() {
    // 2^31 - 1 blocks over ten elements: one partial, not 16 GiB of them;
    // 2^41 threads over ten elements: one block of 1024, not forever.
    let x = [1.0f64; 10];
    let huge = Backend::simulator_with(i32::MAX as u32, 1).unwrap();
    let wide = Backend::simulator_with(i32::MAX as u32, 1024).unwrap();
    for b in [huge, wide] {
        assert_eq!(sum_slice(b, &x).unwrap(), 10.0, "{b}");
        assert_eq!(max_slice(b, &x).unwrap(), 1.0, "{b}");
        assert_eq!(min_slice(b, &x).unwrap(), 1.0, "{b}");
        assert_eq!(
            count_where_slice(b, GreaterThan(0.0), &x).unwrap(),
            10,
            "{b}"
        );
        let mut y = [0.0f64; 10];
        hotloop::map_slice_into(b, hotloop::Affine { a: 2.0, b: 1.0 }, &x, &mut y).unwrap();
        assert_eq!(y, [3.0; 10], "{b}");
        assert_eq!(
            hotloop::monte_carlo_pi(b, 10, 7).unwrap().hits,
            hotloop::monte_carlo_pi(Backend::Serial, 10, 7)
                .unwrap()
                .hits
        );
    }
}
