//! Stencils (`@stencil`) on the simulator: the device kernels `stencil_*`,
//! one simulated thread per output cell, grid-stride over the cells.
//!
//! Each thread runs `hotloop_core::grid::stencil_thread`, the body the
//! device entries run, whose every cell is `stencil::stencil_cell`: the
//! arithmetic the CPU backends use for that cell, under the same boundary
//! mode. Any [`Stencil3`] runs here (the GPU runs the built-ins), and the
//! output is the CPU's bits in every mode.

use crate::grid::{Global, Grid};
use hotloop_core::Num;
use hotloop_core::grid as body;
use hotloop_core::index::Shape3;
use hotloop_core::stencil::{Boundary, Stencil3};
use hotloop_runtime::{Error, LaunchConfig, Result, shape3};
use std::sync::OnceLock;

/// `out = kernel(input)` under `boundary`, both row-major arrays of shape
/// `dims` (the output cannot be the input: the kernel reads neighbours).
/// `launch` defaults to [`crate::default_launch`] over the cells.
pub fn run<T: Num, K: Stencil3<T>>(
    launch: Option<LaunchConfig>,
    kernel: &K,
    input: &[T],
    dims: [usize; 3],
    boundary: Boundary<T>,
    out: &mut [T],
) -> Result<()> {
    let shape: Shape3 = shape3("input", input, dims)?;
    shape3("output", out, dims)?;
    let cells = input.len() as u64;
    let grid = Grid::resolve(launch, cells)?;
    let (src, dst) = (Global::input(input), Global::output(out));
    let failed = OnceLock::new();
    grid.for_each_thread(|t| {
        // SAFETY: both buffers hold the shape's elements (checked, so the
        // count fits usize); the output is borrowed exclusively, so it does
        // not overlap the input; cells are disjoint between threads.
        let r = unsafe { body::stencil_thread(t, kernel, src.ptr(), dst.ptr(), shape, boundary) };
        if let Err((_, e)) = r {
            let _ = failed.set(e);
        }
    });
    match failed.into_inner() {
        None => Ok(()),
        Some(e) => Err(Error::from(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hotloop_core::stencil::{Jacobi5, Laplacian7, Planar, stencil_range};

    #[test]
    fn every_mode_and_launch_gives_the_cpu_bits() {
        for dims in [[1, 1, 1], [2, 2, 2], [3, 3, 3], [5, 7, 9]] {
            let n: usize = dims.iter().product();
            let x: Vec<f32> = (0..n).map(|i| ((i * 37) % 17) as f32 * 0.3 - 2.0).collect();
            let shape = Shape3::new(dims[0], dims[1], dims[2]);
            for boundary in [
                Boundary::FillBorder(0.0),
                Boundary::FillBorder(9.5),
                Boundary::PadConstant(0.75),
                Boundary::Clamp,
            ] {
                let k = Laplacian7 { scale: 0.5 };
                let mut want = vec![f32::NAN; n];
                stencil_range(&k, &x, shape, boundary, 0, &mut want).unwrap();
                let mut want2 = vec![f32::NAN; n];
                stencil_range(&Planar(Jacobi5), &x, shape, boundary, 0, &mut want2).unwrap();
                for (b, t) in [(1, 1), (3, 7), (5, 33), (1, 1024)] {
                    let l = Some(LaunchConfig::new(b, t).unwrap());
                    let mut out = vec![f32::NAN; n];
                    run(l, &k, &x, dims, boundary, &mut out).unwrap();
                    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&out), bits(&want), "{dims:?} {boundary:?} {b}x{t}");
                    run(l, &Planar(Jacobi5), &x, dims, boundary, &mut out).unwrap();
                    assert_eq!(bits(&out), bits(&want2), "{dims:?} {boundary:?} {b}x{t}");
                }
            }
        }
        let e = run(
            None,
            &Laplacian7::unit(),
            &[0.0f64; 8],
            [2, 2, 2],
            Boundary::Clamp,
            &mut [0.0; 7],
        );
        assert!(matches!(e, Err(Error::LengthMismatch { .. })), "{e:?}");
    }
}
