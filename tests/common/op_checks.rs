//! One cross-check of the Numba-parity kernels (maps, zips, scalar binds,
//! gufuncs, stencils, min, count-where) on a grid backend against the
//! serial backend, shared by tests/simulator_ops.rs and
//! tests/cuda_ops.rs (each includes it with `#[path]`, so the other test
//! binaries do not compile it).
//!
//! Maps, gufuncs and stencils must be bit-identical: every backend computes
//! each element, row or cell with the same code (NaN for NaN: the GPU's
//! arithmetic returns the canonical NaN where the CPU keeps an input's
//! payload). `min` must be the same bits (the canonical NaN for any NaN,
//! `-0.0` below `+0.0`, at any launch), counts exactly equal.

// Each including test uses its own subset.
#![allow(dead_code)]

use crate::common::values;
use hotloop::Real;
use hotloop::ops::{Add, Axpy, BinaryOp, Mul};
use hotloop::{
    Affine, Backend, Boundary, Clamp, Element, Error, Exp, GreaterThan, InRange, IsNan, Jacobi5,
    Laplacian7, LessThan, Polynomial, UnaryOp, count_where_slice, map_in_place, map_slice_into,
    min_slice, moving_average, normalize_rows, stencil2, stencil2_steps, stencil3, stencil3_steps,
    zip_in_place, zip_slice_into,
};
use ndarray::{Array2, Array3, ArrayD, IxDyn};

/// Lengths of the element-wise checks: empty, tiny, odd, beyond one pass of
/// the largest test launch.
pub const LENS: [usize; 7] = [0, 1, 2, 3, 31, 1000, 65_537];

/// `values(len)` in `T`, with special values sprinkled in (when there is
/// room): NaN, both infinities, both zeros, a subnormal.
pub fn inputs<T: Element + Real>(len: usize) -> Vec<T> {
    let mut v: Vec<T> = values(len).into_iter().map(T::from_f64).collect();
    let specials = [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        0.0,
        -0.0,
        1e-40,
        -1e-310,
    ];
    if len >= 31 {
        for (k, s) in specials.iter().enumerate() {
            v[(k * 7 + 3) % len] = T::from_f64(*s);
        }
    }
    v
}

/// The same bits, or both NaN; else the first differing index.
pub fn same<T: Element + Real>(got: &[T], want: &[T]) -> Result<(), String> {
    if got.len() != want.len() {
        return Err(format!("lengths {} and {}", got.len(), want.len()));
    }
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let (g, w) = (g.to_f64(), w.to_f64());
        if !(g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan())) {
            return Err(format!("index {i}: {g:e} ({:#x}) vs {w:e}", g.to_bits()));
        }
    }
    Ok(())
}

fn assert_same<T: Element + Real>(got: &[T], want: &[T], what: &str) {
    if let Err(e) = same(got, want) {
        panic!("{what}: {e}");
    }
}

/// `op` on `be` in every form (into a slice, in place) against serial.
fn check_map<T: Element + Real, Op: UnaryOp<T>>(be: Backend, op: Op, name: &str, x: &[T]) {
    let mut want = vec![T::ZERO; x.len()];
    map_slice_into(Backend::Serial, op, x, &mut want).unwrap();
    let mut got = vec![T::INFINITY; x.len()];
    map_slice_into(be, op, x, &mut got).unwrap();
    assert_same(
        &got,
        &want,
        &format!("{be} map {name} {} {}", T::NAME, x.len()),
    );
    let mut data = ndarray::Array1::from(x.to_vec());
    map_in_place(be, op, &mut data).unwrap();
    let what = format!("{be} map {name} in place {} {}", T::NAME, x.len());
    assert_same(data.as_slice().unwrap(), &want, &what);
}

/// `op` on two arrays, on `be` (into a slice, in place) against serial.
fn check_zip<T: Element + Real, Op: BinaryOp<T>>(
    be: Backend,
    op: Op,
    name: &str,
    a: &[T],
    b: &[T],
) {
    let mut want = vec![T::ZERO; a.len()];
    zip_slice_into(Backend::Serial, op, a, b, &mut want).unwrap();
    let mut got = vec![T::INFINITY; a.len()];
    zip_slice_into(be, op, a, b, &mut got).unwrap();
    assert_same(
        &got,
        &want,
        &format!("{be} zip {name} {} {}", T::NAME, a.len()),
    );
    let mut data = ndarray::Array1::from(a.to_vec());
    zip_in_place(be, op, &mut data, &ndarray::Array1::from(b.to_vec())).unwrap();
    let what = format!("{be} zip {name} in place {} {}", T::NAME, a.len());
    assert_same(data.as_slice().unwrap(), &want, &what);
}

