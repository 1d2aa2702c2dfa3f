//! Runs the example's kernels on the simulator and, where a GPU and the
//! kernels' PTX are found, on CUDA, with Numba's flow (`to_device`,
//! `device_array_like`, a launch with `(blocks, threads)`, `synchronize`,
//! `copy_to_host`); prints one row per kernel and backend, checked against
//! a serial loop (✓/✗), and exits non-zero on a ✗.
//!
//! The kernels crate builds its own PTX (`build.rs`, `hotloop-build`) and
//! embeds it (`custom_kernels::KERNELS`); the driver JIT-compiles the
//! newest module the GPU runs. The crate's ops (`Softsign`, `Outlier`) run
//! through hotloop's `map` and `count_where` on serial, the simulator and
//! CUDA, each checked against the serial backend bit for bit.

use custom_kernels::{
    BatchedMatMul, BlackScholes, MATH_FUNCTIONS, Outlier, Softsign, TPB, Volts, ZeroSuppress,
    add_scalar, add_two, add_two_blog, block_max, block_sum, fast_matmul, histogram, math_function,
    math_table, range_mask, to_half, zero_suppress,
};
use hotloop::ndarray::{Array2, Array3, Axis, IntoDimension};
use hotloop::{
    Backend, BinaryOp, Error, count_where_slice, gufunc_n, map_n_slice_into, map_slice_into,
};
use hotloop_cuda::Module;
use hotloop_device::host::Launcher;
use hotloop_device::{DeviceCopy, bf16, f16};
use hotloop_sim::{HostArray, Simulator};
use std::process::ExitCode;

mod ports;

/// Numba's device-array flow on either backend.
trait Launch: Launcher<Error = Error> {
    fn name(&self) -> String;
    fn put<A: HostArray + ?Sized>(&self, host: &A) -> Result<Self::Array<A::Elem>, String>;
    fn zeros<T: DeviceCopy>(&self, shape: impl IntoDimension) -> Result<Self::Array<T>, String>;
    /// The elements in C order.
    fn get<T: DeviceCopy>(&self, a: &Self::Array<T>) -> Result<Vec<T>, String>;
}

impl Launch for Simulator {
    fn name(&self) -> String {
        "simulator".into()
    }
    fn put<A: HostArray + ?Sized>(&self, host: &A) -> Result<Self::Array<A::Elem>, String> {
        self.to_device(host).map_err(|e| e.to_string())
    }
    fn zeros<T: DeviceCopy>(&self, shape: impl IntoDimension) -> Result<Self::Array<T>, String> {
        self.device_array(shape).map_err(|e| e.to_string())
    }
    fn get<T: DeviceCopy>(&self, a: &Self::Array<T>) -> Result<Vec<T>, String> {
        self.synchronize();
        a.copy_to_host().map_err(|e| e.to_string())
    }
}

impl Launch for Module {
    fn name(&self) -> String {
        format!("cuda:0 {}", self.device().info().name)
    }
    fn put<A: HostArray + ?Sized>(&self, host: &A) -> Result<Self::Array<A::Elem>, String> {
        self.to_device(host).map_err(|e| e.to_string())
    }
    fn zeros<T: DeviceCopy>(&self, shape: impl IntoDimension) -> Result<Self::Array<T>, String> {
        self.device_array(shape).map_err(|e| e.to_string())
    }
    fn get<T: DeviceCopy>(&self, a: &Self::Array<T>) -> Result<Vec<T>, String> {
        self.synchronize().map_err(|e| e.to_string())?;
        a.copy_to_host().map_err(|e| e.to_string())
    }
}

const DIMS: (u32, u32, u32) = (64, 24, 40);

