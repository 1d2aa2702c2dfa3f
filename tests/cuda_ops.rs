//! The Numba-parity kernels on CUDA. Where the backend cannot run (no
//! driver, no GPU, no PTX), every operation says why, as an error value.
//! The device tests (`#[ignore = "needs a CUDA device"]`, run with
//! `--ignored` where there is a GPU): maps, zips, scalar binds, gufuncs and stencils against the
//! serial backend bit for bit (NaN for NaN), `min` the same value, counts
//! exact, at many launch shapes; block partials equal to the simulator's
//! at the same launch; the device-array launchers and the timed forms.

mod common;
#[path = "common/op_checks.rs"]
mod op_checks;

use common::{device, note, values};
use hotloop::ops::{Add, Mul};
use hotloop::{
    Affine, Backend, BinaryOp, Boundary, Error, Exp, GreaterThan, GuKernel, InRange, IsNan,
    Jacobi5, Laplacian7, LaunchConfig, NormalizeRows, Predicate, Stencil3, UnaryOp, available,
    count_where_slice, map, map_in_place, min_slice, moving_average, normalize_rows, stencil2,
    stencil2_steps, stencil3, zip,
};
use hotloop_core::abi::GufuncShape;
use hotloop_cuda::{forms, kernels, ops};
use hotloop_sim as sim;
use ndarray::{Array1, Array2, Array3};

const LAUNCHES: [(u32, u32); 6] = [(1, 1), (3, 7), (5, 33), (1, 1024), (2, 1024), (64, 256)];

