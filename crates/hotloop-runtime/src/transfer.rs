//! What a copy to a device moves and brings back: a host array's memory
//! as it is, with the [`Layout`] that keeps its shape and strides
//! (`cuda.to_device` of an array of any dimension), and the way back to
//! logical order. One place for both backends that hold device arrays,
//! the simulator's and CUDA's.

use crate::{Error, Result, try_vec_with_capacity};
use hotloop_core::abi::{DeviceCopy, Layout};
use ndarray::{ArrayBase, ArrayD, Data, Dimension, IxDyn};
use std::borrow::Cow;

/// A host array a device copy is made of: a slice or `Vec` (flat), or an
/// `ndarray` array of any dimension and layout.
pub trait HostArray {
    /// Its element type.
    type Elem: DeviceCopy;
    /// Its image: its own memory when its elements fill one block of it
    /// (C or Fortran order, a transpose, a reversed axis), with its
    /// strides kept; else a copy in C order.
    fn image(&self) -> Result<Image<'_, Self::Elem>>;
}

/// A block of elements and where an array's elements are in it: what a
/// device array holds.
#[derive(Clone, Debug)]
pub struct Image<'a, T: Clone> {
    /// The memory, every element of the array in it exactly once.
    pub data: Cow<'a, [T]>,
    /// Shape and strides, from element `[0, 0, ..]`.
    pub layout: Layout,
    /// Element `[0, 0, ..]`'s index in `data` (non-zero for a reversed
    /// axis).
    pub origin: usize,
}

impl<T: DeviceCopy> Image<'_, T> {
    /// The elements in C order (the array's logical order), allocated
    /// fallibly.
    pub fn logical(&self) -> Result<Vec<T>> {
        logical(&self.data, &self.layout, self.origin)
    }
}

/// The index in `data` of each element of the array `layout` describes
/// (element `[0, 0, ..]` at `origin`), in C order.
fn offsets(layout: &Layout, origin: usize) -> impl Iterator<Item = usize> + '_ {
    let (shape, strides) = (layout.shape(), layout.strides());
    let mut ix = vec![0usize; shape.len()];
    let mut at = origin as isize;
    (0..layout.len()).map(move |_| {
        let here = at as usize;
        // The next index in C order, carrying into the axes before.
        for d in (0..shape.len()).rev() {
            ix[d] += 1;
            at += strides[d];
            if ix[d] < shape[d] {
                break;
            }
            at -= strides[d] * shape[d] as isize;
            ix[d] = 0;
        }
        here
    })
}

/// The elements of the array `layout` describes in `data` (element
/// `[0, 0, ..]` at `origin`), in C order.
pub fn logical<T: DeviceCopy>(data: &[T], layout: &Layout, origin: usize) -> Result<Vec<T>> {
    if layout.is_standard() {
        return Ok(data[origin..origin + layout.len()].to_vec());
    }
    let mut out = try_vec_with_capacity("host copy of a device array", layout.len())?;
    out.extend(offsets(layout, origin).map(|i| data[i]));
    Ok(out)
}

/// Writes `values`, the array's elements in C order (as many as `layout`
/// has), into `data` at their places: [`logical`]'s inverse.
pub fn place<T: DeviceCopy>(data: &mut [T], layout: &Layout, origin: usize, values: &[T]) {
    debug_assert_eq!(values.len(), layout.len());
    if layout.is_standard() {
        data[origin..origin + values.len()].copy_from_slice(values);
        return;
    }
    for (i, &v) in offsets(layout, origin).zip(values) {
        data[i] = v;
    }
}

/// `layout` reshaped to `shape` for an array whose element `[0, ..]` is at
/// `origin`, or the typed error a backend's `reshape` gives.
pub fn reshape(layout: Layout, origin: usize, shape: &[usize]) -> Result<Layout> {
    layout
        .reshape(shape)
        .filter(|_| origin == 0)
        .ok_or_else(|| Error::InvalidArgument {
            what: "reshape",
            reason: format!(
                "an array of shape {:?} and strides {:?} cannot take shape {shape:?}: a \
                 reshape without a copy keeps the length and needs the elements in C order",
                layout.shape(),
                layout.strides()
            ),
        })
}

/// The elements as an `ndarray` array of `layout`'s shape, in C order.
pub fn to_ndarray<T: DeviceCopy>(data: &[T], layout: &Layout, origin: usize) -> Result<ArrayD<T>> {
    let elems = logical(data, layout, origin)?;
    Ok(ArrayD::from_shape_vec(IxDyn(layout.shape()), elems)
        .expect("the layout's shape has its elements"))
}

