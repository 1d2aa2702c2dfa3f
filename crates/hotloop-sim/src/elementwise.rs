//! `add_scalar` on the simulator: the device kernels `add_scalar_*`,
//! `add_scalar_inplace_*` and `add_scalar_blog_*`, thread by thread.

use crate::grid::{Global, Grid};
use hotloop_core::Num;
use hotloop_core::grid as body;
use hotloop_core::index::Shape3;
use hotloop_runtime::launch::blog_launch;
use hotloop_runtime::{LaunchConfig, Result, check_same_shape, shape3};

/// `out[i] = input[i] + scalar`, each simulated thread running the device
/// kernel's grid-stride body. `launch` defaults to [`crate::default_launch`]
/// over the element count.
pub fn add_scalar<T: Num>(
    launch: Option<LaunchConfig>,
    input: &[T],
    scalar: T,
    out: &mut [T],
) -> Result<()> {
    check_same_shape("input", &[input.len()], "output", &[out.len()])?;
    let len = input.len() as u64;
    let grid = Grid::resolve(launch, len)?;
    let (src, dst) = (Global::input(input), Global::output(out));
    grid.for_each_thread(|t| {
        // SAFETY: both buffers hold `len` elements and do not overlap (one
        // is borrowed shared, the other exclusively); grid-stride indices
        // are disjoint between threads.
        unsafe { body::add_scalar_thread(t, src.ptr(), dst.ptr(), len, scalar) }
    });
    Ok(())
}

/// `data[i] += scalar` (the `add_scalar_inplace_*` kernels).
pub fn add_scalar_in_place<T: Num>(
    launch: Option<LaunchConfig>,
    data: &mut [T],
    scalar: T,
) -> Result<()> {
    let len = data.len() as u64;
    let grid = Grid::resolve(launch, len)?;
    let buf = Global::output(data);
    grid.for_each_thread(|t| {
        // SAFETY: `len` elements, exclusively borrowed; each index is read
        // then written by one thread only.
        unsafe { body::add_scalar_thread(t, buf.ptr(), buf.ptr(), len, scalar) }
    });
    Ok(())
}

/// The blog's kernel over a row-major array of shape `dims`: global thread
/// `x` handles plane `x` (no grid-stride loop). The launch must therefore
/// have at least `dims[0]` threads, else [`hotloop_runtime::Error::InvalidLaunch`]; the
/// default launch has one thread per plane.
pub fn add_scalar_blog<T: Num>(
    launch: Option<LaunchConfig>,
    input: &[T],
    dims: [usize; 3],
    scalar: T,
    out: &mut [T],
) -> Result<()> {
    let shape: Shape3 = shape3("input", input, dims)?;
    shape3("output", out, dims)?;
    let grid = Grid::new(blog_launch(launch, dims)?)?;
    let (src, dst) = (Global::input(input), Global::output(out));
    grid.for_each_thread(|t| {
        // SAFETY: both buffers hold the shape's elements (checked) and do not
        // overlap; thread x writes plane x only.
        unsafe { body::add_scalar_blog_thread(t, src.ptr(), dst.ptr(), shape, scalar) }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hotloop_runtime::Error;

    #[test]
    fn every_launch_shape_covers_every_element() {
        let input: Vec<f64> = (0..1000).map(|i| i as f64 * 0.5).collect();
        for (b, t) in [(1, 1), (3, 7), (5, 33), (1, 1024), (40, 64)] {
            let cfg = Some(LaunchConfig::new(b, t).unwrap());
            let mut out = vec![f64::NAN; 1000];
            add_scalar(cfg, &input, 2.0, &mut out).unwrap();
            assert!(
                out.iter().zip(&input).all(|(o, x)| *o == x + 2.0),
                "{b}x{t}"
            );
            let mut data = input.clone();
            add_scalar_in_place(cfg, &mut data, 2.0).unwrap();
            assert_eq!(data, out);
        }
    }

    #[test]
    fn blog_kernel_needs_a_thread_per_plane() {
        let input = vec![1.0f32; 5 * 3 * 4];
        let mut out = vec![0.0f32; 60];
        add_scalar_blog(None, &input, [5, 3, 4], 1.0, &mut out).unwrap();
        assert!(out.iter().all(|&o| o == 2.0));
        // Many planes: the default launch still has a thread for each.
        let many = vec![0.5f32; 300_000];
        let mut out_many = vec![0.0f32; 300_000];
        add_scalar_blog(None, &many, [300_000, 1, 1], 1.0, &mut out_many).unwrap();
        assert!(out_many.iter().all(|&o| o == 1.5));
        let small = Some(LaunchConfig::new(2, 2).unwrap());
        let e = add_scalar_blog(small, &input, [5, 3, 4], 1.0, &mut out).unwrap_err();
        assert!(matches!(e, Error::InvalidLaunch(ref m) if m.contains("one thread per plane")));
        let e = add_scalar(None, &input, 1.0, &mut out[..59]).unwrap_err();
        assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
    }
}
