//! Arrays of any layout (transposed, Fortran-order, sliced with steps)
//! reaching kernels that take slices.
//!
//! Where the answer does not depend on the order of the elements (`min`,
//! `max`, counts, an element-wise op whose arrays share one memory order)
//! the kernel runs over the array's own memory in memory order, with no
//! copy. Where it does (the pairwise `sum`, a stencil, a gufunc) or where
//! the arrays' memory orders differ, the elements are copied in logical
//! (row-major) order first, so the result is the same bits as for a
//! standard-layout array of the same values; an output that is not in
//! standard layout is computed into a buffer and written back. Every copy
//! is allocated fallibly and checked against the machine's memory
//! ([`crate::Error::InsufficientMemory`]), never an abort.

use crate::memory::{try_vec_with_capacity, try_zeroed_vec};
use crate::{Element, Result};
use ndarray::{ArrayView, ArrayViewMut, Dimension};
use std::borrow::Cow;

/// The elements of `a` in logical (row-major) order: `a`'s own memory when
/// it is in standard layout, else a copy.
pub fn logical_order<'a, T: Element, D: Dimension>(
    what: &'static str,
    a: ArrayView<'a, T, D>,
) -> Result<Cow<'a, [T]>> {
    if let Some(s) = a.to_slice() {
        return Ok(Cow::Borrowed(s));
    }
    let mut copy = try_vec_with_capacity(what, a.len())?;
    copy.extend(a.iter().copied());
    Ok(Cow::Owned(copy))
}

/// The elements of `a` in some order, for results that do not depend on
/// it: `a`'s own memory in memory order when its elements fill one block
/// of it (any permutation of the axes, negative strides included), else a
/// copy.
pub fn any_order<'a, T: Element, D: Dimension>(
    what: &'static str,
    a: ArrayView<'a, T, D>,
) -> Result<Cow<'a, [T]>> {
    match a.to_slice_memory_order() {
        Some(s) => Ok(Cow::Borrowed(s)),
        None => logical_order(what, a),
    }
}

/// Runs `kernel` over `out`'s elements in logical order: on `out`'s memory
/// when it is in standard layout, else on a buffer written back after.
pub fn write_logical<T: Element, D: Dimension>(
    mut out: ArrayViewMut<'_, T, D>,
    kernel: impl FnOnce(&mut [T]) -> Result<()>,
) -> Result<()> {
    if let Some(dst) = out.as_slice_mut() {
        return kernel(dst);
    }
    let mut buffer = try_zeroed_vec::<T>("output buffer for a non-standard layout", out.len())?;
    kernel(&mut buffer)?;
    for (o, v) in out.iter_mut().zip(buffer) {
        *o = v;
    }
    Ok(())
}

/// `kernel(input, out)`, an element-wise kernel, over two arrays of one
/// shape: in memory order when they share it, else in logical order.
pub fn unary_into<T: Element, U: Element, D: Dimension>(
    input: ArrayView<'_, T, D>,
    mut out: ArrayViewMut<'_, U, D>,
    kernel: impl FnOnce(&[T], &mut [U]) -> Result<()>,
) -> Result<()> {
    if same_memory_order(input.shape(), &[input.strides(), out.strides()])
        && let Some(src) = input.to_slice_memory_order()
        && let Some(dst) = out.as_slice_memory_order_mut()
    {
        return kernel(src, dst);
    }
    let src = logical_order("input copy for a non-standard layout", input)?;
    write_logical(out, |dst| kernel(&src, dst))
}

/// `kernel(a, b, out)`, an element-wise kernel, over three arrays of one
/// shape: in memory order when they share it, else in logical order.
pub fn binary_into<T: Element, D: Dimension>(
    a: ArrayView<'_, T, D>,
    b: ArrayView<'_, T, D>,
    mut out: ArrayViewMut<'_, T, D>,
    kernel: impl FnOnce(&[T], &[T], &mut [T]) -> Result<()>,
) -> Result<()> {
    if same_memory_order(a.shape(), &[a.strides(), b.strides(), out.strides()])
        && let Some(x) = a.to_slice_memory_order()
        && let Some(y) = b.to_slice_memory_order()
        && let Some(dst) = out.as_slice_memory_order_mut()
    {
        return kernel(x, y, dst);
    }
    let x = logical_order("input copy for a non-standard layout", a)?;
    let y = logical_order("input copy for a non-standard layout", b)?;
    write_logical(out, |dst| kernel(&x, &y, dst))
}

/// `kernel(data)`, an element-wise kernel in place, over `data`'s memory
/// in memory order when it is one block, else over a copy written back.
pub fn in_place<T: Element, D: Dimension>(
    mut data: ArrayViewMut<'_, T, D>,
    kernel: impl FnOnce(&mut [T]) -> Result<()>,
) -> Result<()> {
    if let Some(d) = data.as_slice_memory_order_mut() {
        return kernel(d);
    }
    write_logical_from_self(data, kernel)
}

/// `kernel(a, b)`, an element-wise kernel updating `a` from `b`, over two
/// arrays of one shape: in memory order when they share it, else in
/// logical order.
pub fn binary_in_place<T: Element, D: Dimension>(
    mut a: ArrayViewMut<'_, T, D>,
    b: ArrayView<'_, T, D>,
    kernel: impl FnOnce(&mut [T], &[T]) -> Result<()>,
) -> Result<()> {
    if same_memory_order(b.shape(), &[a.strides(), b.strides()])
        && let Some(y) = b.to_slice_memory_order()
        && let Some(x) = a.as_slice_memory_order_mut()
    {
        return kernel(x, y);
    }
    let y = logical_order("input copy for a non-standard layout", b)?;
    write_logical_from_self(a, |x| kernel(x, &y))
}

