//! Element-wise maps (`@vectorize`) on every CPU backend, f32 and f64,
//! against plain loops written here.

mod common;

use approx::assert_abs_diff_eq;
use common::{SHAPES, backends, closure_backends, cpu_backends, runs_closures, values};
use hotloop::Real;
use hotloop::ops::{Add, Axpy, Mul};
use hotloop::{
    Affine, Backend, BinaryOp, Clamp, Element, Error, Exp, Polynomial, Sigmoid, map, map_in_place,
    map_into, map_slice_into, zip, zip_in_place, zip_into, zip_slice_into,
};
use ndarray::{Array, Array1, Array2, Array3, ArrayD, IxDyn, s};

fn input<T: Element + Real>(shape: [usize; 3]) -> Array3<T> {
    let len = shape.iter().product();
    Array3::from_shape_vec(shape, values(len).into_iter().map(T::from_f64).collect()).unwrap()
}

/// Distance in representable values (0 when equal or both NaN).
fn ulps(a: f64, b: f64) -> u64 {
    if a.is_nan() && b.is_nan() {
        return 0;
    }
    let key = |x: f64| {
        let b = x.to_bits() as i64;
        if b < 0 { i64::MIN - b } else { b }
    };
    key(a).abs_diff(key(b))
}

fn ulps32(a: f32, b: f32) -> u64 {
    if a.is_nan() && b.is_nan() {
        return 0;
    }
    let key = |x: f32| {
        let b = x.to_bits() as i32;
        (if b < 0 { i32::MIN - b } else { b }) as i64
    };
    key(a).abs_diff(key(b))
}

/// Every form of every built-in unary op, against loops.
fn unary_ops_match_loops<T: Element + Real>() {
    let (a, b) = (T::from_f64(1.5), T::from_f64(-0.25));
    let (lo, hi) = (T::from_f64(-100.0), T::from_f64(250.0));
    for shape in SHAPES {
        let x = input::<T>(shape);
        let xs = x.as_slice().unwrap();
        // Affine and clamp: the loop does the same operations, so exact.
        let mut affine = vec![T::ZERO; xs.len()];
        let mut clamp = vec![T::ZERO; xs.len()];
        for i in 0..xs.len() {
            affine[i] = a * xs[i] + b;
            clamp[i] = if xs[i] < lo {
                lo
            } else if xs[i] > hi {
                hi
            } else {
                xs[i]
            };
        }
        let affine = Array3::from_shape_vec(shape, affine).unwrap();
        let clamp = Array3::from_shape_vec(shape, clamp).unwrap();
        for be in backends() {
            let op = Affine { a, b };
            assert_eq!(map(be, op, &x).unwrap(), affine, "{be} {shape:?}");
            let mut out = Array3::from_elem(shape, T::INFINITY);
            map_into(be, op, &x, &mut out).unwrap();
            assert_eq!(out, affine, "{be} {shape:?} into");
            let mut d = x.clone();
            map_in_place(be, op, &mut d).unwrap();
            assert_eq!(d, affine, "{be} {shape:?} in place");
            let mut flat = vec![T::INFINITY; xs.len()];
            map_slice_into(be, op, xs, &mut flat).unwrap();
            assert_eq!(flat, affine.as_slice().unwrap(), "{be} {shape:?} slices");
            assert_eq!(map(be, Clamp { lo, hi }, &x).unwrap(), clamp, "{be} clamp");
        }
    }
}

#[test]
fn affine_and_clamp_in_every_form_f64() {
    unary_ops_match_loops::<f64>();
}

#[test]
fn affine_and_clamp_in_every_form_f32() {
    unary_ops_match_loops::<f32>();
}

#[test]
fn clamp_passes_nan_and_limits_infinities() {
    let x = Array1::from(vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 2.0]);
    for be in backends() {
        let y = map(be, Clamp { lo: -1.0, hi: 1.0 }, &x).unwrap();
        assert!(y[0].is_nan(), "{be}");
        assert_eq!(y.slice(s![1..]).to_vec(), [1.0, -1.0, -0.0, 1.0], "{be}");
    }
}

