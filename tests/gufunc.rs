//! Generalized ufuncs (`@guvectorize`) on every CPU backend, f32 and f64:
//! the built-ins against direct definitions written here, user kernels of
//! other signatures, and the signature errors.

mod common;

use approx::assert_abs_diff_eq;
use common::{backends, closure_backends, values};
use hotloop::Real;
use hotloop::{
    Backend, Element, Error, GuKernel, MovingAverage, NormalizeRows, Num, gufunc, gufunc_into,
    gufunc_n, moving_average, normalize_rows,
};
use ndarray::{Array1, Array2, Array3, Array4, ArrayD, IxDyn};

fn array<T: Element + Real>(shape: &[usize]) -> ArrayD<T> {
    let len = shape.iter().product();
    ArrayD::from_shape_vec(
        IxDyn(shape),
        values(len).into_iter().map(T::from_f64).collect(),
    )
    .unwrap()
}

/// `out[i] = mean(x[max(0, i - w + 1) ..= i])`, summed directly in f64.
fn direct_moving_average(row: &[f64], w: usize) -> Vec<f64> {
    (0..row.len())
        .map(|i| {
            let lo = (i + 1).saturating_sub(w);
            let s: f64 = row[lo..=i].iter().sum();
            s / (i + 1 - lo) as f64
        })
        .collect()
}

fn moving_average_matches_definition<T: Element + Real>(eps: f64) {
    let shapes: [&[usize]; 7] = [
        &[1],
        &[37],
        &[5, 64],
        &[3, 4, 129],
        &[0, 8],
        &[4, 0],
        &[2000, 33],
    ];
    for shape in shapes {
        let x = array::<T>(shape);
        let n = *shape.last().unwrap();
        let rows: Vec<Vec<f64>> = if n == 0 {
            Vec::new()
        } else {
            x.as_slice()
                .unwrap()
                .chunks(n)
                .map(|r| r.iter().map(|v| v.to_f64()).collect())
                .collect()
        };
        for w in [1, 2, 3, 7, 16, n.max(1), n + 5] {
            let serial = moving_average(Backend::Serial, &x, w).unwrap();
            for be in backends() {
                let got = moving_average(be, &x, w).unwrap();
                assert_eq!(got.shape(), shape);
                // Rows are independent: every backend, every thread count,
                // the same bits.
                assert_eq!(got, serial, "{be} {shape:?} w={w}");
            }
            for (r, row) in rows.iter().enumerate() {
                let want = direct_moving_average(row, w);
                // A window sum restarted every w outputs: at most about 3w
                // roundings of partial sums bounded by the row's max |x|.
                let amax = row.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                let tol = (3 * w.min(n) + 4) as f64 * eps * amax;
                for (i, want) in want.iter().enumerate() {
                    let g = serial.as_slice().unwrap()[r * n + i].to_f64();
                    assert_abs_diff_eq!(g, *want, epsilon = tol);
                }
            }
        }
    }
}

#[test]
fn moving_average_f64() {
    moving_average_matches_definition::<f64>(f64::EPSILON);
}

#[test]
fn moving_average_f32() {
    moving_average_matches_definition::<f32>(f32::EPSILON as f64);
}

fn normalize_rows_matches_definition<T: Element + Real>(eps: f64) {
    let shapes: [&[usize]; 6] = [&[1], &[3], &[6, 1000], &[3, 4, 17], &[0, 3], &[700, 64]];
    for shape in shapes {
        let mut x = array::<T>(shape);
        let n = *shape.last().unwrap();
        // A zero row among the others.
        if x.len() >= 2 * n {
            x.as_slice_mut().unwrap()[n..2 * n].fill(T::ZERO);
        }
        let serial = normalize_rows(Backend::Serial, &x).unwrap();
        for be in backends() {
            assert_eq!(normalize_rows(be, &x).unwrap(), serial, "{be} {shape:?}");
        }
        for (r, (row, got)) in x
            .as_slice()
            .unwrap()
            .chunks(n)
            .zip(serial.as_slice().unwrap().chunks(n))
            .enumerate()
        {
            let row: Vec<f64> = row.iter().map(|v| v.to_f64()).collect();
            let mut sq = 0.0;
            for v in &row {
                sq += v * v;
            }
            let norm = sq.sqrt();
            for (v, g) in row.iter().zip(got) {
                let g = g.to_f64();
                if norm == 0.0 {
                    assert_eq!(g, 0.0, "zero row {r} stays zero");
                    continue;
                }
                let want = v / norm;
                // Sum of n squares (n roundings at most), a square root and
                // a division, in T; the f64 reference is far more accurate
                // for f32 and about as accurate for f64.
                let tol = (n as f64 + 8.0) * eps * want.abs() + eps * 1e-300;
                assert_abs_diff_eq!(g, want, epsilon = tol);
            }
        }
    }
}