/// `(kernel, launch, passed, detail)` rows of one backend.
fn run<B: Launch>(b: &B) -> Vec<(String, String, bool, String)> {
    let (nx, ny, nz) = DIMS;
    let n = (nx * ny * nz) as usize;
    let x: Vec<f64> = (0..n)
        .map(|i| ((i * 7919) % 1013) as f64 * 0.25 - 100.0)
        .collect();
    let want: Vec<f64> = x.iter().map(|v| v + 2.0).collect();
    let ints: Vec<u64> = (0..n as u64).map(|i| i * i % 1_000_003).collect();
    let total: u64 = ints.iter().sum();
    let mut rows = Vec::new();
    let mut row = |kernel: &str, launch: String, r: Result<bool, String>| {
        let (ok, detail) = match r {
            Ok(true) => (true, String::new()),
            Ok(false) => (false, "wrong answer".into()),
            Err(e) => (false, e),
        };
        rows.push((kernel.to_string(), launch, ok, detail));
    };
    // One thread per x at least: the blog's kernel has no grid-stride loop.
    let shape = (nx as usize, ny as usize, nz as usize);
    let cube = Array3::from_shape_vec(shape, x.clone()).expect("nx * ny * nz elements");
    for (blocks, threads) in [(nx.div_ceil(16), 16), (1, 64), (nx, 1)] {
        let r = (|| {
            let d_in = b.put(&cube)?;
            let mut d_out = b.zeros::<f64>(shape)?;
            add_two_blog::launch(b, (blocks, threads), &d_in, &mut d_out)
                .map_err(|e| e.to_string())?;
            Ok(b.get(&d_out)? == want)
        })();
        row("add_two_blog", format!("[{blocks}, {threads}]"), r);
    }
    for (blocks, threads) in [(1, 1), (5, 33), (40, 256)] {
        let r = (|| {
            let d_in = b.put(&x)?;
            let mut d_out = b.zeros::<f64>(n)?;
            add_two::launch(b, (blocks, threads), &d_in, &mut d_out).map_err(|e| e.to_string())?;
            Ok(b.get(&d_out)? == want)
        })();
        row("add_two (grid-stride)", format!("[{blocks}, {threads}]"), r);
    }
    // The generic kernel's two instances.
    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let want32: Vec<f32> = x32.iter().map(|v| v + 2.0).collect();
    for (blocks, threads) in [(1, 32), (40, 256)] {
        let r = (|| {
            let d_in = b.put(&x)?;
            let mut d_out = b.zeros::<f64>(n)?;
            add_scalar::launch::<f64, _>(b, (blocks, threads), &d_in, &mut d_out, 2.0)
                .map_err(|e| e.to_string())?;
            let d_in = b.put(&x32)?;
            let mut d_out32 = b.zeros::<f32>(n)?;
            add_scalar::launch::<f32, _>(b, (blocks, threads), &d_in, &mut d_out32, 2.0)
                .map_err(|e| e.to_string())?;
            Ok(b.get(&d_out)? == want && b.get(&d_out32)? == want32)
        })();
        row(
            "add_scalar (f64 and f32)",
            format!("[{blocks}, {threads}]"),
            r,
        );
    }
    for (blocks, threads) in [(1, 1), (3, 7), (8, 256), (2, 1024)] {
        let r = (|| {
            let d_in = b.put(&ints)?;
            let mut d_sum = b.zeros::<u64>(1)?;
            block_sum::launch(b, (blocks, threads), &d_in, &mut d_sum)
                .map_err(|e| e.to_string())?;
            Ok(b.get(&d_sum)? == [total])
        })();
        row(
            "block_sum (shared + atomic)",
            format!("[{blocks}, {threads}]"),
            r,
        );
    }
    let top = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    for (blocks, threads) in [(1, 1), (3, 7), (8, 256), (2, 1024)] {
        let r = (|| {
            let d_in = b.put(&x)?;
            let mut d_max = b.zeros::<f64>(blocks as usize)?;
            block_max::launch(b, (blocks, threads), &d_in, &mut d_max)
                .map_err(|e| e.to_string())?;
            let got = b.get(&d_max)?.into_iter().fold(f64::NEG_INFINITY, f64::max);
            Ok(got == top)
        })();
        row(
            "block_max (block_reduce)",
            format!("[{blocks}, {threads}]"),
            r,
        );
    }
    // 16 bins over [-100, 150): each value's bin, serially.
    let (lo, width) = (-100.0, 250.0 / 16.0);
    let mut want_bins = [0i32; 16];
    for v in &x {
        want_bins[(((v - lo) / width) as usize).min(15)] += 1;
    }
    let bottom = x.iter().copied().fold(f64::INFINITY, f64::min);
    for (blocks, threads) in [(1, 1), (3, 7), (8, 256)] {
        let r = (|| {
            let d_in = b.put(&x)?;
            let mut d_bins = b.zeros::<i32>(16)?;
            let mut d_ext = b.put(&[f64::INFINITY, f64::NEG_INFINITY])?;
            histogram::launch(
                b,
                (blocks, threads),
                &d_in,
                lo,
                width,
                &mut d_bins,
                &mut d_ext,
            )
            .map_err(|e| e.to_string())?;
            Ok(b.get(&d_bins)? == want_bins && b.get(&d_ext)? == [bottom, top])
        })();
        row(
            "histogram (int32 and float atomics)",
            format!("[{blocks}, {threads}]"),
            r,
        );
    }
    // int16 samples in, int16 and uint8 out.
    let wave: Vec<i16> = (0..n).map(|i| ((i * 7919) % 4001) as i16 - 2000).collect();
    let keep = |v: &i16| i32::from(*v).abs() >= 150;
    let want_wave: Vec<i16> = wave.iter().map(|v| if keep(v) { *v } else { 0 }).collect();
    let want_kept: Vec<u8> = wave.iter().map(|v| u8::from(keep(v))).collect();
    for (blocks, threads) in [(1, 1), (7, 96)] {
        let r = (|| {
            let d_in = b.put(&wave)?;
            let mut d_out = b.zeros::<i16>(n)?;
            let mut d_kept = b.zeros::<u8>(n)?;
            zero_suppress::launch(b, (blocks, threads), &d_in, 150, &mut d_out, &mut d_kept)
                .map_err(|e| e.to_string())?;
            Ok(b.get(&d_out)? == want_wave && b.get(&d_kept)? == want_kept)
        })();
        row(
            "zero_suppress (int16, uint8)",
            format!("[{blocks}, {threads}]"),
            r,
        );
    }
    // The math library on the device, against the CPU's bits (a NaN as a
    // NaN: the GPU returns the canonical one).
    let args: Vec<f64> = (0..1500).map(|i| (i as f64 - 700.0) * 0.0173).collect();
    let cpu = |x: &[f64]| -> Vec<f64> {
        x.iter()
            .flat_map(|&v| (0..MATH_FUNCTIONS).map(move |f| math_function(f, v)))
            .collect()
    };
    let same = |a: &[f64], b: &[f64]| {
        a.iter()
            .zip(b)
            .all(|(a, b)| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()))
    };
    let args32: Vec<f32> = args.iter().map(|&v| v as f32).collect();
    let want32: Vec<f32> = args32
        .iter()
        .flat_map(|&v| (0..MATH_FUNCTIONS).map(move |f| math_function(f, v)))
        .collect();
    for (blocks, threads) in [(1, 1), (6, 128)] {
        let r = (|| {
            let d = b.put(&args)?;
            let mut t = b.zeros::<f64>((args.len(), MATH_FUNCTIONS))?;
            math_table::launch::<f64, _>(b, (blocks, threads), &d, &mut t)
                .map_err(|e| e.to_string())?;
            let d32 = b.put(&args32)?;
            let mut t32 = b.zeros::<f32>((args.len(), MATH_FUNCTIONS))?;
            math_table::launch::<f32, _>(b, (blocks, threads), &d32, &mut t32)
                .map_err(|e| e.to_string())?;
            let got32: Vec<f64> = b.get(&t32)?.into_iter().map(f64::from).collect();
            let want32: Vec<f64> = want32.iter().map(|&v| f64::from(v)).collect();
            Ok(same(&b.get(&t)?, &cpu(&args)) && same(&got32, &want32))
        })();
        row(
            "math_table (34 functions, f64 and f32)",
            format!("[{blocks}, {threads}]"),
            r,
        );
    }
    // Half precision: f32 in, f16 and bf16 out, and back through f32.
    let scale = f16::from_f32(0.5);
    let want_h: Vec<f16> = x.iter().map(|&v| f16::from_f32(v as f32)).collect();
    let want_b: Vec<bf16> = x.iter().map(|&v| bf16::from_f32(v as f32)).collect();
    let want_back: Vec<f32> = want_h
        .iter()
        .zip(&want_b)
        .map(|(h, b)| h.to_f32() * scale.to_f32() + b.to_f32())
        .collect();
    for (blocks, threads) in [(1, 1), (9, 160)] {
        let r = (|| {
            let d = b.put(&x32)?;
            let (mut h, mut bf, mut back) =
                (b.zeros::<f16>(n)?, b.zeros::<bf16>(n)?, b.zeros::<f32>(n)?);
            to_half::launch(b, (blocks, threads), &d, scale, &mut h, &mut bf, &mut back)
                .map_err(|e| e.to_string())?;
            Ok(b.get(&h)? == want_h && b.get(&bf)? == want_b && b.get(&back)? == want_back)
        })();
        row("to_half (f16, bf16)", format!("[{blocks}, {threads}]"), r);
    }
    // A boolean mask of a 2-D array, both ways.
    let grid2 = Array2::from_shape_fn((37, 23), |(i, j)| (i * 23 + j) as f64 * 0.5 - 200.0);
    for inside in [true, false] {
        let want: Vec<bool> = grid2
            .iter()
            .map(|v| (-50.0 <= *v && *v < 75.0) == inside)
            .collect();
        let r = (|| {
            let d = b.put(&grid2)?;
            let mut m = b.zeros::<bool>((37, 23))?;
            range_mask::launch(b, ((5, 3), (8, 8)), &d, -50.0, 75.0, inside, &mut m)
                .map_err(|e| e.to_string())?;
            Ok(b.get(&m)? == want)
        })();
        row(
            "range_mask (bool out, bool scalar)",
            format!("inside = {inside}"),
            r,
        );
    }
    // Small integers: every product and sum is exact in f32, in any order,
    // so the result is NumPy's `A @ B` (ndarray's `dot`) exactly. `B` goes
    // to the device transposed, with its strides, as NumPy would pass it.
    for (m, k, p) in [(1usize, 1usize, 1usize), (16, 16, 16), (45, 17, 30)] {
        let a = Array2::from_shape_fn((m, k), |(i, j)| ((i * k + j) % 7) as f32 - 3.0);
        let bt = Array2::from_shape_fn((p, k), |(i, j)| ((j * p + i) % 5) as f32);
        let bm = bt.t();
        let want: Vec<f32> = a.dot(&bm).iter().copied().collect();
        let launch = (
            (m.div_ceil(TPB) as u32, p.div_ceil(TPB) as u32),
            (TPB as u32, TPB as u32),
        );
        let r = (|| {
            let (d_a, d_b) = (b.put(&a)?, b.put(&bm)?);
            let mut d_c = b.zeros::<f32>((m, p))?;
            fast_matmul::launch(b, launch, &d_a, &d_b, &mut d_c).map_err(|e| e.to_string())?;
            Ok(b.get(&d_c)? == want)
        })();
        row(
            "fast_matmul (2-D arrays, shared tiles)",
            format!("{m}x{k} @ {k}x{p}"),
            r,
        );
    }
    ports::run(b, &mut row);
    rows
}

