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
use hotloop_core::gufunc::{Blocks, GuKernel};
use hotloop_runtime::{Error, LaunchConfig, Result};

/// Runs `kernel` over `loops` iterations (rows): iteration `l` reads input
/// `k`'s block at `l * in_step[k]` and writes output `k`'s at `l *
/// out_block[k]`; `core` holds the core dimensions' sizes (from the
/// signature's plan). `launch` defaults to [`crate::default_launch`] over
/// the rows. An array not of its blocks' length is an
/// [`Error::InvalidArgument`]; with no iterations there is nothing to
/// compute (the launch is still validated).
#[allow(clippy::too_many_arguments)]
pub fn run<T: Num, K: GuKernel<T, I, O>, const I: usize, const O: usize>(
    launch: Option<LaunchConfig>,
    kernel: &K,
    core: &[usize],
    inputs: [&[T]; I],
    outputs: [&mut [T]; O],
    blocks: &Blocks<I, O>,
    loops: usize,
) -> Result<()> {
    let grid = Grid::resolve(launch, loops as u64)?;
    if loops == 0 {
        return Ok(());
    }
    let short = |what: &str, k: usize, len: usize, need: Option<usize>| Error::InvalidArgument {
        what: K::NAME,
        reason: format!(
            "{what} {k} holds {len} elements, not the {} that {loops} iterations' blocks hold",
            need.map_or("more".to_string(), |n| n.to_string())
        ),
    };
    for (k, x) in inputs.iter().enumerate() {
        let need = (loops - 1)
            .checked_mul(blocks.in_step[k])
            .and_then(|n| n.checked_add(blocks.in_block[k]));
        if need != Some(x.len()) {
            return Err(short("input", k, x.len(), need));
        }
    }
    for (k, o) in outputs.iter().enumerate() {
        let need = loops.checked_mul(blocks.out_block[k]);
        if need != Some(o.len()) {
            return Err(short("output", k, o.len(), need));
        }
    }
    let srcs = inputs.map(Global::input);
    let dsts = outputs.map(Global::output);
    grid.for_each_thread(|t| {
        // SAFETY: every array holds the blocks of `loops` iterations
        // (checked); the outputs are borrowed exclusively, so they overlap
        // nothing; iterations are disjoint between threads.
        unsafe {
            body::gufunc_thread(
                t,
                kernel,
                core,
                srcs.each_ref().map(|s| s.ptr().cast_const()),
                dsts.each_ref().map(|d| d.ptr()),
                blocks,
                loops as u64,
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
            MovingAverage { window: 4 }.apply(&[n], [i], [a]);
            NormalizeRows.apply(&[n], [i], [b]);
        }
        let bl = Blocks {
            in_block: [n],
            in_step: [n],
            out_block: [n],
        };
        let avg = MovingAverage { window: 4 };
        for (b, t) in [(1, 1), (3, 7), (5, 33), (1, 1024), (2, 8)] {
            let l = Some(LaunchConfig::new(b, t).unwrap());
            let mut out = vec![f64::NAN; x.len()];
            run(l, &avg, &[n], [&x], [&mut out], &bl, rows).unwrap();
            assert_eq!(out, want_ma, "{b}x{t}");
            run(l, &NormalizeRows, &[n], [&x], [&mut out], &bl, rows).unwrap();
            assert_eq!(out, want_nr, "{b}x{t}");
        }
        let mut out = [0.0; 23 * 37];
        let e = run(None, &NormalizeRows, &[n], [&x[1..]], [&mut out], &bl, rows);
        assert!(matches!(e, Err(Error::InvalidArgument { .. })), "{e:?}");
        let empty = Blocks {
            in_block: [0],
            in_step: [0],
            out_block: [0],
        };
        run::<f64, _, 1, 1>(None, &NormalizeRows, &[0], [&[]], [&mut []], &empty, 0).unwrap();
    }
}