fn too_many_axes(ndim: usize) -> Error {
    Error::InvalidArgument {
        what: "to_device",
        reason: format!(
            "an array of {ndim} axes; a device array has 1 to {} (hotloop_core::abi::MAX_DIMS)",
            hotloop_core::abi::MAX_DIMS
        ),
    }
}

impl<T: DeviceCopy> HostArray for [T] {
    type Elem = T;
    fn image(&self) -> Result<Image<'_, T>> {
        Ok(Image {
            data: Cow::Borrowed(self),
            layout: Layout::flat(self.len()),
            origin: 0,
        })
    }
}

impl<T: DeviceCopy> HostArray for Vec<T> {
    type Elem = T;
    fn image(&self) -> Result<Image<'_, T>> {
        self.as_slice().image()
    }
}

impl<T: DeviceCopy, const N: usize> HostArray for [T; N] {
    type Elem = T;
    fn image(&self) -> Result<Image<'_, T>> {
        self.as_slice().image()
    }
}

impl<S, D> HostArray for ArrayBase<S, D>
where
    S: Data,
    S::Elem: DeviceCopy,
    D: Dimension,
{
    type Elem = S::Elem;
    fn image(&self) -> Result<Image<'_, S::Elem>> {
        // A 0-D array is one element on one axis.
        let (shape, strides): (Vec<usize>, Vec<isize>) = if self.ndim() == 0 {
            (vec![1], vec![1])
        } else {
            (self.shape().to_vec(), self.strides().to_vec())
        };
        if let Some(memory) = self.as_slice_memory_order()
            && let Some(layout) = Layout::new(&shape, &strides)
            && layout.is_dense()
        {
            let origin = if self.is_empty() {
                0
            } else {
                // SAFETY: both pointers are into the array's memory block.
                unsafe { self.as_ptr().offset_from(memory.as_ptr()) as usize }
            };
            return Ok(Image {
                data: Cow::Borrowed(memory),
                layout,
                origin,
            });
        }
        let layout = Layout::standard(&shape).ok_or_else(|| too_many_axes(shape.len()))?;
        let mut copy = try_vec_with_capacity("C-order copy of a strided array", self.len())?;
        copy.extend(self.iter().copied());
        Ok(Image {
            data: Cow::Owned(copy),
            layout,
            origin: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, Array3, s};

    #[test]
    fn a_dense_array_keeps_its_memory_and_strides() {
        let a = Array2::from_shape_fn((3, 4), |(i, j)| (10 * i + j) as i32);
        let t = a.t();
        let img = t.image().unwrap();
        assert!(matches!(img.data, Cow::Borrowed(_)));
        assert_eq!(img.layout.shape(), [4, 3]);
        assert_eq!(img.layout.strides(), [1, 4]);
        assert_eq!(
            img.logical().unwrap(),
            t.iter().copied().collect::<Vec<_>>()
        );
        // A reversed axis: element [0, 0] is the row's last.
        let r = a.slice(s![.., ..;-1]);
        let img = r.image().unwrap();
        assert!(matches!(img.data, Cow::Borrowed(_)));
        assert_eq!((img.origin, img.layout.strides()), (3, &[4, -1][..]));
        assert_eq!(
            img.logical().unwrap(),
            r.iter().copied().collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_strided_array_is_copied_in_c_order() {
        let a = Array3::from_shape_fn((4, 3, 5), |(i, j, k)| (i * 100 + j * 10 + k) as u16);
        let v = a.slice(s![..;2, .., 1..;2]);
        let img = v.image().unwrap();
        assert!(matches!(img.data, Cow::Owned(_)));
        assert_eq!((img.layout.shape(), img.origin), (&[2, 3, 2][..], 0));
        assert!(img.layout.is_standard());
        let back = to_ndarray(&img.data, &img.layout, img.origin).unwrap();
        assert_eq!(back, v.into_dyn());
    }

    #[test]
    fn flat_and_zero_dimensional_arrays() {
        let v = vec![1.0f32, 2.0];
        assert_eq!(v.image().unwrap().layout, Layout::flat(2));
        let z = ndarray::arr0(7u8);
        let img = z.image().unwrap();
        assert_eq!(
            (img.layout.shape(), img.logical().unwrap()),
            (&[1][..], vec![7])
        );
        let e = Array2::<f64>::zeros((0, 3));
        assert_eq!(e.image().unwrap().logical().unwrap(), Vec::<f64>::new());
    }
}
