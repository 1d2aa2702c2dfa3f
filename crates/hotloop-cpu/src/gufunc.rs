//! Generalized ufuncs (`@guvectorize`) on the CPU: a [`GuKernel`] run once
//! per iteration of the outer loop, serially or with the iterations spread
//! over the pool. The caller has bound the signature to the arrays
//! (`hotloop_runtime::Signature::plan`): `loops` iterations over blocks of
//! `in_block` input and `out_block` output elements.
//!
//! Iterations are independent and each is computed by the same `apply`, so
//! the parallel form is bit-identical to the serial one.

use hotloop_core::Num;
use hotloop_core::gufunc::GuKernel;

/// Input elements per parallel task (rounded to whole iterations): enough
/// work to amortise a task, fine enough to balance many threads.
pub const GUFUNC_TASK_ELEMS: usize = 1 << 15;

/// Iteration `l`: the kernel over its input and output blocks.
#[inline(always)]
fn iteration<T: Num, K: GuKernel<T>>(
    kernel: &K,
    core: &[usize],
    input: &[T],
    in_block: usize,
    out: &mut [T],
    l: usize,
) {
    kernel.apply(core, &input[l * in_block..(l + 1) * in_block], out);
}

/// One thread.
pub mod serial {
    use super::*;

    /// Runs `loops` iterations; `input` holds `loops * in_block` elements,
    /// `out` `loops * out_block`.
    pub fn run<T: Num, K: GuKernel<T>>(
        kernel: &K,
        core: &[usize],
        input: &[T],
        in_block: usize,
        out: &mut [T],
        out_block: usize,
    ) {
        if out_block == 0 {
            return;
        }
        for (l, o) in out.chunks_exact_mut(out_block).enumerate() {
            iteration(kernel, core, input, in_block, o, l);
        }
    }
}

/// Over a [`Pool`](crate::pool::Pool).
pub mod parallel {
    use super::*;
    use crate::pool::Pool;
    use rayon::prelude::*;

    /// [`serial::run`] with the iterations split over the pool in tasks of
    /// about [`GUFUNC_TASK_ELEMS`] input elements.
    pub fn run<T: Num, K: GuKernel<T>>(
        pool: &Pool,
        kernel: &K,
        core: &[usize],
        input: &[T],
        in_block: usize,
        out: &mut [T],
        out_block: usize,
    ) {
        if out_block == 0 {
            return;
        }
        let per_task = (GUFUNC_TASK_ELEMS / in_block.max(out_block)).max(1);
        pool.install(|| {
            out.par_chunks_mut(per_task * out_block)
                .enumerate()
                .for_each(|(t, task)| {
                    for (j, o) in task.chunks_exact_mut(out_block).enumerate() {
                        iteration(kernel, core, input, in_block, o, t * per_task + j);
                    }
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
        let mut want = vec![0.0f32; rows * n];
        serial::run(&MovingAverage { window: 7 }, &[n], &x, n, &mut want, n);
        let mut want_norm = vec![0.0f32; rows * n];
        serial::run(&NormalizeRows, &[n], &x, n, &mut want_norm, n);
        for t in [1, 2, 3, 8] {
            let pool = Pool::get(NonZeroUsize::new(t)).unwrap();
            let mut got = vec![f32::NAN; rows * n];
            parallel::run(
                &pool,
                &MovingAverage { window: 7 },
                &[n],
                &x,
                n,
                &mut got,
                n,
            );
            assert_eq!(got, want, "threads={t}");
            parallel::run(&pool, &NormalizeRows, &[n], &x, n, &mut got, n);
            assert_eq!(got, want_norm, "threads={t}");
        }
    }
}
