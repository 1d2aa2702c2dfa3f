//! Built-in ops whose loops the compiler vectorizes badly, vectorized by
//! hand: `Exp` on f64 with AVX-512.
//!
//! LLVM vectorizes `hotloop_core`'s `exp_f64` over a slice, its table reads
//! becoming two gathers per vector. On CPUs with the microcode that
//! mitigates Gather Data Sampling ("Downfall", 2023) a gather takes tens of
//! cycles: the map of `Exp` ran at 3.7 ns an element, a quarter of NumPy's
//! speed. Here the same operations, on the same constants
//! ([`hotloop_core::math::exp_f64_parts`]), in the same order, read the
//! 64-entry table from registers by permutes: the same bits as the scalar
//! body (a test compares them), so every backend still agrees.
//!
//! An op is recognized by its GPU entry, which names it once
//! (`hotloop_core_map_Exp_f64`, in the built-in module), and its element
//! types.

use crate::simd::{Isa, widest};
use hotloop_core::Num;
use hotloop_core::abi::ModuleRef;
use hotloop_core::map::UnaryOp;
use std::any::TypeId;

/// The built-in `Exp`'s f64 map entry: how [`unary`] knows the op.
const EXP_F64_ENTRY: &str = "hotloop_core_map_Exp_f64";

/// A loop over slices of the same length: `out[i] = f(input[i])`.
pub type SliceMap<T, U> = fn(&[T], &mut [U]);

/// A hand-vectorized loop for `op` from `T` to `U` on this CPU, if there
/// is one: `out[i] = op.apply(input[i])` with the same bits, over slices of
/// the same length.
pub fn unary<T: Num, U: Num, Op: UnaryOp<T, U>>(op: &Op) -> Option<SliceMap<T, U>> {
    if TypeId::of::<T>() != TypeId::of::<f64>() || TypeId::of::<U>() != TypeId::of::<f64>() {
        return None;
    }
    if widest() < Isa::Avx512 {
        return None;
    }
    let k = op.device_kernel()?;
    let exp = matches!(k.module, ModuleRef::Builtin) && k.kernel.name == EXP_F64_ENTRY;
    exp.then_some(exp_slices::<T, U>)
}

/// [`exp_f64_slice`] on slices whose element types are f64 ([`unary`]
/// hands it out only then).
fn exp_slices<T: Num, U: Num>(input: &[T], out: &mut [U]) {
    assert!(TypeId::of::<T>() == TypeId::of::<f64>() && TypeId::of::<U>() == TypeId::of::<f64>());
    // SAFETY: T and U are f64 (the assertion), so the slices are f64's.
    let (input, out) = unsafe {
        (
            std::slice::from_raw_parts(input.as_ptr().cast::<f64>(), input.len()),
            std::slice::from_raw_parts_mut(out.as_mut_ptr().cast::<f64>(), out.len()),
        )
    };
    exp_f64_slice(input, out);
}

