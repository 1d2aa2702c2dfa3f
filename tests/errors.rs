//! Every error variant the CPU API can produce, reached through the public
//! API and checked for a message a user can act on.

use hotloop::{Backend, Error, add_scalar_into, add_scalar_slice_into, max, sum};
use ndarray::{Array1, Array3};

#[test]
fn shape_mismatch_names_both_shapes() {
    let x = Array3::<f64>::zeros((2, 3, 4));
    let mut out = Array3::<f64>::zeros((2, 3, 5));
    let e = add_scalar_into(Backend::Serial, &x, 2.0, &mut out).unwrap_err();
    assert_eq!(
        e.to_string(),
        "shape mismatch: input has shape [2, 3, 4] but output has shape [2, 3, 5]"
    );
}

#[test]
fn slice_length_and_index_overflow_are_refused() {
    let v = vec![0.0f64; 10];
    let mut o = vec![0.0f64; 10];
    let e = add_scalar_slice_into(Backend::Serial, &v, [2, 2, 2], 1.0, &mut o).unwrap_err();
    assert!(
        matches!(
            e,
            Error::LengthMismatch {
                len: 10,
                needed: 8,
                ..
            }
        ),
        "{e}"
    );
    let e =
        add_scalar_slice_into(Backend::Serial, &v, [usize::MAX, 3, 1], 1.0, &mut o).unwrap_err();
    assert!(matches!(e, Error::IndexOverflow { .. }), "{e}");
    // Fits usize as a count but not as bytes.
    let e = add_scalar_slice_into(Backend::Serial, &v, [1 << 62, 1, 1], 1.0, &mut o).unwrap_err();
    assert!(matches!(e, Error::IndexOverflow { .. }), "{e}");
}

#[test]
fn max_of_empty_is_an_error_and_sum_of_empty_is_zero() {
    let empty = Array1::<f32>::zeros(0);
    assert_eq!(
        max(Backend::Serial, &empty),
        Err(Error::EmptyInput { op: "max" })
    );
    assert_eq!(
        max(Backend::parallel(), &empty),
        Err(Error::EmptyInput { op: "max" })
    );
    assert_eq!(sum(Backend::parallel(), &empty), Ok(0.0));
}

#[test]
fn memory_beyond_the_machine_is_refused_before_allocating() {
    let e = hotloop_runtime::try_zeroed_vec::<f64>("test", (isize::MAX as usize) / 8).unwrap_err();
    assert!(
        matches!(
            e,
            Error::InsufficientMemory { .. } | Error::AllocationFailed { .. }
        ),
        "{e}"
    );
}

#[test]
fn zero_threads_is_refused() {
    assert!(matches!(
        Backend::parallel_with_threads(0),
        Err(Error::Threads(_))
    ));
}

#[test]
fn invalid_launches_and_unavailable_backends_are_error_values() {
    let e = Backend::simulator_with(0, 32).unwrap_err();
    assert!(matches!(e, Error::InvalidLaunch(_)), "{e}");
    assert_eq!(
        e.to_string(),
        "invalid launch configuration: 0x32: a launch needs at least one block"
    );
    let e = Backend::simulator_with(2, 1025).unwrap_err();
    assert!(
        e.to_string().contains("exceeds CUDA's limit of 1024"),
        "{e}"
    );
    // CUDA either runs here or says why, as an error value.
    match sum(Backend::cuda(), &Array1::<f64>::ones(3)) {
        Ok(s) => assert_eq!(s, 3.0),
        Err(Error::BackendUnavailable { backend, reason }) => {
            assert_eq!(backend, "cuda");
            assert!(!reason.is_empty());
        }
        Err(other) => panic!("{other}"),
    }
}