#[test]
fn unavailable_cuda_says_why_for_every_op() {
    let status = available()
        .into_iter()
        .find(|s| matches!(s.backend, Backend::Cuda { .. }))
        .expect("available() lists CUDA");
    let Err(reason) = status.availability else {
        note("CUDA is available here: the unavailability checks do not apply");
        return;
    };
    note(&format!(
        "CUDA unavailable, checking that it says why: {reason}"
    ));
    let want = Error::BackendUnavailable {
        backend: "cuda",
        reason,
    };
    let b = Backend::cuda();
    let x = Array1::from(values(10));
    let m = Array2::<f64>::zeros((3, 4));
    let c = Array3::<f64>::zeros((2, 3, 4));
    assert_eq!(map(b, Exp, &x).unwrap_err(), want);
    assert_eq!(map(b, Add.right(1.0), &x).unwrap_err(), want);
    assert_eq!(
        map_in_place(b, Affine { a: 1.0, b: 2.0 }, &mut x.clone()),
        Err(want.clone())
    );
    assert_eq!(zip(b, Mul, &x, &x).unwrap_err(), want);
    assert_eq!(moving_average(b, &m, 2).unwrap_err(), want);
    assert_eq!(normalize_rows(b, &m).unwrap_err(), want);
    assert_eq!(stencil2(b, Jacobi5, &m, Boundary::Clamp).unwrap_err(), want);
    for steps in [0, 2] {
        let r = stencil2_steps(b, Jacobi5, &m, Boundary::Clamp, steps);
        assert_eq!(r.unwrap_err(), want, "{steps} sweeps");
    }
    assert_eq!(
        stencil3(b, Laplacian7::unit(), &c, Boundary::default()).unwrap_err(),
        want
    );
    assert_eq!(min_slice(b, &[1.0f32]), Err(want.clone()));
    assert_eq!(count_where_slice(b, IsNan, &[1.0f64]), Err(want.clone()));
    // A closure says that it cannot run there instead, GPU or not.
    match map(b, |v: f64| v * v, &x) {
        Err(Error::Unsupported {
            backend: "cuda",
            op,
            reason,
        }) => {
            assert!(op.contains("closure"), "{op}");
            assert!(reason.contains("#[device_op]"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn invalid_launches_are_refused_before_the_device_is_touched() {
    let bad = LaunchConfig {
        blocks: 1,
        threads_per_block: 1025,
    };
    let b = Backend::Cuda {
        device: 0,
        launch: Some(bad),
    };
    let is_invalid = |r: Result<(), Error>| matches!(r, Err(Error::InvalidLaunch(_)));
    let x = Array1::from(values(10));
    let m = Array2::<f64>::zeros((3, 4));
    assert!(is_invalid(map(b, Exp, &x).map(drop)));
    assert!(is_invalid(map(b, |v: f64| v, &x).map(drop)));
    assert!(is_invalid(zip(b, Add, &x, &x).map(drop)));
    assert!(is_invalid(moving_average(b, &m, 2).map(drop)));
    assert!(is_invalid(
        stencil2(b, Jacobi5, &m, Boundary::Clamp).map(drop)
    ));
    for steps in [0, 2] {
        let r = stencil2_steps(b, Jacobi5, &m, Boundary::Clamp, steps);
        assert!(is_invalid(r.map(drop)), "{steps} sweeps");
    }
    assert!(is_invalid(min_slice(b, &[1.0f64]).map(drop)));
    assert!(is_invalid(
        count_where_slice(b, GreaterThan(0.0), &[1.0]).map(drop)
    ));
}

/// The device half: on a GPU an invalid launch is an error value too, not a
/// driver failure.
#[test]
#[ignore = "needs a CUDA device"]
fn invalid_launches_are_error_values_on_the_device() {
    let dev = device();
    let bad = LaunchConfig {
        blocks: 1,
        threads_per_block: 1025,
    };
    let e = ops::min(&dev, Some(bad), &[1.0f64]).unwrap_err();
    assert!(matches!(e, Error::InvalidLaunch(_)), "{e}");
    let op = UnaryOp::<f64>::device_kernel(&Exp).unwrap();
    let e = forms::map_timed(&dev, Some(bad), &op, &[1.0f64], &mut [0.0]).unwrap_err();
    assert!(matches!(e, Error::InvalidLaunch(_)), "{e}");
}

fn cuda_backends() -> Vec<Backend> {
    let mut out = vec![Backend::cuda()];
    out.extend(LAUNCHES.iter().map(|&(b, t)| Backend::Cuda {
        device: 0,
        launch: Some(LaunchConfig::new(b, t).unwrap()),
    }));
    out
}

/// Every entry point of the PTX module at two small launches (3 blocks of
/// 7 threads, inside one warp; 2 blocks of 64, across warps), each result
/// checked against the serial backend as the other tests do: the test the
/// GPU kit runs under compute-sanitizer's memcheck and racecheck.
#[test]
#[ignore = "needs a CUDA device"]
fn every_entry_point_at_small_launches() {
    let dev = device();
    for (blocks, threads) in [(3, 7), (2, 64)] {
        let launch = LaunchConfig::new(blocks, threads).unwrap();
        let b = Backend::Cuda {
            device: 0,
            launch: Some(launch),
        };
        // Maps, zips, binds, gufuncs, stencils, min, count-where.
        op_checks::all(b);
        // add_scalar (out of place, in place, the blog's shape), sum, max, pi.
        let x = values(1001);
        let want: Vec<f64> = x.iter().map(|v| v + 2.0).collect();
        let mut out = vec![0.0; x.len()];
        ops::add_scalar(&dev, Some(launch), &x, 2.0, &mut out).unwrap();
        assert_eq!(out, want);
        let mut data = x.clone();
        ops::add_scalar_in_place(&dev, Some(launch), &mut data, 2.0).unwrap();
        assert_eq!(data, want);
        let blog = LaunchConfig::new(1, 16).unwrap();
        ops::add_scalar_blog(&dev, Some(blog), &x, [7, 11, 13], 2.0, &mut out).unwrap();
        assert_eq!(out, want);
        for v in [&x, &values(70_001)] {
            let s = ops::sum(&dev, Some(launch), v).unwrap();
            assert_eq!(
                s.to_bits(),
                hotloop::sum_slice(Backend::Serial, v).unwrap().to_bits()
            );
            let m = ops::max(&dev, Some(launch), v).unwrap().unwrap();
            assert_eq!(m, hotloop::max_slice(Backend::Serial, v).unwrap());
            let v32: Vec<f32> = v.iter().map(|&e| e as f32).collect();
            let s = ops::sum(&dev, Some(launch), &v32).unwrap();
            assert_eq!(
                s.to_bits(),
                hotloop::sum_slice(Backend::Serial, &v32).unwrap().to_bits()
            );
            let m = ops::max(&dev, Some(launch), &v32).unwrap().unwrap();
            assert_eq!(m, hotloop::max_slice(Backend::Serial, &v32).unwrap());
        }
        let hits = ops::count_hits(&dev, Some(launch), 7, 0..10_001).unwrap();
        let want = hotloop::monte_carlo_pi(Backend::Serial, 10_001, 7)
            .unwrap()
            .hits;
        assert_eq!(hits, want, "{launch}");
    }
}

#[test]
#[ignore = "needs a CUDA device"]
fn every_op_kernel_matches_serial_on_the_device() {
    let dev = device();
    note(&format!("running on {:?}", dev.info()));
    for b in cuda_backends() {
        op_checks::all(b);
    }
}

#[test]
#[ignore = "needs a CUDA device"]
fn device_partials_equal_the_simulators_at_the_same_launch() {
    let dev = device();
    for len in [1usize, 1000, 65_537, 1_000_003] {
        let mut x = values(len);
        if len > 10 {
            x[len / 3] = -0.0;
            x[len / 2] = 0.0;
        }
        let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let d = dev.to_device(&x).unwrap();
        let d32 = dev.to_device(&x32).unwrap();
        for (b, t) in LAUNCHES {
            let cfg = LaunchConfig::new(b, t).unwrap();
            let l = Some(cfg);
            let (p, _) = kernels::min_partials(&d, l).unwrap();
            let want = sim::reduce::min_partials(l, &x).unwrap();
            let got = p.copy_to_host().unwrap();
            assert!(
                op_checks::same(&got, &want).is_ok(),
                "min {b}x{t} len {len}"
            );
            let (p, _) = kernels::min_partials(&d32, l).unwrap();
            let got = p.copy_to_host().unwrap();
            let want = sim::reduce::min_partials(l, &x32).unwrap();
            assert!(op_checks::same(&got, &want).is_ok(), "min f32 {b}x{t}");
            // The whole min, signed zero included: the same bits as the
            // simulator's for the same launch.
            let (g, s) = (
                ops::min(&dev, l, &x).unwrap(),
                sim::reduce::min(l, &x).unwrap(),
            );
            assert_eq!(g.map(f64::to_bits), s.map(f64::to_bits), "{b}x{t}");
            // Counts: one u64 partial per block, summing to the
            // simulator's (exact) count.
            let pred = InRange {
                lo: -100.0,
                hi: 100.0,
            };
            let k = Predicate::<f64>::device_kernel(&pred).unwrap();
            let (n, timings) = forms::count_timed(&dev, l, &k, &x).unwrap();
            // The launch trimmed to the blocks that have elements.
            assert_eq!(timings.launch, Some(cfg.trimmed_to(len as u64)));
            assert_eq!(
                n,
                sim::reduce::count_where(l, &pred, &x).unwrap(),
                "count {b}x{t} len {len}"
            );
        }
    }
}

#[test]
#[ignore = "needs a CUDA device"]
fn timed_forms_report_copies_and_kernel() {
    let dev = device();
    let x = values(1 << 22);
    let mut out = vec![0.0; x.len()];
    let exp = UnaryOp::<f64>::device_kernel(&Exp).unwrap();
    let t = forms::map_timed(&dev, None, &exp, &x, &mut out).unwrap();
    note(&format!("map exp 32 MiB: {t:?}"));
    assert!(t.kernel > std::time::Duration::ZERO && t.host_to_device > std::time::Duration::ZERO);
    assert!(t.total >= t.kernel + t.host_to_device + t.device_to_host);
    assert_eq!(t.launch, Some(dev.default_launch(x.len() as u64)));
    let dims = [64, 256, 256];
    let lap = Stencil3::<f64>::device_kernel(&Laplacian7::unit()).unwrap();
    let (t, fault) =
        forms::stencil_timed(&dev, None, &lap, dims, Boundary::Clamp, &x, &mut out).unwrap();
    assert_eq!(fault, None);
    note(&format!("laplacian 64x256x256: {t:?}"));
    assert!(t.kernel > std::time::Duration::ZERO);
    let gt = Predicate::<f64>::device_kernel(&GreaterThan(0.0)).unwrap();
    let (n, t) = forms::count_timed(&dev, None, &gt, &x).unwrap();
    assert_eq!(n, x.iter().filter(|&&v| v > 0.0).count() as u64);
    assert!(t.host_finish <= t.total);
    let (m, _) = ops::min_timed(&dev, None, &x).unwrap();
    assert_eq!(m, min_slice(Backend::Serial, &x).ok());
    let rows = Array2::from_shape_vec((4096, 1024), x.clone()).unwrap();
    let norm = GuKernel::<f64>::device_kernel(&NormalizeRows).unwrap();
    let shape = GufuncShape {
        loops: 4096,
        n_core: 1,
        core: [1024, 0, 0, 0],
        in_block: [1024, 0, 0, 0],
        in_step: [1024, 0, 0, 0],
        out_block: [1024, 0, 0],
    };
    let t = forms::gufunc_timed(&dev, None, &norm, shape, [&x], [&mut out]).unwrap();
    assert_eq!(t.launch, Some(dev.default_launch(4096)));
    let want = normalize_rows(Backend::Serial, &rows).unwrap();
    assert!(op_checks::same(&out, want.as_slice().unwrap()).is_ok());
}
