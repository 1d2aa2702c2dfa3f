//! `add_scalar` on every backend and in every form, against ndarray's own
//! element-wise map.

mod common;

use common::{SHAPES, backends, values};
use hotloop::forms::{AddScalarForm, add_scalar_into as add_form};
use hotloop::{StoreMode, add_scalar, add_scalar_in_place, add_scalar_into, add_scalar_slice_into};
use ndarray::{Array3, ShapeBuilder};

fn input(shape: [usize; 3]) -> Array3<f64> {
    let len = shape.iter().product();
    Array3::from_shape_vec(shape, values(len)).unwrap()
}

#[test]
fn every_backend_every_form_matches_the_reference_f64() {
    for shape in SHAPES {
        let x = input(shape);
        let want = x.mapv(|v| v + 2.0);
        for b in backends() {
            let got = add_scalar(b, &x, 2.0).unwrap();
            assert_eq!(got, want, "{b} allocating, shape {shape:?}");

            let mut out = Array3::from_elem(shape, f64::NAN);
            add_scalar_into(b, &x, 2.0, &mut out).unwrap();
            assert_eq!(out, want, "{b} into, shape {shape:?}");

            let mut data = x.clone();
            add_scalar_in_place(b, &mut data, 2.0).unwrap();
            assert_eq!(data, want, "{b} in place, shape {shape:?}");

            let mut flat = vec![f64::NAN; x.len()];
            add_scalar_slice_into(b, x.as_slice().unwrap(), shape, 2.0, &mut flat).unwrap();
            assert_eq!(
                flat,
                want.as_slice().unwrap(),
                "{b} slices, shape {shape:?}"
            );
        }
        for form in AddScalarForm::ALL {
            for store in [StoreMode::Cached, StoreMode::Streaming] {
                let mut out = Array3::from_elem(shape, f64::NAN);
                add_form(form, &x, 2.0, &mut out, store).unwrap();
                assert_eq!(out, want, "{form:?} {store:?}, shape {shape:?}");
            }
        }
    }
}

#[test]
fn float32_arrays_work_on_every_backend() {
    let shape = [5, 7, 129];
    let x = input(shape).mapv(|v| v as f32);
    let want = x.mapv(|v| v - 0.25);
    for b in backends() {
        assert_eq!(add_scalar(b, &x, -0.25f32).unwrap(), want, "{b}");
    }
}

#[test]
fn outputs_beyond_the_streaming_threshold_are_right() {
    // 72 MiB of f64: above StoreMode::Auto's threshold, so the default path
    // uses non-temporal stores.
    let shape = [9, 1024, 1024];
    let x = input(shape);
    let mut out = Array3::<f64>::zeros(shape);
    for b in backends() {
        out.fill(f64::NAN);
        add_scalar_into(b, &x, 2.0, &mut out).unwrap();
        assert!(x.iter().zip(out.iter()).all(|(a, o)| *o == a + 2.0), "{b}");
    }
}

#[test]
fn fortran_layout_input_is_read_in_logical_order_not_misread() {
    let x = Array3::from_shape_fn((2, 3, 4).f(), |(i, j, k)| (i * 100 + j * 10 + k) as f64);
    for b in backends() {
        let y = add_scalar(b, &x, 1.0).unwrap();
        assert!(y.is_standard_layout(), "{b}");
        assert!(
            y.indexed_iter()
                .all(|((i, j, k), &v)| v == x[[i, j, k]] + 1.0),
            "{b}"
        );
    }
}