#[test]
fn normalize_rows_f64() {
    normalize_rows_matches_definition::<f64>(f64::EPSILON);
}

#[test]
fn normalize_rows_f32() {
    normalize_rows_matches_definition::<f32>(f32::EPSILON as f64);
}

#[test]
fn normalize_rows_does_not_overflow() {
    let x = Array2::<f64>::from_shape_vec((2, 2), vec![3e300, 4e300, 3e-310, 4e-310]).unwrap();
    for be in backends() {
        let y = normalize_rows(be, &x).unwrap();
        for r in 0..2 {
            assert!(
                (y[[r, 0]] - 0.6).abs() < 1e-12 && (y[[r, 1]] - 0.8).abs() < 1e-12,
                "{y}"
            );
        }
    }
}

/// A user kernel of another shape: `(n)->()`, each row's sum of squares.
#[derive(Clone, Copy)]
struct SumSquares;
impl<T: Element + Real> GuKernel<T> for SumSquares {
    const NAME: &'static str = "sum_squares";
    const SIGNATURE: &'static str = "(n)->()";
    fn apply(&self, core: &[usize], [input]: [&[T]; 1], [out]: [&mut [T]; 1]) {
        assert_eq!(core, [input.len()]);
        let mut s = T::ZERO;
        for &v in input {
            s = s + v * v;
        }
        out[0] = s;
    }
}

/// `(m,n)->(n)`: column means of each m x n block.
#[derive(Clone, Copy)]
struct ColumnMeans;
impl GuKernel<f64> for ColumnMeans {
    const NAME: &'static str = "column_means";
    const SIGNATURE: &'static str = "(m,n)->(n)";
    fn apply(&self, core: &[usize], [input]: [&[f64]; 1], [out]: [&mut [f64]; 1]) {
        let (m, n) = (core[0], core[1]);
        for (j, o) in out.iter_mut().enumerate() {
            *o = (0..m).map(|i| input[i * n + j]).sum::<f64>() / m as f64;
        }
    }
}

#[test]
fn user_kernels_of_other_signatures() {
    let x = array::<f64>(&[4, 5, 6]);
    for be in closure_backends() {
        let s = gufunc(be, SumSquares, &x).unwrap();
        assert_eq!(s.shape(), [4, 5]);
        for (r, row) in x.as_slice().unwrap().chunks(6).enumerate() {
            let mut want = 0.0;
            for v in row {
                want += v * v;
            }
            assert_eq!(s.as_slice().unwrap()[r], want, "{be}");
        }
        let c = gufunc(be, ColumnMeans, &x).unwrap();
        assert_eq!(c.shape(), [4, 6]);
        for b in 0..4 {
            for j in 0..6 {
                let mut want = 0.0;
                for i in 0..5 {
                    want += x[[b, i, j]];
                }
                assert_eq!(c[[b, j]], want / 5.0, "{be}");
            }
        }
        let mut out = Array2::<f64>::zeros((4, 6));
        gufunc_into(be, ColumnMeans, &x, &mut out).unwrap();
        assert_eq!(out.into_dyn(), c);
    }
}

fn signature_detail(e: Error) -> String {
    match e {
        Error::Signature { detail, .. } => detail,
        other => panic!("expected a signature error, got {other}"),
    }
}

