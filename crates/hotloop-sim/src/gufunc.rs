//! Generalized ufuncs (`@guvectorize`) on the simulator: the device
//! kernels `gufunc_*`, one simulated thread per row (iteration of the
//! outer loop), grid-stride over the rows.
//!
//! Each thread runs `hotloop_core::grid::gufunc_thread`, the body the
//! device entries run: the kernel's `apply` over its rows, sequentially
//! along each row as one CPU task runs it. Any [`GuKernel`] runs here (the
//! GPU runs the built-ins), and every row is the CPU's bits.

use crate::grid::{Global, Grid};
use hotloop_core::Num;
use hotloop_core::grid as body;
use hotloop_core::gufunc::GuKernel;
use hotloop_runtime::{Error, LaunchConfig, Result};

/// Runs `kernel` over `out.len() / out_block` rows: row `l` reads
/// `input[l * in_block..][..in_block]` and writes
/// `out[l * out_block..][..out_block]`; `core` holds the core dimensions'
/// sizes (from the signature's plan). `launch` defaults to
/// [`crate::default_launch`] over the rows. With `out_block == 0` there is
/// nothing to compute (the launch is still validated).
pub fn run<T: Num, K: GuKernel<T>>(
    launch: Option<LaunchConfig>,
    kernel: &K,
    core: &[usize],
    input: &[T],
    in_block: usize,
    out: &mut [T],
    out_block: usize,
) -> Result<()> {
    let rows = out.len().checked_div(out_block).unwrap_or(0);
    let grid = Grid::resolve(launch, rows as u64)?;
    if rows * out_block != out.len() || rows.checked_mul(in_block) != Some(input.len()) {
        return Err(Error::InvalidArgument {
            what: K::NAME,
            reason: format!(
                "{} input and {} output elements are not the same number of rows of \
                 {in_block} and {out_block} elements",
                input.len(),
                out.len()
            ),
        });
    }
    if rows == 0 {
        return Ok(());
    }
    let (src, dst) = (Global::input(input), Global::output(out));
    grid.for_each_thread(|t| {
        // SAFETY: `rows` whole blocks in each buffer (checked); the output
        // is borrowed exclusively; rows are disjoint between threads.
        unsafe {
            body::gufunc_thread(
                t,
                kernel,
                core,
                src.ptr(),
                in_block,
                dst.ptr(),
                out_block,
                rows as u64,
            )
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hotloop_core::gufunc::{MovingAverage, NormalizeRows};

    #[test]
    fn rows_match_the_kernel_at_every_launch() {
        let (rows, n) = (37, 23);
        let x: Vec<f64> = (0..rows * n)
            .map(|i| ((i * 7919) % 101) as f64 - 50.0)
            .collect();
        let mut want_ma = vec![0.0; x.len()];
        let mut want_nr = vec![0.0; x.len()];
        for ((i, a), b) in x
            .chunks(n)
            .zip(want_ma.chunks_mut(n))
            .zip(want_nr.chunks_mut(n))
        {
            MovingAverage { window: 4 }.apply(&[n], i, a);
            NormalizeRows.apply(&[n], i, b);
        }
        for (b, t) in [(1, 1), (3, 7), (5, 33), (1, 1024), (2, 8)] {
            let l = Some(LaunchConfig::new(b, t).unwrap());
            let mut out = vec![f64::NAN; x.len()];
            run(l, &MovingAverage { window: 4 }, &[n], &x, n, &mut out, n).unwrap();
            assert_eq!(out, want_ma, "{b}x{t}");
            run(l, &NormalizeRows, &[n], &x, n, &mut out, n).unwrap();
            assert_eq!(out, want_nr, "{b}x{t}");
        }
        let e = run(
            None,
            &NormalizeRows,
            &[n],
            &x[1..],
            n,
            &mut [0.0; 23 * 37],
            n,
        );
        assert!(matches!(e, Err(Error::InvalidArgument { .. })), "{e:?}");
        run::<f64, _>(None, &NormalizeRows, &[0], &[], 0, &mut [], 0).unwrap();
    }
}
