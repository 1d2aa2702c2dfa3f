//! Generalized ufuncs (`@guvectorize`) on the CPU: a [`GuKernel`] run once
//! per iteration of the outer loop, serially or with the iterations spread
//! over the pool. The caller has bound the signature to the arrays
//! (`hotloop_runtime::Signature::plan`): `loops` iterations over the blocks
//! a [`Blocks`] places.
//!
//! Iterations are independent and each is computed by the same `apply`, so
//! the parallel form is bit-identical to the serial one.

use crate::simd::with_widest;
use hotloop_core::Num;
use hotloop_core::gufunc::{Blocks, GuKernel, gufunc_slices};

/// Elements (inputs' and outputs' blocks together) per parallel task,
/// rounded to whole iterations: enough work to amortise a task, fine
/// enough to balance many threads.
pub const GUFUNC_TASK_ELEMS: usize = 1 << 15;

/// One thread.
pub mod serial {
    use super::*;

    /// Runs `loops` iterations: input `k` holds the blocks `blocks` places
    /// for them, output `k` `loops * out_block[k]` elements, in a function
    /// compiled for the widest instruction set the CPU has (which reaches
    /// the kernel's `apply` where it is inlined).
    pub fn run<T: Num, K: GuKernel<T, I, O>, const I: usize, const O: usize>(
        kernel: &K,
        core: &[usize],
        inputs: [&[T]; I],
        outputs: [&mut [T]; O],
        blocks: &Blocks<I, O>,
        loops: usize,
    ) {
        with_widest(
            #[inline(always)]
            || gufunc_slices(kernel, core, inputs, outputs, blocks, 0..loops),
        );
    }
}

/// Over a [`Pool`](crate::pool::Pool).
pub mod parallel {
    use super::*;
    use crate::pool::Pool;
    use rayon::prelude::*;

    /// [`serial::run`] with the iterations split over the pool in tasks of
    /// about [`GUFUNC_TASK_ELEMS`] elements, each output cut at its tasks'
    /// iteration boundaries.
    pub fn run<T: Num, K: GuKernel<T, I, O>, const I: usize, const O: usize>(
        pool: &Pool,
        kernel: &K,
        core: &[usize],
        inputs: [&[T]; I],
        outputs: [&mut [T]; O],
        blocks: &Blocks<I, O>,
        loops: usize,
    ) {
        let per_loop: usize = blocks.in_block.iter().chain(&blocks.out_block).sum();
        let per_task = (GUFUNC_TASK_ELEMS / per_loop.max(1)).max(1);
        // Each task's iterations and its own blocks of every output.
        let mut tasks = Vec::with_capacity(loops.div_ceil(per_task));
        let mut rest = outputs;
        let mut start = 0;
        while start < loops {
            let end = (start + per_task).min(loops);
            let mut k = 0;
            let mine: [&mut [T]; O] = rest.each_mut().map(|o| {
                let (head, tail) =
                    std::mem::take(o).split_at_mut((end - start) * blocks.out_block[k]);
                *o = tail;
                k += 1;
                head
            });
            tasks.push((start..end, mine));
            start = end;
        }
        pool.install(|| {
            tasks.into_par_iter().for_each(|(range, outs)| {
                with_widest(
                    #[inline(always)]
                    || gufunc_slices(kernel, core, inputs, outs, blocks, range),
                );
            });
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::Pool;
    use hotloop_core::gufunc::{MovingAverage, NormalizeRows};
    use std::num::NonZeroUsize;

    #[test]
    fn parallel_equals_serial_bitwise() {
        let (rows, n) = (1000, 97);
        let x: Vec<f32> = (0..rows * n)
            .map(|i| ((i * 31) % 1000) as f32 * 0.01 - 5.0)
            .collect();
        let b = Blocks {
            in_block: [n],
            in_step: [n],
            out_block: [n],
        };
        let avg = MovingAverage { window: 7 };
        let mut want = vec![0.0f32; rows * n];
        serial::run(&avg, &[n], [&x], [&mut want], &b, rows);
        let mut want_norm = vec![0.0f32; rows * n];
        serial::run(&NormalizeRows, &[n], [&x], [&mut want_norm], &b, rows);
        for t in [1, 2, 3, 8] {
            let pool = Pool::get(NonZeroUsize::new(t)).unwrap();
            let mut got = vec![f32::NAN; rows * n];
            parallel::run(&pool, &avg, &[n], [&x], [&mut got], &b, rows);
            assert_eq!(got, want, "threads={t}");
            parallel::run(&pool, &NormalizeRows, &[n], [&x], [&mut got], &b, rows);
            assert_eq!(got, want_norm, "threads={t}");
        }
    }
}
