//! The CUDA simulator at many launch shapes against the serial backend:
//! element-wise results, maxima, Monte Carlo hit counts and sums all
//! bit-identical (sums within their rigorous bound, too).

mod common;

use common::{reference_sum, sum_error_bound, values};
use hotloop::forms::{AddScalarForm, add_scalar_into as add_form};
use hotloop::{
    Backend, Boundary, Error, Jacobi5, LaunchConfig, StoreMode, add_scalar, add_scalar_in_place,
    add_scalar_into, add_scalar_slice_into, max_slice, monte_carlo_pi, stencil2_steps, sum_slice,
};
use hotloop_sim as sim;
use ndarray::{Array2, Array3};

/// Launch shapes that catch indexing bugs: a single thread, odd block
/// sizes, whole-warp and maximal blocks, more threads than most inputs.
const LAUNCHES: [(u32, u32); 7] = [
    (1, 1),
    (3, 7),
    (5, 33),
    (1, 1024),
    (2, 1024),
    (7, 96),
    (64, 256),
];

/// Shapes from empty to larger than one pass of the biggest launch.
const SHAPES: [[usize; 3]; 7] = [
    [0, 3, 4],
    [1, 1, 1],
    [1, 1, 2],
    [3, 5, 7],
    [2, 13, 31],
    [1, 1, 65_537],
    [7, 11, 1_601],
];

fn launch(blocks: u32, threads: u32) -> LaunchConfig {
    LaunchConfig::new(blocks, threads).unwrap()
}

fn sim_backends() -> Vec<Backend> {
    let mut out = vec![Backend::simulator()];
    out.extend(
        LAUNCHES
            .iter()
            .map(|&(b, t)| Backend::simulator_with(b, t).unwrap()),
    );
    out
}

fn input(shape: [usize; 3]) -> Array3<f64> {
    Array3::from_shape_vec(shape, values(shape.iter().product())).unwrap()
}

#[test]
fn add_scalar_is_identical_to_serial_at_every_launch() {
    for shape in SHAPES {
        let x = input(shape);
        let want = add_scalar(Backend::Serial, &x, 2.5).unwrap();
        let x32 = x.mapv(|v| v as f32);
        let want32 = add_scalar(Backend::Serial, &x32, -0.75f32).unwrap();
        for b in sim_backends() {
            assert_eq!(add_scalar(b, &x, 2.5).unwrap(), want, "{b} {shape:?}");
            assert_eq!(add_scalar(b, &x32, -0.75).unwrap(), want32, "{b} {shape:?}");

            let mut out = Array3::from_elem(shape, f64::NAN);
            add_scalar_into(b, &x, 2.5, &mut out).unwrap();
            assert_eq!(out, want, "{b} into {shape:?}");

            let mut data = x.clone();
            add_scalar_in_place(b, &mut data, 2.5).unwrap();
            assert_eq!(data, want, "{b} in place {shape:?}");

            let mut flat = vec![f64::NAN; x.len()];
            add_scalar_slice_into(b, x.as_slice().unwrap(), shape, 2.5, &mut flat).unwrap();
            assert_eq!(flat, want.as_slice().unwrap(), "{b} slices {shape:?}");
        }
    }
}

#[test]
fn blog_kernel_matches_the_serial_blog_loop() {
    for shape in [[1, 1, 1], [3, 5, 7], [40, 3, 9], [300, 2, 5]] {
        let x = input(shape);
        let mut want = Array3::zeros(shape);
        add_form(
            AddScalarForm::BlogOrder,
            &x,
            2.0,
            &mut want,
            StoreMode::Cached,
        )
        .unwrap();
        for l in [None, Some(launch(1, 1024)), Some(launch(11, 33))] {
            let mut out = vec![f64::NAN; x.len()];
            sim::elementwise::add_scalar_blog(l, x.as_slice().unwrap(), shape, 2.0, &mut out)
                .unwrap();
            assert_eq!(out, want.as_slice().unwrap(), "{l:?} {shape:?}");
        }
    }
}

#[test]
fn max_is_identical_to_serial_at_every_launch() {
    for shape in SHAPES {
        let x = values(shape.iter().product());
        let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        for b in sim_backends() {
            assert_eq!(max_slice(b, &x), max_slice(Backend::Serial, &x), "{b}");
            assert_eq!(max_slice(b, &x32), max_slice(Backend::Serial, &x32), "{b}");
        }
    }
    let mut v = values(10_000);
    v[9_999] = f64::NAN;
    for b in sim_backends() {
        assert!(max_slice(b, &v).unwrap().is_nan(), "{b}");
        assert_eq!(max_slice(b, &[-3.0f32, -1.0, -2.0]).unwrap(), -1.0);
    }
}

