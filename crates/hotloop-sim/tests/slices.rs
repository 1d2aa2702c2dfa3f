//! Slices of device arrays (Numba's `d[i:j]`) and mapped memory on the
//! simulator: a kernel reads and writes the rows of a slice, or mapped host
//! memory, in place, with no copy; a slice out of range, and a split whose
//! parts would interleave, are typed errors. (Slices on two streams:
//! `streams.rs`.)

use hotloop_device::prelude::*;
use hotloop_runtime::Error;
use hotloop_sim::{DeviceBuffer, DeviceBufferMut, Simulator};
use ndarray::Array2;

/// `out[i] = x[i] + 2`, grid-stride.
#[kernel]
pub fn add_two(x: &[f64], out: Out<f64>) {
    for i in grid_stride(x.len()) {
        out.set(i, x[i] + 2.0);
    }
}

/// `out[r, c] = 10 * x[r, c]` over a 2-D array.
#[kernel]
pub fn scale_rows(x: View<f64, 2>, out: Out<f64, 2>) {
    let (r, c) = grid_2d();
    if r < x.shape()[0] && c < x.shape()[1] {
        out.set([r, c], 10.0 * x[[r, c]]);
    }
}

#[test]
fn a_kernel_writes_the_rows_of_a_slice_in_place() {
    let sim = Simulator::new();
    let x: Vec<f64> = (0..100).map(f64::from).collect();
    let d_x = sim.to_device(&x).unwrap();
    let mut d_y = sim.device_array::<f64>(100).unwrap();
    // y[20:50] = x[60:90] + 2, the rest untouched.
    let src = d_x.slice(60..90).unwrap();
    let mut dst = d_y.slice_mut(20..50).unwrap();
    assert_eq!((src.len(), dst.shape()), (30, &[30][..]));
    add_two::launch(&sim, (2, 32), &src, &mut dst).unwrap();
    let y = d_y.copy_to_host().unwrap();
    for (i, v) in y.iter().enumerate() {
        let want = if (20..50).contains(&i) {
            x[i + 40] + 2.0
        } else {
            0.0
        };
        assert_eq!(*v, want, "element {i}");
    }
    // A slice of a slice, and the open ranges.
    let tail = d_x.slice(50..).unwrap();
    assert_eq!(tail.slice(..=9).unwrap().len(), 10);
    assert_eq!(d_x.slice(..).unwrap().len(), 100);
}

#[test]
fn rows_of_a_2d_array_keep_their_shape_and_strides() {
    let sim = Simulator::new();
    let x = Array2::from_shape_fn((6, 5), |(r, c)| (r * 5 + c) as f64);
    let d_x = sim.to_device(&x).unwrap();
    let mut d_y = sim.device_array::<f64>((6, 5)).unwrap();
    let (mut top, mut bottom) = d_y.split_at_mut(2).unwrap();
    assert_eq!((top.shape(), bottom.shape()), (&[2, 5][..], &[4, 5][..]));
    scale_rows::launch(&sim, ((1, 1), (8, 8)), &d_x.slice(4..6).unwrap(), &mut top).unwrap();
    scale_rows::launch(
        &sim,
        ((1, 1), (8, 8)),
        &d_x.slice(0..4).unwrap(),
        &mut bottom,
    )
    .unwrap();
    let y = d_y.copy_to_host().unwrap();
    for r in 0..6 {
        let from = if r < 2 { r + 4 } else { r - 2 };
        for c in 0..5 {
            assert_eq!(y[r * 5 + c], 10.0 * x[[from, c]], "[{r}, {c}]");
        }
    }
    // A transposed array's rows are strided: a `View` takes them as they
    // are; a flat `&[T]` refuses them.
    let t = sim.to_device(&x.t()).unwrap();
    let mut d_t = sim.device_array::<f64>((2, 6)).unwrap();
    scale_rows::launch(&sim, ((1, 1), (8, 8)), &t.slice(1..3).unwrap(), &mut d_t).unwrap();
    let got = d_t.copy_to_host().unwrap();
    for r in 0..2 {
        for c in 0..6 {
            assert_eq!(got[r * 6 + c], 10.0 * x[[c, r + 1]]);
        }
    }
    let mut flat = sim.device_array::<f64>(12).unwrap();
    let e = add_two::launch(&sim, (1, 32), &t.slice(1..3).unwrap(), &mut flat).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { .. }), "{e}");
}

#[test]
fn bad_slices_are_typed_errors() {
    let sim = Simulator::new();
    let mut d = sim.device_array::<f32>((4, 3)).unwrap();
    let e = d.slice(2..5).unwrap_err();
    assert_eq!(
        e.to_string(),
        "rows 2..5 of an array of 4 rows: a slice needs start <= end <= rows"
    );
    let (start, end) = (3, 2);
    assert!(d.slice(start..end).is_err());
    assert!(d.split_at_mut(5).is_err());
    let e: Error = d.slice_mut(0..9).unwrap_err().into();
    assert!(matches!(e, Error::Slice(_)), "{e}");
    // Rows of a transposed array interleave in memory: splitting them
    // would let two kernels write one span.
    let x = Array2::<f32>::zeros((3, 4));
    let mut t = sim.to_device(&x.t()).unwrap();
    let e = t.split_at_mut(2).unwrap_err();
    assert!(e.to_string().contains("interleave"), "{e}");
    // Empty parts are fine.
    let (a, b) = d.split_at_mut(4).unwrap();
    assert_eq!((a.len(), b.len()), (12, 0));
}

/// Numba's `cuda.mapped_array`: a kernel writes host memory in place; the
/// host reads it after the streams' work, with no copy either way.
#[test]
fn kernels_read_and_write_mapped_memory_in_place() {
    let sim = Simulator::new();
    let mut m = sim.mapped_array::<f64>(1000).unwrap();
    assert_eq!(m.as_slice().unwrap(), vec![0.0; 1000], "zeroed");
    for (i, v) in m.as_mut_slice().unwrap().iter_mut().enumerate() {
        *v = i as f64;
    }
    let mut d_y = sim.device_array::<f64>(1000).unwrap();
    let s = sim.stream();
    add_two::launch(&s, (4, 64), &m, &mut d_y).unwrap();
    // Back into the second half of the mapped array, from the first half
    // of the result.
    let upper = d_y.slice(..500).unwrap();
    add_two::launch(&s, (4, 64), &upper, &mut m.slice_mut(500..).unwrap()).unwrap();
    let got = m.as_slice().unwrap();
    for (i, v) in got.iter().enumerate() {
        let want = if i < 500 {
            i as f64
        } else {
            (i - 500) as f64 + 4.0
        };
        assert_eq!(*v, want, "element {i}");
    }
}
