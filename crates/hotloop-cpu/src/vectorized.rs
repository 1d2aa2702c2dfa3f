//! Built-in ops whose loops the compiler vectorizes badly, vectorized by
//! hand: `Exp` on f64 with AVX-512.
//!
//! LLVM vectorizes `hotloop_core`'s `exp_f64` over a slice, its table reads
//! becoming two gathers per vector. On CPUs with the microcode that
//! mitigates Gather Data Sampling ("Downfall", 2023) a gather takes tens of
//! cycles: the map of `Exp` ran at 3.7 ns an element, a quarter of NumPy's
//! speed. Here the same operations, on the same constants
//! ([`hotloop_core::math::exp_f64_parts`]), in the same order, read the
//! 16-entry table from two registers by one permute: the same bits as the
//! scalar body (a test compares them), so every backend still agrees.
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

/// A loop over slices of the same length: `out[i] = f(input[i])`, with
/// streaming stores when the flag says so (the loop writes them itself, so
/// its constants stay in registers for the whole slice).
pub type SliceMap<T, U> = fn(&[T], &mut [U], bool);

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
fn exp_slices<T: Num, U: Num>(input: &[T], out: &mut [U], streams: bool) {
    assert!(TypeId::of::<T>() == TypeId::of::<f64>() && TypeId::of::<U>() == TypeId::of::<f64>());
    // SAFETY: T and U are f64 (the assertion), so the slices are f64's.
    let (input, out) = unsafe {
        (
            std::slice::from_raw_parts(input.as_ptr().cast::<f64>(), input.len()),
            std::slice::from_raw_parts_mut(out.as_mut_ptr().cast::<f64>(), out.len()),
        )
    };
    exp_f64_slice(input, out, streams);
}

