//! The serial loop forms of `add_scalar`, by name, over ndarray arrays: the
//! rows of the blog's table. All compute the same values; they differ in
//! the order memory is visited.

use hotloop_cpu::serial;
use hotloop_cpu::store::StoreMode;
use hotloop_runtime::{Element, Result, check_same_shape, contiguous, contiguous_mut, shape3};
use ndarray::{ArrayBase, Data, DataMut, Ix3};

/// A serial loop form of `add_scalar`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AddScalarForm {
    /// The blog's compiled loop: `x`, then `z`, then `y` (cache-hostile).
    BlogOrder,
    /// The natural nested loop: `x`, `y`, `z` (`z` contiguous, innermost).
    RowMajor,
    /// One flat pass over the buffer, SIMD (the NumPy row).
    Vectorized,
}

impl AddScalarForm {
    /// Every form, slowest first.
    pub const ALL: [AddScalarForm; 3] = [Self::BlogOrder, Self::RowMajor, Self::Vectorized];

    /// Short stable name for tables and the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::BlogOrder => "blog-order",
            Self::RowMajor => "row-major",
            Self::Vectorized => "vectorized",
        }
    }
}

/// `out = input + scalar` on one thread, in the given loop form.
pub fn add_scalar_into<T, S, SO>(
    form: AddScalarForm,
    input: &ArrayBase<S, Ix3>,
    scalar: T,
    out: &mut ArrayBase<SO, Ix3>,
    store: StoreMode,
) -> Result<()>
where
    T: Element,
    S: Data<Elem = T>,
    SO: DataMut<Elem = T>,
{
    check_same_shape("input", input.shape(), "output", out.shape())?;
    let d = input.dim();
    let src = contiguous("input", input)?;
    let shape = shape3("input", src, [d.0, d.1, d.2])?;
    let dst = contiguous_mut("output", out)?;
    match form {
        AddScalarForm::BlogOrder => serial::add_scalar_blog_order(src, shape, scalar, dst),
        AddScalarForm::RowMajor => serial::add_scalar_row_major(src, shape, scalar, dst),
        AddScalarForm::Vectorized => serial::add_scalar_vectorized(src, scalar, dst, store),
    }
    Ok(())
}
