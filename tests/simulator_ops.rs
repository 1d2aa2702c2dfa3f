//! The Numba-parity kernels on the CUDA simulator, at many launch shapes,
//! against the serial backend: maps, zips, scalar binds, gufuncs and
//! stencils bit for bit (every boundary mode, tiny grids included), `min`
//! the same value, counts exact; block partials deterministic and each the
//! reduction of its block's elements; any op (closures, user kernels) runs.

mod common;
#[path = "common/op_checks.rs"]
mod op_checks;

use common::values;
use hotloop::{
    Backend, Boundary, Error, GreaterThan, GuKernel, Jacobi5, LaunchConfig, Stencil2, Stencil3,
    count_where_slice, gufunc, map_slice_into, min_slice, moving_average, stencil2, stencil3,
    zip_slice_into,
};
use hotloop_core::grid::{count_thread_partial, min_thread_partial};
use hotloop_core::reduce::{Min, Sum};
use hotloop_runtime::launch::{finish_count, finish_min};
use hotloop_sim::{self as sim, Grid, ThreadOrder, block};
use ndarray::{Array2, Array3};

/// Launch shapes that catch indexing bugs: a single thread, odd block
/// sizes, whole-warp and maximal blocks, more threads than most inputs.
const LAUNCHES: [(u32, u32); 7] = [
    (1, 1),
    (3, 7),
    (5, 33),
    (1, 1024),
    (2, 1024),
    (7, 96),
    (64, 256),
];

fn sim_backends() -> Vec<Backend> {
    let mut out = vec![Backend::simulator()];
    out.extend(
        LAUNCHES
            .iter()
            .map(|&(b, t)| Backend::simulator_with(b, t).unwrap()),
    );
    out
}

#[test]
fn maps_zips_and_scalar_binds_are_bit_identical_to_serial_at_every_launch() {
    for b in sim_backends() {
        op_checks::maps::<f64>(b);
        op_checks::maps::<f32>(b);
    }
}

#[test]
fn gufuncs_are_bit_identical_to_serial_at_every_launch() {
    for b in sim_backends() {
        op_checks::gufuncs::<f64>(b);
        op_checks::gufuncs::<f32>(b);
    }
}

#[test]
fn stencils_are_bit_identical_to_serial_in_every_mode_at_every_launch() {
    for b in sim_backends() {
        op_checks::stencils::<f64>(b);
        op_checks::stencils::<f32>(b);
    }
}

#[test]
fn min_and_counts_equal_serial_at_every_launch() {
    for b in sim_backends() {
        op_checks::reductions::<f64>(b);
        op_checks::reductions::<f32>(b);
    }
}

#[test]
fn min_and_count_partials_are_each_blocks_reduction_in_any_thread_order() {
    let mut x = values(100_003);
    x[77_777] = -1e6;
    let len = x.len() as u64;
    for (blocks, threads) in LAUNCHES {
        let cfg = LaunchConfig::new(blocks, threads).unwrap();
        let l = Some(cfg);
        let mins = sim::reduce::min_partials(l, &x).unwrap();
        let counts = sim::reduce::count_partials(l, &GreaterThan(0.0), &x).unwrap();
        assert_eq!(
            (mins.len(), counts.len()),
            (blocks as usize, blocks as usize)
        );
        // Each partial is its block's threads' elements, reduced.
        let total = cfg.total_threads();
        for blk in 0..blocks as u64 {
            let mine: Vec<f64> = (0..x.len())
                .filter(|&i| i as u64 % total / u64::from(threads) == blk)
                .map(|i| x[i])
                .collect();
            let want_min = mine.iter().copied().fold(f64::INFINITY, f64::min);
            assert_eq!(mins[blk as usize], want_min, "{cfg} block {blk}");
            let want_count = mine.iter().filter(|&&v| v > 0.0).count() as u64;
            assert_eq!(counts[blk as usize], want_count, "{cfg} block {blk}");
        }
        assert_eq!(finish_min(&mins), -1e6);
        assert_eq!(
            finish_count(&counts),
            count_where_slice(Backend::Serial, GreaterThan(0.0), &x).unwrap()
        );
        // The same partials whichever order a block's threads run in: the
        // shared-memory phases are race-free.
        for order in [ThreadOrder::Ascending, ThreadOrder::Descending] {
            let grid = Grid::new(cfg).unwrap().with_thread_order(order);
            let m = grid
                .block_outputs(f64::INFINITY, |b| {
                    block::reduce::<f64, Min>(b, |t| {
                        // SAFETY: `x` holds `len` elements, read-only.
                        unsafe { min_thread_partial(t, x.as_ptr(), len) }
                    })
                })
                .unwrap();
            let c = grid
                .block_outputs(0u64, |b| {
                    block::reduce::<u64, Sum>(b, |t| {
                        // SAFETY: as above.
                        unsafe { count_thread_partial(t, &GreaterThan(0.0), x.as_ptr(), len) }
                    })
                })
                .unwrap();
            assert_eq!((&m, &c), (&mins, &counts), "{cfg} {order:?}");
        }
    }
}