fn cuda() -> Result<Module, String> {
    let dev = hotloop_cuda::device(0).map_err(|e| e.to_string())?;
    Module::of_crate(&dev, &custom_kernels::KERNELS).map_err(|e| e.to_string())
}

/// The crate's ops through hotloop's `map` and `count_where` on `backend`,
/// against the serial backend (bits and counts): `(op, launch, passed,
/// detail)` rows.
fn ops(backend: Backend) -> Vec<(String, String, bool, String)> {
    let x: Vec<f64> = (0..10_007)
        .map(|i| ((i * 7919) % 1013) as f64 * 0.25 - 120.0)
        .collect();
    let launch = format!("{backend}");
    let mut rows = Vec::new();
    let mut row = |op: &str, r: Result<bool, Error>| {
        let (ok, detail) = match r {
            Ok(true) => (true, String::new()),
            Ok(false) => (false, "differs from serial".into()),
            Err(e) => (false, e.to_string()),
        };
        rows.push((op.to_string(), launch.clone(), ok, detail));
    };
    let mut want = vec![0.0; x.len()];
    let mut got = vec![0.0; x.len()];
    row(
        "Softsign (map, #[device_op])",
        map_slice_into(Backend::Serial, Softsign, &x, &mut want)
            .and_then(|()| map_slice_into(backend, Softsign, &x, &mut got))
            .map(|()| {
                got.iter()
                    .zip(&want)
                    .all(|(g, w)| g.to_bits() == w.to_bits())
            }),
    );
    let outlier = Outlier {
        centre: 0.0,
        scale: 40.0,
        k: 2.0,
    };
    row(
        "Outlier (count_where, #[device_op])",
        count_where_slice(Backend::Serial, outlier, &x)
            .and_then(|w| Ok(count_where_slice(backend, outlier, &x)? == w)),
    );
    // Zero suppression on an int16 waveform: the serial values, and the
    // example's own formula.
    let wave: Vec<i16> = (0..20_003)
        .map(|i: i32| ((i * 7919) % 65_536 - 32_768) as i16)
        .collect();
    let suppress = ZeroSuppress.right(15_000);
    let mut want = vec![0i16; wave.len()];
    let mut got = vec![0i16; wave.len()];
    row(
        "ZeroSuppress (map over i16, #[device_op])",
        map_slice_into(Backend::Serial, suppress, &wave, &mut want)
            .and_then(|()| map_slice_into(backend, suppress, &wave, &mut got))
            .map(|()| {
                let formula = wave
                    .iter()
                    .zip(&want)
                    .all(|(&v, &w)| w == if (v as i32).abs() < 15_000 { 0 } else { v });
                formula && got == want
            }),
    );
    // Counts to volts: i16 in, f32 out, against the formula in f64.
    let volts = Volts {
        per_count: 1.0 / 2048.0,
        offset: -7,
    };
    let mut want = vec![0.0f32; wave.len()];
    let mut got = vec![0.0f32; wave.len()];
    row(
        "Volts (map i16 -> f32, #[device_op])",
        map_slice_into(Backend::Serial, volts, &wave, &mut want)
            .and_then(|()| map_slice_into(backend, volts, &wave, &mut got))
            .map(|()| {
                let formula = wave
                    .iter()
                    .zip(&want)
                    .all(|(&c, &w)| w == ((f64::from(c) + 7.0) / 2048.0) as f32);
                formula
                    && got
                        .iter()
                        .zip(&want)
                        .all(|(g, w)| g.to_bits() == w.to_bits())
            }),
    );
    // A batched matrix product through a gufunc of two array inputs: the
    // serial bits, and ndarray's product within rounding.
    let a = Array3::from_shape_fn((33, 5, 7), |(l, i, k)| {
        ((l * 31 + i * 7 + k) % 13) as f64 - 6.0
    });
    let b = Array3::from_shape_fn((33, 7, 3), |(l, k, j)| {
        ((l * 5 + k * 3 + j) % 11) as f64 * 0.5
    });
    let product = |be: Backend| {
        gufunc_n(
            be,
            BatchedMatMul,
            [a.view().into_dyn(), b.view().into_dyn()],
        )
    };
    row(
        "BatchedMatMul (gufunc, 2 in, #[device_op])",
        product(Backend::Serial).and_then(|[want]| {
            let [got] = product(backend)?;
            let close = (0..33).all(|l| {
                let d = a.index_axis(Axis(0), l).dot(&b.index_axis(Axis(0), l));
                d.iter()
                    .zip(want.index_axis(Axis(0), l).iter())
                    .all(|(x, y)| (x - y).abs() <= 1e-12 * x.abs().max(1.0))
            });
            Ok(close
                && got
                    .iter()
                    .zip(&want)
                    .all(|(g, w)| g.to_bits() == w.to_bits()))
        }),
    );
    // Black-Scholes: three inputs, two outputs, as numba-examples generates
    // them; the serial bits, and NumPy's formula (f64, the platform's log
    // and exp) within the example's own tolerance (rtol = atol = 1e-5).
    let n = 20_011;
    let u = |i: usize, k: usize| ((i * 7919 + k * 104_729) % 10_007) as f64 / 10_007.0;
    let lerp = |r: f64, lo: f64, hi: f64| (1.0 - r) * lo + r * hi;
    let s: Vec<f64> = (0..n).map(|i| lerp(u(i, 1), 5.0, 30.0)).collect();
    let x: Vec<f64> = (0..n).map(|i| lerp(u(i, 2), 1.0, 100.0)).collect();
    let t: Vec<f64> = (0..n).map(|i| lerp(u(i, 3), 0.25, 10.0)).collect();
    let op = BlackScholes {
        riskfree: 0.02,
        volatility: 0.30,
    };
    let price = |b: Backend| -> Result<[Vec<f64>; 2], Error> {
        let (mut call, mut put) = (vec![0.0; n], vec![0.0; n]);
        map_n_slice_into(b, op, [&s, &x, &t], [&mut call, &mut put])?;
        Ok([call, put])
    };
    row(
        "BlackScholes (map_n, 3 in, 2 out, #[device_op])",
        price(Backend::Serial).and_then(|want| {
            let got = price(backend)?;
            let numpy = black_scholes_numpy(&s, &x, &t, 0.02, 0.30);
            let close = |a: &[f64], b: &[f64]| {
                a.iter()
                    .zip(b)
                    .all(|(a, b)| (a - b).abs() <= 1e-5 + 1e-5 * b.abs())
            };
            let same =
                |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(a, b)| a.to_bits() == b.to_bits());
            Ok(same(&got[0], &want[0])
                && same(&got[1], &want[1])
                && close(&got[0], &numpy[0])
                && close(&got[1], &numpy[1]))
        }),
    );
    rows
}