/// [`write_logical`] for a kernel that also reads `data`'s old values.
fn write_logical_from_self<T: Element, D: Dimension>(
    mut data: ArrayViewMut<'_, T, D>,
    kernel: impl FnOnce(&mut [T]) -> Result<()>,
) -> Result<()> {
    if let Some(d) = data.as_slice_mut() {
        return kernel(d);
    }
    let mut buffer = try_vec_with_capacity("buffer for a non-standard layout", data.len())?;
    buffer.extend(data.iter().copied());
    kernel(&mut buffer)?;
    for (o, v) in data.iter_mut().zip(buffer) {
        *o = v;
    }
    Ok(())
}

/// Whether arrays of `shape` with these strides put every logical index at
/// the same place in their memory order: equal strides on every axis that
/// has more than one element (a length-1 axis's stride moves nothing).
fn same_memory_order(shape: &[usize], strides: &[&[isize]]) -> bool {
    let first = strides[0];
    strides[1..].iter().all(|s| {
        shape
            .iter()
            .zip(first.iter().zip(s.iter()))
            .all(|(&n, (a, b))| n <= 1 || a == b)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array3, ShapeBuilder, s};

    fn values(dim: (usize, usize, usize)) -> Array3<f64> {
        Array3::from_shape_fn(dim, |(i, j, k)| (i * 100 + j * 10 + k) as f64)
    }

    #[test]
    fn standard_and_permuted_layouts_are_not_copied() {
        let a = values((2, 3, 4));
        assert!(matches!(logical_order("t", a.view()), Ok(Cow::Borrowed(_))));
        let t = a.view().reversed_axes();
        assert!(matches!(any_order("t", t.view()), Ok(Cow::Borrowed(_))));
        // Logical order of a transposed view is a copy in its own order.
        let l = logical_order("t", t.view()).unwrap();
        assert!(matches!(l, Cow::Owned(_)));
        assert!(l.iter().eq(t.iter()));
    }

    #[test]
    fn stepped_views_are_copied_in_logical_order() {
        let a = values((4, 5, 6));
        let v = a.slice(s![..;2, 1.., ..;-3]);
        let any = any_order("t", v.view()).unwrap();
        assert!(any.iter().eq(v.iter()));
    }

    #[test]
    fn element_wise_kernels_see_matching_elements_in_any_layout() {
        let a = values((3, 4, 5));
        let f = Array3::from_shape_vec((3, 4, 5).f(), a.iter().copied().collect()).unwrap();
        let cases: Vec<(ndarray::ArrayView3<f64>, &str)> = vec![
            (a.view(), "standard"),
            (a.view().permuted_axes([2, 0, 1]), "permuted"),
            (f.view(), "fortran"),
            (a.slice(s![.., ..;-1, ..]), "reversed"),
        ];
        for (input, name) in &cases {
            // Outputs in standard, Fortran and stepped layouts.
            let mut std_out = Array3::<f64>::zeros(input.raw_dim());
            let mut f_out = Array3::<f64>::zeros(input.raw_dim().f());
            let mut big = Array3::<f64>::zeros((input.dim().0 * 2, input.dim().1, input.dim().2));
            for out in [
                std_out.view_mut(),
                f_out.view_mut(),
                big.slice_mut(s![..;2, .., ..]),
            ] {
                let mut out = out;
                unary_into(input.view(), out.view_mut(), |x, y| {
                    y.iter_mut().zip(x).for_each(|(o, &v)| *o = v + 0.5);
                    Ok(())
                })
                .unwrap();
                assert!(
                    out.iter().zip(input.iter()).all(|(o, i)| *o == i + 0.5),
                    "{name}"
                );
                binary_into(input.view(), input.view(), out.view_mut(), |x, y, o| {
                    o.iter_mut()
                        .zip(x.iter().zip(y))
                        .for_each(|(o, (a, b))| *o = a * b);
                    Ok(())
                })
                .unwrap();
                assert!(
                    out.iter().zip(input.iter()).all(|(o, i)| *o == i * i),
                    "{name}"
                );
                binary_in_place(out.view_mut(), input.view(), |o, x| {
                    o.iter_mut().zip(x).for_each(|(o, &v)| *o -= v);
                    Ok(())
                })
                .unwrap();
                assert!(
                    out.iter().zip(input.iter()).all(|(o, i)| *o == i * i - i),
                    "{name}"
                );
                in_place(out.view_mut(), |o| {
                    o.iter_mut().for_each(|v| *v = -*v);
                    Ok(())
                })
                .unwrap();
                assert!(
                    out.iter().zip(input.iter()).all(|(o, i)| *o == i - i * i),
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn a_kernels_error_reaches_the_caller_and_leaves_the_output_unwritten() {
        let a = values((2, 2, 2));
        let mut out = Array3::<f64>::zeros((2, 2, 2).f());
        let e = unary_into(a.view(), out.view_mut(), |_, _| {
            Err(crate::Error::EmptyInput { op: "test" })
        });
        assert!(e.is_err());
        assert!(out.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn length_one_axes_do_not_split_memory_orders() {
        assert!(same_memory_order(&[1, 4], &[&[4, 1], &[99, 1]]));
        assert!(!same_memory_order(&[2, 4], &[&[4, 1], &[1, 2]]));
    }
}