#[test]
fn shape_errors_name_the_dimension() {
    let x = Array2::<f64>::zeros((3, 5));
    let mut out = Array2::<f64>::zeros((3, 4));
    let e = gufunc_into(Backend::Serial, MovingAverage { window: 2 }, &x, &mut out).unwrap_err();
    assert_eq!(
        e.to_string(),
        "moving_average with signature (n),()->(n): core dimension n: input has 5, output has 4"
    );
    let mut out = Array2::<f64>::zeros((2, 5));
    let e = gufunc_into(Backend::parallel(), NormalizeRows, &x, &mut out).unwrap_err();
    assert_eq!(
        signature_detail(e),
        "loop dimensions: input has [3], output has [2]"
    );
    let mut out = Array1::<f64>::zeros(15);
    let e = gufunc_into(Backend::Serial, NormalizeRows, &x, &mut out).unwrap_err();
    assert!(signature_detail(e).starts_with("output has 1 dimensions but needs 2"));
    let scalar = ndarray::arr0(1.0f64);
    let e = normalize_rows(Backend::Serial, &scalar).unwrap_err();
    let d = signature_detail(e);
    assert!(
        d.contains("input has 0 dimensions") && d.contains("(n)"),
        "{d}"
    );
    let mut out = Array3::<f64>::zeros((3, 5, 1));
    let e = gufunc_into(Backend::Serial, SumSquares, &x, &mut out).unwrap_err();
    assert!(signature_detail(e).starts_with("output has 3 dimensions but needs 1"));
}

