//! Arrays in any ndarray layout (transposed, permuted, Fortran-order,
//! stepped and reversed views) on every backend this machine runs: each op
//! gives the bits it gives on a standard-layout copy of the same values,
//! and writes an output of any layout in its logical order.

use hotloop::ops::Add;
use hotloop::{
    Backend, Boundary, Exp, GreaterThan, Laplacian7, add_scalar, add_scalar_in_place,
    add_scalar_into, count_where, map, map_in_place, map_into, max, min, moving_average, stencil3,
    stencil3_into, sum, zip, zip_in_place, zip_into,
};
use ndarray::{Array3, ArrayView3, ShapeBuilder, s};

fn backends() -> [Backend; 3] {
    [Backend::Serial, Backend::parallel(), Backend::simulator()]
}

fn values() -> Array3<f64> {
    Array3::from_shape_fn((6, 10, 14), |(i, j, k)| {
        ((i * 140 + j * 14 + k) as f64 * 0.618).sin() * 1e3 + 0.1 * k as f64
    })
}

/// The layouts under test, each a view of the same kind of values.
fn views<'a>(a: &'a Array3<f64>, f: &'a Array3<f64>) -> Vec<(&'static str, ArrayView3<'a, f64>)> {
    vec![
        ("transposed", a.view().reversed_axes()),
        ("permuted", a.view().permuted_axes([1, 2, 0])),
        ("fortran", f.view()),
        ("stepped and reversed", a.slice(s![..;2, 1.., ..;-3])),
    ]
}

fn same_bits(a: impl IntoIterator<Item = f64>, b: impl IntoIterator<Item = f64>) -> bool {
    a.into_iter()
        .map(f64::to_bits)
        .eq(b.into_iter().map(f64::to_bits))
}

fn fortran_copy(a: &Array3<f64>) -> Array3<f64> {
    let mut f = Array3::zeros(a.raw_dim().f());
    f.assign(a);
    f
}

#[test]
fn reductions_give_the_bits_of_a_standard_copy() {
    let a = values();
    let f = fortran_copy(&a);
    for (name, v) in views(&a, &f) {
        let standard = v.as_standard_layout().into_owned();
        for b in backends() {
            let msg = format!("{name} on {b}");
            assert_eq!(
                sum(b, &v).unwrap().to_bits(),
                sum(b, &standard).unwrap().to_bits(),
                "{msg}"
            );
            assert_eq!(min(b, &v).unwrap(), min(b, &standard).unwrap(), "{msg}");
            assert_eq!(max(b, &v).unwrap(), max(b, &standard).unwrap(), "{msg}");
            assert_eq!(
                count_where(b, GreaterThan(0.0), &v).unwrap(),
                count_where(b, GreaterThan(0.0), &standard).unwrap(),
                "{msg}"
            );
        }
    }
}

#[test]
fn element_wise_forms_read_and_write_any_layout() {
    let a = values();
    let f = fortran_copy(&a);
    for (name, v) in views(&a, &f) {
        let standard = v.as_standard_layout().into_owned();
        for b in backends() {
            let msg = format!("{name} on {b}");
            let want = add_scalar(b, &standard, 2.0).unwrap();
            assert!(
                same_bits(add_scalar(b, &v, 2.0).unwrap(), want.iter().copied()),
                "{msg}"
            );
            // Outputs in a standard, a Fortran and a stepped layout.
            let mut out_std = Array3::<f64>::zeros(v.raw_dim());
            let mut out_f = Array3::<f64>::zeros(v.raw_dim().f());
            let (x, y, z) = v.dim();
            let mut big = Array3::<f64>::from_elem((x, 2 * y, z), -7.0);
            {
                let mut out_stepped = big.slice_mut(s![.., ..;2, ..]);
                add_scalar_into(b, &v, 2.0, &mut out_stepped).unwrap();
                assert!(
                    same_bits(out_stepped.iter().copied(), want.iter().copied()),
                    "{msg}"
                );
            }
            // The elements between the steps are untouched.
            assert!(
                big.slice(s![.., 1..;2, ..]).iter().all(|&e| e == -7.0),
                "{msg}"
            );

            let exp = map(b, Exp, &standard).unwrap();
            map_into(b, Exp, &v, &mut out_f).unwrap();
            assert!(
                same_bits(out_f.iter().copied(), exp.iter().copied()),
                "{msg}"
            );
            assert!(
                same_bits(map(b, Exp, &v).unwrap(), exp.iter().copied()),
                "{msg}"
            );

            let twice = zip(b, Add, &standard, &standard).unwrap();
            zip_into(b, Add, &v, &out_f.view(), &mut out_std).unwrap();
            let mixed = zip(b, Add, &standard, &exp).unwrap();
            assert!(
                same_bits(out_std.iter().copied(), mixed.iter().copied()),
                "{msg}"
            );
            assert!(
                same_bits(zip(b, Add, &v, &v).unwrap(), twice.iter().copied()),
                "{msg}"
            );

            // In place, on a Fortran array and on a stepped view.
            let mut g = Array3::<f64>::zeros(v.raw_dim().f());
            g.assign(&v);
            add_scalar_in_place(b, &mut g, 2.0).unwrap();
            assert!(same_bits(g.iter().copied(), want.iter().copied()), "{msg}");
            map_in_place(b, Exp, &mut big.slice_mut(s![.., ..;2, ..])).unwrap();
            let stepped_exp = map(b, Exp, &want).unwrap();
            assert!(
                same_bits(
                    big.slice(s![.., ..;2, ..]).iter().copied(),
                    stepped_exp.iter().copied()
                ),
                "{msg}"
            );
            zip_in_place(b, Add, &mut g, &v).unwrap();
            let sum_in_place = zip(b, Add, &want, &standard).unwrap();
            assert!(
                same_bits(g.iter().copied(), sum_in_place.iter().copied()),
                "{msg}"
            );
        }
    }
}

#[test]
fn stencils_and_gufuncs_see_logical_neighbours() {
    let a = values();
    let f = fortran_copy(&a);
    for (name, v) in views(&a, &f) {
        let standard = v.as_standard_layout().into_owned();
        for b in backends() {
            let msg = format!("{name} on {b}");
            let k = Laplacian7 { scale: 1.0 };
            let want = stencil3(b, k, &standard, Boundary::Clamp).unwrap();
            assert!(
                same_bits(
                    stencil3(b, k, &v, Boundary::Clamp).unwrap(),
                    want.iter().copied()
                ),
                "{msg}"
            );
            let mut out_f = Array3::<f64>::zeros(v.raw_dim().f());
            stencil3_into(b, k, &v, Boundary::Clamp, &mut out_f).unwrap();
            assert!(
                same_bits(out_f.iter().copied(), want.iter().copied()),
                "{msg}"
            );
            let avg = moving_average(b, &standard, 3).unwrap();
            assert!(
                same_bits(moving_average(b, &v, 3).unwrap(), avg.iter().copied()),
                "{msg}"
            );
        }
    }
}
