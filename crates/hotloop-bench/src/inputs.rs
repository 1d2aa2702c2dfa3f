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

/// A copy of `values` whose first element sits on a 64-byte cache-line
/// boundary, for the row-loop workloads whose loops update an output row
/// many times per call (the matmul): there, an array 16 bytes past a line,
/// where glibc puts a large block (and NumPy's arrays land by chance),
/// splits every 512-bit load and store over two lines and cost both
/// hotloop's loop and Numba's about 1.4x (timed in alternation on the
/// 2-vCPU EPYC: 116 against 79 ms). `python/peers.py` aligns its arrays
/// alike, so a row compares the loops and not the allocators' luck.
pub struct LineAligned<T> {
    buf: Vec<T>,
    start: usize,
    len: usize,
}

impl<T: Copy + Default> LineAligned<T> {
    /// `values` copied to a line-aligned buffer.
    pub fn new(values: &[T]) -> Self {
        const LINE: usize = 64;
        let pad = LINE / size_of::<T>().max(1);
        let mut buf = vec![T::default(); values.len() + pad];
        let start = buf.as_ptr().align_offset(LINE).min(pad);
        buf[start..start + values.len()].copy_from_slice(values);
        LineAligned {
            buf,
            start,
            len: values.len(),
        }
    }
}

impl<T> std::ops::Deref for LineAligned<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.buf[self.start..self.start + self.len]
    }
}

impl<T> std::ops::DerefMut for LineAligned<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.buf[self.start..self.start + self.len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_aligned_copies_start_on_a_line() {
        for len in [0, 1, 7, 1000] {
            let v: Vec<f32> = (0..len).map(|i| i as f32).collect();
            let a = LineAligned::new(&v);
            assert_eq!(&*a, &v[..]);
            if len > 0 {
                assert_eq!(a.as_ptr() as usize % 64, 0);
            }
        }
    }
}