/// numba-examples' NumPy Black-Scholes, element by element in f64 with the
/// platform's `ln` and `exp` (what NumPy calls): the reference the port is
/// checked against.
fn black_scholes_numpy(s: &[f64], x: &[f64], t: &[f64], r: f64, v: f64) -> [Vec<f64>; 2] {
    let cnd = |d: f64| {
        let k = 1.0 / (1.0 + 0.2316419 * d.abs());
        let poly = k
            * (0.31938153
                + k * (-0.356563782 + k * (1.781477937 + k * (-1.821255978 + k * 1.330274429))));
        let ret = 0.398_942_280_401_432_7 * (-0.5 * d * d).exp() * poly;
        if d > 0.0 { 1.0 - ret } else { ret }
    };
    let mut call = Vec::with_capacity(s.len());
    let mut put = Vec::with_capacity(s.len());
    for i in 0..s.len() {
        let sqrt_t = t[i].sqrt();
        let d1 = ((s[i] / x[i]).ln() + (r + 0.5 * v * v) * t[i]) / (v * sqrt_t);
        let d2 = d1 - v * sqrt_t;
        let (c1, c2) = (cnd(d1), cnd(d2));
        let exp_rt = (-r * t[i]).exp();
        call.push(s[i] * c1 - x[i] * exp_rt * c2);
        put.push(x[i] * exp_rt * (1.0 - c2) - s[i] * (1.0 - c1));
    }
    [call, put]
}