/// `out[i] = exp_f64(input[i])` for `i` below the shorter length, eight at
/// a time with AVX-512 where the CPU has it, and then, if `streams`, with
/// streaming stores (whole aligned lines; the ends through the cache).
pub fn exp_f64_slice(input: &[f64], out: &mut [f64], streams: bool) {
    let n = input.len().min(out.len());
    let (input, out) = (&input[..n], &mut out[..n]);
    #[cfg(target_arch = "x86_64")]
    if widest() >= Isa::Avx512 {
        // SAFETY: the CPU has AVX-512 F, VL, DQ and BW (detected).
        return unsafe { avx512::exp(input, out, streams) };
    }
    // The cache's stores: `unary` hands this loop out only where AVX-512
    // runs it, and a caller without AVX-512 takes the plain map.
    let _ = streams;
    for (o, &x) in out.iter_mut().zip(input) {
        *o = hotloop_core::math::exp_f64(x);
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use crate::prefetch::{Hint, lines};
    use core::arch::x86_64::*;
    use hotloop_core::math::exp_f64_parts::{
        EXP2_64THS, EXPM1_POLY, INV_LN2_16, LN2_16_HI_F64, LN2_16_LO_F64, ROUNDING_SHIFT,
    };

    /// `2^(j/16)`'s `hi` halves and its `lo` halves (the 64ths' table,
    /// every fourth entry), each eight to a register: a call (one slice, or
    /// one pool part) sets up its table in four loads.
    static HI: [f64; 16] = sixteenths(0);
    static LO: [f64; 16] = sixteenths(1);

    /// Half `h` (0: `hi`, 1: `lo`) of `2^(j/16)` for `j` in `0..16`.
    const fn sixteenths(h: usize) -> [f64; 16] {
        let mut t = [0.0; 16];
        let mut j = 0;
        while j < 16 {
            let (hi, lo) = EXP2_64THS[4 * j];
            t[j] = f64::from_bits(if h == 0 { hi } else { lo });
            j += 1;
        }
        t
    }

    /// The 16 `(hi, lo)` of the table, two registers each.
    struct Table {
        hi: [__m512d; 2],
        lo: [__m512d; 2],
    }

    /// `exp_f64` over equal-length slices, the lines of `out` between its
    /// first and last line boundaries with streaming stores if `streams`.
    ///
    /// Not `store::write_with`'s blocks through a scratch buffer: a call
    /// per block reloaded the constants into registers each time, and in
    /// about one process in three (by where ASLR put the stack) 4 GiB took
    /// 600-890 ms instead of 455 (AMD EPYC, one thread); a fixed stack
    /// offset gave one or the other every time. It was put down to those
    /// loads sharing their address bits 0-11 with the scratch stores of
    /// the block before; the scratch, then unaligned, crossing a page
    /// (found later for the stencils: `store::Lines`) fits the same facts.
    ///
    /// # Safety
    /// The CPU has AVX-512 F, VL, DQ and BW.
    #[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw,avx2")]
    pub(super) unsafe fn exp(input: &[f64], out: &mut [f64], streams: bool) {
        // SAFETY: vector `r` of two reads `8 r .. 8 r + 8` of 16.
        let part =
            |half: &[f64; 16], r: usize| unsafe { _mm512_loadu_pd(half.as_ptr().add(8 * r)) };
        let table = Table {
            hi: std::array::from_fn(|r| part(&HI, r)),
            lo: std::array::from_fn(|r| part(&LO, r)),
        };
        // Up to the first 64-byte line boundary through the cache when
        // streaming (an f64 slice is 8-byte aligned, so one exists).
        let head = if streams {
            out.as_ptr().align_offset(64).min(out.len())
        } else {
            0
        };
        let scalar = |x: &[f64], o: &mut [f64]| {
            for (o, &x) in o.iter_mut().zip(x) {
                *o = hotloop_core::math::exp_f64(x);
            }
        };
        let (x_head, input) = input.split_at(head);
        let (o_head, out) = out.split_at_mut(head);
        scalar(x_head, o_head);
        let mut xs = input.chunks_exact(8);
        let mut os = out.chunks_exact_mut(8);
        // The line of chunk `c`'s input `AHEAD_BYTES` on.
        let ahead = |c: usize| {
            let at = 8 * c + AHEAD_BYTES / 8;
            lines(input, at, at + 1, Hint::L1);
        };
        if streams {
            for (c, (x, o)) in (&mut xs).zip(&mut os).enumerate() {
                ahead(c);
                // SAFETY: eight elements each; `o` starts on a line
                // boundary (the head ends on one, and a chunk is a line).
                unsafe {
                    let v = exp8(_mm512_loadu_pd(x.as_ptr()), &table);
                    _mm512_stream_pd(o.as_mut_ptr(), v);
                }
            }
            // Streaming stores are weakly ordered: fence them before the
            // caller (or another thread) reads the output.
            _mm_sfence();
        } else {
            for (c, (x, o)) in (&mut xs).zip(&mut os).enumerate() {
                ahead(c);
                // SAFETY: eight elements each.
                unsafe {
                    _mm512_storeu_pd(o.as_mut_ptr(), exp8(_mm512_loadu_pd(x.as_ptr()), &table))
                };
            }
        }
        scalar(xs.remainder(), os.into_remainder());
    }

    /// Bytes ahead of the line being computed that [`exp`] asks for its
    /// input into L1. The hardware prefetcher, paced by a loop this slow
    /// (some 30 vector operations a line), stayed too close: on this
    /// project's Xeon VM, one thread over 1 GiB took 2.1-2.2 ns an element
    /// with streaming stores without it, 1.0 with it (1 KiB to 16 KiB
    /// ahead alike; into L2 1.0-1.2), and computing from the cache takes
    /// 0.8.
    const AHEAD_BYTES: usize = 4096;

    /// `exp_f64` of eight lanes, step by step as `hotloop_core`'s
    /// (`exp_reduce`, `expm1_small`, `octaves`, in sixteenths): no fused
    /// multiply-adds, every rounding the scalar body's. One step differs in
    /// form, not in bits: `k` is carried as `k/16`.
    #[inline]
    #[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw,avx2")]
    fn exp8(x: __m512d, t: &Table) -> __m512d {
        let f = _mm512_set1_pd;
        // x.clamp(-746, 710): MAX and MIN return their second operand when
        // either is NaN, so NaN passes as `clamp` lets it.
        let x = _mm512_min_pd(f(710.0), _mm512_max_pd(f(-746.0), x));
        // k = round(16 x / ln2), carried as k/16: every constant here is
        // the scalar's times or over 16, so each product and sum is the
        // scalar's over 16 exactly (binary scaling commutes with rounding
        // away from the ends of the range), and one multiply fewer.
        // The shift, 1.5 * 2^48, has an ulp of 1/16, so the sum's low bits
        // keep k in the scalar sum's place: its low four are `k & 15`, all
        // the table lookup reads.
        let s = _mm512_add_pd(
            _mm512_mul_pd(x, f(INV_LN2_16 / 16.0)),
            f(ROUNDING_SHIFT / 16.0),
        );
        let k = _mm512_castpd_si512(s);
        let k16 = _mm512_sub_pd(s, f(ROUNDING_SHIFT / 16.0));
        let r = _mm512_sub_pd(
            _mm512_sub_pd(x, _mm512_mul_pd(k16, f(LN2_16_HI_F64 * 16.0))),
            _mm512_mul_pd(k16, f(LN2_16_LO_F64 * 16.0)),
        );
        let [c3, c4, c5, c6, c7] = EXPM1_POLY;
        // c + a b, rounded twice (not fused), as the scalar writes it.
        let plus_product = |c, a, b| _mm512_add_pd(c, _mm512_mul_pd(a, b));
        let r2 = _mm512_mul_pd(r, r);
        let top = plus_product(f(c6), r, f(c7));
        let q = _mm512_add_pd(
            plus_product(f(0.5), r, f(c3)),
            _mm512_mul_pd(r2, plus_product(plus_product(f(c4), r, f(c5)), r2, top)),
        );
        let p = plus_product(r, r2, q);
        // 2^(j/16) for j = k & 15: bit 3 of the index picks the register.
        let hi = _mm512_permutex2var_pd(t.hi[0], k, t.hi[1]);
        let lo = _mm512_permutex2var_pd(t.lo[0], k, t.lo[1]);
        let s = _mm512_add_pd(hi, _mm512_add_pd(lo, _mm512_mul_pd(hi, p)));
        // s * 2^m, m = floor(k / 16), rounded once (subnormal results
        // included; +inf on overflow): the scalar's two exact-then-rounding
        // products in one SCALEF, which floors its exponent operand. Ten
        // integer and float steps fewer per vector.
        _mm512_scalef_pd(s, k16)
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
        // Past the clamp's ends, and any bit pattern (NaN payloads, huge
        // and tiny values).
        for i in 0..2000 {
            xs.extend([709.0 + i as f64 * 0.05, -740.0 - i as f64 * 0.05]);
        }
        for _ in 0..100_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            xs.push(f64::from_bits(seed));
        }
        // A length that leaves a remainder after the vectors.
        xs.push(3.25);
        let want: Vec<f64> = xs.iter().map(|&x| hotloop_core::math::exp_f64(x)).collect();
        // Through the cache and streamed, the output starting at each
        // offset within a line (the streamed head and tail differ).
        for streams in [false, true] {
            for skip in 0..8 {
                let mut out = vec![0.0; xs.len()];
                exp_f64_slice(&xs[skip..], &mut out[skip..], streams);
                for (i, (&o, &w)) in out.iter().zip(&want).enumerate().skip(skip) {
                    assert!(
                        o.to_bits() == w.to_bits() || (o.is_nan() && w.is_nan()),
                        "exp({:e}) = {o:e}, scalar {w:e} (streams {streams}, skip {skip})",
                        xs[i]
                    );
                }
                assert!(
                    out[..skip].iter().all(|&o| o == 0.0),
                    "wrote before the slice"
                );
            }
        }
    }
}
