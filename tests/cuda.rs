//! The CUDA backend. Where it cannot run (no driver, no GPU, no PTX) the
//! ordinary tests check that it says why, as an error value; the device
//! tests (`#[ignore = "needs a CUDA device"]`, run with `--ignored` where
//! there is one) run the kernels and compare them with the simulator and
//! the CPU backends bit for bit. The cross-backend
//! suites (add_scalar.rs, reduce.rs, monte_carlo.rs, properties.rs, map.rs,
//! gufunc.rs, stencil.rs, reductions.rs) include CUDA through
//! `common::backends()` as well; cuda_ops.rs checks the Numba-parity
//! kernels (maps, gufuncs, stencils, min, count-where) on the device.

mod common;

use common::{device, note, values};
use hotloop::{
    Backend, Error, LaunchConfig, add_scalar, add_scalar_in_place, available, max_slice,
    monte_carlo_pi, sum_slice,
};
use hotloop_cuda::{self as cuda, kernels, ops};
use hotloop_sim as sim;
use ndarray::Array3;

/// The reason CUDA is unavailable, if it is.
fn unavailable_reason() -> Option<String> {
    let status = available()
        .into_iter()
        .find(|s| matches!(s.backend, Backend::Cuda { .. }))
        .expect("available() lists CUDA");
    status.availability.err()
}

#[test]
fn unavailable_cuda_says_why_on_every_operation() {
    let Some(reason) = unavailable_reason() else {
        note("CUDA is available here: the unavailability checks do not apply");
        return;
    };
    note(&format!(
        "CUDA unavailable, checking that it says why: {reason}"
    ));
    assert!(!reason.trim().is_empty());
    if !cuda::driver_library_present() {
        assert!(reason.contains("libcuda"), "{reason}");
    }
    let want = Error::BackendUnavailable {
        backend: "cuda",
        reason: reason.clone(),
    };
    let b = Backend::cuda();
    let x = Array3::<f64>::zeros((2, 3, 4));
    assert_eq!(add_scalar(b, &x, 1.0).unwrap_err(), want);
    assert_eq!(
        add_scalar_in_place(b, &mut x.clone(), 1.0),
        Err(want.clone())
    );
    assert_eq!(sum_slice(b, &[1.0f64]), Err(want.clone()));
    assert_eq!(max_slice(b, &[1.0f32]), Err(want.clone()));
    assert_eq!(monte_carlo_pi(b, 10, 1), Err(want.clone()));
    assert_eq!(b.launch_for(10), Err(want.clone()));
    assert_eq!(cuda::device(0).unwrap_err(), want);
    let msg = want.to_string();
    assert!(msg.starts_with("backend `cuda` is unavailable: "), "{msg}");
}