/// A backend's streams and pinned host memory, for the pipeline: Numba's
/// `cuda.stream()`, `cuda.pinned_array` and their asynchronous copies.
trait Pipelined: Launch {
    /// Whether its times mean anything (the simulator's do not: it checks
    /// the order, and runs each operation as it is queued).
    const TIMED: bool;
    type Stream: Launcher<Error = Error, Memory = Self::Memory, Array<f64> = Self::Array<f64>>;
    type Pinned;
    type Pending<'h>;
    fn stream(&self) -> Result<Self::Stream, Error>;
    fn pinned(&self, host: &[f64]) -> Result<Self::Pinned, Error>;
    fn read(p: &Self::Pinned) -> Result<&[f64], Error>;
    fn copy_in<'h>(
        s: &Self::Stream,
        host: &'h Self::Pinned,
        d: &mut Self::Array<f64>,
    ) -> Result<Self::Pending<'h>, Error>;
    fn copy_out<'h>(
        s: &Self::Stream,
        d: &Self::Array<f64>,
        host: &'h mut Self::Pinned,
    ) -> Result<Self::Pending<'h>, Error>;
    fn wait(p: Self::Pending<'_>) -> Result<(), Error>;
}

impl Pipelined for Simulator {
    const TIMED: bool = false;
    type Stream = hotloop_sim::SimStream;
    type Pinned = hotloop_sim::SimPinnedArray<f64>;
    type Pending<'h> = hotloop_sim::SimPending<'h>;
    fn stream(&self) -> Result<Self::Stream, Error> {
        Ok(Simulator::stream(self))
    }
    fn pinned(&self, host: &[f64]) -> Result<Self::Pinned, Error> {
        let mut p = self.pinned_array(host.len())?;
        p.as_mut_slice()?.copy_from_slice(host);
        Ok(p)
    }
    fn read(p: &Self::Pinned) -> Result<&[f64], Error> {
        p.as_slice()
    }
    fn copy_in<'h>(
        s: &Self::Stream,
        host: &'h Self::Pinned,
        d: &mut Self::Array<f64>,
    ) -> Result<Self::Pending<'h>, Error> {
        s.copy_to_device_async(host, d)
    }
    fn copy_out<'h>(
        s: &Self::Stream,
        d: &Self::Array<f64>,
        host: &'h mut Self::Pinned,
    ) -> Result<Self::Pending<'h>, Error> {
        s.copy_to_host_async(d, host)
    }
    fn wait(p: Self::Pending<'_>) -> Result<(), Error> {
        p.wait()
    }
}

