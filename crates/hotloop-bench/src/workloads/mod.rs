//! The blog's workloads, each a function that measures its rows.

pub mod add;
pub mod pi;
pub mod reduce;

/// The value of element `i` of every input array: exact in f64, varied,
/// and cheap to recompute, so outputs are checked element by element
/// without a reference array beside them.
#[inline]
pub fn pattern(i: usize) -> f64 {
    (i % 4099) as f64 * 0.25 - 512.0
}

/// An input array of `shape` filled with [`pattern`], allocated fallibly.
pub fn input(shape: [usize; 3]) -> Result<ndarray::Array3<f64>, String> {
    let len = shape.iter().product();
    let mut v = hotloop::crates::runtime::try_vec_with_capacity::<f64>("benchmark input", len)
        .map_err(|e| e.to_string())?;
    v.extend((0..len).map(pattern));
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
