//! What the criterion benches share.

/// The array shape from `HOTLOOP_BENCH_SHAPE=AxBxC`, default 512x512x128
/// (256 MiB of f64 per array: beyond any cache).
pub fn shape() -> [usize; 3] {
    std::env::var("HOTLOOP_BENCH_SHAPE")
        .ok()
        .and_then(|s| {
            let d: Vec<usize> = s.split('x').filter_map(|v| v.parse().ok()).collect();
            <[usize; 3]>::try_from(d).ok()
        })
        .unwrap_or([512, 512, 128])
}

/// The input both element-wise benches use.
pub fn input(shape: [usize; 3]) -> ndarray::Array3<f64> {
    ndarray::Array3::from_shape_fn(shape, |(i, j, k)| (i + j + k) as f64)
}