impl Pipelined for Module {
    const TIMED: bool = true;
    type Stream = hotloop_cuda::Stream;
    type Pinned = hotloop_cuda::PinnedArray<f64>;
    type Pending<'h> = hotloop_cuda::Pending<'h>;
    fn stream(&self) -> Result<Self::Stream, Error> {
        Module::stream(self)
    }
    fn pinned(&self, host: &[f64]) -> Result<Self::Pinned, Error> {
        let mut p = self.device().pinned_array(host.len())?;
        p.as_mut_slice()?.copy_from_slice(host);
        Ok(p)
    }
    fn read(p: &Self::Pinned) -> Result<&[f64], Error> {
        p.as_slice()
    }
    fn copy_in<'h>(
        s: &Self::Stream,
        host: &'h Self::Pinned,
        d: &mut Self::Array<f64>,
    ) -> Result<Self::Pending<'h>, Error> {
        s.copy_to_device_async(host, d)
    }
    fn copy_out<'h>(
        s: &Self::Stream,
        d: &Self::Array<f64>,
        host: &'h mut Self::Pinned,
    ) -> Result<Self::Pending<'h>, Error> {
        s.copy_to_host_async(d, host)
    }
    fn wait(p: Self::Pending<'_>) -> Result<(), Error> {
        p.wait()
    }
}