#[test]
fn clamp_with_a_nan_bound_is_nan_as_numpys_clip() {
    // np.clip(x, nan, nan), np.clip(x, nan, 1), np.clip(x, -1, nan): all NaN.
    let x = Array1::from(vec![f64::NAN, -5.0, 0.5, 5.0, f64::INFINITY]);
    let x32 = x.mapv(|v| v as f32);
    for (lo, hi) in [(f64::NAN, f64::NAN), (f64::NAN, 1.0), (-1.0, f64::NAN)] {
        for be in backends() {
            let y = map(be, Clamp { lo, hi }, &x).unwrap();
            assert!(y.iter().all(|v| v.is_nan()), "{be} clip({lo}, {hi}): {y}");
            let op = Clamp {
                lo: lo as f32,
                hi: hi as f32,
            };
            let y = map(be, op, &x32).unwrap();
            assert!(
                y.iter().all(|v| v.is_nan()),
                "{be} f32 clip({lo}, {hi}): {y}"
            );
        }
    }
}

/// The cubic `c0 + c1 x + c2 x^2 + c3 x^3` evaluated term by term in f64:
/// a different order from Horner's, so compared within a rounding bound.
fn polynomial_matches_power_sum<T: Element + Real>(eps: f64) {
    let c = [0.5, -1.25, 0.75, 2.0e-3];
    let op = Polynomial {
        coeffs: c.map(T::from_f64),
    };
    let x = input::<T>([7, 11, 131]);
    for be in backends() {
        let y = map(be, op, &x).unwrap();
        for (&xi, &yi) in x.iter().zip(y.iter()) {
            let v = xi.to_f64();
            let terms = [c[0], c[1] * v, c[2] * v * v, c[3] * v * v * v];
            let want: f64 = terms.iter().sum();
            // Horner with 3 multiply-adds: at most ~6 roundings of terms no
            // larger than sum |c_i x^i|.
            let tol = 8.0 * eps * terms.iter().map(|t| t.abs()).sum::<f64>();
            assert_abs_diff_eq!(yi.to_f64(), want, epsilon = tol);
        }
    }
}

#[test]
fn polynomial_is_horner_accurate() {
    polynomial_matches_power_sum::<f64>(f64::EPSILON);
    polynomial_matches_power_sum::<f32>(f32::EPSILON as f64);
}

#[test]
fn exp_map_is_within_2_ulp_of_std_on_every_backend() {
    // Values across the whole finite range of each type, edges included.
    let x64: Array1<f64> = (0..200_003)
        .map(|i| -745.2 + (i as f64) * (709.9 + 745.2) / 200_002.0)
        .chain([
            0.0,
            -0.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            709.78,
            -745.13,
        ])
        .collect();
    let x32: Array1<f32> = (0..200_003)
        .map(|i| -104.0 + (i as f32) * (89.0 + 104.0) / 200_002.0)
        .chain([
            0.0,
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            88.72,
            -103.97,
        ])
        .collect();
    for be in backends() {
        let y = map(be, Exp, &x64).unwrap();
        let worst = x64
            .iter()
            .zip(&y)
            .map(|(x, y)| ulps(*y, x.exp()))
            .max()
            .unwrap();
        assert!(worst <= 2, "{be}: f64 exp off by {worst} ulp");
        let y = map(be, Exp, &x32).unwrap();
        let worst = x32
            .iter()
            .zip(&y)
            .map(|(x, y)| ulps32(*y, (*x as f64).exp() as f32))
            .max()
            .unwrap();
        assert!(worst <= 2, "{be}: f32 exp off by {worst} ulp");
    }
}

/// `Sigmoid`, a built-in added on the `#[device_op]` path: f32 within 4 ulp
/// of the correctly rounded value (an f64 reference), f64 within 4 ulp of
/// the same formula over std's `exp`, on every backend.
#[test]
fn sigmoid_is_within_4_ulp_on_every_backend() {
    let x64: Array1<f64> = (0..100_003)
        .map(|i| -750.0 + (i as f64) * 1500.0 / 100_002.0)
        .chain([0.0, -0.0, 1e-300, -1e-300, 36.7, -36.7, 709.8, -745.1])
        .collect();
    let x32: Array1<f32> = (0..100_003)
        .map(|i| -110.0 + (i as f32) * 220.0 / 100_002.0)
        .chain([0.0, -0.0, 1e-30, -1e-30, 16.6, -16.6, 88.7, -103.9])
        .collect();
    let reference = |x: f64| {
        if x >= 0.0 {
            1.0 / (1.0 + (-x).exp())
        } else {
            x.exp() / (1.0 + x.exp())
        }
    };
    for be in backends() {
        let y = map(be, Sigmoid, &x64).unwrap();
        let worst = x64
            .iter()
            .zip(&y)
            .map(|(x, y)| ulps(*y, reference(*x)))
            .max()
            .unwrap();
        assert!(worst <= 4, "{be}: f64 sigmoid off by {worst} ulp");
        let y = map(be, Sigmoid, &x32).unwrap();
        let worst = x32
            .iter()
            .zip(&y)
            .map(|(x, y)| ulps32(*y, reference(*x as f64) as f32))
            .max()
            .unwrap();
        assert!(worst <= 4, "{be}: f32 sigmoid off by {worst} ulp");
        let special = map(
            be,
            Sigmoid,
            &Array1::from(vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY]),
        )
        .unwrap();
        assert!(special[0].is_nan());
        assert_eq!((special[1], special[2]), (1.0, 0.0), "{be}");
    }
}