/// `out[i] = exp_f64(input[i])` for `i` below the shorter length, eight at
/// a time with AVX-512 where the CPU has it.
pub fn exp_f64_slice(input: &[f64], out: &mut [f64]) {
    let n = input.len().min(out.len());
    let (input, out) = (&input[..n], &mut out[..n]);
    #[cfg(target_arch = "x86_64")]
    if widest() >= Isa::Avx512 {
        // SAFETY: the CPU has AVX-512 F, VL, DQ and BW (detected).
        return unsafe { avx512::exp(input, out) };
    }
    for (o, &x) in out.iter_mut().zip(input) {
        *o = hotloop_core::math::exp_f64(x);
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use core::arch::x86_64::*;
    use hotloop_core::math::exp_f64_parts::{
        EXP2_64THS, EXPM1_POLY, INV_LN2_64, LN2_64_HI_F64, LN2_64_LO_F64, ROUNDING_SHIFT,
    };

    /// The table's `hi` halves and its `lo` halves, laid out so that each
    /// register of [`Table`] is one load: a call (often one streaming
    /// block, 128 elements) sets up its table in sixteen loads.
    static HI: [f64; 64] = half(0);
    static LO: [f64; 64] = half(1);

    /// Half `h` (0: `hi`, 1: `lo`) of every entry of `EXP2_64THS`.
    const fn half(h: usize) -> [f64; 64] {
        let mut t = [0.0; 64];
        let mut j = 0;
        while j < 64 {
            let (hi, lo) = EXP2_64THS[j];
            t[j] = f64::from_bits(if h == 0 { hi } else { lo });
            j += 1;
        }
        t
    }

    /// The 64 `(hi, lo)` of the table, eight to a register.
    struct Table {
        hi: [__m512d; 8],
        lo: [__m512d; 8],
    }

    /// `exp_f64` over equal-length slices.
    ///
    /// # Safety
    /// The CPU has AVX-512 F, VL, DQ and BW.
    #[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw,avx2")]
    pub(super) unsafe fn exp(input: &[f64], out: &mut [f64]) {
        // SAFETY: vector `r` of eight reads `8 r .. 8 r + 8` of 64.
        let part =
            |half: &[f64; 64], r: usize| unsafe { _mm512_loadu_pd(half.as_ptr().add(8 * r)) };
        let table = Table {
            hi: std::array::from_fn(|r| part(&HI, r)),
            lo: std::array::from_fn(|r| part(&LO, r)),
        };
        let mut xs = input.chunks_exact(8);
        let mut os = out.chunks_exact_mut(8);
        for (x, o) in (&mut xs).zip(&mut os) {
            // SAFETY: eight elements each.
            unsafe { _mm512_storeu_pd(o.as_mut_ptr(), exp8(_mm512_loadu_pd(x.as_ptr()), &table)) };
        }
        for (o, &x) in os.into_remainder().iter_mut().zip(xs.remainder()) {
            *o = hotloop_core::math::exp_f64(x);
        }
    }

    /// `2^(j/64)`'s part for each lane's `j = k & 63`: a permute of two
    /// registers per 16 entries, then bits 4 and 5 of `j` pick among them.
    #[inline]
    #[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw,avx2")]
    fn lookup(k: __m512i, t: &[__m512d; 8]) -> __m512d {
        let a = _mm512_permutex2var_pd(t[0], k, t[1]);
        let b = _mm512_permutex2var_pd(t[2], k, t[3]);
        let c = _mm512_permutex2var_pd(t[4], k, t[5]);
        let d = _mm512_permutex2var_pd(t[6], k, t[7]);
        let bit4 = _mm512_test_epi64_mask(k, _mm512_set1_epi64(16));
        let bit5 = _mm512_test_epi64_mask(k, _mm512_set1_epi64(32));
        let ab = _mm512_mask_blend_pd(bit4, a, b);
        let cd = _mm512_mask_blend_pd(bit4, c, d);
        _mm512_mask_blend_pd(bit5, ab, cd)
    }

    /// `exp_f64` of eight lanes, step by step as `hotloop_core`'s
    /// (`exp_reduce`, `expm1_small`, `octaves`): no fused multiply-adds,
    /// every operand in the scalar body's order.
    #[inline]
    #[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw,avx2")]
    fn exp8(x: __m512d, t: &Table) -> __m512d {
        let f = _mm512_set1_pd;
        // x.clamp(-746, 710): MAX and MIN return their second operand when
        // either is NaN, so NaN passes as `clamp` lets it.
        let x = _mm512_min_pd(f(710.0), _mm512_max_pd(f(-746.0), x));
        // k = round(64 x / ln2) in the sum's low bits: the shift's low 51
        // bits are zero, so the sum's low six are `k & 63`, all the table
        // lookup reads.
        let s = _mm512_add_pd(_mm512_mul_pd(x, f(INV_LN2_64)), f(ROUNDING_SHIFT));
        let k = _mm512_castpd_si512(s);
        let kf = _mm512_sub_pd(s, f(ROUNDING_SHIFT));
        let r = _mm512_sub_pd(
            _mm512_sub_pd(x, _mm512_mul_pd(kf, f(LN2_64_HI_F64))),
            _mm512_mul_pd(kf, f(LN2_64_LO_F64)),
        );
        let [c3, c4, c5, c6] = EXPM1_POLY;
        let q = _mm512_add_pd(f(c5), _mm512_mul_pd(r, f(c6)));
        let q = _mm512_add_pd(f(c4), _mm512_mul_pd(r, q));
        let q = _mm512_add_pd(f(c3), _mm512_mul_pd(r, q));
        let q = _mm512_add_pd(f(0.5), _mm512_mul_pd(r, q));
        let p = _mm512_add_pd(r, _mm512_mul_pd(_mm512_mul_pd(r, r), q));
        let (hi, lo) = (lookup(k, &t.hi), lookup(k, &t.lo));
        let s = _mm512_add_pd(hi, _mm512_add_pd(lo, _mm512_mul_pd(hi, p)));
        // s * 2^m, m = floor(k / 64), rounded once (subnormal results
        // included; +inf on overflow): the scalar's two exact-then-rounding
        // products in one SCALEF, which floors its exponent operand (k / 64
        // is exact). Ten integer and float steps fewer per vector.
        _mm512_scalef_pd(s, _mm512_mul_pd(kf, f(1.0 / 64.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hotloop_core::map::{Affine, Exp};

    #[test]
    fn the_entry_named_here_is_exps() {
        let k = UnaryOp::<f64>::device_kernel(&Exp).expect("a built-in has its entry");
        assert_eq!(k.kernel.name, EXP_F64_ENTRY);
        assert!(matches!(k.module, ModuleRef::Builtin));
        // Only Exp on f64 is taken, and only where AVX-512 runs it.
        let avx512 = widest() >= Isa::Avx512;
        assert_eq!(unary::<f64, f64, _>(&Exp).is_some(), avx512);
        assert!(unary::<f32, f32, _>(&Exp).is_none());
        assert!(unary::<f64, f64, _>(&Affine { a: 1.0, b: 2.0 }).is_none());
    }

    #[test]
    fn the_vector_exp_gives_the_scalar_bits() {
        if widest() < Isa::Avx512 {
            eprintln!("this CPU lacks AVX-512: the slice loop is the scalar one");
        }
        let mut xs = vec![
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::MIN,
            709.782712893384,
            709.7827128933841,
            -745.1332191019411,
            -745.1332191019412,
            -708.4,
            -740.0,
            1e-300,
            -1e-18,
        ];
        // Every table entry and rounding boundary region, and a sweep of
        // the whole range with rounding in every step.
        for j in -64 * 64..64 * 64 {
            let k = j as f64 * std::f64::consts::LN_2 / 64.0;
            xs.extend([k, k + 1e-13, k - 1e-13, k + 0.005]);
        }
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..200_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            xs.push((seed >> 11) as f64 / (1u64 << 53) as f64 * 1470.0 - 750.0);
        }
        // A length that leaves a remainder after the vectors.
        xs.push(3.25);
        let mut out = vec![0.0; xs.len()];
        exp_f64_slice(&xs, &mut out);
        for (&x, &o) in xs.iter().zip(&out) {
            let want = hotloop_core::math::exp_f64(x);
            assert!(
                o.to_bits() == want.to_bits() || (o.is_nan() && want.is_nan()),
                "exp({x:e}) = {o:e}, scalar {want:e}"
            );
        }
    }
}
