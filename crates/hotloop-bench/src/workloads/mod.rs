//! The blog's workloads, each a function that measures its rows.

pub mod add;
pub mod ops;
pub mod pi;
pub mod reduce;

/// The value of element `i` of every input array: exact in f64, varied,
/// and cheap to recompute, so outputs are checked element by element
/// without a reference array beside them.
#[inline]
pub fn pattern(i: usize) -> f64 {
    (i % 4099) as f64 * 0.25 - 512.0
}

/// An input array of `shape` filled with [`pattern`], allocated fallibly
/// and filled in parallel (at the blog's size, 4 GiB of first-touch page
/// faults take a while on one core). Built once per run and shared by the
/// workloads.
pub fn input(shape: [usize; 3]) -> Result<ndarray::Array3<f64>, String> {
    use rayon::prelude::*;
    let len = shape.iter().product();
    let mut v = hotloop_runtime::try_zeroed_vec::<f64>("benchmark input", len)
        .map_err(|e| e.to_string())?;
    v.par_chunks_mut(1 << 16)
        .enumerate()
        .for_each(|(c, chunk)| {
            for (k, x) in chunk.iter_mut().enumerate() {
                *x = pattern((c << 16) + k);
            }
        });
    ndarray::Array3::from_shape_vec(shape, v).map_err(|e| e.to_string())
}

/// Most elements a simulator row runs on: the simulator checks kernels, it
/// is not a speed tool, and at the blog's sizes its rows alone took most
/// of the suite's time. Its rows are measured on the leading part of the
/// input and their times extrapolated by element count, as the pure-Python
/// row's are, and say so in their note.
pub const SIMULATOR_ELEMS: usize = 1 << 22;

/// The leading planes of `x` that hold at most [`SIMULATOR_ELEMS`]
/// elements (one plane at least), and the factor the simulator's times on
/// them are extrapolated by.
pub fn simulator_planes(shape: [usize; 3]) -> (usize, f64) {
    let plane = (shape[1] * shape[2]).max(1);
    let planes = (SIMULATOR_ELEMS / plane).clamp(1, shape[0].max(1));
    let full = shape.iter().product::<usize>().max(1);
    (planes, full as f64 / (planes * plane) as f64)
}

/// `t` extrapolated by `factor`.
pub fn extrapolated(t: crate::measure::Timings, factor: f64) -> crate::measure::Timings {
    crate::measure::Timings {
        first_call_s: t.first_call_s.map(|s| s * factor),
        repeats_s: t.repeats_s.iter().map(|s| s * factor).collect(),
    }
}

/// The note of a row measured on `measured` and extrapolated by `factor`
/// (`None` when it ran at full size).
pub fn extrapolation_note(measured: &str, factor: f64) -> Option<String> {
    (factor > 1.0).then(|| {
        format!(
            "measured on {measured} and extrapolated x{factor:.0} by element count: the \
             simulator checks kernels, it is not a speed tool"
        )
    })
}

/// `Check::Passed` if `out[i] == pattern(i) + 2` everywhere.
pub fn check_add(out: &[f64]) -> crate::row::Check {
    match out
        .iter()
        .enumerate()
        .find(|(i, o)| **o != pattern(*i) + 2.0)
    {
        None => crate::row::Check::Passed,
        Some((i, o)) => {
            crate::row::Check::Failed(format!("element {i} is {o}, expected {}", pattern(i) + 2.0))
        }
    }
}
