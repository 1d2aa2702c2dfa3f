//! Arrays with shapes in kernels: `View<T, D>` and `Out<T, D>` indexed as
//! Numba indexes (`a[[i, j]]`, `a.dim(0)`), transposed and reversed host
//! arrays passed as they are, 2-D shared tiles, atomics on 2-D outputs,
//! and every misuse an error value: an index out of bounds names the
//! kernel, block, thread, index and shape; an array of the wrong number of
//! axes, or a strided one for a flat slice, is refused before the launch.

use hotloop_device::prelude::*;
use hotloop_device::{bf16, f16};
use hotloop_runtime::Error;
use hotloop_sim::Simulator;
use ndarray::{Array2, Array3, ArrayD, s};

/// `c = a @ b`, one thread per output element (numba-examples'
/// `matmul`): `cuda.grid(2)`, `C.shape`, `A[i, k]`.
#[kernel(f32, f64)]
pub fn matmul<T: Real>(a: View<T, 2>, b: View<T, 2>, c: Out<T, 2>) {
    let (i, j) = grid_2d();
    if i < c.dim(0) && j < c.dim(1) {
        let mut tmp = T::ZERO;
        for k in 0..a.dim(1) {
            tmp = tmp + a[[i, k]] * b[[k, j]];
        }
        c.set([i, j], tmp);
    }
}

/// The tile's side: the block is `TILE x TILE` threads.
pub const TILE: usize = 8;

/// Tiles of the block's shape, each thread one element: numba-examples'
/// `matmul_smem` with a 2-D shared array.
#[kernel]
pub fn matmul_tiled(a: View<f64, 2>, b: View<f64, 2>, c: Out<f64, 2>) {
    let sa = shared_array!(f64, [TILE, TILE]);
    let sb = shared_array!(f64, [TILE, TILE]);
    let (x, y) = grid_2d();
    let (tx, ty) = (thread_idx().x as usize, thread_idx().y as usize);
    let mut tmp = 0.0;
    for t in 0..a.dim(1).div_ceil(TILE) {
        // Out-of-range cells of the last tile load as zeros.
        let k = t * TILE;
        let av = if x < a.dim(0) && k + ty < a.dim(1) {
            a[[x, k + ty]]
        } else {
            0.0
        };
        let bv = if k + tx < b.dim(0) && y < b.dim(1) {
            b[[k + tx, y]]
        } else {
            0.0
        };
        sa.set([tx, ty], av);
        sb.set([tx, ty], bv);
        sync_threads();
        for j in 0..TILE {
            tmp += sa.get([tx, j]) * sb.get([j, ty]);
        }
        sync_threads();
    }
    if x < c.dim(0) && y < c.dim(1) {
        c.set([x, y], tmp);
    }
}

/// Every element of a 3-D array plus its position, through a flat
/// output too (a `View` and an `Out<T>` in one kernel).
#[kernel]
pub fn label3(a: View<i32, 3>, out: Out<i32, 3>, flat: Out<i32>) {
    let (x, y, z) = grid_3d();
    let [n0, n1, n2] = a.shape();
    if x < n0 && y < n1 && z < n2 {
        let v = a[[x, y, z]] + (100 * x + 10 * y + z) as i32;
        out.set([x, y, z], v);
        flat.set((x * n1 + y) * n2 + z, v);
    }
}

/// A 2-D histogram of byte pairs, with `atomic_add` on a 2-D output.
#[kernel]
pub fn hist2d(pairs: View<u8, 2>, bins: Out<u32, 2>) {
    for i in grid_stride(pairs.dim(0)) {
        let (u, v) = (pairs[[i, 0]] as usize % 4, pairs[[i, 1]] as usize % 4);
        bins.atomic_add([u, v], 1);
    }
}

/// Reads one row past the end: an out-of-bounds fault.
#[kernel]
pub fn past_the_end(a: View<f32, 2>, out: Out<f32, 2>) {
    let (i, j) = grid_2d();
    out.set([i, j], a[[i + 1, j]]);
}

fn serial_matmul(a: &Array2<f64>, b: &Array2<f64>) -> Array2<f64> {
    let mut c = Array2::zeros((a.nrows(), b.ncols()));
    for i in 0..a.nrows() {
        for j in 0..b.ncols() {
            let mut t = 0.0;
            for k in 0..a.ncols() {
                t += a[[i, k]] * b[[k, j]];
            }
            c[[i, j]] = t;
        }
    }
    c
}

fn grid_for(rows: usize, cols: usize, t: u32) -> ((u32, u32), (u32, u32)) {
    (
        ((rows as u32).div_ceil(t), (cols as u32).div_ceil(t)),
        (t, t),
    )
}