fn binary_ops_match_loops<T: Element + Real>() {
    let k = T::from_f64(-3.0);
    for shape in SHAPES {
        let a = input::<T>(shape);
        let b = a.mapv(|v| v * T::from_f64(0.5) + T::ONE);
        let (xs, ys) = (a.as_slice().unwrap(), b.as_slice().unwrap());
        let n = xs.len();
        let (mut sum, mut prod, mut axpy, mut plus_s, mut s_minus) = (
            vec![T::ZERO; n],
            vec![T::ZERO; n],
            vec![T::ZERO; n],
            vec![T::ZERO; n],
            vec![T::ZERO; n],
        );
        for i in 0..n {
            sum[i] = xs[i] + ys[i];
            prod[i] = xs[i] * ys[i];
            axpy[i] = k * xs[i] + ys[i];
            plus_s[i] = xs[i] + k;
            s_minus[i] = k - xs[i];
        }
        let arr = |v: Vec<T>| Array3::from_shape_vec(shape, v).unwrap();
        let (sum, prod, axpy, plus_s, s_minus) =
            (arr(sum), arr(prod), arr(axpy), arr(plus_s), arr(s_minus));
        for be in backends() {
            assert_eq!(zip(be, Add, &a, &b).unwrap(), sum, "{be} {shape:?}");
            assert_eq!(zip(be, Mul, &a, &b).unwrap(), prod, "{be} {shape:?}");
            let mut out = Array3::from_elem(shape, T::INFINITY);
            zip_into(be, Axpy { a: k }, &a, &b, &mut out).unwrap();
            assert_eq!(out, axpy, "{be} {shape:?} into");
            let mut d = a.clone();
            zip_in_place(be, Axpy { a: k }, &mut d, &b).unwrap();
            assert_eq!(d, axpy, "{be} {shape:?} in place");
            let mut flat = vec![T::INFINITY; n];
            zip_slice_into(be, Mul, xs, ys, &mut flat).unwrap();
            assert_eq!(flat, prod.as_slice().unwrap(), "{be} {shape:?} slices");
            // Array ⊕ scalar and scalar ⊕ array.
            assert_eq!(map(be, Add.right(k), &a).unwrap(), plus_s, "{be} right");
            if runs_closures(be) {
                let minus = |x: T, y: T| x - y;
                assert_eq!(map(be, minus.left(k), &a).unwrap(), s_minus, "{be} left");
            }
            assert_eq!(
                map(be, Axpy { a: k }.right(T::ONE), &a).unwrap(),
                {
                    let mut v = a.clone();
                    v.mapv_inplace(|x| k * x + T::ONE);
                    v
                },
                "{be} axpy right"
            );
            assert_eq!(
                map(be, Mul.left(k), &a).unwrap(),
                a.mapv(|x| k * x),
                "{be} mul left"
            );
        }
    }
}

#[test]
fn binary_ops_and_scalar_operands_f64() {
    binary_ops_match_loops::<f64>();
}

#[test]
fn binary_ops_and_scalar_operands_f32() {
    binary_ops_match_loops::<f32>();
}

#[test]
fn add_right_is_add_scalar_bit_for_bit() {
    let x = input::<f64>([64, 128, 131]);
    for be in backends() {
        let a = hotloop::add_scalar(be, &x, 2.0).unwrap();
        assert_eq!(map(be, Add.right(2.0), &x).unwrap(), a, "{be}");
        assert_eq!(map(be, Affine { a: 1.0, b: 2.0 }, &x).unwrap(), a, "{be}");
    }
}