#[test]
fn a_window_of_zero_is_an_invalid_argument() {
    let x = Array2::<f32>::zeros((3, 5));
    let e = moving_average(Backend::Serial, &x, 0).unwrap_err();
    assert!(
        matches!(
            &e,
            Error::InvalidArgument {
                what: "moving_average",
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "invalid moving_average: the window must be at least 1 element"
    );
}

/// Kernels whose signatures hotloop cannot run say why.
#[derive(Clone, Copy)]
struct Bad<const K: usize>;
impl<const K: usize> GuKernel<f64> for Bad<K> {
    const NAME: &'static str = "bad";
    const SIGNATURE: &'static str = ["(n)->(m)", "(n),(n)->(n)", "(n)(n)->(n)", "(n)->(n),(n)"][K];
    fn apply(&self, _: &[usize], _: [&[f64]; 1], _: [&mut [f64]; 1]) {
        unreachable!("never planned")
    }
}

#[test]
fn malformed_or_unsupported_signatures_are_errors() {
    let x = Array2::<f64>::zeros((2, 3));
    let d = signature_detail(gufunc(Backend::Serial, Bad::<0>, &x).unwrap_err());
    assert!(
        d.contains("output core dimension m does not appear in the input"),
        "{d}"
    );
    let d = signature_detail(gufunc(Backend::Serial, Bad::<1>, &x).unwrap_err());
    assert!(
        d.contains("2 array inputs in the signature, 1 arrays given"),
        "{d}"
    );
    let d = signature_detail(gufunc(Backend::Serial, Bad::<2>, &x).unwrap_err());
    assert!(d.contains("expected `,`"), "{d}");
    let d = signature_detail(gufunc(Backend::Serial, Bad::<3>, &x).unwrap_err());
    assert!(
        d.contains("2 outputs in the signature, the kernel writes 1"),
        "{d}"
    );
}

#[test]
fn cuda_refuses_gufuncs_without_a_device_kernel_with_the_reason() {
    let x = array::<f64>(&[4, 5, 6]);
    let e = gufunc(Backend::cuda(), SumSquares, &x).unwrap_err();
    assert!(
        matches!(&e, Error::Unsupported { backend: "cuda", reason, .. } if reason.contains("#[device_op]")),
        "{e}"
    );
}

#[test]
fn non_finite_values_poison_only_their_own_windows_on_every_backend() {
    // [1; 16] with x[7] = inf, NaN or -inf, window 3: outputs 7..=9 hold it,
    // every other output is 1 (a running sum used to carry NaN on to the
    // next multiple of the window); two 1e308 average to 1e308, not inf.
    for bad in [f64::INFINITY, f64::NAN, f64::NEG_INFINITY] {
        let mut x = Array2::from_elem((2, 16), 1.0f64);
        x[[0, 7]] = bad;
        x[[1, 4]] = 1e308;
        x[[1, 5]] = 1e308;
        let x32 = x.mapv(|v| if v == 1e308 { 3e38f32 } else { v as f32 });
        for be in backends() {
            let y = moving_average(be, &x, 3).unwrap();
            let y32 = moving_average(be, &x32, 3).unwrap();
            for i in 0..16 {
                let want = if (7..=9).contains(&i) { bad } else { 1.0 };
                for got in [y[[0, i]], y32[[0, i]] as f64] {
                    assert!(
                        got == want || (got.is_nan() && want.is_nan()),
                        "{be}: {bad} out[{i}] = {got}"
                    );
                }
            }
            let mean = 1e308 / 3.0 * 2.0;
            assert!(
                (y[[1, 5]] - mean).abs() <= 4.0 * f64::EPSILON * mean,
                "{be}: {}",
                y[[1, 5]]
            );
            let mean32 = 3e38f64 / 3.0 * 2.0;
            assert!(
                (y32[[1, 5]] as f64 - mean32).abs() <= 4e-7 * mean32,
                "{be}: {}",
                y32[[1, 5]]
            );
        }
    }
}

/// numba-examples' `@guvectorize` matrix product, `(m,n),(n,p)->(m,p)`:
/// two array inputs, for integers and floats alike.
#[derive(Clone, Copy, Debug)]
struct MatMul;

impl<T: Num> GuKernel<T, 2, 1> for MatMul {
    const NAME: &'static str = "matmul";
    const SIGNATURE: &'static str = "(m,n),(n,p)->(m,p)";

    fn apply(&self, core: &[usize], [a, b]: [&[T]; 2], [c]: [&mut [T]; 1]) {
        let [m, n, p] = [core[0], core[1], core[2]];
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

/// `(n)->(),()`: each row's smallest and largest element, two outputs.
#[derive(Clone, Copy, Debug)]
struct Extremes;

impl GuKernel<i32, 1, 2> for Extremes {
    const NAME: &'static str = "extremes";
    const SIGNATURE: &'static str = "(n)->(),()";

    fn apply(&self, _: &[usize], [x]: [&[i32]; 1], [lo, hi]: [&mut [i32]; 2]) {
        lo[0] = x.iter().copied().min().unwrap_or(i32::MAX);
        hi[0] = x.iter().copied().max().unwrap_or(i32::MIN);
    }
}

#[test]
fn gufuncs_of_several_arrays_run_on_every_backend_that_runs_closures() {
    let a = Array3::from_shape_fn((7, 3, 4), |(l, i, k)| {
        ((l * 31 + i * 7 + k * 3) % 11) as i64 - 5
    });
    let b = Array3::from_shape_fn((7, 4, 2), |(l, k, j)| ((l * 13 + k * 5 + j) % 7) as i64 - 3);
    let shared = b.index_axis(ndarray::Axis(0), 2).to_owned();
    let want = |l: usize, b: &ndarray::ArrayView2<i64>| a.index_axis(ndarray::Axis(0), l).dot(b);
    let rows = Array2::from_shape_fn((50, 9), |(r, c)| ((r * 17 + c * 29) % 23) as i32 - 11);
    for be in closure_backends() {
        let [c] = gufunc_n(be, MatMul, [a.view().into_dyn(), b.view().into_dyn()]).unwrap();
        assert_eq!(c.shape(), [7, 3, 2], "{be}");
        for l in 0..7 {
            let got = c.index_axis(ndarray::Axis(0), l);
            assert_eq!(
                got,
                want(l, &b.index_axis(ndarray::Axis(0), l)).into_dyn(),
                "{be}"
            );
        }
        // One matrix for every iteration: NumPy's broadcast of a core-only input.
        let [c] = gufunc_n(be, MatMul, [a.view().into_dyn(), shared.view().into_dyn()]).unwrap();
        for l in 0..7 {
            let got = c.index_axis(ndarray::Axis(0), l);
            assert_eq!(got, want(l, &shared.view()).into_dyn(), "{be}");
        }
        // Floats: a transposed view is read in its logical order.
        let af = a.mapv(|v| v as f64 * 0.5);
        let bt = b.mapv(|v| v as f64).permuted_axes([0, 2, 1]).to_owned();
        let bt = bt.view().permuted_axes([0, 2, 1]);
        let [cf] = gufunc_n(be, MatMul, [af.view().into_dyn(), bt.into_dyn()]).unwrap();
        assert_eq!(cf, c_float(&a, &b), "{be}");
        // Two outputs.
        let [lo, hi] = gufunc_n(be, Extremes, [rows.view().into_dyn()]).unwrap();
        assert_eq!(lo.shape(), [50], "{be}");
        for r in 0..50 {
            let row = rows.row(r);
            assert_eq!(lo[[r]], *row.iter().min().unwrap(), "{be}");
            assert_eq!(hi[[r]], *row.iter().max().unwrap(), "{be}");
        }
    }
    // Shapes that do not fit say which dimension.
    let bad = Array3::<i64>::zeros((6, 4, 2));
    let e = gufunc_n(
        Backend::Serial,
        MatMul,
        [a.view().into_dyn(), bad.view().into_dyn()],
    );
    let d = signature_detail(e.unwrap_err());
    assert_eq!(d, "loop dimensions: input 1 has [7], input 2 has [6]");
    let bad = Array2::<i64>::zeros((5, 2));
    let e = gufunc_n(
        Backend::Serial,
        MatMul,
        [a.view().into_dyn(), bad.view().into_dyn()],
    );
    let d = signature_detail(e.unwrap_err());
    assert_eq!(
        d,
        "core dimension n: input 1 axis 2 has 4, input 2 axis 0 has 5"
    );
}

#[test]
fn gufunc_loop_dimensions_broadcast_as_numpy_s() {
    // (5, 1, 2, 3) @ (4, 3, 2) loops over (5, 4): a[i, 0] times b[j].
    let a = Array4::from_shape_fn((5, 1, 2, 3), |(i, _, r, c)| (i * 6 + r * 3 + c) as i64 - 7);
    let b = Array3::from_shape_fn((4, 3, 2), |(j, r, c)| (j * 5 + r * 2 + c) as i64 % 4 - 1);
    let ones = Array4::from_shape_fn((1, 1, 3, 2), |(_, _, r, c)| (r + c) as i64);
    let ax = ndarray::Axis(0);
    for be in closure_backends() {
        let [c] = gufunc_n(be, MatMul, [a.view().into_dyn(), b.view().into_dyn()]).unwrap();
        assert_eq!(c.shape(), [5, 4, 2, 2], "{be}");
        for i in 0..5 {
            for j in 0..4 {
                let want = a
                    .index_axis(ax, i)
                    .index_axis(ax, 0)
                    .dot(&b.index_axis(ax, j));
                let got = c.index_axis(ax, i).index_axis_move(ax, j);
                assert_eq!(got, want.into_dyn(), "{be} [{i}, {j}]");
            }
        }
        // An input whose loop dimensions are all 1 is shared, whatever
        // their number: (5, 1, 2, 3) @ (1, 1, 3, 2) loops over (5, 1).
        let [d] = gufunc_n(be, MatMul, [a.view().into_dyn(), ones.view().into_dyn()]).unwrap();
        assert_eq!(d.shape(), [5, 1, 2, 2], "{be}");
        let shared = ones.index_axis(ax, 0).index_axis_move(ax, 0);
        for i in 0..5 {
            let want = a.index_axis(ax, i).index_axis(ax, 0).dot(&shared);
            assert_eq!(
                d.index_axis(ax, i).index_axis_move(ax, 0),
                want.into_dyn(),
                "{be}"
            );
        }
    }
    // Loop dimensions that do not broadcast name the inputs.
    let bad = Array4::<i64>::zeros((2, 3, 3, 2));
    let e = gufunc_n(
        Backend::Serial,
        MatMul,
        [a.view().into_dyn(), bad.view().into_dyn()],
    );
    assert_eq!(
        signature_detail(e.unwrap_err()),
        "loop dimensions: input 1 has [5, 1], input 2 has [2, 3]"
    );
}

/// [`MatMul`]'s product in f64 with `a` halved, as ndarray computes it.
fn c_float(a: &Array3<i64>, b: &Array3<i64>) -> ArrayD<f64> {
    let mut out = Array3::<f64>::zeros((7, 3, 2));
    for l in 0..7 {
        let al = a.index_axis(ndarray::Axis(0), l).mapv(|v| v as f64 * 0.5);
        let bl = b.index_axis(ndarray::Axis(0), l).mapv(|v| v as f64);
        out.index_axis_mut(ndarray::Axis(0), l).assign(&al.dot(&bl));
    }
    out.into_dyn()
}
