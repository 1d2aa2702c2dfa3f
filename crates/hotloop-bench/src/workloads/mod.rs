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

/// Refuses, before anything is allocated, a configuration whose arrays will
/// not fit in the memory this machine has available: the add workload holds
/// an input, an output and a fresh output at once; the Python rows hold
/// about four arrays of the same size.
pub fn check_memory(cfg: &crate::config::Config, python: bool) -> Result<(), String> {
    let elems = cfg
        .shape
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
        .ok_or("array size overflows")?;
    let arrays: u64 = match (
        cfg.runs_workload("add"),
        cfg.runs_workload("reduce"),
        python,
    ) {
        (_, _, true) => 4,
        (true, _, _) => 3,
        (false, true, _) => 1,
        _ => 0,
    };
    let bytes = elems
        .checked_mul(8 * arrays)
        .ok_or("array size overflows")?;
    hotloop_runtime::memory::check_fits("the benchmark arrays", bytes)
        .map_err(|e| format!("{e}; choose a smaller --size"))
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
