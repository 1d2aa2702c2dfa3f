//! Numba's atomics on the simulator, from many threads of blocks that run
//! at once: every result a concurrent schedule can give must be the one
//! the serial fold gives (the order-free ones exactly; exchange as a
//! permutation of the values written).

use hotloop_device::prelude::*;
use hotloop_sim::Simulator;

/// Every integer atomic over `values` into the slots of `acc`; each
/// exchange's old value into `olds`.
#[kernel]
pub fn int_atomics(values: &[u32], acc: Out<u32>, olds: Out<u32>) {
    for i in grid_stride(values.len()) {
        let v = values[i];
        acc.atomic_add(0, v);
        acc.atomic_sub(1, v);
        acc.atomic_and(2, !(1 << (v % 32)));
        acc.atomic_or(3, 1 << (v % 32));
        acc.atomic_xor(4, v);
        acc.atomic_max(5, v);
        acc.atomic_min(6, v);
        acc.atomic_inc(7, 9);
        acc.atomic_dec(8, 9);
        // A counter by compare-and-swap: retry until this thread's swap
        // is the one that lands.
        loop {
            let old = acc.get(9);
            if acc.atomic_cas(9, old, old + 1) == old {
                break;
            }
        }
        olds.set(i, acc.atomic_exch(10, v));
    }
}

/// The float extremes, with NaN and signed zeros among the values, and a
/// signed add.
#[kernel]
pub fn float_atomics(values: &[f64], acc: Out<f64>, ints: &[i64], total: Out<i64>) {
    for i in grid_stride(values.len()) {
        let v = values[i];
        acc.atomic_max(0, v);
        acc.atomic_min(1, v);
        acc.atomic_nanmax(2, v);
        acc.atomic_nanmin(3, v);
        total.atomic_add(0, ints[i]);
    }
}

#[test]
fn integer_atomics_fold_as_the_serial_loop_at_any_launch() {
    let sim = Simulator::new();
    let values: Vec<u32> = (0..5_003u32)
        .map(|i| i.wrapping_mul(2_654_435_761) >> 7)
        .collect();
    let n = values.len() as u32;
    let init = [0, 0, u32::MAX, 0, 0, 0, u32::MAX, 0, 0, 0, 17];
    let bits = |v: &u32| 1u32 << (v % 32);
    let want = [
        values.iter().fold(0u32, |a, v| a.wrapping_add(*v)),
        values.iter().fold(0u32, |a, v| a.wrapping_sub(*v)),
        values.iter().fold(u32::MAX, |a, v| a & !bits(v)),
        values.iter().fold(0, |a, v| a | bits(v)),
        values.iter().fold(0, |a, v| a ^ v),
        *values.iter().max().unwrap(),
        *values.iter().min().unwrap(),
        n % 10,
        (10 - n % 10) % 10,
        n,
    ];
    for grid in [(1u32, 1u32), (3, 64), (8, 256)] {
        let d = sim.to_device(&values).unwrap();
        let mut acc = sim.to_device(&init).unwrap();
        let mut olds = sim.device_array_like(&d).unwrap();
        int_atomics::launch(&sim, grid, &d, &mut acc, &mut olds).unwrap();
        let acc = acc.copy_to_host().unwrap();
        assert_eq!(acc[..10], want, "{grid:?}");
        // The exchanges: the old values and the last one are the values
        // written and the initial one, each once.
        let mut seen = olds.copy_to_host().unwrap();
        seen.push(acc[10]);
        seen.sort_unstable();
        let mut expected = values.clone();
        expected.push(17);
        expected.sort_unstable();
        assert_eq!(seen, expected, "{grid:?}");
    }
}

#[test]
fn float_extremes_keep_hotloops_nan_rule_and_nan_variants_skip_nan() {
    let sim = Simulator::new();
    let mut values: Vec<f64> = (0..4_000)
        .map(|i| ((i * 7_919) % 1_009) as f64 - 504.5)
        .collect();
    values[11] = -0.0;
    values[12] = 0.0;
    let ints: Vec<i64> = (0..4_000)
        .map(|i| i * if i % 3 == 0 { -5 } else { 7 })
        .collect();
    let finite_max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let finite_min = values.iter().copied().fold(f64::INFINITY, f64::min);
    for nan in [false, true] {
        let mut v = values.clone();
        if nan {
            v[2_000] = f64::NAN;
        }
        for grid in [(1u32, 32u32), (5, 128)] {
            let d = sim.to_device(&v).unwrap();
            let mut acc = sim
                .to_device(&[f64::NEG_INFINITY, f64::INFINITY, f64::NAN, f64::NAN])
                .unwrap();
            let di = sim.to_device(&ints).unwrap();
            let mut total = sim.to_device(&[0i64]).unwrap();
            float_atomics::launch(&sim, grid, &d, &mut acc, &di, &mut total).unwrap();
            let acc = acc.copy_to_host().unwrap();
            if nan {
                assert!(acc[0].is_nan() && acc[1].is_nan(), "{acc:?}");
            } else {
                assert_eq!((acc[0], acc[1]), (finite_max, finite_min));
            }
            // NaN-ignoring: a NaN slot takes the first value, a NaN value
            // is skipped.
            assert_eq!(
                (acc[2], acc[3]),
                (finite_max, finite_min),
                "{grid:?} nan {nan}"
            );
            assert_eq!(total.copy_to_host().unwrap()[0], ints.iter().sum::<i64>());
        }
    }
    // Signed zeros: max(-0, +0) is +0 whatever the order, min is -0.
    let zeros = sim.to_device(&[-0.0, 0.0, -0.0, 0.0]).unwrap();
    let mut acc = sim.to_device(&[-0.0, 0.0, f64::NAN, f64::NAN]).unwrap();
    let di = sim.to_device(&[0i64; 4]).unwrap();
    let mut total = sim.to_device(&[0i64]).unwrap();
    float_atomics::launch(&sim, (2, 2), &zeros, &mut acc, &di, &mut total).unwrap();
    let acc = acc.copy_to_host().unwrap();
    assert!(
        acc[0].is_sign_positive() && acc[1].is_sign_negative(),
        "{acc:?}"
    );
}