#[test]
fn matmul_reads_transposed_and_sliced_arrays_as_they_are() {
    let sim = Simulator::new();
    let a = Array2::from_shape_fn((13, 7), |(i, j)| (i as f64 - 3.5) * 0.25 + j as f64);
    // `b` is the transpose of a C-order array: it goes to the device with
    // its strides, and a kernel reads it by row and column as NumPy does.
    let bt = Array2::from_shape_fn((9, 7), |(i, j)| (i * 7 + j) as f64 * 0.5 - 4.0);
    let b = bt.t();
    let want = serial_matmul(&a, &b.to_owned());
    let (da, db) = (sim.to_device(&a).unwrap(), sim.to_device(&b).unwrap());
    assert_eq!(db.layout().strides(), [1, 7]);
    for t in [1u32, 4, 16] {
        let mut dc = sim.device_array::<f64>((13, 9)).unwrap();
        matmul::launch::<f64, _>(&sim, grid_for(13, 9, t), &da, &db, &mut dc).unwrap();
        // The same loop in the same order: the same bits.
        assert_eq!(
            dc.copy_to_host_array().unwrap(),
            want.clone().into_dyn(),
            "{t}x{t}"
        );
    }
    // A strided slice (every other row) is copied in C order, shape kept.
    let rows = a.slice(s![..;2, ..]);
    let dr = sim.to_device(&rows).unwrap();
    let mut dc = sim.device_array::<f64>((7, 9)).unwrap();
    matmul::launch::<f64, _>(&sim, grid_for(7, 9, 4), &dr, &db, &mut dc).unwrap();
    assert_eq!(
        dc.copy_to_host_array().unwrap(),
        serial_matmul(&rows.to_owned(), &b.to_owned()).into_dyn()
    );
}

#[test]
fn a_tiled_matmul_with_2d_shared_arrays_matches_the_plain_one() {
    let sim = Simulator::new();
    for (n, m, p) in [(8, 8, 8), (19, 11, 23), (1, 30, 2)] {
        let a = Array2::from_shape_fn((n, m), |(i, j)| ((i * 31 + j * 7) % 13) as f64 - 6.0);
        let b = Array2::from_shape_fn((m, p), |(i, j)| ((i * 5 + j * 3) % 11) as f64 * 0.5);
        let (da, db) = (sim.to_device(&a).unwrap(), sim.to_device(&b).unwrap());
        let mut dc = sim.device_array::<f64>((n, p)).unwrap();
        matmul_tiled::launch(&sim, grid_for(n, p, TILE as u32), &da, &db, &mut dc).unwrap();
        // Small integers and halves: every sum exact, in any order.
        assert_eq!(
            dc.copy_to_host_array().unwrap(),
            serial_matmul(&a, &b).into_dyn(),
            "{n}x{m} @ {m}x{p}"
        );
    }
}

#[test]
fn three_axes_and_a_reversed_axis() {
    let sim = Simulator::new();
    let a = Array3::from_shape_fn((3, 4, 5), |(i, j, k)| (i * 1000 + j * 50 + k) as i32);
    // Reversed along the last axis: element [0, 0, 0] is the row's end.
    let r = a.slice(s![.., .., ..;-1]);
    let dr = sim.to_device(&r).unwrap();
    assert_eq!(dr.layout().strides(), [20, 5, -1]);
    let mut out = sim.device_array_like(&dr).unwrap();
    let mut flat = sim.device_array::<i32>(60).unwrap();
    label3::launch(&sim, ((1, 2, 3), (3, 2, 2)), &dr, &mut out, &mut flat).unwrap();
    let want = Array3::from_shape_fn((3, 4, 5), |(x, y, z)| {
        r[[x, y, z]] + (100 * x + 10 * y + z) as i32
    });
    assert_eq!(out.copy_to_host_array().unwrap(), want.clone().into_dyn());
    assert_eq!(
        flat.copy_to_host().unwrap(),
        want.iter().copied().collect::<Vec<_>>()
    );
}

#[test]
fn atomics_on_a_2d_output_count_every_pair() {
    let sim = Simulator::new();
    let pairs = Array2::from_shape_fn((5_000, 2), |(i, j)| ((i * 37 + j * 11) % 251) as u8);
    let mut want = Array2::<u32>::zeros((4, 4));
    for row in pairs.rows() {
        want[[row[0] as usize % 4, row[1] as usize % 4]] += 1;
    }
    let dp = sim.to_device(&pairs).unwrap();
    for (b, t) in [(1u32, 1u32), (3, 64), (40, 256)] {
        let mut bins = sim.device_array::<u32>([4, 4]).unwrap();
        hist2d::launch(&sim, (b, t), &dp, &mut bins).unwrap();
        assert_eq!(bins.copy_to_host_array().unwrap(), want.clone().into_dyn());
    }
}

#[test]
fn an_index_out_of_bounds_names_the_kernel_thread_index_and_shape() {
    let sim = Simulator::new();
    let a = sim.to_device(&Array2::<f32>::zeros((4, 3))).unwrap();
    let mut out = sim.device_array::<f32>((4, 3)).unwrap();
    let e = past_the_end::launch(&sim, ((1, 1), (4, 3)), &a, &mut out).unwrap_err();
    let Error::KernelFault {
        kernel,
        block,
        thread,
        message,
    } = &e
    else {
        panic!("{e}")
    };
    assert_eq!((*kernel, *block), ("past_the_end", [0, 0, 0]));
    assert_eq!(thread[0], 3, "{e}");
    assert!(
        message.contains("index [4, ") && message.contains("shape [4, 3]"),
        "{message}"
    );
}