#[test]
fn closures_on_arrays_of_any_dimension() {
    let v = values(6 * 7 * 8 * 9);
    let x4 = ArrayD::from_shape_vec(IxDyn(&[6, 7, 8, 9]), v.clone()).unwrap();
    let x1 = Array1::from(v.clone());
    let x2 = Array2::from_shape_vec((42, 72), v).unwrap();
    let sq = |x: f64| x * x - 1.0;
    for be in closure_backends() {
        assert_eq!(map(be, sq, &x4).unwrap(), x4.mapv(sq), "{be}");
        assert_eq!(map(be, sq, &x1).unwrap(), x1.mapv(sq), "{be}");
        let neg = x2.mapv(|v| -v);
        let z = zip(be, |a: f64, b: f64| a.max(b), &x2, &neg).unwrap();
        assert_eq!(z, x2.mapv(f64::abs), "{be}");
    }
    let empty = Array::<f32, _>::zeros((0, 5));
    assert_eq!(map(Backend::parallel(), Exp, &empty).unwrap().dim(), (0, 5));
}

#[test]
fn outputs_beyond_the_streaming_threshold_are_right() {
    // 72 MiB of f64: StoreMode::Auto writes it with streaming stores.
    let n = 9 << 20;
    let x: Array1<f64> = (0..n).map(|i| (i % 1013) as f64 - 500.0).collect();
    let mut out = Array1::<f64>::zeros(n);
    for be in cpu_backends() {
        out.fill(f64::NAN);
        map_into(be, Affine { a: 0.5, b: 3.0 }, &x, &mut out).unwrap();
        assert!(x.iter().zip(&out).all(|(x, o)| *o == 0.5 * x + 3.0), "{be}");
        out.fill(f64::NAN);
        zip_into(be, Mul, &x, &x, &mut out).unwrap();
        assert!(x.iter().zip(&out).all(|(x, o)| *o == x * x), "{be}");
    }
}

#[test]
fn mismatched_arrays_are_refused_and_strided_ones_read() {
    let a = Array2::<f64>::zeros((3, 4));
    let b = Array2::<f64>::zeros((4, 3));
    let e = zip(Backend::Serial, Add, &a, &b).unwrap_err();
    assert_eq!(
        e.to_string(),
        "shape mismatch: a has shape [3, 4] but b has shape [4, 3]"
    );
    let mut out = Array2::<f64>::zeros((3, 5));
    let e = map_into(Backend::Serial, Exp, &a, &mut out).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
    // A transposed view is no error: it is read in its logical order.
    let t = Array2::from_shape_fn((3, 4), |(i, j)| (i * 4 + j) as f64 * 0.25);
    let got = map(Backend::Serial, Exp, &t.t()).unwrap();
    let want = map(Backend::Serial, Exp, &t.t().to_owned()).unwrap();
    assert_eq!(got, want);
    let e = map_slice_into(Backend::Serial, Exp, &[1.0, 2.0], &mut [0.0]).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
}

#[test]
fn cuda_refuses_ops_without_entry_points_and_the_simulator_runs_them() {
    let x = Array1::from(values(1000));
    let sq = |v: f64| v * v;
    // The simulator runs closures (any op) through the device kernels' own
    // per-thread bodies.
    for be in [Backend::simulator(), Backend::simulator_with(3, 7).unwrap()] {
        assert_eq!(map(be, sq, &x).unwrap(), x.mapv(sq), "{be}");
        let z = zip(be, |a: f64, b: f64| a - b, &x, &x).unwrap();
        assert!(z.iter().all(|&v| v == 0.0), "{be}");
    }
    // CUDA refuses them with the reason, GPU or not (the op is checked
    // before the device is opened).
    let e = map(Backend::cuda(), sq, &x).unwrap_err();
    match e {
        Error::Unsupported {
            backend,
            op,
            reason,
        } => {
            assert_eq!(backend, "cuda");
            assert!(op.contains("closure"), "{op}");
            assert!(reason.contains("#[device_op]"), "{reason}");
            assert!(reason.contains("Backend::Simulator"), "{reason}");
        }
        other => panic!("{other}"),
    }
    let e = zip(Backend::cuda(), |a: f64, b: f64| a - b, &x, &x).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Unsupported {
                backend: "cuda",
                ..
            }
        ),
        "{e}"
    );
}

