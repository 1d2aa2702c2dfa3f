//! Criterion: a user-level map, `map(Affine { a: 1, b: 2 })`, against the
//! hand-written `add_scalar` over the same arrays (same memory traffic: one
//! read and one write per element), serial and parallel. The target is the
//! map within 10% of add_scalar: the generic op must vectorize and stream
//! like the hand-written loop.
//!
//! Shape: `HOTLOOP_BENCH_SHAPE=AxBxC` (default 512x512x128, 256 MiB per
//! array, beyond any cache; both paths use streaming stores at this size).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hotloop::{Affine, Backend, Exp, add_scalar_into, map_into};
use ndarray::Array3;
use std::hint::black_box;

mod common;

use common::{input, shape};

fn bench(c: &mut Criterion) {
    let shape = shape();
    let x = input(shape);
    // Preallocated and already written: no page faults inside the timings.
    let mut out = Array3::<f64>::from_elem(shape, 1.0);
    let mut g = c.benchmark_group(format!(
        "map_vs_add_scalar_f64_{}x{}x{}",
        shape[0], shape[1], shape[2]
    ));
    g.throughput(Throughput::Bytes(2 * (x.len() * 8) as u64));
    g.sample_size(10);
    for (name, be) in [
        ("serial", Backend::Serial),
        ("parallel", Backend::parallel()),
    ] {
        g.bench_function(format!("{name}/add_scalar"), |b| {
            b.iter(|| add_scalar_into(be, black_box(&x), 2.0, &mut out).unwrap())
        });
        g.bench_function(format!("{name}/map_affine"), |b| {
            b.iter(|| map_into(be, Affine { a: 1.0, b: 2.0 }, black_box(&x), &mut out).unwrap())
        });
        // For scale: a map whose cost is arithmetic, not memory.
        g.bench_function(format!("{name}/map_exp"), |b| {
            b.iter(|| map_into(be, Exp, black_box(&x), &mut out).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