/// A user stencil: a 1-2-1 smoothing along rows.
#[derive(Clone, Copy)]
struct Smooth;
impl Stencil2<f64> for Smooth {
    const NEIGHBOURHOOD: [(isize, isize); 2] = [(0, 0), (-1, 1)];
    fn apply<A: Fn(isize, isize) -> f64>(&self, a: A) -> f64 {
        0.25 * (a(0, -1) + 2.0 * a(0, 0) + a(0, 1))
    }
}

/// A user 3-D stencil reaching two cells along z.
#[derive(Clone, Copy)]
struct Reach2;
impl Stencil3<f32> for Reach2 {
    const NEIGHBOURHOOD: [(isize, isize); 3] = [(0, 0), (0, 0), (-2, 2)];
    fn apply<A: Fn(isize, isize, isize) -> f32>(&self, a: A) -> f32 {
        a(0, 0, -2) - a(0, 0, 2)
    }
}

/// A user gufunc: each row's running maximum, `(n)->(n)`.
#[derive(Clone, Copy)]
struct RunningMax;
impl GuKernel<f64> for RunningMax {
    const NAME: &'static str = "running_max";
    const SIGNATURE: &'static str = "(n)->(n)";
    fn apply(&self, _: &[usize], [x]: [&[f64]; 1], [out]: [&mut [f64]; 1]) {
        let mut m = f64::NEG_INFINITY;
        for (o, &v) in out.iter_mut().zip(x) {
            m = m.max(v);
            *o = m;
        }
    }
}

#[test]
fn any_op_runs_on_the_simulator_with_the_serial_bits() {
    let x = values(10_007);
    let y: Vec<f64> = x.iter().map(|v| v * 0.25).collect();
    let sq = |v: f64| v * v - 1.0;
    let hyp = |a: f64, b: f64| a * a + b * b;
    let mut want = vec![0.0; x.len()];
    let mut want2 = vec![0.0; x.len()];
    map_slice_into(Backend::Serial, sq, &x, &mut want).unwrap();
    zip_slice_into(Backend::Serial, hyp, &x, &y, &mut want2).unwrap();
    let a2 = Array2::from_shape_vec((97, 103), values(97 * 103)).unwrap();
    let a3 =
        Array3::from_shape_vec((3, 5, 9), values(135).iter().map(|&v| v as f32).collect()).unwrap();
    let rows = Array2::from_shape_vec((61, 40), values(61 * 40)).unwrap();
    for b in sim_backends() {
        let mut got = vec![f64::NAN; x.len()];
        map_slice_into(b, sq, &x, &mut got).unwrap();
        assert_eq!(got, want, "{b}");
        zip_slice_into(b, hyp, &x, &y, &mut got).unwrap();
        assert_eq!(got, want2, "{b}");
        for mode in [
            Boundary::default(),
            Boundary::PadConstant(-1.0),
            Boundary::Clamp,
        ] {
            let want = stencil2(Backend::Serial, Smooth, &a2, mode).unwrap();
            assert_eq!(
                stencil2(b, Smooth, &a2, mode).unwrap(),
                want,
                "{b} {mode:?}"
            );
        }
        for mode in [
            Boundary::default(),
            Boundary::PadConstant(2.0f32),
            Boundary::Clamp,
        ] {
            let want = stencil3(Backend::Serial, Reach2, &a3, mode).unwrap();
            assert_eq!(
                stencil3(b, Reach2, &a3, mode).unwrap(),
                want,
                "{b} {mode:?}"
            );
        }
        assert_eq!(
            gufunc(b, RunningMax, &rows).unwrap(),
            gufunc(Backend::Serial, RunningMax, &rows).unwrap(),
            "{b}"
        );
        let odd = |v: f64| (v as i64) % 2 != 0;
        assert_eq!(
            count_where_slice(b, odd, &x).unwrap(),
            count_where_slice(Backend::Serial, odd, &x).unwrap(),
            "{b}"
        );
    }
}

#[test]
fn invalid_launches_and_arguments_are_refused() {
    for (blocks, threads) in [(0, 32), (4, 0), (1, 1025)] {
        let b = Backend::Simulator {
            launch: Some(LaunchConfig {
                blocks,
                threads_per_block: threads,
            }),
        };
        let is_invalid = |r: Result<(), Error>| matches!(r, Err(Error::InvalidLaunch(_)));
        let x = [1.0f64, 2.0, 3.0];
        let mut out = [0.0; 3];
        assert!(is_invalid(map_slice_into(b, hotloop::Exp, &x, &mut out)));
        assert!(is_invalid(zip_slice_into(
            b,
            hotloop::ops::Add,
            &x,
            &x,
            &mut out
        )));
        assert!(is_invalid(min_slice(b, &x).map(drop)));
        assert!(is_invalid(min_slice::<f64>(b, &[]).map(drop)));
        assert!(is_invalid(
            count_where_slice(b, GreaterThan(0.0), &x).map(drop)
        ));
        let a = Array2::<f64>::zeros((3, 4));
        assert!(is_invalid(moving_average(b, &a, 2).map(drop)));
        assert!(is_invalid(
            stencil2(b, Jacobi5, &a, Boundary::Clamp).map(drop)
        ));
    }
    // A window of 0 is refused before any launch.
    let a = Array2::<f64>::zeros((3, 4));
    let e = moving_average(Backend::simulator(), &a, 0).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { .. }), "{e}");
}