#[test]
fn sums_are_the_serial_bits_at_every_launch_and_within_the_bound() {
    for shape in SHAPES {
        let x = values(shape.iter().product());
        let want = reference_sum(x.iter().copied());
        let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let widened: Vec<f64> = x32.iter().map(|&v| v as f64).collect();
        let serial = sum_slice(Backend::Serial, &x).unwrap();
        let serial32 = sum_slice(Backend::Serial, &x32).unwrap();
        assert!((serial - want).abs() <= sum_error_bound(&x, f64::EPSILON));
        let bound32 = sum_error_bound(&widened, f32::EPSILON as f64);
        assert!((serial32 as f64 - reference_sum(widened.iter().copied())).abs() <= bound32);
        for b in sim_backends() {
            assert_eq!(sum_slice(b, &x).unwrap().to_bits(), serial.to_bits(), "{b}");
            assert_eq!(
                sum_slice(b, &x32).unwrap().to_bits(),
                serial32.to_bits(),
                "{b} f32"
            );
        }
    }
}

#[test]
fn sum_is_the_host_finish_over_the_chunk_sums() {
    use hotloop_core::reduce::{SUM_CHUNK, sum_chunk};
    let x = values(100_003);
    for (b, t) in LAUNCHES {
        let l = Some(launch(b, t));
        let partials = sim::reduce::sum_partials(l, &x).unwrap();
        // One sum per chunk, whatever the launch, each the CPU's.
        assert_eq!(partials.len(), x.len().div_ceil(SUM_CHUNK));
        for (c, p) in x.chunks(SUM_CHUNK).zip(&partials) {
            assert_eq!(p.to_bits(), sum_chunk(c).to_bits(), "{b}x{t}");
        }
        let finished = hotloop_runtime::launch::finish_sum(&partials);
        let backend = Backend::Simulator { launch: l };
        assert_eq!(
            sum_slice(backend, &x).unwrap().to_bits(),
            finished.to_bits()
        );
    }
}

#[test]
fn small_integer_sums_are_exact_at_every_launch() {
    let x: Vec<f64> = (0..50_001).map(|i| (i % 2001) as f64 - 1000.0).collect();
    let want: f64 = (0..50_001).map(|i| (i % 2001) as i64 - 1000).sum::<i64>() as f64;
    for b in sim_backends() {
        assert_eq!(sum_slice(b, &x).unwrap(), want, "{b}");
    }
}

#[test]
fn monte_carlo_hits_are_bit_identical_to_the_cpu_backends() {
    for samples in [1u64, 2, 3, 1_001, 65_536, 1_000_003] {
        let want = monte_carlo_pi(Backend::Serial, samples, 99).unwrap();
        let par = monte_carlo_pi(Backend::parallel(), samples, 99).unwrap();
        assert_eq!(par, want);
        for b in sim_backends() {
            let got = monte_carlo_pi(b, samples, 99).unwrap();
            assert_eq!(got.hits, want.hits, "{b}, {samples} samples");
            assert_eq!(got.estimate.to_bits(), want.estimate.to_bits());
        }
    }
}

#[test]
fn invalid_launches_are_refused_on_every_operation() {
    for (blocks, threads) in [(0, 32), (4, 0), (1, 1025), (2, 4096)] {
        let e = Backend::simulator_with(blocks, threads).unwrap_err();
        assert!(matches!(e, Error::InvalidLaunch(_)), "{e}");
        // A configuration built by hand is checked where it is used.
        let b = Backend::Simulator {
            launch: Some(LaunchConfig {
                blocks,
                threads_per_block: threads,
            }),
        };
        let x = Array3::<f64>::zeros((2, 3, 4));
        let is_invalid = |r: Result<(), Error>| matches!(r, Err(Error::InvalidLaunch(_)));
        assert!(is_invalid(add_scalar(b, &x, 1.0).map(drop)), "{b}");
        assert!(is_invalid(add_scalar_in_place(b, &mut x.clone(), 1.0)));
        assert!(is_invalid(sum_slice(b, &[1.0f64]).map(drop)));
        assert!(is_invalid(max_slice(b, &[1.0f32]).map(drop)));
        assert!(is_invalid(monte_carlo_pi(b, 10, 1).map(drop)));
        let m = Array2::<f64>::zeros((3, 4));
        for steps in [0, 2] {
            let r = stencil2_steps(b, Jacobi5, &m, Boundary::Clamp, steps);
            assert!(is_invalid(r.map(drop)), "{steps} sweeps");
        }
    }
    let e = Backend::simulator_with(1, 2048).unwrap_err();
    assert!(e.to_string().contains("1x2048"), "{e}");
    assert!(e.to_string().contains("1024"), "{e}");
}

#[test]
fn zero_samples_and_empty_max_are_errors_as_on_the_cpu() {
    for b in sim_backends() {
        assert_eq!(monte_carlo_pi(b, 0, 1), Err(Error::ZeroSamples));
        assert_eq!(
            max_slice::<f64>(b, &[]),
            Err(Error::EmptyInput { op: "max" })
        );
        assert_eq!(sum_slice::<f32>(b, &[]), Ok(0.0));
    }
}
