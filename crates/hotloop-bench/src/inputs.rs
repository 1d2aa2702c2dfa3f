//! The suite's input data: one formula for every element, so any row's
//! output is checked element by element without a reference array (the
//! workloads, the sweep and the MPI rows all read it).

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
/// [`Data::SharedInput`](crate::workloads::Data::SharedInput) workloads.
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

/// An output array of `shape`, every element `value`, allocated as the
/// input is ([`hotloop_runtime::try_zeroed_vec`]: on transparent huge
/// pages where the system allows, as NumPy's arrays are) and written once,
/// in parallel, so no timed call pays its first-touch page faults.
pub fn output(shape: [usize; 3], value: f64) -> Result<ndarray::Array3<f64>, String> {
    use rayon::prelude::*;
    let len = shape.iter().product();
    let mut v = hotloop_runtime::try_zeroed_vec::<f64>("benchmark output", len)
        .map_err(|e| e.to_string())?;
    v.par_chunks_mut(1 << 16).for_each(|c| c.fill(value));
    ndarray::Array3::from_shape_vec(shape, v).map_err(|e| e.to_string())
}
