//! Property tests: every backend agrees with the serial one and with a
//! plain iterator on random shapes and values.

mod common;

use common::{backends, reference_sum, sum_error_bound};
use hotloop::{Backend, add_scalar, max_slice, sum_slice};
use ndarray::Array3;
use proptest::prelude::*;

fn array() -> impl Strategy<Value = Array3<f64>> {
    (0usize..6, 0usize..9, 0usize..70).prop_flat_map(|(a, b, c)| {
        prop::collection::vec(-1e6f64..1e6, a * b * c)
            .prop_map(move |v| Array3::from_shape_vec((a, b, c), v).unwrap())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn add_then_sum_agree_across_backends(x in array(), s in -1e3f64..1e3) {
        let want = x.mapv(|v| v + s);
        let serial_sum = sum_slice(Backend::Serial, want.as_slice().unwrap()).unwrap();
        for b in backends() {
            let y = add_scalar(b, &x, s).unwrap();
            prop_assert_eq!(&y, &want);
            let ys = y.as_slice().unwrap();
            let got = sum_slice(b, ys).unwrap();
            prop_assert_eq!(got.to_bits(), serial_sum.to_bits(), "{}", b);
            let err = (got - reference_sum(ys.iter().copied())).abs();
            prop_assert!(err <= sum_error_bound(ys, f64::EPSILON), "{b}: {err}");
        }
    }

    #[test]
    fn max_agrees_with_iterator(v in prop::collection::vec(-1e9f64..1e9, 1..5000)) {
        let want = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        for b in backends() {
            prop_assert_eq!(max_slice(b, &v).unwrap(), want);
        }
    }

    #[test]
    fn sum_of_integers_is_exact(v in prop::collection::vec(-1000i32..1000, 0..40_000)) {
        // Small integers sum exactly in f64 in any order: any difference from
        // the integer sum is a dropped or doubled element.
        let xs: Vec<f64> = v.iter().map(|&i| i as f64).collect();
        let want: i64 = v.iter().map(|&i| i as i64).sum();
        for b in backends() {
            prop_assert_eq!(sum_slice(b, &xs).unwrap(), want as f64);
        }
    }
}