#[test]
fn a_missing_device_is_unavailable_with_a_reason() {
    let e = Backend::Cuda {
        device: 4096,
        launch: None,
    };
    match sum_slice(e, &[1.0f64]) {
        Err(Error::BackendUnavailable { backend, reason }) => {
            assert_eq!(backend, "cuda");
            assert!(!reason.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn invalid_launches_are_refused_before_the_device_is_touched() {
    // Validation comes first where the launch is explicit, GPU or not...
    let bad = LaunchConfig {
        blocks: 1,
        threads_per_block: 1025,
    };
    let b = Backend::Cuda {
        device: 0,
        launch: Some(bad),
    };
    let x = Array3::<f64>::zeros((2, 3, 4));
    let is_invalid = |r: Result<(), Error>| matches!(r, Err(Error::InvalidLaunch(_)));
    assert!(is_invalid(add_scalar(b, &x, 1.0).map(drop)));
    assert!(is_invalid(add_scalar_in_place(b, &mut x.clone(), 1.0)));
    assert!(is_invalid(sum_slice(b, &[1.0f64]).map(drop)));
    assert!(is_invalid(max_slice(b, &[1.0f32]).map(drop)));
    assert!(is_invalid(monte_carlo_pi(b, 10, 1).map(drop)));
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
    let e = ops::sum(&dev, Some(bad), &[1.0f64]).unwrap_err();
    assert!(matches!(e, Error::InvalidLaunch(_)), "{e}");
    let e = ops::count_hits(
        &dev,
        Some(LaunchConfig {
            blocks: 0,
            threads_per_block: 32,
        }),
        1,
        0..10,
    )
    .unwrap_err();
    assert!(matches!(e, Error::InvalidLaunch(_)), "{e}");
}

const LAUNCHES: [(u32, u32); 6] = [(1, 1), (3, 7), (5, 33), (1, 1024), (2, 1024), (64, 256)];

#[test]
#[ignore = "needs a CUDA device"]
fn device_results_equal_the_simulators_bit_for_bit() {
    let dev = device();
    note(&format!("running on {:?}", dev.info()));
    for len in [0usize, 1, 2, 1000, 65_537, 1_000_003] {
        let x = values(len);
        let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        for (b, t) in LAUNCHES {
            let l = Some(LaunchConfig::new(b, t).unwrap());
            let (d, s) = (
                ops::sum(&dev, l, &x).unwrap(),
                sim::reduce::sum(l, &x).unwrap(),
            );
            assert_eq!(d.to_bits(), s.to_bits(), "sum f64 {b}x{t} len {len}");
            let (d, s) = (
                ops::sum(&dev, l, &x32).unwrap(),
                sim::reduce::sum(l, &x32).unwrap(),
            );
            assert_eq!(d.to_bits(), s.to_bits(), "sum f32 {b}x{t} len {len}");
            assert_eq!(
                ops::max(&dev, l, &x).unwrap(),
                sim::reduce::max(l, &x).unwrap()
            );
            assert_eq!(
                ops::max(&dev, l, &x32).unwrap(),
                sim::reduce::max(l, &x32).unwrap()
            );
            let mut out = vec![f64::NAN; len];
            ops::add_scalar(&dev, l, &x, 2.0, &mut out).unwrap();
            assert!(
                out.iter().zip(&x).all(|(o, v)| *o == v + 2.0),
                "add {b}x{t}"
            );
        }
    }
    for samples in [1u64, 3, 1_000_003, 100_000_001] {
        let want = monte_carlo_pi(Backend::Serial, samples, 5).unwrap().hits;
        for (b, t) in LAUNCHES {
            if b * t < 32 && samples > 2_000_000 {
                continue;
            }
            let l = Some(LaunchConfig::new(b, t).unwrap());
            assert_eq!(
                ops::count_hits(&dev, l, 5, 0..samples).unwrap(),
                want,
                "{b}x{t}"
            );
        }
        assert_eq!(ops::count_hits(&dev, None, 5, 0..samples).unwrap(), want);
        // A part of the count (one MPI rank's share), from odd and even
        // starts, counts what the whole count holds there.
        for part in [1..samples, samples / 3..samples, samples / 2 + 1..samples] {
            let want = hotloop_cpu::montecarlo::count_hits(5, part.start, part.end);
            assert_eq!(
                ops::count_hits(&dev, None, 5, part.clone()).unwrap(),
                want,
                "{part:?}"
            );
        }
    }
}

#[test]
#[ignore = "needs a CUDA device"]
fn the_numba_flow_works_on_device_arrays() {
    let dev = device();
    let host = values(10_007);
    let d_in = dev.to_device(&host).unwrap();
    let mut d_out = dev.device_array_like(&d_in).unwrap();
    assert_eq!(d_out.copy_to_host().unwrap(), vec![0.0; host.len()]);
    let run = kernels::add_scalar(&d_in, 2.0, &mut d_out, None).unwrap();
    assert_eq!(run.launch, dev.default_launch(host.len() as u64));
    dev.synchronize().unwrap();
    let back = d_out.copy_to_host().unwrap();
    assert!(back.iter().zip(&host).all(|(o, v)| *o == v + 2.0));
    kernels::add_scalar_in_place(&mut d_out, -2.0, Some(LaunchConfig::new(3, 7).unwrap())).unwrap();
    assert_eq!(d_out.copy_to_host().unwrap(), host);
    let (partials, run) =
        kernels::sum_partials(&d_in, Some(LaunchConfig::new(5, 33).unwrap())).unwrap();
    // One sum per 4096-element chunk, three of them: one block has work.
    assert_eq!(run.launch, LaunchConfig::new(1, 33).unwrap());
    assert_eq!(partials.len(), 3);
    assert_eq!(
        partials.copy_to_host().unwrap(),
        sim::reduce::sum_partials(Some(run.launch), &host).unwrap()
    );
    // The blog kernel on resident data, against the simulator.
    let dims = [13, 7, 109];
    let mut blog = dev.device_array_like(&d_in).unwrap();
    kernels::add_scalar_blog(&d_in, dims, 1.0, &mut blog, None).unwrap();
    let mut want = vec![0.0; host.len()];
    sim::elementwise::add_scalar_blog(None, &host, dims, 1.0, &mut want).unwrap();
    assert_eq!(blog.copy_to_host().unwrap(), want);
}

#[test]
#[ignore = "needs a CUDA device"]
fn the_builtin_kernels_launch_as_any_kernel_does() {
    // A user reaches the built-ins as their own kernels: the built-in
    // module and each kernel's typed launcher.
    let dev = device();
    let module = cuda::Module::builtin(&dev);
    let host = values(10_007);
    let d_in = module.to_device(&host).unwrap();
    let mut d_out = module.device_array_like(&d_in).unwrap();
    hotloop_kernels::copy::launch::<f64, _>(&module, (7u32, 96u32), &d_in, &mut d_out).unwrap();
    assert_eq!(d_out.copy_to_host().unwrap(), host);
    hotloop_kernels::add_scalar::launch::<f64, _>(&module, (3u32, 33u32), &d_in, &mut d_out, 0.5)
        .unwrap();
    let want: Vec<f64> = host.iter().map(|v| v + 0.5).collect();
    assert_eq!(d_out.copy_to_host().unwrap(), want);
    // A launch beyond CUDA's limits is refused, typed, before the driver.
    let e = hotloop_kernels::copy::launch::<f64, _>(&module, (1u32, 2048u32), &d_in, &mut d_out)
        .unwrap_err();
    assert!(matches!(e, Error::InvalidLaunch(_)), "{e}");
    // The copy kernel and the driver's copy, timed as the suite times them.
    let by_kernel = ops::copy_kernel_timed::<f64>(&dev, 1 << 22).unwrap();
    let by_driver = ops::copy_device_to_device_timed::<f64>(&dev, 1 << 22).unwrap();
    note(&format!(
        "32 MiB copy: kernel (Out::set) {by_kernel}; driver {by_driver}"
    ));
    assert!(by_kernel.kernel > std::time::Duration::ZERO && by_kernel.launch.is_some());
    assert!(by_driver.kernel > std::time::Duration::ZERO && by_driver.launch.is_none());
}

#[test]
#[ignore = "needs a CUDA device"]
fn device_arrays_keep_their_shape_and_strides() {
    // A transposed and a reversed array go to the device as they are
    // (memory and strides), and come back in logical order, as the
    // simulator's arrays do.
    let dev = device();
    let a = ndarray::Array2::from_shape_fn((5, 7), |(i, j)| (i * 7 + j) as i16);
    for host in [a.t(), a.slice(ndarray::s![.., ..;-1])] {
        let d = dev.to_device(&host).unwrap();
        let s = sim::Simulator::new().to_device(&host).unwrap();
        assert_eq!(d.layout(), s.layout());
        assert_eq!(d.copy_to_host_array().unwrap(), host.to_owned().into_dyn());
        assert_eq!(d.copy_to_host().unwrap(), s.copy_to_host().unwrap());
        let like = dev.device_array_like(&d).unwrap();
        assert_eq!(like.layout(), d.layout());
    }
    // A transposed array for a flat parameter is refused before the launch.
    let module = cuda::Module::builtin(&dev);
    let m = ndarray::Array2::from_shape_fn((4, 6), |(i, j)| (i + j) as f64);
    let d_t = module.to_device(&m.t()).unwrap();
    let mut d_out = module.device_array::<f64>(24).unwrap();
    let e = hotloop_kernels::copy::launch::<f64, _>(&module, (1u32, 32u32), &d_t, &mut d_out)
        .unwrap_err();
    assert!(
        matches!(&e, Error::InvalidArgument { reason, .. } if reason.contains("C order")),
        "{e}"
    );
}

#[test]
#[ignore = "needs a CUDA device"]
fn timings_separate_copies_kernel_and_module_load() {
    let dev = device();
    let x = values(1 << 22);
    let mut out = vec![0.0; x.len()];
    let t = ops::add_scalar_timed(&dev, None, &x, 2.0, &mut out).unwrap();
    note(&format!("add_scalar 32 MiB: {t:?}"));
    assert!(t.kernel > std::time::Duration::ZERO);
    assert!(t.host_to_device > std::time::Duration::ZERO);
    assert!(t.device_to_host > std::time::Duration::ZERO);
    assert!(t.total >= t.kernel + t.host_to_device + t.device_to_host);
    assert_eq!(t.module_load, dev.info().module_load);
    assert_eq!(t.launch, Some(dev.default_launch(x.len() as u64)));
    let (s, t) = ops::sum_timed(&dev, None, &x).unwrap();
    assert_eq!(s.to_bits(), ops::sum(&dev, None, &x).unwrap().to_bits());
    assert!(t.kernel > std::time::Duration::ZERO && t.total >= t.kernel);
    let (hits, t) = ops::count_hits_timed(&dev, None, 3, 0..10_000_000).unwrap();
    assert_eq!(
        hits,
        monte_carlo_pi(Backend::Serial, 10_000_000, 3).unwrap().hits
    );
    assert_eq!(t.host_to_device, std::time::Duration::ZERO);
}

#[test]
#[ignore = "needs a CUDA device"]
fn device_memory_beyond_the_gpu_is_an_error_value() {
    let dev = device();
    let too_many = (dev.info().total_memory / 8 + 1) as usize;
    match dev.device_array::<f64>(too_many) {
        Err(Error::InsufficientMemory { .. }) | Err(Error::Device { .. }) => {}
        other => panic!("{other:?}"),
    }
    // The device still works afterwards.
    assert_eq!(ops::sum(&dev, None, &[1.0f64, 2.0]).unwrap(), 3.0);
}

/// Set in the child process of [`a_broken_driver_library_is_a_reason_not_a_panic`].
const PROBE_CHILD: &str = "HOTLOOP_TEST_BROKEN_LIBCUDA";

#[test]
#[cfg(target_os = "linux")]
fn a_broken_driver_library_is_a_reason_not_a_panic() {
    if std::env::var_os(PROBE_CHILD).is_some() {
        // The child: a libcuda without any CUDA symbol is on the loader path.
        let why = cuda::availability(0).unwrap_err();
        assert!(why.contains("cuInit"), "{why}");
        match sum_slice(Backend::cuda(), &[1.0f64]) {
            Err(Error::BackendUnavailable { reason, .. }) => assert_eq!(reason, why),
            other => panic!("{other:?}"),
        }
        return;
    }
    // A shared library named like the driver, exporting nothing CUDA has.
    let dir = std::env::temp_dir().join(format!("hotloop-fake-libcuda-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("fake.c");
    std::fs::write(&src, "int hotloop_not_cuda(void) { return 0; }\n").unwrap();
    let lib = dir.join("libcuda.so.1");
    let built = std::process::Command::new("cc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(&lib)
        .arg(&src)
        .status();
    if !matches!(built, Ok(s) if s.success()) {
        note(&format!(
            "no C compiler to build a fake libcuda ({built:?}): skipping"
        ));
        return;
    }
    std::fs::copy(&lib, dir.join("libcuda.so")).unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_broken_driver_library_is_a_reason_not_a_panic",
            "--nocapture",
        ])
        .env(PROBE_CHILD, "1")
        .env("LD_LIBRARY_PATH", &dir)
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let text = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed:\n{text}");
    assert!(text.contains("1 passed"), "{text}");
}

#[test]
#[ignore = "needs a CUDA device"]
fn streams_pipeline_copies_and_kernels_in_order_with_events() {
    // Numba's pipelined add: chunk c on stream c % 2, copy in, kernel,
    // copy out, each stream reusing its own device arrays.
    let dev = device();
    let module = cuda::Module::builtin(&dev);
    let streams = [module.stream().unwrap(), module.stream().unwrap()];
    let n = 8 * 100_003;
    let chunk = n / 8;
    let x = values(n);
    let mut out = vec![0.0; n];
    let mut d_in = [
        module.device_array::<f64>(chunk).unwrap(),
        module.device_array::<f64>(chunk).unwrap(),
    ];
    let mut d_out = [
        module.device_array::<f64>(chunk).unwrap(),
        module.device_array::<f64>(chunk).unwrap(),
    ];
    let start = streams[0].record().unwrap();
    for (c, (x, out)) in x.chunks(chunk).zip(out.chunks_mut(chunk)).enumerate() {
        let (s, st) = (c % 2, &streams[c % 2]);
        st.copy_to_device(x, &mut d_in[s]).unwrap();
        hotloop_kernels::add_scalar::launch::<f64, _>(
            st,
            (64u32, 256u32),
            &d_in[s],
            &mut d_out[s],
            2.0,
        )
        .unwrap();
        st.copy_to_host(&d_out[s], out).unwrap();
    }
    let end = streams[0].record().unwrap();
    for s in &streams {
        s.synchronize().unwrap();
        assert!(s.query().unwrap());
    }
    let want: Vec<f64> = x.iter().map(|v| v + 2.0).collect();
    assert_eq!(out, want);
    let took = end.elapsed_since(&start).unwrap();
    assert!(took > std::time::Duration::ZERO);
    note(&format!(
        "8-chunk pipeline of {n} f64 over 2 streams: stream 0's span {took:?}"
    ));

    // Stream 2 waits for stream 1's copy through an event; the array the
    // kernel reads is dropped while the kernel may still run: the free
    // waits for the streams.
    let d_x = streams[0].to_device(&x[..chunk]).unwrap();
    let copied = streams[0].record().unwrap();
    streams[1].wait_event(&copied).unwrap();
    let mut d_y = module.device_array::<f64>(chunk).unwrap();
    hotloop_kernels::add_scalar::launch::<f64, _>(
        &streams[1],
        (64u32, 256u32),
        &d_x,
        &mut d_y,
        1.0,
    )
    .unwrap();
    drop(d_x);
    // A default-stream copy waits for every stream (Numba's stream 0).
    let got = d_y.copy_to_host().unwrap();
    assert!(got.iter().zip(&x[..chunk]).all(|(g, v)| *g == v + 1.0));
}

#[test]
#[ignore = "needs a CUDA device"]
fn pinned_copies_return_at_once_and_land_once_waited_for() {
    let dev = device();
    let module = cuda::Module::builtin(&dev);
    let s = module.stream().unwrap();
    let n = 1 << 22;
    let mut pinned = dev.pinned_array::<f64>(n).unwrap();
    assert_eq!(pinned.as_slice().unwrap(), vec![0.0; n], "zeroed");
    let x = values(n);
    pinned.as_mut_slice().unwrap().copy_from_slice(&x);
    let mut d = module.device_array::<f64>(n).unwrap();
    let mut d_out = module.device_array::<f64>(n).unwrap();
    let copy_in = s.copy_to_device_async(&pinned, &mut d).unwrap();
    hotloop_kernels::add_scalar::launch::<f64, _>(&s, (128u32, 256u32), &d, &mut d_out, 2.0)
        .unwrap();
    let mut back = dev.pinned_array::<f64>(n).unwrap();
    let copy_out = s.copy_to_host_async(&d_out, &mut back).unwrap();
    copy_in.wait().unwrap();
    copy_out.wait().unwrap();
    let want: Vec<f64> = x.iter().map(|v| v + 2.0).collect();
    assert_eq!(back.as_slice().unwrap(), want);
    // A forgotten `Pending` ends the borrow without waiting: the array
    // itself waits before it is read.
    let mut again = dev.pinned_array::<f64>(n).unwrap();
    std::mem::forget(s.copy_to_host_async(&d_out, &mut again).unwrap());
    assert_eq!(again.as_slice().unwrap(), want);
}

#[test]
#[ignore = "needs a CUDA device"]
fn device_arrays_are_reused_from_the_host_and_from_each_other() {
    let dev = device();
    let mut d = dev.device_array::<i32>((2, 3)).unwrap();
    d.copy_to_device(&[1, 2, 3, 4, 5, 6]).unwrap();
    assert_eq!(d.copy_to_host().unwrap(), [1, 2, 3, 4, 5, 6]);
    let mut e = dev.device_array::<i32>(6).unwrap();
    e.copy_from_device(&d).unwrap();
    assert_eq!(e.copy_to_host().unwrap(), [1, 2, 3, 4, 5, 6]);
    assert!(d.copy_to_device(&[1, 2]).is_err());
    let r = d.reshape((3, 2)).unwrap();
    assert_eq!(r.shape(), [3, 2]);
    assert_eq!(r.copy_to_host().unwrap(), [1, 2, 3, 4, 5, 6]);
    assert!(r.reshape(4).is_err());
}

#[test]
#[ignore = "needs a CUDA device"]
fn every_device_is_listed_and_arrays_copy_between_them() {
    let all = cuda::devices().unwrap();
    assert_eq!(all.len(), cuda::device_count().unwrap());
    for d in &all {
        let info = d.info();
        note(&format!(
            "device {}: {}, sm_{}{}, {} GiB",
            info.ordinal,
            info.name,
            info.compute_capability.0,
            info.compute_capability.1,
            info.total_memory >> 30
        ));
        assert!(!info.name.is_empty() && info.total_memory > 0);
    }
    // From the last device to the first: a peer copy where there are two
    // or more, a copy within the device where there is one (said so).
    let (first, last) = (&all[0], &all[all.len() - 1]);
    if all.len() == 1 {
        note("one device: the peer path of copy_from_device is not exercised here");
    }
    let x = values(100_003);
    let src = last.to_device(&x).unwrap();
    let mut dst = first.device_array::<f64>(x.len()).unwrap();
    dst.copy_from_device(&src).unwrap();
    assert_eq!(dst.copy_to_host().unwrap(), x);
}

#[test]
#[ignore = "needs a CUDA device"]
fn kernels_and_stream_copies_work_on_slices_of_device_arrays() {
    use cuda::{DeviceBuffer, DeviceBufferMut};
    // The pipeline over one pair of device arrays: chunk c is rows
    // c * chunk.. of each, on stream c % 2, with no copy of the arrays.
    let dev = device();
    let module = cuda::Module::builtin(&dev);
    let streams = [module.stream().unwrap(), module.stream().unwrap()];
    let n = 8 * 100_003;
    let chunk = n / 8;
    let x = values(n);
    let mut out = vec![0.0; n];
    let mut d_in = module.device_array::<f64>(n).unwrap();
    let mut d_out = module.device_array::<f64>(n).unwrap();
    for c in 0..8 {
        let st = &streams[c % 2];
        let rows = c * chunk..(c + 1) * chunk;
        st.copy_to_device(&x[rows.clone()], &mut d_in.slice_mut(rows.clone()).unwrap())
            .unwrap();
        hotloop_kernels::add_scalar::launch::<f64, _>(
            st,
            (64u32, 256u32),
            &d_in.slice(rows.clone()).unwrap(),
            &mut d_out.slice_mut(rows.clone()).unwrap(),
            2.0,
        )
        .unwrap();
        st.copy_to_host(&d_out.slice(rows.clone()).unwrap(), &mut out[rows])
            .unwrap();
    }
    for s in &streams {
        s.synchronize().unwrap();
    }
    assert!(out.iter().zip(&x).all(|(o, v)| *o == v + 2.0));
    // The two halves of a split, each written by its own kernel: the
    // upper from the lower half of the input, the lower in place.
    let half = n / 2;
    let (mut lo, mut hi) = d_out.split_at_mut(half).unwrap();
    let grid = (64u32, 256u32);
    let below = d_in.slice(..half).unwrap();
    hotloop_kernels::add_scalar::launch::<f64, _>(&module, grid, &below, &mut hi, 5.0).unwrap();
    hotloop_kernels::add_scalar_inplace::launch::<f64, _>(&module, grid, &mut lo, 1.0).unwrap();
    let got = d_out.copy_to_host().unwrap();
    assert!(got[..half].iter().zip(&x).all(|(o, v)| *o == v + 3.0));
    assert!(got[half..].iter().zip(&x).all(|(o, v)| *o == v + 5.0));
    // A transposed array's rows are strided: a stream copy refuses them.
    let t = module
        .to_device(&ndarray::Array2::<f64>::zeros((3, 4)).t())
        .unwrap();
    let mut host = [0.0; 4];
    let e = streams[0]
        .copy_to_host(&t.slice(1..2).unwrap(), &mut host)
        .unwrap_err();
    assert!(matches!(e, Error::NotContiguous { .. }), "{e}");
}

#[test]
#[ignore = "needs a CUDA device"]
fn kernels_read_and_write_mapped_memory_in_place() {
    use cuda::DeviceBufferMut;
    let dev = device();
    let module = cuda::Module::builtin(&dev);
    let n = 1 << 20;
    let mut m = dev.mapped_array::<f64>(n).unwrap();
    assert_eq!(m.as_slice().unwrap(), vec![0.0; n], "zeroed");
    let x = values(n);
    m.as_mut_slice().unwrap().copy_from_slice(&x);
    let s = module.stream().unwrap();
    let mut d_y = module.device_array::<f64>(n).unwrap();
    // The kernel reads host memory over the bus, then writes half of it
    // back in place; the host's read waits for the stream's work.
    hotloop_kernels::add_scalar::launch::<f64, _>(&s, (128u32, 256u32), &m, &mut d_y, 2.0).unwrap();
    hotloop_kernels::add_scalar_inplace::launch::<f64, _>(
        &s,
        (128u32, 256u32),
        &mut m.slice_mut(n / 2..).unwrap(),
        1.0,
    )
    .unwrap();
    let got = m.as_slice().unwrap();
    assert_eq!(&got[..n / 2], &x[..n / 2]);
    assert!(
        got[n / 2..]
            .iter()
            .zip(&x[n / 2..])
            .all(|(g, v)| *g == v + 1.0)
    );
    let y = d_y.copy_to_host().unwrap();
    assert!(y.iter().zip(&x).all(|(g, v)| *g == v + 2.0));
}

#[test]
#[ignore = "needs two CUDA devices (the GPU kit skips it on a machine with one)"]
fn two_devices_run_a_kernel_on_device_1_while_device_0_is_busy() {
    let all = cuda::devices().unwrap();
    assert!(
        all.len() >= 2,
        "needs two CUDA devices, found {}: run it where there are two",
        all.len()
    );
    let (m0, m1) = (
        cuda::Module::builtin(&all[0]),
        cuda::Module::builtin(&all[1]),
    );
    // Device 0: a long queue, some 0.2 s of 256 MiB in-place adds.
    let n0 = 1 << 25;
    let s0 = m0.stream().unwrap();
    let mut busy = m0.device_array::<f64>(n0).unwrap();
    for _ in 0..1000 {
        hotloop_kernels::add_scalar_inplace::launch::<f64, _>(
            &s0,
            (1024u32, 256u32),
            &mut busy,
            1.0,
        )
        .unwrap();
    }
    // Device 1: a small kernel, done while device 0 still works.
    let x = values(1 << 16);
    let s1 = m1.stream().unwrap();
    let d_x = s1.to_device(&x).unwrap();
    let mut d_y = m1.device_array::<f64>(x.len()).unwrap();
    hotloop_kernels::add_scalar::launch::<f64, _>(&s1, (64u32, 256u32), &d_x, &mut d_y, 2.0)
        .unwrap();
    s1.synchronize().unwrap();
    let device_0_busy = !s0.query().unwrap();
    let mut y = vec![0.0; x.len()];
    s1.copy_to_host(&d_y, &mut y).unwrap();
    assert!(y.iter().zip(&x).all(|(g, v)| *g == v + 2.0));
    assert!(
        device_0_busy,
        "device 1's kernel waited for device 0's queue"
    );
    s0.synchronize().unwrap();
    assert!(busy.copy_to_host().unwrap().iter().all(|v| *v == 1000.0));
}