/// Every built-in map, zip and scalar bind on `be` against serial.
pub fn maps<T: Element + Real>(be: Backend) {
    let k = T::from_f64(-3.0);
    for len in LENS {
        let x = inputs::<T>(len);
        let y: Vec<T> = x.iter().map(|&v| v * T::from_f64(0.5) + T::ONE).collect();
        let poly = Polynomial {
            coeffs: [0.5, -1.25, 0.75, 2e-3].map(T::from_f64),
        };
        check_map(
            be,
            Affine {
                a: T::from_f64(1.5),
                b: T::from_f64(-0.25),
            },
            "affine",
            &x,
        );
        check_map(be, poly, "polynomial", &x);
        check_map(be, Polynomial::<T, 0> { coeffs: [] }, "polynomial()", &x);
        let clamp = Clamp {
            lo: T::from_f64(-100.0),
            hi: T::from_f64(250.0),
        };
        check_map(be, clamp, "clamp", &x);
        check_map(be, Exp, "exp", &x);
        check_map(be, Add.right(k), "add right", &x);
        check_map(be, Add.left(k), "add left", &x);
        check_map(be, Mul.right(k), "mul right", &x);
        check_map(be, Mul.left(k), "mul left", &x);
        check_map(be, Mul.right(T::ZERO), "mul right 0", &x);
        check_map(be, Axpy { a: k }.right(T::from_f64(0.1)), "axpy right", &x);
        check_map(be, Axpy { a: k }.left(T::from_f64(0.1)), "axpy left", &x);
        check_zip(be, Add, "add", &x, &y);
        check_zip(be, Mul, "mul", &x, &y);
        check_zip(be, Axpy { a: k }, "axpy", &x, &y);
    }
}

/// Moving averages and row normalisations on `be` against serial.
pub fn gufuncs<T: Element + Real>(be: Backend) {
    let shapes: [&[usize]; 8] = [
        &[1],
        &[1, 37],
        &[37, 1],
        &[5, 64],
        &[3, 4, 129],
        &[0, 8],
        &[4, 0],
        &[300, 33],
    ];
    for shape in shapes {
        let len = shape.iter().product();
        let mut x = ArrayD::from_shape_vec(IxDyn(shape), inputs::<T>(len)).unwrap();
        let n = *shape.last().unwrap();
        for w in [1, 3, 64] {
            let want = moving_average(Backend::Serial, &x, w).unwrap();
            let got = moving_average(be, &x, w).unwrap();
            let what = format!("{be} moving_average {} {shape:?} w={w}", T::NAME);
            assert_same(got.as_slice().unwrap(), want.as_slice().unwrap(), &what);
        }
        // A zero row and a finite one among rows with NaN and infinities.
        if len >= 2 * n && n > 0 {
            x.as_slice_mut().unwrap()[..n].fill(T::ZERO);
            x.as_slice_mut().unwrap()[n..2 * n].fill(T::from_f64(1e-30));
        }
        let want = normalize_rows(Backend::Serial, &x).unwrap();
        let got = normalize_rows(be, &x).unwrap();
        let what = format!("{be} normalize_rows {} {shape:?}", T::NAME);
        assert_same(got.as_slice().unwrap(), want.as_slice().unwrap(), &what);
    }
}