/// Numba's pipelined add-2 on a backend's streams: 1 GiB of f64 in 8
/// pinned chunks, chunk `c` on stream `c % 2` (copy in, kernel, copy out,
/// each returning at once, so one stream's copies overlap the other's
/// kernel on a GPU), each stream reusing its own device arrays; against
/// the CPU, and on a GPU timed against the synchronous round trip of the
/// same data.
fn pipeline<B: Pipelined>(b: &B) -> (String, String, bool, String) {
    let n = (1usize << 30) / 8;
    let chunk = n / 8;
    let r = (|| -> Result<(bool, String), Error> {
        let x: Vec<f64> = (0..n).map(|i| (i % 4099) as f64 * 0.25).collect();
        let pin_in = x
            .chunks(chunk)
            .map(|c| b.pinned(c))
            .collect::<Result<Vec<_>, _>>()?;
        let mut pin_out = (0..8)
            .map(|_| b.pinned(&vec![0.0; chunk]))
            .collect::<Result<Vec<_>, _>>()?;
        let zeros = || {
            b.zeros::<f64>(chunk).map_err(|e| Error::InvalidArgument {
                what: "device array",
                reason: e,
            })
        };
        let streams = [b.stream()?, b.stream()?];
        let (mut d_in, mut d_out) = ([zeros()?, zeros()?], [zeros()?, zeros()?]);
        let started = std::time::Instant::now();
        let mut pending = Vec::new();
        for (c, (input, output)) in pin_in.iter().zip(pin_out.iter_mut()).enumerate() {
            let (s, st) = (c % 2, &streams[c % 2]);
            pending.push(B::copy_in(st, input, &mut d_in[s])?);
            add_two::launch(st, (256, 256), &d_in[s], &mut d_out[s])?;
            pending.push(B::copy_out(st, &d_out[s], output)?);
        }
        for p in pending {
            B::wait(p)?;
        }
        let pipelined = started.elapsed();
        let mut ok = true;
        for (c, out) in pin_out.iter().enumerate() {
            let want = &x[c * chunk..(c + 1) * chunk];
            ok &= B::read(out)?.iter().zip(want).all(|(o, v)| *o == v + 2.0);
        }
        if !B::TIMED {
            return Ok((ok, String::new()));
        }
        // The same work as one synchronous round trip.
        let started = std::time::Instant::now();
        let d = b.put(&x).map_err(|e| Error::InvalidArgument {
            what: "to_device",
            reason: e,
        })?;
        let mut d_y = b.zeros::<f64>(n).map_err(|e| Error::InvalidArgument {
            what: "device array",
            reason: e,
        })?;
        add_two::launch(b, (256, 256), &d, &mut d_y)?;
        let y = b.get(&d_y).map_err(|e| Error::InvalidArgument {
            what: "copy_to_host",
            reason: e,
        })?;
        let round_trip = started.elapsed();
        ok &= y.iter().zip(&x).all(|(o, v)| *o == v + 2.0);
        Ok((
            ok,
            format!("pipelined {pipelined:.2?}, one synchronous round trip {round_trip:.2?}"),
        ))
    })();
    let (ok, detail) = match r {
        Ok(r) => r,
        Err(e) => (false, e.to_string()),
    };
    (
        "add_two pipeline (2 streams)".into(),
        "1 GiB, 8 chunks".into(),
        ok,
        detail,
    )
}

