//! The built-in kernels, the very functions the GPU runs, on the simulator
//! through their typed launchers: each against the serial code it must
//! match bit for bit, at launch shapes from one thread to more threads
//! than work, with every thread of a block live at once (real barriers for
//! the block reductions).

use hotloop_core::grid::sum_chunks;
use hotloop_core::philox::key_from_seed;
use hotloop_core::pi::count_hits;
use hotloop_core::reduce::{Max, Min, Reduction, SUM_CHUNK, max_slice, min_slice, sum_chunk};
use hotloop_kernels as k;
use hotloop_sim::Simulator;

/// Launch shapes: one thread, odd blocks, more threads than elements.
const LAUNCHES: [(u32, u32); 4] = [(1, 1), (3, 7), (5, 64), (40, 256)];

fn data(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| ((i * 7919) % 1013) as f64 * 0.37 - 180.0)
        .collect()
}

#[test]
fn add_scalar_copy_and_in_place_are_the_serial_bits() {
    let sim = Simulator::new();
    let x = data(10_007);
    let want: Vec<f64> = x.iter().map(|v| v + 2.5).collect();
    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let want32: Vec<f32> = x32.iter().map(|v| v + 2.5).collect();
    for grid in LAUNCHES {
        let d = sim.to_device(&x).unwrap();
        let mut out = sim.device_array_like(&d).unwrap();
        k::add_scalar::launch::<f64, _>(&sim, grid, &d, &mut out, 2.5).unwrap();
        assert_eq!(out.as_slice().unwrap(), want.as_slice(), "{grid:?}");
        let mut same = sim.to_device(&x).unwrap();
        k::add_scalar_inplace::launch::<f64, _>(&sim, grid, &mut same, 2.5).unwrap();
        assert_eq!(same.as_slice().unwrap(), want.as_slice(), "{grid:?}");
        let mut copy = sim.device_array_like(&d).unwrap();
        k::copy::launch::<f64, _>(&sim, grid, &d, &mut copy).unwrap();
        assert_eq!(copy.as_slice().unwrap(), x.as_slice(), "{grid:?}");
        let d32 = sim.to_device(&x32).unwrap();
        let mut out32 = sim.device_array_like(&d32).unwrap();
        k::add_scalar::launch::<f32, _>(&sim, grid, &d32, &mut out32, 2.5).unwrap();
        assert_eq!(out32.as_slice().unwrap(), want32.as_slice(), "{grid:?}");
    }
}

#[test]
fn the_blog_kernel_writes_plane_x_from_thread_x_and_traps_on_a_short_array() {
    let sim = Simulator::new();
    let (nx, ny, nz) = (13usize, 5, 7);
    let x = data(nx * ny * nz);
    let want: Vec<f64> = x.iter().map(|v| v + 2.0).collect();
    for grid in [(1, 13), (2, 8), (4, 64)] {
        let d = sim.to_device(&x).unwrap();
        let mut out = sim.device_array_like(&d).unwrap();
        let (a, b, c) = (nx as u64, ny as u64, nz as u64);
        k::add_scalar_blog::launch::<f64, _>(&sim, grid, &d, &mut out, a, b, c, 2.0).unwrap();
        assert_eq!(out.as_slice().unwrap(), want.as_slice(), "{grid:?}");
    }
    // A shape its arrays do not hold: the kernel stops, as a trap would.
    let d = sim.to_device(&x).unwrap();
    let mut out = sim.device_array_like(&d).unwrap();
    let e = k::add_scalar_blog::launch::<f64, _>(&sim, (1, 13), &d, &mut out, 14, 5, 7, 2.0)
        .unwrap_err();
    assert!(e.to_string().contains("add_scalar_blog_f64"), "{e}");
}

#[test]
fn chunk_sums_are_the_cpus_chunks() {
    let sim = Simulator::new();
    let x = data(3 * SUM_CHUNK + 123);
    let want: Vec<f64> = x.chunks(SUM_CHUNK).map(sum_chunk).collect();
    for grid in LAUNCHES {
        let d = sim.to_device(&x).unwrap();
        let mut sums = sim
            .device_array::<f64>(sum_chunks(x.len() as u64) as usize)
            .unwrap();
        k::sum::launch::<f64, _>(&sim, grid, &d, &mut sums).unwrap();
        let got = sums.as_slice().unwrap();
        assert_eq!(got.len(), want.len());
        assert!(
            got.iter()
                .zip(&want)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "{grid:?}"
        );
    }
    // Too few chunk sums: a trap, not a write out of bounds.
    let d = sim.to_device(&x).unwrap();
    let mut short = sim.device_array::<f64>(2).unwrap();
    assert!(k::sum::launch::<f64, _>(&sim, (2, 32), &d, &mut short).is_err());
}

#[test]
fn block_extrema_finish_to_the_serial_extrema_with_nan_and_signed_zeros() {
    let sim = Simulator::new();
    let mut x = data(5_000);
    x[17] = -0.0;
    x[4_001] = 0.0;
    let mut with_nan = x.clone();
    with_nan[2_222] = f64::NAN;
    for input in [x, with_nan] {
        for (blocks, threads) in LAUNCHES {
            let d = sim.to_device(&input).unwrap();
            let mut hi = sim.device_array::<f64>(blocks as usize).unwrap();
            let mut lo = sim.device_array::<f64>(blocks as usize).unwrap();
            k::max::launch::<f64, _>(&sim, (blocks, threads), &d, &mut hi).unwrap();
            k::min::launch::<f64, _>(&sim, (blocks, threads), &d, &mut lo).unwrap();
            let fold = |xs: &[f64], f: fn(f64, f64) -> f64| xs.iter().copied().reduce(f).unwrap();
            let max = fold(hi.as_slice().unwrap(), <Max as Reduction<f64>>::combine);
            let min = fold(lo.as_slice().unwrap(), <Min as Reduction<f64>>::combine);
            assert_eq!(max.to_bits(), max_slice(&input).unwrap().to_bits());
            assert_eq!(min.to_bits(), min_slice(&input).unwrap().to_bits());
        }
    }
}

#[test]
fn monte_carlo_block_counts_add_up_to_the_hits_of_any_range() {
    let sim = Simulator::new();
    let seed = 2024;
    for (start, end) in [(0u64, 10_000u64), (3, 9_999), (7, 8)] {
        let want = count_hits(key_from_seed(seed), start, end);
        for (blocks, threads) in LAUNCHES {
            let mut counts = sim.device_array::<u64>(blocks as usize).unwrap();
            k::monte_carlo_pi::launch(&sim, (blocks, threads), seed, start, end, &mut counts)
                .unwrap();
            let got: u64 = counts.as_slice().unwrap().iter().sum();
            assert_eq!(got, want, "{start}..{end} at {blocks}x{threads}");
        }
    }
}

#[test]
fn each_instance_is_found_by_its_element_type_and_no_other() {
    assert_eq!(k::copy::instance::<u32>(), None);
    assert_eq!(k::copy::instance::<i64>(), None);
    assert_eq!(k::copy::instance::<f32>().map(|i| i.name), Some("copy_f32"));
}
