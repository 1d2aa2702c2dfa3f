//! `sum`, `max`, `min` and count-where on the simulator: the device
//! kernels `sum_*` (one sum per `SUM_CHUNK`-element chunk, a thread per
//! chunk), `max_*`, `min_*` and `count_*` (one partial per block, reduced
//! in shared memory), then the host's finish over those partials. Every
//! result is the CPU backends' bits at any launch.

use crate::block;
use crate::grid::{Global, Grid};
use hotloop_core::Num;
use hotloop_core::grid as body;
use hotloop_core::predicate::Predicate;
use hotloop_core::reduce::{Max, Min, Sum};
use hotloop_runtime::launch::{finish_count, finish_max, finish_min, finish_sum};
use hotloop_runtime::{LaunchConfig, Result, try_vec_with_capacity};

/// The chunk sums the `sum_*` kernel writes, in chunk order: each thread
/// sums its grid-stride share of the `SUM_CHUNK`-element chunks, each with
/// the CPU's own chunk arithmetic. Their memory is that of the work (one
/// value per chunk), whatever the launch.
pub fn sum_partials<T: Num>(launch: Option<LaunchConfig>, input: &[T]) -> Result<Vec<T::Sum>> {
    let len = input.len() as u64;
    let chunks = body::sum_chunks(len);
    let grid = Grid::resolve(launch, chunks)?;
    let mut sums = try_vec_with_capacity("simulated chunk sums", chunks as usize)?;
    sums.resize(chunks as usize, T::Sum::ZERO);
    let (src, dst) = (Global::input(input), Global::output(&mut sums));
    grid.for_each_thread(|t| {
        // SAFETY: `src` holds `len` elements, read-only; `dst` holds one slot
        // per chunk, and grid-stride chunks are disjoint between threads.
        unsafe { body::sum_chunks_thread(t, src.ptr(), len, dst.ptr()) }
    });
    Ok(sums)
}

/// Sum of `input`: [`sum_partials`] finished on the host, pairwise. The
/// CPU backends' bits at any launch (and so the GPU's). The sum of nothing
/// is 0.
pub fn sum<T: Num>(launch: Option<LaunchConfig>, input: &[T]) -> Result<T::Sum> {
    Ok(finish_sum(&sum_partials(launch, input)?))
}

/// The per-block partial maxima the `max_*` kernel writes
/// ([`Num::LOWEST`] for a block with no elements), NaN-propagating.
pub fn max_partials<T: Num>(launch: Option<LaunchConfig>, input: &[T]) -> Result<Vec<T>> {
    let len = input.len() as u64;
    let src = Global::input(input);
    Grid::resolve(launch, len)?.block_outputs(T::LOWEST, |b| {
        block::reduce::<T, Max>(b, |t| {
            // SAFETY: `src` holds `len` elements, read-only.
            unsafe { body::max_thread_partial(t, src.ptr(), len) }
        })
    })
}

/// Largest element (NaN if any is NaN), or `None` for an empty input: the
/// CPU backends' bits for any launch, as [`min`]. The launch is validated
/// even then.
pub fn max<T: Num>(launch: Option<LaunchConfig>, input: &[T]) -> Result<Option<T>> {
    if input.is_empty() {
        Grid::resolve(launch, 0)?;
        return Ok(None);
    }
    Ok(Some(finish_max(&max_partials(launch, input)?)))
}

/// The per-block partial minima the `min_*` kernel writes
/// ([`Num::HIGHEST`] for a block with no elements), NaN-propagating.
pub fn min_partials<T: Num>(launch: Option<LaunchConfig>, input: &[T]) -> Result<Vec<T>> {
    let len = input.len() as u64;
    let src = Global::input(input);
    Grid::resolve(launch, len)?.block_outputs(T::HIGHEST, |b| {
        block::reduce::<T, Min>(b, |t| {
            // SAFETY: `src` holds `len` elements, read-only.
            unsafe { body::min_thread_partial(t, src.ptr(), len) }
        })
    })
}

/// Smallest element (NaN if any is NaN), or `None` for an empty input. Its
/// combiner depends only on the values, so the result is the CPU backends'
/// bits for any launch (the canonical NaN; `-0.0` before `+0.0`). The
/// launch is validated even for an empty input.
pub fn min<T: Num>(launch: Option<LaunchConfig>, input: &[T]) -> Result<Option<T>> {
    if input.is_empty() {
        Grid::resolve(launch, 0)?;
        return Ok(None);
    }
    Ok(Some(finish_min(&min_partials(launch, input)?)))
}