fn main() -> ExitCode {
    let mut all = Vec::new();
    let sim = Simulator::new();
    all.extend(run(&sim).into_iter().map(|r| (sim.name(), r)));
    all.push((sim.name(), pipeline(&sim)));
    all.extend(
        ops(Backend::simulator_with(5, 33).expect("a valid launch"))
            .into_iter()
            .map(|r| (sim.name(), r)),
    );
    match cuda() {
        Ok(m) => {
            all.extend(run(&m).into_iter().map(|r| (m.name(), r)));
            all.push((m.name(), pipeline(&m)));
            for b in [
                Backend::cuda(),
                Backend::Cuda {
                    device: 0,
                    launch: Some(hotloop::LaunchConfig::new(5, 33).expect("a valid launch")),
                },
            ] {
                all.extend(ops(b).into_iter().map(|r| (m.name(), r)));
            }
        }
        Err(why) => println!("cuda: skipped: {why}"),
    }
    println!("{:<12} {:<48} {:<16} ok", "backend", "kernel", "launch");
    let mut failed = 0;
    for (backend, (kernel, launch, ok, detail)) in &all {
        println!(
            "{backend:<12} {kernel:<48} {launch:<16} {} {detail}",
            if *ok { "✓" } else { "✗" }
        );
        failed += usize::from(!ok);
    }
    if failed > 0 {
        println!("{failed} rows wrong");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
