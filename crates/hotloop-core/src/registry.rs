//! The one registry of device kernels: every entry point the PTX module
//! exports, its parameters in order, and whether it uses the block-shared
//! array and barriers.
//!
//! The kernels themselves are code (`gpu-kernels/src/lib.rs`, thin
//! `extern "ptx-kernel"` functions over the bodies in [`crate::grid`]); this
//! table is the *description* every other place reads instead of keeping
//! its own list:
//!
//! - `cargo xtask check-ptx` checks that the built PTX exports exactly these
//!   entries, with these parameter types in this order, and uses static
//!   shared memory and `bar.sync` exactly where [`KernelSpec::uses_shared`]
//!   says (`xtask` depends on this crate);
//! - `hotloop-cuda` loads every entry named here when it opens a device,
//!   and checks each argument it pushes against [`KernelSpec::params`];
//! - the ABI table of `gpu-kernels/README.md` documents the same rows (a
//!   test in `xtask` checks that it lists exactly these entries).
//!
//! The built-in ops' entries (maps, zips, counts, gufuncs, stencils) are
//! not listed: `#[device_op]` generates them and their metadata from the
//! ops' trait impls. This table holds the hand-written rest.
//!
//! Naming rule: entries over an element type end in `_f32` / `_f64`, and
//! the host finds them as `format!("{base}_{}", T::NAME)`.

/// The type of one kernel parameter, as the PTX declares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParamType {
    /// A device pointer (`.param .u64 .ptr`).
    Ptr,
    /// A 64-bit unsigned integer: lengths, extents, seeds (`.param .u64`).
    U64,
    /// A 32-bit unsigned integer: mode codes (`.param .u32`).
    U32,
    /// An `f32` scalar (`.param .f32`).
    F32,
    /// An `f64` scalar (`.param .f64`).
    F64,
}

impl ParamType {
    /// The PTX declaration of a parameter of this type, without its name:
    /// `.u64 .ptr`, `.u64`, `.u32`, `.f32`, `.f64`.
    pub const fn ptx(self) -> &'static str {
        match self {
            ParamType::Ptr => ".u64 .ptr",
            ParamType::U64 => ".u64",
            ParamType::U32 => ".u32",
            ParamType::F32 => ".f32",
            ParamType::F64 => ".f64",
        }
    }
}

/// One entry point of the PTX module.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KernelSpec {
    /// The exported name (`"map_affine_f64"`).
    pub name: &'static str,
    /// Parameter types, in order.
    pub params: &'static [ParamType],
    /// Whether the kernel reduces in the block-shared array
    /// ([`SHARED_BYTES`] of static shared memory) with barriers.
    pub uses_shared: bool,
}

const fn k(name: &'static str, params: &'static [ParamType], uses_shared: bool) -> KernelSpec {
    KernelSpec {
        name,
        params,
        uses_shared,
    }
}

use ParamType::{F32, F64, Ptr, U64};

/// Threads per block CUDA allows at most, hence the slots of the
/// block-shared array.
pub const BLOCK_SLOTS: usize = 1024;

/// Bytes of the block-shared array: one 8-byte slot per thread (u64 and
/// f64; f32 uses the first half). Static shared memory of every kernel with
/// [`KernelSpec::uses_shared`].
pub const SHARED_BYTES: usize = BLOCK_SLOTS * 8;

/// Whether a kernel reduces in shared memory with barriers.
const SHARED: bool = true;
/// Whether a kernel reduces in shared memory with barriers.
const PLAIN: bool = false;

/// Every entry point of the PTX module, in the order of the ABI table.
pub const KERNELS: &[KernelSpec] = &[
    // add_scalar: out[i] = input[i] + scalar (input, out, len, scalar).
    k("add_scalar_f64", &[Ptr, Ptr, U64, F64], PLAIN),
    k("add_scalar_f32", &[Ptr, Ptr, U64, F32], PLAIN),
    // (data, len, scalar)
    k("add_scalar_inplace_f64", &[Ptr, U64, F64], PLAIN),
    k("add_scalar_inplace_f32", &[Ptr, U64, F32], PLAIN),
    // (input, out, nx, ny, nz, scalar)
    k(
        "add_scalar_blog_f64",
        &[Ptr, Ptr, U64, U64, U64, F64],
        PLAIN,
    ),
    k(
        "add_scalar_blog_f32",
        &[Ptr, Ptr, U64, U64, U64, F32],
        PLAIN,
    ),
    // (seed, first_sample, end_sample, block_counts)
    k("monte_carlo_pi", &[U64, U64, U64, Ptr], SHARED),
    // (input, len, chunk_sums): one sum per SUM_CHUNK elements.
    k("sum_f64", &[Ptr, U64, Ptr], PLAIN),
    k("sum_f32", &[Ptr, U64, Ptr], PLAIN),
    // (input, len, partials): one per block.
    k("max_f64", &[Ptr, U64, Ptr], SHARED),
    k("max_f32", &[Ptr, U64, Ptr], SHARED),
    // (input, len, partials): one per block.
    k("min_f64", &[Ptr, U64, Ptr], SHARED),
    k("min_f32", &[Ptr, U64, Ptr], SHARED),
];

/// The entry named `name`, if there is one.
pub fn find(name: &str) -> Option<&'static KernelSpec> {
    KERNELS.iter().find(|k| k.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_typed_pairs_agree() {
        for (i, a) in KERNELS.iter().enumerate() {
            assert!(
                KERNELS[i + 1..].iter().all(|b| b.name != a.name),
                "{} listed twice",
                a.name
            );
            // An f64 entry has an f32 twin with the same parameters, f64
            // scalars narrowed to f32.
            if let Some(base) = a.name.strip_suffix("_f64") {
                let mut twin = [0u8; 64];
                let name = base.as_bytes();
                twin[..name.len()].copy_from_slice(name);
                twin[name.len()..name.len() + 4].copy_from_slice(b"_f32");
                let twin = core::str::from_utf8(&twin[..name.len() + 4]).unwrap();
                let b = find(twin).unwrap_or_else(|| panic!("{} has no f32 twin", a.name));
                assert_eq!(a.params.len(), b.params.len(), "{}", a.name);
                for (p, q) in a.params.iter().zip(b.params) {
                    let narrowed = if *p == F64 { F32 } else { *p };
                    assert_eq!(narrowed, *q, "{}", a.name);
                }
                assert_eq!(a.uses_shared, b.uses_shared);
            }
        }
    }

    #[test]
    fn reductions_write_partials_through_their_last_parameter() {
        for k in KERNELS.iter().filter(|k| k.uses_shared) {
            assert_eq!(k.params.last(), Some(&Ptr), "{}", k.name);
        }
        assert_eq!(find("sum_f32").map(|k| k.params.len()), Some(3));
        assert_eq!(find("nope"), None);
        assert_eq!(SHARED_BYTES, 8192);
    }
}
