//! `sum` and `max` on every backend, against independent references.

mod common;

use approx::assert_abs_diff_eq;
use common::{SHAPES, backends, reference_sum, sum_error_bound, values};
use hotloop::{Backend, Error, max, max_slice, sum, sum_slice};
use ndarray::Array3;

#[test]
fn sums_are_within_a_rigorous_error_bound() {
    for shape in SHAPES {
        let len = shape.iter().product();
        let x = Array3::from_shape_vec(shape, values(len)).unwrap();
        let want = reference_sum(x.iter().copied());
        for b in backends() {
            let tol = sum_error_bound(x.as_slice().unwrap(), f64::EPSILON);
            let got = sum(b, &x).unwrap();
            assert_abs_diff_eq!(got, want, epsilon = tol);
        }
        let x32 = x.mapv(|v| v as f32);
        let want32 = reference_sum(x32.iter().map(|&v| v as f64));
        let widened = x32.iter().map(|&v| v as f64).collect::<Vec<_>>();
        for b in backends() {
            let tol32 = sum_error_bound(&widened, f32::EPSILON as f64);
            let got = sum(b, &x32).unwrap() as f64;
            assert_abs_diff_eq!(got, want32, epsilon = tol32);
        }
    }
}

#[test]
fn sum_bits_do_not_depend_on_backend_or_threads() {
    // Every backend shares one order of additions.
    let x = values(3 * 16_384 * 7 + 5);
    let serial = sum_slice(Backend::Serial, &x).unwrap();
    for b in backends() {
        assert_eq!(sum_slice(b, &x).unwrap().to_bits(), serial.to_bits(), "{b}");
    }
}

#[test]
fn max_is_exact_and_propagates_nan() {
    for shape in SHAPES {
        let len: usize = shape.iter().product();
        let x = Array3::from_shape_vec(shape, values(len)).unwrap();
        let want = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        for b in backends() {
            match max(b, &x) {
                Ok(got) => assert_eq!(got, want, "{b} {shape:?}"),
                Err(e) => assert!(
                    len == 0 && matches!(e, Error::EmptyInput { op: "max" }),
                    "{e}"
                ),
            }
        }
    }
    let mut v = values(100_000);
    v[77_777] = f64::NAN;
    for b in backends() {
        assert!(max_slice(b, &v).unwrap().is_nan(), "{b}");
    }
}
