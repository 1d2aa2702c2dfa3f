//! Turning user arrays into the (contiguous slice, shape) pairs kernels take.

use crate::{Error, Result};
use hotloop_core::index::Shape3;
use hotloop_core::reduce::MinValue;
use ndarray::{ArrayBase, Data, DataMut, Dimension};

/// An element type every backend supports: `f32` or `f64`.
///
/// Sealed: allocation relies on all-zero bits being `0.0`. Use it as the
/// bound of code that takes arrays for either type:
///
/// ```rust
/// use hotloop_core::reduce::sum_slice;
/// use hotloop_runtime::{Element, Result, contiguous};
/// use ndarray::{Array2, ArrayView2};
///
/// /// The mean of a standard-layout array, with the backends' pairwise sum.
/// fn mean<T: Element>(a: ArrayView2<'_, T>) -> Result<T> {
///     let xs = contiguous("a", &a)?; // Error::NotContiguous for a transposed view
///     Ok(sum_slice(xs) / T::from_f64(xs.len() as f64))
/// }
///
/// let a = Array2::from_shape_vec((2, 2), vec![1.0f32, 2.0, 3.0, 6.0]).unwrap();
/// assert_eq!(mean(a.view())?, 3.0);
/// assert_eq!(mean(a.mapv(f64::from).view())?, 3.0);
/// assert!(mean(a.t()).is_err());
/// # Ok::<(), hotloop_runtime::Error>(())
/// ```
pub trait Element:
    hotloop_core::Real + MinValue + Default + std::fmt::Debug + sealed::Sealed
{
}
impl Element for f32 {}
impl Element for f64 {}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// The contiguous slice behind a standard-layout array, or
/// [`Error::NotContiguous`].
pub fn contiguous<'a, S, D>(name: &'static str, a: &'a ArrayBase<S, D>) -> Result<&'a [S::Elem]>
where
    S: Data,
    D: Dimension,
{
    a.as_slice().ok_or_else(|| not_contiguous(name, a))
}

/// Mutable form of [`contiguous`].
pub fn contiguous_mut<'a, S, D>(
    name: &'static str,
    a: &'a mut ArrayBase<S, D>,
) -> Result<&'a mut [S::Elem]>
where
    S: DataMut,
    D: Dimension,
{
    if a.is_standard_layout() {
        Ok(a.as_slice_mut().expect("standard layout is contiguous"))
    } else {
        Err(not_contiguous(name, a))
    }
}

fn not_contiguous<S: Data, D: Dimension>(name: &'static str, a: &ArrayBase<S, D>) -> Error {
    Error::NotContiguous {
        name,
        shape: a.shape().to_vec(),
        strides: a.strides().to_vec(),
    }
}

/// Validates a slice against a 3-D shape: the element count must fit
/// `usize` (and its byte size `isize`) and equal the slice's length.
pub fn shape3<T>(name: &'static str, data: &[T], dims: [usize; 3]) -> Result<Shape3> {
    let shape = Shape3::new(dims[0], dims[1], dims[2]);
    let needed = shape
        .checked_len()
        .filter(|n| {
            n.checked_mul(size_of::<T>())
                .is_some_and(|b| b <= isize::MAX as usize)
        })
        .ok_or_else(|| Error::IndexOverflow {
            shape: dims.to_vec(),
            index_type: "usize",
        })?;
    if data.len() != needed {
        return Err(Error::LengthMismatch {
            name,
            len: data.len(),
            shape: dims.to_vec(),
            needed,
        });
    }
    Ok(shape)
}

/// [`Error::ShapeMismatch`] unless the two shapes are equal.
pub fn check_same_shape(
    left_name: &'static str,
    left: &[usize],
    right_name: &'static str,
    right: &[usize],
) -> Result<()> {
    if left == right {
        Ok(())
    } else {
        Err(Error::ShapeMismatch {
            left_name,
            left: left.to_vec(),
            right_name,
            right: right.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array3, s};

    #[test]
    fn transposed_views_are_rejected_with_their_strides() {
        let a = Array3::<f64>::zeros((2, 3, 4));
        assert_eq!(contiguous("input", &a).unwrap().len(), 24);
        let t = a.t();
        let e = contiguous("input", &t).unwrap_err();
        assert!(
            matches!(e, Error::NotContiguous { name: "input", .. }),
            "{e}"
        );
        let mut b = Array3::<f64>::zeros((2, 3, 4));
        let mut sliced = b.slice_mut(s![.., .., ..2]);
        assert!(contiguous_mut("output", &mut sliced).is_err());
    }

    #[test]
    fn slice_shapes_are_checked() {
        let v = vec![0.0f32; 24];
        assert_eq!(
            shape3("input", &v, [2, 3, 4]).unwrap(),
            Shape3::new(2, 3, 4)
        );
        assert!(matches!(
            shape3("input", &v, [2, 3, 5]),
            Err(Error::LengthMismatch {
                needed: 30,
                len: 24,
                ..
            })
        ));
        assert!(matches!(
            shape3("input", &v, [usize::MAX, 2, 1]),
            Err(Error::IndexOverflow { .. })
        ));
        assert!(check_same_shape("a", &[1, 2], "b", &[1, 2]).is_ok());
        assert!(check_same_shape("a", &[1, 2], "b", &[2, 1]).is_err());
    }
}