/// Laplacians (3-D) and Jacobi steps (2-D), one sweep and several, in
/// every boundary mode on `be` against serial, on the tiny grids where border cells dominate and a
/// larger odd one.
pub fn stencils<T: Element + Real>(be: Backend) {
    let modes = [
        Boundary::default(),
        Boundary::FillBorder(T::from_f64(-3.5)),
        Boundary::PadConstant(T::from_f64(7.25)),
        Boundary::Clamp,
    ];
    let dims3 = [
        (1, 1, 1),
        (2, 2, 2),
        (3, 3, 3),
        (1, 4, 5),
        (4, 1, 1),
        (0, 3, 3),
        (17, 13, 11),
    ];
    let dims2 = [(1, 1), (2, 2), (3, 3), (1, 7), (7, 1), (3, 0), (37, 29)];
    for mode in modes {
        for d in dims3 {
            let x = Array3::from_shape_vec(d, inputs::<T>(d.0 * d.1 * d.2)).unwrap();
            for k in [
                Laplacian7::unit(),
                Laplacian7 {
                    scale: T::from_f64(0.5),
                },
            ] {
                let want = stencil3(Backend::Serial, k, &x, mode).unwrap();
                let got = stencil3(be, k, &x, mode).unwrap();
                let what = format!("{be} laplacian {} {d:?} {mode:?}", T::NAME);
                assert_same(got.as_slice().unwrap(), want.as_slice().unwrap(), &what);
                // Three sweeps, each over the one before.
                let want = stencil3(Backend::Serial, k, &want, mode).unwrap();
                let want = stencil3(Backend::Serial, k, &want, mode).unwrap();
                let got = stencil3_steps(be, k, &x, mode, 3).unwrap();
                assert_same(got.as_slice().unwrap(), want.as_slice().unwrap(), &what);
            }
        }
        for d in dims2 {
            let x = Array2::from_shape_vec(d, inputs::<T>(d.0 * d.1)).unwrap();
            let want = stencil2(Backend::Serial, Jacobi5, &x, mode).unwrap();
            let got = stencil2(be, Jacobi5, &x, mode).unwrap();
            let what = format!("{be} jacobi {} {d:?} {mode:?}", T::NAME);
            assert_same(got.as_slice().unwrap(), want.as_slice().unwrap(), &what);
            let want = stencil2(Backend::Serial, Jacobi5, &want, mode).unwrap();
            let got = stencil2_steps(be, Jacobi5, &x, mode, 2).unwrap();
            assert_same(got.as_slice().unwrap(), want.as_slice().unwrap(), &what);
        }
    }
}

/// `min` and every built-in count-where predicate on `be` against serial.
pub fn reductions<T: Element + Real>(be: Backend) {
    for len in LENS {
        let plain: Vec<T> = values(len).into_iter().map(T::from_f64).collect();
        let special = inputs::<T>(len);
        let mut zeros: Vec<T> = (0..len)
            .map(|i| if i % 3 == 0 { -T::ZERO } else { T::ZERO })
            .collect();
        if len > 5 {
            zeros[len / 2] = T::from_f64(1.0);
        }
        for x in [&plain, &special, &zeros] {
            match (min_slice(be, x), min_slice(Backend::Serial, x)) {
                (Ok(g), Ok(w)) => {
                    // The same bits: signed zeros and the canonical NaN too.
                    assert_eq!(
                        g.to_f64().to_bits(),
                        w.to_f64().to_bits(),
                        "{be} min {} len {len}: {g:?} vs {w:?}",
                        T::NAME
                    );
                }
                (Err(g), Err(w)) => {
                    assert_eq!(g, w);
                    assert_eq!(g, Error::EmptyInput { op: "min" });
                }
                (g, w) => panic!("{be} min len {len}: {g:?} vs {w:?}"),
            }
            let t = T::from_f64(100.0);
            let (lo, hi) = (T::from_f64(-250.0), T::from_f64(-50.0));
            let count = |b: Backend, which: usize| match which {
                0 => count_where_slice(b, GreaterThan(t), x),
                1 => count_where_slice(b, LessThan(t), x),
                2 => count_where_slice(b, InRange { lo, hi }, x),
                _ => count_where_slice(b, IsNan, x),
            };
            for which in 0..4 {
                assert_eq!(
                    count(be, which).unwrap(),
                    count(Backend::Serial, which).unwrap(),
                    "{be} count #{which} {} len {len}",
                    T::NAME
                );
            }
        }
    }
}

/// Every check above, in f32 and f64.
pub fn all(be: Backend) {
    maps::<f64>(be);
    maps::<f32>(be);
    gufuncs::<f64>(be);
    gufuncs::<f32>(be);
    stencils::<f64>(be);
    stencils::<f32>(be);
    reductions::<f64>(be);
    reductions::<f32>(be);
}