/// The per-block counts of elements satisfying `pred` that the `count_*`
/// kernels write (`u64`, whatever the element type).
pub fn count_partials<T: Num, P: Predicate<T>>(
    launch: Option<LaunchConfig>,
    pred: &P,
    input: &[T],
) -> Result<Vec<u64>> {
    let len = input.len() as u64;
    let src = Global::input(input);
    Grid::resolve(launch, len)?.block_outputs(0u64, |b| {
        block::reduce::<u64, Sum>(b, |t| {
            // SAFETY: `src` holds `len` elements, read-only.
            unsafe { body::count_thread_partial(t, pred, src.ptr(), len) }
        })
    })
}

/// Number of elements for which `pred` holds: exact, the same for every
/// launch and backend. Any [`Predicate`] runs here (the GPU runs the
/// built-ins).
pub fn count_where<T: Num, P: Predicate<T>>(
    launch: Option<LaunchConfig>,
    pred: &P,
    input: &[T],
) -> Result<u64> {
    Ok(finish_count(&count_partials(launch, pred, input)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ThreadOrder;
    use hotloop_runtime::Error;

    #[test]
    fn integers_sum_exactly_at_every_launch_shape() {
        let input: Vec<f64> = (0..5001).map(|i| i as f64).collect();
        for (b, t) in [(1, 1), (3, 7), (5, 33), (1, 1024), (200, 64)] {
            let cfg = Some(LaunchConfig::new(b, t).unwrap());
            assert_eq!(sum(cfg, &input).unwrap(), 5000.0 * 5001.0 / 2.0, "{b}x{t}");
            assert_eq!(max(cfg, &input).unwrap(), Some(5000.0));
            assert_eq!(sum_partials(cfg, &input).unwrap().len(), 2, "two chunks");
            assert_eq!(min(cfg, &input).unwrap(), Some(0.0));
            let odd = |x: f64| x as u64 % 2 == 1;
            assert_eq!(count_where(cfg, &odd, &input).unwrap(), 2500, "{b}x{t}");
            // Only the blocks that have elements report.
            let live = (b as usize).min(5001usize.div_ceil(t as usize));
            assert_eq!(count_partials(cfg, &odd, &input).unwrap().len(), live);
        }
    }

    #[test]
    fn thread_order_does_not_change_the_bits() {
        let input: Vec<f32> = (0..10_007).map(|i| ((i as f32) * 0.1).sin()).collect();
        let cfg = LaunchConfig::new(7, 96).unwrap();
        let partials = |order| {
            let grid = Grid::new(cfg).unwrap().with_thread_order(order);
            let src = Global::input(&input);
            grid.block_outputs(0.0f32, |b| {
                block::reduce::<f32, Max>(b, |t| {
                    // SAFETY: `input.len()` elements, read-only.
                    unsafe { body::max_thread_partial(t, src.ptr(), input.len() as u64) }
                })
            })
            .unwrap()
        };
        let a = partials(ThreadOrder::Ascending);
        assert_eq!(a, partials(ThreadOrder::Descending));
        assert_eq!(a, max_partials(Some(cfg), &input).unwrap());
    }

    #[test]
    fn empty_and_nan_inputs() {
        assert_eq!(sum::<f64>(None, &[]).unwrap(), 0.0);
        assert_eq!(max::<f64>(None, &[]).unwrap(), None);
        let bad = Some(LaunchConfig {
            blocks: 0,
            threads_per_block: 1,
        });
        assert!(matches!(max::<f64>(bad, &[]), Err(Error::InvalidLaunch(_))));
        let mut v = vec![1.0f64; 999];
        v[500] = f64::NAN;
        assert!(
            max(Some(LaunchConfig::new(3, 7).unwrap()), &v)
                .unwrap()
                .unwrap()
                .is_nan()
        );
        assert_eq!(min::<f64>(None, &[]).unwrap(), None);
        assert!(matches!(min::<f64>(bad, &[]), Err(Error::InvalidLaunch(_))));
        assert!(
            min(Some(LaunchConfig::new(3, 7).unwrap()), &v)
                .unwrap()
                .unwrap()
                .is_nan()
        );
        assert_eq!(count_where(None, &|x: f64| x.is_nan(), &v).unwrap(), 1);
        assert_eq!(count_where::<f32, _>(bad, &|_| true, &[]).ok(), None);
        // Blocks with no elements are not run; threads without elements
        // contribute the identity.
        let p = min_partials(Some(LaunchConfig::new(4, 32).unwrap()), &[1.0f32; 40]).unwrap();
        assert_eq!(p, vec![1.0, 1.0]);
        let p = max_partials(Some(LaunchConfig::new(4, 32).unwrap()), &[1.0f32; 40]).unwrap();
        assert_eq!(p, vec![1.0, 1.0]);
        let p = max_partials(Some(LaunchConfig::new(4, 32).unwrap()), &[] as &[f32]).unwrap();
        assert_eq!(p, vec![f32::NEG_INFINITY]);
    }
}
