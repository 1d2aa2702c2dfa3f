//! Criterion benchmarks of add_scalar in every form, beside a STREAM-style
//! copy of the same size measured in the same run, so throughput can be
//! read as a share of the machine's copy bandwidth.
//!
//! Shape: `HOTLOOP_BENCH_SHAPE=AxBxC` (default 512x512x128, 256 MiB per
//! array: far beyond any cache). The blog's full (1024, 1024, 512) run is
//! `cargo xtask bench`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hotloop::forms::{AddScalarForm, add_scalar_into as add_form};
use hotloop::{Backend, StoreMode, add_scalar, add_scalar_into};
use hotloop_cpu::parallel::{Pool, copy_streaming};
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
        "add_scalar_f64_{}x{}x{}",
        shape[0], shape[1], shape[2]
    ));
    g.throughput(Throughput::Bytes(2 * (x.len() * 8) as u64));
    g.sample_size(10);

    let pool = Pool::get(None).expect("thread pool");
    g.bench_function("stream_copy_parallel", |b| {
        b.iter(|| copy_streaming(&pool, x.as_slice().unwrap(), out.as_slice_mut().unwrap()))
    });
    for form in AddScalarForm::ALL {
        g.bench_function(format!("serial_{}", form.name()), |b| {
            b.iter(|| add_form(form, black_box(&x), 2.0, &mut out, StoreMode::Cached).unwrap())
        });
    }
    g.bench_function("parallel", |b| {
        b.iter(|| add_scalar_into(Backend::parallel(), black_box(&x), 2.0, &mut out).unwrap())
    });
    g.bench_function("parallel_fresh_output", |b| {
        b.iter(|| add_scalar(Backend::parallel(), black_box(&x), 2.0).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