#[test]
fn arrays_that_do_not_fit_their_parameters_are_refused_before_the_launch() {
    let sim = Simulator::new();
    let flat = sim.to_device(&[1.0f64; 12]).unwrap();
    let square = sim.to_device(&Array2::<f64>::ones((3, 4))).unwrap();
    let mut c = sim.device_array::<f64>((3, 3)).unwrap();
    // A 1-D array for a `View<T, 2>`.
    let e = matmul::launch::<f64, _>(&sim, (1, (3, 3)), &flat, &square, &mut c).unwrap_err();
    assert!(
        matches!(&e, Error::InvalidArgument { reason, .. }
            if reason.contains("parameter 0") && reason.contains("2 axes; this one has 1")),
        "{e}"
    );
    assert_eq!(c.copy_to_host().unwrap(), [0.0; 9], "nothing ran");
    // A transposed array for a flat `Out<T>`.
    let t = Array3::<i32>::zeros((2, 3, 4));
    let d = sim.to_device(&t).unwrap();
    let mut out = sim.device_array::<i32>((2, 3, 4)).unwrap();
    let tt = t.view().reversed_axes();
    let mut flat_t = sim.to_device(&tt).unwrap();
    let e = label3::launch(&sim, (1, 1), &d, &mut out, &mut flat_t).unwrap_err();
    assert!(
        matches!(&e, Error::InvalidArgument { reason, .. }
            if reason.contains("parameter 2") && reason.contains("C order")),
        "{e}"
    );
    // More axes than a device array holds.
    let big = ArrayD::<u8>::zeros(vec![1; 9]);
    assert!(matches!(
        sim.to_device(&big).unwrap_err(),
        Error::InvalidArgument { .. }
    ));
}

/// Numba's boolean masks: `bool` arrays in and out, a `bool` scalar.
#[kernel]
pub fn mask_rows(a: View<f32, 2>, limit: f32, inside: bool, mask: Out<bool, 2>, any: Out<u32>) {
    let (i, j) = grid_2d();
    if i < a.dim(0) && j < a.dim(1) {
        let hit = (a[[i, j]].abs() <= limit) == inside;
        mask.set([i, j], hit);
        if hit {
            any.atomic_add(0, 1);
        }
    }
}

/// Counts the set elements of a flat `bool` array.
#[kernel]
pub fn count_true(mask: &[bool], total: Out<u32>) {
    for i in grid_stride(mask.len()) {
        if mask[i] {
            total.atomic_add(0, 1);
        }
    }
}

#[test]
fn boolean_masks_in_and_out() {
    let sim = Simulator::new();
    let a = Array2::from_shape_fn((9, 14), |(i, j)| (i as f32 - 4.0) * (j as f32 - 6.5));
    for inside in [true, false] {
        let da = sim.to_device(&a).unwrap();
        let mut mask = sim.device_array::<bool>((9, 14)).unwrap();
        let mut any = sim.device_array::<u32>(1).unwrap();
        mask_rows::launch(
            &sim,
            grid_for(9, 14, 4),
            &da,
            6.0,
            inside,
            &mut mask,
            &mut any,
        )
        .unwrap();
        let want = a.mapv(|v| (v.abs() <= 6.0) == inside);
        assert_eq!(mask.copy_to_host_array().unwrap(), want.clone().into_dyn());
        let n = want.iter().filter(|b| **b).count() as u32;
        assert_eq!(any.copy_to_host().unwrap(), [n]);
        let flat: Vec<bool> = want.iter().copied().collect();
        let mut total = sim.device_array::<u32>(1).unwrap();
        count_true::launch(&sim, (3, 32), &sim.to_device(&flat).unwrap(), &mut total).unwrap();
        assert_eq!(total.copy_to_host().unwrap(), [n]);
    }
}

/// Half precision in, bfloat16 out, arithmetic through f32 (as Numba's
/// float16 on a device without half arithmetic).
#[kernel]
pub fn half_scale(x: View<f16, 2>, s: f16, out: Out<bf16, 2>) {
    let (i, j) = grid_2d();
    if i < x.dim(0) && j < x.dim(1) {
        out.set([i, j], bf16::from_f32(x[[i, j]].to_f32() * s.to_f32()));
    }
}

#[test]
fn half_precision_arrays_and_scalars() {
    let sim = Simulator::new();
    let x = Array2::from_shape_fn((11, 6), |(i, j)| {
        f16::from_f32((i as f32 - 5.0) * 0.37 + j as f32)
    });
    let s = f16::from_f32(-1.75);
    let want = x.mapv(|v| bf16::from_f32(v.to_f32() * s.to_f32()));
    let dx = sim.to_device(&x).unwrap();
    let mut out = sim.device_array::<bf16>((11, 6)).unwrap();
    half_scale::launch(&sim, grid_for(11, 6, 4), &dx, s, &mut out).unwrap();
    let got = out.copy_to_host_array().unwrap();
    assert!(
        got.iter()
            .zip(&want)
            .all(|(g, w)| g.to_bits() == w.to_bits())
    );
}
