//! Element-wise maps (`@vectorize`) on the simulator: the device kernels
//! `map_*` and `zip_*`, thread by thread.
//!
//! Each simulated thread runs `hotloop_core::grid::map_thread` (or
//! `zip_thread`), the body the device entries run, over its grid-stride
//! indices. The simulator calls it with the op itself, so **any**
//! [`UnaryOp`] or [`BinaryOp`] runs here, closures included; the GPU runs
//! only the built-ins, which have entry points. Every element is the op's
//! `apply`, as on the CPU backends: the same bits.

use crate::grid::{Global, Grid};
use hotloop_core::Num;
use hotloop_core::grid as body;
use hotloop_core::map::{BinaryOp, NaryOp, UnaryOp};
use hotloop_runtime::{LaunchConfig, Result, check_same_shape};

/// `out[i] = op(input[i])`. `launch` defaults to [`crate::default_launch`]
/// over the element count.
pub fn map<T: Num, U: Num, Op: UnaryOp<T, U>>(
    launch: Option<LaunchConfig>,
    op: &Op,
    input: &[T],
    out: &mut [U],
) -> Result<()> {
    check_same_shape("input", &[input.len()], "output", &[out.len()])?;
    let len = input.len() as u64;
    let grid = Grid::resolve(launch, len)?;
    let (src, dst) = (Global::input(input), Global::output(out));
    grid.for_each_thread(|t| {
        // SAFETY: both buffers hold `len` elements and do not overlap (one
        // is borrowed shared, the other exclusively); grid-stride indices
        // are disjoint between threads.
        unsafe { body::map_thread(t, op, src.ptr(), dst.ptr(), len) }
    });
    Ok(())
}

/// `data[i] = op(data[i])` (the device runs its out-of-place entry with the
/// same buffer twice).
pub fn map_in_place<T: Num, Op: UnaryOp<T>>(
    launch: Option<LaunchConfig>,
    op: &Op,
    data: &mut [T],
) -> Result<()> {
    let len = data.len() as u64;
    let grid = Grid::resolve(launch, len)?;
    let buf = Global::output(data);
    grid.for_each_thread(|t| {
        // SAFETY: `len` elements, exclusively borrowed; each index is read
        // then written by one thread only.
        unsafe { body::map_thread(t, op, buf.ptr(), buf.ptr(), len) }
    });
    Ok(())
}

/// `outputs[k][i] = op(inputs[..][i])[k]`; every array of one length.
pub fn map_n<T: Num, Op: NaryOp<T, I, O>, const I: usize, const O: usize>(
    launch: Option<LaunchConfig>,
    op: &Op,
    inputs: [&[T]; I],
    outputs: [&mut [T]; O],
) -> Result<()> {
    let n = outputs.first().map_or(0, |o| o.len());
    for x in &inputs {
        check_same_shape("input", &[x.len()], "output", &[n])?;
    }
    for o in &outputs {
        check_same_shape("output", &[o.len()], "first output", &[n])?;
    }
    let grid = Grid::resolve(launch, n as u64)?;
    let src = inputs.map(Global::input);
    let dst = outputs.map(Global::output);
    grid.for_each_thread(|t| {
        // SAFETY: every buffer holds `n` elements; the outputs are borrowed
        // exclusively, so they overlap nothing; grid-stride indices are
        // disjoint between threads.
        unsafe {
            body::map_n_thread(
                t,
                op,
                src.map(|g| g.ptr().cast_const()),
                dst.map(Global::ptr),
                n as u64,
            )
        }
    });
    Ok(())
}

