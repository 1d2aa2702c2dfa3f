//! Turning user arrays into the (contiguous slice, shape) pairs kernels take.

use crate::{Error, Result};
use hotloop_core::Num;
use hotloop_core::index::Shape3;
use ndarray::{ArrayBase, Data, DataMut, Dimension};

/// An element type the backends take: `f32`, `f64`, the integers `i8` to
/// `u64`, and `half::f16` and `half::bf16` (hotloop_core's [`Num`]; the
/// GPU's built-in kernels are compiled for all but the half types, which
/// are an `Error::Unsupported` there).
///
/// Sealed: allocation relies on all-zero bits being zero. Use it as the
/// bound of code that takes arrays of any of them (and `Real` for the
/// floats' math):
///
/// ```rust
/// use hotloop_core::Num;
/// use hotloop_core::reduce::sum_slice;
/// use hotloop_runtime::{Element, Result, contiguous};
/// use ndarray::{Array2, ArrayView2};
///
/// /// The sum of a standard-layout array, with the backends' pairwise sum
/// /// (integers: in `i64` or `u64`, wrapping).
/// fn total<T: Element>(a: ArrayView2<'_, T>) -> Result<T::Sum> {
///     let xs = contiguous("a", &a)?; // Error::NotContiguous for a transposed view
///     Ok(sum_slice(xs))
/// }
///
/// let a = Array2::from_shape_vec((2, 2), vec![1.0f32, 2.0, 3.0, 6.0]).unwrap();
/// assert_eq!(total(a.view())?, 12.0);
/// // Past i32::MAX: the sum of i32s is an i64.
/// let big = Array2::from_elem((2, 2), i32::MAX);
/// assert_eq!(total(big.view())?, 4 * i32::MAX as i64);
/// assert!(total(a.t()).is_err());
/// # Ok::<(), hotloop_runtime::Error>(())
/// ```
pub trait Element: Num + sealed::Sealed {}

macro_rules! elements {
    ($($t:ty),*) => { $(
        impl Element for $t {}
        impl sealed::Sealed for $t {}
    )* };
}
elements!(f32, f64, i8, u8, i16, u16, i32, u32, i64, u64);
elements!(hotloop_core::half::f16, hotloop_core::half::bf16);

mod sealed {
    pub trait Sealed {}
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

/// [`Error::LengthMismatch`] unless `name`, of `len` elements, has as many
/// as an array of `shape`: what a copy between a flat host buffer and an
/// array checks.
pub fn check_len(name: &'static str, len: usize, shape: &[usize]) -> Result<()> {
    let needed: usize = shape.iter().product();
    if len == needed {
        return Ok(());
    }
    Err(Error::LengthMismatch {
        name,
        len,
        shape: shape.to_vec(),
        needed,
    })
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