/// Black-Scholes' shape, `(S, X, T) -> (call, put)`, with `Real`'s math
/// (the same functions on every backend).
fn pricing([s, x, t]: [f64; 3]) -> [f64; 2] {
    use hotloop::Real;
    let (r, v) = (0.02, 0.30);
    let sqrt_t = Real::sqrt(t);
    let d1 = (Real::ln(s / x) + (r + 0.5 * v * v) * t) / (v * sqrt_t);
    let d2 = d1 - v * sqrt_t;
    let n = |d: f64| 0.5 * Real::erfc(-d / std::f64::consts::SQRT_2);
    let disc = x * Real::exp(-r * t);
    [s * n(d1) - disc * n(d2), disc * n(-d2) - s * n(-d1)]
}

#[test]
fn several_inputs_and_outputs_give_the_loops_bits_on_every_backend() {
    let op = pricing;
    for shape in SHAPES {
        let len: usize = shape.iter().product();
        let v = values(len);
        let s = Array3::from_shape_fn(shape, |(i, j, k)| {
            5.0 + (v[(i * shape[1] + j) * shape[2] + k].abs() % 25.0)
        });
        let x = s.mapv(|s| 1.0 + (s * 7.0) % 99.0);
        let t = s.mapv(|s| 0.25 + (s * 3.0) % 9.75);
        // The loop a Numba user writes, one element at a time.
        let want_call = Array3::from_shape_fn(shape, |ix| pricing([s[ix], x[ix], t[ix]])[0]);
        let want_put = Array3::from_shape_fn(shape, |ix| pricing([s[ix], x[ix], t[ix]])[1]);
        for be in closure_backends() {
            let [call, put] = hotloop::map_n(be, op, [&s, &x, &t]).unwrap();
            assert_eq!(call, want_call, "{be} {shape:?}");
            assert_eq!(put, want_put, "{be} {shape:?}");
        }
    }
}

#[test]
fn several_outputs_into_slices_and_from_any_layout() {
    let a = Array2::from_shape_fn((37, 53), |(i, j)| (i * 53 + j) as f32 * 0.5);
    let b = Array2::from_shape_fn((53, 37), |(i, j)| (i + 2 * j) as f32).reversed_axes();
    let want_sum = &a + &b;
    let want_diff = &a - &b;
    for be in closure_backends() {
        let [sum, diff] = hotloop::map_n(
            be,
            |[x, y]: [f32; 2]| [x + y, x - y],
            [&a.view(), &b.view()],
        )
        .unwrap();
        assert_eq!((sum, diff), (want_sum.clone(), want_diff.clone()), "{be}");
        // Four inputs, three outputs, over slices.
        let xs: Vec<f32> = want_sum.iter().copied().collect();
        let (mut p, mut q, mut r) = (
            vec![0.0; xs.len()],
            vec![0.0; xs.len()],
            vec![0.0; xs.len()],
        );
        hotloop::map_n_slice_into(
            be,
            |[w, x, y, z]: [f32; 4]| [w + x, y * z, w - z],
            [&xs, &xs, &xs, &xs],
            [&mut p, &mut q, &mut r],
        )
        .unwrap();
        assert!(xs.iter().zip(&p).all(|(x, p)| *p == x + x), "{be}");
        assert!(xs.iter().zip(&q).all(|(x, q)| *q == x * x), "{be}");
        assert!(r.iter().all(|r| *r == 0.0), "{be}");
    }
}

#[test]
fn several_outputs_refuse_mismatched_arrays_and_closures_on_cuda() {
    let (a, b) = (Array1::<f64>::zeros(4), Array1::<f64>::zeros(5));
    let e = hotloop::map_n(Backend::Serial, |[x, y]: [f64; 2]| [x + y], [&a, &b]).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
    let (mut o1, mut o2) = (vec![0.0; 4], vec![0.0; 3]);
    let e = hotloop::map_n_slice_into(
        Backend::Serial,
        |[x]: [f64; 1]| [x, x],
        [a.as_slice().unwrap()],
        [&mut o1, &mut o2],
    )
    .unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
    let e = hotloop::map_n(Backend::cuda(), |[x, y]: [f64; 2]| [x * y], [&a, &a]).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Unsupported {
                backend: "cuda",
                ..
            }
        ),
        "{e}"
    );
}