/// `out[i] = op(a[i], b[i])`; all three of the same length.
pub fn zip<T: Num, Op: BinaryOp<T>>(
    launch: Option<LaunchConfig>,
    op: &Op,
    a: &[T],
    b: &[T],
    out: &mut [T],
) -> Result<()> {
    check_same_shape("a", &[a.len()], "b", &[b.len()])?;
    check_same_shape("a", &[a.len()], "output", &[out.len()])?;
    let len = a.len() as u64;
    let grid = Grid::resolve(launch, len)?;
    let (x, y, dst) = (Global::input(a), Global::input(b), Global::output(out));
    grid.for_each_thread(|t| {
        // SAFETY: three buffers of `len` elements; the output is borrowed
        // exclusively, so it overlaps neither input; disjoint indices.
        unsafe { body::zip_thread(t, op, x.ptr(), y.ptr(), dst.ptr(), len) }
    });
    Ok(())
}

/// `a[i] = op(a[i], b[i])`.
pub fn zip_in_place<T: Num, Op: BinaryOp<T>>(
    launch: Option<LaunchConfig>,
    op: &Op,
    a: &mut [T],
    b: &[T],
) -> Result<()> {
    check_same_shape("a", &[a.len()], "b", &[b.len()])?;
    let len = a.len() as u64;
    let grid = Grid::resolve(launch, len)?;
    let (x, y) = (Global::output(a), Global::input(b));
    grid.for_each_thread(|t| {
        // SAFETY: `a` (exclusive) is both input and output, `b` does not
        // overlap it; each index read then written by one thread.
        unsafe { body::zip_thread(t, op, x.ptr(), y.ptr(), x.ptr(), len) }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hotloop_core::map::{Affine, Axpy, Exp, map_slice, zip_slice};
    use hotloop_runtime::Error;

    const LAUNCHES: [(u32, u32); 5] = [(1, 1), (3, 7), (5, 33), (1, 1024), (40, 64)];

    #[test]
    fn every_launch_gives_the_slice_loops_bits() {
        let x: Vec<f64> = (0..1001).map(|i| (i as f64 - 500.0) * 0.731).collect();
        let y: Vec<f64> = x.iter().map(|v| v * 0.5 + 1.0).collect();
        let mut want_exp = vec![0.0; x.len()];
        map_slice(&Exp, &x, &mut want_exp);
        let mut want_axpy = vec![0.0; x.len()];
        zip_slice(&Axpy { a: -3.0 }, &x, &y, &mut want_axpy);
        let sq = |v: f64| v * v - 2.0;
        for (b, t) in LAUNCHES {
            let l = Some(LaunchConfig::new(b, t).unwrap());
            let mut out = vec![f64::NAN; x.len()];
            map(l, &Exp, &x, &mut out).unwrap();
            assert_eq!(out, want_exp, "{b}x{t}");
            let mut d = x.clone();
            map_in_place(l, &sq, &mut d).unwrap();
            assert!(d.iter().zip(&x).all(|(d, x)| *d == sq(*x)), "{b}x{t}");
            zip(l, &Axpy { a: -3.0 }, &x, &y, &mut out).unwrap();
            assert_eq!(out, want_axpy, "{b}x{t}");
            let mut d = x.clone();
            zip_in_place(l, &Axpy { a: -3.0 }, &mut d, &y).unwrap();
            assert_eq!(d, want_axpy, "{b}x{t}");
        }
    }

    #[test]
    fn shapes_and_launches_are_checked() {
        let op = Affine { a: 1.0f32, b: 1.0 };
        let e = map(None, &op, &[1.0f32; 3], &mut [0.0; 2]).unwrap_err();
        assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
        let e = zip(
            None,
            &hotloop_core::map::Add,
            &[1.0f32; 3],
            &[1.0; 2],
            &mut [0.0; 3],
        );
        assert!(matches!(e, Err(Error::ShapeMismatch { .. })));
        let bad = Some(LaunchConfig {
            blocks: 1,
            threads_per_block: 2048,
        });
        assert!(matches!(
            map_in_place(bad, &op, &mut []),
            Err(Error::InvalidLaunch(_))
        ));
        map(None, &op, &[], &mut []).unwrap();
    }
}
